// The embedding projector card (TensorBoard's Projector): for a completed run
// whose model has an embedding table (a recommender's users and items, a
// Transformer's tokens), the table's rows as points in 2-D — PCA or UMAP,
// computed in the inference process — with their labels. Hovering a point
// lists its nearest rows by cosine similarity; the search box highlights the
// labels that contain its text. Drawn on a canvas: thousands of points.

import type { DashboardEmbeddingsMessage, WebviewToHostMessage } from '../../src/core/protocol/dashboard';
import { PROJECTIONS, type EmbeddingProjection, type ProjectionMethod } from '../../src/core/projection';
import type { ModelSummary, RunMeta } from '../../src/core/types';
import type { Translate } from '../../src/core/dashboardStringTable';
import { h, sizeCanvas } from './dom';
import type { ChartTheme } from './theme';
import { withAlpha } from './theme';

const HEIGHT = 420;
const PAD = 24;
/** Labels drawn beside highlighted points at most (more would cover each other). */
const MAX_DRAWN_LABELS = 40;

/** Whether a model summary has an embedding layer (the projector has something to show). */
export function hasEmbeddings(summary: ModelSummary | undefined): boolean {
  return !!summary?.layers.some((l) => /embedding/i.test(l.type));
}

export class EmbeddingView {
  readonly element: HTMLElement;
  private readonly title = h('h2', { id: 'projector-title' });
  private readonly loadButton = h('button', { type: 'button', id: 'projector-load' });
  private readonly tableSelect = h('select', { id: 'projector-table' });
  private readonly tableLabel = h('label', { for: 'projector-table' });
  private readonly methodSelect = h('select', { id: 'projector-method' });
  private readonly methodLabel = h('label', { for: 'projector-method' });
  private readonly search = h('input', { id: 'projector-search', type: 'search' });
  private readonly controls: HTMLElement;
  private readonly status = h('p', { id: 'projector-status', class: 'muted', role: 'status' });
  private readonly canvas = h('canvas', { id: 'projector-canvas', role: 'img', 'data-points': '0', 'data-matches': '0' });
  private readonly tooltip = h('div', { id: 'projector-tooltip', class: 'projector-tooltip', role: 'tooltip' });
  private readonly plot = h('div', { class: 'projector-plot' }, this.canvas, this.tooltip);

  private runId: string | undefined;
  private result: EmbeddingProjection | undefined;
  private pending: number | undefined;
  private nextRequestId = 1;
  /** Canvas positions of the drawn points (CSS pixels), for hovering. */
  private placed: { x: number; y: number }[] = [];
  private t: Translate;
  private theme: ChartTheme;

  constructor(private readonly post: (m: WebviewToHostMessage) => void, t: Translate, theme: ChartTheme) {
    this.t = t;
    this.theme = theme;
    for (const m of PROJECTIONS) this.methodSelect.append(h('option', { value: m }));
    this.controls = h(
      'div',
      { class: 'attention-controls projector-controls' },
      h('span', {}, this.tableLabel, this.tableSelect),
      h('span', {}, this.methodLabel, this.methodSelect),
      this.search,
    );
    this.element = h(
      'section',
      { id: 'projector', class: 'card', 'aria-labelledby': 'projector-title' },
      h('div', { class: 'card-title' }, this.title, this.loadButton),
      this.controls,
      this.status,
      this.plot,
    );
    this.element.hidden = true;
    this.tooltip.hidden = true;
    this.loadButton.addEventListener('click', () => this.request());
    this.tableSelect.addEventListener('change', () => this.request());
    this.methodSelect.addEventListener('change', () => this.request());
    this.search.addEventListener('input', () => this.draw());
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
    this.label();
  }

  setStrings(t: Translate): void {
    this.t = t;
    this.label();
    this.draw();
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.draw();
  }

  /** The shown run: the card is there for a completed run whose model has an embedding table. */
  update(meta: RunMeta | undefined, summary: ModelSummary | undefined): void {
    const id = meta?.id;
    if (id !== this.runId) {
      this.runId = id;
      this.result = undefined;
      this.pending = undefined;
      this.status.textContent = '';
      this.tableSelect.replaceChildren();
    }
    this.element.hidden = !meta || meta.status !== 'completed' || !hasEmbeddings(summary);
    this.renderControls();
  }

  handleReply(msg: DashboardEmbeddingsMessage): void {
    if (msg.runId !== this.runId || msg.requestId !== this.pending) return;
    this.pending = undefined;
    if (msg.error || !msg.result) {
      this.status.textContent = this.t('projector.error', msg.error ?? '');
      this.status.dataset.level = 'error';
      this.renderControls();
      return;
    }
    delete this.status.dataset.level;
    this.result = msg.result;
    const r = msg.result;
    const size = r.tables.find((tb) => tb.name === r.table)?.size ?? r.labels.length;
    const parts = [this.t('projector.rows', r.labels.length, size)];
    if (r.explained) parts.push(this.t('projector.explained', Math.round(r.explained[0] * 100), Math.round(r.explained[1] * 100)));
    if (msg.millis !== undefined) parts.push(this.t('projector.millis', msg.millis));
    this.status.textContent = parts.join(' · ');
    this.tableSelect.replaceChildren(...r.tables.map((tb) => h('option', { value: tb.name }, `${tb.name} (${tb.size} × ${tb.dim})`)));
    this.tableSelect.value = r.table;
    this.methodSelect.value = r.method;
    this.renderControls();
    this.draw();
  }

  private request(): void {
    if (!this.runId) return;
    const requestId = this.nextRequestId++;
    this.pending = requestId;
    const table = this.tableSelect.value || undefined;
    const method = (PROJECTIONS as readonly string[]).includes(this.methodSelect.value) ? (this.methodSelect.value as ProjectionMethod) : 'pca';
    this.post({ type: 'projectEmbeddings', requestId, method, ...(table ? { table } : {}) });
    delete this.status.dataset.level;
    this.status.textContent = this.t('projector.computing');
    this.renderControls();
  }

  private label(): void {
    const t = this.t;
    this.title.textContent = t('projector.title');
    this.loadButton.textContent = t('projector.load');
    this.tableLabel.textContent = t('projector.table');
    this.methodLabel.textContent = t('projector.method');
    for (const option of this.methodSelect.querySelectorAll('option')) option.textContent = t(option.value === 'umap' ? 'projector.umap' : 'projector.pca');
    this.search.placeholder = t('projector.search');
    this.search.setAttribute('aria-label', t('projector.search'));
    this.canvas.setAttribute('aria-label', t('projector.aria'));
  }

  private renderControls(): void {
    const loaded = this.result !== undefined;
    this.loadButton.hidden = loaded;
    this.loadButton.disabled = this.pending !== undefined;
    this.controls.hidden = !loaded;
    this.tableSelect.disabled = this.methodSelect.disabled = this.pending !== undefined;
    this.plot.hidden = !loaded;
  }

  /** The labels that contain the search text (any case); none when the box is empty. */
  private matches(): Set<number> {
    const query = this.search.value.trim().toLowerCase();
    const found = new Set<number>();
    if (!query || !this.result) return found;
    this.result.labels.forEach((label, i) => label.toLowerCase().includes(query) && found.add(i));
    return found;
  }

  private draw(): void {
    const r = this.result;
    if (!r || this.plot.hidden) return;
    const width = Math.max(320, this.plot.clientWidth || 640);
    const ctx = sizeCanvas(this.canvas, width, HEIGHT);
    const xs = r.points.map((p) => p[0]);
    const ys = r.points.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const sx = (x: number) => PAD + ((x - x0) / (x1 - x0 || 1)) * (width - 2 * PAD);
    const sy = (y: number) => HEIGHT - PAD - ((y - y0) / (y1 - y0 || 1)) * (HEIGHT - 2 * PAD);
    this.placed = r.points.map(([x, y]) => ({ x: sx(x), y: sy(y) }));
    const matches = this.matches();
    this.canvas.dataset.points = String(r.points.length);
    this.canvas.dataset.matches = String(matches.size);
    if (!ctx) return;
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, width, HEIGHT);
    // Everything faint while a search highlights some; the matches over them, labelled.
    ctx.fillStyle = matches.size ? withAlpha(this.theme.muted, 0.35) : withAlpha(this.theme.train, 0.75);
    this.placed.forEach((p, i) => {
      if (matches.has(i)) return;
      ctx.beginPath();
      ctx.arc(p.x, p.y, 2.5, 0, 2 * Math.PI);
      ctx.fill();
    });
    ctx.font = `${Math.max(10, this.theme.fontSize - 1)}px ${this.theme.fontFamily}`;
    ctx.textBaseline = 'middle';
    let labelled = 0;
    for (const i of matches) {
      const p = this.placed[i];
      ctx.fillStyle = this.theme.validation;
      ctx.beginPath();
      ctx.arc(p.x, p.y, 4.5, 0, 2 * Math.PI);
      ctx.fill();
      if (labelled++ < MAX_DRAWN_LABELS) {
        ctx.fillStyle = this.theme.foreground;
        ctx.fillText(r.labels[i], p.x + 7, p.y);
      }
    }
  }

  private hover(e: MouseEvent): void {
    const r = this.result;
    if (!r) return;
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    let best = -1;
    let bestDistance = 10 * 10; // within 10 px
    this.placed.forEach((p, i) => {
      const d = (p.x - x) ** 2 + (p.y - y) ** 2;
      if (d < bestDistance) {
        bestDistance = d;
        best = i;
      }
    });
    if (best < 0) {
      this.tooltip.hidden = true;
      return;
    }
    const near = r.neighbours[best].map((j, k) => `  ${r.labels[j]}  ${r.similarities[best][k].toFixed(3)}`);
    this.tooltip.textContent = [r.labels[best], this.t('projector.neighbours'), ...near].join('\n');
    this.tooltip.dataset.index = String(best);
    this.tooltip.hidden = false;
    // Beside the point, on the side with room: above it in the lower half, left of it in the right half.
    const left = x > this.canvas.clientWidth / 2 ? x - this.tooltip.offsetWidth - 12 : x + 12;
    const top = y > HEIGHT / 2 ? y - this.tooltip.offsetHeight - 12 : y + 12;
    this.tooltip.style.left = `${this.canvas.offsetLeft + left}px`;
    this.tooltip.style.top = `${this.canvas.offsetTop + top}px`;
  }
}
