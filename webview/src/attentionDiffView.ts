// "What changed" (#17): for a fine-tuned run whose base has attention, a view
// toggle beside the attention view's layer and head pickers — "this model"
// (the attention view's own map), "base | fine-tuned" (both maps of the chosen
// layer and head side by side, on one scale) and "difference" (fine-tuned −
// base on a diverging scale centred at 0: the theme's blue where attention
// grew, its orange where it shrank, the background at 0; blue and orange stay
// apart for colour-blind readers and follow light, dark and high-contrast
// themes), with a legend of the scale's range and the largest changes. When
// the two models cut the text into different tokens, their rows do not align:
// the view says so and offers side by side only.

import type { AttentionBaseInfo, DashboardAttentionMessage } from '../../src/core/protocol/dashboard';
import type { Translate } from '../../src/core/dashboardStringTable';
import { attentionDifference, describeChange, differenceRange, largestChanges, meanOfMaps, formatChange } from '../../src/core/attentionDiff';
import type { AttentionMisalignment } from '../../src/core/attentionDiff';
import type { AttentionResult } from '../../src/core/types';
import { h } from './dom';
import { drawColourScale, drawHeatmap, drawScaleBar, followCellsWithTooltip, formatScaleMax, formatWeight, maxWeight, tokenLabel, type HeatmapGeometry } from './heatmap';
import type { ChartTheme } from './theme';

export type AttentionViewMode = 'model' | 'sideBySide' | 'difference';
export const ATTENTION_VIEW_MODES: readonly AttentionViewMode[] = ['model', 'sideBySide', 'difference'];
const MODE_STRING = { model: 'attention.view.model', sideBySide: 'attention.view.sideBySide', difference: 'attention.view.difference' } as const;
/** How many of the largest changes are listed. */
const CHANGES_SHOWN = 8;

export interface DiffSelection {
  layer: number;
  head: number;
  average: boolean;
}

/** The map of one layer and head (or the heads' mean) of a result. */
function mapOf(result: AttentionResult, s: DiffSelection): number[][] {
  const heads = result.attention[s.layer] ?? [];
  return s.average ? meanOfMaps(heads) : (heads[s.head] ?? []);
}

/** The colour of a difference `v` on a scale from −range to +range: the negative or positive colour with opacity |v| / range. */
export function divergingFill(v: number, range: number, theme: ChartTheme): { colour: string; alpha: number } | undefined {
  if (!(range > 0) || v === 0 || !Number.isFinite(v)) return undefined;
  return { colour: v > 0 ? theme.train : theme.validation, alpha: Math.min(1, Math.abs(v) / range) };
}

/** Draws a difference map over a heatmap's grid (labels and titles as drawHeatmap's); returns the grid. */
export function drawDifference(canvas: HTMLCanvasElement, diff: number[][], range: number, tokens: string[], theme: ChartTheme, maxWidth: number, titles: { query: string; key: string }): HeatmapGeometry {
  const empty = diff.map((row) => row.map(() => 0));
  const g = drawHeatmap(canvas, empty, tokens, theme, { labels: true, maxWidth, minCell: 1, maxCell: 28, titles });
  const ctx = canvas.getContext('2d');
  if (!ctx) return g;
  for (let q = 0; q < g.rows; q++) {
    for (let k = 0; k < g.cols; k++) {
      const fill = divergingFill(diff[q][k], range, theme);
      if (!fill) continue;
      ctx.fillStyle = fill.colour;
      ctx.globalAlpha = fill.alpha;
      ctx.fillRect(g.originX + k * g.cell, g.originY + q * g.cell, g.cell, g.cell);
    }
  }
  ctx.globalAlpha = 1;
  canvas.dataset.range = String(range);
  return g;
}

/** The diverging legend: −range (negative colour) through 0 (background) to +range (positive colour), the three ends labelled. */
export function drawDivergingScale(canvas: HTMLCanvasElement, range: number, theme: ChartTheme, title: string): void {
  const low = formatChange(-range);
  const high = formatChange(range);
  canvas.dataset.min = String(-range);
  canvas.dataset.max = String(range);
  canvas.dataset.labels = `${low}|0|${high}`;
  drawScaleBar(canvas, theme, {
    title,
    barWidth: 200,
    steps: 40,
    // The same rule as the cells, from −range at the left to +range at the right.
    fill: (at) => {
      const v = at * 2 - 1;
      return { colour: v > 0 ? theme.train : theme.validation, alpha: Math.abs(v) };
    },
    labels: { left: low, middle: '0', right: high },
  });
}

/** The toggle and the base's panes; the attention view places it and tells it what to draw. */
export class AttentionDiffView {
  /** The "View:" radio group, placed among the attention view's controls (arrow keys move between the modes). */
  readonly toggle = h('span', { class: 'attention-view-modes', role: 'radiogroup' });
  readonly element = h('div', { class: 'attention-diff' });
  private readonly toggleLabel = h('span', { class: 'attention-view-label' });
  private readonly radios = new Map<AttentionViewMode, { input: HTMLInputElement; label: HTMLSpanElement }>();
  private readonly baseLine = h('p', { class: 'attention-base-line' });
  private readonly notice = h('p', { class: 'attention-diff-notice', role: 'status' });
  private readonly tunedCaption = h('figcaption');
  private readonly baseCaption = h('figcaption');
  private readonly tunedCanvas = h('canvas', { class: 'attention-diff-heatmap attention-tuned-map', role: 'img' });
  private readonly baseCanvas = h('canvas', { class: 'attention-diff-heatmap attention-base-map', role: 'img' });
  private readonly sideScale = h('canvas', { class: 'attention-diff-scale-bar attention-side-scale', role: 'img' });
  private readonly side = h(
    'div',
    { class: 'attention-side' },
    this.sideScale,
    h('div', { class: 'attention-side-maps' }, h('figure', { class: 'attention-side-pane' }, this.baseCaption, this.baseCanvas), h('figure', { class: 'attention-side-pane' }, this.tunedCaption, this.tunedCanvas)),
  );
  private readonly diffCaption = h('p', { class: 'attention-diff-caption' });
  private readonly diffCanvas = h('canvas', { class: 'attention-diff-heatmap attention-diff-map', role: 'img' });
  private readonly diffScale = h('canvas', { class: 'attention-diff-scale-bar attention-diff-scale', role: 'img' });
  private readonly diffRangeText = h('span', { class: 'attention-diff-range' });
  private readonly changesTitle = h('h3', { class: 'attention-changes-title' });
  private readonly changes = h('ol', { class: 'attention-changes' });
  private readonly tooltip = h('div', { class: 'attention-diff-tooltip', role: 'tooltip' });
  private readonly difference = h(
    'div',
    { class: 'attention-difference' },
    h('div', { class: 'attention-diff-legend' }, this.diffScale, this.diffRangeText),
    this.diffCaption,
    h('div', { class: 'attention-diff-mapwrap' }, this.diffCanvas, this.tooltip),
    this.changesTitle,
    this.changes,
  );
  private mode: AttentionViewMode = 'model';
  private diffGeometry: HeatmapGeometry | undefined;
  private hoverData: { tokens: string[]; base: number[][]; tuned: number[][]; diff: number[][] } | undefined;
  /** The strings of the last render, for the tooltip. */
  private translate: Translate | undefined;

  constructor(private readonly onModeChange: () => void) {
    this.toggle.append(this.toggleLabel);
    for (const mode of ATTENTION_VIEW_MODES) {
      const input = h('input', { type: 'radio', name: 'attention-view-mode', value: mode, class: `attention-view-${mode}` });
      const label = h('span');
      input.addEventListener('change', () => {
        if (!input.checked) return;
        this.mode = mode;
        this.onModeChange();
      });
      this.radios.set(mode, { input, label });
      this.toggle.append(h('label', { class: 'attention-view-mode' }, input, label));
    }
    this.element.append(this.baseLine, this.notice, this.side, this.difference);
    followCellsWithTooltip(this.diffCanvas, this.tooltip, () => {
      const g = this.diffGeometry;
      const d = this.hoverData;
      const t = this.translate;
      if (!g || !d || !t) return undefined;
      return {
        geometry: g,
        tokens: d.tokens,
        text: ({ query, key }, from, to) =>
          t('attention.diff.tooltip', from, to, formatWeight(d.base[query]?.[key] ?? 0), formatWeight(d.tuned[query]?.[key] ?? 0), formatChange(d.diff[query]?.[key] ?? 0)),
      };
    });
  }

  /**
   * Draws the base's views for `message` (nothing without a base) and says
   * whether the attention view's own map is the one to show.
   */
  render(message: DashboardAttentionMessage | undefined, selection: DiffSelection, t: Translate, theme: ChartTheme, width: number): { showOwnMap: boolean } {
    const base: AttentionBaseInfo | undefined = message?.status === 'ready' || message?.status === 'pending' ? message.base : undefined;
    const tuned = message?.result;
    this.translate = t;
    this.hoverData = undefined;
    this.tooltip.hidden = true;
    this.toggleLabel.textContent = t('attention.view');
    for (const [mode, { label }] of this.radios) label.textContent = t(MODE_STRING[mode]);
    if (!base || !tuned || tuned.tokens.length === 0) {
      this.toggle.hidden = true;
      this.element.hidden = true;
      this.element.dataset.mode = 'model';
      return { showOwnMap: true };
    }
    this.toggle.hidden = false;
    this.element.hidden = false;
    this.baseLine.textContent = t('attention.base.line', base.label);
    const baseResult = base.status === 'ready' ? base.result : undefined;
    const alignment = baseResult ? attentionDifference(tuned, baseResult) : undefined;
    const misaligned = alignment && !alignment.aligned ? alignment : undefined;
    const differenceOk = !!alignment?.aligned;
    this.radios.get('difference')!.input.disabled = !!misaligned;
    // Tokens that differ: side by side only (a difference of rows that do not align would mean nothing).
    const mode: AttentionViewMode = misaligned && this.mode === 'difference' ? 'sideBySide' : this.mode;
    for (const [m, { input }] of this.radios) input.checked = m === mode;
    this.element.dataset.mode = mode;
    this.element.dataset.base = base.status;
    const notice =
      base.status === 'pending' ? t('attention.base.pending') : base.status === 'error' ? t('attention.base.error', base.error ?? '') : misaligned ? misalignmentText(misaligned, t) : '';
    this.notice.textContent = notice;
    this.notice.hidden = notice === '' || mode === 'model';
    this.notice.classList.toggle('error', base.status === 'error');
    this.baseLine.hidden = mode === 'model';
    this.side.hidden = mode !== 'sideBySide';
    this.difference.hidden = mode !== 'difference' || !differenceOk;
    if (mode === 'model') return { showOwnMap: true };
    const titles = { query: t('attention.axis.query'), key: t('attention.axis.key') };
    const tunedMap = mapOf(tuned, selection);
    const where = selection.average ? t('attention.heatmap.averageAria', selection.layer + 1) : t('attention.heatmap.aria', selection.layer + 1, selection.head + 1);
    if (mode === 'sideBySide') {
      const baseMap = baseResult ? mapOf(baseResult, selection) : [];
      // One scale for both maps, so equal weights look equal.
      const max = Math.max(maxWeight(tunedMap), baseMap.length ? maxWeight(baseMap) : 0);
      const half = Math.max(160, Math.floor((width - 16) / 2));
      this.tunedCaption.textContent = t('attention.tuned.caption', message?.model?.runId ?? '');
      this.baseCaption.textContent = t('attention.base.caption', base.label);
      drawScaled(this.tunedCanvas, tunedMap, max, tuned.tokens, theme, half, titles);
      this.tunedCanvas.setAttribute('aria-label', `${this.tunedCaption.textContent}: ${where}`);
      this.baseCanvas.hidden = !baseResult;
      if (baseResult) {
        drawScaled(this.baseCanvas, baseMap, max, baseResult.tokens, theme, half, titles);
        this.baseCanvas.setAttribute('aria-label', `${this.baseCaption.textContent}: ${where}`);
      }
      drawColourScale(this.sideScale, max, theme, t('attention.scale'));
      this.sideScale.setAttribute('aria-label', `${t('attention.scale')}: 0 – ${formatScaleMax(max)}`);
      this.sideScale.dataset.layer = String(selection.layer);
      return { showOwnMap: false };
    }
    if (baseResult && differenceOk) {
      const baseMap = mapOf(baseResult, selection);
      const diff = tunedMap.map((row, q) => row.map((v, k) => v - (baseMap[q]?.[k] ?? 0)));
      const range = differenceRange(diff);
      this.diffCaption.textContent = t('attention.diff.caption');
      this.diffGeometry = drawDifference(this.diffCanvas, diff, range, tuned.tokens, theme, Math.max(200, width - 4), titles);
      this.diffCanvas.dataset.layer = String(selection.layer);
      this.diffCanvas.dataset.head = selection.average ? 'average' : String(selection.head);
      this.diffCanvas.setAttribute('aria-label', selection.average ? t('attention.diff.averageAria', selection.layer + 1) : t('attention.diff.aria', selection.layer + 1, selection.head + 1));
      const scaleTitle = t('attention.diff.scale');
      drawDivergingScale(this.diffScale, range, theme, scaleTitle);
      const rangeText = `${formatChange(-range)} … ${formatChange(range)}`;
      this.diffRangeText.textContent = rangeText;
      this.diffScale.setAttribute('aria-label', `${scaleTitle}: ${rangeText}`);
      this.hoverData = { tokens: tuned.tokens, base: baseMap, tuned: tunedMap, diff };
      this.changesTitle.textContent = t('attention.diff.changes');
      const top = largestChanges(baseMap, tunedMap, CHANGES_SHOWN);
      this.changes.replaceChildren(
        ...(top.length
          ? top.map((c) => h('li', { class: c.change > 0 ? 'attention-change up' : 'attention-change down', 'data-query': c.query, 'data-key': c.key }, describeChange(c, tuned.tokens, tokenLabel)))
          : [h('li', { class: 'attention-change none' }, t('attention.diff.noChanges'))]),
      );
    }
    return { showOwnMap: false };
  }
}

/** A heatmap drawn against a given maximum (both side-by-side maps on one scale). */
function drawScaled(canvas: HTMLCanvasElement, map: number[][], max: number, tokens: string[], theme: ChartTheme, width: number, titles: { query: string; key: string }): void {
  drawHeatmap(canvas, map, tokens, theme, { labels: true, maxWidth: width, minCell: 1, maxCell: 28, titles, scaleMax: max });
  canvas.dataset.max = String(max);
}

function misalignmentText(m: AttentionMisalignment, t: Translate): string {
  if (m.reason === 'tokens') return t('attention.diff.misaligned.tokens', (m.at ?? 0) + 1, m.baseToken ?? '∅', m.tunedToken ?? '∅');
  const [bl, bh] = m.baseShape ?? [0, 0];
  const [tl, th] = m.tunedShape ?? [0, 0];
  return t('attention.diff.misaligned.shape', bl, bh, tl, th);
}
