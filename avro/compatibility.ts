/**
 * Schema evolution checks, run by `test/unit/avro/compatibility.test.ts`.
 *
 * - BACKWARD (required): the current schema reads data written with every earlier version (transitively), so a
 *   consumer or a state store upgraded first still reads what is already in the topics and changelogs.
 * - FORWARD (checked where it holds): every earlier version reads data written with the current one, so a replica
 *   not yet upgraded during a rolling restart still reads what upgraded replicas write (JSON and Confluent framing;
 *   single-object Avro needs the writer's schema, see README).
 *
 * `history/fingerprints.json` records the evolution fingerprint of each current schema, so a changed schema cannot
 * slip by without its previous version being kept in `history/`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Type } from 'avsc';
import { rabin64 } from './fingerprint.js';
import { schemaDir, schemaVersions } from './schema-loader.js';

export type Direction = 'backward' | 'forward';

export interface CompatibilityProblem {
  recordType: string;
  direction: Direction;
  /** Version reading the data. */
  readerVersion: number;
  /** Version that wrote the data. */
  writerVersion: number;
  message: string;
}

/**
 * Every reader/writer pair of versions that cannot be resolved, in the given directions: the current schema
 * against each earlier version, or, given `proposed`, a proposed next version against every existing one (to check
 * a change before it replaces the current schema).
 */
export function compatibilityProblems(recordType: string, directions: Direction[] = ['backward'], proposed?: Type): CompatibilityProblem[] {
  const versions = schemaVersions(recordType);
  const latest = versions[versions.length - 1]!;
  const now = proposed ? { version: latest.version + 1, type: proposed } : latest;
  const others = proposed ? versions : versions.slice(0, -1);
  const problems: CompatibilityProblem[] = [];
  for (const earlier of others) {
    if (directions.includes('backward')) {
      const message = unreadable(now.type, earlier.type);
      if (message)
        problems.push({ recordType, direction: 'backward', readerVersion: now.version, writerVersion: earlier.version, message });
    }
    if (directions.includes('forward')) {
      const message = unreadable(earlier.type, now.type);
      if (message) problems.push({ recordType, direction: 'forward', readerVersion: earlier.version, writerVersion: now.version, message });
    }
  }
  return problems;
}

/** Why `reader` cannot read data written with `writer`, or undefined when it can. */
export function unreadable(reader: Type, writer: Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export interface RecordedVersion {
  version: number;
  fingerprint: string;
}

/** `history/fingerprints.json`: record type → version and evolution fingerprint of its current schema. */
export function recordedVersions(): Record<string, RecordedVersion> {
  return JSON.parse(readFileSync(path.join(schemaDir(), 'history', 'fingerprints.json'), 'utf8')) as Record<string, RecordedVersion>;
}

/** What `history/fingerprints.json` should say for a record type's current schema. */
export function currentVersion(recordType: string): RecordedVersion {
  const versions = schemaVersions(recordType);
  const latest = versions[versions.length - 1]!;
  return { version: latest.version, fingerprint: evolutionFingerprint(latest.type) };
}

/**
 * CRC-64-AVRO of everything in a schema that matters to evolution: the canonical form plus defaults and aliases
 * (which decide what a reader can fill in), without docs (editing a doc is not a new version).
 */
export function evolutionFingerprint(type: Type): string {
  const withoutDocs = JSON.stringify(type.schema({ exportAttrs: true }), (key, value: unknown) => (key === 'doc' ? undefined : value));
  return rabin64(Buffer.from(withoutDocs, 'utf8')).toString(16).padStart(16, '0');
}
