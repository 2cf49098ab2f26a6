/**
 * The last rows of a bundle group in the order's lines: its list price (the items at their own prices, the sum of
 * the amounts above) and its bundle price, with what the customer saves. Nothing when the amounts cannot be summed.
 */
import { groupPrice, type PricedGroupLine } from '../logic/bundle-price.js';
import { useDetailI18n } from '../detail-i18n.js';
import { isNonZero } from '../logic/money.js';
import { Money } from './money.js';

export function BundleGroupPrice({ groupId, lines, exact }: { groupId: string; lines: readonly PricedGroupLine[]; exact: boolean }) {
  const t = useDetailI18n();
  const price = groupPrice(lines);
  if (!price) return null;
  return (
    <>
      <tr class="bundle-price">
        <td class="col-image" />
        <th scope="row" colSpan={3}>
          {t('detail.bundle.listPrice')}
        </th>
        <td class="num" data-testid={`bundle-list-price-${groupId}`}>
          <Money value={price.listPrice} exact={exact} />
        </td>
      </tr>
      <tr class="bundle-price">
        <td class="col-image" />
        <th scope="row" colSpan={3}>
          {t('detail.bundle.bundlePrice')}
          {isNonZero(price.saving) && (
            <span class="line-meta">
              {t('detail.bundle.saving')}: <Money value={price.saving} exact={exact} />
            </span>
          )}
        </th>
        <td class="num" data-testid={`bundle-price-${groupId}`}>
          <strong>
            <Money value={price.bundlePrice} exact={exact} />
          </strong>
        </td>
      </tr>
    </>
  );
}
