/**
 * On an order the pipeline refused and cancelled by itself (logic/refusal.ts): why, in words, and what the clerk
 * does about it. Shown above the order's details, since it is the first thing to know about such an order.
 */
import { refusalKeys, useDetailI18n } from '../detail-i18n.js';
import type { Refusal } from '../logic/refusal.js';
import { Icon } from './icon.js';

export function OrderRefusal({ refusals }: { refusals: readonly Refusal[] }) {
  const t = useDetailI18n();
  if (refusals.length === 0) return null;
  return (
    <section class="notice notice-error" aria-labelledby="refusal-title" data-testid="order-refusal">
      <span class="notice-icon">
        <Icon name="warning" />
      </span>
      <div class="notice-text">
        <h2 id="refusal-title" class="notice-lead">
          {t('refusal.title')}
        </h2>
        <p>{t('refusal.lead')}</p>
        {refusals.map((refusal, index) => {
          const keys = refusalKeys(refusal.known);
          return (
            <div key={`${refusal.code}-${index}`} data-testid={`refusal-${refusal.code}`} data-code={refusal.code}>
              <p data-testid="refusal-what">
                <strong>{t('refusal.what')}:</strong> {t(keys.what, { code: refusal.code })}
              </p>
              <p data-testid="refusal-fix">
                <strong>{t('refusal.fix')}:</strong> {t(keys.fix, { code: refusal.code })}
              </p>
            </div>
          );
        })}
      </div>
    </section>
  );
}
