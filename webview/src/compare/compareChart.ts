// The comparison chart: every run's curves of one metric on one chart.js
// line chart. Colour tells the run apart; a dashed line is the validation
// twin; a faint line is the unsmoothed curve under its smoothed one. The host
// already downsampled every series, so chart.js draws what it gets.

import {
  Chart,
  Filler,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartDataset,
  type ChartOptions,
} from 'chart.js';
import type { CompareSeries, CompareXAxis } from '../../../src/core/protocol/compare';
import type { CompareTranslate } from '../../../src/core/compareStringTable';
import { formatMetric } from '../format';
import { chartOptions } from '../chartOptions';
import { withAlpha, type ChartTheme } from '../theme';
import { foldBands } from './foldBands';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Filler);

interface XY {
  x: number;
  y: number;
}

export interface CompareChartView {
  xAxis: CompareXAxis;
  logScale: boolean;
  theme: ChartTheme;
  t: CompareTranslate;
  /** Colour of each run, by id. */
  colors: ReadonlyMap<string, string>;
  /** Label of each run, by id. */
  labels: ReadonlyMap<string, string>;
  metric: string;
  /** Each fold run's cross-validation, by run id: its group's curves are drawn as one band. */
  folds?: ReadonlyMap<string, { id: string; k: number }>;
}

type LineDataset = ChartDataset<'line', XY[]> & { runId?: string };

export class CompareChart {
  private readonly chart: Chart<'line', XY[]>;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.chart = new Chart<'line', XY[]>(canvas, { type: 'line', data: { datasets: [] }, options: {} });
  }

  update(series: readonly CompareSeries[], view: CompareChartView): void {
    const smoothedKeys = new Set(series.filter((s) => s.smoothed).map((s) => `${s.runId}\u0000${s.key}`));
    const datasets: LineDataset[] = [];
    let drawn = 0;
    let logged = 0;
    // The folds of a cross-validation: one band (min–max) with its mean line per metric, instead of k curves.
    const { bands, banded } = foldBands(series, view.folds ?? new Map());
    for (const b of bands) {
      const color = view.colors.get(b.runIds[0]) ?? view.theme.foreground;
      const validation = b.key.startsWith('val_');
      const keep = (i: number) => !view.logScale || (b.min[i] > 0 && b.max[i] > 0 && b.mean[i] > 0);
      const pts = (ys: number[]) => b.x.flatMap((x, i) => (keep(i) ? [{ x, y: ys[i] }] : []));
      const lower = pts(b.min);
      drawn += lower.length * 3;
      const common = { borderWidth: 0, pointRadius: 0, pointHitRadius: 6, tension: 0, order: 3 };
      datasets.push({ ...common, label: view.t('compare.foldBand', b.k, b.key), data: lower, borderColor: 'transparent', backgroundColor: withAlpha(color, 0.18), fill: false });
      datasets.push({ ...common, label: view.t('compare.foldBand', b.k, b.key), data: pts(b.max), borderColor: 'transparent', backgroundColor: withAlpha(color, 0.18), fill: '-1' });
      datasets.push({
        label: view.t('compare.foldMean', b.k, b.key),
        data: pts(b.mean),
        borderColor: color,
        backgroundColor: color,
        borderWidth: 2.25,
        borderDash: validation ? [6, 4] : [],
        pointRadius: b.kind === 'epoch' && b.x.length <= 60 ? 2.5 : 0,
        pointHoverRadius: 4,
        pointHitRadius: 6,
        tension: 0,
        order: 1,
      });
    }
    this.canvas.dataset.bands = String(bands.length);
    for (const s of series) {
      if (banded.has(`${s.runId}\u0000${s.key}`)) {
        if (!s.smoothed) logged += s.rawCount;
        continue;
      }
      const color = view.colors.get(s.runId) ?? view.theme.foreground;
      const faint = !s.smoothed && smoothedKeys.has(`${s.runId}\u0000${s.key}`);
      const validation = s.key.startsWith('val_');
      const data: XY[] = [];
      for (let i = 0; i < s.x.length; i++) {
        const y = s.y[i];
        if (view.logScale && !(y > 0)) continue; // a log axis cannot place 0 or less
        data.push({ x: s.x[i], y });
      }
      drawn += data.length;
      if (!s.smoothed) logged += s.rawCount;
      const fewPoints = s.kind === 'epoch' && data.length <= 60;
      datasets.push({
        runId: s.runId,
        label: `${view.labels.get(s.runId) ?? s.runId} · ${s.key}${s.smoothed ? ' ~' : ''}`,
        data,
        borderColor: faint ? withAlpha(color, 0.28) : color,
        backgroundColor: color,
        borderWidth: faint ? 1 : s.kind === 'epoch' ? 2 : 1.75,
        borderDash: validation ? [6, 4] : [],
        pointRadius: fewPoints ? 2.5 : 0,
        pointHoverRadius: 4,
        pointHitRadius: 6,
        tension: 0,
        // Smoothed and epoch curves over the faint raw ones.
        order: faint ? 2 : 1,
      });
    }
    this.chart.data.datasets = datasets;
    this.chart.options = this.options(view);
    this.chart.update('none');
    this.canvas.dataset.series = String(datasets.length);
    this.canvas.dataset.points = String(drawn);
    this.canvas.dataset.loggedPoints = String(logged);
    this.canvas.setAttribute('aria-label', describe(series, view));
  }

  private options(view: CompareChartView): ChartOptions<'line'> {
    const { t } = view;
    const xTitle = view.xAxis === 'step' ? t('compare.xAxis.step') : view.xAxis === 'epoch' ? t('compare.xAxis.epoch') : t('compare.xAxis.seconds');
    return chartOptions<'line'>({
      theme: view.theme,
      x: { title: xTitle },
      y: { title: view.metric, log: view.logScale },
      legend: false,
      title: (items) => (items[0] ? `${xTitle} ${formatMetric((items[0].raw as XY).x)}` : ''),
      label: (item) => `${item.dataset.label ?? ''}: ${formatMetric((item.raw as XY).y)}`,
      curves: true,
    });
  }

  /** The chart on the theme's background, as a PNG data URL (the canvas itself is transparent). */
  toPng(background: string): string {
    const out = document.createElement('canvas');
    out.width = this.canvas.width;
    out.height = this.canvas.height;
    const ctx = out.getContext('2d');
    if (!ctx) return this.canvas.toDataURL('image/png');
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(this.canvas, 0, 0);
    return out.toDataURL('image/png');
  }

  destroy(): void {
    this.chart.destroy();
  }
}

/** A text equivalent for screen readers: each run's last value of the metric. */
function describe(series: readonly CompareSeries[], view: CompareChartView): string {
  const parts: string[] = [];
  for (const s of series) {
    if (s.y.length === 0 || (series.some((o) => o.smoothed && o.runId === s.runId && o.key === s.key) && !s.smoothed)) continue;
    parts.push(`${view.labels.get(s.runId) ?? s.runId} ${s.key} ${formatMetric(s.y[s.y.length - 1])}`);
  }
  return `${view.t('compare.chart.aria', view.metric)}: ${parts.join(', ')}`;
}
