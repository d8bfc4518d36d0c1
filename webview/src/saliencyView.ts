// The saliency section: an image classifier's prediction for the image open
// in the editor (sent by the host, computed in the inference child), the
// image with its saliency map laid over it, a method switch (Grad-CAM or the
// pixel gradient: the host computes the map again), an opacity slider, the
// colour scale, and the class probabilities. The section stays hidden until
// the host has something to say (an image is open, or there is an image
// model). Everything the model or the file supplies goes in as textContent.

import type { DashboardSaliencyMessage, WebviewToHostMessage } from '../../src/core/protocol/dashboard';
import { SALIENCY_METHODS, type SaliencyMethod } from '../../src/core/types';
import type { StringId, Translate } from '../../src/core/dashboardStringTable';
import { h, sizeCanvas } from './dom';
import { probabilityRow, renderModelLine, showStatus, statusText, type ModelLineStrings, type StatusStrings } from './modelAnswer';
import type { ChartTheme } from './theme';

/** The largest side of the drawn image, in CSS pixels. */
const MAX_SIDE = 320;
/** Classes drawn as bars; the rest are left out (the predicted one is always first). */
const SHOWN_CLASSES = 10;
const LEGEND_WIDTH = 160;
const LEGEND_HEIGHT = 10;
export const DEFAULT_OPACITY = 0.5;

const METHOD_LABELS: Record<SaliencyMethod, StringId> = { gradcam: 'saliency.method.gradcam', gradient: 'saliency.method.gradient' };
const STATUS: StatusStrings = { noModel: 'saliency.noModel', noInput: 'saliency.noImage', pending: 'saliency.pending', error: 'saliency.error' };
const MODEL_LINE: ModelLineStrings = { model: 'saliency.model', pinned: 'saliency.model.pinned', latest: 'saliency.model.latest', run: 'saliency.run' };

/** The colour scale: low saliency → high, from the theme's chart colours. */
export function colourStops(theme: ChartTheme): string[] {
  return [theme.train, theme.green, theme.yellow, theme.red];
}

/** [r, g, b] of a CSS colour as the canvas reads it. */
function rgbOf(ctx: CanvasRenderingContext2D, colour: string): [number, number, number] {
  ctx.fillStyle = '#000000';
  ctx.fillStyle = colour;
  const c = String(ctx.fillStyle);
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
  if (hex) return [parseInt(hex[1], 16), parseInt(hex[2], 16), parseInt(hex[3], 16)];
  const parts = /^rgba?\(([^)]+)\)$/.exec(c)?.[1].split(',').map((x) => parseFloat(x)) ?? [0, 0, 0];
  return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
}

/** The colour of value `v` (0..1) on a scale through `stops`. */
function rampColour(stops: readonly [number, number, number][], v: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, v)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

export class SaliencyView {
  readonly element = h('section', { id: 'saliency', class: 'card saliency', 'aria-labelledby': 'saliency-title' });
  private readonly title = h('h2', { id: 'saliency-title' });
  private readonly modelLine = h('span', { class: 'saliency-model' });
  private readonly runLine = h('span', { class: 'saliency-run' });
  private readonly pinButton = h('button', { type: 'button', class: 'saliency-pin secondary' });
  private readonly status = h('p', { class: 'saliency-status', role: 'status' });
  private readonly sourceLine = h('p', { class: 'saliency-source' });
  private readonly methodLegend = h('legend');
  private readonly methodInputs = new Map<SaliencyMethod, HTMLInputElement>();
  private readonly methodLabels = new Map<SaliencyMethod, HTMLElement>();
  private readonly opacityLabel = h('span');
  private readonly opacity = h('input', { type: 'range', class: 'saliency-opacity', min: 0, max: 100, step: 5, value: DEFAULT_OPACITY * 100 });
  private readonly opacityValue = h('output', { class: 'saliency-opacity-value' });
  private readonly controls: HTMLElement;
  private readonly canvas = h('canvas', { class: 'saliency-canvas', role: 'img' });
  private readonly legendCanvas = h('canvas', { class: 'saliency-legend-scale', width: LEGEND_WIDTH, height: LEGEND_HEIGHT, 'aria-hidden': 'true' });
  private readonly legendLow = h('span', { class: 'saliency-legend-low' });
  private readonly legendHigh = h('span', { class: 'saliency-legend-high' });
  private readonly legendCaption = h('span', { class: 'saliency-legend-caption' });
  private readonly legend = h('div', { class: 'saliency-legend' }, this.legendCaption, h('div', { class: 'saliency-legend-row' }, this.legendLow, this.legendCanvas, this.legendHigh));
  private readonly prediction = h('div', { class: 'saliency-prediction' });
  private readonly body: HTMLElement;

  private message: DashboardSaliencyMessage | undefined;
  /** The loaded image of the shown source (by its URI). */
  private image: { uri: string; element: HTMLImageElement; loaded: boolean } | undefined;
  private t: Translate;
  private theme: ChartTheme;

  constructor(
    private readonly post: (m: WebviewToHostMessage) => void,
    t: Translate,
    theme: ChartTheme,
  ) {
    this.t = t;
    this.theme = theme;
    const methods = h('fieldset', { class: 'saliency-methods' }, this.methodLegend);
    for (const method of SALIENCY_METHODS) {
      const input = h('input', { type: 'radio', name: 'saliency-method', value: method, class: `saliency-method saliency-method-${method}` });
      input.checked = method === 'gradcam';
      input.addEventListener('change', () => {
        if (input.checked) this.chooseMethod(method);
      });
      const label = h('span');
      this.methodInputs.set(method, input);
      this.methodLabels.set(method, label);
      methods.append(h('label', {}, input, label));
    }
    this.controls = h('div', { class: 'saliency-controls' }, methods, h('label', { class: 'saliency-opacity-label' }, this.opacityLabel, this.opacity, this.opacityValue));
    this.body = h('div', { class: 'saliency-body' }, h('div', { class: 'saliency-figure' }, this.canvas, this.legend), this.prediction);
    this.element.append(
      h('div', { class: 'card-title' }, this.title, h('div', { class: 'saliency-model-row' }, this.modelLine, this.runLine, this.pinButton)),
      this.status,
      this.sourceLine,
      this.controls,
      this.body,
    );
    this.pinButton.addEventListener('click', () => this.post({ type: 'pinSaliencyModel' }));
    this.opacity.addEventListener('input', () => this.draw());
    this.element.hidden = true;
    this.render();
  }

  setStrings(t: Translate): void {
    this.t = t;
    this.render();
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.draw();
  }

  show(message: DashboardSaliencyMessage): void {
    // While a request runs, the previous map stays drawn: only the status says it is being updated.
    if (message.status === 'pending' && this.message?.result && message.source?.file === this.message.source?.file) {
      this.message = { ...this.message, status: 'pending', method: message.method, model: message.model ?? this.message.model };
    } else {
      this.message = message;
    }
    const uri = this.message.source?.uri ?? '';
    if (uri !== this.image?.uri) this.loadImage(uri);
    this.render();
  }

  private chooseMethod(method: SaliencyMethod): void {
    this.element.dataset.method = method;
    this.post({ type: 'saliencyMethod', method });
  }

  private loadImage(uri: string): void {
    if (!uri) {
      this.image = undefined;
      return;
    }
    const element = new Image();
    const entry = { uri, element, loaded: false };
    this.image = entry;
    element.addEventListener('load', () => {
      entry.loaded = true;
      if (this.image === entry) this.draw();
    });
    element.addEventListener('error', () => {
      if (this.image === entry) this.draw();
    });
    element.src = uri;
  }

  private render(): void {
    const t = this.t;
    const m = this.message;
    this.element.hidden = !m;
    this.title.textContent = t('saliency.title');
    this.pinButton.textContent = t('saliency.pin');
    this.pinButton.title = t('saliency.pin.title');
    this.methodLegend.textContent = t('saliency.method');
    for (const method of SALIENCY_METHODS) this.methodLabels.get(method)!.textContent = t(METHOD_LABELS[method]);
    this.opacityLabel.textContent = t('saliency.opacity');
    this.legendLow.textContent = t('saliency.legend.low');
    this.legendHigh.textContent = t('saliency.legend.high');
    renderModelLine(this.element, this.modelLine, this.runLine, m?.model, MODEL_LINE, t);
    this.element.dataset.status = m?.status ?? 'noImage';
    if (m) {
      this.element.dataset.method = m.method;
      const input = this.methodInputs.get(m.method);
      if (input && !input.checked) input.checked = true;
    }
    showStatus(this.status, statusText(m?.status, m?.error, STATUS, t));
    const result = m?.status === 'ready' || m?.status === 'pending' ? m.result : undefined;
    this.sourceLine.textContent = m?.source ? [m.source.file, result && m.millis !== undefined ? t('saliency.millis', m.millis) : ''].filter(Boolean).join(' · ') : '';
    this.sourceLine.hidden = this.sourceLine.textContent === '';
    this.controls.hidden = !result;
    this.body.hidden = !result;
    this.renderPrediction(result);
    if (result) this.draw();
  }

  private renderPrediction(result: DashboardSaliencyMessage['result']): void {
    if (!result) {
      this.prediction.replaceChildren();
      return;
    }
    const t = this.t;
    const p = result.prediction;
    const sorted = [...p.probabilities].sort((a, b) => b.probability - a.probability).slice(0, SHOWN_CLASSES);
    const rows = sorted.map(({ label, probability }) =>
      probabilityRow('saliency', { label, best: label === p.label, fraction: Math.max(0, Math.min(1, probability)), value: `${(probability * 100).toFixed(1)}%`, role: 'listitem' }),
    );
    this.prediction.replaceChildren(
      h('p', { class: 'saliency-predicted' }, t('saliency.prediction', p.label)),
      h('p', { class: 'saliency-explains' }, t('saliency.explains', result.explains)),
      h('div', { class: 'saliency-probs', role: 'list', 'aria-label': t('saliency.probabilities') }, ...rows),
    );
  }

  /** Draws the image and the map over it at the slider's opacity; the legend too. */
  private draw(): void {
    const result = this.message?.result;
    const opacity = Number(this.opacity.value) / 100;
    this.opacityValue.textContent = `${Math.round(opacity * 100)}%`;
    this.canvas.dataset.opacity = String(opacity);
    if (!result || this.body.hidden) return;
    const map = result.saliency;
    const rows = map.length;
    const cols = rows > 0 ? (map[0]?.length ?? 0) : 0;
    const img = this.image?.loaded ? this.image.element : undefined;
    const srcW = img?.naturalWidth || result.size[1] || cols || 1;
    const srcH = img?.naturalHeight || result.size[0] || rows || 1;
    const scale = MAX_SIDE / Math.max(srcW, srcH);
    const width = Math.max(1, Math.round(srcW * scale));
    const height = Math.max(1, Math.round(srcH * scale));
    const canvas = this.canvas;
    const ctx = sizeCanvas(canvas, width, height);
    canvas.dataset.rows = String(rows);
    canvas.dataset.cols = String(cols);
    canvas.dataset.method = result.method;
    canvas.dataset.image = img ? 'loaded' : 'none';
    canvas.setAttribute('aria-label', this.t('saliency.canvas.aria', this.message?.source?.file ?? result.file, this.t(METHOD_LABELS[result.method]), result.explains));
    if (!ctx) return;
    ctx.globalAlpha = 1;
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, width, height);
    if (img) {
      // A small image (a 28×28 digit) stays sharp pixels rather than a blur.
      ctx.imageSmoothingEnabled = scale < 2;
      ctx.drawImage(img, 0, 0, width, height);
    }
    const stops = colourStops(this.theme).map((c) => rgbOf(ctx, c));
    if (rows > 0 && cols > 0 && opacity > 0) {
      const overlay = document.createElement('canvas');
      overlay.width = cols;
      overlay.height = rows;
      const octx = overlay.getContext('2d');
      if (octx) {
        const data = octx.createImageData(cols, rows);
        for (let y = 0; y < rows; y++) {
          for (let x = 0; x < cols; x++) {
            const v = Math.min(1, Math.max(0, map[y]?.[x] ?? 0));
            const [r, g, b] = rampColour(stops, v);
            const i = (y * cols + x) * 4;
            data.data[i] = Math.round(r);
            data.data[i + 1] = Math.round(g);
            data.data[i + 2] = Math.round(b);
            // Where the model did not look, the image shows through.
            data.data[i + 3] = Math.round(v * 255);
          }
        }
        octx.putImageData(data, 0, 0);
        ctx.globalAlpha = opacity;
        ctx.imageSmoothingEnabled = true;
        ctx.drawImage(overlay, 0, 0, width, height);
        ctx.globalAlpha = 1;
      }
    }
    this.drawLegend(stops, result.method);
  }

  private drawLegend(stops: [number, number, number][], method: SaliencyMethod): void {
    this.legendCaption.textContent = this.t(method === 'gradcam' ? 'saliency.legend.gradcam' : 'saliency.legend.gradient');
    const ctx = this.legendCanvas.getContext('2d');
    if (!ctx) return;
    for (let x = 0; x < LEGEND_WIDTH; x++) {
      const [r, g, b] = rampColour(stops, x / (LEGEND_WIDTH - 1));
      ctx.fillStyle = `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
      ctx.fillRect(x, 0, 1, LEGEND_HEIGHT);
    }
  }
}
