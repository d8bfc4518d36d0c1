// The chart.js options every Model Lab chart shares (the dashboard's curves,
// the comparison, the evaluation scatter): VS Code's theme colours and font,
// axes whose ticks read like the tables (formatMetric), the tooltip's look,
// no animation, and a linear or logarithmic value axis. Each chart adds what
// is its own (decimation, a tooltip title) to what this returns.

import type { ChartOptions, TooltipItem } from 'chart.js';
import { formatMetric } from './format';
import type { ChartTheme } from './theme';

export interface AxisSpec {
  /** The axis title; none when undefined. */
  title?: string;
  /** Logarithmic instead of linear. */
  log?: boolean;
  /** Tick labels: metric values (formatMetric), or whole numbers as chart.js writes them (steps, epochs). */
  ticks?: 'metric' | 'integer';
  /** A range the axis covers at least (chart.js rounds it to nice ticks). */
  suggested?: { min: number; max: number };
}

export interface ChartSpec<T extends 'line' | 'scatter'> {
  theme: ChartTheme;
  x: AxisSpec;
  y: AxisSpec;
  /** A legend under the chart, or none. */
  legend: boolean;
  /** The tooltip's line for one point. */
  label(item: TooltipItem<T>): string;
  /** The tooltip's title over its lines; chart.js's own when undefined. */
  title?(items: TooltipItem<T>[]): string;
  /**
   * The data are {x, y} points in x order, as chart.js keeps them: no parsing,
   * and the tooltip shows every curve at the x nearest the pointer.
   */
  curves?: boolean;
}

/** The font of every text on a chart: VS Code's, a size smaller. */
export function chartFont(theme: ChartTheme): { family: string; size: number } {
  return { family: theme.fontFamily, size: theme.fontSize - 1 };
}

function axisOptions(axis: AxisSpec, theme: ChartTheme) {
  const font = chartFont(theme);
  return {
    type: axis.log ? ('logarithmic' as const) : ('linear' as const),
    ...(axis.suggested ? { suggestedMin: axis.suggested.min, suggestedMax: axis.suggested.max } : {}),
    ticks:
      axis.ticks === 'integer'
        ? { color: theme.muted, font, precision: 0 }
        : { color: theme.muted, font, callback: (v: number | string) => formatMetric(Number(v)) },
    grid: { color: theme.grid },
    border: { color: theme.grid },
    ...(axis.title !== undefined ? { title: { display: true, text: axis.title, color: theme.muted, font } } : {}),
  };
}

/** The shared options of a chart; the caller spreads them and adds its own. */
export function chartOptions<T extends 'line' | 'scatter'>(spec: ChartSpec<T>): ChartOptions<T> {
  const { theme } = spec;
  const font = chartFont(theme);
  const options: ChartOptions<'line' | 'scatter'> = {
    animation: false,
    ...(spec.curves ? { parsing: false, normalized: true, interaction: { mode: 'nearest', axis: 'x', intersect: false } } : {}),
    responsive: true,
    maintainAspectRatio: false,
    color: theme.foreground,
    plugins: {
      legend: spec.legend
        ? // A dataset without a label (the lower edge of a filled band) has no legend entry.
          { position: 'bottom', labels: { color: theme.foreground, font, boxWidth: 12, boxHeight: 2, filter: (item: { text?: string }) => !!item.text } }
        : { display: false },
      tooltip: {
        backgroundColor: theme.background,
        titleColor: theme.foreground,
        bodyColor: theme.foreground,
        borderColor: theme.grid,
        borderWidth: 1,
        callbacks: {
          ...(spec.title ? { title: spec.title as (items: TooltipItem<'line' | 'scatter'>[]) => string } : {}),
          label: spec.label as (item: TooltipItem<'line' | 'scatter'>) => string,
        },
      },
    },
    scales: { x: axisOptions(spec.x, theme), y: axisOptions(spec.y, theme) },
  };
  return options as ChartOptions<T>;
}
