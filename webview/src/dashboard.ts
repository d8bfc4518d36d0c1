// The dashboard controller: holds the shown run, applies the host's messages
// to it, renders the sections and saves the view state so a reloaded webview
// comes back as it was (the host also re-sends the state after `ready`).

import type { TrainerEvent } from '../../src/core/protocol/trainer';
import type {
  DashboardAttentionMessage,
  DashboardEventMessage,
  DashboardEventsMessage,
  DashboardGeneratedMessage,
  DashboardFilledMaskMessage,
  DashboardImageRootMessage,
  DashboardPipelineMessage,
  DashboardPredictionMessage,
  DashboardEmbeddingsMessage,
  DashboardWorstRowsMessage,
  DashboardDistributionsMessage,
  DashboardResumableMessage,
  DashboardSaliencyMessage,
  DashboardFollow,
  DashboardFoldBand,
  DashboardStateMessage,
} from '../../src/core/protocol/dashboard';
import { assertNever } from '../../src/core/protocol/fields';
import type { RunSnapshot } from '../../src/core/types';
import { NO_PROGRESS, progressAfter, progressOfRun, type TrainingProgress } from '../../src/core/trainingProgress';
import { AttentionView } from './attentionView';
import { ChartsPanel, type ChartOptionsState } from './chartsPanel';
import { h } from './dom';
import { EvaluationView } from './evaluationView';
import { HeaderView } from './header';
import { LogView, MAX_LOG_LINES, type LogLine } from './logView';
import { MetricSeriesStore } from './metricSeries';
import { makeTranslate, type Translate } from '../../src/core/dashboardStringTable';
import { formatLogText, logTemplates, logText, TRAINER_LOG_MESSAGES, type LogTemplates } from '../../src/core/trainerLogTable';
import { PipelineView } from './pipelineView';
import { PlaygroundView } from './playgroundView';
import { FillMaskView } from './fillMaskView';
import { EmbeddingView } from './embeddingView';
import { WorstRowsView } from './worstRowsView';
import { DistributionsView } from './distributionsView';
import { renderSummary } from './summaryView';
import { SaliencyView } from './saliencyView';
import { readTheme, type ChartTheme } from './theme';
import type { VsCodeApi } from './vscodeApi';

export interface PersistedState {
  version: 1;
  /** The shown run; its metrics are the store's kept points, written when the state is saved (see forStorage). */
  run: RunSnapshot | null;
  training: boolean;
  strings?: Record<string, string>;
  logs: LogLine[];
  charts: ChartOptionsState;
  /** The shown run's pipeline (Mermaid text). */
  pipeline?: string;
  /** The shown run can carry on from its checkpoint. */
  resumable?: boolean;
  /** The shown run is a cluster job followed from its files. */
  follow?: DashboardFollow;
  /** The shown run is a fold of a cross-validation: its folds' mean ± std bands. */
  foldBand?: DashboardFoldBand;
}

export interface DashboardOptions {
  /** URL of dist/mermaid.js; without it the pipeline diagram is not drawn. */
  mermaidSrc?: string;
  /** The strings in the editor's language, from the page's HTML: the first paint is translated. */
  strings?: Record<string, string>;
}

const DEFAULT_CHARTS: ChartOptionsState = { xAxis: 'step', smoothing: 0.6 };
/** setState serializes the whole run; do it at most this often while metrics stream in. */
const SAVE_INTERVAL_MS = 1000;
/** A chart draw waits this many times the last draw's length after it: drawing takes at most 1/(1 + this) of the page's time. */
const CHART_DRAW_SPACING = 4;
/** Step points kept in the saved state; the host re-sends the full run after `ready` anyway. */
const SAVED_STEP_POINTS = 5000;

export class Dashboard {
  private state: PersistedState = { version: 1, run: null, training: false, logs: [], charts: { ...DEFAULT_CHARTS } };
  private readonly store = new MetricSeriesStore();
  /** The shown run's progress ("epoch N/M" while it trains), folded from its events as the host folds them. */
  private progress: TrainingProgress = NO_PROGRESS;
  private theme: ChartTheme;
  private t: Translate = makeTranslate(undefined);
  /** The trainer's log messages in the editor's language. */
  private get templates(): LogTemplates {
    return logTemplates(this.state.strings);
  }
  private readonly initialStrings: Record<string, string> | undefined;

  private readonly empty = h('p', { id: 'empty-state', class: 'empty-state' });
  private readonly header: HeaderView;
  private readonly charts: ChartsPanel;
  private readonly summary = h('section', { id: 'model-summary', class: 'card', 'aria-labelledby': 'model-summary-title' });
  private readonly evaluationSection = h('section', { id: 'evaluation', class: 'card', 'aria-labelledby': 'evaluation-title' });
  private readonly evaluation = new EvaluationView(this.evaluationSection);
  private readonly log = new LogView();
  private readonly pipeline: PipelineView;
  /** The predict playground: the application stage, for a completed run with a model. */
  private readonly playground: PlaygroundView;
  /** The fill-mask box, for a masked-language-model run. */
  private readonly fillMask: FillMaskView;
  /** The embedding projector, for a completed run whose model has an embedding table. */
  private readonly embeddings: EmbeddingView;
  /** The rows of the run's data file where its model errs most, once the editor has predicted them. */
  private readonly worst: WorstRowsView;
  /** The shown run's weight and gradient distributions over its epochs. */
  private readonly distributions: DistributionsView;
  /** Outside `main`: attention needs a Transformer run, not a shown run. */
  private readonly attention: AttentionView;
  /** Outside `main` too: the image open in the editor, with an image classifier run's saliency map. */
  private readonly saliency: SaliencyView;
  /** Where runs' evaluation images are (`imageRoot`: the config folder's webview URI, and any images outside it), by run id. */
  private readonly imageRoots = new Map<string, { base: string; files?: Record<string, string> }>();
  private readonly main: HTMLElement;

  /** While a batch of events is applied, renderHeader only notes that it is due (headerDeferred): drawn once after the batch. */
  private deferHeader = false;
  private headerDeferred = false;
  private frame = 0;
  /** A chart draw put off (see scheduleChartDraw), and when the last one ended and how long it took. */
  private drawTimer: ReturnType<typeof setTimeout> | undefined;
  private lastDrawEnd = 0;
  private lastDrawMs = 0;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(root: HTMLElement, private readonly api: VsCodeApi<PersistedState>, options: DashboardOptions = {}) {
    this.theme = readTheme();
    this.initialStrings = options.strings;
    if (options.strings) {
      this.state.strings = options.strings;
      this.t = makeTranslate(options.strings);
    }
    this.pipeline = new PipelineView(options.mermaidSrc, (section) => this.api.postMessage({ type: 'revealConfigSection', section }));
    this.playground = new PlaygroundView((m) => this.api.postMessage(m), this.t);
    this.fillMask = new FillMaskView((m) => this.api.postMessage(m), this.t);
    this.embeddings = new EmbeddingView((m) => this.api.postMessage(m), this.t, this.theme);
    this.worst = new WorstRowsView((m) => this.api.postMessage(m), this.t);
    this.distributions = new DistributionsView(this.t, this.theme);
    this.header = new HeaderView({
      stop: () => this.api.postMessage({ type: 'stop' }),
      train: () => this.api.postMessage({ type: 'train' }),
      resume: () => {
        const id = this.state.run?.meta.id;
        if (id) this.api.postMessage({ type: 'resumeRun', runId: id });
      },
    });
    this.charts = new ChartsPanel((charts) => {
      this.state.charts = charts;
      this.scheduleChartDraw();
      this.save(true);
    });
    this.main = h(
      'div',
      { id: 'dashboard', class: 'dashboard' },
      this.header.element,
      this.charts.element,
      // After the curves, which are what a run is watched for; the header's stage row gives the statuses at a glance.
      this.pipeline.element,
      h('div', { class: 'details-grid' }, this.summary, this.evaluationSection),
      this.distributions.element,
      this.fillMask.element,
      this.playground.element,
      this.worst.element,
      this.embeddings.element,
      this.log.element,
    );
    this.attention = new AttentionView((m) => this.api.postMessage(m), this.t, this.theme);
    this.saliency = new SaliencyView((m) => this.api.postMessage(m), this.t, this.theme);
    root.replaceChildren(this.empty, this.main, this.saliency.element, this.attention.element);
  }

  /** Shows what was saved before a reload, before the host answers `ready`. */
  restore(saved: unknown): void {
    if (!isPersistedState(saved)) {
      this.renderAll();
      return;
    }
    // The page's own strings are the editor's language now; a saved table may be another's.
    this.state = { ...saved, charts: { ...DEFAULT_CHARTS, ...saved.charts }, strings: this.initialStrings ?? saved.strings };
    this.store.reset(this.state.run?.metrics ?? []);
    this.progress = this.state.run ? progressOfRun(this.state.run.meta, this.state.run.metrics) : NO_PROGRESS;
    if (this.state.run) this.state.run = { ...this.state.run, metrics: [] };
    this.renderAll();
  }

  /** Messages from the host (window 'message' events). */
  handleMessage(data: unknown): void {
    if (typeof data !== 'object' || data === null) return;
    const msg = data as { type?: unknown };
    if (msg.type === 'state') this.showState(data as DashboardStateMessage);
    else if (msg.type === 'event') this.applyEvent(data as DashboardEventMessage);
    else if (msg.type === 'events') {
      // The header (progress, pipeline, the run's views) is drawn once for the batch, after its last event.
      const batch = data as DashboardEventsMessage;
      this.headerDeferred = false;
      this.deferHeader = true;
      try {
        for (const event of Array.isArray(batch.events) ? batch.events : []) this.applyEvent({ type: 'event', runId: batch.runId, event });
      } finally {
        this.deferHeader = false;
        if (this.headerDeferred) this.renderHeader();
      }
    }
    else if (msg.type === 'pipeline') this.applyPipeline(data as DashboardPipelineMessage);
    else if (msg.type === 'resumable') this.applyResumable(data as DashboardResumableMessage);
    else if (msg.type === 'prediction') this.playground.handleReply(data as DashboardPredictionMessage);
    else if (msg.type === 'filledMask') this.fillMask.handleReply(data as DashboardFilledMaskMessage);
    else if (msg.type === 'embeddings') this.embeddings.handleReply(data as DashboardEmbeddingsMessage);
    else if (msg.type === 'worstRows') this.worst.show(data as DashboardWorstRowsMessage);
    else if (msg.type === 'distributions') {
      const d = data as DashboardDistributionsMessage;
      this.distributions.show(d.runId, d.lines);
    }
    else if (msg.type === 'attention') this.attention.show(data as DashboardAttentionMessage);
    else if (msg.type === 'generated') this.attention.showGenerated(data as DashboardGeneratedMessage);
    else if (msg.type === 'saliency') this.saliency.show(data as DashboardSaliencyMessage);
    else if (msg.type === 'imageRoot') this.applyImageRoot(data as DashboardImageRootMessage);
  }

  private applyImageRoot(msg: DashboardImageRootMessage): void {
    if (typeof msg.runId !== 'string' || typeof msg.base !== 'string') return;
    const files = typeof msg.files === 'object' && msg.files !== null ? msg.files : undefined;
    const known = this.imageRoots.get(msg.runId);
    if (known?.base === msg.base && JSON.stringify(known.files) === JSON.stringify(files)) return;
    this.imageRoots.set(msg.runId, { base: msg.base, files });
    const run = this.state.run;
    if (run?.meta.id === msg.runId && run.evaluation) this.renderEvaluation(run);
  }

  /** The evaluation section of `run`, with where its images are. */
  private renderEvaluation(run: RunSnapshot): void {
    const runId = run.meta.id;
    const root = this.imageRoots.get(runId);
    this.evaluation.setImageOptions({
      base: root?.base,
      files: root?.files,
      open: (file) => this.api.postMessage({ type: 'openImage', runId, file }),
    });
    this.evaluation.render(run.evaluation, this.theme, this.t);
  }

  onThemeChange(): void {
    this.theme = readTheme();
    this.attention.setTheme(this.theme);
    this.saliency.setTheme(this.theme);
    this.embeddings.setTheme(this.theme);
    this.distributions.setTheme(this.theme);
    if (this.state.run) this.renderEvaluation(this.state.run);
    this.scheduleChartDraw();
    // Mermaid computed its colours and measured its text in the old theme.
    this.pipeline.redraw();
  }

  private showState(msg: DashboardStateMessage): void {
    const run = msg.run && typeof msg.run === 'object' && msg.run.meta ? msg.run : null;
    const sameRun = !!run && this.state.run?.meta.id === run.meta.id;
    this.state = {
      ...this.state,
      // The points live in the store, thinned; the run keeps none of its own (a long run's would grow without bound).
      run: run ? { ...withoutLogs(run), metrics: [] } : null,
      training: !!msg.training,
      strings: msg.strings ?? this.state.strings,
      // The run's log.jsonl when it has one (runs before it, and warnings the host adds, live only here).
      logs: run?.logs ? run.logs.slice(-MAX_LOG_LINES) : sameRun ? this.state.logs : [],
      pipeline: typeof msg.pipeline === 'string' ? msg.pipeline : undefined,
      resumable: msg.resumable === true,
      follow: followOf(msg.follow),
      foldBand: foldBandOf(msg.foldBand),
    };
    this.store.reset(run?.metrics ?? []);
    this.progress = run ? progressOfRun(run.meta, run.metrics ?? []) : NO_PROGRESS;
    this.renderAll();
    this.save(true);
  }

  private applyEvent(msg: DashboardEventMessage): void {
    const event = msg.event;
    if (!event || typeof event !== 'object') return;
    if (event.type === 'runStarted' && this.state.run?.meta.id !== event.meta.id) {
      // The host follows with the new run's pipeline; until then the previous run's one (same config, most likely) stays.
      this.state = { ...this.state, run: { meta: event.meta, metrics: [], stages: {} }, training: true, logs: [] };
      this.store.reset([]);
      this.progress = progressAfter(NO_PROGRESS, event);
      this.renderAll();
      this.save(true);
      return;
    }
    const run = this.state.run;
    if (!run || run.meta.id !== msg.runId) return;
    this.applyToRun(run, event);
    this.save(false);
  }

  private applyPipeline(msg: DashboardPipelineMessage): void {
    const run = this.state.run;
    if (typeof msg.pipeline !== 'string' || run?.meta.id !== msg.runId) return;
    this.state.pipeline = msg.pipeline;
    // An export or a server started (or stopped) since the run ended: the stages say so, as the diagram's text does.
    if (msg.stages && typeof msg.stages === 'object') run.stages = { ...run.stages, ...msg.stages };
    this.renderHeader();
    this.save(false);
  }

  private applyResumable(msg: DashboardResumableMessage): void {
    if (this.state.run?.meta.id !== msg.runId) return;
    this.state.resumable = msg.resumable === true;
    this.renderHeader();
    this.save(false);
  }

  private applyToRun(run: RunSnapshot, event: TrainerEvent): void {
    const t = this.t;
    // The same fold of the same events as the host's status bar, CodeLens and notification.
    const before = this.progress;
    this.progress = progressAfter(before, event);
    if (this.progress.epoch !== before.epoch || this.progress.epochs !== before.epochs) this.renderHeader();
    switch (event.type) {
      case 'runStarted':
        run.meta = event.meta;
        this.state.training = true;
        this.state.resumable = false;
        this.renderHeader();
        break;
      case 'backend':
        run.meta = { ...run.meta, backend: event.backend, threads: event.threads };
        for (const reason of event.fallbackReasons) {
          // The usual reason, native TensorFlow not installed, is one of our messages; any other is a module's own error.
          const ours = reason === TRAINER_LOG_MESSAGES['backend.nativeNotInstalled'] ? logText('backend.nativeNotInstalled') : undefined;
          this.addLog({ level: 'warn', message: reason, ...ours });
        }
        this.renderHeader();
        break;
      case 'stage':
        run.stages = { ...run.stages, [event.stage]: event.status };
        if (event.detail) {
          // The stage's name and its detail (by id when it has one) in the editor's language.
          const detail = event.detailId && event.detailArgs ? formatLogText({ id: event.detailId, args: event.detailArgs }, this.templates) : event.detail;
          const line = logText('stage.detail', t(`stage.${event.stage}`), detail);
          this.addLog({ level: event.status === 'failed' ? 'error' : 'info', message: formatLogText(line), ...line });
        }
        this.renderHeader();
        break;
      case 'summary':
        run.summary = event.summary;
        const sizes = logText('data.splits', event.dataSizes.train, event.dataSizes.validation, event.dataSizes.test);
        this.addLog({ level: 'info', message: formatLogText(sizes), ...sizes });
        renderSummary(this.summary, run.summary, t);
        break;
      case 'metrics': {
        const kept = this.store.append(event.points ?? []);
        if (kept.length === 0) break;
        const lastEpoch = kept.reduce((e, p) => (p.kind === 'epoch' ? Math.max(e, p.epoch) : e), 0);
        if (lastEpoch > run.meta.epochsDone) {
          run.meta = { ...run.meta, epochsDone: lastEpoch };
          this.renderHeader();
        }
        this.scheduleChartDraw();
        break;
      }
      case 'epoch':
        run.meta = {
          ...run.meta,
          epochsDone: Math.max(run.meta.epochsDone, event.epoch),
          epochsPlanned: event.epochs,
          lastMetrics: event.logs,
        };
        this.renderHeader();
        break;
      case 'evaluation':
        run.evaluation = event.evaluation;
        this.renderEvaluation(run);
        break;
      case 'log':
        this.addLog({ level: event.level, message: event.message, id: event.id, args: event.args, seq: event.seq });
        break;
      case 'runEnded':
        run.meta = event.meta;
        // The final meta holds every stage's final status.
        if (event.meta.stages) run.stages = { ...run.stages, ...event.meta.stages };
        this.state.training = false;
        this.renderHeader();
        this.log.render(run.meta, this.state.logs, t, this.templates);
        this.save(true);
        break;
      default:
        assertNever(event, 'trainer event');
    }
  }

  private addLog(line: LogLine): void {
    const logs = this.state.logs;
    // Already shown: the snapshot read from the run's log.jsonl held it.
    if (line.seq !== undefined && logs.some((l) => l.seq !== undefined && l.seq >= line.seq!)) return;
    logs.push(line);
    if (logs.length > MAX_LOG_LINES) logs.splice(0, logs.length - MAX_LOG_LINES);
    this.log.append(line, logs.length, this.templates);
  }

  private renderHeader(): void {
    if (this.deferHeader) {
      this.headerDeferred = true;
      return;
    }
    const run = this.state.run;
    // Stage events update run.stages; a run read from disk may carry them only in its meta.
    if (!run) return;
    const stages = { ...run.meta.stages, ...run.stages };
    this.header.render(run.meta, this.state.training, this.state.resumable === true, stages, this.t, this.state.training ? this.progress : undefined);
    this.header.renderFollow(this.state.follow, this.t);
    this.playground.update(run.meta);
    this.fillMask.update(run.meta);
    this.embeddings.update(run.meta, run.summary);
    this.worst.update(run.meta.id);
    this.distributions.update(run.meta.id);
    this.pipeline.update(this.state.pipeline, stages, this.t);
  }

  private renderAll(): void {
    this.t = makeTranslate(this.state.strings);
    const t = this.t;
    this.attention.setStrings(t);
    this.saliency.setStrings(t);
    const run = this.state.run;
    this.empty.textContent = t('empty.message');
    this.empty.hidden = !!run;
    this.playground.setStrings(t);
    this.fillMask.setStrings(t);
    this.embeddings.setStrings(t);
    this.worst.setStrings(t);
    this.distributions.setStrings(t);
    if (!run) {
      this.playground.update(undefined);
      this.fillMask.update(undefined);
      this.embeddings.update(undefined, undefined);
      this.worst.update(undefined);
      this.distributions.update(undefined);
    }
    this.main.hidden = !run;
    this.charts.label(t);
    this.charts.setOptions(this.state.charts);
    if (!run) {
      this.evaluation.destroy();
      return;
    }
    this.renderHeader();
    renderSummary(this.summary, run.summary, t);
    this.renderEvaluation(run);
    const warnings: LogLine[] = (run.warnings ?? []).map((message) => ({ level: 'warn', message }));
    this.log.render(run.meta, [...warnings, ...this.state.logs], t, this.templates);
    this.scheduleChartDraw();
  }

  /**
   * Batches chart redraws to one per animation frame, however many events arrive,
   * and spaces them so that drawing takes at most a fifth of the page's time: a
   * draw rebuilds every curve from its kept points (at most MAX_CURVE_POINTS
   * each, see MetricSeriesStore), and drawing at every frame would keep the page
   * busy — and in a browser (code-server) VS Code's own window, whose thread the
   * webview shares.
   */
  private scheduleChartDraw(): void {
    if (this.frame || this.drawTimer !== undefined || !this.state.run) return;
    const draw = () => {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        if (!this.state.run) return;
        const start = performance.now();
        this.charts.draw(this.store, this.theme, this.t, this.state.foldBand);
        this.lastDrawEnd = performance.now();
        this.lastDrawMs = this.lastDrawEnd - start;
      });
    };
    const wait = this.lastDrawEnd + CHART_DRAW_SPACING * this.lastDrawMs - performance.now();
    if (wait <= 0) {
      draw();
      return;
    }
    this.drawTimer = setTimeout(() => {
      this.drawTimer = undefined;
      draw();
    }, wait);
  }

  private save(now: boolean): void {
    if (now) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      this.api.setState(forStorage(this.state, this.store));
      return;
    }
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      this.api.setState(forStorage(this.state, this.store));
    }, SAVE_INTERVAL_MS);
  }
}

/** The state to save: the run with the store's kept points, a long run's step points thinned further (every k-th, and the last). */
function forStorage(state: PersistedState, store: MetricSeriesStore): PersistedState {
  if (!state.run) return state;
  const metrics = store.points();
  const steps = metrics.reduce((n, p) => (p.kind === 'step' ? n + 1 : n), 0);
  if (steps <= SAVED_STEP_POINTS) return { ...state, run: { ...state.run, metrics } };
  const every = Math.ceil(steps / SAVED_STEP_POINTS);
  let seen = 0;
  const thinned = metrics.filter((p) => p.kind === 'epoch' || seen++ % every === 0 || seen === steps);
  return { ...state, run: { ...state.run, metrics: thinned } };
}

function isPersistedState(value: unknown): value is PersistedState {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<PersistedState>;
  return s.version === 1 && Array.isArray(s.logs) && (s.run === null || (typeof s.run === 'object' && !!s.run?.meta));
}

/** The follow part of a state message, when it has the fields the header needs (the page trusts the host, but not blindly its shape). */
function followOf(value: unknown): DashboardFollow | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const f = value as Partial<DashboardFollow>;
  if (typeof f.jobId !== 'string' || typeof f.updatedAt !== 'number' || !Number.isFinite(f.updatedAt)) return undefined;
  return {
    jobId: f.jobId,
    updatedAt: f.updatedAt,
    ...(typeof f.reason === 'string' ? { reason: f.reason } : {}),
    ...(typeof f.node === 'string' ? { node: f.node } : {}),
  };
}

/** The fold band of a state message, its series whole (equal-length number lists), else none. */
function foldBandOf(value: unknown): DashboardFoldBand | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const b = value as Partial<DashboardFoldBand>;
  if (typeof b.groupId !== 'string' || typeof b.k !== 'number' || !Array.isArray(b.series)) return undefined;
  const numbers = (xs: unknown, n: number) => Array.isArray(xs) && xs.length === n && xs.every((x) => typeof x === 'number');
  const series = b.series.filter((s) => typeof s?.key === 'string' && Array.isArray(s.epochs) && numbers(s.epochs, s.epochs.length) && numbers(s.mean, s.epochs.length) && numbers(s.std, s.epochs.length) && numbers(s.folds, s.epochs.length) && Array.isArray(s.steps) && s.steps.length === s.epochs.length);
  return { groupId: b.groupId, k: b.k, series };
}

/** A snapshot without its log lines: they move to the state's logs, which the Log card keeps. */
function withoutLogs(run: RunSnapshot): RunSnapshot {
  const { logs: _logs, ...rest } = run;
  return rest;
}
