// ci: alone (a private TLS broker of its own; scripts/test.mjs runs it with no other broker test beside it)
/**
 * Kafka over TLS with SASL/SCRAM, on a broker of the test's own (scripts/kafka-secure.sh, in a temporary dir on
 * free ports: SASL_SSL with SCRAM users made at format time, and an SSL listener that requires a client
 * certificate; the PLAINTEXT broker of the rest of the suite is not touched):
 *
 *   - `omnia start` (runtime and query service), `omnia sink` and `omnia connectors` run through SASL_SSL with
 *     nothing but the KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* / KAFKA_SSL_* settings; an order produced by a
 *     client configured the same way is released (read back read_committed), answered by the query service,
 *     written by the sink and sent to Slick by the connectors;
 *   - a wrong password: `omnia start` exits non-zero saying which settings to check; SASL without a password is
 *     refused before connecting;
 *   - a client without TLS, and one that does not trust the broker's CA, cannot connect, each told why;
 *   - the SSL listener takes a client with the certificate and refuses one without.
 *
 * Needs java and openssl (and the broker jars, or mvn to fetch them); without them it skips, naming what to
 * install, and under CI=true it fails.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import { devToken } from '../../query-service/auth.js';
import { kafkaConnection, loadKafkaSecurity } from '../../topology/kafka/connection.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { explainKafkaFailure, type KafkaConnectionOptions } from '../../topology/kafka/security.js';
import { Topics } from '../../topology/topics.js';
import { freePort } from '../free-port.js';
import { DATABASE_URL, freshSchema, withSchema } from '../postgres/harness.js';
import { SinkProcess } from '../sink/harness.js';
import { createPipelineTopics, jsonRecord, produce, readAll, uniqueName, waitFor } from './harness.js';

const OMNIA = resolve('dist/bin/omnia.js');
const SCRIPT = resolve('scripts/kafka-secure.sh');
const JWT_SECRET = 'sasl-ssl-test-secret-of-at-least-32-bytes!';
const PARTITIONS = 2;

const onPath = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** What the secure broker needs; the missing ones, with what installs them. */
function missingTools(): string[] {
  const jars = existsSync(join(process.env.OMNIA_KAFKA_DIR ?? '.kafka', 'libs', '.complete'));
  return [
    ...(onPath('java') ? [] : ['java (apt-get install default-jre-headless)']),
    ...(onPath('openssl') ? [] : ['openssl (apt-get install openssl)']),
    ...(jars || onPath('mvn') ? [] : ['mvn to fetch the broker jars (apt-get install maven)']),
  ];
}

/** The process environment without any Kafka setting of the runner's own. */
const baseEnv = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter(([key, value]) => !key.startsWith('KAFKA_') && value !== undefined)) as Record<
    string,
    string
  >;

const parseEnvFile = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

interface Child {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startChild(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, [OMNIA, ...args], { env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, output: () => output, exited };
}

async function until(child: Child, marker: string, timeoutMs = 60_000): Promise<void> {
  await Promise.race([
    waitFor(`"${marker}"`, () => child.output().includes(marker), timeoutMs),
    child.exited.then((code) => {
      if (!child.output().includes(marker)) throw new Error(`exited (${code}) before "${marker}": ${child.output()}`);
    }),
  ]).catch((error: Error) => {
    throw new Error(`${error.message}\n${child.output().slice(-4000)}`);
  });
}

/** The error of connecting with `connection`, or undefined when it connects. */
async function connectError(brokers: string[], connection: KafkaConnectionOptions): Promise<unknown> {
  const admin = new PlatformaticClient(brokers, 'omnia-test-refused', connection).admin();
  try {
    await admin.listTopics();
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

t.test('Kafka over SASL_SSL (SCRAM) and SSL with a client certificate, end to end; refusals explained', async (t) => {
  const started = Date.now();
  const missing = missingTools();
  if (missing.length) {
    const message = `the SASL_SSL broker needs ${missing.join(', ')}`;
    if (process.env.CI) t.fail(message);
    else t.comment(`SKIPPED: ${message}`);
    return;
  }

  // ------------------------------------------------------------------------------------------- the broker
  const dir = await mkdtemp(join(tmpdir(), 'omnia-kafka-secure-'));
  const [saslPort, sslPort, controllerPort] = [await freePort(), await freePort(), await freePort()];
  const scriptEnv = {
    ...process.env,
    OMNIA_KAFKA_SECURE_DIR: dir,
    OMNIA_KAFKA_SASL_SSL_PORT: String(saslPort),
    OMNIA_KAFKA_SSL_PORT: String(sslPort),
    OMNIA_KAFKA_SECURE_CONTROLLER_PORT: String(controllerPort),
  };
  const script = (command: string) =>
    new Promise<string>((resolve, reject) =>
      execFile('bash', [SCRIPT, command], { env: scriptEnv, timeout: 240_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`kafka-secure.sh ${command}: ${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
      ),
    );
  const children: Child[] = [];
  t.teardown(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await script('stop').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  t.comment((await script('start')).trim());
  t.comment(`broker up ${((Date.now() - started) / 1000).toFixed(1)} s after the start`);

  const sasl = parseEnvFile(await readFile(join(dir, 'client.env'), 'utf8'));
  const ssl = parseEnvFile(await readFile(join(dir, 'client-ssl.env'), 'utf8'));
  const saslBrokers = [`127.0.0.1:${saslPort}`];
  const sslBrokers = [`127.0.0.1:${sslPort}`];
  t.equal(sasl.KAFKA_BROKERS, saslBrokers[0]);
  t.equal(sasl.KAFKA_SECURITY_PROTOCOL, 'SASL_SSL');
  // A client configured by the settings alone, as every process is (SCRAM-SHA-512 here).
  const client = new PlatformaticClient(saslBrokers, 'omnia-test-secure', kafkaConnection(saslBrokers, sasl));

  // --------------------------------------------------------------------- the pipeline's processes on SASL_SSL
  const app = uniqueName('secure');
  const prefix = `${app}.`;
  const name = (topic: string) => prefix + topic;
  await createPipelineTopics(client, prefix, PARTITIONS);
  await produce(
    client,
    referenceData(50).map((entry) => jsonRecord(name(entry.topic), entry.key, entry.value, 1)),
  );
  // The processes use the other SCRAM mechanism: both are set up for the user.
  const processEnv = { ...sasl, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', OMNIA_APPLICATION_ID: app, OMNIA_TOPIC_PREFIX: prefix };

  const admin = await freshSchema(t);
  const schema = admin ? (await admin.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema : undefined;
  const databaseUrl = schema ? withSchema(DATABASE_URL, schema) : undefined;
  if (!databaseUrl) t.comment('no PostgreSQL: the query service and the sink are left out');

  const slickReleases: string[] = [];
  const slick = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/v1/releases') slickReleases.push(body);
      response.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => slick.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => slick.close(() => resolve())));

  const queryPort = await freePort();
  const stateDir = `.state/test-${app}`;
  t.teardown(async () => {
    for (const dir of [stateDir, `${stateDir}-intruder`]) await rm(dir, { recursive: true, force: true });
  });
  const omnia = startChild(['start'], {
    ...processEnv,
    OMNIA_STATE_DIR: stateDir,
    OMNIA_LOG_LEVEL: 'info',
    ...(databaseUrl
      ? { DATABASE_URL: databaseUrl, PORT: String(queryPort), OMNIA_QUERY_HOST: '127.0.0.1', OMNIA_JWT_SECRET: JWT_SECRET }
      : { DATABASE_URL: '' }),
  });
  const connectors = startChild(['connectors'], {
    ...processEnv,
    OMNIA_SLICK_WEBHOOK_SECRET: 'slick-webhook-secret-of-at-least-32-bytes',
    OMNIA_GRAB_WEBHOOK_SECRET: 'grab-webhook-secret-of-at-least-32-bytes!',
    OMNIA_PMP_WEBHOOK_SECRET: 'pmp-webhook-secret-of-at-least-32-bytes!!',
    OMNIA_WEBHOOK_PORT: String(await freePort()),
    OMNIA_WEBHOOK_HOST: '127.0.0.1',
    SLICK_BASE_URL: `http://127.0.0.1:${(slick.address() as AddressInfo).port}`,
    SLICK_TOKEN: 'slick-token',
    OMNIA_SLICK_PORT: String(await freePort()),
    OMNIA_SLICK_HOST: '127.0.0.1',
  });
  children.push(omnia, connectors);
  const sink = databaseUrl ? SinkProcess.forApp(app, databaseUrl, processEnv) : undefined;
  if (sink) t.teardown(() => sink.kill());
  await Promise.all([
    until(omnia, databaseUrl ? 'query service on' : 'omnia: running on'),
    until(connectors, 'omnia connectors: webhooks on'),
    sink?.start().then(() =>
      waitFor('the sink to start', () => sink.output.includes('topics → Postgres'), 60_000).catch((error: Error) => {
        throw new Error(`${error.message}: ${sink.output}`);
      }),
    ),
  ]);
  t.match(omnia.output(), /"kafkaSecurity":"SASL_SSL, SCRAM-SHA-256 as omnia, trusting [^"]*ca\.pem"/, 'omnia start says how it connects');
  t.comment(`processes up ${((Date.now() - started) / 1000).toFixed(1)} s after the start`);

  const order = Array.from({ length: 50 }, (_, n) => demoOrder(n, new Date(), { stores: 5, customers: 50, seed: 11 })).find(
    (candidate) => candidate.IsForceAllocation,
  )!;
  await produce(client, [jsonRecord(name(Topics.orderCreate), order.ShipFromLocationID, order, PARTITIONS)]);

  // The release, read back read_committed through SASL_SSL.
  let releases: Array<{ OrderID: string }> = [];
  await waitFor(
    'the release',
    async () =>
      (releases = (await readAll(client, name(Topics.release))).map(
        (record) => JSON.parse(record.value!.toString()) as { OrderID: string },
      )).length > 0,
    60_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${omnia.output().slice(-4000)}`);
  });
  t.same(
    releases.map((release) => release.OrderID),
    [order.OrderID],
    'the order is released, once, committed',
  );
  await waitFor(
    'Slick to be sent the release by omnia connectors',
    () => slickReleases.some((body) => body.includes(order.OrderID)),
    60_000,
  );
  t.pass('omnia connectors read the release and sent it to Slick');
  if (databaseUrl && admin) {
    const token = devToken({ algorithm: 'HS256', secret: JWT_SECRET }, { roles: ['regional_coordinator'] });
    const lookup = await fetch(`http://127.0.0.1:${queryPort}/api/v1/orders/${order.OrderID}?store=${order.ShipFromLocationID}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    t.equal(lookup.status, 200);
    t.match(
      await lookup.json(),
      { source: 'local-state', order: { orderId: order.OrderID, status: 3000 } },
      'the query service answers it',
    );
    await waitFor(
      'the sink to write the order',
      async () => (await admin.query(`SELECT status FROM ${schema}.orders WHERE order_id = $1`, [order.OrderID])).rows[0]?.status === 3000,
      60_000,
    );
    t.pass('omnia sink wrote it to Postgres');
  }

  // ----------------------------------------------- refusals, and SSL with a client certificate (all at once)
  const wrongPassword = startChild(['start'], {
    ...processEnv,
    KAFKA_SASL_PASSWORD: 'not-the-password',
    OMNIA_APPLICATION_ID: `${app}-intruder`,
    OMNIA_STATE_DIR: `${stateDir}-intruder`,
    DATABASE_URL: '',
  });
  const noPassword = startChild(['start'], { ...processEnv, KAFKA_SASL_PASSWORD: '', DATABASE_URL: '' });
  children.push(wrongPassword, noPassword);
  const withoutCertificateSettings = { ...ssl, KAFKA_SSL_CERT_FILE: '', KAFKA_SSL_KEY_FILE: '' };
  const withCertificate = new PlatformaticClient(sslBrokers, 'omnia-test-mtls', kafkaConnection(sslBrokers, ssl));
  const [wrongExit, noPasswordExit, withoutTls, saslWithoutTls, untrusted, withoutCertificate, overSsl] = await Promise.all([
    Promise.race([wrongPassword.exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 60_000).unref())]),
    noPassword.exited,
    connectError(saslBrokers, {}),
    connectError(saslBrokers, kafkaConnection(saslBrokers, { ...sasl, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SSL_CA_FILE: '' })),
    connectError(saslBrokers, kafkaConnection(saslBrokers, { ...sasl, KAFKA_SSL_CA_FILE: '' })),
    connectError(sslBrokers, kafkaConnection(sslBrokers, withoutCertificateSettings)),
    readAll(withCertificate, name(Topics.release)),
  ]);

  t.not(wrongExit, 'running', 'omnia start with a wrong password ends');
  t.not(wrongExit, 0, 'with a failure');
  t.match(
    wrongPassword.output(),
    /refused the credentials of user \\?"omnia\\?" \(SCRAM-SHA-256\): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    'and says which settings to check',
  );
  t.not(noPasswordExit, 0, 'SASL without a password does not start');
  t.match(noPassword.output(), /KAFKA_SECURITY_PROTOCOL=SASL_SSL needs KAFKA_SASL_PASSWORD/);

  t.ok(withoutTls, 'a client without TLS (PLAINTEXT) cannot connect to the SASL_SSL listener');
  t.match(
    explainKafkaFailure(withoutTls, loadKafkaSecurity({}), saslBrokers),
    /closed the connection at once: its listener may expect TLS or SASL/,
    'and is told to look at KAFKA_SECURITY_PROTOCOL',
  );
  t.ok(saslWithoutTls, 'nor can SASL without TLS (SASL_PLAINTEXT)');
  t.ok(untrusted, 'a client that does not trust the broker’s CA cannot connect');
  t.match(
    explainKafkaFailure(untrusted, loadKafkaSecurity(sasl), saslBrokers),
    /is not trusted .*set KAFKA_SSL_CA_FILE/,
    'and is told which setting to set',
  );

  t.same(
    overSsl.map((record) => (JSON.parse(record.value!.toString()) as { OrderID: string }).OrderID),
    [order.OrderID],
    'a client with the certificate reads the same release over the SSL listener',
  );
  t.ok(withoutCertificate, 'a client without a certificate is refused by the SSL listener');
  t.match(
    explainKafkaFailure(withoutCertificate, loadKafkaSecurity(withoutCertificateSettings), sslBrokers),
    /client certificate \(set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE\)/,
  );
  t.comment(`done ${((Date.now() - started) / 1000).toFixed(1)} s after the start`);
});
