/**
 * `omnia replay`: the order topology in the in-process driver (in-memory stores, no broker) over JSON-line
 * input records, writing every record produced to an output topic as a JSON line, in production order
 * (docs/contract.md §9). Time is the records' own (timestamp, else CreatedAt), so a replay is deterministic.
 */
import { serdeConfigFromEnv } from '../avro/config.js';
import { loadOrderConfig } from '../topology/order-config.js';
import { orderSerdes } from '../topology/order-serdes.js';
import { orderTopology } from '../topology/order-topology.js';
import type { ProducedRecord } from '../runtime/produced-record.js';
import { InProcessRuntime } from '../runtime/in-process-runtime.js';

export interface ReplayLine {
  topic: string;
  key: string | null;
  value: unknown;
  timestamp?: string | number;
}

export class ReplayInputError extends Error {}

/** Event time of an input line: its timestamp (ISO-8601 or epoch ms), else the value's CreatedAt, else undefined. */
function eventTime(line: ReplayLine, lineNumber: number): number | undefined {
  const raw =
    line.timestamp ??
    (typeof line.value === 'object' && line.value !== null ? (line.value as { CreatedAt?: unknown }).CreatedAt : undefined);
  if (raw === undefined || raw === null) return undefined;
  const time = typeof raw === 'number' ? raw : Date.parse(String(raw));
  if (!Number.isFinite(time))
    throw new ReplayInputError(`line ${lineNumber}: timestamp ${JSON.stringify(raw)} is neither ISO-8601 nor epoch milliseconds`);
  return time;
}

function parseLine(text: string, lineNumber: number): ReplayLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ReplayInputError(`line ${lineNumber}: not JSON (${(error as Error).message})`);
  }
  const line = parsed as Partial<ReplayLine>;
  if (typeof parsed !== 'object' || parsed === null || typeof line.topic !== 'string' || !('value' in line)) {
    throw new ReplayInputError(`line ${lineNumber}: expected {"topic", "key", "value", "timestamp"?}`);
  }
  if (line.key !== undefined && line.key !== null && typeof line.key !== 'string')
    throw new ReplayInputError(`line ${lineNumber}: key must be a string or null`);
  return {
    topic: line.topic,
    key: line.key ?? null,
    value: line.value,
    ...(line.timestamp !== undefined ? { timestamp: line.timestamp } : {}),
  };
}

/** The JSON view of a produced value: JSON as JSON, anything else (Avro, garbage) as its text. */
function jsonView(bytes: Buffer | null): unknown {
  if (bytes === null) return null;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return bytes.toString('utf8');
  }
}

function outputLine(record: ProducedRecord): string {
  const line: Record<string, unknown> = { topic: record.topic, key: record.key?.toString('utf8') ?? null, value: jsonView(record.value) };
  if (Object.keys(record.headers).length > 0) line.headers = record.headers;
  return JSON.stringify(line);
}

/** Replays `lines` and hands each output line to `write`. */
export async function replay(
  lines: AsyncIterable<string>,
  write: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ inputs: number; outputs: number }> {
  const orderConfig = loadOrderConfig(env);
  const serdes = orderSerdes(serdeConfigFromEnv(env), orderConfig.topicPrefix);
  const driver = new InProcessRuntime(orderTopology(orderConfig, serdes), { startTime: 0 });
  let inputs = 0;
  let outputs = 0;
  let lineNumber = 0;
  const flush = () => {
    for (const record of driver.output) {
      if (record.topic.endsWith('-changelog')) continue;
      write(outputLine(record));
      outputs++;
    }
    driver.clearOutput();
  };
  for await (const text of lines) {
    lineNumber++;
    if (text.trim() === '') continue;
    const line = parseLine(text, lineNumber);
    const time = eventTime(line, lineNumber) ?? driver.now;
    // Moving the clock first lets held orders that fell due before this record be released before it.
    if (time > driver.now) await driver.advanceWallClock(time - driver.now);
    flush();
    const value = typeof line.value === 'string' ? line.value : JSON.stringify(line.value);
    await driver.pipeRaw(line.topic, line.key === null ? null : Buffer.from(line.key), Buffer.from(value), { timestamp: time });
    inputs++;
    flush();
  }
  await driver.close();
  return { inputs, outputs };
}
