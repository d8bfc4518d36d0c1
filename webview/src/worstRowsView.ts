// The worst rows of a run's data file (found as the editor predicted the
// file's rows): the largest errors or most confident mistakes first, each a
// button that shows the row in the file.

import type { DashboardWorstRowsMessage, WebviewToHostMessage } from '../../src/core/protocol/dashboard';
import { rowHint } from '../../src/core/rowPredictions';
import type { Translate } from '../../src/core/dashboardStringTable';
import { h } from './dom';
import { formatMetric } from './format';

export class WorstRowsView {
  readonly element: HTMLElement;
  private readonly title = h('h2', { id: 'worst-rows-title' });
  private readonly summary = h('p', { id: 'worst-rows-summary', class: 'muted' });
  private readonly list = h('ol', { id: 'worst-rows', class: 'worst-rows' });
  private readonly hint = h('p', { class: 'muted hint' });
  private message: DashboardWorstRowsMessage | undefined;
  private runId: string | undefined;

  constructor(private readonly post: (m: WebviewToHostMessage) => void, private t: Translate) {
    this.element = h('section', { id: 'worst', class: 'card', 'aria-labelledby': 'worst-rows-title' }, h('div', { class: 'card-title' }, this.title), this.summary, this.list, this.hint);
    this.element.hidden = true;
  }

  setStrings(t: Translate): void {
    this.t = t;
    this.render();
  }

  /** The shown run: the list is for that run's data only. */
  update(runId: string | undefined): void {
    this.runId = runId;
    this.render();
  }

  show(message: DashboardWorstRowsMessage): void {
    if (!Array.isArray(message.rows)) return;
    this.message = message;
    this.render();
  }

  private render(): void {
    const m = this.message;
    const shown = !!m && m.runId === this.runId && m.rows.length > 0;
    this.element.hidden = !shown;
    if (!m || !shown) return;
    const t = this.t;
    this.title.textContent = t('worst.title', m.file);
    const scope = t(m.scope === 'all' ? 'worst.scope.all' : 'worst.scope.test', m.scopeRows);
    const metrics = Object.entries(m.summary?.metrics ?? {}).map(([k, v]) => `${k} ${formatMetric(v)}`).join(' · ');
    this.summary.textContent = [scope, metrics].filter(Boolean).join(' · ');
    this.hint.textContent = t('worst.hint');
    this.list.replaceChildren(
      ...m.rows.map((row, index) => {
        const target = row.target === undefined || row.target === null ? '' : ` · ${t('worst.target', typeof row.target === 'number' ? formatMetric(row.target) : row.target)}`;
        const button = h('button', { type: 'button', class: 'link-button', 'data-line': row.line }, `${t('worst.line', row.line)}  ${rowHint(row)}${target}`);
        button.addEventListener('click', () => this.post({ type: 'revealWorstRow', index }));
        return h('li', {}, button);
      }),
    );
  }
}
