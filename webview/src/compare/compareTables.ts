// The comparison tables: final metrics and parameters, one column per run.
// "Differences only" hides rows where every run agrees; a pinned baseline
// makes the other runs' metric cells show their difference to it (green when
// better, red when worse) and marks their parameters that differ from it.

import type { CompareRun, ParamValue } from '../../../src/core/protocol/compare';
import type { CompareTranslate } from '../../../src/core/compareStringTable';
import { compareRows, metricDelta, visibleRows, type ComparedRow } from '../../../src/core/runComparison';
import { h } from '../dom';
import { secondsAgo } from '../../../src/core/clusterRuns';
import { formatMetric } from '../format';

export interface TablesView {
  runs: readonly CompareRun[];
  colors: ReadonlyMap<string, string>;
  baselineId: string | undefined;
  differencesOnly: boolean;
  t: CompareTranslate;
}

export interface TableActions {
  pin(runId: string | undefined): void;
  remove(runId: string): void;
  open(runId: string): void;
}

export function renderTables(container: HTMLElement, view: TablesView, actions: TableActions): void {
  const metricRows = compareRows(view.runs.map((r) => r.final));
  const paramRows = compareRows(view.runs.map((r) => r.params));
  container.replaceChildren(
    h('h2', { id: 'metrics-title' }, view.t('compare.metrics')),
    tableOf('metrics-table', 'metrics-title', visibleRows(metricRows, view.differencesOnly), view, actions, metricCell),
    h('h2', { id: 'params-title' }, view.t('compare.params')),
    tableOf('params-table', 'params-title', visibleRows(paramRows, view.differencesOnly), view, actions, paramCell),
  );
}

type CellRenderer<T> = (td: HTMLTableCellElement, row: ComparedRow<T>, index: number, baselineIndex: number) => void;

function tableOf<T>(
  id: string,
  labelledBy: string,
  rows: ComparedRow<T>[],
  view: TablesView,
  actions: TableActions,
  renderCell: CellRenderer<T>,
): HTMLElement {
  const baselineIndex = view.runs.findIndex((r) => r.id === view.baselineId);
  const head = h('tr', {}, h('th', { scope: 'col' }, view.t('compare.key')));
  view.runs.forEach((run) => head.append(columnHeader(run, view, actions)));
  const body = h('tbody');
  for (const row of rows) {
    const tr = h('tr', { 'data-key': row.key, 'data-differs': row.differs ? 'true' : 'false' }, h('th', { scope: 'row', class: 'mono', title: row.key }, row.key));
    row.values.forEach((_, i) => {
      const td = h('td', { 'data-run-id': view.runs[i].id });
      if (i === baselineIndex) td.classList.add('baseline');
      renderCell(td, row, i, baselineIndex);
      tr.append(td);
    });
    body.append(tr);
  }
  const table = h('table', { id, class: 'data-table compare-table', 'aria-labelledby': labelledBy }, h('thead', {}, head), body);
  // Both tables lay out their columns alike (fixed layout, one width per run), so a run's column lines up.
  table.style.setProperty('--runs', String(view.runs.length));
  const out = h('div', { class: 'table-scroll' }, table);
  if (rows.length === 0) out.append(h('p', { class: 'muted all-same' }, view.t('compare.allSame')));
  return out;
}

function columnHeader(run: CompareRun, view: TablesView, actions: TableActions): HTMLElement {
  const isBaseline = run.id === view.baselineId;
  const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  swatch.style.backgroundColor = view.colors.get(run.id) ?? '';
  const name = h('a', { href: '#', class: 'run-link', title: view.t('compare.open') }, run.label);
  name.addEventListener('click', (e) => {
    e.preventDefault();
    actions.open(run.id);
  });
  const pin = h(
    'button',
    {
      class: 'icon-button pin',
      type: 'button',
      'aria-pressed': isBaseline ? 'true' : 'false',
      title: isBaseline ? view.t('compare.unpin') : view.t('compare.pin'),
      'aria-label': isBaseline ? view.t('compare.unpin') : view.t('compare.pin'),
    },
    isBaseline ? '◆' : '◇',
  );
  pin.addEventListener('click', () => actions.pin(isBaseline ? undefined : run.id));
  const remove = h('button', { class: 'icon-button remove', type: 'button', title: view.t('compare.remove'), 'aria-label': view.t('compare.remove') }, '×');
  remove.addEventListener('click', () => actions.remove(run.id));
  const th = h(
    'th',
    { scope: 'col', 'data-run-id': run.id, class: isBaseline ? 'baseline' : undefined },
    h('span', { class: 'column-head' }, swatch, name, pin, remove),
    h(
      'span',
      { class: 'column-sub muted' },
      view.t(`status.${run.status}`),
      ...(run.updatedAt !== undefined ? [' · ', updatedAgo(run.updatedAt, view.t)] : []),
      isBaseline ? ` · ${view.t('compare.baseline')}` : '',
    ),
  );
  return th;
}

/** "updated N s ago" for a cluster run followed from its files; tickUpdatedAgo keeps it current. */
function updatedAgo(updatedAt: number, t: CompareTranslate): HTMLElement {
  return h('span', { class: 'updated-ago', 'data-updated-at': String(updatedAt) }, t('compare.updatedAgo', secondsAgo(updatedAt, Date.now())));
}

/** Redraws every "updated N s ago" under `root` for the time now. */
export function tickUpdatedAgo(root: ParentNode, t: CompareTranslate, now: number = Date.now()): void {
  for (const span of root.querySelectorAll<HTMLElement>('.updated-ago')) {
    const at = Number(span.dataset.updatedAt);
    if (Number.isFinite(at)) span.textContent = t('compare.updatedAgo', secondsAgo(at, now));
  }
}

const metricCell: CellRenderer<number> = (td, row, i, baselineIndex) => {
  const value = row.values[i];
  td.classList.add('num');
  td.append(h('span', { class: 'value' }, value === undefined ? '—' : formatMetric(value)));
  if (baselineIndex < 0 || i === baselineIndex) return;
  const delta = metricDelta(row.key, value, row.values[baselineIndex]);
  if (!delta) return;
  const sign = delta.absolute > 0 ? '+' : delta.absolute < 0 ? '−' : '±';
  const relative = delta.relative !== undefined && delta.absolute !== 0 ? ` (${sign}${(Math.abs(delta.relative) * 100).toFixed(1)}%)` : '';
  const span = h('span', { class: 'delta' }, `${sign}${formatMetric(Math.abs(delta.absolute))}${relative}`);
  if (delta.better !== undefined) span.dataset.better = String(delta.better);
  td.append(' ', span);
};

const paramCell: CellRenderer<ParamValue> = (td, row, i, baselineIndex) => {
  const value = row.values[i];
  td.textContent = value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value);
  td.title = td.textContent;
  td.classList.add('mono');
  if (baselineIndex >= 0 && i !== baselineIndex && value !== row.values[baselineIndex]) td.classList.add('changed');
};
