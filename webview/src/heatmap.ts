// One attention map drawn on a canvas: query tokens down the left, key tokens
// along the top, each cell the theme's accent colour with an opacity that
// grows with the weight (the map's largest weight fully opaque). A weight of
// exactly 0 (a decoder's masked future) is left empty. Labels are drawn with
// fillText, so token text (CJK included) is never parsed as markup.

import type { ChartTheme } from './theme';
import { sizeCanvas } from './dom';

export interface HeatmapGeometry {
  /** Left and top edges of the cell grid, in CSS pixels. */
  originX: number;
  originY: number;
  cell: number;
  rows: number;
  cols: number;
}

export interface HeatmapOptions {
  /** Draw token labels on both axes (the thumbnails do not). */
  labels: boolean;
  /** Width the grid may take, in CSS pixels (cells shrink to fit, down to minCell). */
  maxWidth: number;
  minCell?: number;
  maxCell?: number;
  /** The user's zoom: cells this many times the size that fits maxWidth (up to zoomedMaxCell); the map then scrolls. */
  zoom?: number;
  zoomedMaxCell?: number;
  /** Axis titles, drawn beside the labels (with labels only). */
  titles?: { query: string; key: string };
  /** The weight drawn fully opaque (default: the map's largest), so two maps side by side share one scale. */
  scaleMax?: number;
}

/** The cell size that fits `n` tokens into `maxWidth` beside the labels, within [minCell, maxCell]. */
export function fitCell(n: number, maxWidth: number, labelSpace: number, minCell: number, maxCell: number): number {
  const exact = (maxWidth - labelSpace) / Math.max(n, 1);
  // Whole pixels while a cell is one or more; below that (a thumbnail of a long text) a fraction, so the map keeps its size.
  return Math.max(minCell, Math.min(maxCell, exact >= 1 ? Math.floor(exact) : exact));
}

const LABEL_MAX_CHARS = 12;
const LABEL_MAX_WIDTH = 110;

/** A label short enough for an axis; whitespace made visible. */
export function tokenLabel(token: string): string {
  const visible = token.replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/ /g, '·');
  const chars = [...visible];
  return chars.length > LABEL_MAX_CHARS ? `${chars.slice(0, LABEL_MAX_CHARS - 1).join('')}…` : visible || '∅';
}

/** The largest weight of a map (at least a tiny positive number, so a zero map draws empty). */
export function maxWeight(map: number[][]): number {
  let max = 0;
  for (const row of map) for (const v of row) if (v > max) max = v;
  return max > 0 ? max : 1e-9;
}

/** The mean of every head's map of one layer. */
export function headAverage(layer: number[][][]): number[][] {
  const heads = layer.length;
  if (heads === 0) return [];
  return layer[0].map((row, q) => row.map((_, k) => layer.reduce((sum, head) => sum + (head[q]?.[k] ?? 0), 0) / heads));
}

/**
 * Draws `map` (rows: query tokens, columns: key tokens) into `canvas`, sizing
 * it, and returns where the cells are, for hit testing.
 */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  map: number[][],
  tokens: string[],
  theme: ChartTheme,
  options: HeatmapOptions,
): HeatmapGeometry {
  const rows = map.length;
  const cols = rows > 0 ? map[0].length : 0;
  // A context to measure the labels with; sizing the canvas below resets its state, not the object.
  const ctx = canvas.getContext('2d');
  let labelSpace = 0;
  let fontSize = 0;
  const labels = options.labels ? tokens.map(tokenLabel) : [];
  if (ctx && options.labels && rows > 0) {
    fontSize = Math.max(9, Math.min(12, theme.fontSize - 1));
    ctx.font = `${fontSize}px ${theme.fontFamily}`;
    labelSpace = Math.min(LABEL_MAX_WIDTH, Math.ceil(Math.max(...labels.map((l) => ctx.measureText(l).width))) + 8);
  }
  // Axis titles take a line above the key labels and a column left of the query labels.
  const titleSpace = options.labels && options.titles && rows > 0 ? fontSize + 8 : 0;
  const origin = titleSpace + labelSpace;
  const n = Math.max(rows, cols, 1);
  const fitted = fitCell(n, options.maxWidth, origin, options.minCell ?? 4, options.maxCell ?? 28);
  const zoom = options.zoom ?? 1;
  const cell = zoom > 1 ? Math.max(fitted, Math.min(options.zoomedMaxCell ?? 48, Math.round(fitted * zoom))) : fitted;
  const width = origin + cell * Math.max(cols, 1);
  const height = origin + cell * Math.max(rows, 1);
  sizeCanvas(canvas, width, height);
  const geometry: HeatmapGeometry = { originX: origin, originY: origin, cell, rows, cols };
  canvas.dataset.rows = String(rows);
  canvas.dataset.cols = String(cols);
  canvas.dataset.cell = String(cell);
  canvas.dataset.originX = String(origin);
  canvas.dataset.originY = String(origin);
  if (!ctx) return geometry;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, height);

  const max = options.scaleMax && options.scaleMax > 0 ? options.scaleMax : maxWeight(map);
  ctx.fillStyle = theme.train;
  for (let q = 0; q < rows; q++) {
    for (let k = 0; k < cols; k++) {
      const w = map[q][k];
      if (!(w > 0)) continue;
      ctx.globalAlpha = Math.min(1, w / max);
      ctx.fillRect(origin + k * cell, origin + q * cell, cell, cell);
    }
  }
  ctx.globalAlpha = 1;

  if (options.labels && rows > 0) {
    ctx.font = `${fontSize}px ${theme.fontFamily}`;
    ctx.fillStyle = theme.foreground;
    ctx.textBaseline = 'middle';
    // With cells smaller than the text, label every k-th token only (a line's height apart, plus air).
    const every = Math.max(1, Math.ceil((fontSize + 3) / cell));
    ctx.textAlign = 'right';
    for (let q = 0; q < rows; q += every) fillClipped(ctx, labels[q] ?? '', origin - 4, origin + q * cell + cell / 2, labelSpace - 6);
    ctx.save();
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'left';
    // Rotated: x runs up the canvas (negative y), y runs right.
    for (let k = 0; k < cols; k += every) fillClipped(ctx, labels[k] ?? '', -(origin - 4), origin + k * cell + cell / 2, labelSpace - 6, 'left');
    ctx.restore();
    if (options.titles) {
      ctx.fillStyle = theme.muted;
      ctx.textAlign = 'left';
      ctx.fillText(`${options.titles.key} →`, origin, titleSpace / 2, Math.max(40, width - origin));
      ctx.save();
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'right';
      // Rotated text reads upwards, so an arrow pointing back (←) points down the queries.
      ctx.fillText(`← ${options.titles.query}`, -origin, titleSpace / 2, Math.max(40, height - origin));
      ctx.restore();
    }
  }
  return geometry;
}

/** The largest weight of a colour scale as its legend writes it: 2 decimals, 3 below 0.1. */
export function formatScaleMax(max: number): string {
  return max.toFixed(max >= 0.1 ? 2 : 3);
}

/** One attention weight as a tooltip writes it. */
export function formatWeight(weight: number): string {
  return weight.toFixed(4);
}

export interface ScaleBar {
  title: string;
  /** The bar's length in CSS pixels. */
  barWidth: number;
  /** How many bands the bar is drawn in. */
  steps: number;
  /** The colour and opacity at `at` ∈ (0, 1) along the bar, by the same rule as the cells. */
  fill: (at: number) => { colour: string; alpha: number };
  /** The labels under the bar's left end, its middle (if any) and its right end. */
  labels: { left: string; middle?: string; right: string };
}

/** A heatmap's legend: its title, the bar on the background, framed, and the labels under it. */
export function drawScaleBar(canvas: HTMLCanvasElement, theme: ChartTheme, bar: ScaleBar): void {
  const fontSize = Math.max(9, Math.min(12, theme.fontSize - 1));
  const { barWidth, steps } = bar;
  const barHeight = 10;
  const width = barWidth + 8;
  const height = barHeight + fontSize * 2 + 10;
  const ctx = sizeCanvas(canvas, width, height);
  if (!ctx) return;
  ctx.clearRect(0, 0, width, height);
  ctx.font = `${fontSize}px ${theme.fontFamily}`;
  ctx.fillStyle = theme.muted;
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText(bar.title, 4, 0, barWidth);
  const top = fontSize + 4;
  ctx.fillStyle = theme.background;
  ctx.fillRect(4, top, barWidth, barHeight);
  for (let i = 0; i < steps; i++) {
    const { colour, alpha } = bar.fill((i + 0.5) / steps);
    ctx.fillStyle = colour;
    ctx.globalAlpha = alpha;
    ctx.fillRect(4 + (i * barWidth) / steps, top, barWidth / steps + 0.5, barHeight);
  }
  ctx.globalAlpha = 1;
  ctx.strokeStyle = theme.grid;
  ctx.strokeRect(4.5, top + 0.5, barWidth - 1, barHeight - 1);
  ctx.fillStyle = theme.foreground;
  ctx.fillText(bar.labels.left, 4, top + barHeight + 3);
  if (bar.labels.middle !== undefined) {
    ctx.textAlign = 'center';
    ctx.fillText(bar.labels.middle, 4 + barWidth / 2, top + barHeight + 3);
  }
  ctx.textAlign = 'right';
  ctx.fillText(bar.labels.right, 4 + barWidth, top + barHeight + 3);
}

/**
 * The colour scale of a heatmap: a bar from no weight (the background) to
 * `max` (the accent colour, fully opaque), with the two ends labelled.
 */
export function drawColourScale(canvas: HTMLCanvasElement, max: number, theme: ChartTheme, title: string): void {
  canvas.dataset.max = String(max);
  // The same rule as the cells: the accent colour at opacity weight / max.
  drawScaleBar(canvas, theme, { title, barWidth: 160, steps: 32, fill: (at) => ({ colour: theme.train, alpha: at }), labels: { left: '0', right: formatScaleMax(max) } });
}

/** What a heatmap's tooltip needs while its map is drawn: where the cells are, the tokens, and the text for a cell. */
export interface CellTooltipSource {
  geometry: HeatmapGeometry;
  tokens: readonly string[];
  /** The tooltip's text for the cell at (query, key), given its two tokens. */
  text: (cell: { query: number; key: number }, queryToken: string, keyToken: string) => string;
}

/**
 * Shows `tooltip` beside the pointer while it is over a cell of the heatmap
 * drawn in `canvas` (`source` gives what is drawn, or nothing), hidden off the
 * cells and when the pointer leaves.
 */
export function followCellsWithTooltip(canvas: HTMLCanvasElement, tooltip: HTMLElement, source: () => CellTooltipSource | undefined): void {
  tooltip.hidden = true;
  canvas.addEventListener('mousemove', (e) => {
    const drawn = source();
    if (!drawn) return;
    const rect = canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const cell = cellAt(drawn.geometry, x, y);
    if (!cell) {
      tooltip.hidden = true;
      return;
    }
    tooltip.textContent = drawn.text(cell, drawn.tokens[cell.query] ?? '', drawn.tokens[cell.key] ?? '');
    tooltip.dataset.query = String(cell.query);
    tooltip.dataset.key = String(cell.key);
    tooltip.hidden = false;
    tooltip.style.left = `${canvas.offsetLeft + x + 12}px`;
    tooltip.style.top = `${canvas.offsetTop + y + 12}px`;
  });
  canvas.addEventListener('mouseleave', () => (tooltip.hidden = true));
}

function fillClipped(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, maxWidth: number, align: 'left' | 'right' = 'right'): void {
  ctx.textAlign = align;
  ctx.fillText(text, x, y, maxWidth);
}

/** The cell under a point (CSS pixels relative to the canvas), or undefined. */
export function cellAt(geometry: HeatmapGeometry, x: number, y: number): { query: number; key: number } | undefined {
  const key = Math.floor((x - geometry.originX) / geometry.cell);
  const query = Math.floor((y - geometry.originY) / geometry.cell);
  if (x < geometry.originX || y < geometry.originY || key >= geometry.cols || query >= geometry.rows) return undefined;
  return { query, key };
}
