// What the attention and saliency sections both show of an inference model's
// answer: the status line (no model, nothing open, pending, error), the line
// naming the model (pinned or the latest) with the run it comes from, and one
// bar per class probability. Each section keeps its own
// strings and CSS class prefix; labels go in as textContent.

import type { StringId, Translate } from '../../src/core/dashboardStringTable';
import { h } from './dom';

/** The model a section uses, as the host names it. */
export interface ShownModel {
  runId: string;
  name: string;
  pinned: boolean;
}

/** A section's status strings: no model, nothing to look at (no text, no image), pending, error (with its message). */
export interface StatusStrings {
  noModel: StringId;
  noInput: StringId;
  pending: StringId;
  error: StringId;
}

/** The status line's text: empty when ready; no model, pending, error, else (no input, or no message yet) nothing to look at. */
export function statusText(status: 'noModel' | 'noText' | 'noImage' | 'pending' | 'ready' | 'error' | undefined, error: string | undefined, strings: StatusStrings, t: Translate): string {
  switch (status) {
    case 'noModel':
      return t(strings.noModel);
    case 'pending':
      return t(strings.pending);
    case 'error':
      return t(strings.error, error ?? '');
    case 'ready':
      return '';
    default:
      return t(strings.noInput);
  }
}

/** Shows `text` in a status element, hidden when empty. */
export function showStatus(element: HTMLElement, text: string): void {
  element.textContent = text;
  element.hidden = text === '';
}

/** A section's strings for its model line: the line itself (name, then pinned or latest), pinned, latest, and the run line (run id). */
export interface ModelLineStrings {
  model: StringId;
  pinned: StringId;
  latest: StringId;
  run: StringId;
}

/** Fills the model and run lines (empty without a model) and sets or removes data-run-id on the section. */
export function renderModelLine(section: HTMLElement, modelLine: HTMLElement, runLine: HTMLElement, model: ShownModel | undefined, strings: ModelLineStrings, t: Translate): void {
  modelLine.textContent = model ? t(strings.model, model.name, model.pinned ? t(strings.pinned) : t(strings.latest)) : '';
  runLine.textContent = model ? t(strings.run, model.runId) : '';
  if (model) section.dataset.runId = model.runId;
  else delete section.dataset.runId;
}

/**
 * One class's row: `${prefix}-prob` (with `best` for the predicted class) holding the label,
 * a track whose bar is `fraction` of its width, and the value as written.
 */
export function probabilityRow(prefix: string, row: { label: string; best: boolean; fraction: number; value: string; role?: string }): HTMLElement {
  const bar = h('span', { class: `${prefix}-prob-bar` });
  bar.style.width = `${Math.round(row.fraction * 100)}%`;
  return h(
    'div',
    { class: `${prefix}-prob${row.best ? ' best' : ''}`, 'data-label': row.label, role: row.role },
    h('span', { class: `${prefix}-prob-label` }, row.label),
    h('span', { class: `${prefix}-prob-track` }, bar),
    h('span', { class: `${prefix}-prob-value` }, row.value),
  );
}
