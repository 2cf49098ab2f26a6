/**
 * Bundle promotions: what promotion managers read, write and try out. A write never changes state here: it
 * produces a BundleDefinition on bundle.definition.v1, keyed by BundleID as the topology's `bundles` global table
 * is, and the table picks it up (on Kafka within moments; the embedded driver before the 202 is sent). The 202
 * says the definition was sent; GET /bundles shows it once the table has it.
 *
 *   GET  /bundles[?store=&active=]        every role; a store role sees bundles of its stores and all-store ones
 *   GET  /bundles/:bundleId
 *   POST /bundles                         create (409 BUNDLE_EXISTS)
 *   PUT  /bundles/:bundleId               full replacement (404 BUNDLE_NOT_FOUND)
 *   POST /bundles/:bundleId/activate      see below
 *   POST /bundles/:bundleId/deactivate
 *   POST /bundles/preview                 a basket priced by the pipeline's own code (bundle-definitions.ts)
 *
 * Who may write: `bundle_manager` and `admin` (403 FORBIDDEN otherwise). Writes take an `Idempotency-Key`
 * (idempotency.ts): the same key and request give the same answer and one record.
 *
 * Activation. BundleDefinition has no active flag: a bundle is detected for an order when ActiveFrom ≤ the
 * order's CreatedAt < ActiveTo (docs/contract.md §6), so activation is written as that window.
 * - activate: ActiveFrom = now; an ActiveTo still ahead is kept, otherwise ActiveTo = null (open-ended).
 *   409 BUNDLE_ALREADY_ACTIVE when it is active now; 409 BUNDLE_INVALID when the pipeline would ignore it.
 * - deactivate: ActiveTo = now (the window's exclusive end); a bundle that has not started yet gets an empty
 *   window (ActiveTo = ActiveFrom) so it never starts. 409 BUNDLE_ALREADY_INACTIVE when neither active nor
 *   scheduled.
 * Ending the window, rather than deleting the definition, keeps what the contract promises about orders already
 * taken: an order created before the deactivation keeps its bundle, also when it is processed after it or
 * repriced by a MODIFY (which detects at the original CreatedAt, Reading 28). As the contract says (Reading 24),
 * lines that declare a BundleID are priced with that bundle whatever its window: deactivation stops detection,
 * not a bundle a channel declares.
 *
 * Who made a change: the record has no field for it, so the token subject is logged with the request
 * (`bundleId`, `actor`, `action`, `commandId`) and travels as the record's `omnia-requested-by` header.
 *
 * Requests are validated without type coercion (an Ajv of this plugin's own): money is a JSON string, never a
 * number, and an unknown field is an error rather than dropped, which matters for a full replacement. A write's
 * schema errors and its cross-field problems are answered together in one 400 VALIDATION_FAILED.
 */
import { randomUUID } from 'node:crypto';
import { Ajv } from 'ajv';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BundleDefinition } from '../processors/domain/types.js';
import { type BundleCatalog, CatalogUnavailable } from './bundle-catalog.js';
import {
  appliesAt,
  activated,
  type BundleInput,
  bundleProblems,
  type BundleView,
  deactivated,
  definitionOf,
  isUtcTimestamp,
  iso,
  pipelineProblem,
  previewDefinitions,
  previewOrder,
  pricePreview,
  PRICING_TYPES,
  type PreviewInput,
  viewOf,
} from './bundle-definitions.js';
import { type AnswerWith, type CommandPublisher, idempotencyHeaderSchema, sendAnswer, sendCommand, signedIn } from './commands.js';
import { ApiError, errorResponseSchema, type FieldError } from './errors.js';
import { requestFieldErrors, validationMessage } from './request-validation.js';
import { commandId, IDEMPOTENCY_HEADER, idempotencyKey, IdempotentActions } from './idempotency.js';
import { canSeeStore, type Principal, seesAllStores } from './principal.js';

export interface BundleRouteOptions {
  readonly catalog: BundleCatalog;
  /** Where definitions go: Kafka's bundle.definition.v1, or the in-process pipeline. */
  readonly publisher: CommandPublisher;
  /** The bundle topic's full name (with the deployment's prefix). */
  readonly bundleTopic: string;
  /** The record's bytes in the topic's format. */
  readonly encode: (bundle: BundleDefinition) => Buffer;
  readonly idempotency?: IdempotentActions;
  readonly now?: () => number;
}

/** The 200 of GET /bundles. */
export interface BundleList {
  bundles: BundleView[];
}

/** The 200 of GET /bundles/:bundleId. */
export interface BundleAnswer {
  bundle: BundleView;
}

/** The 202 of a bundle write: create, edit, activate, deactivate (acceptedSchema). */
export interface BundleAccepted {
  accepted: true;
  bundleId: string;
  commandId: string;
  requestedBy: string;
  acceptedAt: string;
}

/** Roles that change bundles; every role reads them. */
export const canWriteBundles = (principal: Principal): boolean =>
  principal.roles.some((role) => role === 'bundle_manager' || role === 'admin');

/** A store role sees the bundles of its stores and the all-store ones; the other roles see every bundle. */
export const canSeeBundle = (principal: Principal, definition: BundleDefinition): boolean =>
  seesAllStores(principal) ||
  definition.Locations.length === 0 ||
  definition.Locations.some((location) => principal.stores.includes(location));

// ---------------------------------------------------------------------------------------------- schemas

const MONEY = '^[0-9]{1,14}(\\.[0-9]{1,4})?$';
const PERCENT = '^(100(\\.0{1,4})?|[0-9]{1,2}(\\.[0-9]{1,4})?)$';
const INT32 = { minimum: -2147483648, maximum: 2147483647 } as const;

const money = (description: string) => ({ type: 'string', pattern: MONEY, description }) as const;
const nullableString = { type: ['string', 'null'] } as const;
const amountEntry = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'amount'],
  properties: { type: { type: 'string', minLength: 1, maxLength: 50 }, amount: money('money ≥ 0, at most 4 decimals, as a string') },
} as const;

const bundleIdParams = {
  type: 'object',
  required: ['bundleId'],
  properties: { bundleId: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

/** A definition in a request; `withId`: bundleId required (create, a preview's draft) or optional (edit). */
const bundleBody = (withId: boolean) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: withId ? ['bundleId', 'components', 'pricing'] : ['components', 'pricing'],
    properties: {
      bundleId: {
        type: 'string',
        pattern: '^[A-Za-z0-9_-]{1,50}$',
        description: withId
          ? 'BundleID: 1–50 characters of A–Z, a–z, 0–9, _ and -; the record key'
          : 'optional; when given, the bundleId of the path (a bundle is not renamed)',
      },
      components: {
        type: 'array',
        minItems: 1,
        maxItems: 50,
        description: 'the items of one bundle instance; an item named twice counts once, its quantities added',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['itemId', 'quantity'],
          properties: {
            itemId: { type: 'string', minLength: 1, maxLength: 50, description: 'ItemID (SKU)' },
            quantity: { type: 'integer', minimum: 1, maximum: INT32.maximum, description: 'units in one instance' },
          },
        },
      },
      pricing: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        description: 'FIXED reads price, PERCENT_OFF percent, AMOUNT_OFF amount; give that one field only',
        properties: {
          type: { type: 'string', enum: [...PRICING_TYPES] },
          price: { type: ['string', 'null'], pattern: MONEY, description: 'FIXED: the price of one instance; money ≥ 0, as a string' },
          percent: { type: ['string', 'null'], pattern: PERCENT, description: 'PERCENT_OFF: 0–100, at most 4 decimals ("15" is 15 %)' },
          amount: { type: ['string', 'null'], pattern: MONEY, description: 'AMOUNT_OFF: off one instance; money ≥ 0, as a string' },
        },
      },
      activeFrom: {
        type: ['string', 'null'],
        format: 'date-time',
        description: 'ISO-8601 UTC, inclusive; null or absent: active since always',
      },
      activeTo: {
        type: ['string', 'null'],
        format: 'date-time',
        description: 'ISO-8601 UTC, exclusive, after activeFrom; null or absent: open-ended',
      },
      locations: {
        type: 'array',
        maxItems: 1000,
        uniqueItems: true,
        items: { type: 'string', minLength: 1, maxLength: 50 },
        description: 'ShipFromLocationIDs where it applies; empty or absent: every store',
      },
      priority: { type: 'integer', ...INT32, description: 'higher is detected first; default 0' },
    },
  }) as const;

const bundleView = {
  type: 'object',
  additionalProperties: false,
  required: ['bundleId', 'components', 'pricing', 'activeFrom', 'activeTo', 'locations', 'priority', 'status', 'active', 'problem'],
  properties: {
    bundleId: { type: 'string' },
    components: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['itemId', 'quantity'],
        properties: { itemId: { type: 'string' }, quantity: { type: 'integer' } },
      },
    },
    pricing: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'price', 'percent', 'amount'],
      properties: {
        type: { type: 'string', enum: [...PRICING_TYPES] },
        price: nullableString,
        percent: nullableString,
        amount: nullableString,
      },
    },
    activeFrom: nullableString,
    activeTo: nullableString,
    locations: { type: 'array', items: { type: 'string' } },
    priority: { type: 'integer' },
    status: {
      type: 'string',
      enum: ['ACTIVE', 'SCHEDULED', 'INACTIVE'],
      description: 'the window now: ACTIVE, SCHEDULED (starts later) or INACTIVE (ended, or an empty window)',
    },
    active: { type: 'boolean', description: 'an order created now at one of its stores would get it' },
    problem: { type: ['string', 'null'], description: 'why the pipeline ignores this definition; null when it uses it' },
  },
} as const;

const acceptedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['accepted', 'bundleId', 'commandId', 'requestedBy', 'acceptedAt'],
  properties: {
    accepted: { type: 'boolean', const: true },
    bundleId: { type: 'string' },
    commandId: { type: 'string', description: 'sent as the record’s omnia-command-id header' },
    requestedBy: { type: 'string', description: 'the token subject, logged with the change' },
    acceptedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const writeResponses = {
  202: acceptedSchema,
  404: errorResponseSchema,
  409: errorResponseSchema,
  422: errorResponseSchema,
  503: errorResponseSchema,
} as const;

const listSchema = {
  summary: 'Bundles',
  description:
    'Every bundle definition the pipeline holds, by bundleId. A store role sees the bundles of its stores and those for every store; naming another store gives an empty list.',
  tags: ['bundles'],
  querystring: {
    type: 'object',
    properties: {
      store: { type: 'string', minLength: 1, maxLength: 50, description: 'only bundles that apply at this store' },
      active: {
        type: 'string',
        enum: ['true', 'false'],
        description: 'only bundles an order created now would (true) or would not (false) get',
      },
    },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['bundles'],
      properties: { bundles: { type: 'array', items: bundleView } },
    },
    503: errorResponseSchema,
  },
} as const;

const oneSchema = {
  summary: 'One bundle',
  tags: ['bundles'],
  params: bundleIdParams,
  response: {
    200: { type: 'object', additionalProperties: false, required: ['bundle'], properties: { bundle: bundleView } },
    404: errorResponseSchema,
    503: errorResponseSchema,
  },
} as const;

const createSchema = {
  summary: 'Create a bundle',
  description:
    'Sends a new BundleDefinition to bundle.definition.v1. 202 means sent; the pipeline prices with it once its table has it. 409 BUNDLE_EXISTS when the bundleId is taken.',
  tags: ['bundles'],
  headers: idempotencyHeaderSchema,
  body: bundleBody(true),
  response: writeResponses,
} as const;

const editSchema = {
  summary: 'Replace a bundle',
  description: 'The whole definition is replaced: a field left out takes its default (no window, every store, priority 0).',
  tags: ['bundles'],
  headers: idempotencyHeaderSchema,
  params: bundleIdParams,
  body: bundleBody(false),
  response: writeResponses,
} as const;

const activateSchema = {
  summary: 'Activate a bundle now',
  description:
    'Sets activeFrom to now (an activeTo still ahead is kept, else the bundle runs open-ended). 409 BUNDLE_ALREADY_ACTIVE when it is active; 409 BUNDLE_INVALID when the pipeline would ignore the definition.',
  tags: ['bundles'],
  headers: idempotencyHeaderSchema,
  params: bundleIdParams,
  response: writeResponses,
} as const;

const deactivateSchema = {
  summary: 'Deactivate a bundle now',
  description:
    'Sets activeTo to now: orders created from now on do not get it, orders created before keep it. A bundle that has not started yet gets an empty window. Lines that declare the bundleId still get it (docs/contract.md §6). 409 BUNDLE_ALREADY_INACTIVE when it is neither active nor scheduled.',
  tags: ['bundles'],
  headers: idempotencyHeaderSchema,
  params: bundleIdParams,
  response: writeResponses,
} as const;

const previewMoney = { type: 'string', pattern: '^-?[0-9]{1,14}\\.[0-9]{4}$' } as const;

const previewSchema = {
  summary: 'Price a basket as the pipeline would',
  description:
    'The lines priced by the pipeline’s own rules (bundles, docs/contract.md §6; Cal A–F, §5) with the bundle table as it is, drafts added or instead. Nothing is written. `priced: false` with DISCOUNT_EXCEEDS_SUBTOTAL in `errors` is an order the pipeline would cancel.',
  tags: ['bundles'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['store', 'lines'],
    properties: {
      store: { type: 'string', minLength: 1, maxLength: 50, description: 'the ShipFromLocationID of the order' },
      at: { type: 'string', format: 'date-time', description: 'the order’s CreatedAt, ISO-8601 UTC; default now' },
      lines: {
        type: 'array',
        minItems: 1,
        maxItems: 200,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['itemId', 'quantity', 'unitPrice'],
          properties: {
            lineId: { type: 'string', minLength: 1, maxLength: 50, description: 'default: the line’s position, from "1"' },
            itemId: { type: 'string', minLength: 1, maxLength: 50 },
            quantity: { type: 'integer', minimum: 1, maximum: INT32.maximum },
            unitPrice: money('money ≥ 0, at most 4 decimals, as a string'),
            taxRate: {
              type: 'string',
              pattern: '^(1(\\.0{1,4})?|0(\\.[0-9]{1,4})?)$',
              description: '0–1, at most 4 decimals ("0.0700" is 7 %); default: the catalog’s rate for the item',
            },
            discounts: { type: 'array', maxItems: 20, items: amountEntry },
            informationalTaxes: { type: 'array', maxItems: 20, items: amountEntry },
            bundleId: { type: ['string', 'null'], minLength: 1, maxLength: 100, description: 'sold in this bundle (declared)' },
          },
        },
      },
      charges: { type: 'array', maxItems: 20, items: amountEntry, description: 'order charges such as the delivery fee' },
      bundles: {
        type: 'array',
        maxItems: 20,
        items: bundleBody(true),
        description: 'draft definitions; a draft replaces the stored one of its bundleId',
      },
      storedBundles: { type: 'boolean', description: 'price with the stored bundles too (default true); false: the drafts alone' },
    },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['store', 'at', 'priced', 'totals', 'lines', 'bundles', 'notes', 'errors'],
      properties: {
        store: { type: 'string' },
        at: { type: 'string', format: 'date-time' },
        priced: { type: 'boolean' },
        totals: {
          type: 'object',
          additionalProperties: false,
          required: ['subTotal', 'totalDiscount', 'totalTaxes', 'informationalTaxes', 'totalCharges', 'orderTotal'],
          properties: {
            subTotal: previewMoney,
            totalDiscount: previewMoney,
            totalTaxes: previewMoney,
            informationalTaxes: previewMoney,
            totalCharges: previewMoney,
            orderTotal: previewMoney,
          },
        },
        lines: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: [
              'lineId',
              'itemId',
              'quantity',
              'unitPrice',
              'taxRate',
              'lineAmount',
              'lineDiscount',
              'lineTax',
              'bundleGroupId',
              'bundleQuantity',
              'bundleDiscount',
            ],
            properties: {
              lineId: { type: 'string' },
              itemId: { type: 'string' },
              quantity: { type: 'integer' },
              unitPrice: { type: 'string', description: 'as given, as the pipeline keeps it' },
              taxRate: { type: 'string' },
              lineAmount: previewMoney,
              lineDiscount: { ...previewMoney, description: 'its own discounts and its bundle share' },
              lineTax: previewMoney,
              bundleGroupId: nullableString,
              bundleQuantity: { type: 'integer', description: 'units of the line inside bundle instances' },
              bundleDiscount: { ...previewMoney, description: 'the line’s share of bundle discounts' },
            },
          },
        },
        bundles: {
          type: 'array',
          description: 'runs of identical bundle instances, in the order they were formed',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['bundleId', 'firstInstanceId', 'count', 'bundleGroupId', 'declared', 'draft', 'listValue', 'discount', 'lines'],
            properties: {
              bundleId: { type: 'string' },
              firstInstanceId: { type: 'string' },
              count: { type: 'integer' },
              bundleGroupId: { type: 'string' },
              declared: { type: 'boolean' },
              draft: { type: 'boolean' },
              listValue: previewMoney,
              discount: previewMoney,
              lines: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['lineId', 'quantity', 'share'],
                  properties: { lineId: { type: 'string' }, quantity: { type: 'integer' }, share: previewMoney },
                },
              },
            },
          },
        },
        notes: {
          type: 'array',
          description: 'why a line got no bundle discount it declared, or a definition that was ignored',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['bundleId', 'lineId', 'reason', 'message'],
            properties: { bundleId: { type: 'string' }, lineId: nullableString, reason: { type: 'string' }, message: { type: 'string' } },
          },
        },
        errors: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['code', 'field', 'message'],
            properties: { code: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
    404: errorResponseSchema,
    503: errorResponseSchema,
  },
} as const;

// ----------------------------------------------------------------------------------------------- routes

/** This plugin's request validator: every error, no coercion, nothing removed; UTC timestamps as `date-time`. */
function strictValidator() {
  const ajv = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: false, logger: false });
  ajv.addFormat('date-time', { type: 'string', validate: (value: string) => isUtcTimestamp(value) });
  return ({ schema }: { schema: object }) => ajv.compile(schema);
}

/** Schema errors (attached to the request) and `extra` field problems, answered together as one 400. */
function refuseInvalid(request: FastifyRequest, extra: readonly FieldError[]): void {
  const error = request.validationError;
  const details = [...(error ? requestFieldErrors(request, error, 'request') : []), ...extra];
  if (details.length === 0) return;
  throw new ApiError(400, 'VALIDATION_FAILED', validationMessage(details), details);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function bundleRoutes(options: BundleRouteOptions) {
  const now = options.now ?? Date.now;
  const idempotency = options.idempotency ?? new IdempotentActions();
  const { catalog } = options;

  const notFound = (bundleId: string) => new ApiError(404, 'BUNDLE_NOT_FOUND', `No bundle ${JSON.stringify(bundleId)}`);

  /** A read of the tables; not loaded yet is a 503 to retry. */
  const read = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof CatalogUnavailable)
        throw new ApiError(
          503,
          'BUNDLES_UNAVAILABLE',
          `Bundles cannot be read right now (${error.message}); try again in a moment`,
          undefined,
          {
            'retry-after': '2',
          },
        );
      throw error;
    }
  };

  const writerOf = (request: FastifyRequest): Principal => {
    const principal = signedIn(request);
    if (!canWriteBundles(principal))
      throw new ApiError(403, 'FORBIDDEN', 'Your role can see bundles but not change them; ask a bundle manager');
    return principal;
  };

  /** The definition, if the pipeline would use it; a request that passed its checks always gives one. */
  const usable = (definition: BundleDefinition): BundleDefinition => {
    const problem = pipelineProblem(definition);
    if (problem)
      throw new ApiError(400, 'VALIDATION_FAILED', `The pipeline would ignore this bundle: ${problem}`, [
        { location: 'body', field: '(root)', message: problem },
      ]);
    return definition;
  };

  const publish = async (request: FastifyRequest, principal: Principal, definition: BundleDefinition, action: string, id: string) => {
    await sendCommand(
      options.publisher,
      {
        topic: options.bundleTopic,
        key: definition.BundleID,
        value: options.encode(definition),
        timestamp: now(),
        headers: { 'omnia-command-id': id, 'omnia-requested-by': principal.subject, 'omnia-requested-role': principal.roles.join(',') },
      },
      'The bundle',
    );
    request.log.info({ bundleId: definition.BundleID, actor: principal.subject, action, commandId: id }, `bundle ${action}: sent`);
  };

  /** Sends `definition` and answers 202. */
  const write = async (
    request: FastifyRequest,
    principal: Principal,
    key: string | undefined,
    action: string,
    definition: BundleDefinition,
  ): Promise<AnswerWith<BundleAccepted>> => {
    const id = commandId(principal.subject, key, `${action}:${definition.BundleID}`, randomUUID);
    await publish(request, principal, definition, action, id);
    return {
      status: 202,
      body: { accepted: true, bundleId: definition.BundleID, commandId: id, requestedBy: principal.subject, acceptedAt: iso(now()) },
    };
  };

  /** Activate or deactivate: the window rewritten by `change`, or the 409 when there is nothing to change. */
  const switchRoute =
    (action: 'activate' | 'deactivate') =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const principal = writerOf(request);
      const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER]);
      refuseInvalid(request, []);
      const { bundleId } = request.params as { bundleId: string };
      const answer = await idempotency.run(key, principal.subject, { action, bundleId }, async () => {
        const current = await read(() => catalog.get(bundleId));
        if (!current) throw notFound(bundleId);
        const at = now();
        if (action === 'activate') {
          const problem = pipelineProblem(current);
          if (problem)
            throw new ApiError(409, 'BUNDLE_INVALID', `The pipeline ignores bundle ${bundleId} (${problem}); correct it with PUT first`);
          const next = activated(current, at);
          if (!next) throw new ApiError(409, 'BUNDLE_ALREADY_ACTIVE', `Bundle ${bundleId} is active already`);
          return write(request, principal, key, action, next);
        }
        const next = deactivated(current, at);
        if (!next) throw new ApiError(409, 'BUNDLE_ALREADY_INACTIVE', `Bundle ${bundleId} is neither active nor scheduled`);
        return write(request, principal, key, action, next);
      });
      return sendAnswer(reply, answer);
    };

  return async (app: FastifyInstance): Promise<void> => {
    app.setValidatorCompiler(strictValidator());

    app.get('/bundles', { schema: listSchema }, async (request): Promise<BundleList> => {
      const principal = signedIn(request);
      const query = request.query as { store?: string; active?: 'true' | 'false' };
      const at = now();
      let definitions = (await read(() => catalog.all())).filter((definition) => canSeeBundle(principal, definition));
      if (query.store !== undefined) {
        const store = query.store;
        definitions = canSeeStore(principal, store) ? definitions.filter((definition) => appliesAt(definition, store)) : [];
      }
      const bundles = definitions
        .map((definition) => viewOf(definition, at))
        .filter((view) => query.active === undefined || view.active === (query.active === 'true'))
        .sort((a, b) => (a.bundleId < b.bundleId ? -1 : a.bundleId > b.bundleId ? 1 : 0));
      return { bundles };
    });

    app.get('/bundles/:bundleId', { schema: oneSchema }, async (request): Promise<BundleAnswer> => {
      const principal = signedIn(request);
      const { bundleId } = request.params as { bundleId: string };
      const definition = await read(() => catalog.get(bundleId));
      if (!definition || !canSeeBundle(principal, definition)) throw notFound(bundleId);
      return { bundle: viewOf(definition, now()) };
    });

    app.post('/bundles', { schema: createSchema, attachValidation: true }, async (request, reply) => {
      const principal = writerOf(request);
      const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER]);
      refuseInvalid(request, bundleProblems(request.body));
      const body = request.body as BundleInput & { bundleId: string };
      const answer = await idempotency.run(key, principal.subject, { action: 'create', body }, async () => {
        if (await read(() => catalog.get(body.bundleId)))
          throw new ApiError(409, 'BUNDLE_EXISTS', `Bundle ${body.bundleId} exists already; change it with PUT /bundles/${body.bundleId}`);
        return write(request, principal, key, 'create', usable(definitionOf(body.bundleId, body)));
      });
      return sendAnswer(reply, answer);
    });

    app.put('/bundles/:bundleId', { schema: editSchema, attachValidation: true }, async (request, reply) => {
      const principal = writerOf(request);
      const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER]);
      const { bundleId } = request.params as { bundleId: string };
      const problems = bundleProblems(request.body);
      if (isObject(request.body) && typeof request.body.bundleId === 'string' && request.body.bundleId !== bundleId)
        problems.push({
          location: 'body',
          field: 'bundleId',
          message: `must be the bundleId of the path, ${JSON.stringify(bundleId)}, or left out: a bundle is not renamed`,
        });
      refuseInvalid(request, problems);
      const body = request.body as BundleInput;
      const answer = await idempotency.run(key, principal.subject, { action: 'edit', bundleId, body }, async () => {
        if (!(await read(() => catalog.get(bundleId)))) throw notFound(bundleId);
        return write(request, principal, key, 'edit', usable(definitionOf(bundleId, body)));
      });
      return sendAnswer(reply, answer);
    });

    app.post('/bundles/:bundleId/activate', { schema: activateSchema, attachValidation: true }, switchRoute('activate'));
    app.post('/bundles/:bundleId/deactivate', { schema: deactivateSchema, attachValidation: true }, switchRoute('deactivate'));

    app.post('/bundles/preview', { schema: previewSchema, attachValidation: true }, async (request) => {
      const principal = signedIn(request);
      const drafts: unknown[] = isObject(request.body) && Array.isArray(request.body.bundles) ? request.body.bundles : [];
      refuseInvalid(
        request,
        drafts.flatMap((draft, index) => bundleProblems(draft, `bundles.${index}.`)),
      );
      const body = request.body as PreviewInput;
      if (!canSeeStore(principal, body.store))
        throw new ApiError(404, 'STORE_NOT_FOUND', `No store ${JSON.stringify(body.store)} in your stores`);
      const taxRates = new Map<string, string>();
      for (const line of body.lines) {
        if (line.taxRate !== undefined || taxRates.has(line.itemId)) continue;
        const product = await read(() => catalog.product(line.itemId));
        if (product) taxRates.set(line.itemId, product.TaxRate);
      }
      const { order, problems } = previewOrder(body, body.at ?? iso(now()), taxRates);
      refuseInvalid(request, problems);
      const draftDefinitions = (body.bundles ?? []).map((draft) => usable(definitionOf(draft.bundleId!, draft)));
      const storedBundles = body.storedBundles !== false;
      const stored = storedBundles ? await read(() => catalog.all()) : [];
      const definitions = previewDefinitions(stored, draftDefinitions, storedBundles);
      return pricePreview(order, definitions, new Set(draftDefinitions.map((draft) => draft.BundleID)));
    });
  };
}
