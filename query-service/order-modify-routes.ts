/**
 * `POST /orders/:orderId/modify`: replace an order's lines and/or its delivery address before release. It becomes
 * an `order.update.v1` MODIFY record (RequestedBy, CommandID) that the topology applies (processors/stages/update.ts):
 * the old allocation is given back, the order is priced, allocated and checked for COD again, and released at its
 * original due time. The answer (202) says the command was accepted; the new totals arrive with the order.
 *
 * Refused at once: 404 ORDER_NOT_FOUND (another store's order, or none), 403 for a read-only role, 409 ORDER_LOCKED
 * from 3000 Released on (and for a cancelled order). The pipeline checks the lines again with the create rules (a
 * bad line, a COD area it does not serve): such an update is refused there, recorded in order.validation.v1 and the
 * update's DLQ, and a MODIFY that COD refuses cancels the order (docs/contract.md §10).
 *
 * Store staff see the delivery phone masked ("081****678", phone-mask.ts), and the dialog sends the address back
 * as a whole: a phone sent exactly as the mask of the order's current phone keeps that phone. Any other phone with a
 * mask's `*` is refused, 422 PHONE_MASKED: it is not a number anyone could call.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { DeliveryAddress, OrderLine, OrderUpdate } from '../avro/records.js';
import { isLocked } from '../processors/domain/status.js';
import type { OrderStatusCode } from '../processors/domain/types.js';
import {
  actionableOrder,
  type CommandPublisher,
  idempotencyHeaderSchema,
  orderActor,
  orderCommandAccepted,
  orderCommandAcceptedSchema,
  sendAnswer,
  sendCommand,
  strictValidator,
} from './commands.js';
import { ApiError, errorResponseSchema } from './errors.js';
import { commandId, IDEMPOTENCY_HEADER, idempotencyKey, IdempotentActions } from './idempotency.js';
import type { OrderLocator } from './order-lookup-routes.js';
import type { OrderView } from './order-view.js';
import { isMaskedPhone, maskPhone } from './phone-mask.js';

export interface OrderModifyOptions {
  readonly locator: OrderLocator;
  readonly publisher: CommandPublisher;
  /** The update topic's full name (with the deployment's prefix). */
  readonly updateTopic: string;
  readonly encode: (update: OrderUpdate) => Buffer;
  readonly idempotency?: IdempotentActions;
  readonly now?: () => number;
}

interface LineBody {
  lineId: string;
  itemId: string;
  quantity: number;
  unitPrice: string;
  taxRate: string;
  bundleId?: string;
}

interface AddressBody {
  line1?: string;
  district?: string;
  province?: string;
  postalCode: string;
  phone?: string;
}

interface ModifyBody {
  reason: string;
  lines?: LineBody[];
  address?: AddressBody;
}

const money = { type: 'string', pattern: '^[0-9]{1,14}(\\.[0-9]{1,4})?$', description: 'a decimal string, at most 4 decimals' } as const;
const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;

const modifySchema = {
  summary: 'Change an order’s lines and/or delivery address before it is released',
  description:
    'Sends a MODIFY command: new `lines` replace all current ones, a new `address` replaces the address. 202 means accepted; the order is priced and checked again moments later. Refused at once with 409 ORDER_LOCKED from 3000 Released on.',
  tags: ['actions'],
  headers: idempotencyHeaderSchema,
  params: { type: 'object', required: ['orderId'], properties: { orderId: text(50) } },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    anyOf: [{ required: ['lines'] }, { required: ['address'] }],
    properties: {
      reason: { ...text(200), pattern: '\\S', description: 'why; shown in the order’s history' },
      lines: {
        type: 'array',
        minItems: 1,
        maxItems: 100,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['lineId', 'itemId', 'quantity', 'unitPrice', 'taxRate'],
          properties: {
            lineId: text(20),
            itemId: text(50),
            quantity: { type: 'integer', minimum: 1, maximum: 10_000 },
            unitPrice: money,
            taxRate: { type: 'string', pattern: '^0(\\.[0-9]{1,4})?$|^1(\\.0{1,4})?$', description: 'a fraction: "0.0700" is 7%' },
            bundleId: text(100),
          },
        },
      },
      address: {
        type: 'object',
        additionalProperties: false,
        required: ['postalCode'],
        properties: {
          line1: text(200),
          district: text(100),
          province: text(100),
          postalCode: { type: 'string', pattern: '^[0-9]{5}$' },
          phone: text(30),
        },
      },
    },
  },
  response: {
    202: orderCommandAcceptedSchema('MODIFY', 'the command’s id on order.update.v1'),
    404: errorResponseSchema,
    409: errorResponseSchema,
    422: errorResponseSchema,
    503: errorResponseSchema,
  },
} as const;

/** The request's lines as the record's, for the order's store. */
export const orderLines = (lines: readonly LineBody[], store: string): OrderLine[] =>
  lines.map((line) => ({
    LineID: line.lineId,
    ItemID: line.itemId,
    ShipFromLocationID: store,
    Quantity: line.quantity,
    UnitPrice: line.unitPrice,
    TaxRate: line.taxRate,
    ShortDescription: null,
    ImageURL: null,
    Discounts: [],
    InformationalTaxes: [],
    BundleID: line.bundleId ?? null,
  }));

export const deliveryAddress = (address: AddressBody): DeliveryAddress => ({
  Line1: address.line1 ?? null,
  District: address.district ?? null,
  Province: address.province ?? null,
  PostalCode: address.postalCode,
  Phone: address.phone ?? null,
});

/** The address to send: a phone left as it was shown masked is the order's current phone. */
export function unmaskedAddress(address: AddressBody, order: OrderView): AddressBody {
  if (address.phone === undefined || !isMaskedPhone(address.phone)) return address;
  const current = order.deliveryAddress?.phone;
  if (current && !isMaskedPhone(current) && maskPhone(current) === address.phone) return { ...address, phone: current };
  throw new ApiError(
    422,
    'PHONE_MASKED',
    'The phone number is partly hidden (*). Leave it exactly as shown to keep the current number, or type the whole new number.',
  );
}

export function orderModifyRoutes(options: OrderModifyOptions) {
  const now = options.now ?? Date.now;
  const idempotency = options.idempotency ?? new IdempotentActions();

  // The body as sent: a reason of another type, or a field the route does not know, is a 400 rather than coerced or dropped.
  const validatorCompiler = strictValidator();

  return async (app: FastifyInstance): Promise<void> => {
    app.post('/orders/:orderId/modify', { schema: modifySchema, validatorCompiler }, async (request, reply) => {
      const principal = orderActor(request, 'change them');
      const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER]);
      const { orderId } = request.params as { orderId: string };
      const body = request.body as ModifyBody;
      const answer = await idempotency.run(key, principal.subject, { action: 'modify', orderId, body }, async () => {
        const order = await actionableOrder(options.locator, request, principal, orderId, undefined, 'change it');
        if (isLocked(order.status as OrderStatusCode))
          throw new ApiError(
            409,
            'ORDER_LOCKED',
            `Order ${order.orderId} is ${order.statusName} (${order.status}): its lines and address can no longer be changed here.`,
          );
        const id = commandId(principal.subject, key, orderId, randomUUID);
        const update: OrderUpdate = {
          OrderID: order.orderId,
          ShipFromLocationID: order.shipFromLocationId,
          Action: 'MODIFY',
          Reason: body.reason.trim(),
          OrderLines: body.lines ? orderLines(body.lines, order.shipFromLocationId) : null,
          DeliveryAddress: body.address ? deliveryAddress(unmaskedAddress(body.address, order)) : null,
          RequestedBy: principal.subject,
          CommandID: id,
        };
        await sendCommand(
          options.publisher,
          {
            topic: options.updateTopic,
            key: order.shipFromLocationId,
            value: options.encode(update),
            timestamp: now(),
            headers: { 'omnia-command-id': id, 'omnia-requested-role': principal.roles.join(',') },
          },
          'The change',
        );
        return orderCommandAccepted(orderId, 'MODIFY', id, principal, now());
      });
      return sendAnswer(reply, answer);
    });
  };
}
