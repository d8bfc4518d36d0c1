// The Distributions card (TensorBoard's Distributions and Histograms): for
// each layer, its weights' or gradients' percentiles over the recorded epochs
// as shaded bands (min–max, 25th–75th, the median as a line), a badge and a
// sentence when its gradients vanish or explode at the latest epoch; below,
// the selected layer's histograms offset epoch after epoch (a ridge plot).
// Drawn on plain canvases: a band is two filled polygons and a line.

import { BAND_PERCENTILES, DISTRIBUTION_KINDS, EXPLODED_WEIGHT, gradientHealth, layerBands, layersOf, layerStats } from '../../src/core/distributions';
import type { BandPoint, DistributionKind, LayerDistributions } from '../../src/core/distributions';
import type { Translate } from '../../src/core/dashboardStringTable';
import { h, sizeCanvas } from './dom';
import { formatMetric } from './format';
import type { ChartTheme } from './theme';
import { withAlpha } from './theme';

const BAND_WIDTH = 360;
const BAND_HEIGHT = 110;
const RIDGE_WIDTH = 560;
const RIDGE_HEIGHT = 260;
const PAD = { left: 52, right: 8, top: 8, bottom: 20 };

/** Bands of one layer on a canvas: x the epochs, y the values (over `range` when given: charts side by side share one). `colour` fills them. */
export function drawBands(canvas: HTMLCanvasElement, points: readonly BandPoint[], colour: string, theme: ChartTheme, epochLabel: string, range?: readonly [number, number]): void {
  const width = Number(canvas.dataset.width) || BAND_WIDTH;
  const height = Number(canvas.dataset.height) || BAND_HEIGHT;
  const ctx = sizeCanvas(canvas, width, height);
  if (!ctx) return;
  ctx.clearRect(0, 0, width, height);
  if (points.length === 0) return;
  const lo = range?.[0] ?? Math.min(...points.map((p) => p.percentiles[0]));
  const hi = range?.[1] ?? Math.max(...points.map((p) => p.percentiles[BAND_PERCENTILES.length - 1]));
  const span = hi - lo || Math.abs(hi) || 1;
  const [y0, y1] = hi === lo ? [lo - span / 2, hi + span / 2] : [lo, hi];
  const first = points[0].epoch;
  const last = points[points.length - 1].epoch;
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const x = (epoch: number) => PAD.left + (last === first ? plotW / 2 : ((epoch - first) / (last - first)) * plotW);
  const y = (v: number) => PAD.top + plotH - ((v - y0) / (y1 - y0)) * plotH;
  // A single epoch is drawn as a narrow column so it shows at all.
  const xs = points.length === 1 ? [x(first) - 6, x(first) + 6] : points.map((p) => x(p.epoch));
  const at = (i: number) => (points.length === 1 ? points[0] : points[i]);
  const band = (lower: number, upper: number, alpha: number) => {
    ctx.beginPath();
    xs.forEach((px, i) => (i === 0 ? ctx.moveTo(px, y(at(i).percentiles[upper])) : ctx.lineTo(px, y(at(i).percentiles[upper]))));
    for (let i = xs.length - 1; i >= 0; i--) ctx.lineTo(xs[i], y(at(i).percentiles[lower]));
    ctx.closePath();
    ctx.fillStyle = withAlpha(colour, alpha);
    ctx.fill();
  };
  band(0, 4, 0.25);
  band(1, 3, 0.55);
  ctx.beginPath();
  xs.forEach((px, i) => (i === 0 ? ctx.moveTo(px, y(at(i).percentiles[2])) : ctx.lineTo(px, y(at(i).percentiles[2]))));
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1.5;
  ctx.stroke();
  // Axes: the value range on the left, the epochs below.
  ctx.fillStyle = theme.muted;
  ctx.font = `${Math.max(10, theme.fontSize - 2)}px ${theme.fontFamily}`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'top';
  ctx.fillText(formatMetric(y1), PAD.left - 4, PAD.top);
  ctx.textBaseline = 'bottom';
  ctx.fillText(formatMetric(y0), PAD.left - 4, PAD.top + plotH);
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText(`${epochLabel} ${first}`, PAD.left, height - PAD.bottom + 4);
  ctx.textAlign = 'right';
  if (last !== first) ctx.fillText(String(last), width - PAD.right, height - PAD.bottom + 4);
}

/** The selected layer's histograms, one per recorded epoch, each raised above the one before (the latest in front, at the bottom). */
export function drawRidge(canvas: HTMLCanvasElement, lines: readonly LayerDistributions[], kind: DistributionKind, colour: string, theme: ChartTheme, epochLabel: string): void {
  const width = RIDGE_WIDTH;
  const height = RIDGE_HEIGHT;
  const ctx = sizeCanvas(canvas, width, height);
  if (!ctx) return;
  ctx.clearRect(0, 0, width, height);
  const series = lines.flatMap((l) => {
    const stats = layerStats(l, kind);
    return stats ? [{ epoch: l.epoch, stats }] : [];
  });
  if (series.length === 0) return;
  const lo = Math.min(...series.map((s) => s.stats.min));
  const hi = Math.max(...series.map((s) => s.stats.max));
  const plotW = width - PAD.left - PAD.right;
  const rows = series.length;
  // Each histogram is as tall as 3 offsets, so neighbours overlap as in TensorBoard's offset view.
  const offset = (height - PAD.top - PAD.bottom) / (rows + 2);
  const peakH = offset * 3;
  const x = (v: number) => PAD.left + (hi === lo ? plotW / 2 : ((v - lo) / (hi - lo)) * plotW);
  ctx.font = `${Math.max(10, theme.fontSize - 2)}px ${theme.fontFamily}`;
  series.forEach((s, i) => {
    const base = PAD.top + peakH + offset * i;
    const bins = s.stats.histogram;
    const peak = Math.max(1, ...bins);
    const w = (s.stats.max - s.stats.min) / bins.length;
    ctx.beginPath();
    ctx.moveTo(x(s.stats.min), base);
    bins.forEach((c, b) => ctx.lineTo(x(s.stats.min + w * (b + 0.5)), base - (c / peak) * peakH));
    ctx.lineTo(x(s.stats.max), base);
    ctx.closePath();
    // Older epochs fainter; each one hides what it overlaps behind it.
    ctx.fillStyle = theme.background || '#000';
    ctx.fill();
    ctx.fillStyle = withAlpha(colour, 0.15 + (0.6 * (i + 1)) / rows);
    ctx.fill();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1;
    ctx.stroke();
    if (i === 0 || i === rows - 1) {
      ctx.fillStyle = theme.muted;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(`${epochLabel} ${s.epoch}`, PAD.left - 4, base);
    }
  });
  ctx.fillStyle = theme.muted;
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText(formatMetric(lo), PAD.left, height - PAD.bottom + 4);
  ctx.textAlign = 'right';
  ctx.fillText(formatMetric(hi), width - PAD.right, height - PAD.bottom + 4);
}

/** The badge and sentence of a layer whose gradients vanish or explode at its latest recorded epoch, or nothing. */
export function healthNote(lines: readonly LayerDistributions[], layer: string, t: Translate): { badge: string; kind: 'vanishing' | 'exploding'; sentence: string } | undefined {
  const latest = [...lines].reverse().find((l) => l.layer === layer);
  if (!latest) return undefined;
  const health = gradientHealth(latest);
  if (health.kind === 'ok') return undefined;
  if (health.kind === 'vanishing') return { kind: 'vanishing', badge: t('dist.vanishing'), sentence: t('dist.vanishing.sentence', latest.epoch, layer, formatMetric(health.maxGradient), formatMetric(health.maxWeight)) };
  // Flagged by its weights alone (a run stopped by a NaN loss records no gradients for that epoch).
  const byWeights = !latest.tensors.some((x) => x.gradients) || health.maxWeight > EXPLODED_WEIGHT;
  if (byWeights) return { kind: 'exploding', badge: t('dist.exploding'), sentence: t('dist.exploded.weights', latest.epoch, layer, formatMetric(health.maxWeight), health.nonFinite) };
  return { kind: 'exploding', badge: t('dist.exploding'), sentence: t('dist.exploding.sentence', latest.epoch, layer, formatMetric(health.maxGradient), health.nonFinite) };
}

export class DistributionsView {
  readonly element: HTMLElement;
  private readonly title = h('h2', { id: 'distributions-title' });
  private readonly kindSelect = h('select', { id: 'distributions-kind' }) as HTMLSelectElement;
  private readonly kindLabel = h('label', { for: 'distributions-kind' });
  private readonly legend = h('p', { class: 'muted hint' });
  private readonly layersBox = h('div', { id: 'distributions-layers', class: 'distributions-layers' });
  private readonly ridgeSelect = h('select', { id: 'distributions-layer' }) as HTMLSelectElement;
  private readonly ridgeLabel = h('label', { for: 'distributions-layer' });
  private readonly ridge = h('canvas', { id: 'distributions-ridge' }) as HTMLCanvasElement;
  private readonly ridgeLegend = h('p', { class: 'muted hint' });
  private lines: LayerDistributions[] = [];
  private runId: string | undefined;
  private dataRunId: string | undefined;
  private kind: DistributionKind = 'gradients';
  private ridgeLayer: string | undefined;

  constructor(private t: Translate, private theme: ChartTheme) {
    this.element = h(
      'section',
      { id: 'distributions', class: 'card', 'aria-labelledby': 'distributions-title' },
      h('div', { class: 'card-title' }, this.title, h('span', { class: 'controls' }, this.kindLabel, this.kindSelect)),
      this.legend,
      this.layersBox,
      h('div', { class: 'controls' }, this.ridgeLabel, this.ridgeSelect),
      this.ridge,
      this.ridgeLegend,
    );
    this.element.hidden = true;
    this.kindSelect.addEventListener('change', () => {
      this.kind = this.kindSelect.value === 'weights' ? 'weights' : 'gradients';
      this.render();
    });
    this.ridgeSelect.addEventListener('change', () => {
      this.ridgeLayer = this.ridgeSelect.value;
      this.render();
    });
  }

  setStrings(t: Translate): void {
    this.t = t;
    this.render();
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.render();
  }

  /** The shown run: the card shows that run's distributions only. */
  update(runId: string | undefined): void {
    this.runId = runId;
    this.render();
  }

  show(runId: string, lines: LayerDistributions[]): void {
    if (!Array.isArray(lines)) return;
    if (runId !== this.dataRunId) this.ridgeLayer = undefined;
    this.dataRunId = runId;
    this.lines = lines;
    this.render();
  }

  private render(): void {
    const shown = this.runId !== undefined && this.dataRunId === this.runId && this.lines.length > 0;
    this.element.hidden = !shown;
    if (!shown) return;
    const t = this.t;
    this.title.textContent = t('dist.title');
    this.kindLabel.textContent = t('dist.kind.label');
    this.kindSelect.replaceChildren(...DISTRIBUTION_KINDS.map((k) => h('option', { value: k, ...(k === this.kind ? { selected: '' } : {}) }, t(k === 'weights' ? 'dist.kind.weights' : 'dist.kind.gradients'))));
    this.kindSelect.value = this.kind;
    this.legend.textContent = t('dist.legend');
    const layers = layersOf(this.lines);
    const colour = this.kind === 'weights' ? this.theme.train : this.theme.purple;
    const epochLabel = t('dist.epoch');
    this.layersBox.replaceChildren(
      ...layers.map((layer) => {
        const bands = layerBands(this.lines, layer, this.kind);
        const last = bands[bands.length - 1];
        const note = healthNote(this.lines, layer, t);
        const canvas = h('canvas', { class: 'distribution-bands', 'data-layer': layer }) as HTMLCanvasElement;
        drawBands(canvas, bands, note ? this.theme.red : colour, this.theme, epochLabel);
        const tensors = this.lines.find((l) => l.layer === layer)?.tensors.map((x) => `${x.name} ${x.shape.join('×')}`).join(', ') ?? '';
        const zeros = last ? t('dist.zeros', (last.stats.zeros * 100).toFixed(1)) : '';
        return h(
          'figure',
          { class: 'distribution-layer', 'data-layer': layer, 'data-health': note?.kind ?? 'ok' },
          h('figcaption', {}, h('strong', {}, layer), ` ${tensors}`, zeros ? ` · ${zeros}` : '', note ? h('span', { class: `badge badge-${note.kind}`, title: note.sentence }, note.badge) : null),
          canvas,
          note ? h('p', { class: 'distribution-warning' }, note.sentence) : null,
        );
      }),
    );
    if (!this.ridgeLayer || !layers.includes(this.ridgeLayer)) this.ridgeLayer = layers[0];
    this.ridgeLabel.textContent = t('dist.layer.label');
    this.ridgeSelect.replaceChildren(...layers.map((l) => h('option', { value: l, ...(l === this.ridgeLayer ? { selected: '' } : {}) }, l)));
    this.ridgeSelect.value = this.ridgeLayer;
    drawRidge(this.ridge, this.lines.filter((l) => l.layer === this.ridgeLayer), this.kind, colour, this.theme, epochLabel);
    this.ridgeLegend.textContent = t('dist.ridge.legend');
  }
}
