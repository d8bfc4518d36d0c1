// `modellab sweep <config>`: one run per point of the config's sweep section,
// sequential by default (in this process), or N at a time in trainer child
// processes; then a table of the runs ranked by the sweep's metric.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { rankRuns, runMetrics } from '../core/configResults';
import { formatMetric, goalFor } from '../core/metrics';
import type { MetricGoal } from '../core/metrics';
import type { RunResultInput } from '../core/configResults';
import { formatDiagnostic, validateConfigFile } from '../node/configValidation';
import type { StartTrainingMessage, TrainerEvent } from '../core/protocol/trainer';
import { describeParams, formatParamValue, newSweepId, shortParamNames, sweepMethod } from '../core/sweep';
import type { SweepPoint } from '../core/sweep';
import { planSweep } from '../core/sweepPlan';
import type { SweepObservation } from '../core/sweepPlan';
import { earlyTerminationOf, sweepMetricOf } from '../core/sweepValidation';
import type { BackendChoice, FoldMembership, RunMeta, SweepMembership, SweepMethod } from '../core/types';
import { foldMeans, foldMemberships, foldStat } from '../core/crossValidation';
import { evaluationHeadline } from '../core/evaluationMetrics';
import { readRunSnapshot } from '../node/runStoreReader';
import { TrainingProcess } from '../node/trainingProcess';
import { thisMachine } from '../node/machineCpus';
import { resolveThreads, threadsText } from '../core/threads';
import type { ThreadRequest } from '../core/threads';
import { ConfigInvalidError, runTraining } from '../trainer/engine';

export interface SweepCommandOptions {
  configPath: string;
  runsDir: string;
  backend: BackendChoice;
  epochs?: number;
  /** Overrides the config's `sweep.concurrency`. */
  concurrency?: number;
  json: boolean;
  /** Where the bundled trainer may be, for concurrency > 1. */
  trainerScripts?: string[];
  /** --threads and MODELLAB_THREADS; the sweep adds how many of its runs train at once (they share the cores). */
  threads?: ThreadRequest;
}

/** One sweep point and the run that trained it (no meta: the run never started). */
export interface PointOutcome {
  point: SweepPoint;
  /** The point's run; for a cross-validated point, its first fold's (the point's status is the worst of its folds'). */
  meta?: RunMeta;
  /** A cross-validated point's fold runs, in fold order. */
  folds?: RunMeta[];
  runDir?: string;
  error?: string;
}

export async function sweepCommand(opts: SweepCommandOptions): Promise<number> {
  const configPath = resolve(opts.configPath);
  const validation = validateConfigFile(configPath);
  const problems = validation.diagnostics.filter((d) => d.severity !== 'info');
  for (const d of problems) process.stderr.write(formatDiagnostic(opts.configPath, d) + '\n');
  if (!validation.config) return 1;
  const sweep = validation.config.sweep;
  if (!sweep) {
    process.stderr.write(`modellab: ${opts.configPath} has no "sweep" section; add one, e.g. "sweep": { "parameters": { "training.optimizer.learningRate": [0.001, 0.01] } }\n`);
    return 1;
  }
  const metric = sweepMetricOf(validation.config);
  // Cross-validated: one point is k fold runs, ranked by their mean.
  const folds = validation.config.training?.crossValidation?.folds;
  // Runs that fall behind at a rung stop as pruned; each decides from its siblings' run folders.
  const earlyTermination = earlyTerminationOf(validation.config);
  const goal = goalFor(metric, sweep.goal);
  // Grid and random points are known now; a bayes point is drawn when its slot frees up, from the runs finished by then.
  const plan = planSweep(sweep, goal);
  const total = plan.total;
  const sweepId = newSweepId();
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? sweep.concurrency ?? 1, total));
  const trainer = (opts.trainerScripts ?? []).find((f) => existsSync(f));
  const parallel = concurrency > 1 && trainer !== undefined;
  if (concurrency > 1 && !trainer) process.stderr.write('warning: the trainer bundle (dist/trainer.js) is missing, so the points run one at a time; run `npm run build` for parallel runs\n');
  // The runs training at once share the cores: each run's engine threads are its share, unless a count was set (src/core/threads.ts).
  const threads: ThreadRequest = { ...opts.threads, sharedBy: parallel ? concurrency : 1 };
  const threadDecision = resolveThreads(threads, validation.config.training?.threads, thisMachine());
  process.stderr.write(`sweep ${sweepId}: ${total} run(s) of ${validation.config.name} (${sweepMethod(sweep)}), ${parallel ? `${concurrency} at a time` : 'one at a time'}, ${threadsText(threadDecision.threads)} each, ranked by ${metric} (${goal})\n`);
  if (threadDecision.oversubscribed) process.stderr.write(`warning: ${threadDecision.oversubscribed}\n`);
  const runOpts = { ...opts, threads };

  const abort = new AbortController();
  const processes = new Set<TrainingProcess>();
  const onSigint = () => {
    process.stderr.write('\nstopping the sweep: the running point(s) stop after this batch, the rest are not started (Ctrl+C again to quit at once)\n');
    abort.abort();
    for (const p of processes) p.stop();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);

  const outcomes: PointOutcome[] = [];
  const started = Date.now();
  const finished = (): SweepObservation[] =>
    outcomes.map((o) => ({ params: o.point.params, value: pointMetrics(o)?.[metric] }));
  let next = 0;
  const worker = async () => {
    while (!abort.signal.aborted && next < total) {
      const point = plan.point(next++, finished());
      const membership: SweepMembership = { id: sweepId, index: point.index, total, params: point.params, ...(earlyTermination ? { earlyTermination } : {}) };
      const label = `[${point.index + 1}/${total}] ${describeParams(point.params)}`;
      if (!opts.json) process.stderr.write(`${label} …\n`);
      const t0 = Date.now();
      const one = (fold?: FoldMembership) =>
        parallel ? runForked(trainer!, runOpts, configPath, point, membership, processes, fold) : runInProcess(runOpts, configPath, point, membership, abort.signal, fold);
      const outcome = folds ? await crossValidatedPoint(point, folds, one, abort.signal) : await one();
      outcomes.push(outcome);
      const value = pointMetrics(outcome) ?? runMetrics(outcome.meta);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ type: 'point', sweepId, index: point.index, params: point.params, runId: outcome.meta?.id, status: outcome.meta?.status ?? 'failed', metrics: value, error: outcome.error ?? outcome.meta?.error }) + '\n');
      } else {
        const how = outcome.meta ? `${outcome.meta.status}${value?.[metric] !== undefined ? ` ${metric} ${formatMetric(value[metric])}` : ''} (${outcome.meta.epochsDone} epochs, ${((Date.now() - t0) / 1000).toFixed(1)} s)` : 'failed';
        const why = outcome.error ?? outcome.meta?.error;
        process.stderr.write(`${label} ${how}${why ? ` — ${why}` : ''}\n`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel ? concurrency : 1 }, worker));
  } finally {
    process.removeListener('SIGINT', onSigint);
  }

  return printSweepRanking({ sweepId, method: sweepMethod(sweep), metric, goal, paths: Object.keys(sweep.parameters), total, outcomes, startedMs: started, json: opts.json });
}

/** A sweep's runs once they ended (trained here, or as cluster jobs), for printSweepRanking. */
export interface SweepRankingInput {
  sweepId: string;
  method: SweepMethod;
  metric: string;
  goal: MetricGoal;
  /** The swept config paths, in the sweep's order (the table's columns). */
  paths: string[];
  /** Points the sweep has; those without an outcome were not run. */
  total: number;
  outcomes: PointOutcome[];
  startedMs: number;
  json: boolean;
}

/**
 * Prints a finished sweep: its runs ranked by the sweep's metric (a table, or
 * one JSON line), the best marked. The exit code: 1 when a point failed or
 * was interrupted, else 0.
 */
export function printSweepRanking(input: SweepRankingInput): number {
  const { sweepId, metric, goal, total } = input;
  const outcomes = [...input.outcomes].sort((a, b) => a.point.index - b.point.index);
  const inputs: RunResultInput[] = outcomes.filter((o) => o.meta).map((o) => ({ id: o.meta!.id, config: null, metrics: pointMetrics(o) }));
  // Once a run is evaluated, its test metric (never a ranking) is shown beside the ranking metric, labelled as such.
  const tests = new Map(outcomes.filter((o) => o.meta).map((o) => [o.meta!.id, pointTestMetrics(o)]));
  const testKey = testMetricKey(metric, [...tests.values()]);
  const ranking = rankRuns(inputs, metric, goal);
  const best = ranking[0]?.value !== undefined ? ranking[0] : undefined;
  const byRun = new Map(outcomes.filter((o) => o.meta).map((o) => [o.meta!.id, o]));
  const ordered = [...ranking.map((r) => byRun.get(r.id)!), ...outcomes.filter((o) => !o.meta)];
  const notRun = total - outcomes.length;

  if (input.json) {
    process.stdout.write(
      JSON.stringify({
        type: 'sweep',
        sweepId,
        method: input.method,
        metric,
        goal,
        best: best && { runId: best.id, value: best.value, params: byRun.get(best.id)?.point.params },
        runs: ordered.map((o) => ({ index: o.point.index, params: o.point.params, runId: o.meta?.id, runDir: o.runDir, status: o.meta?.status ?? 'failed', value: o.folds ? pointMetrics(o)?.[metric] : runMetrics(o.meta)?.[metric], epochs: o.meta?.epochsDone, test: o.meta ? tests.get(o.meta.id) : undefined, folds: o.folds?.map((f) => ({ runId: f.id, status: f.status, value: runMetrics(f)?.[metric] })) })),
        notRun,
      }) + '\n',
    );
  } else {
    const paths = input.paths;
    const names = shortParamNames(paths);
    const cv = outcomes.some((o) => o.folds);
    const rankLabel = cv ? `${metric} (mean ± std of folds)` : metric;
    const header = ['', 'rank', ...paths.map((p) => names[p]), rankLabel, ...(testKey ? [`test ${testKey}${cv ? ' (mean)' : ''}`] : []), 'epochs', 'status', 'run'];
    const rows = ordered.map((o, i) => {
      const m = o.meta;
      const value = pointMetrics(o)?.[metric];
      const spread = o.folds ? foldStat(o.folds.map((f) => runMetrics(f)?.[metric] ?? NaN)) : undefined;
      const shown = o.folds && value !== undefined && spread ? `${formatMetric(spread.mean)} ± ${formatMetric(spread.std)}` : formatMetric(value);
      const test = testKey ? [formatMetric(m ? tests.get(m.id)?.[testKey] : undefined)] : [];
      const status = o.folds ? `${o.folds.filter((f) => f.status === 'completed').length}/${o.folds.length} folds` : (m?.status ?? 'failed');
      return [best && m?.id === best.id ? '★' : '', String(i + 1), ...paths.map((p) => formatParamValue(o.point.params[p])), shown, ...test, m ? String(m.epochsDone) : '—', status, m?.id ?? '—'];
    });
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
    process.stdout.write(`\nsweep ${sweepId}: ${outcomes.length} of ${total} run(s) in ${((Date.now() - input.startedMs) / 1000).toFixed(1)} s, ranked by ${metric} (${goal})\n`);
    process.stdout.write(line(header) + '\n');
    for (const r of rows) process.stdout.write(line(r) + '\n');
    if (best) process.stdout.write(`best: ${best.id} — ${describeParams(byRun.get(best.id)!.point.params)} — ${metric} ${formatMetric(best.value)}\n`);
    const pruned = outcomes.filter((o) => o.meta?.status === 'pruned');
    if (pruned.length > 0) {
      const trained = outcomes.reduce((n, o) => n + (o.meta?.epochsDone ?? 0), 0);
      const planned = outcomes.reduce((n, o) => n + (o.meta?.epochsPlanned ?? 0), 0);
      process.stdout.write(`early termination pruned ${pruned.length} of ${outcomes.length} run(s): ${trained} of ${planned} planned epochs trained\n`);
    }
    if (notRun > 0) process.stdout.write(`${notRun} point(s) not run (stopped)\n`);
  }
  const failed = outcomes.some((o) => !o.meta || o.meta.status === 'failed' || o.meta.status === 'interrupted' || o.meta.status === 'cancelled');
  return failed ? 1 : 0;
}

/** A cross-validated point's metrics: its folds' means once every fold completed; a single run's kept metrics once it completed. */
export function pointMetrics(o: PointOutcome): Record<string, number> | undefined {
  if (o.folds) return o.folds.length > 0 && o.folds.every((f) => f.status === 'completed') && o.folds.length === o.folds[0].fold?.k ? foldMeans(o.folds.map((f) => runMetrics(f))) : undefined;
  return o.meta?.status === 'completed' ? runMetrics(o.meta) : undefined;
}

/** The test metrics of a point's evaluated run(s) (the folds' mean), read from their run folders. */
function pointTestMetrics(o: PointOutcome): Record<string, number> | undefined {
  const dirs = o.folds ? o.folds.map((f) => join(o.runDir ? dirname(o.runDir) : '', f.id)) : o.runDir ? [o.runDir] : [];
  const evaluations = dirs.map((dir) => readRunSnapshot(dir, false).evaluation).map((e) => (e && e.split === 'test' ? evaluationHeadline(e) : undefined));
  if (evaluations.length === 0 || evaluations.some((e) => e === undefined)) return undefined;
  return foldMeans(evaluations);
}

/** The test metric shown beside the ranking: the one named like the ranking metric (val_mae → mae), else the evaluation's first. */
function testMetricKey(metric: string, tests: (Record<string, number> | undefined)[]): string | undefined {
  const first = tests.find((t) => t && Object.keys(t).length > 0);
  if (!first) return undefined;
  const base = metric.replace(/^val_/, '');
  return base in first ? base : Object.keys(first)[0];
}

/** Trains a point's k folds one after another (stopping when the sweep stops); the point's outcome carries them all. */
async function crossValidatedPoint(point: SweepPoint, k: number, one: (fold: FoldMembership) => Promise<PointOutcome>, signal: AbortSignal): Promise<PointOutcome> {
  const metas: RunMeta[] = [];
  let first: PointOutcome | undefined;
  for (const fold of foldMemberships(k)) {
    if (signal.aborted && first) break;
    const o = await one(fold);
    first ??= o;
    if (!o.meta) return { point, error: o.error, folds: metas, meta: metas[0], runDir: first.runDir };
    metas.push(o.meta);
    if (o.meta.status !== 'completed') break;
  }
  const worst = metas.find((m) => m.status !== 'completed');
  return { point, meta: worst ? { ...metas[0], status: worst.status, error: worst.error } : metas[0], runDir: first?.runDir, folds: metas };
}

async function runInProcess(opts: SweepCommandOptions, configPath: string, point: SweepPoint, sweep: SweepMembership, signal: AbortSignal, fold?: FoldMembership): Promise<PointOutcome> {
  const onEvent = (e: TrainerEvent) => {
    if (e.type === 'log' && e.level === 'error' && !opts.json) process.stderr.write(`  error: ${e.message}\n`);
  };
  try {
    const r = await runTraining({ configPath, runsDir: opts.runsDir, backend: opts.backend, epochs: opts.epochs, overrides: point.params, sweep, fold, threads: opts.threads, signal, onEvent });
    return { point, meta: r.meta, runDir: r.runDir };
  } catch (e) {
    return { point, error: e instanceof ConfigInvalidError ? e.message : (e as Error).message };
  }
}

function runForked(trainerScript: string, opts: SweepCommandOptions, configPath: string, point: SweepPoint, sweep: SweepMembership, processes: Set<TrainingProcess>, fold?: FoldMembership): Promise<PointOutcome> {
  const start: StartTrainingMessage = { type: 'start', configPath, runsDir: opts.runsDir, backend: opts.backend, epochs: opts.epochs, overrides: point.params, sweep, fold, threads: opts.threads };
  let lastError: string | undefined;
  const child = new TrainingProcess(
    { trainerScript, runtime: { execPath: process.execPath, env: {} }, start, cwd: dirname(configPath) },
    {
      onEvent: (e) => {
        if (e.type === 'log' && e.level === 'error') lastError = e.message;
      },
      onOutput: () => {},
      onNote: (message) => !opts.json && process.stderr.write(`  ${message}\n`),
      onExit: () => {},
    },
  );
  processes.add(child);
  return child.done.then((outcome) => {
    processes.delete(child);
    return { point, meta: outcome.meta, runDir: child.runDir, error: outcome.meta ? undefined : (lastError ?? outcome.reason) };
  });
}

/** Where the trainer bundle sits: beside the CLI bundle, or (running from sources) in dist/. */
export function defaultTrainerScripts(cliDir: string): string[] {
  return [join(cliDir, 'trainer.js'), join(cliDir, '..', '..', 'dist', 'trainer.js')];
}
