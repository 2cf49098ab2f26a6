import { createServer } from 'node:net';

/**
 * Ports handed out are taken from below Linux's ephemeral range (32768–60999): a port the OS picked for `listen(0)`
 * can be given again, a moment later, to an outgoing connection (a Kafka client's), and the server the test then
 * starts on it fails with EADDRINUSE. Random, tried, and never the same twice in one process.
 */
const LOW = 20_000;
const HIGH = 32_000;
const handedOut = new Set<number>();

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port nothing listens on now, for a server a test starts (or a child process it spawns). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port)) continue;
    if (await tryListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} after 200 tries`);
}
