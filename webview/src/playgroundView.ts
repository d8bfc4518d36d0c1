// The predict playground (the pipeline's application stage): a form built
// from the shown run's model inputs — numbers, categories as dropdowns, a
// text box for a text classifier — and the prediction, or each class's
// probability. The host runs the model in a child process; this page only
// sends the values typed and draws the reply for the run it asked about.

import type { DashboardPredictionMessage } from '../../src/core/protocol/dashboard';
import { imageKindOf, PLAYGROUND_IMAGE_BYTES } from '../../src/core/prediction';
import type { PlaygroundInput, Prediction, PredictorSignature } from '../../src/core/prediction';
import type { RunMeta } from '../../src/core/types';
import type { Translate } from '../../src/core/dashboardStringTable';
import { h } from './dom';
import { formatMetric } from './format';

type Post = (
  message:
    | { type: 'describeModel'; requestId: number }
    | { type: 'predict'; requestId: number; input: PlaygroundInput }
    | { type: 'exportRun'; runId: string }
    | { type: 'deployRun'; runId: string },
) => void;

/** Probabilities drawn as bars; the rest are summed up in one line. */
const SHOWN_CLASSES = 10;

export class PlaygroundView {
  readonly element = h('section', { id: 'playground', class: 'card', 'aria-labelledby': 'playground-title' });
  private readonly title = h('h2', { id: 'playground-title' });
  private readonly hint = h('p', { class: 'hint' });
  private readonly loadButton = h('button', { type: 'button', id: 'playground-load' });
  private readonly exportButton = h('button', { type: 'button', id: 'playground-export', class: 'secondary' });
  private readonly deployButton = h('button', { type: 'button', id: 'playground-deploy', class: 'secondary' });
  private readonly form = h('form', { id: 'playground-form', class: 'playground-form' });
  private readonly predictButton = h('button', { type: 'submit', id: 'playground-predict' });
  private readonly status = h('p', { id: 'playground-status', class: 'hint', role: 'status' });
  private readonly result = h('div', { id: 'playground-result', class: 'playground-result', 'aria-live': 'polite' });

  private runId: string | undefined;
  private signature: PredictorSignature | undefined;
  private fields = new Map<string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>();
  /** An image model's input: the chosen file's bytes. */
  private imageInput: { b64: string } | undefined;
  private nextRequestId = 1;
  private pending: number | undefined;
  private t: Translate;

  constructor(private readonly post: Post, t: Translate) {
    this.t = t;
    this.element.append(
      h('div', { class: 'card-title' }, this.title, h('span', { class: 'playground-run-actions' }, this.exportButton, this.deployButton)),
      this.hint,
      this.loadButton,
      this.form,
      this.status,
      this.result,
    );
    this.loadButton.addEventListener('click', () => this.request({ type: 'describeModel' }));
    this.exportButton.addEventListener('click', () => this.runId && this.post({ type: 'exportRun', runId: this.runId }));
    this.deployButton.addEventListener('click', () => this.runId && this.post({ type: 'deployRun', runId: this.runId }));
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const input = this.readInput();
      if (input !== undefined) this.request({ type: 'predict', input });
    });
    this.element.hidden = true;
    this.label();
  }

  setStrings(t: Translate): void {
    this.t = t;
    this.label();
    if (this.signature) this.buildForm(this.signature);
  }

  /** The shown run: the playground is offered once its model is final. */
  update(meta: RunMeta | undefined): void {
    const id = meta?.id;
    if (id !== this.runId) {
      this.runId = id;
      this.signature = undefined;
      this.pending = undefined;
      this.fields.clear();
      this.imageInput = undefined;
      this.form.replaceChildren();
      this.result.replaceChildren();
      this.status.textContent = '';
    }
    this.element.hidden = !meta;
    const ready = meta?.status === 'completed';
    // A masked-language model is tried in the fill-mask box; it has no form of inputs.
    const masked = meta?.task === 'masked-language-model';
    this.loadButton.hidden = !ready || masked || this.signature !== undefined;
    this.exportButton.hidden = !ready;
    this.deployButton.hidden = !ready;
    this.loadButton.disabled = this.pending !== undefined;
    this.hint.textContent = !ready ? this.t('playground.notReady') : masked ? this.t('playground.maskedLanguageModel') : this.signature?.kind === 'image' ? this.t('playground.image.hint') : this.t('playground.hint');
  }

  handleReply(msg: DashboardPredictionMessage): void {
    if (msg.runId !== this.runId || msg.requestId !== this.pending) return;
    this.pending = undefined;
    this.loadButton.disabled = false;
    this.predictButton.disabled = false;
    if (msg.error) {
      this.status.textContent = this.t('playground.error', msg.error);
      this.status.dataset.level = 'error';
      return;
    }
    delete this.status.dataset.level;
    this.status.textContent = msg.millis !== undefined ? this.t('playground.millis', msg.millis) : '';
    if (msg.signature && !this.signature) {
      this.signature = msg.signature;
      this.loadButton.hidden = true;
      this.buildForm(msg.signature);
    }
    if (msg.prediction) this.showPrediction(msg.prediction);
  }

  private label(): void {
    this.title.textContent = this.t('playground.title');
    this.loadButton.textContent = this.t('playground.load');
    this.predictButton.textContent = this.t('playground.predict');
    this.exportButton.textContent = this.t('playground.export');
    this.exportButton.title = this.t('playground.export.title');
    this.deployButton.textContent = this.t('playground.deploy');
    this.deployButton.title = this.t('playground.deploy.title');
  }

  private request(body: { type: 'describeModel' } | { type: 'predict'; input: PlaygroundInput }): void {
    const requestId = this.nextRequestId++;
    this.pending = requestId;
    this.loadButton.disabled = true;
    this.predictButton.disabled = true;
    delete this.status.dataset.level;
    this.status.textContent = this.t(body.type === 'describeModel' ? 'playground.loading' : 'playground.predicting');
    this.post({ ...body, requestId });
  }

  private buildForm(signature: PredictorSignature): void {
    const previous = new Map([...this.fields].map(([name, el]) => [name, el.value]));
    this.fields.clear();
    const rows: HTMLElement[] = [];
    if (signature.kind === 'language-model') {
      this.form.replaceChildren(h('p', { class: 'hint' }, this.t('playground.languageModel')));
      return;
    }
    if (signature.kind === 'image') {
      this.buildImageForm();
      return;
    }
    for (const input of signature.inputs) {
      const id = `playground-input-${rows.length}`;
      let field: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
      if (signature.kind === 'text') {
        field = h('textarea', { id, rows: 3, placeholder: this.t('playground.textPlaceholder') });
      } else if (input.categories) {
        field = h('select', { id });
        if (input.optional) field.append(h('option', { value: '' }, this.t('playground.missing')));
        for (const c of input.categories) field.append(h('option', { value: c }, c));
      } else {
        field = h('input', { id, type: 'number', step: 'any', required: !input.optional });
        if (input.default !== undefined) field.placeholder = this.t('playground.default', String(input.default));
      }
      const before = previous.get(input.name);
      if (before !== undefined) field.value = before;
      this.fields.set(input.name, field);
      rows.push(h('div', { class: 'playground-field' }, h('label', { for: id }, input.name), field));
    }
    this.form.replaceChildren(...rows, h('div', { class: 'playground-actions' }, this.predictButton));
  }

  /** An image model: a file input and a drop zone; a chosen image is shown and predicted at once. */
  private buildImageForm(): void {
    const t = this.t;
    this.hint.textContent = t('playground.image.hint');
    const input = h('input', { type: 'file', id: 'playground-image', class: 'playground-image-input', accept: '.png,.jpg,.jpeg,image/png,image/jpeg' });
    const preview = h('img', { id: 'playground-image-preview', class: 'playground-image-preview', alt: t('playground.image.preview') });
    preview.hidden = !this.imageInput;
    const drop = h(
      'div',
      { id: 'playground-drop', class: 'playground-drop' },
      h('label', { for: 'playground-image' }, t('playground.image.choose')),
      input,
      h('p', { class: 'hint' }, t('playground.image.drop')),
      preview,
    );
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      if (file) void this.readImage(file, preview);
    });
    drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      drop.classList.add('dragging');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('dragging');
      const file = e.dataTransfer?.files[0];
      if (file) void this.readImage(file, preview);
    });
    this.form.replaceChildren(drop, h('div', { class: 'playground-actions' }, this.predictButton));
  }

  /** Reads a chosen or dropped file: a PNG or JPEG of at most PLAYGROUND_IMAGE_BYTES is shown and sent; anything else is refused here. */
  private async readImage(file: File, preview: HTMLImageElement): Promise<void> {
    this.imageInput = undefined;
    preview.hidden = true;
    const fail = (message: string) => {
      this.status.textContent = this.t('playground.error', message);
      this.status.dataset.level = 'error';
    };
    if (file.size > PLAYGROUND_IMAGE_BYTES) return fail(this.t('playground.image.tooLarge', file.name, PLAYGROUND_IMAGE_BYTES / (1024 * 1024)));
    const bytes = new Uint8Array(await file.arrayBuffer());
    const kind = imageKindOf(bytes);
    if (!kind) return fail(this.t('playground.image.notImage', file.name));
    const b64 = toBase64(bytes);
    this.imageInput = { b64 };
    preview.src = `data:image/${kind};base64,${b64}`;
    preview.hidden = false;
    preview.dataset.file = file.name;
    this.request({ type: 'predict', input: this.imageInput });
  }

  /** The typed values: numbers as numbers, an empty box as missing (the host names a required one). */
  private readInput(): PlaygroundInput | undefined {
    const signature = this.signature;
    if (!signature) return undefined;
    if (signature.kind === 'image') {
      if (!this.imageInput) {
        this.status.textContent = this.t('playground.image.none');
        this.status.dataset.level = 'error';
      }
      return this.imageInput;
    }
    if (signature.kind === 'text') return this.fields.get(signature.inputs[0].name)?.value ?? '';
    const row: Record<string, number | string | null> = {};
    for (const input of signature.inputs) {
      const value = this.fields.get(input.name)?.value ?? '';
      if (value === '') row[input.name] = null;
      else if (input.dtype === 'number') {
        const n = Number(value);
        row[input.name] = Number.isFinite(n) ? n : null;
      } else row[input.name] = value;
    }
    return row;
  }

  private showPrediction(p: Prediction): void {
    if ('value' in p) {
      const target = this.signature?.target ?? '';
      this.result.replaceChildren(h('p', { class: 'playground-value' }, this.t('playground.value', target, formatValue(p.value))));
      return;
    }
    if ('items' in p) {
      // A recommender: the top items, best first, with their scores.
      const items = p.items.map((r) => h('li', { class: 'playground-item' }, `${r.item} (${formatMetric(r.score)})`));
      this.result.replaceChildren(h('ol', { class: 'playground-items', id: 'playground-items' }, ...items));
      return;
    }
    const sorted = Object.entries(p.probabilities).sort((a, b) => b[1] - a[1]);
    const bars = sorted.slice(0, SHOWN_CLASSES).map(([label, prob]) => {
      const percent = `${(prob * 100).toFixed(1)}%`;
      const bar = h('span', { class: 'playground-bar' });
      bar.style.width = `${Math.max(0, Math.min(100, prob * 100))}%`;
      return h('div', { class: 'playground-class', 'data-best': label === p.label }, h('span', { class: 'playground-class-label' }, label), h('span', { class: 'playground-bar-track' }, bar), h('span', { class: 'playground-class-value' }, percent));
    });
    this.result.replaceChildren(
      h('p', { class: 'playground-value' }, this.t('playground.label', p.label)),
      h('div', { class: 'playground-probabilities', role: 'list', 'aria-label': this.t('playground.probabilities') }, ...bars),
    );
  }
}

/** Base64 of bytes, in chunks (String.fromCharCode takes a bounded number of arguments). */
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function formatValue(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e7) ? v.toExponential(4) : Number(v.toPrecision(6)).toString();
}
