/**
 * The embedded default is a demo: it must not take a configured database, hand out tokens signed with a configured
 * secret, or listen beyond this machine unless asked.
 */
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import t from 'tap';
import { startEmbedded } from '../../bin/embedded.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import { freePort } from '../free-port.js';

/** Whether something accepts a TCP connection at host:port. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

t.test('a DATABASE_URL without OMNIA_DEMO_USE_DATABASE is refused before anything connects to it', async (t) => {
  // Nothing listens on this port: a refusal that came from connecting would say so instead.
  const url = `postgres://analyst:secret@127.0.0.1:${await freePort()}/warehouse`;
  await t.rejects(
    startEmbedded({ demoFeed: false, log: () => undefined, env: { PORT: String(await freePort()), DATABASE_URL: url } }),
    /DATABASE_URL is set \(postgres:\/\/127\.0\.0\.1:\d+\/warehouse\).*OMNIA_DEMO_USE_DATABASE=true/,
    'refused, naming the database (without its password) and the three ways on',
  );
});

t.test('with a configured JWT secret: no demo token, and the query service listens on loopback only', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const port = await freePort();
  const embedded = await startEmbedded({
    db,
    demoFeed: false,
    log: () => undefined,
    env: { PORT: String(port), OMNIA_JWT_SECRET: 'a-configured-production-secret-of-enough-length' },
  });
  t.teardown(() => embedded.stop());
  t.equal(embedded.query.devToken, undefined, 'no admin token signed with the configured secret');
  t.equal(embedded.query.devAuth, undefined, 'nor the secret handed out to sign others');
  t.equal(await accepts('127.0.0.1', port), true, 'answers on loopback');
  const outside = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal);
  t.ok(outside, 'this machine has a non-loopback address to try from');
  if (outside) t.equal(await accepts(outside.address, port), false, `refuses on ${outside.address}`);
});

t.test('without a configured key: the demo token of this process', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const embedded = await startEmbedded({ db, demoFeed: false, log: () => undefined, env: { PORT: String(await freePort()) } });
  t.teardown(() => embedded.stop());
  t.type(embedded.query.devToken, 'string', 'an admin token is printed');
  const answer = await fetch(`${embedded.query.url}/api/v1/region/pipeline`, {
    headers: { authorization: `Bearer ${embedded.query.devToken}` },
  });
  t.equal(answer.status, 200, 'and it works');
});
