// The curves section: a toolbar (x axis, log scale, smoothing, metric), the
// loss chart and the chart of the other metrics.

import { h } from './dom';
import { CurveChart } from './curveChart';
import type { MetricSeriesStore, XAxisMode } from './metricSeries';
import { baseMetricName, decadesSpanned, isLossKey } from './metricSeries';
import { isSystemKey, metricChoiceRank } from '../../src/core/systemMetrics';
import type { Series } from './metricSeries';
import type { Translate } from '../../src/core/dashboardStringTable';
import type { ChartTheme } from './theme';
import type { DashboardFoldBand } from '../../src/core/protocol/dashboard';

/** A chart whose curves span more decades than this gets a logarithmic value axis until the user picks one. */
export const AUTO_LOG_DECADES = 2;

export interface ChartOptionsState {
  xAxis: XAxisMode;
  /** The user's choice; absent until they make one, when each chart picks by the decades its curves span. */
  logScale?: boolean;
  /** Smoothing weight in [0, 0.99]. */
  smoothing: number;
  /** Base name of the metric on the metric chart (mae, accuracy, lr…). */
  metric?: string;
}

type ValueElement = HTMLElement & { value: string };
type CheckedElement = HTMLElement & { checked: boolean };

export class ChartsPanel {
  readonly element: HTMLElement;
  private readonly lossCanvas = h('canvas', { id: 'loss-chart', role: 'img', 'data-points': '0' });
  private readonly metricCanvas = h('canvas', { id: 'metric-chart', role: 'img', 'data-points': '0' });
  private readonly lossEmpty = h('p', { class: 'chart-empty muted' });
  private readonly metricEmpty = h('p', { class: 'chart-empty muted' });
  private readonly lossTitle = h('h2', { id: 'loss-title' });
  private readonly metricTitle = h('h2', { id: 'metric-title' });
  private readonly xAxisGroup = h('vscode-radio-group', { id: 'x-axis', orientation: 'horizontal' }) as ValueElement;
  private readonly xAxisLabel = h('label', { slot: 'label' });
  private readonly stepRadio = h('vscode-radio', { value: 'step' });
  private readonly epochRadio = h('vscode-radio', { value: 'epoch' });
  private readonly logBox = h('vscode-checkbox', { id: 'log-scale' }) as CheckedElement;
  private readonly smoothingLabel = h('label', { for: 'smoothing' });
  private readonly smoothing = h('input', { id: 'smoothing', type: 'range', min: 0, max: 0.99, step: 0.01 });
  private readonly smoothingValue = h('output', { id: 'smoothing-value', for: 'smoothing' });
  private readonly metricLabel = h('label', { id: 'metric-select-label', class: 'visually-hidden' });
  private readonly metricSelect = h('vscode-dropdown', { id: 'metric-select', 'aria-labelledby': 'metric-select-label' }) as ValueElement;
  private metricChoices: string[] = [];
  private lossChart: CurveChart | null = null;
  private metricChart: CurveChart | null = null;
  private ui: ChartOptionsState = { xAxis: 'step', smoothing: 0.6 };
  /** The loss chart's scale as drawn: the user's choice, or the automatic one; the checkbox shows it. */
  private lossLog = false;

  constructor(private readonly onChange: (ui: ChartOptionsState) => void) {
    this.xAxisGroup.append(this.xAxisLabel, this.stepRadio, this.epochRadio);
    const toolbar = h(
      'div',
      { class: 'chart-toolbar' },
      this.xAxisGroup,
      this.logBox,
      h('span', { class: 'smoothing' }, this.smoothingLabel, this.smoothing, this.smoothingValue),
    );
    this.element = h(
      'section',
      { class: 'charts', 'aria-labelledby': 'loss-title metric-title' },
      toolbar,
      h(
        'div',
        { class: 'chart-grid' },
        h(
          'div',
          { class: 'card chart-card' },
          h('div', { class: 'card-title' }, this.lossTitle),
          h('div', { class: 'chart-box' }, this.lossCanvas, this.lossEmpty),
        ),
        h(
          'div',
          { class: 'card chart-card' },
          h('div', { class: 'card-title' }, this.metricTitle, this.metricLabel, this.metricSelect),
          h('div', { class: 'chart-box' }, this.metricCanvas, this.metricEmpty),
        ),
      ),
    );

    this.xAxisGroup.addEventListener('change', () => {
      const v = this.xAxisGroup.value;
      if (v === 'step' || v === 'epoch') this.change({ xAxis: v });
    });
    this.logBox.addEventListener('change', () => {
      // The checkbox fires change when syncControls sets it too; only a change from what is drawn is the user's.
      if (this.logBox.checked !== (this.ui.logScale ?? this.lossLog)) this.change({ logScale: this.logBox.checked });
    });
    this.smoothing.addEventListener('input', () => this.change({ smoothing: Number(this.smoothing.value) }));
    this.metricSelect.addEventListener('change', () => {
      if (this.metricChoices.includes(this.metricSelect.value)) this.change({ metric: this.metricSelect.value });
    });
  }

  private change(patch: Partial<ChartOptionsState>): void {
    const next = { ...this.ui, ...patch };
    if (JSON.stringify(next) === JSON.stringify(this.ui)) return;
    this.ui = next;
    this.syncControls();
    this.onChange(next);
  }

  setOptions(ui: ChartOptionsState): void {
    this.ui = { ...ui };
    this.syncControls();
  }

  private syncControls(): void {
    if (this.xAxisGroup.value !== this.ui.xAxis) this.xAxisGroup.value = this.ui.xAxis;
    this.stepRadio.toggleAttribute('checked', this.ui.xAxis === 'step');
    this.epochRadio.toggleAttribute('checked', this.ui.xAxis === 'epoch');
    const log = this.ui.logScale ?? this.lossLog;
    if (this.logBox.checked !== log) this.logBox.checked = log;
    if (Number(this.smoothing.value) !== this.ui.smoothing) this.smoothing.value = String(this.ui.smoothing);
    this.smoothingValue.textContent = this.ui.smoothing.toFixed(2);
  }

  /** Static texts; called when the strings change. */
  label(t: Translate): void {
    this.lossTitle.textContent = t('charts.loss');
    this.metricTitle.textContent = t('charts.metrics');
    this.lossCanvas.setAttribute('aria-label', t('charts.loss.aria'));
    this.metricCanvas.setAttribute('aria-label', t('charts.metrics.aria'));
    this.lossEmpty.textContent = t('charts.noData');
    this.metricEmpty.textContent = t('charts.noData');
    this.xAxisLabel.textContent = t('charts.xAxis');
    this.stepRadio.textContent = t('charts.xAxis.step');
    this.epochRadio.textContent = t('charts.xAxis.epoch');
    this.logBox.textContent = t('charts.logScale');
    this.smoothingLabel.textContent = t('charts.smoothing');
    this.metricLabel.textContent = t('charts.metric');
  }

  /** Redraws both charts from the store. */
  draw(store: MetricSeriesStore, theme: ChartTheme, t: Translate, foldBand?: DashboardFoldBand): void {
    // Charts are created lazily: chart.js measures its container, which must be in the document.
    this.lossChart ??= new CurveChart(this.lossCanvas, t('charts.loss.aria'));
    this.metricChart ??= new CurveChart(this.metricCanvas, t('charts.metrics.aria'));

    const keys = store.keys();
    // In first-seen order within each rank: the model's metrics, the learning rate, then the system/ keys.
    const choices = [...new Set(keys.filter((k) => !isLossKey(k)).map(baseMetricName))].sort((a, b) => metricChoiceRank(a) - metricChoiceRank(b));
    this.updateMetricChoices(choices);
    const metric = this.ui.metric && choices.includes(this.ui.metric) ? this.ui.metric : (choices.find((c) => c !== 'lr' && !isSystemKey(c)) ?? choices[0]);

    const loss = store.build(isLossKey, this.ui.xAxis, this.ui.smoothing);
    const other = metric ? store.build((k) => baseMetricName(k) === metric && !isLossKey(k), this.ui.xAxis, this.ui.smoothing) : [];
    const view = (series: readonly Series[], yTitle: string) => ({
      xAxis: this.ui.xAxis,
      logScale: this.ui.logScale ?? decadesSpanned(series) > AUTO_LOG_DECADES,
      smoothing: this.ui.smoothing,
      yTitle,
      theme,
      t,
    });
    const lossView = view(loss, t('charts.yAxis.loss'));
    // A fold of a cross-validation: its folds' mean ± std behind its own curves.
    const bands = (pick: (key: string) => boolean) => ({ k: foldBand?.k ?? 0, series: (foldBand?.series ?? []).filter((b) => pick(b.key)) });
    this.lossChart.update(loss, lossView, bands(isLossKey));
    this.metricChart.update(other, view(other, metric ?? ''), bands((k) => !!metric && baseMetricName(k) === metric && !isLossKey(k)));
    if (lossView.logScale !== this.lossLog) {
      this.lossLog = lossView.logScale;
      this.syncControls();
    }
    this.showEmpty(this.lossCanvas, this.lossEmpty, loss.length === 0);
    this.showEmpty(this.metricCanvas, this.metricEmpty, other.length === 0);
    this.metricSelect.hidden = choices.length < 2;
    if (metric && this.metricSelect.value !== metric) this.metricSelect.value = metric;
  }

  /** An empty chart shows a message instead of bare axes; `visibility` keeps the canvas measured. */
  private showEmpty(canvas: HTMLCanvasElement, message: HTMLElement, empty: boolean): void {
    canvas.style.visibility = empty ? 'hidden' : '';
    message.hidden = !empty;
  }

  private updateMetricChoices(choices: string[]): void {
    if (choices.join('\n') === this.metricChoices.join('\n')) return;
    this.metricChoices = choices;
    this.metricSelect.replaceChildren(...choices.map((c) => h('vscode-option', { value: c }, c)));
  }

  destroy(): void {
    this.lossChart?.destroy();
    this.metricChart?.destroy();
    this.lossChart = this.metricChart = null;
  }
}
