// Shared by the connector unit tests: a logger whose lines the test can read, and a poll-until helper.
import { pino } from 'pino';
import { type Logger, loggerOptions } from '../../../observability/logger.js';

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A project-configured logger (debug and up) that keeps every line, parsed, in `lines`. */
export function capturingLogger(): { logger: Logger; lines: LogLine[]; text: () => string } {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const logger = pino(loggerOptions('debug'), {
    write: (json: string) => {
      raw.push(json);
      lines.push(JSON.parse(json) as LogLine);
    },
  });
  return { logger, lines, text: () => raw.join('') };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 5 ms; rejects naming `what` after `timeoutMs`. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
