// A sweep's early termination: asynchronous successive halving (ASHA, the
// rule behind Hyperband, Ray Tune's ASHA scheduler and Optuna's pruner).
// Rungs stand at minEpochs·η^k epochs; a run that reaches a rung records its
// metric there, then goes on only if that metric is in the top 1/η of the
// results recorded at the rung so far (its own included), else it stops as
// `pruned` and frees its slot. No coordinator: each run decides for itself
// from its siblings' records (src/node/sweepRungs.ts reads them from their
// run folders), so it works the same for local runs and cluster job arrays.
// Pure: the trainer, the CLI and the editor's checks share it (a config's
// early termination with its metric is earlyTerminationOf in sweepValidation.ts).

import type { MetricGoal } from './metrics';
import { formatLogText, logText } from './trainerLogTable';
import type { LogText } from './trainerLogTable';
import type { EarlyTerminationConfig, RungResult, SweepEarlyTermination, SweepMembership } from './types';

export const DEFAULT_MIN_EPOCHS = 1;
export const DEFAULT_REDUCTION_FACTOR = 3;

export function resolveEarlyTermination(et: EarlyTerminationConfig): Pick<SweepEarlyTermination, 'type' | 'minEpochs' | 'reductionFactor'> {
  return { type: et.type, minEpochs: et.minEpochs ?? DEFAULT_MIN_EPOCHS, reductionFactor: et.reductionFactor ?? DEFAULT_REDUCTION_FACTOR };
}

/**
 * The rung epochs of a run of `epochs` epochs: minEpochs·η^k below `epochs`
 * (a run that reached its last epoch has nothing left to save by stopping).
 */
export function rungEpochs(et: Pick<SweepEarlyTermination, 'minEpochs' | 'reductionFactor'>, epochs: number): number[] {
  const rungs: number[] = [];
  if (!(et.minEpochs >= 1) || !(et.reductionFactor > 1)) return rungs;
  for (let r = et.minEpochs; r < epochs; r *= et.reductionFactor) rungs.push(Math.round(r));
  return rungs;
}

export function isRungEpoch(et: Pick<SweepEarlyTermination, 'minEpochs' | 'reductionFactor'>, epoch: number, epochs: number): boolean {
  return rungEpochs(et, epochs).includes(epoch);
}

export interface RungDecision {
  /** Whether the run goes on to the next rung. */
  continue: boolean;
  /** Its place at the rung: 1 + the results strictly better than its own (tied results share the better place). */
  rank: number;
  /** Results recorded at the rung so far, its own included. */
  of: number;
  /** How many places go on: the top 1/η, rounded down, but at least one (so with fewer than η results only the best so far goes on). */
  kept: number;
}

/**
 * The rule at a rung: `value` is this run's metric there, `others` the
 * results its sibling runs recorded at the same rung so far (non-finite ones
 * count as worse than any). `goal` says which way is better.
 */
export function rungDecision(value: number, others: readonly number[], goal: MetricGoal, reductionFactor: number): RungDecision {
  const better = (a: number, b: number) => (goal === 'maximize' ? a > b : a < b);
  const finite = Number.isFinite(value);
  let ahead = 0;
  for (const o of others) {
    if (!Number.isFinite(o)) continue;
    if (!finite || better(o, value)) ahead++;
  }
  const of = others.length + 1;
  const kept = Math.max(1, Math.floor(of / reductionFactor));
  const rank = ahead + 1;
  return { continue: rank <= kept, rank, of, kept };
}

/** Why a run was pruned, in a sentence for its log and its training stage (by message id, so the dashboard shows it in the editor's language). */
export function pruningLog(epoch: number, metric: string, value: string, d: Pick<RungDecision, 'rank' | 'of' | 'kept'>): LogText {
  return logText('pruning.pruned', epoch, metric, value, d.rank, d.of, d.kept);
}

/** Why a run was pruned, in English. */
export function describePruning(epoch: number, metric: string, value: string, d: Pick<RungDecision, 'rank' | 'of' | 'kept'>): string {
  return formatLogText(pruningLog(epoch, metric, value, d));
}

/** The rung at which a run was pruned (its last recorded rung, where it placed below those that went on), from its sweep record. */
export function prunedRung(sweep: SweepMembership | undefined): RungResult | undefined {
  const last = sweep?.rungs?.[sweep.rungs.length - 1];
  return last && last.rank !== undefined && last.kept !== undefined && last.rank > last.kept ? last : undefined;
}
