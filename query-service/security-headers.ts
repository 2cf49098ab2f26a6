/**
 * Helmet-style headers on every response, errors and 404s included. The API answers JSON only and the docs
 * page is plain HTML that loads nothing, so one strict policy fits all: no scripts, styles, frames or
 * referrers; nothing reveals the server software. Nothing is cached unless a route says so.
 */
import type { FastifyInstance } from 'fastify';

export const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(securityHeaders);
    reply.removeHeader('x-powered-by');
    reply.removeHeader('server');
    // A route may allow caching explicitly; by default nothing (orders, tokens' views) is stored anywhere.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
}
