// Which runs hold a Transformer the attention view and `modellab generate`
// can use: a finished run whose model folder has its tokenizer. Pure Node
// (no tfjs), for the host's "latest Transformer run" default and the CLI.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listRuns } from './runStoreReader';
import type { RunListEntry } from './runStoreReader';
import { TOKENIZER_FILE } from '../core/tokenizer';
import type { RunMeta } from '../core/types';

/** The model folder of a run with a text model, or undefined. */
export function textModelDir(runDir: string): string | undefined {
  const dir = join(runDir, 'model');
  return existsSync(join(dir, TOKENIZER_FILE)) && existsSync(join(dir, 'model.json')) ? dir : undefined;
}

/** When a run ended (meta.endedAt) in ms since the epoch; a run without a valid end time counts as ending when it started, else never. */
export function runEndTime(meta: Pick<RunMeta, 'endedAt' | 'createdAt'> | undefined): number {
  for (const when of [meta?.endedAt, meta?.createdAt]) {
    const ms = when === undefined ? NaN : Date.parse(when);
    if (Number.isFinite(ms)) return ms;
  }
  return -Infinity;
}

/**
 * Orders runs so that the one that ended last comes first: "latest" means the
 * run's end time, not its id or its place on disk (two runs started in the
 * same second sort by name in their ids). Runs that ended at the same moment
 * fall back to the id, larger first, so the order is total.
 */
export function byEndTimeNewestFirst(a: { id: string; meta?: Pick<RunMeta, 'endedAt' | 'createdAt'> }, b: { id: string; meta?: Pick<RunMeta, 'endedAt' | 'createdAt'> }): number {
  const diff = runEndTime(b.meta) - runEndTime(a.meta);
  if (diff !== 0 && !Number.isNaN(diff)) return diff > 0 ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * The completed run with a text model that ended last (byEndTimeNewestFirst),
 * optionally only of one task (a classifier for prediction, a language model
 * for generation).
 */
export function latestTextModelRun(runsDir: string, task?: 'classification' | 'language-model'): RunListEntry | undefined {
  return listRuns(runsDir)
    .filter((r) => r.meta?.status === 'completed' && (task === undefined || r.meta.task === task) && textModelDir(r.dir) !== undefined)
    .sort(byEndTimeNewestFirst)[0];
}
