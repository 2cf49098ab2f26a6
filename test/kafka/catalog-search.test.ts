/**
 * The catalog item search on the real broker: `omnia start` on Kafka (a topic prefix and application id of its own)
 * answers GET /api/v1/catalog/items from the runtime's `catalog` global table, English and Thai names alike, and an
 * item produced to the catalog topic afterwards is found once the table's tail has read it. No sink: the search
 * reads no Postgres table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import t from 'tap';
import { referenceData } from '../../bin/demo-feed.js';
import type { Product } from '../../processors/domain/types.js';
import { devToken } from '../../query-service/auth.js';
import { Topics } from '../../topology/topics.js';
import { freePort } from '../free-port.js';
import { DATABASE_URL, freshSchema, withSchema } from '../postgres/harness.js';
import { BROKERS, createPipelineTopics, jsonRecord, produce, requireKafka, testClient, uniqueName } from './harness.js';

const OMNIA = resolve('dist/bin/omnia.js');
const SECRET = 'catalog-search-secret-of-32-bytes-or-more';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const product = (ItemID: string, ShortDescription: string, UnitPrice: string): Product => ({
  ItemID,
  ShortDescription,
  ImageURL: null,
  UnitPrice,
  TaxRate: '0.0700',
});

t.test('the item search on Kafka reads the runtime’s catalog table, and sees it change', async (t) => {
  if (!(await requireKafka(t))) return;
  const db = await freshSchema(t);
  if (!db) return;
  const schema = (await db.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  const client = testClient();
  const app = uniqueName('catalog-search');
  const prefix = `${app}.`;
  const stateDir = `.state/test-${app}`;
  await createPipelineTopics(client, prefix, 2);
  const catalogTopic = prefix + Topics.catalog;
  await produce(client, [
    ...referenceData(10).map((entry) => jsonRecord(prefix + entry.topic, entry.key, entry.value, 1)),
    jsonRecord(catalogTopic, 'TH-301', product('TH-301', 'ข้าวมันไก่ต้ม', '50.0000'), 1),
  ]);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  let replica: ChildProcess | undefined;
  t.teardown(async () => {
    replica?.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
    if (!t.passing()) t.comment(`replica's last output:\n${output.slice(-6000)}`);
  });
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [OMNIA, 'start'], {
      env: {
        ...process.env,
        KAFKA_BROKERS: BROKERS.join(','),
        DATABASE_URL: withSchema(DATABASE_URL, schema),
        OMNIA_APPLICATION_ID: app,
        OMNIA_INSTANCE_ID: `${app}-0`,
        OMNIA_STATE_DIR: stateDir,
        OMNIA_TOPIC_PREFIX: prefix,
        PORT: String(port),
        OMNIA_QUERY_HOST: '127.0.0.1',
        OMNIA_JWT_SECRET: SECRET,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    replica = child;
    const onExit = (code: number | null) => reject(new Error(`omnia start exited (${code}) before serving:\n${output.slice(-4000)}`));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('omnia: query service on')) {
        child.off('exit', onExit);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', onExit);
  });

  const token = devToken({ algorithm: 'HS256', secret: SECRET }, { sub: 'promo-1', roles: ['bundle_manager'], expiresInSeconds: 600 });
  const search = async (query: string) => {
    const response = await fetch(`${url}/api/v1/catalog/items?${query}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as { items?: Array<{ itemId: string }>; error?: { code: string } } };
  };
  /** The item IDs `q` finds, once the table answers (503 while it loads) and finds `expected`'s first. */
  const found = async (q: string, expected?: string): Promise<string[]> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const answer = await search(`q=${encodeURIComponent(q)}`);
      const ids = answer.body.items?.map((item) => item.itemId);
      if (answer.status === 200 && ids && (expected === undefined || ids[0] === expected)) return ids;
      if (Date.now() > deadline) throw new Error(`q=${q}: ${answer.status} ${JSON.stringify(answer.body)}`);
      await sleep(200);
    }
  };

  t.same(await found('chips', 'SKU-105'), ['SKU-105'], 'an English name, from the catalog topic');
  t.same(await found('sku-10'), ['SKU-100', 'SKU-101', 'SKU-102', 'SKU-103', 'SKU-104', 'SKU-105', 'SKU-106', 'SKU-107'], 'by number');
  t.same(await found('มันไก่'), ['TH-301'], 'a Thai name');

  await produce(client, [jsonRecord(catalogTopic, 'TH-302', product('TH-302', 'ชาไทยเย็น 500 มล.', '25.0000'), 1)]);
  t.same(await found('ชาไทย', 'TH-302'), ['TH-302'], 'an item produced since is found once the table has it');

  const refused = await search('q=&limit=51');
  t.equal(refused.status, 400);
  t.equal(refused.body.error?.code, 'VALIDATION_FAILED');
});
