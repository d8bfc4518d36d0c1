// What the Experiments sidebar shows, built from the configs found in the
// workspace and the run folders on disk: each experiment with its runs,
// newest first, a sweep's runs grouped under the sweep with its best run
// marked, runs whose config is gone under their own experiment, and
// unreadable run folders apart. Pure (no vscode), so the tests build trees
// from run lists in plain Node; experimentsView.ts turns nodes into TreeItems.

import type { MetricGoal } from '../../core/metrics';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { whyNotResumable } from '../../node/checkpointFile';
import { bestRunBySweep, chooseMetric, runMetrics } from '../../core/configResults';
import type { RunListEntry } from '../../node/runStoreReader';
import { goalFor } from '../../core/metrics';
import type { RunBase, RunMeta, RunStatus } from '../../core/types';
import { foldStats } from '../../core/crossValidation';
import { rankSweepPoints } from '../../core/sweepBest';
import type { FoldStat } from '../../core/crossValidation';
import { isActiveStatus, isClusterRun } from '../../core/clusterRuns';
import type { ShownRunState } from '../../core/clusterRuns';

export interface ConfigRef {
  /** Absolute path of the *.experiment.json file. */
  path: string;
  /** The config's `name`, when it could be read. */
  name?: string;
}

export interface RunRef {
  entry: RunListEntry;
  /** A training of this window runs it (so it can be stopped from here). */
  training: boolean;
  /** A completed run of a Transformer, which has attention to show (node/textModelRuns.ts). */
  attention?: boolean;
  /** A cluster run as the scheduler moved it on (src/core/clusterRuns.ts); absent: as its folder says. */
  shown?: ShownRunState;
}

export type RunState = RunStatus | 'damaged';

/**
 * Drives the run's menus (package.json `viewItem` clauses):
 * - `run.training`: trained by this window; can be stopped, not deleted.
 * - `run.busy`: running or queued elsewhere (the CLI, another window); not deleted.
 * - `run.cluster`: a cluster job, queued or running; can be cancelled, not deleted.
 * - `run.ended`: completed, stopped, failed or interrupted.
 * - `run.ended.attention`: completed with a Transformer: an ended run that can also be pinned for attention.
 * - `run.resumable`: ended interrupted or stopped with a checkpoint to carry on from.
 * - `run.damaged`: no readable meta.json; can only be revealed or deleted.
 */
export const RUN_CONTEXT_VALUES = ['run.training', 'run.busy', 'run.cluster', 'run.ended', 'run.ended.attention', 'run.resumable', 'run.damaged'] as const;
export type RunContextValue = (typeof RUN_CONTEXT_VALUES)[number];

export interface RunNode {
  kind: 'run';
  /** Stable across refreshes: the run folder. */
  key: string;
  id: string;
  dir: string;
  meta?: RunMeta;
  warnings: string[];
  state: RunState;
  /** For a cluster run: why its job waits (queued) or where it runs (running), as the scheduler said. */
  reason?: string;
  node?: string;
  /** The last heartbeat of its trainer (ISO time), when the reader judged its status by it (src/core/runLiveness.ts). */
  lastHeartbeat?: string;
  contextValue: RunContextValue;
  /** The number shown beside the run: the sweep's metric for sweep runs, else val_loss, else loss. */
  headline?: { name: string; value: number };
  /** The best run of its sweep. */
  best: boolean;
  /** Where a fine-tuned run (`meta.base`) came from. */
  base?: BaseLink;
  /** The runs fine-tuned from this one (any experiment of the listed runs folders), as a child group. */
  fineTuned?: FineTunedNode;
}

/**
 * A fine-tuned run's base as the sidebar found it: the base run's node when it
 * is listed, or only the recorded folder (an export, a run of a runs folder not
 * listed); `missing` when that folder is gone.
 */
export interface BaseLink {
  record: RunBase;
  run?: RunNode;
  missing: boolean;
}

/** "Fine-tuned (2)": the runs fine-tuned from a base run, under it. */
export interface FineTunedNode {
  kind: 'fineTuned';
  key: string;
  base: RunNode;
  /** Newest first; each also listed under its own experiment. */
  runs: LineageRunNode[];
}

/** A fine-tuned run as listed under its base (a second place for the same run, so a tree item of its own). */
export interface LineageRunNode {
  kind: 'lineageRun';
  key: string;
  group: FineTunedNode;
  run: RunNode;
  /** The experiment the run belongs to. */
  experimentName: string;
}

export interface SweepObjective {
  metric: string;
  goal: MetricGoal;
}

export interface SweepNode {
  kind: 'sweep';
  key: string;
  sweepId: string;
  configPath: string;
  /** Points the sweep has (some may not have run yet). */
  total: number;
  /** The config paths the sweep varies, in the order of the first run's params. */
  paramKeys: string[];
  objective: SweepObjective;
  bestRunId?: string;
  /** By sweep point. */
  runs: RunNode[];
  /** The newest run's creation time, which places the sweep among the runs. */
  createdAt: string;
}

/** The k fold runs of one cross-validation, shown as one group with their validation metrics' mean ± std. */
export interface FoldsNode {
  kind: 'folds';
  key: string;
  groupId: string;
  k: number;
  /** In fold order. */
  runs: RunNode[];
  /** Mean ± std (min, max) of each validation metric over the completed folds. */
  stats: Record<string, FoldStat>;
  /** The metric shown beside the group: val_loss, else the first validation metric. */
  headline?: { name: string; stat: FoldStat };
  /** The newest fold's creation time, which places the group among the runs. */
  createdAt: string;
}

export interface ExperimentNode {
  kind: 'experiment';
  key: string;
  configPath: string;
  name: string;
  /** False for runs whose config file is no longer in the workspace. */
  configExists: boolean;
  /** Newest first; a sweep or a cross-validation sits where its newest run would. */
  children: (SweepNode | FoldsNode | RunNode)[];
  runCount: number;
}

export interface ExperimentTree {
  experiments: ExperimentNode[];
  /** Run folders without a readable meta.json. */
  damaged: RunNode[];
}

/** A path as a map key: resolved, case-folded where the file system usually ignores case. */
export function pathKey(path: string, platform: NodeJS.Platform = process.platform): string {
  const full = resolve(path);
  return platform === 'win32' || platform === 'darwin' ? full.toLowerCase() : full;
}

/** `house-prices.experiment.json` → `house-prices`. */
export function configDisplayName(config: ConfigRef): string {
  return config.name?.trim() || basename(config.path).replace(/\.experiment\.json$/i, '');
}

/** `exists`: whether a folder is on disk (a base outside the listed runs). */
export function buildExperimentTree(
  configs: readonly ConfigRef[],
  runs: readonly RunRef[],
  platform: NodeJS.Platform = process.platform,
  exists: (path: string) => boolean = existsSync,
): ExperimentTree {
  const experiments = new Map<string, ExperimentNode>();
  const runsOf = new Map<string, RunRef[]>();
  for (const config of configs) {
    const key = pathKey(config.path, platform);
    if (experiments.has(key)) continue;
    experiments.set(key, { kind: 'experiment', key: config.path, configPath: config.path, name: configDisplayName(config), configExists: true, children: [], runCount: 0 });
  }
  const orphans: ExperimentNode[] = [];
  const damaged: RunNode[] = [];
  const seenDirs = new Set<string>();
  for (const run of runs) {
    const dirKey = pathKey(run.entry.dir, platform);
    if (seenDirs.has(dirKey)) continue; // the same runs folder listed twice
    seenDirs.add(dirKey);
    const meta = run.entry.meta;
    if (!meta) {
      damaged.push(runNode(run, undefined));
      continue;
    }
    const key = pathKey(meta.configPath || `(unknown)/${meta.name}`, platform);
    let experiment = experiments.get(key);
    if (!experiment) {
      experiment = { kind: 'experiment', key: meta.configPath || meta.name, configPath: meta.configPath, name: meta.name, configExists: false, children: [], runCount: 0 };
      experiments.set(key, experiment);
      orphans.push(experiment);
    }
    const list = runsOf.get(key);
    if (list) list.push(run);
    else runsOf.set(key, [run]);
  }

  for (const [key, experiment] of experiments) {
    const list = runsOf.get(key) ?? [];
    experiment.runCount = list.length;
    experiment.children = groupRuns(experiment.configPath, list);
  }
  linkLineage([...experiments.values()], platform, exists);
  const found = [...experiments.values()].filter((e) => e.configExists);
  orphans.sort((a, b) => a.name.localeCompare(b.name) || a.configPath.localeCompare(b.configPath));
  damaged.sort((a, b) => b.id.localeCompare(a.id));
  return { experiments: [...found, ...orphans], damaged };
}

/**
 * Ties each fine-tuned run to its base: the listed run whose folder the base
 * was read from (the run folder or its model/ folder), else the listed run of
 * that id; the base gets a "Fine-tuned" group of them.
 */
function linkLineage(experiments: readonly ExperimentNode[], platform: NodeJS.Platform, exists: (path: string) => boolean): void {
  const byDir = new Map<string, RunNode>();
  const byId = new Map<string, RunNode>();
  const nameOf = new Map<RunNode, string>();
  for (const experiment of experiments) {
    for (const run of runsUnder(experiment)) {
      byDir.set(pathKey(run.dir, platform), run);
      if (!byId.has(run.id)) byId.set(run.id, run);
      nameOf.set(run, experiment.name);
    }
  }
  const children = new Map<RunNode, RunNode[]>();
  for (const run of nameOf.keys()) {
    const record = run.meta?.base;
    if (!record) continue;
    let base: RunNode | undefined;
    if (record.kind === 'run') {
      const folder = basename(record.path) === 'model' ? dirname(record.path) : record.path;
      base = byDir.get(pathKey(folder, platform)) ?? byDir.get(pathKey(record.path, platform)) ?? (record.id ? byId.get(record.id) : undefined);
    }
    if (base === run) base = undefined;
    run.base = { record, ...(base ? { run: base } : {}), missing: !base && !exists(record.path) };
    if (base) {
      const list = children.get(base);
      if (list) list.push(run);
      else children.set(base, [run]);
    }
  }
  for (const [base, list] of children) {
    const group: FineTunedNode = { kind: 'fineTuned', key: `${base.dir}#fineTuned`, base, runs: [] };
    list.sort((a, b) => newerFirst(a.meta?.createdAt ?? '', b.meta?.createdAt ?? '', a.id, b.id));
    group.runs = list.map((run) => ({ kind: 'lineageRun', key: `${group.key}:${run.dir}`, group, run, experimentName: nameOf.get(run) ?? run.meta?.name ?? run.id }));
    base.fineTuned = group;
  }
}

/** The experiment a listed run belongs to, by name (its config's name, else the run's). */
export function experimentNameOf(tree: ExperimentTree, run: RunNode): string {
  return tree.experiments.find((e) => runsUnder(e).includes(run))?.name ?? run.meta?.name ?? run.id;
}

function groupRuns(configPath: string, runs: readonly RunRef[]): (SweepNode | FoldsNode | RunNode)[] {
  const sweeps = new Map<string, RunRef[]>();
  const folds = new Map<string, RunRef[]>();
  const children: (SweepNode | FoldsNode | RunNode)[] = [];
  for (const run of runs) {
    const sweep = run.entry.meta?.sweep;
    const fold = run.entry.meta?.fold;
    if (sweep && typeof sweep.id === 'string') {
      const members = sweeps.get(sweep.id);
      if (members) members.push(run);
      else sweeps.set(sweep.id, [run]);
    } else if (fold && typeof fold.id === 'string') {
      const members = folds.get(fold.id);
      if (members) members.push(run);
      else folds.set(fold.id, [run]);
    } else {
      children.push(runNode(run, undefined));
    }
  }
  for (const [sweepId, members] of sweeps) children.push(sweepNode(configPath, sweepId, members));
  for (const [groupId, members] of folds) children.push(foldsNode(configPath, groupId, members));
  return children.sort((a, b) => newerFirst(createdOf(a), createdOf(b), a.key, b.key));
}

function createdOf(node: SweepNode | FoldsNode | RunNode): string {
  return node.kind === 'run' ? (node.meta?.createdAt ?? '') : node.createdAt;
}

function foldsNode(configPath: string, groupId: string, members: RunRef[]): FoldsNode {
  const runs = members.map((run) => runNode(run, undefined)).sort((a, b) => (a.meta!.fold!.index - b.meta!.fold!.index) || b.id.localeCompare(a.id));
  const metas = runs.map((r) => r.meta!);
  const stats = foldStats(metas.map((m) => (m.status === 'completed' ? validationLogs(runMetrics(m)) : undefined)));
  const name = 'val_loss' in stats ? 'val_loss' : Object.keys(stats)[0];
  const k = Math.max(...metas.map((m) => (Number.isInteger(m.fold!.k) ? m.fold!.k : 0)), runs.length);
  const createdAt = metas.map((m) => m.createdAt).sort().pop() ?? '';
  return { kind: 'folds', key: `${configPath}#folds:${groupId}`, groupId, k, runs, stats, ...(name ? { headline: { name, stat: stats[name] } } : {}), createdAt };
}

function validationLogs(logs: Record<string, number> | undefined): Record<string, number> | undefined {
  return logs && Object.fromEntries(Object.entries(logs).filter(([key]) => key.startsWith('val_')));
}

function newerFirst(aTime: string, bTime: string, aKey: string, bKey: string): number {
  const a = Date.parse(aTime);
  const b = Date.parse(bTime);
  if (a !== b && Number.isFinite(a) && Number.isFinite(b)) return b - a;
  // Run ids start with their creation time.
  return bKey.localeCompare(aKey);
}

function sweepNode(configPath: string, sweepId: string, members: RunRef[]): SweepNode {
  const metas = members.map((m) => m.entry.meta!);
  const objective = sweepObjective(metas);
  // The same ranking as the results shown in the config (completed runs, best epoch's logs).
  // A cross-validated sweep ranks its points by their folds' mean (as modellab sweep does): the best point's first fold carries the ★.
  const best = metas.some((m) => m.fold)
    ? (() => {
        const top = rankSweepPoints(metas, sweepId, objective.metric, objective.goal)[0];
        return top?.value !== undefined ? { runId: top.runs[0].id } : undefined;
      })()
    : bestRunBySweep(metas.map((meta) => ({ id: meta.id, meta })), () => objective).get(sweepId);
  const runs = members
    .map((run) => runNode(run, objective.metric, run.entry.meta!.id === best?.runId))
    .sort((a, b) => (a.meta!.sweep!.index - b.meta!.sweep!.index) || b.id.localeCompare(a.id));
  const paramKeys: string[] = [];
  for (const meta of metas) for (const key of Object.keys(meta.sweep?.params ?? {})) if (!paramKeys.includes(key)) paramKeys.push(key);
  const createdAt = metas.map((m) => m.createdAt).sort().pop() ?? '';
  const total = Math.max(...metas.map((m) => (Number.isInteger(m.sweep!.total) ? m.sweep!.total : 0)), members.length);
  return { kind: 'sweep', key: `${configPath}#sweep:${sweepId}`, sweepId, configPath, total, paramKeys, objective, bestRunId: best?.runId, runs, createdAt };
}

/**
 * The metric a sweep ranks its runs by and which way is better: from the
 * runs' sweep record when it names one (`metric`, `goal`), else val_loss when
 * the runs have validation data, else loss; maximized for accuracies.
 */
export function sweepObjective(metas: readonly RunMeta[]): SweepObjective {
  let metric: string | undefined;
  let goal: SweepObjective['goal'] | undefined;
  for (const meta of metas) {
    const loose = meta.sweep as unknown as { metric?: unknown; goal?: unknown } | undefined;
    if (!metric && typeof loose?.metric === 'string' && loose.metric) metric = loose.metric;
    if (!goal && (loose?.goal === 'minimize' || loose?.goal === 'maximize')) goal = loose.goal;
  }
  const chosen = chooseMetric(metas.map((meta) => ({ id: meta.id, config: null, metrics: runMetrics(meta) })), metric);
  return { metric: chosen, goal: goalFor(chosen, goal) };
}

function objectiveValue(run: RunRef, metric: string): number | undefined {
  const value = runMetrics(run.entry.meta)?.[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function runNode(run: RunRef, sweepMetric: string | undefined, best = false): RunNode {
  const { entry } = run;
  const meta = entry.meta;
  const shown = meta ? (run.shown ?? { status: meta.status }) : undefined;
  const state: RunState = shown ? shown.status : 'damaged';
  let contextValue: RunContextValue;
  if (!meta) contextValue = 'run.damaged';
  else if (run.training) contextValue = 'run.training';
  else if (isClusterRun(meta) && isActiveStatus(state as RunStatus)) contextValue = 'run.cluster';
  else if (state === 'running' || state === 'queued') contextValue = 'run.busy';
  else if (whyNotResumable(meta, entry.dir) === undefined) contextValue = 'run.resumable';
  else contextValue = run.attention ? 'run.ended.attention' : 'run.ended';
  return {
    kind: 'run',
    key: entry.dir,
    id: entry.id,
    dir: entry.dir,
    meta,
    warnings: entry.warnings,
    state,
    ...(shown?.reason ? { reason: shown.reason } : {}),
    ...(shown?.node ? { node: shown.node } : {}),
    ...(entry.liveness?.lastHeartbeat ? { lastHeartbeat: entry.liveness.lastHeartbeat } : {}),
    contextValue,
    headline: headline(run, sweepMetric),
    best,
  };
}

function headline(run: RunRef, sweepMetric: string | undefined): RunNode['headline'] {
  const logs = run.entry.meta?.lastMetrics;
  if (sweepMetric) {
    const value = objectiveValue(run, sweepMetric);
    if (value !== undefined) return { name: sweepMetric, value };
  }
  if (!logs) return undefined;
  for (const name of ['val_loss', 'loss']) {
    const value = logs[name];
    if (typeof value === 'number') return { name, value };
  }
  const first = Object.entries(logs).find(([, v]) => typeof v === 'number');
  return first ? { name: first[0], value: first[1] } : undefined;
}


/**
 * A run's creation time in local time, short enough for a sidebar row:
 * `01-31 14:05:09` in the current year, `2024-01-31 14:05:09` before it;
 * the fallback (the run id) when the time is unreadable.
 */
export function formatRunTime(createdAt: string | undefined, fallback: string, now: Date = new Date()): string {
  const d = createdAt ? new Date(createdAt) : undefined;
  if (!d || Number.isNaN(d.getTime())) return fallback;
  const p = (n: number) => String(n).padStart(2, '0');
  const day = `${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return `${d.getFullYear() === now.getFullYear() ? day : `${d.getFullYear()}-${day}`} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Every run of a subtree, in tree order. */
export function runsUnder(node: ExperimentNode | SweepNode | FoldsNode | RunNode): RunNode[] {
  if (node.kind === 'run') return [node];
  const children = node.kind === 'experiment' ? node.children : node.runs;
  return children.flatMap((child) => runsUnder(child));
}
