// Models loaded from their folders and kept between requests of the long-lived
// inference process: a few, the most recently used kept, one loaded again when
// its model.json changes (a run that saves a better epoch replaces it), and
// each disposed as it leaves. The text, image and predictor caches are this
// one with their own loader.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_FILE } from './modelIo';
import { ENSEMBLE_FILE } from '../core/ensemble';

/**
 * The model folder of a run folder (…/runs/<id>/model) or a model folder
 * itself. Throws a message that says what was looked for.
 */
export function resolveModelDir(runOrModelDir: string): string {
  if (existsSync(join(runOrModelDir, MODEL_FILE)) || existsSync(join(runOrModelDir, ENSEMBLE_FILE))) return runOrModelDir;
  const inRun = join(runOrModelDir, 'model');
  if (existsSync(join(inRun, MODEL_FILE))) return inRun;
  throw new Error(`no saved model in ${runOrModelDir} (looked for ${MODEL_FILE} there and in model/)`);
}

/** At most `capacity` models, by model folder; `load` reads one, `dispose` frees one that leaves. */
export class ModelDirCache<T> {
  private readonly entries = new Map<string, { value: T; version: number }>();

  constructor(
    private readonly load: (dir: string) => Promise<T>,
    private readonly dispose: (value: T) => void,
    private readonly capacity = 2,
  ) {}

  async get(runOrModelDir: string): Promise<T> {
    const dir = resolveModelDir(runOrModelDir);
    // model.json's modification time: a run that saves a better epoch replaces the file.
    const version = statSync(join(dir, existsSync(join(dir, MODEL_FILE)) ? MODEL_FILE : ENSEMBLE_FILE)).mtimeMs;
    const hit = this.entries.get(dir);
    if (hit && hit.version === version) {
      this.entries.delete(dir);
      this.entries.set(dir, hit); // most recent last
      return hit.value;
    }
    if (hit) this.evict(dir);
    const value = await this.load(dir);
    this.entries.set(dir, { value, version });
    while (this.entries.size > this.capacity) this.evict(this.entries.keys().next().value as string);
    return value;
  }

  /** Models held now. */
  get size(): number {
    return this.entries.size;
  }

  private evict(dir: string): void {
    const e = this.entries.get(dir);
    this.entries.delete(dir);
    if (e) this.dispose(e.value);
  }

  clear(): void {
    for (const dir of [...this.entries.keys()]) this.evict(dir);
  }
}
