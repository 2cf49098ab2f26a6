/**
 * Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro binary body) with a schema registry,
 * through @kafkajs/confluent-schema-registry.
 *
 * The runtime's Serde is synchronous and the registry is remote, so the work is split in two:
 *
 * 1. `serde(topic, recordType)` is synchronous and only declares the subject (`<topic>-value`, Confluent's
 *    TopicNameStrategy); the topology is built with it.
 * 2. `prepare()` is awaited once at startup, before any record flows. Per subject it looks up the id of our schema
 *    (registering it when auto-registration is on) and fetches every schema version registered under the subject,
 *    so records written with an older or newer compatible schema decode without a round trip.
 *
 * After that, encoding and decoding are synchronous avsc calls: decode reads the writer id from the bytes and reads
 * the body with a resolver from that writer schema to ours (cached per id).
 *
 * Limitation: a writer id registered after `prepare()` (a producer that upgraded while we run) is unknown. Its lookup
 * starts in the background and that record fails with SchemaNotReadyError (a TransientError); records after the
 * lookup completes decode normally. An id the registry does not know at all fails with RecordDecodeError. Either
 * way the message names the topic, the record type and the id.
 */
import registryPackage from '@kafkajs/confluent-schema-registry';
import type { Resolver, Type } from 'avsc';
import type { Serde } from '../serdes/serde.js';
import { decodeAvro, encodeAvro, Formats, type Target } from './codecs.js';
import { RecordDecodeError, SchemaNotReadyError } from './errors.js';
import { avroType, schemaDefinition } from './schema-loader.js';

const { SchemaRegistry, SchemaType, COMPATIBILITY } = registryPackage;
type RegistryClient = InstanceType<typeof SchemaRegistry>;

export const CONFLUENT_MAGIC_BYTE = 0;
export const CONFLUENT_HEADER_SIZE = 5;

export type Compatibility = keyof typeof COMPATIBILITY;
export const COMPATIBILITY_LEVELS = Object.keys(COMPATIBILITY) as Compatibility[];

export interface ConfluentRegistryOptions {
  /** Registry base URL; credentials in it (`https://user:secret@host`) are sent as HTTP basic auth. */
  url: string;
  /**
   * Register our schema under a subject where it is not registered yet (default true, like Confluent's
   * serializers). When false, an unregistered schema can still decode but encoding throws, naming the subject.
   */
  autoRegister?: boolean;
  /**
   * Compatibility we register under (default BACKWARD). The client sets it on a subject without a level of its own
   * and refuses to register under a subject whose level differs.
   */
  compatibility?: Compatibility;
  /** Subject of a topic's values; default `<topic>-value`. */
  subjectFor?: (topic: string) => string;
  /** A preconfigured client (custom middlewares, retries); built from `url` otherwise. */
  client?: RegistryClient;
}

interface SubjectPlan {
  subject: string;
  topic: string;
  recordType: string;
  type: Type;
  /** Id of our schema under the subject, once prepared; undefined when not registered (auto-register off). */
  writerId: number | undefined;
  prepared: boolean;
}

export class ConfluentRegistry {
  /** The registry URL without credentials (safe to log). */
  readonly url: string;
  private readonly client: RegistryClient;
  private readonly authorization: string | undefined;
  private readonly autoRegister: boolean;
  private readonly compatibility: Compatibility;
  private readonly subjectFor: (topic: string) => string;
  private readonly plans = new Map<string, SubjectPlan>();
  /** Writer schemas by id: ours, every version of the prepared subjects, and ids fetched since. */
  private readonly writers = new Map<number, Type>();
  /** Ids the registry answered 404 for, with its message. */
  private readonly missing = new Map<number, string>();
  private readonly lookups = new Map<number, Promise<void>>();

  constructor(options: ConfluentRegistryOptions) {
    const parsed = new URL(options.url);
    const auth = parsed.username
      ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
      : undefined;
    parsed.username = '';
    parsed.password = '';
    this.url = parsed.toString().replace(/\/+$/, '');
    this.authorization = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : undefined;
    this.client = options.client ?? new SchemaRegistry({ host: this.url, clientId: 'omnia', ...(auth ? { auth } : {}) });
    this.autoRegister = options.autoRegister ?? true;
    this.compatibility = options.compatibility ?? 'BACKWARD';
    this.subjectFor = options.subjectFor ?? ((topic) => `${topic}-value`);
  }

  /** A Confluent wire-format serde for a topic's values; usable once `prepare()` has resolved. */
  serde<T>(topic: string, recordType: string): Serde<T> {
    const subject = this.subjectFor(topic);
    let plan = this.plans.get(subject);
    if (!plan) {
      plan = { subject, topic, recordType, type: avroType(recordType), writerId: undefined, prepared: false };
      this.plans.set(subject, plan);
    } else if (plan.recordType !== recordType) {
      throw new Error(`subject ${subject} is already used for ${plan.recordType}; cannot also use it for ${recordType}`);
    }
    return new ConfluentSerde<T>(this, plan);
  }

  /** Registers / looks up every declared subject and fetches its registered versions. Idempotent. */
  async prepare(): Promise<void> {
    for (const plan of this.plans.values()) {
      if (plan.prepared) continue;
      try {
        await this.prepareSubject(plan);
      } catch (error) {
        throw new Error(
          `schema registry ${this.url}: cannot prepare subject ${plan.subject} (${plan.recordType}): ${(error as Error).message}`,
          { cause: error },
        );
      }
      plan.prepared = true;
    }
  }

  /** Ids of every writer schema known so far. */
  knownSchemaIds(): number[] {
    return [...this.writers.keys()].sort((a, b) => a - b);
  }

  /** Fetches a writer schema by id now (e.g. before replaying a dead-letter topic); throws when it does not exist. */
  async ensureSchema(id: number): Promise<void> {
    if (this.writers.has(id)) return;
    this.startLookup(id);
    await this.lookups.get(id);
    const missing = this.missing.get(id);
    if (missing !== undefined) throw new Error(`schema id ${id} is not in the registry ${this.url}: ${missing}`);
    if (!this.writers.has(id)) throw new Error(`schema id ${id} could not be fetched from ${this.url}`);
  }

  /** Resolves when every background lookup has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.lookups.values()]);
  }

  /** @internal The writer schema of an id, or why there is none. */
  writer(id: number): Type | { missing: string } | undefined {
    const type = this.writers.get(id);
    if (type) return type;
    const missing = this.missing.get(id);
    return missing === undefined ? undefined : { missing };
  }

  /** @internal Starts fetching an unknown id in the background (once at a time per id). */
  startLookup(id: number): void {
    if (this.writers.has(id) || this.missing.has(id) || this.lookups.has(id)) return;
    const lookup = this.client
      .getSchema(id)
      .then(
        (schema) => {
          this.writers.set(id, schema as unknown as Type);
        },
        (error: unknown) => {
          // 404: the id does not exist, remember it. Anything else (network): forget, the next record retries.
          if ((error as { status?: number }).status === 404) this.missing.set(id, (error as Error).message);
        },
      )
      .finally(() => this.lookups.delete(id));
    this.lookups.set(id, lookup);
  }

  private async prepareSubject(plan: SubjectPlan): Promise<void> {
    const schema = { type: SchemaType.AVRO, schema: JSON.stringify(schemaDefinition(plan.recordType)) } as const;
    plan.writerId = await this.lookupId(plan.subject, schema);
    if (plan.writerId === undefined && this.autoRegister) {
      const registered = await this.client.register(schema, { subject: plan.subject, compatibility: COMPATIBILITY[this.compatibility] });
      plan.writerId = registered.id;
    }
    if (plan.writerId !== undefined) this.writers.set(plan.writerId, plan.type);
    for (const version of await this.versions(plan.subject)) {
      const id = await this.client.getRegistryId(plan.subject, version);
      if (!this.writers.has(id)) this.writers.set(id, (await this.client.getSchema(id)) as unknown as Type);
    }
  }

  /** Id of a schema already registered under the subject, or undefined. */
  private async lookupId(subject: string, schema: { type: typeof SchemaType.AVRO; schema: string }): Promise<number | undefined> {
    try {
      return await this.client.getRegistryIdBySchema(subject, schema);
    } catch (error) {
      // The client turns the registry's 404 (subject or schema not found) into this error; anything else is real.
      if ((error as Error).name === 'ConfluentSchemaRegistryError') return undefined;
      throw error;
    }
  }

  /** Versions registered under a subject (the client has no call for it: one GET with the same credentials). */
  private async versions(subject: string): Promise<number[]> {
    const response = await fetch(`${this.url}/subjects/${encodeURIComponent(subject)}/versions`, {
      headers: { Accept: 'application/vnd.schemaregistry.v1+json', ...(this.authorization ? { Authorization: this.authorization } : {}) },
    });
    if (response.status === 404) return [];
    if (!response.ok) throw new Error(`GET /subjects/${subject}/versions answered ${response.status}: ${await response.text()}`);
    const versions = (await response.json()) as unknown;
    if (!Array.isArray(versions) || !versions.every((version) => Number.isInteger(version))) {
      throw new Error(`GET /subjects/${subject}/versions answered ${JSON.stringify(versions)}, expected a list of version numbers`);
    }
    return versions as number[];
  }
}

class ConfluentSerde<T> implements Serde<T> {
  private readonly target: Target;
  /** Per writer id: null (same schema as ours), a resolver, or why it cannot be read. */
  private readonly resolvers = new Map<number, Resolver | null | RecordDecodeError>();

  constructor(
    private readonly registry: ConfluentRegistry,
    private readonly plan: SubjectPlan,
  ) {
    this.target = { where: plan.topic, recordType: plan.recordType, type: plan.type };
  }

  serialize(value: T): Buffer {
    const id = this.writerId();
    const body = encodeAvro(this.target, value, Formats.confluent);
    const framed = Buffer.allocUnsafe(CONFLUENT_HEADER_SIZE + body.length);
    framed[0] = CONFLUENT_MAGIC_BYTE;
    framed.writeUInt32BE(id, 1);
    body.copy(framed, CONFLUENT_HEADER_SIZE);
    return framed;
  }

  deserialize(bytes: Buffer): T {
    this.requirePrepared();
    if (bytes.length < CONFLUENT_HEADER_SIZE) {
      throw this.error(`${bytes.length} bytes, shorter than the ${CONFLUENT_HEADER_SIZE}-byte header (magic byte 0 and a schema id)`);
    }
    if (bytes[0] !== CONFLUENT_MAGIC_BYTE) {
      const hint = bytes[0] === 0x7b || bytes[0] === 0x5b ? ' (this looks like JSON)' : '';
      throw this.error(`magic byte 0x${bytes[0]!.toString(16).padStart(2, '0')}, expected 0x00${hint}`);
    }
    const id = bytes.readUInt32BE(1);
    const resolver = this.resolverFor(id);
    return decodeAvro<T>(this.target, bytes.subarray(CONFLUENT_HEADER_SIZE), Formats.confluent, resolver ?? undefined);
  }

  private resolverFor(id: number): Resolver | null {
    const cached = this.resolvers.get(id);
    if (cached instanceof RecordDecodeError) throw cached;
    if (cached !== undefined) return cached;
    const writer = this.registry.writer(id);
    if (writer === undefined) {
      this.registry.startLookup(id);
      throw new SchemaNotReadyError(this.plan.topic, this.plan.recordType, id);
    }
    if ('missing' in writer) throw this.error(`schema id ${id} is not in the registry ${this.registry.url} (${writer.missing})`);
    let resolved: Resolver | null | RecordDecodeError;
    try {
      resolved = writer.equals(this.plan.type) ? null : this.plan.type.createResolver(writer);
    } catch (error) {
      resolved = this.error(
        `written with schema id ${id}, which cannot be read as the current ${this.plan.recordType}: ${(error as Error).message}`,
      );
    }
    this.resolvers.set(id, resolved);
    if (resolved instanceof RecordDecodeError) throw resolved;
    return resolved;
  }

  private writerId(): number {
    this.requirePrepared();
    if (this.plan.writerId === undefined) {
      throw new Error(
        `${this.plan.topic}: cannot encode ${this.plan.recordType}: its schema is not registered under subject ${this.plan.subject} ` +
          `and auto-registration is off`,
      );
    }
    return this.plan.writerId;
  }

  private requirePrepared(): void {
    if (!this.plan.prepared) {
      throw new Error(
        `${this.plan.topic}: the Confluent serde of ${this.plan.recordType} was used before ConfluentRegistry.prepare() resolved`,
      );
    }
  }

  private error(problem: string): RecordDecodeError {
    return new RecordDecodeError(this.plan.topic, this.plan.recordType, Formats.confluent, problem);
  }
}
