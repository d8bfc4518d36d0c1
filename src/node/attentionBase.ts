// Where the attention view finds a fine-tuned run's base (#17 "What changed"):
// meta.base names the folder its weights were read from (a run's model/ or
// an export folder); a run folder given instead is looked into. Pure Node.

import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TOKENIZER_FILE } from '../core/tokenizer';
import type { RunMeta } from '../core/types';
import { textModelDir } from './textModelRuns';

/** Tasks whose models are Transformers with attention. */
const ATTENTION_TASKS: ReadonlySet<string> = new Set(['classification', 'language-model', 'masked-language-model']);

export interface AttentionBaseFolder {
  kind: 'run' | 'export';
  /** The base run's id, else its folder's name. */
  label: string;
  /** The model folder to ask the inference child with (meta.base.path when it no longer holds a model). */
  modelDir: string;
  /** The folder has no model.json and tokenizer.json any more (moved or deleted since the fine-tuning). */
  missing: boolean;
}

/** The base of a run with attention, or undefined (no base, or a base of a task without attention). */
export function attentionBaseOf(meta: Pick<RunMeta, 'base'> | undefined): AttentionBaseFolder | undefined {
  const base = meta?.base;
  if (!base || typeof base.path !== 'string' || base.path === '' || !ATTENTION_TASKS.has(base.task)) return undefined;
  const label = base.kind === 'run' && base.id ? base.id : basename(base.path);
  const hasModel = existsSync(join(base.path, 'model.json')) && existsSync(join(base.path, TOKENIZER_FILE));
  const modelDir = hasModel ? base.path : textModelDir(base.path);
  return { kind: base.kind === 'export' ? 'export' : 'run', label, modelDir: modelDir ?? base.path, missing: !modelDir };
}
