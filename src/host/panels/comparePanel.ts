// The "Compare Runs" panel: one webview showing any number of runs overlaid.
// The host reads each run folder once (cached until its files change), sends
// the runs' parameters and final metrics, and answers the page's requests for
// curves with series smoothed on the full data and then downsampled, so a
// run with a million logged points costs the page a few thousand. Messages
// from the page are untrusted and checked by parseCompareMessage first. The
// panel plumbing (HTML, handshake, posting, reviving) is PanelHost's.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { COMPARE_STRINGS } from '../../core/compareStringTable';
import { compareSeriesFor, curveMetrics, metricColumns, metricColumnsAsync, type MetricColumns } from '../../core/compareSeries';
import { runsMetricsToCsv } from '../../core/metricsCsv';
import { parseCompareMessage, PNG_DATA_URL_PREFIX } from '../../core/protocol/compare';
import { assertNever } from '../../core/protocol/fields';
import type { CompareRun, CompareSeriesRequest, CompareToHostMessage, HostToCompareMessage } from '../../core/protocol/compare';
import { compareLabels, finalMetrics, flattenConfig } from '../../core/runComparison';
import { readRunSnapshot, readRunSnapshotAsync } from '../../node/runStoreReader';
import { readDistributions } from '../../node/distributionsFile';
import type { RunSnapshot } from '../../core/types';
import { PanelHost } from './panelHost';
import type { FollowedRuns, ShownRun } from './dashboardPanel';
import { formatRunTime } from '../runs/experimentTreeModel';
import type { RunIndex } from '../runs/runIndex';
import type { TrainingSessions, TrainingUpdate } from '../training/trainingSessions';

export const COMPARE_VIEW_TYPE = 'modelLab.compare';
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
/** While a compared run trains, the page is refreshed at most this often. */
const LIVE_REFRESH_MS = 1500;

export interface CompareDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  trainings: TrainingSessions;
  runIndex: RunIndex;
  runsDirs(): string[];
  /** Opens a run in the dashboard. */
  openRun(run: ShownRun): void;
  /** Where save dialogs start. */
  defaultSaveFolder(): vscode.Uri | undefined;
  /** Whether a run is the best of its sweep (the sidebar decides). */
  isBestOfSweep(runId: string): boolean;
  /** Cluster runs followed from their files: a compared one is read again when its files change. */
  followed?: FollowedRuns;
}

interface LoadedRun {
  run: ShownRun;
  /** Changes when any file the run was read from changes. */
  signature: string;
  snapshot: RunSnapshot;
  columns: MetricColumns;
  params: CompareRun['params'];
}

export class ComparePanel implements vscode.Disposable {
  private readonly host: PanelHost<CompareToHostMessage, HostToCompareMessage>;
  private runs: ShownRun[] = [];
  private readonly cache = new Map<string, LoadedRun>();
  /** Bumped by every postState, so a slow asynchronous read never posts an older state over a newer one. */
  private stateVersion = 0;
  private lastRequest: CompareSeriesRequest | undefined;
  private liveTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: CompareDeps) {
    this.host = new PanelHost({
      viewType: COMPARE_VIEW_TYPE,
      logName: 'compare',
      extensionUri: deps.extensionUri,
      log: deps.log,
      page: { script: 'compare.js', extraStyles: ['compare.css'], title: vscode.l10n.t('Compare Runs') },
      title: () => this.title(),
      parse: parseCompareMessage,
      onReady: () => this.postState(),
      onMessage: (message) => this.handle(message),
      showErrors: true,
      onClosed: () => this.cache.clear(),
    });
    this.disposables.push(deps.trainings.onDidUpdate((u) => this.onTrainingUpdate(u)));
    if (deps.followed) {
      this.disposables.push(
        deps.followed.onDidChange(({ dirs }) => {
          // The cache notices the changed files by their signature; only the runs shown matter.
          if (this.host.isOpen && this.runs.some((r) => dirs.includes(r.dir))) this.postState();
        }),
      );
    }
  }

  get isOpen(): boolean {
    return this.host.isOpen;
  }

  /** The runs shown, in column order. */
  get runIds(): string[] {
    return this.runs.map((r) => r.id);
  }

  /** Opens (or reveals) the panel on these runs, replacing the ones it showed. */
  open(runs: readonly ShownRun[]): void {
    this.setRuns(runs);
    this.host.reveal(vscode.ViewColumn.Active, false);
    this.postState();
  }

  /** Restores the panel VS Code kept across a reload (registerWebviewPanelSerializer). */
  revive(panel: vscode.WebviewPanel, state: unknown): void {
    this.host.revive(panel, () => {
      const ids = runIdsFromState(state);
      const found = ids.map((id) => this.deps.runIndex.find(this.deps.runsDirs(), id)).filter((r) => r !== undefined);
      this.setRuns(found.map((r) => ({ id: r.id, dir: r.dir })));
    });
  }

  /** Takes runs out of the comparison (they were deleted). */
  forget(runIds: readonly string[]): void {
    const before = this.runs.length;
    this.runs = this.runs.filter((r) => !runIds.includes(r.id));
    if (this.runs.length !== before) {
      this.host.retitle();
      this.postState();
    }
  }

  private setRuns(runs: readonly ShownRun[]): void {
    const unique = new Map<string, ShownRun>();
    for (const r of runs) if (!unique.has(r.id)) unique.set(r.id, r);
    this.runs = [...unique.values()];
    for (const key of [...this.cache.keys()]) if (!this.runs.some((r) => r.dir === key)) this.cache.delete(key);
    this.host.retitle();
  }

  private title(): string {
    return vscode.l10n.t('Compare Runs ({0})', this.runs.length);
  }

  private async handle(message: Exclude<CompareToHostMessage, { type: 'ready' }>): Promise<void> {
    switch (message.type) {
      case 'requestSeries':
        this.lastRequest = message;
        this.answer(message);
        break;
      case 'openRun': {
        const run = this.runs.find((r) => r.id === message.runId);
        if (run) this.deps.openRun(run);
        break;
      }
      case 'removeRun':
        this.forget([message.runId]);
        break;
      case 'exportCsv':
        await this.exportCsv();
        break;
      case 'exportPng':
        await this.exportPng(message.dataUrl);
        break;
      default:
        assertNever(message);
    }
  }

  /** Reads a run folder, or takes it from the cache while its files are unchanged. */
  private load(run: ShownRun): LoadedRun | undefined {
    if (!existsSync(run.dir)) return undefined;
    const signature = runSignature(run.dir);
    const hit = this.cache.get(run.dir);
    if (hit && hit.signature === signature) return hit;
    const snapshot = readRunSnapshot(run.dir);
    return this.remember(run, signature, snapshot, metricColumns(snapshot.metrics));
  }

  private remember(run: ShownRun, signature: string, snapshot: RunSnapshot, columns: MetricColumns): LoadedRun {
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(join(run.dir, 'config.json'), 'utf8'));
    } catch {
      config = undefined;
    }
    const loaded: LoadedRun = { run, signature, snapshot, columns, params: flattenConfig(config) };
    this.cache.set(run.dir, loaded);
    return loaded;
  }

  private loadAll(): LoadedRun[] {
    return this.runs.map((r) => this.load(r)).filter((r) => r !== undefined);
  }

  /**
   * Fills the cache with every run's files read and columns built asynchronously (in slices), so a
   * comparison of day-long runs does not stall the extension host; the
   * synchronous `load` then finds them cached.
   */
  private async warmCache(): Promise<void> {
    await Promise.all(
      this.runs.map(async (run) => {
        if (!existsSync(run.dir)) return;
        const signature = runSignature(run.dir);
        if (this.cache.get(run.dir)?.signature === signature) return;
        const snapshot = await readRunSnapshotAsync(run.dir);
        // Columns in slices too: for millions of points they are a second of work.
        this.remember(run, signature, snapshot, await metricColumnsAsync(snapshot.metrics));
      }),
    );
  }

  private postState(): void {
    if (!this.host.ready) return;
    const version = ++this.stateVersion;
    this.warmCache().then(
      () => version === this.stateVersion && this.postStateNow(),
      (e: unknown) => {
        this.deps.log.warn(`compare: reading runs failed: ${(e as Error).message}`);
        if (version === this.stateVersion) this.postStateNow();
      },
    );
  }

  private postStateNow(): void {
    if (!this.host.ready) return;
    const loaded = this.loadAll();
    const labels = compareLabels(loaded.map(({ snapshot: { meta }, params }) => ({ name: meta.name, when: formatRunTime(meta.createdAt, meta.id), params })));
    const runs: CompareRun[] = loaded.map(({ snapshot, params }, i) => {
      const meta = snapshot.meta;
      const sweep = meta.sweep;
      // A cluster run: as the scheduler moves it, with the age of its files.
      const followed = this.deps.trainings.forRun(meta.id) ? undefined : this.deps.followed?.followInfo(loaded[i].run.dir, meta);
      return {
        id: meta.id,
        name: meta.name,
        label: labels[i],
        status: this.deps.trainings.forRun(meta.id) ? 'running' : (followed?.status ?? meta.status),
        createdAt: meta.createdAt,
        backend: meta.backend,
        params,
        final: finalMetrics(meta, snapshot.metrics, snapshot.evaluation),
        points: snapshot.metrics.length,
        sweep: sweep ? { id: sweep.id, index: sweep.index, total: sweep.total } : undefined,
        best: sweep ? this.deps.isBestOfSweep(meta.id) : undefined,
        ...(meta.fold ? { fold: { id: meta.fold.id, index: meta.fold.index, k: meta.fold.k } } : {}),
        warnings: snapshot.warnings,
        ...(followed ? { updatedAt: followed.follow.updatedAt } : {}),
      };
    });
    const metrics = curveMetrics(loaded.map((l) => l.columns));
    this.host.post({ type: 'compareState', runs, metrics, strings: compareStrings() });
    this.postDistributions(loaded.map((l) => l.run));
  }

  /** The runs' distributions.jsonl, read asynchronously (at most 60 epochs each: side by side charts are narrow). */
  private postDistributions(runs: { id: string; dir: string }[]): void {
    const version = this.stateVersion;
    void Promise.all(runs.map(async (r) => ({ runId: r.id, lines: await readDistributions(r.dir, 60) }))).then((all) => {
      if (version === this.stateVersion && this.host.ready) this.host.post({ type: 'compareDistributions', runs: all.filter((r) => r.lines.length > 0) });
    });
  }

  private answer(request: CompareSeriesRequest): void {
    const started = Date.now();
    const series = this.loadAll().flatMap((l) => compareSeriesFor(l.snapshot.meta.id, l.columns, request));
    const ms = Date.now() - started;
    if (ms > 200) this.deps.log.info(`compare: prepared ${series.length} series of ${request.metric} in ${ms} ms`);
    this.host.post({ type: 'compareSeries', requestId: request.requestId, metric: request.metric, xAxis: request.xAxis, smoothing: request.smoothing, series });
  }

  private async exportCsv(): Promise<void> {
    const loaded = this.loadAll();
    if (loaded.length === 0) return;
    const target = await vscode.window.showSaveDialog({
      defaultUri: this.saveUri(`${loaded[0].snapshot.meta.name}-compare.csv`),
      filters: { [vscode.l10n.t('CSV files')]: ['csv'] },
      title: vscode.l10n.t('Export the compared runs\' metrics as CSV'),
    });
    if (!target) return;
    const csv = runsMetricsToCsv(loaded.map((l) => ({ id: l.snapshot.meta.id, name: l.snapshot.meta.name, points: l.snapshot.metrics })));
    await vscode.workspace.fs.writeFile(target, Buffer.from(csv, 'utf8'));
    const rows = loaded.reduce((n, l) => n + l.snapshot.metrics.length, 0);
    void vscode.window.showInformationMessage(vscode.l10n.t('Exported {0} rows of {1} runs to {2}.', rows, loaded.length, vscode.workspace.asRelativePath(target)));
  }

  private async exportPng(dataUrl: string): Promise<void> {
    const bytes = Buffer.from(dataUrl.slice(PNG_DATA_URL_PREFIX.length), 'base64');
    const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    if (bytes.length < 8 || !bytes.subarray(0, 8).equals(signature)) {
      this.deps.log.warn('compare: exportPng did not carry a PNG; ignored');
      return;
    }
    const first = this.runs[0] ? this.load(this.runs[0])?.snapshot.meta.name : undefined;
    const metric = this.lastRequest?.metric ?? 'loss';
    const target = await vscode.window.showSaveDialog({
      defaultUri: this.saveUri(`${first ?? 'runs'}-${metric}.png`),
      filters: { [vscode.l10n.t('PNG images')]: ['png'] },
      title: vscode.l10n.t('Export the chart as PNG'),
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, bytes);
    void vscode.window.showInformationMessage(vscode.l10n.t('Saved the chart to {0}.', vscode.workspace.asRelativePath(target)));
  }

  private saveUri(fileName: string): vscode.Uri | undefined {
    const folder = this.deps.defaultSaveFolder();
    return folder ? vscode.Uri.joinPath(folder, fileName.replace(/[^A-Za-z0-9._-]+/g, '-')) : undefined;
  }

  private onTrainingUpdate({ session, event }: TrainingUpdate): void {
    if (!this.host.isOpen || !event) return;
    const runId = session.process.runId;
    if (!runId || !this.runs.some((r) => r.id === runId)) return;
    if (event.type !== 'epoch' && event.type !== 'runEnded' && event.type !== 'evaluation') return;
    if (this.liveTimer) return;
    this.liveTimer = setTimeout(() => {
      this.liveTimer = undefined;
      // The page asks for its curves again when the state arrives.
      this.postState();
    }, LIVE_REFRESH_MS);
  }

  dispose(): void {
    if (this.liveTimer) clearTimeout(this.liveTimer);
    this.host.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

/** Changes whenever one of the run's files changes, so the cache knows to read it again. */
function runSignature(dir: string): string {
  return ['meta.json', 'metrics.jsonl', 'evaluation.json', 'config.json'].map((f) => fileSignature(join(dir, f))).join('|');
}

function fileSignature(file: string): string {
  try {
    const s = statSync(file);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return '-';
  }
}

function runIdsFromState(state: unknown): string[] {
  if (typeof state !== 'object' || state === null) return [];
  const ids = (state as { runIds?: unknown }).runIds;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string' && RUN_ID.test(id)) : [];
}

/** The compare page's strings in the editor's language (the English text is the bundle key). */
function compareStrings(): Record<string, string> {
  const bundle = vscode.l10n.bundle;
  const strings: Record<string, string> = {};
  for (const [id, english] of Object.entries(COMPARE_STRINGS)) strings[id] = bundle?.[english] ?? english;
  return strings;
}
