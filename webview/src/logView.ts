// The log area: trainer log lines, the snapshot's warnings and, for a failed
// run, its error. A line that carries a message id is shown in the editor's
// language (src/core/trainerLogTable.ts); one without, as its plain text.

import type { RunMeta } from '../../src/core/types';
import { h } from './dom';
import type { Translate } from '../../src/core/dashboardStringTable';
import { asLogText, formatLogText } from '../../src/core/trainerLogTable';
import type { LogTemplates } from '../../src/core/trainerLogTable';
import { RUN_LOG_TAIL } from '../../src/core/runLog';
import type { RunLogLine } from '../../src/core/runLog';

/** A line of the Log card: from the run's log.jsonl (with its seq), a trainer event, or a reader's warning. */
export type LogLine = Pick<RunLogLine, 'level' | 'message' | 'id' | 'args'> & { seq?: number };

/** The line's text in the templates' language. */
export function logLineText(line: LogLine, templates: LogTemplates): string {
  const text = asLogText(line.id, line.args);
  return text ? formatLogText(text, templates) : line.message;
}

/** Lines kept in the view (as many as a run snapshot carries); older ones are dropped. */
export const MAX_LOG_LINES = RUN_LOG_TAIL;

export class LogView {
  readonly element: HTMLElement;
  private readonly title = h('h2', { id: 'log-title' });
  private readonly error = h('div', { id: 'run-error', class: 'run-error', role: 'alert' });
  private readonly list = h('div', { id: 'log', class: 'log', role: 'log', tabindex: 0 });

  constructor() {
    this.element = h('section', { id: 'log-section', class: 'card', 'aria-labelledby': 'log-title' }, this.title, this.error, this.list);
  }

  render(meta: RunMeta, lines: readonly LogLine[], t: Translate, templates: LogTemplates): void {
    this.title.textContent = t('log.title');
    this.list.setAttribute('aria-labelledby', 'log-title');
    const failed = meta.status === 'failed' && meta.error;
    this.error.hidden = !failed;
    this.error.textContent = failed ? t('log.error', meta.error ?? '') : '';
    if (lines.length === 0) {
      this.list.replaceChildren(h('div', { class: 'muted' }, t('log.empty')));
      return;
    }
    this.list.replaceChildren(...lines.map((line) => lineElement(line, templates)));
    this.list.scrollTop = this.list.scrollHeight;
  }

  /** Appends without redrawing the whole list. */
  append(line: LogLine, total: number, templates: LogTemplates): void {
    if (total === 1) this.list.replaceChildren();
    const stick = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 4;
    this.list.append(lineElement(line, templates));
    while (this.list.childElementCount > MAX_LOG_LINES) this.list.firstElementChild?.remove();
    if (stick) this.list.scrollTop = this.list.scrollHeight;
  }
}

function lineElement(line: LogLine, templates: LogTemplates): HTMLElement {
  return h('div', { class: `log-line log-${line.level}` }, logLineText(line, templates));
}
