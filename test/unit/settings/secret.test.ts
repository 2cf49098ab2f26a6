/**
 * Secrets from settings have a least strength: a short or repetitive HMAC key refuses to start, naming the setting
 * and how to make a good one, never showing the value.
 */
import t from 'tap';
import { loadSettings, secret } from '../../../settings/setting.js';
import { querySection, trackingSection, webhookSection } from '../../../settings/registry.js';

const GOOD = 'k3Jx9vQ2mZ8pL4wR7tY1uN6bC0dF5gH2'; // 32 bytes, varied

t.test('secret(name, minBytes): long and varied enough passes; short or repetitive is refused by name, with the fix', async (t) => {
  const parse = secret('OMNIA_EXAMPLE_SECRET', 32);
  t.equal(parse(GOOD), GOOD);
  t.equal(parse(''), undefined, 'empty is unset');
  t.throws(
    () => parse('s'),
    /^OMNIA_EXAMPLE_SECRET is too weak: it is 1 bytes long, at least 32 random bytes are needed; generate one with: openssl rand -base64 48$/,
  );
  t.throws(() => parse(GOOD.slice(0, 31)), /OMNIA_EXAMPLE_SECRET is too weak: it is 31 bytes long, at least 32 random bytes are needed/);
  t.throws(() => parse('ab'.repeat(32)), /OMNIA_EXAMPLE_SECRET is too weak: it repeats a few characters .*openssl rand -base64 48/);
  // Bytes, not characters: 11 Thai letters are 33 bytes in UTF-8.
  t.equal(parse('กขคงจฉชซฌญฎ'), 'กขคงจฉชซฌญฎ');
  try {
    parse('hunter2');
    t.fail('a weak secret is refused');
  } catch (error) {
    t.notMatch((error as Error).message, /hunter2/, 'the value is never in the message');
  }
});

t.test('every HMAC secret of the query service, the webhooks and the tracking links refuses a weak value at load', async (t) => {
  const cases: Array<[object, string]> = [
    [querySection, 'OMNIA_JWT_SECRET'],
    [querySection, 'OMNIA_FORWARD_SECRET'],
    [querySection, 'OMNIA_SEARCH_CURSOR_KEY'],
    [webhookSection, 'OMNIA_SLICK_WEBHOOK_SECRET'],
    [webhookSection, 'OMNIA_SLICK_WEBHOOK_SECRET_PREVIOUS'],
    [webhookSection, 'OMNIA_GRAB_WEBHOOK_SECRET'],
    [webhookSection, 'OMNIA_GRAB_WEBHOOK_SECRET_PREVIOUS'],
    [webhookSection, 'OMNIA_PMP_WEBHOOK_SECRET'],
    [webhookSection, 'OMNIA_PMP_WEBHOOK_SECRET_PREVIOUS'],
    [trackingSection, 'OMNIA_TRACKING_SECRET'],
  ];
  for (const [section, env] of cases) {
    const load = (value: string) => loadSettings(section as Parameters<typeof loadSettings>[0], {}, { [env]: value });
    t.throws(
      () => load('x'),
      new RegExp(
        `^${env} is too weak: it is 1 bytes long, at least 32 random bytes are needed; generate one with: openssl rand -base64 48$`,
      ),
      `${env}: one character`,
    );
    const loaded = Object.values(load(GOOD) as Record<string, unknown>);
    t.ok(loaded.includes(GOOD), `${env}: a strong one is taken`);
  }
  const secrets = [...Object.values(querySection), ...Object.values(webhookSection), ...Object.values(trackingSection)].filter(
    (setting) => setting.secret && /SECRET|KEY/.test(setting.env),
  );
  t.same(
    secrets.map((setting) => setting.env).filter((env) => !cases.some(([, name]) => name === env)),
    [],
    'no HMAC secret of these sections is left out',
  );
});
