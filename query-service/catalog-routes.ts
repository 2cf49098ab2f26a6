/**
 * Item search in the catalog, for the bundle form's component fields (and any client that names items):
 *
 *   GET /catalog/items?q=&limit=     every role, as the bundle reads are (the catalog is the same for every store)
 *
 * What is searched: the `catalog` global table (catalog.product.v1, keyed by ItemID), the one the enrich stage
 * prices order lines from, held by this process as bundle-catalog.ts reads it: the runtime's global store on
 * Kafka, the in-process driver's in the embedded default. Postgres has no catalog table (order_lines only holds
 * the items that were ordered, with the description of that day), so there is no fallback: before the table is
 * loaded the route answers 503 CATALOG_UNAVAILABLE with Retry-After, as the bundle routes do.
 *
 * How `q` matches, case-insensitively: the ItemID starts with it, or the short description (the item's name on
 * pick lists and receipts) contains every word of it. Text is compared in Unicode NFKC, lower case, without
 * zero-width characters and with runs of spaces as one, so Thai typed with ำ or with ํ + า, or with a
 * zero-width space between words, finds the same item. Thai is written without spaces between words, so a
 * name matches wherever the text occurs, not only at a word's start.
 *
 * Order: the ItemID itself, then IDs that start with `q`, names that start with it, names where every word of `q`
 * starts a word, any other name that contains them; within each, by ItemID. `limit` (1–50, default 20) items,
 * and `more` says whether others match.
 */
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import type { Product } from '../processors/domain/types.js';
import { type BundleCatalog, CatalogUnavailable } from './bundle-catalog.js';
import { signedIn } from './commands.js';
import { ApiError, errorResponseSchema } from './errors.js';

export const DEFAULT_CATALOG_LIMIT = 20;
export const MAX_CATALOG_LIMIT = 50;
export const MAX_QUERY_LENGTH = 100;

/** The item search's table: every product. */
export interface ItemCatalog {
  products(): Promise<readonly Product[]>;
}

/** The bundle table's catalog, when it can list its products (bundle-catalog.ts); the service registers the route then. */
export const itemCatalogOf = (catalog: BundleCatalog): ItemCatalog | undefined => {
  const { products } = catalog;
  return products ? { products: () => products.call(catalog) } : undefined;
};

// ---------------------------------------------------------------------------------------------- answers

/** One item of GET /catalog/items. */
export interface CatalogItem {
  itemId: string;
  /** The short description, as on pick lists and receipts; null when the catalog has none. */
  description: string | null;
  /** List price of one unit, as the catalog holds it (4 decimals). */
  unitPrice: string;
  /** "0.0700" is 7 %. */
  taxRate: string;
}

/** GET /catalog/items. */
export interface CatalogSearchAnswer {
  items: CatalogItem[];
  /** More items match than `limit`: a longer `q` narrows them. */
  more: boolean;
}

// --------------------------------------------------------------------------------------------- matching

/** Characters that print as nothing: Thai text often carries zero-width spaces between words, or a soft hyphen. */
const INVISIBLE = /[\u00ad\u200b-\u200d\u2060\ufeff]/g;

/** Text as it is compared: NFKC (ำ and ํ + า alike, full-width Latin as ASCII), lower case, spaces collapsed. */
export const folded = (text: string): string => text.normalize('NFKC').replace(INVISIBLE, '').toLowerCase().replace(/\s+/g, ' ').trim();

const WORD_CHARACTER = /[\p{L}\p{M}\p{N}]/u;

/** `term` occurs in `text` at a word's start (after a space, a dash, a bracket…). */
function startsAWord(text: string, term: string): boolean {
  for (let at = text.indexOf(term); at >= 0; at = text.indexOf(term, at + 1)) {
    if (at === 0 || !WORD_CHARACTER.test(text[at - 1]!)) return true;
  }
  return false;
}

interface Entry {
  product: Product;
  id: string;
  name: string;
}

/** Match classes, best first. */
const Rank = { exactId: 0, idPrefix: 1, namePrefix: 2, nameWords: 3, nameContains: 4 } as const;

function rankOf(entry: Entry, query: string, terms: readonly string[]): number | undefined {
  if (entry.id === query) return Rank.exactId;
  if (entry.id.startsWith(query)) return Rank.idPrefix;
  if (entry.name === '') return undefined;
  if (entry.name.startsWith(query)) return Rank.namePrefix;
  if (!terms.every((term) => entry.name.includes(term))) return undefined;
  return terms.every((term) => startsAWord(entry.name, term)) ? Rank.nameWords : Rank.nameContains;
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The table's products folded once per array: the catalog hands out the same array until the table changes, so a
 * search costs one pass of string comparisons, not a fold of every name.
 */
const indexes = new WeakMap<readonly Product[], Entry[]>();
function indexOf(products: readonly Product[]): Entry[] {
  let index = indexes.get(products);
  if (!index) {
    index = products.map((product) => ({ product, id: folded(product.ItemID), name: folded(product.ShortDescription ?? '') }));
    indexes.set(products, index);
  }
  return index;
}

/** The items `q` finds in `products`, best first, at most `limit`. */
export function searchCatalog(products: readonly Product[], q: string, limit: number): CatalogSearchAnswer {
  const query = folded(q);
  if (query === '') return { items: [], more: false };
  const terms = query.split(' ');
  const found: Array<{ entry: Entry; rank: number }> = [];
  for (const entry of indexOf(products)) {
    const rank = rankOf(entry, query, terms);
    if (rank !== undefined) found.push({ entry, rank });
  }
  found.sort((a, b) => a.rank - b.rank || byCodePoint(a.entry.product.ItemID, b.entry.product.ItemID));
  return {
    items: found.slice(0, limit).map(({ entry: { product } }) => ({
      itemId: product.ItemID,
      description: product.ShortDescription,
      unitPrice: product.UnitPrice,
      taxRate: product.TaxRate,
    })),
    more: found.length > limit,
  };
}

// ---------------------------------------------------------------------------------------------- schemas

const searchSchema = {
  summary: 'Search the catalog for items',
  description:
    'Items whose ItemID starts with `q` or whose short description contains every word of `q`, case-insensitively (Thai included): ' +
    'the exact ItemID first, then ID prefixes, then names. Every role may search; the catalog is the same at every store. ' +
    '503 CATALOG_UNAVAILABLE while the catalog table is loading.',
  tags: ['catalog'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    required: ['q'],
    properties: {
      q: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_QUERY_LENGTH,
        pattern: '\\S',
        description: `the start of an ItemID, or words of its name (1–${MAX_QUERY_LENGTH} characters, not only spaces)`,
      },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_CATALOG_LIMIT,
        default: DEFAULT_CATALOG_LIMIT,
        description: `most items listed (1–${MAX_CATALOG_LIMIT}); \`more\` says whether others match`,
      },
    },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['items', 'more'],
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['itemId', 'description', 'unitPrice', 'taxRate'],
            properties: {
              itemId: { type: 'string', description: 'ItemID (SKU)' },
              description: {
                type: ['string', 'null'],
                description: 'the short description, as on pick lists; null when the catalog has none',
              },
              unitPrice: { type: 'string', description: 'list price of one unit, as the catalog holds it' },
              taxRate: { type: 'string', description: '"0.0700" is 7 %' },
            },
          },
        },
        more: { type: 'boolean', description: 'more items match than listed' },
      },
    },
    503: errorResponseSchema,
  },
} as const;

// ----------------------------------------------------------------------------------------------- routes

/**
 * This plugin's request checks: every error; `limit` read as a number, its default filled in; an unknown parameter
 * is an error, not dropped; a repeated `q` (an array) is refused rather than joined.
 */
function catalogValidator() {
  const ajv = new Ajv({ allErrors: true, coerceTypes: true, removeAdditional: false, useDefaults: true, strict: false, logger: false });
  return ({ schema }: { schema: object }) => ajv.compile(schema);
}

export function catalogRoutes(options: { catalog: ItemCatalog }): (app: FastifyInstance) => Promise<void> {
  const { catalog } = options;
  return async (app) => {
    app.setValidatorCompiler(catalogValidator());

    app.get('/catalog/items', { schema: searchSchema }, async (request): Promise<CatalogSearchAnswer> => {
      signedIn(request);
      const { q, limit } = request.query as { q: string; limit: number };
      let products: readonly Product[];
      try {
        products = await catalog.products();
      } catch (error) {
        if (error instanceof CatalogUnavailable)
          throw new ApiError(
            503,
            'CATALOG_UNAVAILABLE',
            `The catalog cannot be searched right now (${error.message}); try again in a moment`,
            undefined,
            {
              'retry-after': '2',
            },
          );
        throw error;
      }
      return searchCatalog(products, q, limit);
    });
  };
}
