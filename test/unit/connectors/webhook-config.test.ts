// The ingress's settings from the environment: each partner's current secret (required) and previous one
// (optional, for a rotation), and the connection timeouts with their defaults.
import t from 'tap';
import { loadWebhookConfig, partnerSecrets } from '../../../connectors/webhook-config.js';

const current = {
  OMNIA_SLICK_WEBHOOK_SECRET: 'slick-current-secret-0123456789abcdef',
  OMNIA_GRAB_WEBHOOK_SECRET: 'grab-current-secret-0123456789abcdef',
  OMNIA_PMP_WEBHOOK_SECRET: 'pmp-current-secret-0123456789abcdef',
};

t.test('the current secrets keep their names; a previous one is added per partner while rotating', async (t) => {
  t.same(partnerSecrets(loadWebhookConfig({}, current)), {
    slick: { current: 'slick-current-secret-0123456789abcdef' },
    grab: { current: 'grab-current-secret-0123456789abcdef' },
    pmp: { current: 'pmp-current-secret-0123456789abcdef' },
  });
  const rotating = loadWebhookConfig(
    {},
    { ...current, OMNIA_GRAB_WEBHOOK_SECRET_PREVIOUS: 'grab-old-secret-0123456789abcdef-xyz', OMNIA_PMP_WEBHOOK_SECRET_PREVIOUS: '' },
  );
  t.same(
    partnerSecrets(rotating),
    {
      slick: { current: 'slick-current-secret-0123456789abcdef' },
      grab: { current: 'grab-current-secret-0123456789abcdef', previous: 'grab-old-secret-0123456789abcdef-xyz' },
      pmp: { current: 'pmp-current-secret-0123456789abcdef' },
    },
    'an empty variable is unset',
  );
});

t.test('every current secret is required, a previous one does not stand in for it', async (t) => {
  t.throws(
    () =>
      partnerSecrets(
        loadWebhookConfig(
          {},
          {
            OMNIA_SLICK_WEBHOOK_SECRET: 'slick-current-secret-0123456789abcdef',
            OMNIA_GRAB_WEBHOOK_SECRET_PREVIOUS: 'grab-old-secret-0123456789abcdef-abc',
          },
        ),
      ),
    /set OMNIA_GRAB_WEBHOOK_SECRET, OMNIA_PMP_WEBHOOK_SECRET$/,
  );
});

t.test('connection timeouts: defaults, and read from their variables', async (t) => {
  t.match(loadWebhookConfig({}, {}), {
    headersTimeoutMs: 10_000,
    bodyTimeoutMs: 30_000,
    idleTimeoutMs: 60_000,
    keepAliveTimeoutMs: 72_000,
  });
  t.match(
    loadWebhookConfig(
      {},
      {
        OMNIA_WEBHOOK_HEADERS_TIMEOUT_MS: '2000',
        OMNIA_WEBHOOK_BODY_TIMEOUT_MS: '5000',
        OMNIA_WEBHOOK_IDLE_TIMEOUT_MS: '20000',
        OMNIA_WEBHOOK_KEEP_ALIVE_TIMEOUT_MS: '65000',
      },
    ),
    { headersTimeoutMs: 2_000, bodyTimeoutMs: 5_000, idleTimeoutMs: 20_000, keepAliveTimeoutMs: 65_000 },
  );
  t.throws(() => loadWebhookConfig({}, { OMNIA_WEBHOOK_BODY_TIMEOUT_MS: '0' }), /OMNIA_WEBHOOK_BODY_TIMEOUT_MS must be a positive integer/);
});

t.test('a weak partner secret refuses to start, naming the variable and how to make one', async (t) => {
  t.throws(
    () => loadWebhookConfig({}, { ...current, OMNIA_PMP_WEBHOOK_SECRET: 'p' }),
    /^OMNIA_PMP_WEBHOOK_SECRET is too weak: it is 1 bytes long, at least 32 random bytes are needed; generate one with: openssl rand -base64 48$/,
  );
  t.throws(
    () => loadWebhookConfig({}, { ...current, OMNIA_GRAB_WEBHOOK_SECRET_PREVIOUS: 'grab-old' }),
    /^OMNIA_GRAB_WEBHOOK_SECRET_PREVIOUS is too weak/,
    'a previous secret too',
  );
});
