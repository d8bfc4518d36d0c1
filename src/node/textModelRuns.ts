// Which runs hold a Transformer the attention view and `modellab generate`
// can use: a finished run whose model folder has its tokenizer. Pure Node
// (no tfjs), for the host's "latest Transformer run" default and the CLI.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listRuns } from './runStore';
import type { RunListEntry } from './runStore';
import { TOKENIZER_FILE } from '../core/tokenizer';

/** The model folder of a run with a text model, or undefined. */
export function textModelDir(runDir: string): string | undefined {
  const dir = join(runDir, 'model');
  return existsSync(join(dir, TOKENIZER_FILE)) && existsSync(join(dir, 'model.json')) ? dir : undefined;
}

/**
 * The newest completed run with a text model, optionally only of one task
 * (a classifier for prediction, a language model for generation).
 */
export function latestTextModelRun(runsDir: string, task?: 'classification' | 'language-model'): RunListEntry | undefined {
  return listRuns(runsDir).find((r) => r.meta?.status === 'completed' && (task === undefined || r.meta.task === task) && textModelDir(r.dir) !== undefined);
}
