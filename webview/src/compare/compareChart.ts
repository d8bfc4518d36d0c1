// The comparison chart: every run's curves of one metric on one chart.js
// line chart. Colour tells the run apart; a dashed line is the validation
// twin; a faint line is the unsmoothed curve under its smoothed one. The host
// already downsampled every series, so chart.js draws what it gets.

import {
  Chart,
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

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip);

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
    for (const s of series) {
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
