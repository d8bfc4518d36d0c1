// Keras-style model summary: Layer (type) | Output shape | Param #, then totals.

import type { ModelSummary } from '../../src/core/types';
import { h } from './dom';
import { formatCount, formatShape } from './format';
import type { Translate } from '../../src/core/dashboardStringTable';

export function renderSummary(container: HTMLElement, summary: ModelSummary | undefined, t: Translate): void {
  const title = h('h2', { id: 'model-summary-title' }, t('summary.title'));
  if (!summary) {
    container.replaceChildren(title, h('p', { class: 'muted placeholder' }, t('summary.empty')));
    return;
  }
  const head = h(
    'thead',
    {},
    h('tr', {}, h('th', { scope: 'col' }, t('summary.layer')), h('th', { scope: 'col' }, t('summary.outputShape')), h('th', { scope: 'col', class: 'num' }, t('summary.params'))),
  );
  const body = h(
    'tbody',
    {},
    ...summary.layers.map((layer) =>
      h(
        'tr',
        {},
        h('td', {}, `${layer.name} (${layer.type})`),
        h('td', { class: 'mono' }, formatShape(layer.outputShape)),
        h('td', { class: 'num mono' }, formatCount(layer.params)),
      ),
    ),
  );
  const nonTrainable = summary.totalParams - summary.trainableParams;
  container.replaceChildren(
    title,
    h('p', { class: 'muted mono' }, t('summary.input', formatShape(summary.inputShape))),
    h('div', { class: 'table-scroll' }, h('table', { class: 'data-table summary-table', 'aria-labelledby': 'model-summary-title' }, head, body)),
    h(
      'ul',
      { class: 'totals' },
      h('li', { 'data-total': 'total' }, t('summary.total', formatCount(summary.totalParams))),
      h('li', { 'data-total': 'trainable' }, t('summary.trainable', formatCount(summary.trainableParams))),
      h('li', { 'data-total': 'non-trainable' }, t('summary.nonTrainable', formatCount(nonTrainable))),
    ),
  );
}
