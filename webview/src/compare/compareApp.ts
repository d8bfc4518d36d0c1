// The compare page's controller: holds the runs the host sent and the view
// options, asks the host for curves whenever the metric, x axis or smoothing
// changes (the host smooths and downsamples), draws them, renders the tables,
// and saves the options so a reloaded page comes back as it was.

import type { CompareDistributionsMessage, CompareSeriesMessage, CompareStateMessage, CompareToHostMessage, CompareXAxis } from '../../../src/core/protocol/compare';
import type { LayerDistributions } from '../../../src/core/distributions';
import { makeCompareTranslate, type CompareTranslate } from '../../../src/core/compareStringTable';
import { h } from '../dom';
import { readTheme, type ChartTheme } from '../theme';
import type { VsCodeApi } from '../vscodeApi';
import { CompareChart } from './compareChart';
import { renderTables, tickUpdatedAgo } from './compareTables';
import { runColors } from './runColors';
import { ParallelView } from './parallelView';
import { CompareDistributionsView } from './distributionsCompare';

export interface CompareViewOptions {
  metric: string;
  xAxis: CompareXAxis;
  logScale: boolean;
  smoothing: number;
  differencesOnly: boolean;
  baselineId?: string;
}

export interface ComparePersistedState {
  version: 1;
  /** Read by the host's panel serializer to reopen the same runs after a reload. */
  runIds: string[];
  options: CompareViewOptions;
  last?: CompareStateMessage;
}

const DEFAULT_OPTIONS: CompareViewOptions = { metric: 'loss', xAxis: 'step', logScale: false, smoothing: 0.6, differencesOnly: false };
const SMOOTHING_DEBOUNCE_MS = 120;

type ValueElement = HTMLElement & { value: string };
type CheckedElement = HTMLElement & { checked: boolean };

export class CompareApp {
  private options: CompareViewOptions = { ...DEFAULT_OPTIONS };
  private state: CompareStateMessage | undefined;
  private series: CompareSeriesMessage | undefined;
  private t: CompareTranslate = makeCompareTranslate(undefined);
  private theme: ChartTheme;
  private colors = new Map<string, string>();
  private requestId = 0;
  private smoothingTimer: ReturnType<typeof setTimeout> | undefined;
  private chart: CompareChart | undefined;

  private readonly title = h('h1', { id: 'compare-title' });
  private readonly count = h('span', { id: 'compare-count', class: 'badge' });
  private readonly pngButton = h('vscode-button', { id: 'export-png', appearance: 'secondary' });
  private readonly csvButton = h('vscode-button', { id: 'export-csv', appearance: 'secondary' });
  private readonly empty = h('p', { id: 'compare-empty', class: 'empty-state' });
  private readonly metricLabel = h('label', { id: 'metric-label', for: 'metric-select' });
  private readonly metricSelect = h('vscode-dropdown', { id: 'metric-select', 'aria-labelledby': 'metric-label' }) as ValueElement;
  private readonly xAxisGroup = h('vscode-radio-group', { id: 'x-axis', orientation: 'horizontal' }) as ValueElement;
  private readonly xAxisLabel = h('label', { slot: 'label' });
  private readonly xRadios = {
    step: h('vscode-radio', { value: 'step' }),
    epoch: h('vscode-radio', { value: 'epoch' }),
    time: h('vscode-radio', { value: 'time' }),
  };
  private readonly logBox = h('vscode-checkbox', { id: 'log-scale' }) as CheckedElement;
  private readonly smoothingLabel = h('label', { for: 'smoothing' });
  private readonly smoothing = h('input', { id: 'smoothing', type: 'range', min: 0, max: 0.99, step: 0.01 });
  private readonly smoothingValue = h('output', { id: 'smoothing-value', for: 'smoothing' });
  private readonly canvas = h('canvas', { id: 'compare-chart', role: 'img', 'data-points': '0', 'data-series': '0' });
  private readonly chartEmpty = h('p', { class: 'chart-empty muted', id: 'chart-empty' });
  private readonly lineStyles = h('p', { class: 'muted line-styles', id: 'line-styles' });
  private readonly legend = h('ul', { id: 'run-legend', class: 'run-legend' });
  private readonly diffBox = h('vscode-checkbox', { id: 'differences-only' }) as CheckedElement;
  private readonly tables = h('div', { id: 'compare-tables' });
  private readonly parallel = new ParallelView((runId) => this.api.postMessage({ type: 'openRun', runId }));
  private readonly distributions = new CompareDistributionsView();
  /** The runs' distributions by run id, as the host last sent them. */
  private distributionLines = new Map<string, LayerDistributions[]>();
  private readonly main: HTMLElement;

  constructor(root: HTMLElement, private readonly api: VsCodeApi<ComparePersistedState, CompareToHostMessage>) {
    this.theme = readTheme();
    this.xAxisGroup.append(this.xAxisLabel, this.xRadios.step, this.xRadios.epoch, this.xRadios.time);
    this.main = h(
      'div',
      { id: 'compare', class: 'dashboard compare' },
      h('header', { class: 'title-row' }, this.title, this.count, h('span', { class: 'spacer' }), this.pngButton, this.csvButton),
      h(
        'div',
        { class: 'chart-toolbar' },
        h('span', { class: 'metric-picker' }, this.metricLabel, this.metricSelect),
        this.xAxisGroup,
        this.logBox,
        h('span', { class: 'smoothing' }, this.smoothingLabel, this.smoothing, this.smoothingValue),
      ),
      h(
        'section',
        { class: 'card chart-card', 'aria-labelledby': 'compare-title' },
        h('div', { class: 'chart-box compare-chart-box' }, this.canvas, this.chartEmpty),
        this.legend,
        this.lineStyles,
      ),
      this.parallel.element,
      this.distributions.element,
      h('section', { class: 'card' }, h('div', { class: 'card-title table-toolbar' }, this.diffBox), this.tables),
    );
    root.replaceChildren(this.empty, this.main);
    // A cluster run's "updated N s ago" counts on between the host's updates (which come when its files change).
    setInterval(() => tickUpdatedAgo(this.tables, this.t), 1000);

    this.metricSelect.addEventListener('change', () => {
      const metric = this.metricSelect.value;
      if (metric && metric !== this.options.metric && this.state?.metrics.includes(metric)) this.change({ metric }, true);
    });
    this.xAxisGroup.addEventListener('change', () => {
      const v = this.xAxisGroup.value;
      if ((v === 'step' || v === 'epoch' || v === 'time') && v !== this.options.xAxis) this.change({ xAxis: v }, true);
    });
    this.logBox.addEventListener('change', () => {
      if (this.logBox.checked !== this.options.logScale) this.change({ logScale: this.logBox.checked }, false);
    });
    this.smoothing.addEventListener('input', () => {
      const value = Number(this.smoothing.value);
      this.options = { ...this.options, smoothing: value };
      this.smoothingValue.textContent = value.toFixed(2);
      if (this.smoothingTimer) clearTimeout(this.smoothingTimer);
      this.smoothingTimer = setTimeout(() => this.change({ smoothing: value }, true), SMOOTHING_DEBOUNCE_MS);
    });
    this.diffBox.addEventListener('change', () => {
      if (this.diffBox.checked !== this.options.differencesOnly) this.change({ differencesOnly: this.diffBox.checked }, false);
    });
    this.pngButton.addEventListener('click', () => {
      if (this.chart && this.series) this.api.postMessage({ type: 'exportPng', dataUrl: this.chart.toPng(this.theme.background) });
    });
    this.csvButton.addEventListener('click', () => this.api.postMessage({ type: 'exportCsv' }));
    this.label();
    this.syncControls();
    this.renderVisibility();
  }

  /** Shows what was saved before a reload, before the host answers `ready`. */
  restore(saved: unknown): void {
    const s = saved as Partial<ComparePersistedState> | undefined;
    if (!s || s.version !== 1) return;
    this.options = { ...DEFAULT_OPTIONS, ...s.options };
    this.syncControls();
    if (s.last) this.showState(s.last, false);
  }

  handleMessage(data: unknown): void {
    if (typeof data !== 'object' || data === null) return;
    const msg = data as { type?: unknown };
    if (msg.type === 'compareState') this.showState(data as CompareStateMessage, true);
    else if (msg.type === 'compareSeries') this.showSeries(data as CompareSeriesMessage);
    else if (msg.type === 'compareDistributions') {
      const runs = (data as CompareDistributionsMessage).runs;
      if (!Array.isArray(runs)) return;
      this.distributionLines = new Map(runs.map((r) => [r.runId, r.lines]));
      this.renderDistributions();
    }
  }

  onThemeChange(): void {
    this.theme = readTheme();
    this.assignColors();
    this.renderTables();
    this.renderParallel();
    this.renderDistributions();
    this.renderLegend();
    this.drawChart();
  }

  private renderDistributions(): void {
    if (!this.state) return;
    this.distributions.update({ runs: this.state.runs, lines: this.distributionLines, colors: this.colors, theme: this.theme, t: this.t });
  }

  private change(patch: Partial<CompareViewOptions>, needsSeries: boolean): void {
    this.options = { ...this.options, ...patch };
    this.syncControls();
    this.save();
    this.renderParallel();
    if (needsSeries) this.requestSeries();
    else {
      this.drawChart();
      this.renderTables();
    }
  }

  private showState(msg: CompareStateMessage, fromHost: boolean): void {
    if (!Array.isArray(msg.runs) || !Array.isArray(msg.metrics)) return;
    this.state = msg;
    if (msg.strings) {
      this.t = makeCompareTranslate(msg.strings);
      this.label();
    }
    if (this.options.baselineId && !msg.runs.some((r) => r.id === this.options.baselineId)) this.options.baselineId = undefined;
    if (!msg.metrics.includes(this.options.metric)) this.options.metric = msg.metrics.includes('loss') ? 'loss' : (msg.metrics[0] ?? 'loss');
    this.assignColors();
    this.updateMetricChoices(msg.metrics);
    this.syncControls();
    this.renderVisibility();
    this.renderLegend();
    this.renderTables();
    this.renderParallel();
    this.renderDistributions();
    this.save();
    if (fromHost) this.requestSeries();
  }

  private showSeries(msg: CompareSeriesMessage): void {
    if (msg.requestId !== this.requestId || !Array.isArray(msg.series)) return; // superseded
    this.series = msg;
    this.drawChart();
  }

  private requestSeries(): void {
    if (!this.state || this.state.runs.length === 0) return;
    this.requestId++;
    // About four points per pixel column: a bucket's first, last, min and max.
    const width = this.canvas.parentElement?.clientWidth || 800;
    const maxPoints = Math.min(16_000, Math.max(400, Math.round(width * 4)));
    this.api.postMessage({
      type: 'requestSeries',
      requestId: this.requestId,
      metric: this.options.metric,
      xAxis: this.options.xAxis,
      smoothing: this.options.smoothing,
      maxPoints,
    });
  }

  private assignColors(): void {
    const runs = this.state?.runs ?? [];
    const palette = runColors(runs.length, this.theme, !document.body.classList.contains('vscode-light'));
    this.colors = new Map(runs.map((r, i) => [r.id, palette[i]]));
  }

  private drawChart(): void {
    if (!this.state || !this.series) return;
    // chart.js measures its container, which must be laid out.
    this.chart ??= new CompareChart(this.canvas);
    const labels = new Map(this.state.runs.map((r) => [r.id, r.label]));
    const shown = new Set(this.state.runs.map((r) => r.id));
    const series = this.series.series.filter((s) => shown.has(s.runId));
    const folds = new Map(this.state.runs.flatMap((r) => (r.fold ? [[r.id, { id: r.fold.id, k: r.fold.k }] as const] : [])));
    this.chart.update(series, { xAxis: this.series.xAxis, logScale: this.options.logScale, theme: this.theme, t: this.t, colors: this.colors, labels, metric: this.series.metric, folds });
    const empty = series.length === 0;
    this.canvas.style.visibility = empty ? 'hidden' : '';
    this.chartEmpty.hidden = !empty;
    this.chartEmpty.textContent = this.t('compare.noCurve', this.series.metric);
  }

  private renderLegend(): void {
    const runs = this.state?.runs ?? [];
    this.legend.replaceChildren(
      ...runs.map((run) => {
        const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
        const color = this.colors.get(run.id) ?? '';
        swatch.style.backgroundColor = color;
        const link = h('a', { href: '#', class: 'run-link', title: this.t('compare.open') }, run.label);
        link.addEventListener('click', (e) => {
          e.preventDefault();
          this.api.postMessage({ type: 'openRun', runId: run.id });
        });
        const best = run.best ? h('span', { class: 'best' }, `★ ${this.t('compare.best')}`) : null;
        return h(
          'li',
          { 'data-run-id': run.id, 'data-color': color, 'data-status': run.status, title: this.t('compare.points', run.points) },
          swatch,
          link,
          best,
        );
      }),
    );
  }

  private renderTables(): void {
    if (!this.state) return;
    renderTables(
      this.tables,
      { runs: this.state.runs, colors: this.colors, baselineId: this.options.baselineId, differencesOnly: this.options.differencesOnly, t: this.t },
      {
        pin: (runId) => this.change({ baselineId: runId }, false),
        remove: (runId) => this.api.postMessage({ type: 'removeRun', runId }),
        open: (runId) => this.api.postMessage({ type: 'openRun', runId }),
      },
    );
  }

  /** The parallel coordinates follow the chart's metric (ranked by its validation twin where the runs have one). */
  private renderParallel(): void {
    if (!this.state) return;
    this.parallel.update({ runs: this.state.runs, metric: this.options.metric, theme: this.theme, t: this.t });
  }

  private renderVisibility(): void {
    const hasRuns = !!this.state && this.state.runs.length > 0;
    this.empty.hidden = hasRuns;
    this.main.hidden = !hasRuns;
    this.count.textContent = this.t('compare.count', this.state?.runs.length ?? 0);
  }

  private updateMetricChoices(metrics: string[]): void {
    const current = [...this.metricSelect.querySelectorAll('vscode-option')].map((o) => o.getAttribute('value'));
    if (current.join('\n') !== metrics.join('\n')) {
      this.metricSelect.replaceChildren(...metrics.map((m) => h('vscode-option', { value: m }, m)));
    }
  }

  private syncControls(): void {
    if (this.metricSelect.value !== this.options.metric) this.metricSelect.value = this.options.metric;
    if (this.xAxisGroup.value !== this.options.xAxis) this.xAxisGroup.value = this.options.xAxis;
    for (const [value, radio] of Object.entries(this.xRadios)) radio.toggleAttribute('checked', value === this.options.xAxis);
    if (this.logBox.checked !== this.options.logScale) this.logBox.checked = this.options.logScale;
    if (this.diffBox.checked !== this.options.differencesOnly) this.diffBox.checked = this.options.differencesOnly;
    if (Number(this.smoothing.value) !== this.options.smoothing) this.smoothing.value = String(this.options.smoothing);
    this.smoothingValue.textContent = this.options.smoothing.toFixed(2);
  }

  private label(): void {
    const t = this.t;
    this.title.textContent = t('compare.title');
    this.empty.textContent = t('compare.empty');
    this.pngButton.textContent = t('compare.exportPng');
    this.csvButton.textContent = t('compare.exportCsv');
    this.metricLabel.textContent = t('compare.metric');
    this.xAxisLabel.textContent = t('compare.xAxis');
    this.xRadios.step.textContent = t('compare.xAxis.step');
    this.xRadios.epoch.textContent = t('compare.xAxis.epoch');
    this.xRadios.time.textContent = t('compare.xAxis.time');
    this.logBox.textContent = t('compare.logScale');
    this.smoothingLabel.textContent = t('compare.smoothing');
    this.diffBox.textContent = t('compare.differencesOnly');
    this.lineStyles.textContent = t('compare.lineStyles');
    this.count.textContent = t('compare.count', this.state?.runs.length ?? 0);
  }

  private save(): void {
    this.api.setState({ version: 1, runIds: this.state?.runs.map((r) => r.id) ?? [], options: this.options, last: this.state });
  }
}
