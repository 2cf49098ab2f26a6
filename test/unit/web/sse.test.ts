import t from 'tap';
import { createSseParser, reconnectDelay } from '../../../web/src/logic/sse.js';

const status = (orderId: string) =>
  JSON.stringify({
    orderId,
    shipFromLocationId: 'S001',
    fromStatus: 1000,
    toStatus: 2000,
    reason: 'r',
    source: 's',
    at: '2026-01-01T00:00:00.000Z',
  });

t.test('the service stream: retry, comments, status events with ids', async (t) => {
  const parser = createSseParser();
  const out = parser.push(`retry: 3000\n: connected\n\nevent: status\nid: 3-1187\ndata: ${status('O-1')}\n\n: ping\n\n`);
  t.equal(out.length, 1);
  t.equal(out[0]!.event, 'status');
  t.equal(out[0]!.id, '3-1187');
  t.equal(JSON.parse(out[0]!.data).orderId, 'O-1');
  t.equal(parser.retryMs, 3000);
  t.equal(parser.lastEventId, '3-1187');
  t.equal(parser.comments, 2);
});

t.test('messages split anywhere across chunks, CRLF split between chunks', async (t) => {
  const text = `event: status\r\nid: 1-1\r\ndata: ${status('O-1')}\r\n\r\nevent: status\r\nid: 1-2\r\ndata: ${status('O-2')}\r\n\r\n`;
  for (let size = 1; size <= 7; size++) {
    const parser = createSseParser();
    const out = [];
    for (let i = 0; i < text.length; i += size) out.push(...parser.push(text.slice(i, i + size)));
    t.same(
      out.map((message) => [message.event, message.id, JSON.parse(message.data).orderId]),
      [
        ['status', '1-1', 'O-1'],
        ['status', '1-2', 'O-2'],
      ],
      `chunks of ${size}`,
    );
  }
});

t.test('field rules of the standard', async (t) => {
  const parser = createSseParser('0-9');
  t.equal(parser.lastEventId, '0-9', 'starts from the id resumed from');
  const out = parser.push('\uFEFFdata: a\ndata:b\ndata\n\nevent: x\n\ndata: c\rid: 2\0\r\r' + 'id\ndata: d\n\nretry: soon\n');
  t.same(
    out.map((m) => [m.event, m.data, m.id]),
    [
      ['message', 'a\nb\n', '0-9'],
      ['message', 'c', '0-9'],
      ['message', 'd', ''],
    ],
    'BOM dropped; data lines joined; a block without data is no message; an id with NUL is ignored; an empty id clears it',
  );
  t.equal(parser.retryMs, undefined, 'retry takes digits only');
  t.same(parser.push(''), []);
});

t.test('an unfinished message is held until its blank line', async (t) => {
  const parser = createSseParser();
  t.same(parser.push('event: status\ndata: {"a":1}\n'), []);
  t.same(parser.push('\n'), [{ event: 'status', data: '{"a":1}', id: '' }]);
});

t.test('reconnect delays double up to the cap, with jitter in the upper half', async (t) => {
  t.equal(reconnectDelay(0, 1000, 30_000, 0), 500);
  t.equal(reconnectDelay(0, 1000, 30_000, 1), 1000);
  t.equal(reconnectDelay(3, 1000, 30_000, 1), 8000);
  t.equal(reconnectDelay(10, 1000, 30_000, 1), 30_000);
  t.equal(reconnectDelay(100, 1000, 30_000, 0), 15_000);
});
