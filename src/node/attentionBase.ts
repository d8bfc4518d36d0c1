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

/**
 * The base's attention results, by base folder + file + file version + the
 * text window read (the host's cache: a base's weights never change, so going
 * back to a text, or the cursor moving inside the same window, asks the
 * child once). Least recently used out first, `size` kept.
 */
export class BaseAttentionCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly size = 16) {}

  static key(modelDir: string, file: string, version: number, maxTokens: number, text: string): string {
    return [modelDir, file, String(version), String(maxTokens), text].join('\0');
  }

  get(key: string): T | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  set(key: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value as string);
  }

  get length(): number {
    return this.entries.size;
  }
}
