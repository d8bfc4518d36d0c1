// `modellab best <config>`: "Train Best on All Training Data" — finds the best
// point of the config's newest sweep (or --sweep ID) by the sweep's metric
// (a cross-validated point by its folds' mean), and retrains its values on
// train + validation for the epochs its run stopped at (its kept epoch; the
// folds' mean, rounded), then evaluates on test and prints the retrained
// model's test metrics beside the best run's.

import { resolve } from 'node:path';
import { foldStats, formatFoldStat } from '../core/crossValidation';
import { evaluationHeadline } from '../core/evaluationMetrics';
import { formatMetric, goalFor } from '../core/metrics';
import type { MetricGoal } from '../core/metrics';
import { describeParams } from '../core/sweep';
import { rankSweepPoints, retrainSourceOf, sweepsOf } from '../core/sweepBest';
import type { SweepPointResult } from '../core/sweepBest';
import { sweepMetricOf } from '../core/sweepValidation';
import type { Evaluation, ExperimentConfig, RetrainSource, RunMeta } from '../core/types';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setEnsembleTestMetrics, testMetricsOf, writeEnsemble } from '../trainer/ensemble';
import type { EnsembleMember } from '../trainer/ensemble';
import { formatDiagnostic, validateConfigFile } from '../node/configValidation';
import { listRuns, readRunSnapshot } from '../node/runStoreReader';
import { UsageError } from './args';
import { fmt, printTrainResult } from './trainReport';

export interface RetrainPlan {
  configPath: string;
  sweepId: string;
  metric: string;
  goal: MetricGoal;
  best: SweepPointResult;
  source: RetrainSource;
  /** The run folders of the best point's runs, in order. */
  bestDirs: string[];
  /** Every point, best first, and each run's folder by id (for an ensemble of the top points). */
  ranked: SweepPointResult[];
  dirOf: Map<string, string>;
  config: ExperimentConfig;
}

/** The best point of a config's sweep and what its retrain records; a UsageError says why there is none. */
export function planRetrain(configArg: string, runsDir: string, sweepId?: string): RetrainPlan {
  const configPath = resolve(configArg);
  const validation = validateConfigFile(configPath);
  if (!validation.config) throw new UsageError(`${configArg} is not a valid config:\n${validation.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(configArg, d)).join('\n')}`);
  if (!validation.config.sweep) throw new UsageError(`${configArg} has no "sweep" section: there is no best point to retrain`);
  const metric = sweepMetricOf(validation.config);
  const goal = goalFor(metric, validation.config.sweep.goal);
  const listed = listRuns(runsDir);
  const metas = listed.flatMap((r) => (r.meta ? [r.meta] : []));
  const sweeps = sweepsOf(metas, configPath);
  const id = sweepId ?? sweeps[0];
  if (!id) throw new UsageError(`no sweep of ${configArg} in ${runsDir}: run \`modellab sweep ${configArg}\` first`);
  if (!sweeps.includes(id)) throw new UsageError(`no sweep "${id}" of ${configArg} in ${runsDir}${sweeps.length ? ` (its sweeps: ${sweeps.slice(0, 5).join(', ')})` : ''}`);
  const ranked = rankSweepPoints(metas, id, metric, goal);
  const source = retrainSourceOf(ranked, id, metric);
  if (!source) throw new UsageError(`sweep ${id} has no completed point with ${metric}: nothing to retrain`);
  const dirs = new Map(listed.map((r) => [r.id, r.dir]));
  return { configPath, sweepId: id, metric, goal, best: ranked[0], source, bestDirs: ranked[0].runs.map((r) => dirs.get(r.id)!), ranked, dirOf: dirs, config: validation.config };
}

/** The test metrics of the best point's runs: one run's, or the folds' mean ± std. */
function bestTestMetrics(plan: RetrainPlan): { text: Record<string, string>; values: Record<string, number> } {
  const best = plan.best;
  const evaluations = plan.bestDirs.map((dir) => readRunSnapshot(dir, false).evaluation);
  const stats = foldStats(evaluations.map((e) => (e && e.split === 'test' ? evaluationHeadline(e) : undefined)));
  const text: Record<string, string> = {};
  const values: Record<string, number> = {};
  for (const [key, s] of Object.entries(stats)) {
    text[key] = best.runs.length > 1 ? formatFoldStat(s, fmt) : fmt(s.mean);
    values[key] = s.mean;
  }
  return { text, values };
}

export function describePlan(plan: RetrainPlan): string {
  const { best, metric } = plan;
  const value = best.spread ? `${formatMetric(best.spread.mean)} ± ${formatMetric(best.spread.std)} over ${best.runs.length} folds` : formatMetric(best.value);
  return `best point of sweep ${plan.sweepId}: ${describeParams(best.params)} — ${metric} ${value} (run ${best.runs[0].id}); retraining on train + validation for ${plan.source.epochs} epoch(s)`;
}

/** Prints the retrained run and its test metrics beside the best run's; the exit code of printTrainResult. */
export function printRetrainResult(json: boolean, plan: RetrainPlan, result: { meta: RunMeta; runDir: string; evaluation?: Evaluation }): number {
  const before = bestTestMetrics(plan);
  const after = result.evaluation && result.evaluation.split === 'test' ? evaluationHeadline(result.evaluation) : undefined;
  if (json) {
    process.stdout.write(JSON.stringify({ type: 'retrain', sweepId: plan.sweepId, metric: plan.metric, bestRun: plan.best.runs[0].id, bestValue: plan.best.value, params: plan.best.params, epochs: plan.source.epochs, runId: result.meta.id, runDir: result.runDir, status: result.meta.status, rows: result.meta.dataSizes, test: after, bestRunTest: before.values, error: result.meta.error }) + '\n');
    return result.meta.status === 'completed' ? 0 : 1;
  }
  const code = printTrainResult(false, result);
  const keys = Object.keys(after ?? before.values);
  if (keys.length) {
    const label = plan.best.runs.length > 1 ? `best point (${plan.best.runs.length} folds, mean ± std)` : `best run ${plan.best.runs[0].id}`;
    const rows = [
      ['test metrics', ...keys],
      [label, ...keys.map((k) => before.text[k] ?? '—')],
      [`retrained on train + validation (${result.meta.dataSizes?.train ?? '?'} rows, ${result.meta.epochsDone} epochs)`, ...keys.map((k) => fmt(after?.[k]))],
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) process.stdout.write(r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd() + '\n');
  }
  return code;
}

/**
 * modellab best --ensemble K: the models of the sweep's top K points (a
 * cross-validated point's fold models all) as one ensemble folder that
 * `modellab serve` serves like a single model; its test metrics printed
 * beside the single best run's, both scored by the same code on the same
 * test rows. Returns the exit code.
 */
export async function ensembleCommand(plan: RetrainPlan, k: number, out: string | undefined, runsDir: string, json: boolean): Promise<number> {
  const points = plan.ranked.filter((p) => p.value !== undefined).slice(0, k);
  const members: EnsembleMember[] = points.flatMap((p) => p.runs.map((r) => ({ runId: r.id, runDir: plan.dirOf.get(r.id)!, value: p.value })));
  const usable = members.filter((m) => existsSync(join(m.runDir, 'model')));
  const folder = resolve(out ?? join(dirname(resolve(runsDir)), 'ensembles', `${plan.sweepId}-top${k}`));
  writeEnsemble(folder, usable, { name: `${plan.config.name}-ensemble`, task: plan.config.task, sweepId: plan.sweepId, metric: plan.metric });
  const ensemble = await testMetricsOf(folder, plan.config, plan.configPath);
  setEnsembleTestMetrics(folder, ensemble);
  const single = await testMetricsOf(plan.bestDirs[0], plan.config, plan.configPath);
  if (json) {
    process.stdout.write(JSON.stringify({ type: 'ensemble', dir: folder, sweepId: plan.sweepId, members: usable.map((m) => m.runId), test: ensemble.metrics, bestRun: plan.best.runs[0].id, bestRunTest: single.metrics, count: ensemble.count }) + '\n');
    return 0;
  }
  const keys = Object.keys(ensemble.metrics);
  const rows = [
    [`test metrics (${ensemble.count} rows)`, ...keys],
    [`best run ${plan.best.runs[0].id}`, ...keys.map((key) => fmt(single.metrics[key]))],
    [`ensemble of ${usable.length} model(s) from the top ${points.length} point(s)`, ...keys.map((key) => fmt(ensemble.metrics[key]))],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  process.stdout.write(`\nensemble: ${folder}\n`);
  for (const r of rows) process.stdout.write(r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd() + '\n');
  process.stdout.write(`serve it: modellab serve ${folder}\n`);
  return 0;
}
