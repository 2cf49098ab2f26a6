/**
 * The reports screen is its own chunk, fetched the first time it is opened, as the bundle screens are: a tablet
 * at the counter rarely needs it. This part stays in the shell: the loader (the screen's own words come with it,
 * from reports-i18n.ts).
 */
import { ChunkPending, lazyScreens } from '../lazy-screens.js';

const useReportScreens = lazyScreens(() => import('./reports.js'));

export function LazyReports({ query }: { query: URLSearchParams }) {
  const chunk = useReportScreens();
  if (!chunk.screens) return <ChunkPending chunk={chunk} />;
  return <chunk.screens.ReportsScreen query={query} />;
}
