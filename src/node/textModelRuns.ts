// Which runs hold a Transformer the attention view and `modellab generate`
// can use: a finished run whose model folder has its tokenizer. Pure Node
// (no tfjs), for the host's "latest Transformer run" default, the sidebar's
// "Pin Model for Attention" (offered on those runs only) and the CLI.

import { existsSync, readFileSync } from 'node:fs';
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

/** A finished run with a Transformer (so it has attention) and its tokenizer. */
export interface TransformerRun {
  id: string;
  dir: string;
  name: string;
  task: 'classification' | 'regression' | 'language-model' | 'masked-language-model';
  /** The model folder (with tokenizer.json). */
  modelDir: string;
  /** The tokenizer cuts text into characters. */
  charLevel: boolean;
  /** Most tokens the model takes (model/task.json), if known. */
  maxLength?: number;
  /** The run's start and end (meta.json), which decide the latest run. */
  meta: { createdAt: string; endedAt?: string };
}

interface RunModelInfo {
  /** config.json's model.type, when it names one. */
  modelType?: string;
  transformer: boolean;
  charLevel: boolean;
  maxLength?: number;
}

/** config.json's model type and tokenizer, per run folder (a finished run's files never change). */
const runConfigCache = new Map<string, RunModelInfo>();

function readRunConfig(runDir: string): RunModelInfo {
  const hit = runConfigCache.get(runDir);
  if (hit) return hit;
  let info: RunModelInfo = { transformer: false, charLevel: false };
  try {
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { model?: { type?: unknown }; data?: { tokenizer?: { type?: unknown } } };
    const type = config.model?.type;
    info = {
      ...(typeof type === 'string' ? { modelType: type } : {}),
      transformer: type === 'transformerEncoder' || type === 'transformerDecoder',
      charLevel: config.data?.tokenizer?.type === 'char',
    };
  } catch {
    // no config: not a run the attention view can use
  }
  try {
    const task = JSON.parse(readFileSync(join(runDir, 'model', 'task.json'), 'utf8')) as { maxLength?: unknown };
    if (typeof task.maxLength === 'number' && task.maxLength > 0) info.maxLength = task.maxLength;
  } catch {
    // the model's own limit still applies in the child
  }
  runConfigCache.set(runDir, info);
  return info;
}

/** Why a run has no attention to show, for the message that refuses it. */
export type NoAttention =
  | { reason: 'notCompleted'; status: string }
  | { reason: 'notTransformer'; modelType?: string }
  | { reason: 'noModelFiles' };

/**
 * The run as a model with attention: a completed classifier, text regression
 * model, masked-language model or language model
 * whose config is a Transformer (transformerEncoder or transformerDecoder) and
 * whose model folder holds its tokenizer; else why not (an MLP, a run that did
 * not complete, a model folder without its files).
 */
export function transformerRunOrWhyNot(r: RunListEntry): { run: TransformerRun } | NoAttention {
  const meta = r.meta;
  if (!meta || meta.status !== 'completed') return { reason: 'notCompleted', status: meta?.status ?? 'damaged' };
  const info = readRunConfig(r.dir);
  if (!info.transformer || (meta.task !== 'classification' && meta.task !== 'regression' && meta.task !== 'language-model' && meta.task !== 'masked-language-model')) return { reason: 'notTransformer', ...(info.modelType ? { modelType: info.modelType } : {}) };
  const modelDir = textModelDir(r.dir);
  if (!modelDir) return { reason: 'noModelFiles' };
  return {
    run: {
      id: r.id,
      dir: r.dir,
      name: meta.name,
      task: meta.task,
      modelDir,
      charLevel: info.charLevel,
      maxLength: info.maxLength,
      meta: { createdAt: meta.createdAt, endedAt: meta.endedAt },
    },
  };
}

/** The run as a model with attention (transformerRunOrWhyNot), or undefined. */
export function asTransformerRun(r: RunListEntry): TransformerRun | undefined {
  const found = transformerRunOrWhyNot(r);
  return 'run' in found ? found.run : undefined;
}
