/**
 * The reports screen is its own chunk, fetched the first time it is opened, as the bundle screens are: a tablet
 * at the counter rarely needs it. This part stays in the shell: the loader (the screen's own words come with it,
 * from reports-i18n.ts).
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { ErrorNotice, Loading } from '../components/notice.js';
import { type Lang, useI18n } from '../i18n.js';

type ReportScreens = typeof import('./reports.js');
let reportScreens: Promise<ReportScreens> | undefined;

export function LazyReports({ query }: { query: URLSearchParams }) {
  const { t } = useI18n();
  const [screens, setScreens] = useState<ReportScreens>();
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    setFailed(false);
    (reportScreens ??= import('./reports.js')).then(
      (loaded) => {
        if (!current) return;
        setScreens(loaded);
        // The screen's heading takes the focus, as on any other screen (it was not there when the route changed).
        requestAnimationFrame(() => {
          const active = document.activeElement;
          if (active && active !== document.body && active.id !== 'main') return;
          const heading = document.querySelector<HTMLElement>('#main h1');
          if (heading) {
            heading.tabIndex = -1;
            heading.focus();
          }
        });
      },
      () => {
        reportScreens = undefined;
        if (current) setFailed(true);
      },
    );
    return () => {
      current = false;
    };
  }, [attempt]);
  if (failed)
    return <ErrorNotice error={new ApiError(0, 'NETWORK', 'the screen could not be loaded')} onRetry={() => setAttempt((n) => n + 1)} />;
  if (!screens) return <Loading label={t('common.loading')} />;
  return <screens.ReportsScreen query={query} />;
}
