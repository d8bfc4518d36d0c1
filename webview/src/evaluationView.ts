// The evaluation section: for regression the error metrics and a
// predicted-vs-actual scatter with the y = x line; for classification the
// headline metrics, a per-class table and a shaded confusion matrix.

import { Chart } from 'chart.js';
import type { ClassificationEvaluation, Evaluation, LanguageModelEvaluation, MaskedLanguageModelEvaluation, RegressionEvaluation } from '../../src/core/types';
import { h } from './dom';
import { formatCount, formatMetric } from './format';
import { imageGalleries, type GalleryOptions } from './imageGallery';
import { chartOptions } from './chartOptions';
import type { Translate } from '../../src/core/dashboardStringTable';
import type { ChartTheme } from './theme';
import { withAlpha } from './theme';
// curveChart registers the chart.js controllers and scales this view uses.
import './curveChart';

export class EvaluationView {
  private scatter: Chart<'scatter'> | null = null;
  /** An image classifier's evaluation: where its images load from, and how to open one. */
  private images: GalleryOptions = { base: undefined, open: () => undefined };

  constructor(private readonly container: HTMLElement) {}

  /** Where the shown run's evaluation images are and what a click on one does (takes effect at the next render). */
  setImageOptions(options: GalleryOptions): void {
    this.images = options;
  }

  render(evaluation: Evaluation | undefined, theme: ChartTheme, t: Translate): void {
    this.scatter?.destroy();
    this.scatter = null;
    const title = h('h2', { id: 'evaluation-title' }, t('evaluation.title'));
    if (!evaluation) {
      this.container.replaceChildren(title, h('p', { class: 'muted placeholder' }, t('evaluation.empty')));
      return;
    }
    const caption = h('p', { class: 'muted' }, t('evaluation.caption', evaluation.split, formatCount(evaluation.count)));
    if (evaluation.task === 'regression') this.renderRegression(title, caption, evaluation, theme, t);
    else if (evaluation.task === 'classification') this.renderClassification(title, caption, evaluation, t);
    else if (evaluation.task === 'recommendation') {
      // A recommender: its ranking metrics beside the popularity baseline's.
      const k = evaluation.k;
      const rows: [string, number][] = [
        [`hit rate@${k}`, evaluation.metrics.hitRate],
        [`NDCG@${k}`, evaluation.metrics.ndcg],
        [`popularity hit rate@${k}`, evaluation.baseline.hitRate],
        [`popularity NDCG@${k}`, evaluation.baseline.ndcg],
      ];
      this.container.replaceChildren(title, caption, metricsTable(rows, t));
    } else if (evaluation.task === 'masked-language-model') this.renderMaskedLanguageModel(title, caption, evaluation, t);
    else this.renderLanguageModel(title, caption, evaluation, t);
  }

  /** A masked-language model: masked accuracy beside always guessing the most frequent token, perplexity, and a few sentences filled in. */
  private renderMaskedLanguageModel(title: HTMLElement, caption: HTMLElement, ev: MaskedLanguageModelEvaluation, t: Translate): void {
    const rows: [string, number][] = [
      [t('evaluation.maskedAccuracy'), ev.metrics.masked_accuracy],
      [t('evaluation.maskedBaseline', ev.baseline.token), ev.baseline.masked_accuracy],
      ['perplexity', ev.metrics.perplexity],
      ['loss', ev.metrics.loss],
    ];
    const samples = ev.samples.map((s) => h('li', { class: 'generated' }, s.masked, h('br', {}), h('span', { class: 'prompt' }, s.expected.join(' ')), ` → ${s.predicted.join(' ')}`));
    this.container.replaceChildren(
      title,
      caption,
      metricsTable(rows, t),
      samples.length ? h('h3', {}, t('evaluation.filledIn')) : '',
      samples.length ? h('ol', { class: 'generated-list', id: 'masked-samples' }, ...samples) : '',
    );
  }

  private renderLanguageModel(title: HTMLElement, caption: HTMLElement, ev: LanguageModelEvaluation, t: Translate): void {
    const samples = ev.samples.map((sample, i) => {
      const prompt = ev.prompts?.[i];
      // The prompt is shown apart from what the model wrote after it.
      const continuation = prompt !== undefined && sample.startsWith(prompt) ? sample.slice(prompt.length) : sample;
      return h(
        'li',
        { class: 'generated' },
        prompt !== undefined && continuation !== sample ? h('span', { class: 'prompt' }, prompt) : null,
        continuation,
      );
    });
    this.container.replaceChildren(
      title,
      caption,
      metricsTable(
        [
          ['loss', ev.metrics.loss],
          ['perplexity', ev.metrics.perplexity],
        ],
        t,
      ),
      samples.length ? h('h3', {}, t('evaluation.generated')) : '',
      samples.length ? h('ol', { class: 'generated-list', id: 'generated-samples' }, ...samples) : '',
    );
  }

  private renderRegression(title: HTMLElement, caption: HTMLElement, ev: RegressionEvaluation, theme: ChartTheme, t: Translate): void {
    const rows = (['mse', 'mae', 'rmse', 'r2'] as const).map((name) => [name, ev.metrics[name]] as const);
    const canvas = h('canvas', { id: 'eval-scatter', role: 'img', 'aria-label': t('evaluation.scatter.aria') });
    this.container.replaceChildren(
      title,
      caption,
      h('div', { class: 'evaluation-regression' }, metricsTable(rows, t), h('div', { class: 'chart-box scatter-box' }, canvas)),
    );
    this.scatter = drawScatter(canvas, ev, theme, t);
  }

  private renderClassification(title: HTMLElement, caption: HTMLElement, ev: ClassificationEvaluation, t: Translate): void {
    const headline = metricsTable(
      [
        [t('evaluation.accuracy'), ev.metrics.accuracy],
        [t('evaluation.macroPrecision'), ev.metrics.macroPrecision],
        [t('evaluation.macroRecall'), ev.metrics.macroRecall],
        [t('evaluation.macroF1'), ev.metrics.macroF1],
      ],
      t,
    );
    const perClass = h(
      'table',
      { class: 'data-table', id: 'per-class' },
      h('caption', {}, t('evaluation.perClass')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, t('evaluation.label')),
          ...(['evaluation.precision', 'evaluation.recall', 'evaluation.f1', 'evaluation.support'] as const).map((id) => h('th', { scope: 'col', class: 'num' }, t(id))),
        ),
      ),
      h(
        'tbody',
        {},
        ...ev.perClass.map((c) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, c.label),
            h('td', { class: 'num mono' }, formatMetric(c.precision)),
            h('td', { class: 'num mono' }, formatMetric(c.recall)),
            h('td', { class: 'num mono' }, formatMetric(c.f1)),
            h('td', { class: 'num mono' }, formatCount(c.support)),
          ),
        ),
      ),
    );
    this.container.replaceChildren(
      title,
      caption,
      h('div', { class: 'evaluation-classification' }, headline, h('div', { class: 'table-scroll' }, perClass)),
      h('div', { class: 'table-scroll' }, confusionTable(ev, t)),
      ev.images?.length ? imageGalleries(ev.images, this.images, t) : '',
    );
  }

  destroy(): void {
    this.scatter?.destroy();
    this.scatter = null;
  }
}

function metricsTable(rows: readonly (readonly [string, number])[], t: Translate): HTMLTableElement {
  return h(
    'table',
    { class: 'data-table metrics-table', id: 'evaluation-metrics' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('evaluation.metric')), h('th', { scope: 'col', class: 'num' }, t('evaluation.value')))),
    h(
      'tbody',
      {},
      ...rows.map(([name, value]) =>
        h('tr', { 'data-metric': name }, h('th', { scope: 'row' }, name), h('td', { class: 'num mono', title: String(value) }, formatMetric(value))),
      ),
    ),
  );
}

function confusionTable(ev: ClassificationEvaluation, t: Translate): HTMLTableElement {
  let max = 0;
  for (const row of ev.confusion) for (const n of row) max = Math.max(max, n);
  const header = h(
    'tr',
    {},
    h('th', { scope: 'col', class: 'corner' }, t('evaluation.confusion.corner')),
    ...ev.labels.map((label) => h('th', { scope: 'col', class: 'num' }, label)),
  );
  const rows = ev.labels.map((actual, i) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, actual),
      ...ev.labels.map((predicted, j) => {
        const n = ev.confusion[i]?.[j] ?? 0;
        const cell = h(
          'td',
          {
            class: `num mono cm-cell${i === j ? ' cm-diagonal' : ''}`,
            'data-actual': i,
            'data-predicted': j,
            title: t('evaluation.confusion.cell', actual, predicted, n),
          },
          formatCount(n),
        );
        // Shade by count relative to the largest cell. Set through the CSSOM:
        // a strict CSP blocks style attributes in markup, not element.style.
        const share = max > 0 ? n / max : 0;
        cell.style.setProperty('--cm-share', `${Math.round(share * 85)}%`);
        // Past this shade the editor background colour reads better than the foreground.
        if (share >= 0.8) cell.classList.add('cm-strong');
        return cell;
      }),
    ),
  );
  return h(
    'table',
    { class: 'data-table confusion-matrix', id: 'confusion-matrix' },
    h('caption', {}, t('evaluation.confusion')),
    h('thead', {}, header),
    h('tbody', {}, ...rows),
  );
}

function drawScatter(canvas: HTMLCanvasElement, ev: RegressionEvaluation, theme: ChartTheme, t: Translate): Chart<'scatter'> {
  let lo = Infinity;
  let hi = -Infinity;
  const points = ev.samples
    .filter(([a, p]) => Number.isFinite(a) && Number.isFinite(p))
    .map(([actual, predicted]) => {
      lo = Math.min(lo, actual, predicted);
      hi = Math.max(hi, actual, predicted);
      return { x: actual, y: predicted };
    });
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  // Same data range on both axes, so the diagonal is y = x; chart.js rounds it to nice ticks.
  const range = { min: lo, max: hi };
  return new Chart<'scatter'>(canvas, {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: t('evaluation.perfect'),
          data: [{ x: lo, y: lo }, { x: hi, y: hi }],
          showLine: true,
          borderColor: theme.muted,
          borderDash: [4, 4],
          borderWidth: 1,
          pointRadius: 0,
          order: 0,
        },
        {
          label: t('evaluation.samples'),
          data: points,
          backgroundColor: withAlpha(theme.train, 0.65),
          borderColor: theme.train,
          borderWidth: 0,
          pointRadius: 3,
          order: 1,
        },
      ],
    },
    options: chartOptions<'scatter'>({
      theme,
      x: { title: t('evaluation.actual'), suggested: range },
      y: { title: t('evaluation.predicted'), suggested: range },
      legend: true,
      label: (item) => {
        const p = item.raw as { x: number; y: number };
        return `${t('evaluation.actual')} ${formatMetric(p.x)}, ${t('evaluation.predicted')} ${formatMetric(p.y)}`;
      },
    }),
  });
}
