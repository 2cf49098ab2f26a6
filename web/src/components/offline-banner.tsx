/**
 * The offline banner, in the header on every screen: the board's time when a board is on screen, and that no
 * action works until the service answers again. The live region is always there, so going offline is read out.
 */
import { shortTime } from '../format.js';
import { useI18n } from '../i18n.js';
import { useOfflineI18n } from '../offline-i18n.js';
import { useBoardAsOf, useOffline } from '../offline.js';
import { Icon } from './icon.js';
import '../offline.css';

export function OfflineBanner() {
  const { offline } = useOffline();
  const asOf = useBoardAsOf();
  const i18n = useI18n();
  const ot = useOfflineI18n();
  return (
    <div class="offline-status" role="status" data-testid="offline-status">
      {offline && (
        <p class="offline-banner" data-testid="offline-banner">
          <Icon name="warning" />
          <span>
            {asOf === undefined
              ? ot('offline.banner')
              : ot('offline.banner.board', { time: shortTime(i18n, new Date(asOf).toISOString()) })}
          </span>
        </p>
      )}
    </div>
  );
}
