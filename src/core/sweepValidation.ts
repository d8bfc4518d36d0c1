// Checks of a config's `sweep` section beyond the schema: each parameter's
// path must lead somewhere in the config, and each of its values must make a
// valid config — found by applying the value and validating the result like
// any config, and reported on the parameter (or the value) that causes it.

import { resolveEarlyTermination, rungEpochs } from './earlyTermination';
import { goalFor } from './metrics';
import { resolveConfig } from './resolvedConfig';
import { hasValidationData, isTestMetricName, isTrainingMetricName } from './splitPlan';
import { ConfigPathError, isSweepRange, MAX_SWEEP_POINTS, parseConfigPath, setAtPath, sweepMethod, sweepSize } from './sweep';
import type { PathSegment } from './sweep';
import type { ExperimentConfig, SweepEarlyTermination } from './types';

export interface SweepCheckProblem {
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** Where in the overridden config (e.g. `training.optimizer.learningRate`). */
  path: string;
}

/** Reports at a path of the config text; `keyOnly` underlines the property's key rather than its value. */
export type SweepReport = (path: PathSegment[], severity: 'error' | 'warning' | 'info', message: string, keyOnly?: boolean) => void;

/** At most this many values per parameter are tried (each try validates a whole config). */
const MAX_TRIED_VALUES = 20;

/** The config a sweep point starts from: the sweep section is not part of any run. */
export function withoutSweep<T extends { sweep?: unknown }>(config: T): Omit<T, 'sweep'> {
  const { sweep: _sweep, ...rest } = config;
  return rest;
}

/** What a run of this config logs each epoch, for checking a sweep's metric. */
export function epochLogNames(config: ExperimentConfig): string[] {
  const resolved = resolveConfig(config);
  const hasValidation = hasValidationData(config);
  const names = ['loss', ...resolved.training.metrics];
  return [...names, ...(hasValidation ? names.map((n) => `val_${n}`) : []), 'lr'];
}

/** The metric a sweep of this config is ranked by: its own, else val_loss (loss without validation data). */
export function sweepMetricOf(config: ExperimentConfig): string {
  return config.sweep?.metric ?? (epochLogNames(config).includes('val_loss') ? 'val_loss' : 'loss');
}

/** The config's early termination as each of its runs applies it (defaults filled in, with the sweep's metric and goal); undefined without one. */
export function earlyTerminationOf(config: ExperimentConfig): SweepEarlyTermination | undefined {
  const et = config.sweep?.earlyTermination;
  if (!et) return undefined;
  const metric = sweepMetricOf(config);
  return { ...resolveEarlyTermination(et), metric, goal: goalFor(metric, config.sweep?.goal) };
}

export function checkSweepSection(config: ExperimentConfig, validateValue: (value: unknown) => SweepCheckProblem[], report: SweepReport): void {
  const sweep = config.sweep;
  if (!sweep) return;
  const method = sweepMethod(sweep);
  const base = withoutSweep(config);
  const known = new Set(validateValue(base).map((p) => `${p.path}|${p.message}`));

  if (method !== 'grid' && sweep.count === undefined) {
    report(['sweep'], 'error', `a ${method} sweep needs "count": how many points to draw`, true);
  }
  if (method === 'grid' && sweep.count !== undefined) {
    report(['sweep', 'count'], 'warning', `"count" is for random and bayes sweeps; a grid runs every combination${sweepSize(sweep) > 0 ? ` (${sweepSize(sweep)})` : ""}`);
  }

  for (const [key, param] of Object.entries(sweep.parameters)) {
    const at: PathSegment[] = ['sweep', 'parameters', key];
    let segments: PathSegment[];
    try {
      segments = parseConfigPath(key);
    } catch (e) {
      report(at, 'error', (e as Error).message, true);
      continue;
    }
    if (segments[0] === 'sweep') {
      report(at, 'error', 'a sweep cannot vary its own settings', true);
      continue;
    }

    // The values tried against the config, and where each is written.
    const tries: { value: unknown; where: PathSegment[] }[] = [];
    if (isSweepRange(param)) {
      if (method === 'grid') {
        report(at, 'error', 'a grid needs a list of values, e.g. [0.001, 0.01]; a range { "min", "max" } is for "method": "random" or "bayes"', true);
        continue;
      }
      const { min, max } = param;
      let rangeOk = true;
      if (!(min < max)) {
        report([...at, 'max'], 'error', `"max" must be greater than "min" (${min})`);
        rangeOk = false;
      }
      if (param.scale === 'log' && min <= 0) {
        report([...at, 'min'], 'error', 'a log scale needs "min" > 0');
        rangeOk = false;
      }
      if (param.integer && Math.ceil(min) > Math.floor(max)) {
        report([...at, 'max'], 'error', `no whole number lies between ${min} and ${max}`);
        rangeOk = false;
      }
      if (!rangeOk) continue;
      tries.push({ value: param.integer ? Math.ceil(min) : min, where: [...at, 'min'] }, { value: param.integer ? Math.floor(max) : max, where: [...at, 'max'] });
    } else {
      const seen = new Map<string, number>();
      param.forEach((value, i) => {
        const k = JSON.stringify(value);
        const first = seen.get(k);
        if (first !== undefined) report([...at, i], 'warning', `repeats value ${first + 1} of this list, so the same run is trained twice`);
        else seen.set(k, i);
      });
      param.slice(0, MAX_TRIED_VALUES).forEach((value, i) => tries.push({ value, where: [...at, i] }));
    }

    let pathError: string | undefined;
    const problems: SweepCheckProblem[][] = [];
    for (const t of tries) {
      try {
        const overridden = setAtPath(base, segments, t.value);
        problems.push(validateValue(overridden).filter((p) => p.severity !== 'info' && !known.has(`${p.path}|${p.message}`)));
      } catch (e) {
        if (!(e instanceof ConfigPathError)) throw e;
        pathError = e.message;
        break;
      }
    }
    if (pathError) {
      report(at, 'error', `${key}: ${pathError}`, true);
      continue;
    }
    // A problem every value causes belongs to the parameter; the others to their values.
    const text = (p: SweepCheckProblem) => `${p.severity}|${p.message}`;
    const common = problems.length > 1 ? problems[0].filter((p) => problems.every((list) => list.some((q) => text(q) === text(p)))) : [];
    const commonKeys = new Set(common.map(text));
    for (const p of common) report(at, p.severity as 'error' | 'warning', `with this parameter: ${p.message}`, true);
    problems.forEach((list, i) => {
      for (const p of list) {
        if (commonKeys.has(text(p))) continue;
        report(tries[i].where, p.severity as 'error' | 'warning', `with ${key} = ${JSON.stringify(tries[i].value)}: ${p.message}`);
      }
    });
  }

  const size = sweepSize(sweep);
  if (size > MAX_SWEEP_POINTS) {
    report(['sweep', method !== 'grid' ? 'count' : 'parameters'], 'error', `${size} points is too many: a sweep runs at most ${MAX_SWEEP_POINTS} trainings`, method === 'grid');
  }

  const et = sweep.earlyTermination;
  if (et) {
    const epochs = resolveConfig(base as ExperimentConfig).training.epochs;
    const rungs = rungEpochs(resolveEarlyTermination(et), epochs);
    if (rungs.length === 0) {
      report(['sweep', 'earlyTermination', ...(et.minEpochs !== undefined ? ['minEpochs'] : [])], 'warning', `no rung falls before the last of the runs' ${epochs} epochs, so no run is ever pruned; lower "minEpochs" (the first rung) below ${epochs}`, et.minEpochs === undefined);
    } else if (size === 1) {
      report(['sweep', 'earlyTermination'], 'warning', 'a sweep of one run has no other run to compare with at a rung, so nothing is ever pruned', true);
    }
  }

  const metric = sweepMetricOf(config);
  if (isTestMetricName(metric)) {
    report(['sweep', 'metric'], 'error', `"${metric}" is a test metric: the test split is only for the final evaluation, so no sweep ranks by it; rank by a validation metric (e.g. "val_loss")`);
  } else if (sweep.metric !== undefined && hasValidationData(config) && isTrainingMetricName(metric) && epochLogNames(config).includes(`val_${metric}`)) {
    report(['sweep', 'metric'], 'warning', `"${metric}" is measured on the training data, so the run that overfits most wins; rank by "val_${metric}"`);
  } else if (!hasValidationData(config) && isTrainingMetricName(metric)) {
    report(
      sweep.metric !== undefined ? ['sweep', 'metric'] : ['sweep'],
      'warning',
      `ranks the runs by the training metric "${metric}" because there is no validation data: the run that overfits most wins. "data.split.validation" carves a share of the training data for validation, e.g. 0.2`,
      sweep.metric === undefined,
    );
  }
  if (sweep.metric !== undefined && !isTestMetricName(sweep.metric)) {
    const logs = epochLogNames(config);
    if (!logs.includes(sweep.metric)) {
      const noValidation = sweep.metric.startsWith('val_') && !logs.some((n) => n.startsWith('val_'));
      report(
        ['sweep', 'metric'],
        noValidation ? 'error' : 'warning',
        noValidation
          ? `"${sweep.metric}" is measured on validation data, and this experiment has none`
          : `the runs do not log "${sweep.metric}"; they log ${logs.map((n) => `"${n}"`).join(', ')}`,
      );
    }
  }
}
