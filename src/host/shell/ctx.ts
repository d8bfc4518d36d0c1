// The extension's context: owns every disposable and the long-lived parts
// (log, diagnostics, trainings, status bar, CodeLenses, dashboard, the
// Experiments view, the comparison), and
// answers the questions every command asks (which config, which runs folder).

import { join } from 'node:path';
import * as vscode from 'vscode';
import { AttentionFollower } from '../attention/attentionFollower';
import { SaliencyFollower } from '../saliency/saliencyFollower';
import { affectsSetting, executorSetting, runsDirSetting } from './settings';
import { ComparePanel } from '../panels/comparePanel';
import { ConfigCodeLensProvider } from '../editor/configCodeLens';
import { ConfigResultsView } from '../editor/configResultsView';
import { ConfigDiagnostics } from '../editor/configDiagnostics';
import { ConfigQuickFixes } from '../editor/configQuickFixes';
import { DashboardPanel } from '../panels/dashboardPanel';
import { Deployments } from '../deploy/deploymentService';
import { ExperimentsView } from '../runs/experimentsView';
import { ClusterService } from '../cluster/clusterService';
import { schedulerExecutor } from '../cluster/executorSettings';
import { listRuns } from '../../node/runStoreReader';
import type { ShownRun } from '../panels/dashboardPanel';
import { KeyedDebouncer } from './keyedDebouncer';
import { RunIndex } from '../runs/runIndex';
import { RunResultsCache } from '../runs/runResults';
import { ActiveSweeps } from '../sweeps/sweeps';
import { systemRuntimeProbe } from '../../node/trainerRuntime';
import type { RuntimeProbe } from '../../node/trainerRuntime';
import { TrainingSessions } from '../training/trainingSessions';
import { TrainingStatusBar } from '../training/trainingStatusBar';
import { isConfigUri } from '../editor/workspaceConfigs';
import { DataRowHints } from '../editor/dataRowHints';

export class ModelLabContext implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly runIndex = new RunIndex();
  readonly runtimeProbe: RuntimeProbe = systemRuntimeProbe();
  readonly diagnostics: ConfigDiagnostics;
  readonly trainings: TrainingSessions;
  readonly codeLens: ConfigCodeLensProvider;
  readonly sweeps: ActiveSweeps;
  /** Results inside the config: inlay hints, hovers, and the sweep and best-run CodeLenses. */
  readonly results: ConfigResultsView;
  readonly dashboard: DashboardPanel;
  /** The sidebar's Experiments view. */
  readonly experiments: ExperimentsView;
  /** The Compare Runs panel. */
  readonly compare: ComparePanel;
  /** Runs served over HTTP by `modellab serve` child processes; stopped on deactivation. */
  readonly deployments: Deployments;
  /** The dashboard's attention over the active editor's text (and generation). */
  readonly attention: AttentionFollower;
  /** The dashboard's prediction and saliency map for the image open in the editor. */
  readonly saliency: SaliencyFollower;
  /** Predictions at the rows of the data files of experiments with a completed run. */
  readonly dataRows: DataRowHints;
  /** Cluster jobs followed while queued or running, their status-bar count, cancelling them. */
  readonly cluster: ClusterService;
  private readonly disposables: vscode.Disposable[] = [];
  /** Watchers of the runs folders; replaced when folders or the setting change. */
  private runWatchers: vscode.Disposable[] = [];
  private readonly runChanges = new KeyedDebouncer(500);
  private readonly runsChangedEmitter = new vscode.EventEmitter<void>();
  /** A run's meta.json was created, changed or deleted (debounced), after the run index was refreshed. */
  readonly onDidChangeRuns = this.runsChangedEmitter.event;
  private lastActiveConfig: vscode.Uri | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = this.push(vscode.window.createOutputChannel('Model Lab', { log: true }));
    this.diagnostics = this.push(new ConfigDiagnostics(this.log));
    this.trainings = this.push(new TrainingSessions(extension.asAbsolutePath(join('dist', 'trainer.js')), this.log));
    this.push(new TrainingStatusBar(this.trainings));
    this.deployments = this.push(new Deployments(extension.asAbsolutePath(join('dist', 'cli.js')), this.runtimeProbe, this.log, () => [this.nativeModulesDir]));
    this.codeLens = this.push(new ConfigCodeLensProvider(this.trainings, this.runIndex, (uri) => this.runsDirForConfig(uri)));
    this.sweeps = this.push(new ActiveSweeps());
    this.results = this.push(
      new ConfigResultsView({
        runResults: new RunResultsCache(this.runIndex),
        runsDirFor: (uri) => this.runsDirForConfig(uri),
        sweeps: this.sweeps,
        trainings: this.trainings,
      }),
    );
    this.cluster = this.push(
      new ClusterService({
        log: this.log,
        // Read fresh (not through the run index's cache): the watcher compares what changed since its last look.
        listRuns: (jobs) => this.experiments.allRunsDirs().flatMap((dir) => listRuns(dir, jobs)),
        executor: schedulerExecutor,
        chosenExecutor: () => executorSetting(),
      }),
    );
    this.dashboard = this.push(
      new DashboardPanel({
        extensionUri: extension.extensionUri,
        log: this.log,
        trainings: this.trainings,
        runIndex: this.runIndex,
        workspaceState: extension.workspaceState,
        runsDirs: () => this.runsDirs(),
        defaultRun: () => this.defaultRun(),
        deploymentOf: (runId) => this.deployments.pipelineInfo(runId),
        followed: this.cluster,
      }),
    );
    this.push(this.deployments.onDidChange(() => this.dashboard.deploymentsChanged()));
    this.attention = this.push(
      new AttentionFollower({
        dashboard: this.dashboard,
        runIndex: this.runIndex,
        runsDirs: () => this.runsDirs(),
        workspaceState: extension.workspaceState,
        log: this.log,
        trainerScript: extension.asAbsolutePath(join('dist', 'trainer.js')),
        runtimeProbe: this.runtimeProbe,
        nativeModuleDirs: () => [this.nativeModulesDir],
        runForConfig: (config) => this.runForConfig(config),
      }),
    );
    this.dashboard.setAttentionHandler(this.attention);
    this.saliency = this.push(
      new SaliencyFollower({
        dashboard: this.dashboard,
        runIndex: this.runIndex,
        runsDirs: () => this.runsDirs(),
        workspaceState: extension.workspaceState,
        log: this.log,
        inference: () => this.attention.inference(),
      }),
    );
    this.dashboard.setSaliencyHandler(this.saliency);
    this.dataRows = this.push(
      new DataRowHints({
        runIndex: this.runIndex,
        runsDirFor: (uri) => this.runsDirForConfig(uri),
        inference: () => this.attention.inference(),
        workspaceState: extension.workspaceState,
        log: this.log,
        onWorstRows: (worst) => this.dashboard.showWorstRows(worst),
      }),
    );
    this.push(vscode.languages.registerInlayHintsProvider({ scheme: 'file', pattern: '**/*.{csv,json,jsonl}' }, this.dataRows));
    this.experiments = this.push(
      new ExperimentsView({ runIndex: this.runIndex, trainings: this.trainings, log: this.log, runsDirs: () => this.runsDirs(), cluster: this.cluster.watcher }),
    );
    this.compare = this.push(
      new ComparePanel({
        extensionUri: extension.extensionUri,
        log: this.log,
        trainings: this.trainings,
        runIndex: this.runIndex,
        runsDirs: () => this.experiments.allRunsDirs(),
        openRun: (run) => this.dashboard.open(run),
        defaultSaveFolder: () => vscode.workspace.workspaceFolders?.[0]?.uri,
        isBestOfSweep: (runId) => this.experiments.findRun(runId)?.best ?? false,
        followed: this.cluster,
      }),
    );
    const configFiles: vscode.DocumentSelector = { scheme: 'file', pattern: '**/*.experiment.json' };
    // Registered first so its lenses come after "Train this config" (later providers' lenses are shown first).
    this.push(vscode.languages.registerCodeLensProvider(configFiles, this.results));
    this.push(vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/*.experiment.json' }, this.codeLens));
    this.push(vscode.languages.registerInlayHintsProvider(configFiles, this.results));
    this.push(vscode.languages.registerHoverProvider(configFiles, this.results));
    this.push(vscode.languages.registerCodeActionsProvider(configFiles, new ConfigQuickFixes(), { providedCodeActionKinds: ConfigQuickFixes.providedCodeActionKinds }));
    this.push({ dispose: () => this.runChanges.dispose() });
    this.push(this.runsChangedEmitter);
    this.push({ dispose: () => vscode.Disposable.from(...this.runWatchers).dispose() });
    this.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor && isConfigUri(editor.document.uri)) this.lastActiveConfig = editor.document.uri;
      }),
    );
    this.push(vscode.workspace.onDidChangeWorkspaceFolders(() => this.watchRuns()));
    this.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsSetting(e, 'executor')) {
          // "Train this config" / "Train on SLURM", and the sweep's lens.
          this.codeLens.refresh();
          this.results.refresh();
        }
        if (!affectsSetting(e, 'runsDirectory')) return;
        this.cluster.poke();
        this.watchRuns();
        this.codeLens.refresh(true);
        this.experiments.refresh();
        this.results.refresh();
      }),
    );
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active && isConfigUri(active)) this.lastActiveConfig = active;
    this.watchRuns();
    // Cluster jobs submitted before this window opened are followed from the start.
    this.cluster.poke();
  }

  push<T extends vscode.Disposable>(disposable: T): T {
    this.disposables.push(disposable);
    return disposable;
  }

  /** The folder a config's runs belong to: its workspace folder, else the config's own folder. */
  baseFolderOf(configUri: vscode.Uri): vscode.Uri {
    return vscode.workspace.getWorkspaceFolder(configUri)?.uri ?? vscode.Uri.joinPath(configUri, '..');
  }

  runsDirForConfig(configUri: vscode.Uri): string {
    return runsDirSetting(this.baseFolderOf(configUri), configUri);
  }

  /** The runs folder of every workspace folder. */
  runsDirs(): string[] {
    const dirs = (vscode.workspace.workspaceFolders ?? []).map((f) => runsDirSetting(f.uri));
    for (const s of this.trainings.all()) if (!dirs.includes(s.runsDir)) dirs.push(s.runsDir);
    return dirs;
  }

  get nativeModulesDir(): string {
    return join(this.extension.globalStorageUri.fsPath, 'native', 'node_modules');
  }

  /** The config in the active editor, else the last config that was active (the dashboard may have focus). */
  activeConfig(): vscode.Uri | undefined {
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active && isConfigUri(active)) return active;
    return this.lastActiveConfig;
  }

  /** The run the dashboard shows for a config: its training's run, else its latest run. */
  runForConfig(config: vscode.Uri): ShownRun | undefined {
    const session = this.trainings.get(config);
    if (session?.process.runId && session.process.runDir) return { id: session.process.runId, dir: session.process.runDir };
    const latest = this.runIndex.runsForConfig(this.runsDirForConfig(config), config.fsPath)[0];
    return latest ? { id: latest.id, dir: latest.dir } : undefined;
  }

  /** The run a freshly opened dashboard shows. */
  defaultRun(): ShownRun | undefined {
    const config = this.activeConfig();
    if (config) {
      const session = this.trainings.get(config);
      if (session?.process.runId && session.process.runDir) return { id: session.process.runId, dir: session.process.runDir };
      const latest = this.runIndex.runsForConfig(this.runsDirForConfig(config), config.fsPath)[0];
      if (latest) return { id: latest.id, dir: latest.dir };
    }
    const running = this.trainings.all().find((s) => s.process.runId && s.process.runDir);
    if (running) return { id: running.process.runId!, dir: running.process.runDir! };
    // Run ids start with their creation time, so the greatest id is the newest run.
    let newest: ShownRun | undefined;
    for (const dir of this.runsDirs()) {
      const run = this.runIndex.runs(dir).find((r) => r.meta);
      if (run && (!newest || run.id > newest.id)) newest = { id: run.id, dir: run.dir };
    }
    return newest;
  }

  private watchRuns(): void {
    vscode.Disposable.from(...this.runWatchers).dispose();
    this.runWatchers = [];
    this.runIndex.invalidate();
    for (const runsDir of this.runsDirs()) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(runsDir), '*/meta.json'));
      const changed = () =>
        this.runChanges.schedule(runsDir, () => {
          this.runIndex.invalidate(runsDir);
          this.codeLens.refresh();
          this.results.refresh();
          this.dataRows.refresh();
          this.experiments.refresh();
          this.attention.refresh();
          this.saliency.refresh();
          this.cluster.poke();
          this.runsChangedEmitter.fire();
        });
      this.runWatchers.push(watcher, watcher.onDidCreate(changed), watcher.onDidChange(changed), watcher.onDidDelete(changed));
    }
  }

  /** For deactivate: lets running trainers record how their runs ended. */
  async shutdown(): Promise<void> {
    // First, so no sweep starts its next point while the trainers stop.
    this.sweeps.cancelAll();
    await this.trainings.shutdown();
  }

  dispose(): void {
    for (const d of this.disposables.reverse()) {
      try {
        d.dispose();
      } catch (err) {
        console.error('[Model Lab] dispose failed', err);
      }
    }
    this.disposables.length = 0;
  }
}
