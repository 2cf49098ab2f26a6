/**
 * The store-app bench's board clients, a child process of bench/store-app.ts (so that receiving thousands of
 * events a second does not delay the measuring process, nor the other way round): one `GET /api/v1/events?store=`
 * stream per client, over node:http with a socket each, as a store manager's board holds it (bearer token of a
 * `store_manager` of that one store). Each `event: status` is recorded with the wall-clock time its chunk
 * arrived, its id (`<partition>-<offset>`) and its data's `at`, `toStatus` and `orderId`; the bench matches
 * them with the commits afterwards.
 *
 * IPC: tells `connected` once every stream has opened (its `: connected` comment); answers `count`; on
 * `stop` writes everything it recorded to the file named and says `written`.
 *
 * Env: BENCH_PORT, BENCH_STORES (comma-separated, one per client).
 */
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import { devToken } from '../../query-service/auth.js';
import type { StatusEventData } from '../../query-service/events-routes.js';
import { AUTH, type BenchToBoard, type BoardClientReport, type BoardMessage, type Delivery, HOST } from './common.js';

const port = Number(process.env.BENCH_PORT);
const stores = process.env.BENCH_STORES!.split(',');

const tell = (message: BoardMessage) => new Promise<void>((resolve) => process.send!(message, () => resolve()));

const deliveries: Delivery[] = [];
let stopping = false;

interface Board {
  report: BoardClientReport;
  response?: http.IncomingMessage;
  request?: http.ClientRequest;
}

/** Opens client `index`'s stream; resolves once it is open (or refused). */
function connect(index: number, store: string): Promise<Board> {
  const token = devToken(AUTH, { sub: `manager-${store}-${index}`, roles: ['store_manager'], stores: [store], expiresInSeconds: 3600 });
  const board: Board = { report: { store, status: 0, deliveries: 0, overflows: 0, resets: 0, endedEarly: false } };
  return new Promise((resolve) => {
    let opened = false;
    const open = () => {
      if (!opened) resolve(board);
      opened = true;
    };
    board.request = http.get(
      {
        host: HOST,
        port,
        path: `/api/v1/events?store=${encodeURIComponent(store)}`,
        headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
        agent: false,
      },
      (response) => {
        board.response = response;
        board.report.status = response.statusCode ?? 0;
        if (board.report.status !== 200) {
          response.resume();
          open();
          return;
        }
        response.setEncoding('utf8');
        let buffer = '';
        response.on('data', (chunk: string) => {
          const receivedAt = Date.now();
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            let id = '';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) {
                if (line.startsWith(': connected')) open();
                continue;
              }
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'event') event = value;
              else if (field === 'id') id = value;
              else if (field === 'data') data += value;
            }
            if (event === 'status') {
              const change = JSON.parse(data) as StatusEventData;
              const dash = id.indexOf('-');
              deliveries.push([
                index,
                Number(id.slice(0, dash)),
                Number(id.slice(dash + 1)),
                change.toStatus,
                Date.parse(change.at),
                receivedAt,
                change.orderId,
              ]);
              board.report.deliveries++;
            } else if (event === 'overflow') board.report.overflows++;
            else if (event === 'reset') board.report.resets++;
          }
        });
        response.on('close', () => {
          if (!stopping) board.report.endedEarly = true;
          open();
        });
        response.on('error', () => undefined);
      },
    );
    board.request.on('error', () => {
      if (!stopping) board.report.endedEarly = true;
      open();
    });
  });
}

const boards = await Promise.all(stores.map((store, index) => connect(index, store)));
await tell({
  type: 'connected',
  clients: boards.filter((board) => board.report.status === 200 && !board.report.endedEarly).length,
  failed: boards.filter((board) => board.report.status !== 200 || board.report.endedEarly).length,
});

process.on('message', (message: BenchToBoard) => {
  if (message.type === 'count') void tell({ type: 'count', deliveries: deliveries.length });
  else if (message.type === 'stop') {
    stopping = true;
    for (const board of boards) board.response?.destroy();
    void (async () => {
      await writeFile(message.file, JSON.stringify({ clients: boards.map((board) => board.report), deliveries }));
      await tell({ type: 'written' });
      process.disconnect();
    })();
  }
});
process.on('SIGTERM', () => process.exit(0));
