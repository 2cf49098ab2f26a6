/** A status in words with its meaning as an icon and, for screen readers and at a glance, as text. */
import { useI18n } from '../i18n.js';
import { statusLabel, statusTone, toneLabel } from '../format.js';
import type { Tone } from '../logic/status.js';
import { Icon, type IconName } from './icon.js';

const ICONS: Readonly<Record<Tone, IconName>> = { waiting: 'clock', attention: 'warning', done: 'check', cancelled: 'cross' };

export function ToneIcon({ tone }: { tone: Tone }) {
  return <Icon name={ICONS[tone]} />;
}

export function ToneTag({ status }: { status: number }) {
  const i18n = useI18n();
  const tone = statusTone(status);
  return (
    <span class={`tone-tag tone-${tone}`}>
      <ToneIcon tone={tone} />
      {toneLabel(i18n, tone)}
    </span>
  );
}

export function StatusBadge({ status, testId }: { status: number; testId?: string }) {
  const i18n = useI18n();
  const tone = statusTone(status);
  return (
    <span class={`badge tone-${tone}`} data-testid={testId} data-status={testId ? String(status) : undefined}>
      <ToneIcon tone={tone} />
      <span>{statusLabel(i18n, status)}</span>
      {toneLabel(i18n, tone) !== statusLabel(i18n, status) && <span class="sr-only"> ({toneLabel(i18n, tone)})</span>}
    </span>
  );
}
