import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { StoreEngine } from './engine.js';
import { removeFileDurably, writeFileDurably } from './durable-file.js';

/**
 * The changelog offset up to which a store's engine durably holds every committed write. The engine is synced
 * before the checkpoint is written (temporary file, fsync, rename, fsync of the directory), so after a host crash
 * the checkpoint can only lag the data; replaying the changelog from a lagging checkpoint rewrites the same last
 * values. A checkpoint that is torn, damaged or another store's proves nothing: the store is rebuilt from its
 * changelog instead.
 */
export interface CheckpointIdentity {
  readonly store: string;
  /** The store's changelog topic and partition. */
  readonly topic: string;
  readonly partition: number;
  /** The engine kind that holds the data: after a switch of OMNIA_STATE_ENGINE the old files prove nothing. */
  readonly engine: string;
}

export type CheckpointRead =
  | { readonly status: 'valid'; readonly offset: bigint }
  | { readonly status: 'missing' }
  | { readonly status: 'invalid'; readonly reason: string };

const VERSION = 2;

interface CheckpointFile {
  version: number;
  store: string;
  topic: string;
  partition: number;
  engine: string;
  offset: string;
  sha256: string;
}

function checksum(version: number, identity: CheckpointIdentity, offset: string): string {
  return createHash('sha256')
    .update(JSON.stringify([version, identity.store, identity.topic, identity.partition, identity.engine, offset]))
    .digest('hex');
}

export function encodeCheckpoint(identity: CheckpointIdentity, offset: bigint): string {
  const digits = offset.toString();
  const file: CheckpointFile = {
    version: VERSION,
    store: identity.store,
    topic: identity.topic,
    partition: identity.partition,
    engine: identity.engine,
    offset: digits,
    sha256: checksum(VERSION, identity, digits),
  };
  return JSON.stringify(file);
}

/** What a checkpoint file's content proves for the store `expected`. */
export function decodeCheckpoint(text: string, expected: CheckpointIdentity): CheckpointRead {
  const invalid = (reason: string): CheckpointRead => ({ status: 'invalid', reason });
  if (text.length === 0) return invalid('the checkpoint file is empty (a write cut short)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalid('the checkpoint file is not whole JSON (a write cut short, or damaged)');
  }
  if (typeof parsed !== 'object' || parsed === null) return invalid('the checkpoint file holds no checkpoint');
  const file = parsed as Partial<Record<keyof CheckpointFile, unknown>>;
  // The format before version 2 ({"offset": …}) is not accepted: its writer never synced the engine before it, nor
  // the file itself, so after a host crash it may claim writes the engine lost. Treating it as missing costs one
  // full restore per store after the upgrade; trusting it could keep a torn store for good.
  if (file.version === undefined) return invalid('the checkpoint is in the old format, written without syncing the store');
  if (file.version !== VERSION) return invalid(`the checkpoint has version ${String(file.version)}, this build reads ${VERSION}`);
  const { store, topic, partition, engine, offset, sha256 } = file;
  if (
    typeof store !== 'string' ||
    typeof topic !== 'string' ||
    typeof partition !== 'number' ||
    !Number.isSafeInteger(partition) ||
    typeof engine !== 'string' ||
    typeof offset !== 'string' ||
    !/^\d+$/.test(offset) ||
    typeof sha256 !== 'string'
  )
    return invalid('the checkpoint file lacks a field or has one of the wrong type');
  if (sha256 !== checksum(VERSION, { store, topic, partition, engine }, offset))
    return invalid('the checkpoint checksum does not match its content');
  if (store !== expected.store || topic !== expected.topic || partition !== expected.partition)
    return invalid(`the checkpoint belongs to store ${store} (${topic} partition ${partition})`);
  if (engine !== expected.engine) return invalid(`the checkpoint was written for a ${engine} engine, the store is now ${expected.engine}`);
  return { status: 'valid', offset: BigInt(offset) };
}

/** The checkpoint at `file`, verified: its checksum, and that it is the checkpoint of `expected`. */
export async function readCheckpoint(file: string, expected: CheckpointIdentity): Promise<CheckpointRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    throw new Error(
      `reading the checkpoint ${file} failed (${(error as Error).message}): make it readable, or remove it to rebuild the store from its changelog`,
      { cause: error },
    );
  }
  return decodeCheckpoint(text, expected);
}

/** Writes the checkpoint durably. The caller has synced the engine first: the checkpoint claims only durable writes. */
export async function writeCheckpoint(file: string, identity: CheckpointIdentity, offset: bigint): Promise<void> {
  await writeFileDurably(file, encodeCheckpoint(identity, offset));
}

/** Removed before the engine is wiped, so no checkpoint ever outlives the data it describes. */
export async function removeCheckpoint(file: string): Promise<void> {
  await removeFileDurably(file);
}

/**
 * Why the engine's data cannot be trusted given its checkpoint, or undefined when it can (a valid checkpoint, or no
 * checkpoint and no data: a store never written). Data without a valid checkpoint may be torn by a host crash.
 */
export async function untrustedReason(checkpoint: CheckpointRead, engine: StoreEngine): Promise<string | undefined> {
  if (checkpoint.status === 'valid') return undefined;
  if (checkpoint.status === 'invalid') return checkpoint.reason;
  const entries = engine.range()[Symbol.asyncIterator]();
  const first = await entries.next();
  await entries.return?.();
  return first.done ? undefined : 'the store holds data but has no checkpoint';
}
