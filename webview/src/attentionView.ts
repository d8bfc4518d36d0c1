// The attention section: the Transformer's attention over the text of the
// active editor (sent by the host, computed in the inference child), as one
// large heatmap for the chosen layer and head (or the heads' average), an
// overview of every layer × head as thumbnails, the classifier's prediction,
// and a generate box for a language model. Everything the model or the file
// supplies goes in as textContent or fillText.

import type { DashboardAttentionMessage, DashboardGeneratedMessage, DashboardGenerateRequest, WebviewToHostMessage } from '../../src/core/protocol/dashboard';
import type { Translate } from '../../src/core/dashboardStringTable';
import { h } from './dom';
import { formatMetric } from './format';
import { drawColourScale, drawHeatmap, followCellsWithTooltip, formatWeight, headAverage, maxWeight, type HeatmapGeometry } from './heatmap';
import { probabilityRow, renderModelLine, showStatus, statusText, type ModelLineStrings, type StatusStrings } from './modelAnswer';
import type { ChartTheme } from './theme';
import { AttentionDiffView } from './attentionDiffView';

export interface AttentionSelection {
  layer: number;
  head: number;
  average: boolean;
}

const DEFAULT_WIDTH = 640;
const THUMB_SIZE = 96;
/** Each zoom step makes the cells this much larger than the fitted size; the map scrolls once it is wider than the panel. */
const ZOOM_STEP = 1.5;
const MAX_ZOOM = 6;
const MAX_CELL = 48;
const STATUS: StatusStrings = { noModel: 'attention.noModel', noInput: 'attention.noText', pending: 'attention.pending', error: 'attention.error' };
const MODEL_LINE: ModelLineStrings = { model: 'attention.model', pinned: 'attention.model.pinned', latest: 'attention.model.latest', run: 'attention.run' };

export class AttentionView {
  readonly element = h('section', { id: 'attention', class: 'card attention', 'aria-labelledby': 'attention-title' });
  private readonly title = h('h2', { id: 'attention-title' });
  private readonly modelLine = h('span', { class: 'attention-model' });
  /** The run the attention comes from, by id (its folder under the runs directory). */
  private readonly runLine = h('span', { class: 'attention-run' });
  private readonly pinButton = h('button', { type: 'button', class: 'attention-pin secondary' });
  private readonly status = h('p', { class: 'attention-status', role: 'status' });
  private readonly sourceLine = h('p', { class: 'attention-source' });
  private readonly prediction = h('div', { class: 'attention-prediction' });
  private readonly layerSelect = h('select', { class: 'attention-layer' });
  private readonly headSelect = h('select', { class: 'attention-head' });
  private readonly averageBox = h('input', { type: 'checkbox', class: 'attention-average' });
  private readonly layerLabel = h('span');
  private readonly headLabel = h('span');
  private readonly averageLabel = h('span');
  private readonly zoomOut = h('button', { type: 'button', class: 'attention-zoom-out secondary' }, '−');
  private readonly zoomIn = h('button', { type: 'button', class: 'attention-zoom-in secondary' }, '+');
  private readonly zoomFit = h('button', { type: 'button', class: 'attention-zoom-fit secondary' });
  private readonly scale = h('canvas', { class: 'attention-scale', role: 'img' });
  /** Zoom steps above the size that fits the panel; 0 fits. */
  private zoom = 0;
  private readonly controls: HTMLElement;
  private readonly canvas = h('canvas', { class: 'attention-heatmap', role: 'img' });
  private readonly tooltip = h('div', { class: 'attention-tooltip', role: 'tooltip' });
  private readonly mapWrap = h('div', { class: 'attention-map' }, this.canvas, this.tooltip);
  private readonly overviewTitle = h('h3', { class: 'attention-overview-title' });
  private readonly overview = h('div', { class: 'attention-overview' });
  private readonly generate = new GenerateBox((m) => this.post(m));
  /** A fine-tuned run's base: the view toggle, side by side and the difference (#17). */
  private readonly diffView = new AttentionDiffView(() => this.drawMaps());

  private message: DashboardAttentionMessage | undefined;
  private selection: AttentionSelection = { layer: 0, head: 0, average: false };
  private geometry: HeatmapGeometry | undefined;
  private shownMap: number[][] = [];
  private t: Translate;
  private theme: ChartTheme;

  constructor(
    private readonly post: (m: WebviewToHostMessage) => void,
    t: Translate,
    theme: ChartTheme,
  ) {
    this.t = t;
    this.theme = theme;
    this.controls = h(
      'div',
      { class: 'attention-controls' },
      this.diffView.toggle,
      h('label', {}, this.layerLabel, this.layerSelect),
      h('label', {}, this.headLabel, this.headSelect),
      h('label', { class: 'attention-average-label' }, this.averageBox, this.averageLabel),
      h('span', { class: 'attention-zoom', role: 'group' }, this.zoomOut, this.zoomIn, this.zoomFit),
      this.scale,
    );
    this.element.append(
      h('div', { class: 'card-title' }, this.title, h('div', { class: 'attention-model-row' }, this.modelLine, this.runLine, this.pinButton)),
      this.status,
      this.sourceLine,
      this.prediction,
      this.controls,
      this.diffView.element,
      this.mapWrap,
      this.overviewTitle,
      this.overview,
      this.generate.element,
    );
    this.pinButton.addEventListener('click', () => this.post({ type: 'pinAttentionModel' }));
    this.layerSelect.addEventListener('change', () => this.select({ ...this.selection, layer: Number(this.layerSelect.value) }));
    this.headSelect.addEventListener('change', () => this.select({ ...this.selection, head: Number(this.headSelect.value) }));
    this.averageBox.addEventListener('change', () => this.select({ ...this.selection, average: this.averageBox.checked }));
    this.zoomIn.addEventListener('click', () => this.setZoom(this.zoom + 1));
    this.zoomOut.addEventListener('click', () => this.setZoom(this.zoom - 1));
    this.zoomFit.addEventListener('click', () => this.setZoom(0));
    followCellsWithTooltip(this.canvas, this.tooltip, () => {
      const result = this.message?.result;
      const g = this.geometry;
      if (!result || !g) return undefined;
      return { geometry: g, tokens: result.tokens, text: ({ query, key }, from, to) => this.t('attention.tooltip', from, to, formatWeight(this.shownMap[query]?.[key] ?? 0)) };
    });
    this.render();
  }

  setStrings(t: Translate): void {
    this.t = t;
    this.render();
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.drawMaps();
  }

  show(message: DashboardAttentionMessage): void {
    // While a request runs, the previous heatmap stays: only the status says it is being updated.
    if (message.status === 'pending' && this.message?.result) {
      this.message = { ...this.message, status: 'pending', model: message.model ?? this.message.model };
    } else {
      this.message = message;
    }
    const result = this.message.result;
    if (result) {
      const layers = result.attention.length;
      const heads = result.attention[0]?.length ?? 0;
      this.selection = {
        layer: Math.min(this.selection.layer, Math.max(0, layers - 1)),
        head: Math.min(this.selection.head, Math.max(0, heads - 1)),
        average: this.selection.average,
      };
    }
    this.render();
  }

  showGenerated(message: DashboardGeneratedMessage): void {
    this.generate.showResult(message, this.t);
  }

  private select(selection: AttentionSelection): void {
    this.selection = selection;
    this.renderControls();
    this.drawMaps();
  }

  private render(): void {
    const t = this.t;
    const m = this.message;
    this.title.textContent = t('attention.title');
    this.pinButton.textContent = t('attention.pin');
    this.pinButton.title = t('attention.pin.title');
    this.layerLabel.textContent = t('attention.layer');
    this.headLabel.textContent = t('attention.head');
    this.averageLabel.textContent = t('attention.average');
    this.zoomIn.title = t('attention.zoomIn');
    this.zoomIn.setAttribute('aria-label', t('attention.zoomIn'));
    this.zoomOut.title = t('attention.zoomOut');
    this.zoomOut.setAttribute('aria-label', t('attention.zoomOut'));
    this.zoomFit.textContent = t('attention.zoomFit');
    this.zoomFit.title = t('attention.zoomFit.title');
    this.scale.setAttribute('aria-label', t('attention.scale'));
    this.overviewTitle.textContent = t('attention.overview');
    renderModelLine(this.element, this.modelLine, this.runLine, m?.model, MODEL_LINE, t);
    this.modelLine.title = m?.model?.runId ?? '';
    this.element.dataset.status = m?.status ?? 'noText';
    const result = m?.result;
    const status = m?.status === 'ready' ? (result && result.tokens.length === 0 ? t('attention.emptyText') : '') : statusText(m?.status, m?.error, STATUS, t);
    showStatus(this.status, status);
    const showResult = !!result && result.tokens.length > 0 && m?.status !== 'noModel' && m?.status !== 'noText';
    if (m?.source && showResult && result) {
      const s = m.source;
      const where = s.selection ? t('attention.source.selection', s.file, s.startLine, s.endLine) : t('attention.source', s.file, s.startLine, s.endLine);
      const count = result.truncated ? t('attention.tokens.truncated', result.tokens.length) : t('attention.tokens', result.tokens.length);
      this.sourceLine.textContent = [where, count, m.millis !== undefined ? t('attention.millis', m.millis) : ''].filter(Boolean).join(' · ');
    } else {
      this.sourceLine.textContent = '';
    }
    this.sourceLine.hidden = this.sourceLine.textContent === '';
    this.controls.hidden = !showResult;
    this.mapWrap.hidden = !showResult;
    this.overviewTitle.hidden = !showResult;
    this.overview.hidden = !showResult;
    this.renderPrediction(showResult ? result : undefined);
    this.generate.render(m?.model?.task === 'language-model' && m.status !== 'noModel', t);
    if (showResult) {
      this.renderControls();
      this.drawMaps();
    } else {
      this.tooltip.hidden = true;
      this.diffView.render(undefined, this.selection, t, this.theme, DEFAULT_WIDTH);
    }
  }

  private renderControls(): void {
    const result = this.message?.result;
    if (!result) return;
    const layers = result.attention.length;
    const heads = result.attention[0]?.length ?? 0;
    fillSelect(this.layerSelect, layers, this.selection.layer);
    fillSelect(this.headSelect, heads, this.selection.head);
    this.headSelect.disabled = this.selection.average;
    this.averageBox.checked = this.selection.average;
  }

  private renderPrediction(result: DashboardAttentionMessage['result']): void {
    const p = result?.prediction;
    const v = result?.predictedValue;
    if (v) {
      // Text regression: the value, as the predict playground says it.
      this.prediction.hidden = false;
      this.prediction.replaceChildren(h('p', { class: 'attention-predicted' }, this.t('playground.value', v.target, formatMetric(v.value))));
      return;
    }
    if (!p) {
      this.prediction.replaceChildren();
      this.prediction.hidden = true;
      return;
    }
    const t = this.t;
    this.prediction.hidden = false;
    const rows = p.probabilities.map(({ label, probability }) => probabilityRow('attention', { label, best: label === p.label, fraction: probability, value: probability.toFixed(3) }));
    this.prediction.replaceChildren(
      h('p', { class: 'attention-predicted' }, t('attention.prediction', p.label)),
      h('div', { class: 'attention-probs', 'aria-label': t('attention.probabilities') }, ...rows),
    );
  }

  private setZoom(zoom: number): void {
    this.zoom = Math.max(0, Math.min(MAX_ZOOM, zoom));
    this.drawMaps();
  }

  private drawMaps(): void {
    const result = this.message?.result;
    if (!result || result.tokens.length === 0 || this.controls.hidden) return;
    const { layer, head, average } = this.selection;
    const layerMaps = result.attention[layer] ?? [];
    this.shownMap = average ? headAverage(layerMaps) : (layerMaps[head] ?? []);
    const width = Math.max(200, (this.mapWrap.clientWidth || this.element.clientWidth || DEFAULT_WIDTH) - 4);
    // "base | fine-tuned" and "difference" take the map's place (same layer and head pickers); "this model" is the map.
    const { showOwnMap } = this.diffView.render(this.message, this.selection, this.t, this.theme, width);
    this.mapWrap.hidden = !showOwnMap;
    this.scale.hidden = !showOwnMap;
    this.zoomIn.parentElement!.hidden = !showOwnMap;
    if (!showOwnMap) {
      this.tooltip.hidden = true;
      this.drawOverview();
      return;
    }
    const titles = { query: this.t('attention.axis.query'), key: this.t('attention.axis.key') };
    this.geometry = drawHeatmap(this.canvas, this.shownMap, result.tokens, this.theme, {
      labels: true,
      maxWidth: width,
      // Down to 1 px a token: longer texts (the limit is a setting) scroll inside the panel.
      minCell: 1,
      maxCell: 28,
      titles,
      zoom: ZOOM_STEP ** this.zoom,
      zoomedMaxCell: MAX_CELL,
    });
    this.zoomIn.disabled = this.zoom >= MAX_ZOOM || this.geometry.cell >= MAX_CELL;
    this.zoomOut.disabled = this.zoom === 0;
    this.zoomFit.disabled = this.zoom === 0;
    drawColourScale(this.scale, maxWeight(this.shownMap), this.theme, this.t('attention.scale'));
    this.canvas.dataset.layer = String(layer);
    this.canvas.dataset.head = average ? 'average' : String(head);
    this.canvas.setAttribute(
      'aria-label',
      average ? this.t('attention.heatmap.averageAria', layer + 1) : this.t('attention.heatmap.aria', layer + 1, head + 1),
    );
    this.drawOverview();
  }

  private drawOverview(): void {
    const result = this.message?.result;
    if (!result) return;
    const thumbs: HTMLElement[] = [];
    result.attention.forEach((heads, l) => {
      heads.forEach((map, hd) => {
        const canvas = h('canvas');
        drawHeatmap(canvas, map, result.tokens, this.theme, { labels: false, maxWidth: THUMB_SIZE, minCell: 0, maxCell: 12 });
        const label = this.t('attention.thumb', l + 1, hd + 1);
        const selected = !this.selection.average && this.selection.layer === l && this.selection.head === hd;
        const button = h(
          'button',
          { type: 'button', class: `attention-thumb${selected ? ' selected' : ''}`, 'data-layer': l, 'data-head': hd, title: label, 'aria-label': label, 'aria-pressed': selected ? 'true' : 'false' },
          canvas,
          h('span', { class: 'attention-thumb-caption' }, `L${l + 1} H${hd + 1}`),
        );
        button.addEventListener('click', () => {
          this.select({ layer: l, head: hd, average: false });
          this.canvas.scrollIntoView({ block: 'nearest' });
        });
        thumbs.push(button);
      });
    });
    this.overview.replaceChildren(...thumbs);
  }
}

function fillSelect(select: HTMLSelectElement, count: number, value: number): void {
  if (select.options.length !== count) {
    select.replaceChildren(...Array.from({ length: count }, (_, i) => h('option', { value: i }, String(i + 1))));
  }
  select.value = String(value);
}

/** Prompt, length, temperature and top-k for a language model; the host runs it in the inference child. */
class GenerateBox {
  readonly element = h('div', { class: 'attention-generate' });
  private readonly heading = h('h3');
  private readonly prompt = h('textarea', { class: 'generate-prompt', rows: 2 });
  private readonly length = h('input', { type: 'number', class: 'generate-length', min: 1, max: 2000, step: 1, value: 200 });
  private readonly temperature = h('input', { type: 'number', class: 'generate-temperature', min: 0, max: 5, step: 0.1, value: 0.8 });
  private readonly topK = h('input', { type: 'number', class: 'generate-topk', min: 0, max: 10000, step: 1, value: 0 });
  private readonly labels = { prompt: h('span'), length: h('span'), temperature: h('span'), topK: h('span') };
  private readonly button = h('button', { type: 'button', class: 'generate-button' });
  private readonly stop = h('button', { type: 'button', class: 'generate-stop secondary' });
  private readonly status = h('p', { class: 'generate-status', role: 'status' });
  private readonly output = h('pre', { class: 'generate-output' });
  private nextId = 1;
  private running: number | undefined;
  private t: Translate | undefined;

  constructor(private readonly post: (m: WebviewToHostMessage) => void) {
    this.element.append(
      this.heading,
      h('label', { class: 'generate-prompt-label' }, this.labels.prompt, this.prompt),
      h(
        'div',
        { class: 'generate-options' },
        h('label', {}, this.labels.length, this.length),
        h('label', {}, this.labels.temperature, this.temperature),
        h('label', {}, this.labels.topK, this.topK),
        this.button,
        this.stop,
      ),
      this.status,
      this.output,
    );
    this.button.addEventListener('click', () => this.start());
    this.stop.addEventListener('click', () => {
      if (this.running !== undefined) this.post({ type: 'cancelGenerate', requestId: this.running });
    });
    this.stop.hidden = true;
    this.output.hidden = true;
    this.element.hidden = true;
  }

  render(visible: boolean, t: Translate): void {
    this.t = t;
    this.element.hidden = !visible;
    this.heading.textContent = t('attention.generate.title');
    this.labels.prompt.textContent = t('attention.generate.prompt');
    this.labels.length.textContent = t('attention.generate.length');
    this.labels.temperature.textContent = t('attention.generate.temperature');
    this.labels.topK.textContent = t('attention.generate.topK');
    this.button.textContent = t('attention.generate.button');
    this.stop.textContent = t('attention.generate.stop');
  }

  private start(): void {
    const clamp = (v: number, lo: number, hi: number, fallback: number) => (Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : fallback);
    const request: DashboardGenerateRequest = {
      type: 'generate',
      requestId: this.nextId++,
      prompt: this.prompt.value.slice(0, 10_000),
      length: Math.round(clamp(this.length.valueAsNumber, 1, 2000, 200)),
      temperature: clamp(this.temperature.valueAsNumber, 0, 5, 0.8),
      topK: Math.round(clamp(this.topK.valueAsNumber, 0, 10_000, 0)),
    };
    this.running = request.requestId;
    this.button.disabled = true;
    this.stop.hidden = false;
    this.status.textContent = this.t?.('attention.generate.running') ?? '';
    this.post(request);
  }

  showResult(message: DashboardGeneratedMessage, t: Translate): void {
    if (message.requestId !== this.running) return;
    this.running = undefined;
    this.button.disabled = false;
    this.stop.hidden = true;
    if (message.result) {
      const prompt = h('span', { class: 'generate-prompt-text' }, message.result.prompt);
      this.output.replaceChildren(prompt, document.createTextNode(message.result.text));
      this.output.hidden = false;
      this.status.textContent = t('attention.generate.done', message.result.tokens, message.millis ?? 0);
    } else {
      this.status.textContent = t('attention.generate.error', message.error ?? '');
    }
  }
}
