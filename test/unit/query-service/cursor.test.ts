/**
 * Search cursors are MACed with OMNIA_SEARCH_CURSOR_KEY, or without one with a random key of the process: a key
 * in the code would let anyone make cursors. Replicas that share the key accept each other's cursors; a process
 * with its own key refuses every other's.
 */
import { createHmac } from 'node:crypto';
import t from 'tap';
import { CursorError, decodeCursor, encodeCursor, filterDigest } from '../../../query-service/cursor.js';

const position = { createdAt: '2026-11-21T09:00:00.123456Z', orderId: 'O-1' };
const FILTERS = 'status=3000';
const SHARED = 'cursor-key-shared-by-the-replicas-0123456789';

const refused = (decode: () => unknown) => {
  try {
    decode();
    return undefined;
  } catch (error) {
    return error instanceof CursorError ? error.reason : error;
  }
};

t.test('without a key: this process reads its own cursors', async (t) => {
  t.same(decodeCursor(encodeCursor(position, FILTERS), FILTERS), position);
});

t.test('the key is no constant of the code: a cursor MACed with the old built-in key is refused', async (t) => {
  const payload = Buffer.from(JSON.stringify([1, position.createdAt, position.orderId, filterDigest(FILTERS)]), 'utf8');
  const mac = createHmac('sha256', 'omnia-search-cursor-v1').update(payload).digest().subarray(0, 16);
  const forged = Buffer.concat([mac, payload]).toString('base64url');
  t.equal(
    refused(() => decodeCursor(forged, FILTERS)),
    'malformed',
  );
});

t.test('another process has another key: neither reads the other’s cursors', async (t) => {
  // A second instance of the module, as another process would load it.
  const specifier = '../../../query-service/cursor.js?process=2';
  const other = (await import(specifier)) as typeof import('../../../query-service/cursor.js');
  const theirs = other.encodeCursor(position, FILTERS);
  t.same(other.decodeCursor(theirs, FILTERS), position, 'it reads its own');
  t.equal(
    refused(() => decodeCursor(theirs, FILTERS)),
    'malformed',
    'this one refuses it',
  );
});

t.test('with OMNIA_SEARCH_CURSOR_KEY: every replica with the key reads the cursor; one with another key does not', async (t) => {
  const cursor = encodeCursor(position, FILTERS, SHARED);
  t.same(decodeCursor(cursor, FILTERS, SHARED), position);
  t.equal(
    refused(() => decodeCursor(cursor, FILTERS)),
    'malformed',
    'the process key is not the shared one',
  );
  t.equal(
    refused(() => decodeCursor(cursor, FILTERS, `${SHARED}-rotated`)),
    'malformed',
  );
});
