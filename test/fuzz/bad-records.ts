/**
 * Bad input for every topic the order topology reads, generated from a seed: bytes that are not JSON, JSON that
 * is not a record, records with wrong types, money with 5 decimals, negative quantities, unknown enum values, huge
 * strings and arrays, deep nesting, Avro framed with a schema id nobody registered. Each record names its category
 * and, where the contract fixes it, the dead-letter code it must get.
 */
import { demoOrder } from '../../bin/demo-feed.js';
import { MALFORMED_RECORD } from '../../runtime/dead-letter.js';
import { ErrorCode } from '../../processors/domain/types.js';
import { Topics } from '../../topology/topics.js';

export interface BadRecord {
  /** Topic without the environment prefix. */
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
  readonly category: string;
  /** The code its dead letter must carry; undefined: any code, as long as it is dead-lettered. */
  readonly code: string | undefined;
  /**
   * A record valid in form that the pipeline refuses as an order (a validation record with Valid false and this
   * code, the order cancelled) rather than dead-letters: the contract's COD checks, for one.
   */
  readonly refused?: { readonly orderId: string; readonly code: string };
}

/** mulberry32: the same records for the same seed, on any machine. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
/** A record whose field nests arrays `depth` deep, as text (JSON.stringify itself gives up long before). */
const nested = (n: number, depth: number) => Buffer.from(`{"OrderID":"FUZZ-${n}","Deep":${'['.repeat(depth)}${']'.repeat(depth)}}`);
/** Confluent wire format (magic 0, a 4-byte schema id) with an id no registry holds, then arbitrary bytes. */
const confluentFramed = (next: () => number) =>
  Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xfe]), Buffer.from(Array.from({ length: 40 }, () => Math.floor(next() * 256)))]);
/** JSON text but for bytes that are not UTF-8 (each record different: an identical resend would be absorbed). */
const invalidUtf8 = (n: number) =>
  Buffer.concat([Buffer.from(`{"OrderID":"FUZZ-${n}-`), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]);

type Maker = (n: number, next: () => number) => Omit<BadRecord, 'category'>;

/** Broken in ways every topic shares: nothing here can be read as a record at all. */
const undecodable = (topic: string): Record<string, Maker> => ({
  truncated: (n, next) => {
    const whole = JSON.stringify({ OrderID: `FUZZ-${n}`, ShipFromLocationID: 'QC0001', Note: 'x'.repeat(40) });
    return {
      topic,
      key: 'QC0001',
      value: Buffer.from(whole.slice(0, 1 + Math.floor(next() * (whole.length - 2)))),
      code: MALFORMED_RECORD,
    };
  },
  'invalid-utf8': (n) => ({ topic, key: 'QC0001', value: invalidUtf8(n), code: MALFORMED_RECORD }),
  'not-an-object': (n) => ({
    topic,
    key: 'QC0001',
    value: Buffer.from(['[1,2]', '42', '"text"', 'null', 'true'][n % 5]!),
    code: MALFORMED_RECORD,
  }),
  'avro-unknown-schema-id': (_n, next) => ({ topic, key: 'QC0001', value: confluentFramed(next), code: MALFORMED_RECORD }),
  'deep-nesting': (n) => ({ topic, key: 'QC0001', value: nested(n, 50_000), code: undefined }),
});

/** Orders that decode but break the contract's rules. */
const badOrders: Record<string, Maker> = {
  'wrong-types': (n) => {
    const order = demoOrder(n, new Date(), { stores: 4, customers: 50, invalidShare: 0, seed: 11 }) as unknown as Record<
      string,
      unknown
    > & {
      OrderLines: Array<Record<string, unknown>>;
    };
    order.OrderID = `FUZZ-TYPES-${n}`;
    order.OrderLines[0]!.Quantity = String(order.OrderLines[0]!.Quantity);
    return { topic: Topics.orderCreate, key: order.ShipFromLocationID as string, value: json(order), code: ErrorCode.InvalidLine };
  },
  'money-5-decimals': (n) => {
    const order = demoOrder(n, new Date(), { stores: 4, customers: 50, invalidShare: 0, seed: 12 });
    order.OrderID = `FUZZ-MONEY-${n}`;
    order.OrderLines[0]!.UnitPrice = '12.34567';
    return { topic: Topics.orderCreate, key: order.ShipFromLocationID, value: json(order), code: ErrorCode.InvalidLine };
  },
  'negative-quantity': (n) => {
    const order = demoOrder(n, new Date(), { stores: 4, customers: 50, invalidShare: 0, seed: 13 });
    order.OrderID = `FUZZ-QTY-${n}`;
    order.OrderLines[0]!.Quantity = -1 - (n % 5);
    return { topic: Topics.orderCreate, key: order.ShipFromLocationID, value: json(order), code: ErrorCode.InvalidLine };
  },
  'unknown-enum': (n) => {
    const order = demoOrder(n, new Date(), { stores: 4, customers: 50, invalidShare: 0, seed: 14 });
    order.OrderID = `FUZZ-ENUM-${n}`;
    (order as { PaymentMethod: string }).PaymentMethod = 'BITCOIN';
    return { topic: Topics.orderCreate, key: order.ShipFromLocationID, value: json(order), code: ErrorCode.UnsupportedPaymentMethod };
  },
  'huge-string': (n) => {
    const order = demoOrder(n, new Date(), { stores: 4, customers: 50, invalidShare: 0, seed: 15 });
    order.OrderID = `FUZZ-HUGE-${n}`;
    order.CustRef = 'R'.repeat(200_000);
    return { topic: Topics.orderCreate, key: order.ShipFromLocationID, value: json(order), code: 'INVALID_CUST_REF' };
  },
  'huge-array': (n) => {
    const order = demoOrder(n, new Date(), { stores: 4, customers: 50, invalidShare: 0, seed: 16 });
    order.OrderID = `FUZZ-LINES-${n}`;
    const line = order.OrderLines[0]!;
    order.OrderLines = Array.from({ length: 3_000 }, (_, i) => ({ ...line, LineID: String(i + 1) }));
    // Well formed, and far over any COD limit: refused by the COD rules, its 3,000 lines carried through state.
    return {
      topic: Topics.orderCreate,
      key: order.ShipFromLocationID,
      value: json(order),
      code: undefined,
      refused: { orderId: order.OrderID, code: ErrorCode.CodAmountOutOfRange },
    };
  },
};

/** Commands and events about orders nobody has, or with values of the wrong kind. */
const badEvents: Record<string, Maker> = {
  'update-unknown-order': (n) => ({
    topic: Topics.orderUpdate,
    key: 'QC0001',
    value: json({
      OrderID: `FUZZ-NONE-${n}`,
      ShipFromLocationID: 'QC0001',
      Action: 'CANCEL',
      Reason: 'fuzz',
      RequestedBy: null,
      CommandID: null,
    }),
    code: undefined,
  }),
  'delivery-wrong-types': (n) => ({
    topic: Topics.deliveryStatus,
    key: 'QC0001',
    value: json({ OrderID: `FUZZ-NONE-${n}`, ShipFromLocationID: 'QC0001', Status: 42, EventID: n, At: 'yesterday' }),
    code: undefined,
  }),
  'ship-unknown-event-type': (n) => ({
    topic: Topics.shipEvent,
    key: 'QC0001',
    value: json({ OrderID: `FUZZ-NONE-${n}`, ShipFromLocationID: 'QC0001', EventType: 'TELEPORTED', EventID: `E-${n}` }),
    code: undefined,
  }),
  'inventory-negative': (n) => ({
    topic: Topics.inventoryLevel,
    key: 'QC0001',
    value: json({ ShipFromLocationID: 'QC0001', ItemID: `SKU-${n}`, OnHand: -5 - n }),
    code: undefined,
  }),
};

/** The topics every shared breakage is sent to. */
export const FUZZED_TOPICS = [
  Topics.orderCreate,
  Topics.orderUpdate,
  Topics.shipEvent,
  Topics.deliveryStatus,
  Topics.inventoryLevel,
  Topics.settlement,
  Topics.exceptionAction,
  Topics.orderReturn,
] as const;

/** `count` bad records, the categories taken in turn, each made from the seed. */
export function badRecords(count: number, seed: number): BadRecord[] {
  const next = seeded(seed);
  const makers: Array<[string, Maker]> = [
    ...FUZZED_TOPICS.flatMap((topic) =>
      Object.entries(undecodable(topic)).map(([name, make]) => [`${topic} ${name}`, make] as [string, Maker]),
    ),
    ...Object.entries(badOrders),
    ...Object.entries(badEvents),
  ];
  return Array.from({ length: count }, (_, n) => {
    const [category, make] = makers[n % makers.length]!;
    return { category, ...make(n, next) };
  });
}
