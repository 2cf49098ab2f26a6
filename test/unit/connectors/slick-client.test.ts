// The Slick client's per-call policies over real HTTP: the bulkhead bounds the calls in flight (the rest wait
// their turn), and the timeout aborts a call Slick does not answer — counted from when the call starts, not from
// when it joined the queue.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { SlickCallError, SlickClient } from '../../../connectors/slick-client.js';
import { examples } from '../avro/examples.js';

/** A Slick that answers 201 after `delayMs` (or never, when `delayMs` is null), counting calls in flight. */
async function slowSlick(t: { teardown(fn: () => Promise<void>): void }, delayMs: number | null) {
  const state = { inFlight: 0, maxInFlight: 0, calls: 0 };
  const open = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    state.calls++;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    open.add(response);
    const done = () => {
      if (!open.delete(response)) return;
      state.inFlight--;
    };
    request.resume();
    response.on('close', done);
    if (delayMs !== null) setTimeout(() => response.writeHead(201, { 'content-type': 'application/json' }).end('{}'), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const response of open) response.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state };
}

const release = (n: number) => ({ ...examples.Release, ReleaseID: `REL-${n}` });

t.test('bulkhead: at most maxConcurrentCalls in flight; the others wait and all get through', async (t) => {
  const slick = await slowSlick(t, 60);
  const client = new SlickClient({ baseUrl: slick.url, token: 'x', timeoutMs: 2_000, maxConcurrentCalls: 2 });
  const answers = await Promise.all(Array.from({ length: 6 }, (_, n) => client.sendRelease(release(n))));
  t.same(
    answers.map((a) => a.outcome),
    Array(6).fill('ACCEPTED'),
    'every call answered',
  );
  t.equal(slick.state.calls, 6);
  t.equal(slick.state.maxInFlight, 2, 'never more than 2 at Slick at once');
  t.equal(client.bulkhead.executionSlots, 2, 'slots free again');

  const unbounded = new SlickClient({ baseUrl: slick.url, token: 'x', timeoutMs: 2_000, maxConcurrentCalls: 16 });
  slick.state.maxInFlight = 0;
  await Promise.all(Array.from({ length: 6 }, (_, n) => unbounded.sendRelease(release(n))));
  t.equal(slick.state.maxInFlight, 6, 'with room for them, all 6 at once');
  t.throws(() => new SlickClient({ baseUrl: slick.url, token: 'x', timeoutMs: 1, maxConcurrentCalls: 0 }), /maxConcurrentCalls/);
});

t.test(
  'timeout: a call Slick does not answer fails after timeoutMs as a partner fault without a status; waiting for a slot does not count',
  async (t) => {
    const silent = await slowSlick(t, null);
    const client = new SlickClient({ baseUrl: silent.url, token: 'x', timeoutMs: 150 });
    const started = Date.now();
    const error = await client.sendRelease(release(1)).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    t.ok(error instanceof SlickCallError, 'a SlickCallError');
    t.match(error, { status: null, partnerFault: true, message: 'no answer within 150 ms' });
    t.ok(elapsed >= 140 && elapsed < 1_000, `fired after the timeout (${elapsed} ms)`);

    // One slot, calls of 150 ms, a timeout of 250 ms: the second call waits 150 ms for the slot, then has its own 250 ms.
    const slow = await slowSlick(t, 150);
    const single = new SlickClient({ baseUrl: slow.url, token: 'x', timeoutMs: 250, maxConcurrentCalls: 1 });
    const answers = await Promise.all([single.sendRelease(release(1)), single.sendRelease(release(2))]);
    t.same(
      answers.map((a) => a.status),
      [201, 201],
      'both answered: the queue wait is not part of the call',
    );
  },
);
