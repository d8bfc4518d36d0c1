// The compare panel's Distributions card: the runs' distributions of one
// layer side by side — a band chart per run (min–max, 25th–75th, median over
// the recorded epochs, drawn as the dashboard draws them), each in its run's
// colour, with a badge where that run's gradients vanish or explode.

import { DISTRIBUTION_KINDS, gradientHealth, layerBands, layersOf } from '../../../src/core/distributions';
import type { DistributionKind, LayerDistributions } from '../../../src/core/distributions';
import type { CompareTranslate } from '../../../src/core/compareStringTable';
import type { CompareRun } from '../../../src/core/protocol/compare';
import { h } from '../dom';
import { drawBands } from '../distributionsView';
import type { ChartTheme } from '../theme';

export interface CompareDistributionsInput {
  runs: readonly CompareRun[];
  /** By run id: that run's lines (runs that recorded none are absent). */
  lines: ReadonlyMap<string, LayerDistributions[]>;
  colors: ReadonlyMap<string, string>;
  theme: ChartTheme;
  t: CompareTranslate;
}

export class CompareDistributionsView {
  readonly element: HTMLElement;
  private readonly title = h('h2', { id: 'compare-distributions-title' });
  private readonly layerLabel = h('label', { for: 'compare-distributions-layer' });
  private readonly layerSelect = h('select', { id: 'compare-distributions-layer' }) as HTMLSelectElement;
  private readonly kindSelect = h('select', { id: 'compare-distributions-kind' }) as HTMLSelectElement;
  private readonly grid = h('div', { id: 'compare-distributions', class: 'distributions-layers' });
  private input: CompareDistributionsInput | undefined;
  private layer: string | undefined;
  private kind: DistributionKind = 'weights';

  constructor() {
    this.element = h(
      'section',
      { class: 'card', id: 'compare-distributions-card', 'aria-labelledby': 'compare-distributions-title' },
      h('div', { class: 'card-title' }, this.title, h('span', { class: 'controls' }, this.layerLabel, this.layerSelect, this.kindSelect)),
      this.grid,
    );
    this.element.hidden = true;
    this.layerSelect.addEventListener('change', () => {
      this.layer = this.layerSelect.value;
      this.render();
    });
    this.kindSelect.addEventListener('change', () => {
      this.kind = this.kindSelect.value === 'gradients' ? 'gradients' : 'weights';
      this.render();
    });
  }

  update(input: CompareDistributionsInput): void {
    this.input = input;
    this.render();
  }

  private render(): void {
    const input = this.input;
    const withLines = input ? input.runs.filter((r) => (input.lines.get(r.id)?.length ?? 0) > 0) : [];
    this.element.hidden = !input || withLines.length === 0;
    if (!input || withLines.length === 0) return;
    const { t, theme } = input;
    // The layers of every run, in the order the first run has them (runs of one experiment share them).
    const layers = [...new Set(withLines.flatMap((r) => layersOf(input.lines.get(r.id)!)))];
    if (!this.layer || !layers.includes(this.layer)) this.layer = layers[0];
    this.title.textContent = t('compare.distributions');
    this.layerLabel.textContent = t('compare.distributions.layer');
    this.layerSelect.replaceChildren(...layers.map((l) => h('option', { value: l, ...(l === this.layer ? { selected: '' } : {}) }, l)));
    this.layerSelect.value = this.layer;
    this.kindSelect.replaceChildren(...DISTRIBUTION_KINDS.map((k) => h('option', { value: k, ...(k === this.kind ? { selected: '' } : {}) }, t(k === 'weights' ? 'compare.distributions.weights' : 'compare.distributions.gradients'))));
    this.kindSelect.value = this.kind;
    const layer = this.layer;
    // One value axis for every run, so the bands compare by eye.
    const all = input.runs.flatMap((run) => layerBands(input.lines.get(run.id) ?? [], layer, this.kind));
    const range: [number, number] | undefined = all.length ? [Math.min(...all.map((b) => b.percentiles[0])), Math.max(...all.map((b) => b.percentiles[4]))] : undefined;
    this.grid.replaceChildren(
      ...input.runs.map((run) => {
        const lines = input.lines.get(run.id) ?? [];
        const bands = layerBands(lines, layer, this.kind);
        const latest = [...lines].reverse().find((l) => l.layer === layer);
        const health = latest ? gradientHealth(latest) : { kind: 'ok' as const };
        const canvas = h('canvas', { class: 'distribution-bands', 'data-run': run.id }) as HTMLCanvasElement;
        drawBands(canvas, bands, health.kind === 'ok' ? (input.colors.get(run.id) ?? theme.train) : theme.red, theme, t('compare.xAxis.epoch'), range);
        const badge = health.kind === 'ok' ? null : h('span', { class: `badge badge-${health.kind}` }, t(health.kind === 'vanishing' ? 'compare.distributions.vanishing' : 'compare.distributions.exploding'));
        return h(
          'figure',
          { class: 'distribution-layer', 'data-run': run.id, 'data-health': health.kind },
          h('figcaption', {}, h('strong', {}, run.label), badge),
          bands.length ? canvas : h('p', { class: 'muted' }, t('compare.distributions.none', layer)),
        );
      }),
    );
  }
}
