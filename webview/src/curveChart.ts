// A chart.js line chart of metric curves. Dataset objects are kept by series
// id across updates so chart.js keeps legend toggles, and every update is
// `update('none')`: no animation, no re-layout work beyond the data.

import {
  Chart,
  Decimation,
  Filler,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartDataset,
  type ChartOptions,
} from 'chart.js';
import type { ChartTheme } from './theme';
import { withAlpha } from './theme';
import type { Series, XAxisMode, XY } from './metricSeries';
import { countRawPoints } from './metricSeries';
import type { Translate } from '../../src/core/dashboardStringTable';
import { formatMetric } from './format';
import { chartOptions } from './chartOptions';
import type { FoldEpochBand } from '../../src/core/protocol/dashboard';

/** A cross-validation's folds drawn behind the shown fold's curves: mean ± std per epoch. */
export interface ChartFoldBands {
  k: number;
  series: readonly FoldEpochBand[];
}

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip, Decimation, Filler);

/** Above this many points a series is downsampled (LTTB) for display. */
export const DECIMATION_THRESHOLD = 2000;

export interface CurveChartView {
  xAxis: XAxisMode;
  logScale: boolean;
  smoothing: number;
  /** The value axis' title: what the curves measure. */
  yTitle: string;
  theme: ChartTheme;
  t: Translate;
}

type LineDataset = ChartDataset<'line', XY[]>;

export class CurveChart {
  private readonly chart: Chart<'line', XY[]>;
  private readonly datasets = new Map<string, LineDataset>();
  /** The view the options were built for; rebuilding options makes chart.js re-resolve them all. */
  private optionsFor: readonly unknown[] = [];

  constructor(private readonly canvas: HTMLCanvasElement, private readonly ariaName: string) {
    this.chart = new Chart<'line', XY[]>(canvas, { type: 'line', data: { datasets: [] }, options: {} });
  }

  /** Redraws with the given series; cheap enough to call once per animation frame. */
  update(series: readonly Series[], view: CurveChartView, bands: ChartFoldBands = { k: 0, series: [] }): void {
    const { theme, t } = view;
    const used = new Set<string>();
    const ordered: LineDataset[] = [];
    // Draw order: faint raw steps below, smoothed above, epoch curves on top.
    const rank = { step: 0, smoothed: 1, epoch: 2 } as const;
    const sorted = [...series].sort((a, b) => rank[a.role] - rank[b.role]);
    for (const s of sorted) {
      used.add(s.id);
      let ds = this.datasets.get(s.id);
      if (!ds) {
        ds = { data: [] } as unknown as LineDataset;
        this.datasets.set(s.id, ds);
      }
      const color = s.validation ? theme.validation : theme.train;
      const hasSmoothed = s.role === 'step' && view.smoothing > 0;
      // Each role has a style of its own, so curves of one colour stay apart: faint thin
      // raw steps, a solid smoothed line, and the epoch curve dashed with markers (circles
      // for training, diamonds for validation). Validation is drawn over training.
      Object.assign(ds, {
        label: t(s.role === 'step' ? 'series.step' : s.role === 'smoothed' ? 'series.smoothed' : 'series.epoch', s.key),
        data: s.points,
        borderColor: s.role === 'step' ? withAlpha(color, hasSmoothed ? 0.3 : 0.55) : color,
        backgroundColor: color,
        borderWidth: s.role === 'step' ? 1 : s.role === 'smoothed' ? 1.5 : 2,
        borderDash: s.role === 'epoch' ? [6, 3] : [],
        pointStyle: s.validation ? 'rectRot' : 'circle',
        pointRadius: s.role === 'epoch' ? (s.validation ? 4 : 3) : 0,
        pointHoverRadius: s.role === 'epoch' ? 6 : 3,
        pointHitRadius: 6,
        tension: 0,
        // chart.js draws higher orders first: raw steps at the bottom, validation epochs on top.
        order: 2 * (2 - rank[s.role]) + (s.validation ? 0 : 1),
      });
      ordered.push(ds);
    }
    for (const id of [...this.datasets.keys()]) if (!used.has(id)) this.datasets.delete(id);

    // The folds' band: mean − std up to mean + std (filled), under every curve; on the step axis at the shown fold's steps.
    let banded = 0;
    for (const b of bands.series) {
      const color = b.key.startsWith('val_') ? theme.validation : theme.train;
      const at = (i: number) => (view.xAxis === 'epoch' ? b.epochs[i] : b.steps[i]);
      const pts = (y: (i: number) => number) => b.epochs.flatMap((_, i) => {
        const x = at(i);
        const v = y(i);
        return x === null || x === undefined || (view.logScale && !(v > 0)) ? [] : [{ x, y: v }];
      });
      const lower = pts((i) => b.mean[i] - b.std[i]);
      if (lower.length === 0) continue;
      banded++;
      const label = t('series.foldBand', b.key, bands.k);
      const common = { label, borderWidth: 0, pointRadius: 0, pointHoverRadius: 0, pointHitRadius: 0, tension: 0, order: 10, borderColor: 'transparent', backgroundColor: withAlpha(color, 0.16) };
      ordered.push({ ...common, label: '', data: lower, fill: false } as LineDataset);
      ordered.push({ ...common, data: pts((i) => b.mean[i] + b.std[i]), fill: '-1' } as LineDataset);
    }
    this.canvas.setAttribute('data-fold-bands', String(banded));

    this.chart.data.datasets = ordered;
    const key = [view.xAxis, view.logScale, view.yTitle, view.theme, view.t];
    if (key.some((k, i) => k !== this.optionsFor[i])) {
      this.chart.options = this.options(view);
      this.optionsFor = key;
    }
    this.chart.update('none');

    const raw = countRawPoints(series);
    this.canvas.setAttribute('data-points', String(raw));
    this.canvas.setAttribute('data-scale', view.logScale ? 'log' : 'linear');
    // What is drawn now (tests wait for a redraw by these: a change of view keeps the point count).
    this.canvas.setAttribute('data-x-axis', view.xAxis);
    this.canvas.setAttribute('data-smoothing', view.smoothing.toFixed(2));
    this.canvas.setAttribute('aria-label', describe(this.ariaName, series, t));
  }

  private options(view: CurveChartView): ChartOptions<'line'> {
    const { t } = view;
    const base = chartOptions<'line'>({
      theme: view.theme,
      x: { title: t(view.xAxis === 'step' ? 'charts.xAxis.step' : 'charts.xAxis.epoch'), ticks: 'integer' },
      y: { log: view.logScale, title: view.yTitle || undefined },
      legend: true,
      label: (item) => `${item.dataset.label ?? ''}: ${formatMetric((item.raw as XY).y)}`,
      curves: true,
    });
    return { ...base, plugins: { ...base.plugins, decimation: { enabled: true, algorithm: 'lttb', threshold: DECIMATION_THRESHOLD } } };
  }

  destroy(): void {
    this.chart.destroy();
  }
}

/** A text equivalent of the chart for screen readers: the latest value of each curve. */
function describe(name: string, series: readonly Series[], t: Translate): string {
  const parts: string[] = [];
  for (const s of series) {
    if (s.role === 'smoothed' || s.points.length === 0) continue;
    const last = s.points[s.points.length - 1];
    parts.push(`${t(s.role === 'step' ? 'series.step' : 'series.epoch', s.key)} ${formatMetric(last.y)}`);
  }
  return parts.length ? `${name}: ${parts.join(', ')}` : `${name}: ${t('charts.noData')}`;
}
