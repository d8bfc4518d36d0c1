// The pipeline card: the experiment's Mermaid flowchart (text from the host,
// drawn by the separately bundled Mermaid), each stage node coloured by its
// live status. Status changes only move a data attribute, which the
// stylesheet turns into the theme's chart colours; the diagram is drawn again
// only for a new text, a theme change, or a panel width that calls for
// another layout (six side by side, two rows of three, or stacked top to
// bottom). Nodes are buttons: a click,
// Enter or Space reveals that stage's section of the config.

import type { StageName, StageStatus } from '../../src/core/types';
import type { Translate } from '../../src/core/dashboardStringTable';
import { h } from './dom';
import type { MermaidLook, MermaidRenderer } from './mermaidApi';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** The pipeline's node ids, in order (src/core/pipeline.ts generates them). */
const PIPELINE_STAGES: readonly StageName[] = ['data', 'preprocess', 'training', 'evaluation', 'deployment', 'application'];
/** Mermaid's id for a flowchart node: `<svg id>-flowchart-<node id>-<n>`. */
const NODE_ID = new RegExp(`-flowchart-(${PIPELINE_STAGES.join('|')})-\\d+$`);
/**
 * A fine-tuned experiment's pretraining node (src/core/pipeline.ts PRETRAIN_NODE): no stage of the
 * run, so its status is the one the text gives it; it reveals the training section (model.base).
 */
const PRETRAIN_ID = /-flowchart-pretrain-\d+$/;
/** Its link into training, a line of its own after the chain. */
const PRETRAIN_LINK = '\n  pretrain --> training';
const STATUSES: readonly StageStatus[] = ['pending', 'running', 'done', 'failed', 'skipped'];
/** Below this share of its natural width the diagram scrolls instead of shrinking further. */
const MIN_SCALE = 0.7;
/** The generated text's direction line; a narrow panel gets the stages top to bottom instead. */
const DIRECTION = /^(\s*flowchart) LR\b/m;
/** The generated text's chain of links, all six stages in one row. */
const CHAIN = `  ${PIPELINE_STAGES.join(' --> ')}`;

/**
 * How the stages are laid out: all six side by side; in two rows of three (a
 * panel too narrow for six but wide enough for three); or stacked.
 */
export type PipelineLayout = 'LR' | 'rows' | 'TB';

/** The host's text (six stages left to right) in the given layout. */
export function layoutText(text: string, layout: PipelineLayout): string {
  if (layout === 'LR') return text;
  const stacked = text.replace(DIRECTION, '$1 TB');
  if (layout === 'TB' || !stacked.includes(CHAIN)) return stacked;
  // Two rows, each a subgraph drawn left to right, the first row linked to the second
  // (a node linked out of its subgraph would make Mermaid ignore the subgraph's direction).
  const row = (id: string, stages: readonly StageName[], extra: string[] = []) => [`  subgraph ${id} [" "]`, '    direction LR', `    ${stages.join(' --> ')}`, ...extra, '  end'];
  const half = PIPELINE_STAGES.length / 2;
  // A fine-tuned experiment's pretraining goes into training's row, its link with it.
  const pretrain = stacked.includes(PRETRAIN_LINK) ? [`  ${PRETRAIN_LINK.trim()}`] : [];
  const rows = [...row('stagesRow1', PIPELINE_STAGES.slice(0, half), pretrain), ...row('stagesRow2', PIPELINE_STAGES.slice(half)), '  stagesRow1 --> stagesRow2'];
  return stacked.replace(PRETRAIN_LINK, '').replace(CHAIN, rows.join('\n'));
}

export type Stages = Partial<Record<StageName, StageStatus>>;

let loading: Promise<MermaidRenderer> | undefined;

/** Loads dist/mermaid.js once, with the page's nonce (the CSP allows no other script). */
export function loadMermaid(src: string): Promise<MermaidRenderer> {
  loading ??= new Promise<MermaidRenderer>((resolve, reject) => {
    if (window.modelLabMermaid) return resolve(window.modelLabMermaid);
    const script = document.createElement('script');
    script.nonce = cspNonce();
    script.src = src;
    script.addEventListener('load', () => (window.modelLabMermaid ? resolve(window.modelLabMermaid) : reject(new Error(`${src} did not set up Mermaid`))));
    script.addEventListener('error', () => reject(new Error(`could not load ${src}`)));
    document.head.append(script);
  }).catch((error: unknown) => {
    loading = undefined; // a later draw may try again
    throw error;
  });
  return loading;
}

function cspNonce(): string {
  return document.querySelector('meta[property="csp-nonce"]')?.getAttribute('content') ?? '';
}

export class PipelineView {
  readonly element: HTMLElement;
  private readonly title = h('h2', { id: 'pipeline-title' });
  private readonly hint = h('span', { class: 'muted pipeline-hint' });
  private readonly diagram = h('div', { id: 'pipeline-diagram', class: 'pipeline-diagram' });
  /** Where Mermaid lays a diagram out: rendered (fonts apply) but unseen. */
  private readonly scratch = h('div', { class: 'pipeline-diagram pipeline-scratch', 'aria-hidden': 'true' });
  private readonly message = h('p', { id: 'pipeline-message', class: 'muted placeholder' });

  private text: string | undefined;
  private stages: Stages = {};
  private t: Translate | undefined;
  private nodes = new Map<StageName, SVGGElement>();
  private drawing = 0;
  private drawn: Promise<void> = Promise.resolve();
  private direction: PipelineLayout = 'LR';
  /** Natural widths of the latest drawing in each layout: what the panel needs to show it so. */
  private naturalWidth: Partial<Record<PipelineLayout, number>> = {};

  constructor(
    private readonly mermaidSrc: string | undefined,
    private readonly reveal: (stage: StageName) => void,
  ) {
    this.element = h(
      'section',
      { id: 'pipeline', class: 'card', 'aria-labelledby': 'pipeline-title' },
      h('div', { class: 'card-title' }, this.title, this.hint),
      this.message,
      this.diagram,
      this.scratch,
    );
    this.diagram.addEventListener('click', (e) => {
      const stage = this.stageOf(e.target);
      if (stage) this.reveal(stage);
    });
    this.diagram.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => this.fitDirection()).observe(this.diagram);
    this.element.hidden = true;
  }

  /** Resolves when the latest draw has finished (tests and callers that need the SVG). */
  get settled(): Promise<void> {
    return this.drawn;
  }

  /** Shows `text` (drawing it if it changed) with the stages' statuses. */
  update(text: string | undefined, stages: Stages, t: Translate): void {
    const relabel = this.t !== t;
    this.t = t;
    this.stages = { ...stages };
    this.title.textContent = t('pipeline.title');
    this.hint.textContent = t('pipeline.hint');
    this.diagram.setAttribute('aria-label', t('pipeline.aria'));
    this.diagram.setAttribute('role', 'group');
    // Without a text (an old run, no config) there is nothing to draw; the header's stage row remains.
    this.element.hidden = !text || !this.mermaidSrc;
    if (text !== this.text) {
      this.text = text;
      this.redraw();
      return;
    }
    if (relabel) this.labelNodes();
    this.colourNodes();
  }

  /** Draws the diagram again (a theme change alters the colours Mermaid computed and the font it measured). */
  redraw(): void {
    const token = ++this.drawing;
    const text = this.text;
    if (!text || !this.mermaidSrc) {
      this.nodes.clear();
      this.diagram.replaceChildren();
      this.diagram.removeAttribute('data-rendered');
      this.drawn = Promise.resolve();
      return;
    }
    const src = this.mermaidSrc;
    this.drawn = (async () => {
      try {
        if (!this.diagram.firstChild) this.showMessage(this.t?.('pipeline.loading') ?? '');
        const mermaid = await loadMermaid(src);
        const direction = this.direction;
        const svg = await mermaid.render(`pipeline-svg-${token}`, layoutText(text, direction), this.scratch, readLook());
        if (token !== this.drawing) return;
        this.install(svg, direction);
        this.showMessage('');
      } catch (error) {
        if (token !== this.drawing) return;
        this.nodes.clear();
        this.diagram.replaceChildren();
        this.diagram.dataset.rendered = 'error';
        const reason = error instanceof Error ? error.message : String(error);
        this.showMessage(this.t ? this.t('pipeline.error', reason) : reason);
      } finally {
        // Mermaid removes its layout element, except after some errors.
        if (token === this.drawing) this.scratch.replaceChildren();
      }
    })();
  }

  private showMessage(text: string): void {
    this.message.textContent = text;
    this.message.hidden = !text;
  }

  /** Puts Mermaid's drawing into the page and makes its stage nodes buttons. */
  private install(svg: SVGSVGElement, direction: PipelineLayout): void {
    const natural = svg.viewBox.baseVal?.width || 0;
    this.naturalWidth[direction] = natural;
    this.diagram.dataset.direction = direction;
    // Through the CSSOM: the CSP allows no style attributes.
    svg.style.maxWidth = natural ? `${natural}px` : '';
    svg.style.minWidth = natural ? `${Math.round(natural * MIN_SCALE)}px` : '';
    svg.removeAttribute('height');
    svg.setAttribute('width', '100%');
    svg.setAttribute('focusable', 'false');
    this.nodes.clear();
    for (const node of svg.querySelectorAll<SVGGElement>('g.node')) {
      if (PRETRAIN_ID.test(node.id)) {
        this.installPretrain(node);
        continue;
      }
      const stage = NODE_ID.exec(node.id)?.[1] as StageName | undefined;
      if (!stage) continue;
      this.nodes.set(stage, node);
      // Mermaid's status classes (and the inline fills they brought) give way to the stylesheet's theme colours.
      node.classList.remove('pending', 'running', 'done', 'failed', 'skipped');
      for (const el of node.querySelectorAll('[style]')) el.removeAttribute('style');
      node.dataset.stage = stage;
      node.setAttribute('tabindex', '0');
      node.setAttribute('role', 'button');
      node.prepend(document.createElementNS(SVG_NS, 'title'));
    }
    this.diagram.replaceChildren(svg);
    this.diagram.dataset.rendered = 'true';
    this.labelNodes();
    this.colourNodes();
    this.fitDirection();
  }

  /** The pretraining node in the theme's colours, with the status the text gave it; a button to the training section. */
  private installPretrain(node: SVGGElement): void {
    const status = STATUSES.find((s) => node.classList.contains(s)) ?? 'pending';
    node.classList.remove(...STATUSES);
    for (const el of node.querySelectorAll('[style]')) el.removeAttribute('style');
    node.dataset.stage = 'pretrain';
    node.dataset.status = status;
    node.setAttribute('tabindex', '0');
    node.setAttribute('role', 'button');
    const title = node.querySelector('tspan.row')?.textContent ?? node.textContent ?? '';
    if (this.t) node.setAttribute('aria-label', this.t('pipeline.node', title.trim(), this.t(`stageStatus.${status}`)));
  }

  /**
   * Six stages side by side where the panel is wide enough, two rows of three
   * where it is not, stacked where even three do not fit (and back as it widens).
   */
  private fitDirection(): void {
    const width = this.diagram.clientWidth;
    const sideBySide = this.naturalWidth.LR;
    if (!width || !sideBySide || !this.text) return;
    // Until two rows have been drawn, their width is about half the row of six.
    const rows = this.naturalWidth.rows ?? sideBySide * 0.55;
    const direction: PipelineLayout = width >= sideBySide * MIN_SCALE ? 'LR' : width >= rows * MIN_SCALE ? 'rows' : 'TB';
    if (direction === this.direction) return;
    this.direction = direction;
    this.redraw();
  }

  private labelNodes(): void {
    const t = this.t;
    if (!t) return;
    for (const [stage, node] of this.nodes) {
      const title = node.querySelector(':scope > title');
      if (title) title.textContent = t('pipeline.node.title');
      this.colourNode(stage);
    }
  }

  private colourNodes(): void {
    for (const stage of this.nodes.keys()) this.colourNode(stage);
  }

  private colourNode(stage: StageName): void {
    const node = this.nodes.get(stage);
    if (!node) return;
    const status = this.stages[stage] ?? 'pending';
    node.dataset.status = status;
    const t = this.t;
    if (t) node.setAttribute('aria-label', t('pipeline.node', t(`stage.${stage}`), t(`stageStatus.${status}`)));
  }

  private stageOf(target: EventTarget | null): StageName | undefined {
    const node = target instanceof Element ? target.closest<SVGGElement>('g.node[data-stage]') : null;
    const stage = node?.dataset.stage;
    // The pretraining is model.base: in the training section.
    return stage === 'pretrain' ? 'training' : ((stage as StageName | undefined) ?? undefined);
  }

  private onKey(e: KeyboardEvent): void {
    const stage = this.stageOf(e.target);
    if (!stage) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.reveal(stage);
      return;
    }
    const step = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : 0;
    if (!step) return;
    const order = PIPELINE_STAGES.filter((s) => this.nodes.has(s));
    const next = order[order.indexOf(stage) + step];
    if (next) {
      e.preventDefault();
      this.nodes.get(next)?.focus();
    }
  }
}

/** The theme's font and colours, resolved (Mermaid derives shades from them, so CSS variables will not do). */
function readLook(): MermaidLook {
  const root = getComputedStyle(document.documentElement);
  const body = getComputedStyle(document.body);
  const pick = (fallback: string, ...names: string[]): string => {
    for (const name of names) {
      const v = root.getPropertyValue(name).trim() || body.getPropertyValue(name).trim();
      if (v) return v;
    }
    return fallback;
  };
  const kind = document.body.dataset.vscodeThemeKind ?? document.body.className;
  const dark = /vscode-(dark|high-contrast)(?!-light)/.test(kind);
  const foreground = pick(body.color || (dark ? '#cccccc' : '#333333'), '--vscode-editor-foreground', '--vscode-foreground');
  return {
    fontFamily: pick(body.fontFamily || 'sans-serif', '--vscode-font-family'),
    fontSize: parseFloat(pick('13', '--vscode-font-size')) || 13,
    background: pick(dark ? '#1e1e1e' : '#ffffff', '--vscode-editor-background'),
    foreground,
    border: pick(foreground, '--vscode-editorWidget-border', '--vscode-panel-border', '--vscode-foreground'),
    line: pick(foreground, '--vscode-descriptionForeground', '--vscode-foreground'),
    dark,
  };
}
