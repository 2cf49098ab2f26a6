/**
 * The customer's tracking page: what the link in a notification opens (tracking-token.ts), with no login.
 *
 *   GET /track/:token          a small server-rendered page, Thai or English, sized for a phone
 *   GET /api/v1/track/:token   the same as JSON
 *
 * It shows one order's progress and nothing else: the status now, the timeline of status changes (code, name for
 * the customer, time — never who did it nor any note, which could name staff), the estimated delivery, the carrier
 * and the tracking number. No order lines, totals, address, phone, customer or store: not in the page, not in the
 * JSON. The page is its own document — not the store app — with its own policy: no script at all, its one style
 * sheet allowed by a nonce, no images, no forms, no framing, no referrer (the link is a credential).
 *
 * Language: `?lang=th|en`, else the browser's Accept-Language, else Thai; the page links to the other language.
 * Times are local to OMNIA_BUSINESS_TIMEZONE. An invalid or tampered link is 404 and an expired one 410, each with a
 * friendly page (JSON: `TRACKING_LINK_INVALID`, `TRACKING_LINK_EXPIRED`). A link expires at the time it carries,
 * and in any case `linkDays` after the order was delivered or cancelled.
 *
 * The order is read as lookups read it (order-lookup-routes.ts): from this replica's own `orders` store when it
 * holds the order, else from the analysts' tables in Postgres (no forwarding to another replica: that needs a
 * caller's token, and a customer has none).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SqlDatabase } from '../postgres/sql.js';
import type { OrderState } from '../processors/order-state.js';
import { carrierName, formatWhen, type Language } from '../connectors/notifications/templates.js';
import { API_PREFIX } from './app.js';
import { errorResponseSchema } from './errors.js';
import type { LocalOrders } from './local-orders.js';
import { verifyTrackingToken } from './tracking-token.js';

export interface TrackingRouteOptions {
  readonly local: LocalOrders;
  readonly db: SqlDatabase;
  readonly secret: string;
  readonly linkDays: number;
  readonly timeZone: string;
  readonly now?: () => number;
}

/** What a customer may see of an order. */
export interface TrackingView {
  language: Language;
  status: number;
  statusName: string;
  timeline: Array<{ status: number; name: string; at: string }>;
  estimatedDelivery: string | null;
  carrier: string | null;
  trackingNumber: string | null;
}

/** The customer's words for each status. */
export const CUSTOMER_STATUS: Readonly<Record<number, Readonly<Record<Language, string>>>> = {
  1000: { th: 'ได้รับคำสั่งซื้อ', en: 'Order received' },
  2000: { th: 'รับคำสั่งซื้อแล้ว', en: 'Order accepted' },
  3000: { th: 'ยืนยันคำสั่งซื้อแล้ว', en: 'Order confirmed' },
  3500: { th: 'กำลังหยิบสินค้า', en: 'Being picked' },
  3600: { th: 'หยิบสินค้าครบแล้ว', en: 'Picked' },
  3700: { th: 'แพ็กสินค้าแล้ว', en: 'Packed' },
  7000: { th: 'ส่งออกจากร้านแล้ว', en: 'Left the store' },
  7100: { th: 'อยู่กับผู้ให้บริการขนส่ง', en: 'With the carrier' },
  7200: { th: 'อยู่ระหว่างขนส่ง', en: 'In transit' },
  7300: { th: 'กำลังนำส่ง', en: 'Out for delivery' },
  7400: { th: 'นำส่งไม่สำเร็จ', en: 'Delivery attempt failed' },
  7500: { th: 'จัดส่งถึงแล้ว', en: 'Delivered' },
  8000: { th: 'แจ้งคืนสินค้าแล้ว', en: 'Return requested' },
  8500: { th: 'รับคืนสินค้าแล้ว', en: 'Returned' },
  9000: { th: 'ยกเลิกแล้ว', en: 'Cancelled' },
};

const statusName = (code: number, language: Language) => CUSTOMER_STATUS[code]?.[language] ?? String(code);

const TEXT = {
  th: {
    title: 'ติดตามคำสั่งซื้อ',
    now: 'สถานะล่าสุด',
    progress: 'ความคืบหน้า',
    eta: 'คาดว่าจะได้รับ',
    carrier: 'ผู้ให้บริการขนส่ง',
    tracking: 'หมายเลขพัสดุ',
    notYet: 'ยังไม่มี',
    other: 'English',
    otherLang: 'en',
    invalidTitle: 'ไม่พบลิงก์นี้',
    invalid: 'ลิงก์ติดตามนี้ไม่ถูกต้อง โปรดเปิดลิงก์จากข้อความล่าสุดที่ได้รับ',
    expiredTitle: 'ลิงก์หมดอายุแล้ว',
    expired: (days: number) => `ลิงก์ติดตามนี้หมดอายุแล้ว ลิงก์ใช้ได้ถึง ${days} วันหลังจัดส่ง หากมีข้อสงสัย โปรดติดต่อร้านที่สั่งซื้อ`,
    unavailableTitle: 'ขออภัย ระบบไม่พร้อมใช้งานชั่วคราว',
    unavailable: 'โปรดลองใหม่อีกครั้งในอีกสักครู่',
    footer: 'หน้านี้แสดงเฉพาะความคืบหน้าของคำสั่งซื้อนี้',
  },
  en: {
    title: 'Track your order',
    now: 'Status now',
    progress: 'Progress',
    eta: 'Expected delivery',
    carrier: 'Carrier',
    tracking: 'Tracking number',
    notYet: 'Not yet',
    other: 'ภาษาไทย',
    otherLang: 'th',
    invalidTitle: 'Link not found',
    invalid: 'This tracking link is not valid. Please open the link in the latest message you received.',
    expiredTitle: 'This link has expired',
    expired: (days: number) =>
      `This tracking link has expired: links work for ${days} days after delivery. If you have a question, please contact the store you ordered from.`,
    unavailableTitle: 'Sorry, tracking is unavailable right now',
    unavailable: 'Please try again in a few minutes.',
    footer: 'This page shows the progress of this order only.',
  },
} as const;

/** `?lang=` first, then Accept-Language (by its q values), then Thai. */
export function pickLanguage(query: string | undefined, acceptLanguage: string | undefined): Language {
  if (query === 'th' || query === 'en') return query;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { base: (tag ?? '').split('-')[0], q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => (entry.base === 'th' || entry.base === 'en') && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return (ranked[0]?.base as Language | undefined) ?? 'th';
}

interface TrackedOrder {
  status: number;
  timeline: Array<{ status: number; at: string }>;
  estimatedDelivery: string | null;
  carrier: string | null;
  trackingNumber: string | null;
}

const iso = (value: unknown): string => (value instanceof Date ? value : new Date(String(value))).toISOString();

function fromState(state: OrderState): TrackedOrder {
  return {
    status: state.Status,
    timeline: state.History.filter((entry) => entry.From !== entry.To).map((entry) => ({ status: entry.To, at: iso(entry.At) })),
    estimatedDelivery: state.EstimatedDelivery ? iso(state.EstimatedDelivery) : null,
    carrier: state.Carrier ?? null,
    trackingNumber: state.TrackingID ?? null,
  };
}

class Unavailable extends Error {}

async function findOrder(options: TrackingRouteOptions, orderId: string): Promise<TrackedOrder | undefined> {
  for (const partition of options.local.readyPartitions()) {
    const state = await options.local.get(partition, orderId);
    if (state) return fromState(state);
  }
  try {
    const orders = await options.db.query<{
      status: number;
      carrier: string | null;
      tracking_id: string | null;
      estimated_delivery: Date | null;
    }>('SELECT status, carrier, tracking_id, estimated_delivery FROM orders WHERE order_id = $1', [orderId]);
    const row = orders.rows[0];
    if (!row) return undefined;
    const history = await options.db.query<{ from_status: number | null; to_status: number; at: Date }>(
      'SELECT from_status, to_status, at FROM order_status_history WHERE order_id = $1 ORDER BY kafka_offset',
      [orderId],
    );
    return {
      status: Number(row.status),
      timeline: history.rows
        .filter((entry) => entry.from_status === null || Number(entry.from_status) !== Number(entry.to_status))
        .map((entry) => ({ status: Number(entry.to_status), at: iso(entry.at) })),
      estimatedDelivery: row.estimated_delivery ? iso(row.estimated_delivery) : null,
      carrier: row.carrier,
      trackingNumber: row.tracking_id,
    };
  } catch (error) {
    throw new Unavailable((error as Error).message);
  }
}

type Verdict = { kind: 'ok'; view: TrackingView } | { kind: 'invalid' } | { kind: 'expired' } | { kind: 'unavailable' };

async function track(options: TrackingRouteOptions, token: string, language: Language): Promise<Verdict> {
  const now = (options.now ?? Date.now)();
  const verdict = verifyTrackingToken(options.secret, token, now);
  if (!verdict.ok) return { kind: verdict.reason };
  let order: TrackedOrder | undefined;
  try {
    order = await findOrder(options, verdict.claim.orderId);
  } catch (error) {
    if (error instanceof Unavailable) return { kind: 'unavailable' };
    throw error;
  }
  if (!order) return { kind: 'invalid' };
  const ended = [...order.timeline].reverse().find((entry) => entry.status === 7500 || entry.status === 9000);
  if (ended && now >= Date.parse(ended.at) + options.linkDays * 86_400_000) return { kind: 'expired' };
  return {
    kind: 'ok',
    view: {
      language,
      status: order.status,
      statusName: statusName(order.status, language),
      timeline: order.timeline.map((entry) => ({ ...entry, name: statusName(entry.status, language) })),
      estimatedDelivery: order.estimatedDelivery,
      carrier: order.carrier,
      trackingNumber: order.trackingNumber,
    },
  };
}

const viewSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['language', 'status', 'statusName', 'timeline', 'estimatedDelivery', 'carrier', 'trackingNumber'],
  properties: {
    language: { type: 'string', enum: ['th', 'en'] },
    status: { type: 'integer', description: 'the order status code now (docs/contract.md §4)' },
    statusName: { type: 'string', description: 'its name for the customer, in `language`' },
    timeline: {
      type: 'array',
      description: 'every change of status, oldest first',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['status', 'name', 'at'],
        properties: { status: { type: 'integer' }, name: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
      },
    },
    estimatedDelivery: { type: ['string', 'null'], format: 'date-time' },
    carrier: { type: ['string', 'null'], description: 'GRAB, PMP…; null before shipping' },
    trackingNumber: { type: ['string', 'null'] },
  },
} as const;

const params = { type: 'object', required: ['token'], properties: { token: { type: 'string', minLength: 1, maxLength: 200 } } } as const;
const querystring = {
  type: 'object',
  properties: { lang: { type: 'string', maxLength: 10, description: 'th or en; otherwise Accept-Language decides' } },
} as const;

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
:root{color-scheme:light;--ink:#1b1b1f;--muted:#4a4a55;--line:#d5d5dd;--accent:#0b5f3a;--bg:#f6f6f8}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans Thai","Noto Sans",sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:32rem;margin:0 auto;padding:1rem}
header{display:flex;align-items:center;justify-content:space-between;gap:1rem}
h1{font-size:1.375rem;margin:.5rem 0}
h2{font-size:1.0625rem;margin:0 0 .5rem}
a.lang{display:inline-flex;align-items:center;min-height:44px;min-width:44px;padding:0 .875rem;border:1px solid var(--accent);border-radius:.5rem;color:var(--accent);text-decoration:none;font-weight:600}
a.lang:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
section{background:#fff;border:1px solid var(--line);border-radius:.75rem;padding:1rem;margin:1rem 0}
.status{font-size:1.25rem;font-weight:700;color:var(--accent);margin:0 0 .75rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.375rem 1rem;margin:0}
dt{color:var(--muted)}
dd{margin:0;overflow-wrap:anywhere;font-weight:600}
ol{list-style:none;margin:0;padding:0}
li{display:flex;justify-content:space-between;gap:1rem;padding:.625rem 0;border-top:1px solid var(--line)}
li:first-child{border-top:0}
li time{color:var(--muted);white-space:nowrap}
p.note{color:var(--muted);font-size:.875rem}
`;

function page(language: Language, title: string, body: string, nonce: string): string {
  const t = TEXT[language];
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)} · Omnia</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
<header><h1>${escapeHtml(title)}</h1><a class="lang" href="?lang=${t.otherLang}" hreflang="${t.otherLang}" lang="${t.otherLang}">${t.other}</a></header>
${body}
<p class="note">${escapeHtml(t.footer)}</p>
</main>
</body>
</html>
`;
}

function orderPage(view: TrackingView, timeZone: string): string {
  const t = TEXT[view.language];
  const when = (at: string) => `<time datetime="${escapeHtml(at)}">${escapeHtml(formatWhen(at, view.language, timeZone))}</time>`;
  const timeline = [...view.timeline]
    .reverse()
    .map((entry) => `<li><span>${escapeHtml(entry.name)}</span> ${when(entry.at)}</li>`)
    .join('');
  return `<section aria-labelledby="now"><h2 id="now">${t.now}</h2>
<p class="status">${escapeHtml(view.statusName)}</p>
<dl>
<dt>${t.eta}</dt><dd>${view.estimatedDelivery ? when(view.estimatedDelivery) : t.notYet}</dd>
<dt>${t.carrier}</dt><dd>${view.carrier ? escapeHtml(carrierName(view.carrier, view.language)) : t.notYet}</dd>
<dt>${t.tracking}</dt><dd>${view.trackingNumber ? escapeHtml(view.trackingNumber) : t.notYet}</dd>
</dl></section>
<section aria-labelledby="progress"><h2 id="progress">${t.progress}</h2><ol>${timeline}</ol></section>`;
}

/** The page's own policy: nothing but its one inline style sheet. */
const pageCsp = (nonce: string) =>
  `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** The routes, registered at the root of the query service (the page is not under /api/v1). */
export function trackingRoutes(options: TrackingRouteOptions) {
  const open = { public: true };
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      `${API_PREFIX}/track/:token`,
      {
        config: open,
        schema: {
          summary: 'One order’s progress for its customer, from the link in a notification (no token needed)',
          description:
            'Only the status timeline, the estimated delivery, the carrier and the tracking number. 404 TRACKING_LINK_INVALID for a link that is not valid or whose order is unknown, 410 TRACKING_LINK_EXPIRED for an expired one.',
          tags: ['tracking'],
          params,
          querystring,
          response: { 200: viewSchema, 404: errorResponseSchema, 410: errorResponseSchema, 503: errorResponseSchema },
        },
      },
      async (request: FastifyRequest, reply: FastifyReply) => {
        const { token } = request.params as { token: string };
        const language = pickLanguage((request.query as { lang?: string }).lang, request.headers['accept-language']);
        const verdict = await track(options, token, language);
        reply.header('x-robots-tag', 'noindex');
        switch (verdict.kind) {
          case 'ok':
            return verdict.view;
          case 'invalid':
            return reply.code(404).send({ error: { code: 'TRACKING_LINK_INVALID', message: 'this tracking link is not valid' } });
          case 'expired':
            return reply.code(410).send({ error: { code: 'TRACKING_LINK_EXPIRED', message: 'this tracking link has expired' } });
          case 'unavailable':
            return reply.code(503).send({ error: { code: 'TRACKING_UNAVAILABLE', message: 'the order cannot be read now; try again' } });
        }
      },
    );
    app.get(
      '/track/:token',
      { config: open, schema: { hide: true, params, querystring } },
      async (request: FastifyRequest, reply: FastifyReply) => {
        const { token } = request.params as { token: string };
        const language = pickLanguage((request.query as { lang?: string }).lang, request.headers['accept-language']);
        const verdict = await track(options, token, language);
        const nonce = randomBytes(16).toString('base64');
        const t = TEXT[language];
        reply.raw.setHeader('content-security-policy', pageCsp(nonce));
        reply.header('x-robots-tag', 'noindex').header('content-language', language);
        reply.type('text/html; charset=utf-8');
        switch (verdict.kind) {
          case 'ok':
            return reply.send(page(language, t.title, orderPage(verdict.view, options.timeZone), nonce));
          case 'invalid':
            return reply.code(404).send(page(language, t.invalidTitle, `<section><p>${escapeHtml(t.invalid)}</p></section>`, nonce));
          case 'expired':
            return reply
              .code(410)
              .send(page(language, t.expiredTitle, `<section><p>${escapeHtml(t.expired(options.linkDays))}</p></section>`, nonce));
          case 'unavailable':
            return reply
              .code(503)
              .send(page(language, t.unavailableTitle, `<section><p>${escapeHtml(t.unavailable)}</p></section>`, nonce));
        }
      },
    );
  };
}
