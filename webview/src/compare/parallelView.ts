// The compare panel's parallel coordinates (src/core/parallelCoordinates.ts
// lays them out): an SVG with one vertical axis per parameter that differs and
// one for the ranking metric, a line per run coloured from worst (the theme's
// orange) to best (its blue). Dragging along an axis brushes a range there;
// the runs outside every brush fade and the count says how many are left.
// A line opens its run on click, or on Enter when focused.

import type { CompareRun } from '../../../src/core/protocol/compare';
import type { CompareTranslate } from '../../../src/core/compareStringTable';
import { axisValue, brushedRuns, parallelLayout, type Brush, type ParallelAxis, type ParallelLayout } from '../../../src/core/parallelCoordinates';
import { h } from '../dom';
import { formatMetric } from '../format';
import type { ChartTheme } from '../theme';
import { parseColor } from './runColors';

const SVG_NS = 'http://www.w3.org/2000/svg';
const HEIGHT = 280;
const MARGIN = { top: 36, bottom: 30, left: 56, right: 64 };
/** Category labels longer than this are cut with an ellipsis (the full value is in the line's tooltip). */
const MAX_LABEL = 14;

export interface ParallelViewInput {
  runs: readonly CompareRun[];
  metric: string;
  theme: ChartTheme;
  t: CompareTranslate;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function shortLabel(text: string): string {
  const chars = [...text];
  return chars.length > MAX_LABEL ? `${chars.slice(0, MAX_LABEL - 1).join('')}…` : text;
}

export class ParallelView {
  readonly element: HTMLElement;
  private readonly title = h('h2', { id: 'parallel-title' });
  private readonly status = h('span', { id: 'parallel-status', class: 'muted' });
  private readonly clear = h('button', { type: 'button', id: 'parallel-clear', class: 'icon-button' });
  private readonly hint = h('p', { id: 'parallel-hint', class: 'muted' });
  private readonly box = h('div', { id: 'parallel', class: 'parallel-box' });
  private layout: ParallelLayout | undefined;
  private input: ParallelViewInput | undefined;
  private brushes: Brush[] = [];
  /** The layout's axes by key, so a redraw with the same axes keeps the user's brushes. */
  private axisKeys = '';

  constructor(private readonly open: (runId: string) => void) {
    this.element = h(
      'section',
      { class: 'card', 'aria-labelledby': 'parallel-title' },
      h('div', { class: 'card-title' }, this.title, h('span', { class: 'spacer' }), this.status, this.clear),
      this.box,
      this.hint,
    );
    this.clear.addEventListener('click', () => {
      this.brushes = [];
      this.draw();
    });
  }

  update(input: ParallelViewInput): void {
    this.input = input;
    const { t } = input;
    this.title.textContent = t('compare.parallel');
    this.clear.textContent = t('compare.parallel.clear');
    this.hint.textContent = t('compare.parallel.hint');
    this.layout = parallelLayout(
      input.runs.map((r) => ({ id: r.id, params: r.params, final: r.final })),
      input.metric,
    );
    const keys = this.layout.axes.map((a) => a.key).join('\n');
    if (keys !== this.axisKeys) this.brushes = [];
    this.axisKeys = keys;
    this.draw();
  }

  private draw(): void {
    const layout = this.layout;
    const input = this.input;
    if (!layout || !input) return;
    const { t, theme } = input;
    // Two runs with nothing in common to plot: a sentence instead of an empty chart.
    this.element.hidden = input.runs.length < 2;
    if (layout.axes.length < 2) {
      this.box.replaceChildren(h('p', { class: 'muted' }, t('compare.parallel.nothing')));
      this.status.textContent = '';
      this.clear.hidden = true;
      return;
    }
    const width = Math.max(420, this.box.clientWidth || 800);
    const plotWidth = width - MARGIN.left - MARGIN.right;
    const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
    const xOf = (a: number) => MARGIN.left + (a * plotWidth) / (layout.axes.length - 1);
    const yOf = (p: number) => MARGIN.top + (1 - p) * plotHeight;
    const root = svg('svg', { id: 'parallel-svg', width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'group' });
    root.setAttribute('aria-label', t('compare.parallel.aria', layout.axes.map((a) => a.label).join(', ')));

    const kept = brushedRuns(layout, this.brushes);
    const labels = new Map(input.runs.map((r) => [r.id, r.label]));
    const parser = document.createElement('canvas').getContext('2d');
    const worst = parseColor(theme.validation, parser) ?? [200, 120, 40];
    const best = parseColor(theme.train, parser) ?? [40, 120, 220];
    const lines = svg('g', { class: 'parallel-lines' });
    // Best lines last, so they are drawn on top.
    const order = [...layout.lines].sort((a, b) => (a.quality ?? -1) - (b.quality ?? -1));
    for (const line of order) {
      let d = '';
      let pen = false;
      line.positions.forEach((p, a) => {
        if (p === undefined) {
          pen = false;
          return;
        }
        d += `${pen ? 'L' : 'M'}${xOf(a).toFixed(1)},${yOf(p).toFixed(1)}`;
        pen = true;
      });
      const q = line.quality ?? 0;
      const rgb = worst.map((w, i) => Math.round(w + (best[i] - w) * q));
      const active = kept.has(line.runId);
      const path = svg('path', {
        d,
        class: 'parallel-line',
        fill: 'none',
        stroke: line.quality === undefined ? theme.muted : `rgb(${rgb.join(',')})`,
        'stroke-width': active ? 2 : 1.5,
        'stroke-opacity': active ? 0.95 : 0.12,
        tabindex: 0,
        role: 'link',
        'data-run-id': line.runId,
        'data-active': String(active),
      });
      const label = labels.get(line.runId) ?? line.runId;
      const metric = line.metric === undefined ? '' : ` · ${layout.metricKey} ${formatMetric(line.metric)}`;
      path.setAttribute('aria-label', `${label}${metric}`);
      path.append(svg('title', {}, `${label}${metric}`));
      path.addEventListener('click', () => this.open(line.runId));
      path.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          this.open(line.runId);
        }
      });
      lines.append(path);
    }
    layout.axes.forEach((axis, a) => root.append(this.axisGroup(axis, a, xOf(a), yOf, theme, plotHeight)));
    root.append(lines);
    this.box.replaceChildren(root);
    this.status.textContent = this.brushes.length ? t('compare.parallel.kept', kept.size, layout.lines.length) : '';
    this.clear.hidden = this.brushes.length === 0;
  }

  /** One axis: its line, title, ticks, the brushed range, and the strip a drag brushes on. */
  private axisGroup(axis: ParallelAxis, index: number, x: number, yOf: (p: number) => number, theme: ChartTheme, plotHeight: number): SVGGElement {
    const g = svg('g', { class: 'parallel-axis', 'data-axis': index, 'data-key': axis.key });
    g.append(svg('line', { x1: x, x2: x, y1: yOf(0), y2: yOf(1), stroke: theme.grid, 'stroke-width': 1 }));
    // The whole config path as the title's tooltip (a sibling <title> in a group of its own, out of the text's content).
    const titled = svg('g');
    titled.append(svg('title', {}, axis.key), svg('text', { x, y: 14, 'text-anchor': 'middle', fill: theme.foreground, class: 'parallel-axis-title' }, shortLabel(axis.label)));
    g.append(titled);
    const tick = (p: number, text: string) =>
      g.append(svg('text', { x: x - 6, y: yOf(p) + 4, 'text-anchor': 'end', fill: theme.muted, class: 'parallel-tick' }, shortLabel(text)));
    if (axis.kind === 'category') axis.categories.forEach((c, i) => tick(axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1), c));
    else if (axis.min === axis.max) tick(0.5, formatMetric(axis.min));
    else for (const p of [0, 0.5, 1]) tick(p, formatMetric(axisValue(axis, p)));

    const brush = this.brushes.find((b) => b.axis === index);
    if (brush) {
      const top = yOf(Math.max(brush.low, brush.high));
      g.append(svg('rect', { x: x - 7, y: top, width: 14, height: yOf(Math.min(brush.low, brush.high)) - top, fill: theme.foreground, 'fill-opacity': 0.18, stroke: theme.foreground, 'stroke-opacity': 0.5, class: 'parallel-brush' }));
    }
    // A strip along the axis takes the drags (wider than the line, easy to hit).
    const strip = svg('rect', { x: x - 12, y: yOf(1) - 4, width: 24, height: plotHeight + 8, fill: 'transparent', class: 'parallel-strip' });
    strip.addEventListener('pointerdown', (e) => this.startBrush(e, index, strip, yOf));
    g.append(strip);
    return g;
  }

  private startBrush(e: PointerEvent, axis: number, strip: SVGRectElement, yOf: (p: number) => number): void {
    e.preventDefault();
    const bottom = yOf(0);
    const top = yOf(1);
    const placeOf = (clientY: number) => {
      // Each move draws the chart anew: measure the drawing now in the page, not the one the drag began on.
      const rect = (this.box.querySelector('#parallel-svg') ?? strip).getBoundingClientRect();
      const y = clientY - rect.top;
      return Math.min(1, Math.max(0, (bottom - y) / (bottom - top)));
    };
    const start = placeOf(e.clientY);
    const move = (ev: PointerEvent) => {
      this.brushes = [...this.brushes.filter((b) => b.axis !== axis), { axis, low: start, high: placeOf(ev.clientY) }];
      this.draw();
    };
    const up = (ev: PointerEvent) => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      const end = placeOf(ev.clientY);
      // A click without a drag clears that axis' brush.
      this.brushes = this.brushes.filter((b) => b.axis !== axis);
      if (Math.abs(end - start) > 0.01) this.brushes.push({ axis, low: start, high: end });
      this.draw();
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }
}
