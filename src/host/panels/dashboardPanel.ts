// The dashboard panel: one webview panel showing one run, live while it
// trains. The page asks for its state with `ready` (again after every reload,
// since the panel does not keep hidden content); messages from it are
// untrusted and checked by the protocol module before anything is done. The
// panel plumbing (HTML, handshake, posting, reviving) is PanelHost's.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { whyNotResumable } from '../../node/checkpointFile';
import { parseWebviewMessage } from '../../core/protocol/dashboard';
import { assertNever } from '../../core/protocol/fields';
import type { DashboardFoldBand, DashboardFollow, DashboardGenerateRequest, HostToWebviewMessage, WebviewToHostMessage } from '../../core/protocol/dashboard';
import type { TrainerEvent, TrainerEventType } from '../../core/protocol/trainer';
import { foldEpochBands } from '../../core/crossValidation';
import type { Evaluation, FoldMembership, MetricPoint, RunMeta, RunSnapshot, RunStatus, SaliencyMethod } from '../../core/types';
import { configFolderOf, evaluationImagePath } from '../../node/imageModelRuns';
import { runPipelineText } from '../../node/runPipeline';
import { DistributionsTail } from '../../node/distributionsFile';
import { pipelineWords } from './dashboardStrings';
import { deploymentStages } from '../../core/pipeline';
import { readRunMeta, readRunSnapshot, readRunSnapshotAsync } from '../../node/runStoreReader';
import { thinMetricsForDashboard } from '../../core/snapshotThinning';
import { CommandId } from '../shell/commandIds';
import { Throttle } from '../shell/throttle';
import { PanelHost } from './panelHost';
import { dashboardStrings } from './dashboardStrings';
import { PredictPlayground } from './playground';
import { revealConfigSection } from '../editor/revealConfigSection';
import { revealDataRow } from '../editor/dataRowHints';
import type { WorstRows } from '../editor/dataRowHints';
import type { RunIndex } from '../runs/runIndex';
import type { TrainingSession, TrainingSessions, TrainingUpdate } from '../training/trainingSessions';

export const DASHBOARD_VIEW_TYPE = 'modelLab.dashboard';
const TITLE = 'Model Lab';
const LAST_RUN_KEY = 'modelLab.dashboard.lastRun';
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export interface ShownRun {
  id: string;
  dir: string;
}

export interface DashboardDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  trainings: TrainingSessions;
  runIndex: RunIndex;
  workspaceState: vscode.Memento;
  /** Every runs folder of the workspace, to find a run by id. */
  runsDirs(): string[];
  /** What to show when nothing was asked for: the latest run of the active config, else the latest run. */
  defaultRun(): ShownRun | undefined;
  /** Where a run's model was exported and the address it is served at (the pipeline's last two nodes). */
  deploymentOf?(runId: string): { exportPath?: string; server?: string };
  /** Runs followed from their files (cluster jobs): the panel re-reads the shown one when it changes. */
  followed?: FollowedRuns;
}

/** Runs that no process of this window reports on, followed by reading their folders (src/host/cluster/clusterService.ts). */
export interface FollowedRuns {
  /** For a followed run: its job line for the header and the status the editor shows. */
  followInfo(runDir: string, meta: RunMeta): { follow: DashboardFollow; status: RunStatus } | undefined;
  /** Heard with the run folders that changed. */
  onDidChange(listener: (change: { dirs: string[] }) => void): vscode.Disposable;
}

/** The attention section's side in the host (src/host/attentionFollower.ts). */
export interface DashboardAttentionHandler {
  /** The page loaded (or reloaded): it has no attention state yet. */
  onPageReady(): void;
  pickModel(): Promise<void>;
  generate(request: DashboardGenerateRequest): Promise<void>;
  cancelGenerate(requestId: number): void;
}

/** The saliency section's side in the host (src/host/saliency/saliencyFollower.ts). */
export interface DashboardSaliencyHandler {
  /** The page loaded (or reloaded): it has no saliency state yet. */
  onPageReady(): void;
  pickModel(): Promise<void>;
  setMethod(method: SaliencyMethod): void;
}

export interface OpenOptions {
  preserveFocus?: boolean;
}

export class DashboardPanel implements vscode.Disposable {
  private readonly host: PanelHost<WebviewToHostMessage, HostToWebviewMessage>;
  private shown: ShownRun | undefined;
  /** The latest worst rows the editor's row predictions found (for one run's data file). */
  private worst: WorstRows | undefined;
  /** Runs whose distributions the page was sent (an empty list is sent to them only, to clear a resumed run's). */
  private readonly sentDistributions = new Set<string>();
  /** The shown run's distributions.jsonl, read incrementally: a live run appends to it at every epoch. */
  private distributionsTail: DistributionsTail | undefined;
  /** A read of it under way (reads of one tail never overlap), and whether another is wanted after it. */
  private distributionsReading = false;
  private distributionsAgain = false;
  /** A live run's epochs send its distributions at most this often, and once after the last. */
  private readonly distributionsTick = new Throttle(DISTRIBUTIONS_POST_MS, () => this.postDistributions());
  /** The shown run's trainer events not yet sent: sent together, at most every EVENTS_POST_MS (flushEvents). */
  private pendingEvents: { runId: string; events: TrainerEvent[] } | undefined;
  /** When the page was sent the first event of the run it follows (see onTrainingUpdate). */
  private eventsFrom: { runId: string; at: number } | undefined;
  private readonly eventsTick = new Throttle(EVENTS_POST_MS, () => this.flushEvents());
  /** Bumped by every postState, so a slow asynchronous read never overwrites a newer state. */
  private stateVersion = 0;
  /** The training whose run the panel switches to when it starts. */
  private followed: TrainingSession | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private attention: DashboardAttentionHandler | undefined;
  private saliency: DashboardSaliencyHandler | undefined;
  /** The predict playground's inference child, started on the first request. */
  private readonly playground: PredictPlayground;

  constructor(private readonly deps: DashboardDeps) {
    this.host = new PanelHost({
      viewType: DASHBOARD_VIEW_TYPE,
      logName: 'dashboard',
      extensionUri: deps.extensionUri,
      log: deps.log,
      page: { script: 'webview.js', lazyScript: 'mermaid.js', title: TITLE, strings: dashboardStrings },
      title: () => TITLE,
      parse: parseWebviewMessage,
      onReady: () => {
        this.postState();
        this.attention?.onPageReady();
        this.saliency?.onPageReady();
      },
      onMessage: (message) => this.handle(message),
      // Images shown in the page (evaluation images, the image open in the editor) come from the workspace.
      resourceRoots: () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri),
    });
    this.playground = new PredictPlayground({ trainerScript: vscode.Uri.joinPath(deps.extensionUri, 'dist', 'trainer.js').fsPath, log: deps.log });
    this.disposables.push(
      this.playground,
      ...(deps.followed
        ? [
            deps.followed.onDidChange(({ dirs }) => {
              // A cluster run's files changed (or its job moved): the page gets the run as it is on disk now.
              const shown = this.shown;
              if (shown && dirs.includes(shown.dir) && !this.deps.trainings.forRun(shown.id)) this.postState();
            }),
          ]
        : []),
      deps.trainings.onDidUpdate((u) => this.onTrainingUpdate(u)),
      deps.trainings.onDidEnd(({ session }) => {
        if (this.followed === session) this.followed = undefined;
        // A run that ended stopped or interrupted may be resumed: the page shows Resume then.
        const shown = this.shown;
        if (shown && session.process.runId === shown.id) this.postMessage({ type: 'resumable', runId: shown.id, resumable: this.resumable(shown) });
      }),
    );
  }

  get isOpen(): boolean {
    return this.host.isOpen;
  }

  get shownRunId(): string | undefined {
    return this.shown?.id;
  }

  setAttentionHandler(handler: DashboardAttentionHandler): void {
    this.attention = handler;
  }

  setSaliencyHandler(handler: DashboardSaliencyHandler): void {
    this.saliency = handler;
  }

  /** The worst rows of a run's data file, found as the editor predicted its rows: listed while that run is shown. */
  showWorstRows(worst: WorstRows): void {
    this.worst = worst;
    this.postWorstRows();
  }

  private postWorstRows(): void {
    const w = this.worst;
    if (!w || !this.host.ready) return;
    this.postMessage({ type: 'worstRows', runId: w.runId, file: vscode.workspace.asRelativePath(w.file), scope: w.scope, rows: w.rows, scopeRows: w.scopeRows, summary: w.summary });
  }

  /** A URI the page can load a workspace file from (an image), or undefined outside the workspace. */
  resourceUri(file: vscode.Uri): string | undefined {
    return this.host.resourceUri(file);
  }

  /** Switches an open panel to a run without revealing it (the editor keeps its place). */
  show(run: ShownRun): void {
    if (!this.host.isOpen) return;
    this.setShown(run);
    this.postState();
  }

  /** Opens (or reveals) the panel on a run; `undefined` means the default run, `null` nothing yet. */
  open(run: ShownRun | null | undefined, options: OpenOptions = {}): void {
    this.setShown(run === undefined ? this.deps.defaultRun() : (run ?? undefined));
    this.host.reveal(vscode.ViewColumn.Beside, options.preserveFocus);
    this.postState();
  }

  /** Shows a training on the panel: its run now if it has started, else as soon as it does. */
  follow(session: TrainingSession): void {
    this.followed = session;
    const run = session.process.runId && session.process.runDir ? { id: session.process.runId, dir: session.process.runDir } : undefined;
    if (run) {
      this.open(run, { preserveFocus: true });
    } else if (!this.host.isOpen) {
      // Until the run folder exists, show the config's previous run (or the empty page).
      this.open(undefined, { preserveFocus: true });
    } else {
      this.host.reveal(vscode.ViewColumn.Beside, true);
    }
  }

  /** Restores the panel VS Code kept across a reload (registerWebviewPanelSerializer). */
  revive(panel: vscode.WebviewPanel, state: unknown): void {
    this.host.revive(panel, () => {
      const runId = runIdFromState(state) ?? this.deps.workspaceState.get<string>(LAST_RUN_KEY);
      const found = runId && RUN_ID.test(runId) ? this.deps.runIndex.find(this.deps.runsDirs(), runId) : undefined;
      this.setShown(found ? { id: found.id, dir: found.dir } : this.deps.defaultRun());
    });
  }

  private handle(message: Exclude<WebviewToHostMessage, { type: 'ready' }>): void {
    switch (message.type) {
      case 'pinAttentionModel':
        void this.attention?.pickModel();
        break;
      case 'generate':
        void this.attention?.generate(message);
        break;
      case 'cancelGenerate':
        this.attention?.cancelGenerate(message.requestId);
        break;
      case 'pinSaliencyModel':
        void this.saliency?.pickModel();
        break;
      case 'saliencyMethod':
        this.saliency?.setMethod(message.method);
        break;
      case 'openImage':
        void this.openImage(message.runId, message.file);
        break;
      case 'stop': {
        const session = this.deps.trainings.forRun(this.shown?.id);
        if (session) this.deps.trainings.stop(session);
        // A cluster job followed from its files: Stop cancels the job.
        else if (this.shown && existsSync(this.shown.dir)) {
          const meta = readRunMeta(this.shown.dir);
          if (meta && this.deps.followed?.followInfo(this.shown.dir, meta)) void vscode.commands.executeCommand(CommandId.cancelRun, this.shown.id);
        }
        break;
      }
      case 'train': {
        const configPath = (this.shown && readRunMeta(this.shown.dir)?.configPath) || '';
        const args = configPath && existsSync(configPath) ? [vscode.Uri.file(configPath)] : [];
        void vscode.commands.executeCommand(CommandId.train, ...args);
        break;
      }
      case 'openRun': {
        const found = this.deps.runIndex.find(this.deps.runsDirs(), message.runId);
        if (!found) {
          this.deps.log.warn(`dashboard: run ${message.runId} was not found`);
          return;
        }
        this.setShown({ id: found.id, dir: found.dir });
        this.postState();
        break;
      }
      case 'describeModel':
      case 'predict': {
        const shown = this.shown;
        void this.playground.answer(message, shown).then((reply) => {
          // The page may have moved to another run meanwhile; it ignores replies for other runs.
          if (reply) this.postMessage(reply);
        });
        break;
      }
      case 'revealWorstRow': {
        const row = this.worst?.rows[message.index];
        if (this.worst && row) void revealDataRow(this.worst.file, row.line);
        break;
      }
      case 'fillMask': {
        void this.playground.fillMask(message, this.shown).then((reply) => {
          // A reply for another run than the page shows by then is dropped by the page.
          if (reply) this.postMessage(reply);
        });
        break;
      }
      case 'projectEmbeddings': {
        void this.playground.project(message, this.shown).then((reply) => {
          if (reply) this.postMessage(reply);
        });
        break;
      }
      case 'revealConfigSection': {
        const configPath = this.shown ? readRunMeta(this.shown.dir)?.configPath : undefined;
        if (!configPath) {
          this.deps.log.warn('dashboard: no run is shown, so there is no config to reveal');
          return;
        }
        void revealConfigSection(configPath, message.section, this.host.panel?.viewColumn);
        break;
      }
      case 'revealRunFolder': {
        const found =
          this.shown?.id === message.runId ? this.shown : this.deps.runIndex.find(this.deps.runsDirs(), message.runId);
        if (!found) {
          this.deps.log.warn(`dashboard: run ${message.runId} was not found`);
          return;
        }
        void revealFolder(vscode.Uri.file(found.dir));
        break;
      }
      case 'exportRun':
        void vscode.commands.executeCommand(CommandId.exportRun, message.runId);
        break;
      case 'deployRun':
        void vscode.commands.executeCommand(CommandId.deployRun, message.runId);
        break;
      case 'resumeRun':
        void vscode.commands.executeCommand(CommandId.resumeRun, message.runId);
        break;
      default:
        assertNever(message);
    }
  }

  /** Opens an evaluation image the page clicked: only a file the run's evaluation lists, inside its config's folder and the workspace. */
  private async openImage(runId: string, file: string): Promise<void> {
    const found = this.shown?.id === runId ? this.shown : this.deps.runIndex.find(this.deps.runsDirs(), runId);
    if (!found) {
      this.deps.log.warn(`dashboard: run ${runId} was not found`);
      return;
    }
    const snapshot = readRunSnapshot(found.dir, false);
    const folder = configFolderOf(snapshot.meta);
    const workspace = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const target = evaluationImagePath(snapshot.evaluation, folder, file, workspace.length > 0 ? workspace : folder ? [folder] : []);
    if ('error' in target) {
      this.deps.log.warn(`dashboard: not opening an image: ${target.error}`);
      return;
    }
    // Beside the dashboard, where the saliency follower picks it up.
    const column = this.host.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(target.path), { viewColumn: column, preview: true });
  }

  /**
   * Tells the page where a run's evaluation images are (the webview URI of its
   * config's folder), letting the page load from that folder first.
   */
  private postImageRoot(runId: string, meta: RunMeta | undefined, evaluation: Evaluation | undefined): void {
    if (evaluation?.task !== 'classification' || !evaluation.images?.length) return;
    const folder = configFolderOf(meta);
    if (!folder) return;
    const uri = vscode.Uri.file(folder);
    this.host.addResourceRoot(uri);
    const base = this.host.resourceUri(uri);
    if (!base) return;
    // Images outside the config's folder are listed by absolute path: their own URIs, where the page may load them.
    const files: Record<string, string> = {};
    for (const image of evaluation.images) {
      if (!isAbsolute(image.file) || files[image.file]) continue;
      const link = this.host.resourceUri(vscode.Uri.file(image.file));
      if (link) files[image.file] = link;
    }
    this.postMessage({ type: 'imageRoot', runId, base: base.replace(/\/+$/, ''), ...(Object.keys(files).length > 0 ? { files } : {}) });
  }

  private resumable(run: ShownRun): boolean {
    return !this.deps.trainings.forRun(run.id) && whyNotResumable(readRunMeta(run.dir), run.dir) === undefined;
  }

  private onTrainingUpdate({ session, event }: TrainingUpdate): void {
    if (!event) return;
    if (event.type === 'runStarted' && session === this.followed) {
      // The page switches runs itself on a runStarted it has not seen.
      this.setShown({ id: event.meta.id, dir: event.runDir });
    }
    const runId = session.process.runId;
    if (!runId || runId !== this.shown?.id) return;
    if (event.type === 'runStarted' && event.meta.resumes?.length) {
      // A resumed run dropped the points of its unfinished epoch: the page gets the run as it is on disk now.
      this.postState();
      return;
    }
    if (event.type === 'evaluation') this.postImageRoot(runId, readRunMeta(this.shown.dir), event.evaluation);
    // A run's first seconds go event by event, as they come (a short run is drawn while it trains); after
    // that its step points, epochs and log lines go together; the rare events (stages, the summary, the
    // end) always at once, after those queued.
    if (this.eventsFrom?.runId !== runId) this.eventsFrom = { runId, at: performance.now() };
    if (BATCHED_EVENTS.has(event.type) && performance.now() - this.eventsFrom.at >= UNBATCHED_START_MS) this.queueEvent(runId, event);
    else this.postMessage({ type: 'event', runId, event });
    // Each epoch may have recorded its layers' distributions.
    if (event.type === 'epoch') this.distributionsTick.schedule();
    // The pipeline of a run that just started, and again once its split sizes are known.
    if (event.type === 'runStarted' || event.type === 'summary') {
      const dir = this.shown.dir;
      const meta = event.type === 'runStarted' ? event.meta : readRunMeta(dir);
      const deployment = this.deps.deploymentOf?.(runId);
      const pipeline = meta && runPipelineText(dir, meta, event.type === 'summary' ? event.dataSizes : undefined, deployment, pipelineWords());
      if (pipeline) this.postMessage({ type: 'pipeline', runId, pipeline, stages: deploymentStages(meta.stages, deployment) });
    }
  }

  /** A deployment started or stopped, or a run was exported: the shown run's pipeline may change. */
  deploymentsChanged(): void {
    const shown = this.shown;
    if (!shown || !existsSync(shown.dir)) return;
    const meta = readRunMeta(shown.dir);
    const deployment = this.deps.deploymentOf?.(shown.id);
    const pipeline = meta && runPipelineText(shown.dir, meta, undefined, deployment, pipelineWords());
    if (pipeline) this.postMessage({ type: 'pipeline', runId: shown.id, pipeline, stages: deploymentStages(meta.stages, deployment) });
  }

  private setShown(run: ShownRun | undefined): void {
    this.shown = run;
    void this.deps.workspaceState.update(LAST_RUN_KEY, run?.id);
  }

  private postState(): void {
    if (!this.host.ready) return;
    const shown = this.shown;
    const version = ++this.stateVersion;
    const training = !!this.deps.trainings.forRun(shown?.id);
    if (!shown || !existsSync(shown.dir)) {
      this.postMessage({ type: 'state', run: null, training, strings: dashboardStrings() });
      return;
    }
    // A finished run with a large metrics file (hours of logging) is read in slices so the
    // extension host keeps answering; a training run is read at once, so that no live event
    // can slip in between the state and the events that follow it.
    if (!training && metricsFileSize(shown.dir) > ASYNC_READ_BYTES) {
      void readRunSnapshotAsync(shown.dir).then(
        (snapshot) => version === this.stateVersion && this.postSnapshot(shown, snapshot, training),
        (e: unknown) => this.deps.log.warn(`dashboard: cannot read ${shown.dir}: ${(e as Error).message}`),
      );
      return;
    }
    this.postSnapshot(shown, readRunSnapshot(shown.dir), training);
  }

  private postSnapshot(shown: ShownRun, snapshot: RunSnapshot, training: boolean): void {
    // Millions of step points (a day-long run) are downsampled here, not shipped to the page.
    const followed = training ? undefined : this.deps.followed?.followInfo(shown.dir, snapshot.meta);
    // A cluster run shows what the scheduler says while its folder lags (a job running before the trainer wrote).
    const meta = followed ? { ...snapshot.meta, status: followed.status } : snapshot.meta;
    const deployment = this.deps.deploymentOf?.(shown.id);
    const stages = { ...snapshot.stages, ...deploymentStages({ ...meta.stages, ...snapshot.stages }, deployment) };
    const run = { ...snapshot, meta, stages, metrics: thinMetricsForDashboard(snapshot.metrics) };
    const pipeline = runPipelineText(shown.dir, run.meta, undefined, deployment, pipelineWords());
    this.postImageRoot(shown.id, run.meta, run.evaluation);
    this.postMessage({
      type: 'state',
      run,
      training,
      strings: dashboardStrings(),
      pipeline,
      resumable: !training && this.resumable(shown),
      ...(followed ? { follow: followed.follow } : {}),
      ...(meta.fold ? { foldBand: this.foldBand(shown.dir, meta.fold, snapshot.metrics) } : {}),
    });
    this.postDistributions();
    if (this.worst?.runId === shown.id) this.postWorstRows();
  }

  /** A fold's cross-validation, from the fold runs beside it: their epoch curves as mean ± std bands. */
  private foldBand(runDir: string, fold: FoldMembership, shownMetrics: readonly MetricPoint[]): DashboardFoldBand {
    const runsDir = dirname(runDir);
    const folds: MetricPoint[][] = [];
    for (const name of readdirSync(runsDir)) {
      const dir = join(runsDir, name);
      if (dir === runDir) {
        folds.push([...shownMetrics]);
        continue;
      }
      if (readRunMeta(dir)?.fold?.id !== fold.id) continue;
      folds.push(readRunSnapshot(dir).metrics.filter((p) => p.kind === 'epoch'));
    }
    return { groupId: fold.id, k: fold.k, series: foldEpochBands(folds, shownMetrics) };
  }

  /** The shown run's distributions (thinned), read asynchronously; dropped if another run is shown by then. */
  private postDistributions(): void {
    const shown = this.shown;
    if (!shown) return;
    if (this.distributionsReading) {
      this.distributionsAgain = true;
      return;
    }
    if (this.distributionsTail?.runDir !== shown.dir) this.distributionsTail = new DistributionsTail(shown.dir);
    this.distributionsReading = true;
    void this.distributionsTail
      .read()
      .then(
        (lines) => {
          if (this.shown?.id === shown.id && (lines.length > 0 || this.sentDistributions.has(shown.id))) {
            this.sentDistributions.add(shown.id);
            this.postMessage({ type: 'distributions', runId: shown.id, lines });
          }
        },
        () => undefined,
      )
      .finally(() => {
        this.distributionsReading = false;
        if (this.distributionsAgain) {
          this.distributionsAgain = false;
          this.postDistributions();
        }
      });
  }

  /**
   * A fast run sends hundreds of events a second (an epoch, its step points, a
   * log line each): one message each kept the browser's window (code-server,
   * whose thread the page shares) so busy that the status bar and the CodeLens
   * fell tens of seconds behind. So they go together, in order, a few times a
   * second; anything else sent to the page sends them first.
   */
  private queueEvent(runId: string, event: TrainerEvent): void {
    if (this.pendingEvents && this.pendingEvents.runId !== runId) this.flushEvents();
    (this.pendingEvents ??= { runId, events: [] }).events.push(event);
    this.eventsTick.schedule();
  }

  private flushEvents(): void {
    const pending = this.pendingEvents;
    if (!pending) return;
    this.pendingEvents = undefined;
    this.host.post(pending.events.length === 1 ? { type: 'event', runId: pending.runId, event: pending.events[0] } : { type: 'events', runId: pending.runId, events: pending.events });
  }

  /** Posts to the page, after the events queued before it, once the page is ready; dropped before (the page asks again with `ready`). */
  postMessage(message: HostToWebviewMessage): void {
    this.flushEvents();
    this.host.post(message);
  }

  dispose(): void {
    this.eventsTick.dispose();
    this.distributionsTick.dispose();
    this.host.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

/** How often a live run's distributions are sent at most (each send reads the file's new lines). */
const DISTRIBUTIONS_POST_MS = 1_000;
/** How often a live run's frequent trainer events are sent at most, together (queueEvent). */
const EVENTS_POST_MS = 100;
/** How long from a run's first event its events are sent one by one, before they are batched. */
const UNBATCHED_START_MS = 3_000;
/** The trainer events a fast run sends hundreds of a second: sent together (queueEvent); the others at once. */
const BATCHED_EVENTS: ReadonlySet<TrainerEventType> = new Set<TrainerEventType>(['metrics', 'epoch', 'log']);

/** Above this, a finished run's metrics are read asynchronously (see postState). */
const ASYNC_READ_BYTES = 8 * 1024 * 1024;

function metricsFileSize(runDir: string): number {
  try {
    return statSync(join(runDir, 'metrics.jsonl')).size;
  } catch {
    return 0;
  }
}

function runIdFromState(state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const s = state as { runId?: unknown; run?: { meta?: { id?: unknown } } | null };
  if (typeof s.runId === 'string') return s.runId;
  const id = s.run?.meta?.id;
  return typeof id === 'string' ? id : undefined;
}

export async function revealFolder(uri: vscode.Uri): Promise<void> {
  // Inside the workspace the Explorer works everywhere (desktop, remote, browser);
  // the OS file manager only on a local desktop.
  const local = !vscode.env.remoteName && vscode.env.uiKind === vscode.UIKind.Desktop;
  if (vscode.workspace.getWorkspaceFolder(uri) || !local) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.commands.executeCommand('revealFileInOS', uri);
}
