/** Messages on a screen: an error with what to do and a retry, a quiet status line, a loading line. */
import type { ComponentChildren } from 'preact';
import { errorCode, errorText } from '../format.js';
import { useI18n } from '../i18n.js';
import { Icon } from './icon.js';

export function ErrorNotice({ error, onRetry, testId, lead }: { error: unknown; onRetry?: () => void; testId?: string; lead?: string }) {
  const i18n = useI18n();
  return (
    <div class="notice notice-error" role="alert" data-testid={testId} data-code={errorCode(error)}>
      <span class="notice-icon">
        <Icon name="warning" />
      </span>
      <div class="notice-text">
        {lead && <p class="notice-lead">{lead}</p>}
        <p>{errorText(i18n, error)}</p>
        {onRetry && (
          <button type="button" class="button" onClick={onRetry}>
            {i18n.t('common.retry')}
          </button>
        )}
      </div>
    </div>
  );
}

export function InfoNotice({ children, tone = 'info' }: { children: ComponentChildren; tone?: 'info' | 'success' }) {
  return (
    <div class={`notice notice-${tone}`} role="status">
      <span class="notice-icon">
        <Icon name={tone === 'success' ? 'check' : 'info'} />
      </span>
      <div class="notice-text">{children}</div>
    </div>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}
