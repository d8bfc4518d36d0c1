// The run folders a scheduler submission creates before the job exists: the
// config validated (each sweep point too), one folder per run with
// meta.json `queued` and the config snapshot, so the sidebar and
// `modellab runs` list the run the moment it is submitted. Any scheduler
// executor uses these; nothing here knows SLURM.

import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveConfig } from '../../core/resolvedConfig';
import { earlyTerminationOf } from '../../core/sweepValidation';
import { expandSweep, newSweepId, sweepMethod } from '../../core/sweep';
import { newFoldGroupId } from '../../core/crossValidation';
import type { FoldMembership, RunMeta, SchedulerJob, SweepMembership } from '../../core/types';
import { validateConfigFile } from '../configValidation';
import { RunWriter } from '../runStoreWriter';
import { configForSweepPoint } from '../sweepPoint';
import type { RunSubmission } from './executor';
import { SubmissionConfigError } from './executor';

/** The queued run folders of one submission, in sweep-point order (a cross-validated point's folds in fold order). */
export interface QueuedRuns {
  configPath: string;
  writers: RunWriter[];
  sweepId?: string;
  /** The sweep's own concurrency setting, when it has one. */
  sweepConcurrency?: number;
}

/**
 * Validates the config and creates the queued run folders: one, or one per
 * sweep point when `asSweep` (a config without a sweep section is refused);
 * with training.crossValidation, k per point, each recording its fold.
 * Throws SubmissionConfigError (nothing created) when the config or a point has errors.
 */
export function createQueuedRuns(request: RunSubmission, asSweep: boolean): QueuedRuns {
  const configPath = resolve(request.configPath);
  const validation = validateConfigFile(configPath);
  if (!validation.config) throw new SubmissionConfigError(configPath, validation.diagnostics);
  const sweep = validation.config.sweep;
  if (asSweep && !sweep) {
    throw new SubmissionConfigError(configPath, [
      { severity: 'error', message: 'the config has no "sweep" section; add one, e.g. "sweep": { "parameters": { "training.optimizer.learningRate": [0.001, 0.01] } }', path: 'sweep', offset: 0, length: 0, line: 0, column: 0, endLine: 0, endColumn: 0 },
    ]);
  }
  if (asSweep && sweep && sweepMethod(sweep) === 'bayes') {
    // A job array's tasks are all known at submission; a bayes point is drawn from the runs finished before it.
    throw new SubmissionConfigError(configPath, [
      { severity: 'error', message: 'a "bayes" sweep draws each point from the runs finished before it, so it cannot be submitted as one job array; use "method": "grid" or "random" on a cluster, or run it with the local executor', path: 'sweep.method', offset: 0, length: 0, line: 0, column: 0, endLine: 0, endColumn: 0 },
    ]);
  }
  const points = asSweep && sweep ? expandSweep(sweep) : [{ index: 0, params: {} }];
  const sweepId = asSweep ? newSweepId() : undefined;
  // Each task prunes itself at a rung from its siblings' folders (no coordinator needed).
  const earlyTermination = asSweep ? earlyTerminationOf(validation.config) : undefined;
  // Every point is checked before any folder is made: a bad point submits nothing.
  const configs = points.map((point) => {
    const checked = configForSweepPoint(configPath, validation.config!, point.params);
    if (!checked.config) throw new SubmissionConfigError(configPath, checked.diagnostics);
    return resolveConfig(checked.config, { epochs: request.epochs });
  });
  const writers: RunWriter[] = [];
  const createdAt = new Date().toISOString();
  // training.crossValidation: k folders per point (a task each), the k of a point one fold group.
  const k = validation.config.training.crossValidation?.folds;
  const foldBase = k ? newFoldGroupId() : undefined;
  configs.forEach((config, i) => {
    const membership: SweepMembership | undefined = sweepId ? { id: sweepId, index: points[i].index, total: points.length, params: points[i].params, ...(earlyTermination ? { earlyTermination } : {}) } : undefined;
    const groupId = foldBase && (configs.length > 1 ? `${foldBase}-${i + 1}` : foldBase);
    for (let f = 0; f < (k ?? 1); f++) {
      const fold: FoldMembership | undefined = groupId && k ? { id: groupId, index: f, k } : undefined;
      const writer = new RunWriter(request.runsDir, {
        name: config.name,
        task: config.task,
        configPath,
        status: 'queued',
        createdAt,
        versions: { modelLab: request.modelLabVersion ?? 'unknown', node: process.versions.node },
        seed: config.training.seed,
        epochsPlanned: config.training.epochs,
        epochsDone: 0,
        sweep: membership,
        ...(fold ? { fold } : {}),
      });
      writer.writeConfig({ ...config, configPath });
      writers.push(writer);
    }
  });
  return { configPath, writers, sweepId, sweepConcurrency: sweep?.concurrency };
}

/** Records the submitted job in each queued run's meta.json. */
export function recordJob(runs: QueuedRuns, job: (index: number) => SchedulerJob): RunMeta[] {
  return runs.writers.map((w, i) => w.updateMeta({ job: job(i) }));
}

/** Removes the folders of a submission the scheduler refused: a refused job leaves no run behind. */
export function discardQueuedRuns(runs: QueuedRuns): void {
  for (const w of runs.writers) rmSync(w.dir, { recursive: true, force: true });
}
