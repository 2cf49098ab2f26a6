/**
 * Releases waiting for Slick (GET /releases/awaiting-slick): released orders of the store Slick has not taken,
 * oldest first, each with its state — refused by Slick and set aside, parked (who, why), or still being sent by the
 * connector — and, for the store's staff, Send again and Park (components/decision-dialog.tsx).
 */
import { useEffect, useState } from 'preact/hooks';
import type { ReleasesAwaiting } from '../api-types.js';
import { useApp } from '../app-context.js';
import { DecisionDialog } from '../components/decision-dialog.js';
import { Icon } from '../components/icon.js';
import { ErrorNotice, InfoNotice, Loading } from '../components/notice.js';
import { useExceptionI18n } from '../exceptions-i18n.js';
import { age, dateTime } from '../format.js';
import { useI18n } from '../i18n.js';
import { canConfirmCashAt } from '../logic/cod.js';
import { type Decision, releaseDecisions } from '../logic/exceptions.js';
import { useOffline } from '../offline.js';
import { href } from '../router.js';

/** The list is read from the tables, which follow the pipeline within a second or two. */
const RELOAD_AFTER_DECISION_MS = [1_500, 5_000];

export function ReleasesScreen() {
  const { api, store, session, announce } = useApp();
  const i18n = useI18n();
  const { t, tn } = useExceptionI18n();
  const { offline } = useOffline();
  const [answer, setAnswer] = useState<ReleasesAwaiting>();
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const [deciding, setDeciding] = useState<{ orderId: string; decision: Decision }>();
  const [decided, setDecided] = useState(0);
  const canDecide = store !== undefined && canConfirmCashAt(session.claims, store) && !offline;

  useEffect(() => {
    document.title = `${t('releases.title')} – ${i18n.t('app.name')}`;
  }, [t, i18n]);

  useEffect(() => {
    if (!store) return;
    const controller = new AbortController();
    api
      .get<ReleasesAwaiting>('/releases/awaiting-slick', { store }, controller.signal)
      .then((next) => {
        setAnswer(next);
        setError(undefined);
      })
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) setError(failure);
      });
    return () => controller.abort();
  }, [api, store, attempt]);

  useEffect(() => {
    if (decided === 0) return;
    const timers = RELOAD_AFTER_DECISION_MS.map((ms) => setTimeout(() => setAttempt((n) => n + 1), ms));
    return () => timers.forEach(clearTimeout);
  }, [decided]);

  if (!store)
    return (
      <section class="screen">
        <h1>{t('releases.title')}</h1>
        <InfoNotice>{i18n.t('board.chooseStore')}</InfoNotice>
      </section>
    );

  return (
    <section class="screen" aria-labelledby="releases-title" data-testid="releases">
      <div class="screen-head">
        <h1 id="releases-title">{t('releases.title')}</h1>
      </div>
      <p class="field-hint releases-intro">{t('releases.intro')}</p>
      {error !== undefined && <ErrorNotice error={error} onRetry={() => setAttempt((n) => n + 1)} />}
      {answer === undefined && error === undefined && <Loading label={t('releases.loading')} />}
      {answer && answer.releases.length === 0 && <InfoNotice tone="success">{t('releases.none')}</InfoNotice>}
      {answer && answer.releases.length > 0 && (
        <div class="table-wrap panel">
          <table class="results-table">
            <thead>
              <tr>
                <th scope="col">{t('releases.col.order')}</th>
                <th scope="col">{t('releases.col.released')}</th>
                <th scope="col">{t('releases.col.state')}</th>
                {canDecide && <th scope="col">{t('releases.col.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {answer.releases.map((release) => {
                const tone = release.parked ? 'tone-waiting' : release.refused ? 'tone-attention' : 'tone-waiting';
                return (
                  <tr key={release.releaseId} data-testid={`release-${release.orderId}`}>
                    <th scope="row">
                      <a class="row-link" href={href.order(release.orderId, store)}>
                        {release.orderId}
                      </a>
                    </th>
                    <td>
                      {dateTime(i18n, release.releasedAt)}
                      <span class="line-meta">{t('releases.ago', { age: age(i18n, release.ageSeconds) })}</span>
                    </td>
                    <td data-testid={`release-state-${release.orderId}`}>
                      <span class={`tone-tag ${tone}`}>
                        <Icon name={release.refused && !release.parked ? 'warning' : 'clock'} />
                        {release.refused
                          ? t('releases.state.refused', { status: release.lastHttpStatus ?? '—' })
                          : release.lastOutcome
                            ? t('releases.state.sending', { outcome: release.lastError ?? release.lastOutcome })
                            : t('releases.state.notCalled')}
                      </span>
                      {release.parked && (
                        <span class="line-meta">{t('decision.parkedBy', { by: release.parked.by, note: release.parked.note })}</span>
                      )}
                      <span class="line-meta">{tn('releases.calls', release.calls)}</span>
                    </td>
                    {canDecide && (
                      <td>
                        <span class="row-actions">
                          {releaseDecisions(release).map((decision) => (
                            <button
                              key={decision}
                              type="button"
                              class="button"
                              data-testid={`${decision}-${release.orderId}`}
                              onClick={() => setDeciding({ orderId: release.orderId, decision })}
                            >
                              {t(`decision.${decision}`)}
                            </button>
                          ))}
                        </span>
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {deciding && (
        <DecisionDialog
          orderId={deciding.orderId}
          decision={deciding.decision}
          onClose={() => setDeciding(undefined)}
          onDone={() => {
            announce(t(`decision.done.${deciding.decision}`, { id: deciding.orderId }));
            setDeciding(undefined);
            setDecided((n) => n + 1);
          }}
        />
      )}
    </section>
  );
}
