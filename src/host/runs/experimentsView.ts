// The Experiments view in Model Lab's sidebar: every experiment config of the
// workspace with its runs (experimentTreeModel.ts builds the tree). An
// experiment's element is its config Uri, so the commands that take a config
// (Train, Open Dashboard, Validate) work on it unchanged. The view refreshes,
// debounced, when configs or run folders change on disk (runs written by the
// CLI included) and as trainings of this window progress.

import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import * as vscode from 'vscode';
import { CommandId } from '../shell/commandIds';
import { lastSegment, paramLabel } from '../../core/runComparison';
import {
  buildExperimentTree,
  experimentNameOf,
  formatRunTime,
  type BaseLink,
  pathKey,
  runsUnder,
  type ConfigRef,
  type ExperimentNode,
  type ExperimentTree,
  type FineTunedNode,
  type FoldsNode,
  type LineageRunNode,
  type RunNode,
  type RunRef,
  type SweepNode,
} from './experimentTreeModel';
import { formatMetric } from '../../core/metrics';
import { prunedRung } from '../../core/earlyTermination';
import type { RunIndex } from './runIndex';
import type { ClusterWatcher } from './clusterWatcher';
import { isClusterRun } from '../../core/clusterRuns';
import { asTransformerRun } from '../../node/textModelRuns';
import type { TrainingSessions } from '../training/trainingSessions';
import { CONFIG_GLOB, findWorkspaceConfigs } from '../editor/workspaceConfigs';
import { DEFAULT_RUNS_DIRECTORY } from '../../core/workspaceLayout';

export const EXPERIMENTS_VIEW_ID = 'modelLab.experiments';
const REFRESH_DELAY_MS = 300;
const RUN_META_GLOB = `**/${DEFAULT_RUNS_DIRECTORY}/*/meta.json`;

/** The group of run folders without a readable meta.json. */
export interface DamagedGroup {
  kind: 'damaged';
  runs: RunNode[];
}

/** What the tree holds: a config Uri for each experiment found, nodes for the rest. */
export type ExperimentsElement = vscode.Uri | ExperimentNode | SweepNode | FoldsNode | RunNode | FineTunedNode | LineageRunNode | DamagedGroup;

export interface ExperimentsViewDeps {
  runIndex: RunIndex;
  trainings: TrainingSessions;
  log: vscode.LogOutputChannel;
  /** The runs folders of the workspace folders (modelLab.runsDirectory). */
  runsDirs(): string[];
  /** Cluster runs as the scheduler moves them; the view refreshes when it hears of a change. */
  cluster?: ClusterWatcher;
}

export class ExperimentsView implements vscode.TreeDataProvider<ExperimentsElement>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ExperimentsElement | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  readonly view: vscode.TreeView<ExperimentsElement>;
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter];
  private tree: ExperimentTree = { experiments: [], damaged: [] };
  /** Runs folders found by the meta.json glob (the CLI's default is `<cwd>/` + DEFAULT_RUNS_DIRECTORY). */
  private readonly foundRunsDirs = new Set<string>();
  private discovered: Promise<void> | undefined;
  /** The configs as last found; searched for again only when a config file or a folder changes. */
  private configs: Promise<ConfigRef[]> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ExperimentsViewDeps) {
    this.view = vscode.window.createTreeView(EXPERIMENTS_VIEW_ID, { treeDataProvider: this, canSelectMany: true, showCollapseAll: true });
    this.disposables.push(this.view);

    const configs = vscode.workspace.createFileSystemWatcher(CONFIG_GLOB);
    const metas = vscode.workspace.createFileSystemWatcher(RUN_META_GLOB);
    const onConfig = () => {
      this.configs = undefined;
      this.refresh();
    };
    const onMeta = (uri: vscode.Uri) => {
      this.foundRunsDirs.add(dirname(dirname(uri.fsPath)));
      this.refresh();
    };
    this.disposables.push(
      configs,
      configs.onDidCreate(onConfig),
      configs.onDidDelete(onConfig),
      // A renamed experiment changes its label.
      configs.onDidChange(onConfig),
      metas,
      metas.onDidCreate(onMeta),
      metas.onDidChange(onMeta),
      metas.onDidDelete(() => this.refresh()),
      deps.trainings.onDidStart(() => this.refresh()),
      deps.trainings.onDidEnd(() => this.refresh()),
      deps.trainings.onDidUpdate(({ event }) => {
        if (!event || event.type === 'runStarted' || event.type === 'epoch' || event.type === 'runEnded') this.refresh();
      }),
      ...(deps.cluster ? [deps.cluster.onDidChange(() => this.refresh())] : []),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.discovered = undefined;
        this.configs = undefined;
        this.refresh();
      }),
    );
  }

  /**
   * Rebuilds the tree soon; calls in a burst (a sweep writing many meta files) rebuild once.
   * A rebuild already due is not put off by later calls: a training's epochs (a meta.json
   * write and an event each, faster than the delay) would otherwise keep the rows from ever
   * showing its progress. `now` also searches for configs again.
   */
  refresh(now = false): void {
    if (now) this.configs = undefined;
    if (this.timer && !now) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.changeEmitter.fire(undefined);
      },
      now ? 0 : REFRESH_DELAY_MS,
    );
  }

  /** The experiments as last built. */
  get current(): ExperimentTree {
    return this.tree;
  }

  /** Every runs folder the view lists: the workspace folders' and those found on disk. */
  allRunsDirs(): string[] {
    const dirs = new Map<string, string>();
    for (const dir of [...this.deps.runsDirs(), ...this.foundRunsDirs]) if (!dirs.has(pathKey(dir))) dirs.set(pathKey(dir), dir);
    return [...dirs.values()];
  }

  /** The experiment node of an element that stands for one (a config Uri or an orphan experiment). */
  experimentOf(element: unknown): ExperimentNode | undefined {
    if (element instanceof vscode.Uri) return this.tree.experiments.find((e) => e.configExists && pathKey(e.configPath) === pathKey(element.fsPath));
    if (isNode(element) && element.kind === 'experiment') return element;
    return undefined;
  }

  /** The runs an element stands for: itself, a sweep's or an experiment's runs. */
  runsOf(element: unknown): RunNode[] {
    const experiment = this.experimentOf(element);
    if (experiment) return runsUnder(experiment);
    if (isNode(element)) {
      if (element.kind === 'damaged') return element.runs;
      if (element.kind === 'run' || element.kind === 'sweep' || element.kind === 'folds') return runsUnder(element);
      // A fine-tuned run listed under its base stands for that run (never the group: deleting it must not take the base's children).
      if (element.kind === 'lineageRun') return [element.run];
    }
    return [];
  }

  /** Runs selected in the view. */
  selectedRuns(): RunNode[] {
    return uniqueRuns(this.view.selection.flatMap((e) => this.runsOf(e)));
  }

  /** A run node by id in the tree as last built. */
  findRun(runId: string): RunNode | undefined {
    return this.allRuns().find((r) => r.id === runId);
  }

  allRuns(): RunNode[] {
    return [...this.tree.experiments.flatMap((e) => runsUnder(e)), ...this.tree.damaged];
  }

  /**
   * Every run, read from disk now: for commands run from the palette, when the
   * view may never have been opened (the tree is otherwise built when shown).
   */
  async freshRuns(): Promise<RunNode[]> {
    this.tree = await this.build();
    return this.allRuns();
  }

  async getChildren(element?: ExperimentsElement): Promise<ExperimentsElement[]> {
    if (!element) {
      this.tree = await this.build();
      const roots: ExperimentsElement[] = this.tree.experiments.map((e) => (e.configExists ? vscode.Uri.file(e.configPath) : e));
      if (this.tree.damaged.length) roots.push({ kind: 'damaged', runs: this.tree.damaged });
      return roots;
    }
    const experiment = this.experimentOf(element);
    if (experiment) return experiment.children;
    if (isNode(element)) {
      if (element.kind === 'sweep' || element.kind === 'folds') return element.runs;
      if (element.kind === 'damaged') return element.runs;
      if (element.kind === 'run' && element.fineTuned) return [element.fineTuned];
      if (element.kind === 'fineTuned') return element.runs;
    }
    return [];
  }

  getTreeItem(element: ExperimentsElement): vscode.TreeItem {
    const experiment = this.experimentOf(element);
    if (experiment) return experimentItem(experiment);
    if (!isNode(element)) return new vscode.TreeItem(String(element));
    switch (element.kind) {
      case 'sweep':
        return sweepItem(element);
      case 'folds':
        return foldsItem(element);
      case 'run':
        return this.runItem(element);
      case 'fineTuned':
        return fineTunedItem(element);
      case 'lineageRun':
        return this.lineageRunItem(element);
      case 'damaged': {
        const item = new vscode.TreeItem(vscode.l10n.t('Unreadable run folders'), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'damaged-runs';
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.description = String(element.runs.length);
        item.contextValue = 'damagedGroup';
        return item;
      }
      default:
        return new vscode.TreeItem('');
    }
  }

  /** Tooltips read the run's config.json, so they are made only when hovered. */
  resolveTreeItem(item: vscode.TreeItem, element: ExperimentsElement): vscode.TreeItem {
    if (isNode(element) && element.kind === 'run') item.tooltip = runTooltip(element, this.tree);
    if (isNode(element) && element.kind === 'lineageRun') item.tooltip = runTooltip(element.run, this.tree);
    return item;
  }

  getParent(element: ExperimentsElement): ExperimentsElement | undefined {
    if (!isNode(element)) return undefined;
    if (element.kind === 'lineageRun') return element.group;
    if (element.kind === 'fineTuned') return element.base;
    if (element.kind === 'sweep') return this.experimentElement(element.configPath);
    if (element.kind === 'folds') {
      const e = this.tree.experiments.find((x) => x.children.includes(element));
      return e && this.experimentElement(e.configPath, e);
    }
    if (element.kind !== 'run') return undefined;
    if (!element.meta) return { kind: 'damaged', runs: this.tree.damaged };
    for (const e of this.tree.experiments) {
      for (const child of e.children) {
        if (child === element) return this.experimentElement(e.configPath, e);
        if ((child.kind === 'sweep' || child.kind === 'folds') && child.runs.includes(element)) return child;
      }
    }
    return undefined;
  }

  private experimentElement(configPath: string, node?: ExperimentNode): ExperimentsElement | undefined {
    const e = node ?? this.tree.experiments.find((x) => x.configPath === configPath);
    if (!e) return undefined;
    return e.configExists ? vscode.Uri.file(e.configPath) : e;
  }

  private runItem(run: RunNode): vscode.TreeItem {
    const meta = run.meta;
    const sweep = meta?.sweep;
    const label = sweep ? `#${sweep.index + 1} ${paramLabel(sweep.params ?? {})}`.trim() : formatRunTime(meta?.createdAt, run.id);
    const item = new vscode.TreeItem(label, run.fineTuned ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    // A run that gets its first fine-tuned run takes a new id, so VS Code draws it with a twistie (as an experiment's first run).
    item.id = `run:${run.dir}${run.fineTuned ? ':lineage' : ''}`;
    item.contextValue = run.contextValue;
    item.iconPath = statusIcon(run);
    item.description = this.runDescription(run);
    item.accessibilityInformation = { label: `${label}, ${statusWord(run)}${item.description ? `, ${String(item.description)}` : ''}` };
    if (meta) item.command = { command: CommandId.openRun, title: vscode.l10n.t('Open in Dashboard'), arguments: [run] };
    return item;
  }

  /** A fine-tuned run under its base: its experiment and time, its headline; its menus are the run's. */
  private lineageRunItem(node: LineageRunNode): vscode.TreeItem {
    const run = node.run;
    const label = `${node.experimentName} · ${formatRunTime(run.meta?.createdAt, run.id)}`;
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.id = `lineage:${node.key}`;
    item.contextValue = run.contextValue;
    item.iconPath = statusIcon(run);
    item.description = run.headline ? `${run.headline.name} ${formatMetric(run.headline.value)}` : '';
    item.accessibilityInformation = { label: `${label}, ${statusWord(run)}${item.description ? `, ${String(item.description)}` : ''}` };
    if (run.meta) item.command = { command: CommandId.openRun, title: vscode.l10n.t('Open in Dashboard'), arguments: [run] };
    return item;
  }

  private runDescription(run: RunNode): string {
    const meta = run.meta;
    if (!meta) return run.warnings[0] ?? '';
    const parts: string[] = [];
    if (run.best) parts.push('★');
    const training = this.deps.trainings.forRun(run.id);
    const job = meta.job;
    if (run.contextValue === 'run.cluster' && job) {
      parts.push(run.state === 'running' && run.node ? vscode.l10n.t('job {0} on {1}', job.id, run.node) : vscode.l10n.t('job {0}', job.id));
      if (run.state === 'queued' && run.reason) parts.push(`(${run.reason})`);
    }
    if (run.contextValue === 'run.training' || run.contextValue === 'run.busy' || (run.contextValue === 'run.cluster' && run.state === 'running')) {
      const done = training?.process.epochsDone ?? meta.epochsDone;
      const planned = training?.process.epochs ?? meta.epochsPlanned;
      parts.push(vscode.l10n.t('epoch {0}/{1}', done, planned));
    }
    if (meta.status === 'pruned') parts.push(vscode.l10n.t('pruned at epoch {0}/{1}', meta.epochsDone, meta.epochsPlanned));
    if (run.headline) parts.push(`${run.headline.name} ${formatMetric(run.headline.value)}`);
    else if (meta.status === 'failed' && meta.error) parts.push(meta.error.length > 60 ? `${meta.error.slice(0, 59)}…` : meta.error);
    if (run.base) parts.push(`· ${baseText(run.base, this.tree)}`);
    return parts.join(' ');
  }

  private async build(): Promise<ExperimentTree> {
    this.discovered ??= this.discoverRunsDirs();
    this.configs ??= findWorkspaceConfigs().then(
      (uris) => uris.map((uri) => ({ path: uri.fsPath, name: readConfigName(uri.fsPath) })),
      (err: unknown) => {
        this.deps.log.warn(`experiments view: looking for configs failed: ${String(err)}`);
        this.configs = undefined;
        return [];
      },
    );
    const [configs] = await Promise.all([this.configs, this.discovered]);
    const runs: RunRef[] = [];
    for (const dir of this.allRunsDirs()) {
      this.deps.runIndex.invalidate(dir);
      for (const entry of this.deps.runIndex.runs(dir)) {
        const shown = this.deps.cluster && isClusterRun(entry.meta) ? this.deps.cluster.stateOf(entry) : undefined;
        runs.push({ entry, training: !!this.deps.trainings.forRun(entry.id), attention: asTransformerRun(entry) !== undefined, ...(shown ? { shown } : {}) });
      }
    }
    return buildExperimentTree(configs, runs);
  }

  private async discoverRunsDirs(): Promise<void> {
    try {
      const metas = await vscode.workspace.findFiles(RUN_META_GLOB, '**/node_modules/**', 10_000);
      for (const uri of metas) this.foundRunsDirs.add(dirname(dirname(uri.fsPath)));
    } catch (err) {
      this.deps.log.warn(`experiments view: looking for run folders failed: ${String(err)}`);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

function isNode(element: unknown): element is ExperimentNode | SweepNode | FoldsNode | RunNode | FineTunedNode | LineageRunNode | DamagedGroup {
  return typeof element === 'object' && element !== null && !(element instanceof vscode.Uri) && 'kind' in element;
}

function uniqueRuns(runs: RunNode[]): RunNode[] {
  const seen = new Set<string>();
  return runs.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
}

function readConfigName(path: string): string | undefined {
  try {
    const value = parseJsonc(readFileSync(path, 'utf8')) as { name?: unknown } | undefined;
    return typeof value?.name === 'string' ? value.name : undefined;
  } catch {
    return undefined;
  }
}

function experimentItem(e: ExperimentNode): vscode.TreeItem {
  const item = new vscode.TreeItem(e.name, e.children.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
  // An experiment without runs has no twistie; when its first run arrives (a submitted job, a CLI run) a new id makes
  // VS Code take the item as new and show it expanded, where it would keep an existing item's old collapsed state.
  item.id = `experiment:${e.configPath || e.name}${e.children.length ? '' : ':empty'}`;
  const count = e.runCount === 1 ? vscode.l10n.t('1 run') : vscode.l10n.t('{0} runs', e.runCount);
  if (e.configExists) {
    const uri = vscode.Uri.file(e.configPath);
    item.contextValue = 'experiment';
    item.iconPath = new vscode.ThemeIcon('beaker');
    item.description = `${count} · ${vscode.workspace.asRelativePath(uri)}`;
    item.command = { command: 'vscode.open', title: vscode.l10n.t('Open Config'), arguments: [uri] };
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown(`**${escapeMarkdown(e.name)}**\n\n`);
    tip.appendText(vscode.workspace.asRelativePath(uri));
    tip.appendMarkdown(`\n\n${escapeMarkdown(count)}`);
    item.tooltip = tip;
  } else {
    item.contextValue = 'experiment.missing';
    item.iconPath = new vscode.ThemeIcon('beaker', new vscode.ThemeColor('disabledForeground'));
    item.description = `${count} · ${vscode.l10n.t('config not found')}`;
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown(`**${escapeMarkdown(e.name)}**\n\n`);
    tip.appendText(vscode.l10n.t('The config these runs were trained from is not in the workspace: {0}', e.configPath || '?'));
    item.tooltip = tip;
  }
  return item;
}

/** A cross-validation: its k fold runs under one item, described by the mean ± std of its validation metric. */
function foldsItem(f: FoldsNode): vscode.TreeItem {
  const done = f.runs.filter((r) => r.state === 'completed').length;
  const label = vscode.l10n.t('Cross-validation ({0}/{1} folds)', done, f.k);
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `folds:${f.key}`;
  item.contextValue = 'folds';
  item.iconPath = new vscode.ThemeIcon('split-horizontal');
  const h = f.headline;
  item.description = h ? vscode.l10n.t('{0} {1} ± {2} (mean ± std)', h.name, formatMetric(h.stat.mean), formatMetric(h.stat.std)) : '';
  const tip = new vscode.MarkdownString();
  tip.appendMarkdown(`**${escapeMarkdown(label)}**\n\n`);
  tip.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Each fold validates on its own 1/{0} of the training data; the test split is the same for all.', f.k))}\n\n`);
  for (const [name, stat] of Object.entries(f.stats)) {
    tip.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('{0}: mean {1} ± {2} (min {3}, max {4})', name, formatMetric(stat.mean), formatMetric(stat.std), formatMetric(stat.min), formatMetric(stat.max)))}\n\n`);
  }
  item.tooltip = tip;
  item.accessibilityInformation = { label: `${label}${item.description ? `, ${String(item.description)}` : ''}` };
  return item;
}

function sweepItem(s: SweepNode): vscode.TreeItem {
  const item = new vscode.TreeItem(vscode.l10n.t('Sweep ({0}/{1} runs)', s.runs.length, s.total), vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `sweep:${s.configPath}#${s.sweepId}`;
  item.contextValue = 'sweep';
  item.iconPath = new vscode.ThemeIcon('layers');
  const arrow = s.objective.goal === 'minimize' ? '↓' : '↑';
  item.description = `${s.paramKeys.map(lastSegment).join(' × ')} · ${s.objective.metric} ${arrow}`;
  const tip = new vscode.MarkdownString();
  tip.appendMarkdown(`**${escapeMarkdown(vscode.l10n.t('Sweep ({0}/{1} runs)', s.runs.length, s.total))}**\n\n`);
  tip.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Varies: {0}', s.paramKeys.join(', ') || '—'))}\n\n`);
  tip.appendMarkdown(escapeMarkdown(vscode.l10n.t('Ranked by {0} ({1})', s.objective.metric, s.objective.goal === 'minimize' ? vscode.l10n.t('lower is better') : vscode.l10n.t('higher is better'))));
  const best = s.runs.find((r) => r.id === s.bestRunId);
  if (best?.meta?.sweep) tip.appendMarkdown(`\n\n★ ${escapeMarkdown(vscode.l10n.t('Best: {0}', paramLabel(best.meta.sweep.params ?? {})))}`);
  item.tooltip = tip;
  return item;
}

/** "Fine-tuned (2)" under a base run. */
function fineTunedItem(group: FineTunedNode): vscode.TreeItem {
  const label = vscode.l10n.t('Fine-tuned ({0})', group.runs.length);
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `fineTuned:${group.key}`;
  item.contextValue = 'fineTuned';
  item.iconPath = new vscode.ThemeIcon('git-merge');
  const tip = new vscode.MarkdownString();
  tip.appendMarkdown(`**${escapeMarkdown(label)}**\n\n`);
  tip.appendText(vscode.l10n.t('Runs that started from this run\'s model (model.base).'));
  item.tooltip = tip;
  return item;
}

/**
 * Where a fine-tuned run came from, in a few words: the base run's experiment
 * and id, or the export folder; said so when the base is gone.
 */
function baseText(link: BaseLink, tree: ExperimentTree): string {
  return vscode.l10n.t('from {0}', baseLabel(link, tree));
}

/** The base itself: `spam-pretrain 20250301-…` (a listed run), `export model-v1`, `run 2025…` (a run folder not listed); said so when it is gone. */
function baseLabel(link: BaseLink, tree: ExperimentTree): string {
  const record = link.record;
  if (link.run) return `${experimentNameOf(tree, link.run)} ${link.run.id}`;
  const label = record.kind === 'export' ? vscode.l10n.t('export {0}', basename(record.path)) : vscode.l10n.t('run {0}', record.id ?? basename(record.path));
  return link.missing ? vscode.l10n.t('{0} (no longer there)', label) : label;
}

function statusWord(run: RunNode): string {
  switch (run.state) {
    case 'running':
      return vscode.l10n.t('running');
    case 'queued':
      return vscode.l10n.t('queued');
    case 'completed':
      return vscode.l10n.t('completed');
    case 'stopped':
      return vscode.l10n.t('stopped');
    case 'failed':
      return vscode.l10n.t('failed');
    case 'interrupted':
      return vscode.l10n.t('interrupted');
    case 'cancelled':
      return vscode.l10n.t('cancelled');
    case 'pruned':
      return vscode.l10n.t('pruned');
    case 'damaged':
      return vscode.l10n.t('unreadable');
  }
}

function statusIcon(run: RunNode): vscode.ThemeIcon {
  switch (run.state) {
    case 'running':
      return new vscode.ThemeIcon('loading~spin');
    case 'queued':
      return new vscode.ThemeIcon('clock');
    case 'completed':
      return run.best
        ? new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.yellow'))
        : new vscode.ThemeIcon('check', new vscode.ThemeColor('testing.iconPassed'));
    case 'stopped':
      return new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('charts.yellow'));
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'interrupted':
      return new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('charts.yellow'));
    case 'cancelled':
      return new vscode.ThemeIcon('circle-slash');
    case 'pruned':
      return new vscode.ThemeIcon('filter', new vscode.ThemeColor('disabledForeground'));
    case 'damaged':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  }
}

/** Backslash-escapes what Markdown would treat as syntax in text from run folders and configs. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&');
}

interface ResolvedConfigLike {
  training?: { optimizer?: { type?: string; learningRate?: number }; batchSize?: number; epochs?: number; seed?: number };
  model?: { type?: string; layers?: unknown };
}

function runTooltip(run: RunNode, tree: ExperimentTree): vscode.MarkdownString {
  const tip = new vscode.MarkdownString();
  const meta = run.meta;
  if (!meta) {
    tip.appendMarkdown(`**${escapeMarkdown(run.id)}** · ${escapeMarkdown(vscode.l10n.t('unreadable'))}\n\n`);
    for (const w of run.warnings) tip.appendMarkdown(`$(warning) ${escapeMarkdown(w)}\n\n`);
    tip.supportThemeIcons = true;
    return tip;
  }
  let config: ResolvedConfigLike | undefined;
  const configFile = join(run.dir, 'config.json');
  if (existsSync(configFile)) {
    try {
      config = JSON.parse(readFileSync(configFile, 'utf8')) as ResolvedConfigLike;
    } catch {
      config = undefined;
    }
  }
  const training = config?.training;
  const optimizer = training?.optimizer;
  const rows: [string, string][] = [
    [vscode.l10n.t('Created'), formatRunTime(meta.createdAt, '—')],
    // With the engine threads it trained with (none recorded for native TensorFlow), as the dashboard's badge.
    [vscode.l10n.t('Backend'), !meta.backend ? '—' : meta.threads === undefined ? meta.backend : meta.threads === 1 ? vscode.l10n.t('{0} · 1 thread', meta.backend) : vscode.l10n.t('{0} · {1} threads', meta.backend, meta.threads)],
    [vscode.l10n.t('Epochs'), `${meta.epochsDone}/${meta.epochsPlanned}`],
    [vscode.l10n.t('Optimizer'), optimizer?.type ? `${optimizer.type}${optimizer.learningRate !== undefined ? `, lr ${optimizer.learningRate}` : ''}` : '—'],
    [vscode.l10n.t('Batch size'), training?.batchSize !== undefined ? String(training.batchSize) : '—'],
    [vscode.l10n.t('Seed'), String(training?.seed ?? meta.seed)],
  ];
  if (meta.job) {
    rows.push([vscode.l10n.t('Job'), `${meta.job.executor} ${meta.job.id}`]);
    if (run.node) rows.push([vscode.l10n.t('Node'), run.node]);
    if (run.reason) rows.push([vscode.l10n.t('Waiting for'), run.reason]);
  }
  // A run that trains, or whose trainer went silent, elsewhere (a cluster node): when it last gave a sign of life.
  if (run.lastHeartbeat && (run.state === 'running' || run.state === 'interrupted' || run.state === 'queued')) rows.push([vscode.l10n.t('Last heartbeat'), formatRunTime(run.lastHeartbeat, '—')]);
  if (meta.sweep) rows.push([vscode.l10n.t('Sweep point'), `${meta.sweep.index + 1}/${meta.sweep.total} · ${paramLabel(meta.sweep.params ?? {})}`]);
  const rung = meta.status === 'pruned' ? prunedRung(meta.sweep) : undefined;
  if (rung) rows.push([vscode.l10n.t('Pruned'), vscode.l10n.t('at epoch {0}: placed {1} of {2} runs, the best {3} went on', rung.epoch, rung.rank!, rung.of!, rung.kept!)]);
  if (run.base) {
    const record = run.base.record;
    rows.push([vscode.l10n.t('Base'), baseLabel(run.base, tree)]);
    rows.push([vscode.l10n.t('Base folder'), `${record.path} (${record.task})`]);
  }
  if (run.fineTuned) rows.push([vscode.l10n.t('Fine-tuned runs'), String(run.fineTuned.runs.length)]);
  for (const [k, v] of Object.entries(meta.lastMetrics ?? {})) if (typeof v === 'number') rows.push([k, formatMetric(v)]);

  tip.supportThemeIcons = true;
  tip.appendMarkdown(`**${escapeMarkdown(meta.name)}** · ${escapeMarkdown(statusWord(run))}${run.best ? ` · ★ ${escapeMarkdown(vscode.l10n.t('best of its sweep'))}` : ''}\n\n`);
  tip.appendMarkdown(`\`${run.id.replace(/`/g, '')}\`\n\n`);
  tip.appendMarkdown(`| | |\n|---|---|\n${rows.map(([k, v]) => `| ${escapeMarkdown(k)} | ${escapeMarkdown(v)} |`).join('\n')}\n\n`);
  if (meta.error) tip.appendMarkdown(`$(error) ${escapeMarkdown(meta.error)}\n\n`);
  for (const w of run.warnings) tip.appendMarkdown(`$(warning) ${escapeMarkdown(w)}\n\n`);
  return tip;
}

