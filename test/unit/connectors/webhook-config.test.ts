// The ingress's settings from the environment: each partner's current secret (required) and previous one
// (optional, for a rotation), and the connection timeouts with their defaults.
import t from 'tap';
import { loadWebhookConfig, partnerSecrets } from '../../../connectors/webhook-config.js';

const current = {
  OMNIA_SLICK_WEBHOOK_SECRET: 'slick-current-secret',
  OMNIA_GRAB_WEBHOOK_SECRET: 'grab-current-secret',
  OMNIA_PMP_WEBHOOK_SECRET: 'pmp-current-secret',
};

t.test('the current secrets keep their names; a previous one is added per partner while rotating', async (t) => {
  t.same(partnerSecrets(loadWebhookConfig({}, current)), {
    slick: { current: 'slick-current-secret' },
    grab: { current: 'grab-current-secret' },
    pmp: { current: 'pmp-current-secret' },
  });
  const rotating = loadWebhookConfig(
    {},
    { ...current, OMNIA_GRAB_WEBHOOK_SECRET_PREVIOUS: 'grab-old-secret', OMNIA_PMP_WEBHOOK_SECRET_PREVIOUS: '' },
  );
  t.same(
    partnerSecrets(rotating),
    {
      slick: { current: 'slick-current-secret' },
      grab: { current: 'grab-current-secret', previous: 'grab-old-secret' },
      pmp: { current: 'pmp-current-secret' },
    },
    'an empty variable is unset',
  );
});

t.test('every current secret is required, a previous one does not stand in for it', async (t) => {
  t.throws(
    () =>
      partnerSecrets(
        loadWebhookConfig({}, { OMNIA_SLICK_WEBHOOK_SECRET: 'slick-current-secret', OMNIA_GRAB_WEBHOOK_SECRET_PREVIOUS: 'grab-old' }),
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
