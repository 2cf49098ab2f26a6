/**
 * One table of a report, with its "Download CSV" button: the rows, and footer rows (the totals) when given. The
 * CSV holds what the table shows, money as the exact four decimals, in the columns' own CSV form.
 */
import type { ComponentChildren } from 'preact';
import { useApp } from '../app-context.js';
import { csvText, type CsvValue } from '../logic/reports.js';
import { useReportI18n } from '../reports-i18n.js';

export interface ReportColumn<R> {
  label: string;
  /** The CSV header when it is not the label (a duration in seconds). */
  csvLabel?: string;
  /** Right-aligned figures. */
  num?: boolean;
  cell(row: R): ComponentChildren;
  csv(row: R): CsvValue;
}

/** Saves `text` as a file: a Blob behind a link clicked once. */
function saveFile(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL by now; later, it can go.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ReportTable<R>({
  id,
  title,
  hint,
  columns,
  rows,
  footer = [],
  rowKey,
  fileName,
  controls,
  ready = true,
}: {
  id: string;
  title: string;
  hint?: string;
  /** What chooses the rows (a range form), under the heading. */
  controls?: ComponentChildren;
  /** False while the rows are being read: nothing is said of them yet. */
  ready?: boolean;
  columns: ReportColumn<R>[];
  rows: R[];
  footer?: R[];
  rowKey(row: R): string;
  fileName: string;
}) {
  const { announce } = useApp();
  const { t: rt } = useReportI18n();
  const titleId = `${id}-title`;
  const download = () => {
    const body = [...rows, ...footer].map((row) => columns.map((column) => column.csv(row)));
    saveFile(
      fileName,
      csvText(
        columns.map((column) => column.csvLabel ?? column.label),
        body,
      ),
    );
    announce(rt('reports.downloaded', { file: fileName }));
  };
  const cells = (row: R, total = false) =>
    columns.map((column, index) => {
      const content = total ? <strong>{column.cell(row)}</strong> : column.cell(row);
      const className = column.num ? 'num' : undefined;
      return index === 0 ? (
        <th key={index} scope="row" class={className}>
          {content}
        </th>
      ) : (
        <td key={index} class={className}>
          {content}
        </td>
      );
    });
  return (
    <section class="panel report" aria-labelledby={titleId} data-testid={`report-${id}`} data-rows={rows.length}>
      <div class="panel-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" class="button" data-testid={`csv-${id}`} disabled={!ready || rows.length === 0} onClick={download}>
          {rt('reports.download')}
          <span class="sr-only"> – {title}</span>
        </button>
      </div>
      {hint && <p class="field-hint">{hint}</p>}
      {controls}
      {!ready ? null : rows.length === 0 ? (
        <p class="empty">{rt('reports.empty')}</p>
      ) : (
        // Focusable, so that a table wider than the screen scrolls from the keyboard too.
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby={titleId}>
          <table class="results-table">
            <thead>
              <tr>
                {columns.map((column, index) => (
                  <th key={index} scope="col" class={column.num ? 'num' : undefined}>
                    {column.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={rowKey(row)} data-key={rowKey(row)}>
                  {cells(row)}
                </tr>
              ))}
            </tbody>
            {footer.length > 0 && (
              <tfoot>
                {footer.map((row) => (
                  <tr key={rowKey(row)} data-key={rowKey(row)} data-total="true">
                    {cells(row, true)}
                  </tr>
                ))}
              </tfoot>
            )}
          </table>
        </div>
      )}
    </section>
  );
}
