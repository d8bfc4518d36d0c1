// Loaded predictors kept between requests of the long-lived inference process
// (the dashboard's predict playground): a few, most recently used kept,
// reloaded when model.json changes (a run that saves a better epoch replaces it).

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { resolveModelDir } from './inference';
import { MODEL_FILE } from './modelIo';
import { Predictor } from './predictor';

export class PredictorCache {
  private readonly entries = new Map<string, { predictor: Predictor; version: number }>();

  constructor(private readonly capacity = 2) {}

  async get(runOrModelDir: string): Promise<Predictor> {
    const dir = resolveModelDir(runOrModelDir);
    const version = statSync(join(dir, MODEL_FILE)).mtimeMs;
    const hit = this.entries.get(dir);
    if (hit && hit.version === version) {
      this.entries.delete(dir);
      this.entries.set(dir, hit);
      return hit.predictor;
    }
    if (hit) this.evict(dir);
    const predictor = await Predictor.load(dir);
    this.entries.set(dir, { predictor, version });
    while (this.entries.size > this.capacity) this.evict(this.entries.keys().next().value as string);
    return predictor;
  }

  private evict(dir: string): void {
    this.entries.get(dir)?.predictor.dispose();
    this.entries.delete(dir);
  }

  clear(): void {
    for (const dir of [...this.entries.keys()]) this.evict(dir);
  }
}
