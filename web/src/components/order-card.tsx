/** One order on the board: what the clerk needs at a glance, a tap away from its detail. */
import { age, paymentMethod, paymentStatus, statusLabel, statusTone, toneLabel } from '../format.js';
import { useI18n } from '../i18n.js';
import { ageSeconds } from '../logic/age.js';
import type { BoardCard } from '../logic/board.js';
import { href } from '../router.js';
import { Icon } from './icon.js';
import { Money } from './money.js';
import { ToneTag } from './status-badge.js';

interface Props {
  card: BoardCard;
  now: number;
  /** Offer the bulk-cancel checkbox. */
  selectable: boolean;
  selected: boolean;
  onToggle(orderId: string, selected: boolean): void;
}

export function OrderCard({ card, now, selectable, selected, onToggle }: Props) {
  const i18n = useI18n();
  const { t } = i18n;
  const seconds = ageSeconds(card.createdAt, now);
  const customer = card.custRef ?? card.customerId;
  const tone = statusTone(card.status);
  return (
    <article
      class={`card tone-${tone}${selected ? ' card-selected' : ''}`}
      data-testid={`order-card-${card.orderId}`}
      data-status={card.status}
    >
      {selectable && (
        <label class="card-select">
          <input
            type="checkbox"
            data-testid={`select-order-${card.orderId}`}
            checked={selected}
            aria-label={t('card.select', { id: card.orderId })}
            onChange={(e) => onToggle(card.orderId, e.currentTarget.checked)}
          />
        </label>
      )}
      <a class="card-link" href={href.order(card.orderId, card.storeId)}>
        <span class="card-top">
          <span class="card-id">{card.orderId}</span>
          <ToneTag status={card.status} />
        </span>
        {statusLabel(i18n, card.status) !== toneLabel(i18n, tone) && <span class="card-status">{statusLabel(i18n, card.status)}</span>}
        <span class="card-row">
          <span class="card-customer">
            <span class="card-label">{t('card.customer')}:</span> {customer ?? t('card.noCustomer')}
          </span>
          <span class="card-total">
            <span class="sr-only">{t('card.total')}: </span>
            {card.orderTotal ? <Money value={card.orderTotal} /> : t('card.notPriced')}
          </span>
        </span>
        <span class="card-row card-muted">
          <span>
            <span class="sr-only">{t('card.payment')}: </span>
            {card.paymentMethod ? `${paymentMethod(i18n, card.paymentMethod)} · ` : ''}
            {paymentStatus(i18n, card.paymentStatus)}
          </span>
          {seconds !== undefined && <span class="card-age">{t('card.ordered', { age: age(i18n, seconds) })}</span>}
        </span>
        {card.cancelRequested && (
          <span class="card-pending">
            <Icon name="hourglass" />
            {t('card.cancelRequested')}
          </span>
        )}
      </a>
    </article>
  );
}
