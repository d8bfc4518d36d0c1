// The finished runs of one config, as the results shown in the config need
// them: each run's resolved config (config.json), the metrics standing for it
// and its test metrics once evaluated. The k folds of a cross-validation
// stand as one run: their means. A completed run never changes, so its files
// are read once. No `vscode`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMetrics } from '../../core/configResults';
import { foldMeans } from '../../core/crossValidation';
import { evaluationHeadline } from '../../core/evaluationMetrics';
import type { Evaluation } from '../../core/types';
import type { RunResultInput } from '../../core/configResults';
import type { RunListEntry } from '../../node/runStoreReader';
import type { RunIndex } from './runIndex';

export interface ConfigRuns {
  /** Completed runs of the config, newest first, with what they were trained with. */
  inputs: RunResultInput[];
  /** The same runs' folders and metas, by run id. */
  entries: Map<string, RunListEntry>;
}

export class RunResultsCache {
  private readonly configs = new Map<string, unknown>();
  private readonly tests = new Map<string, Record<string, number> | undefined>();

  constructor(
    private readonly runIndex: Pick<RunIndex, 'runsForConfig'>,
    private readonly readConfig: (runDir: string) => unknown = (dir) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')),
    private readonly readEvaluation: (runDir: string) => Evaluation | undefined = (dir) => JSON.parse(readFileSync(join(dir, 'evaluation.json'), 'utf8')) as Evaluation,
  ) {}

  forConfig(runsDir: string, configPath: string): ConfigRuns {
    const inputs: RunResultInput[] = [];
    const entries = new Map<string, RunListEntry>();
    const folds = new Map<string, { input: RunResultInput; k: number; metrics: (Record<string, number> | undefined)[]; tests: (Record<string, number> | undefined)[] }>();
    for (const entry of this.runIndex.runsForConfig(runsDir, configPath)) {
      if (entry.meta?.status !== 'completed') continue;
      const config = this.config(entry.dir);
      if (config === undefined) continue;
      const input: RunResultInput = { id: entry.id, config, metrics: runMetrics(entry.meta) };
      const test = this.test(entry.dir);
      if (test) input.test = test;
      entries.set(entry.id, entry);
      const fold = entry.meta.fold;
      if (!fold) {
        inputs.push(input);
        continue;
      }
      // A cross-validation stands as one run (its first fold's id) once every fold completed: the folds' means.
      let group = folds.get(fold.id);
      if (!group) folds.set(fold.id, (group = { input, k: fold.k, metrics: [], tests: [] }));
      if (fold.index === 0) group.input = { ...input };
      group.metrics.push(input.metrics);
      group.tests.push(test);
    }
    for (const group of folds.values()) {
      if (group.metrics.length !== group.k) continue;
      const test = group.tests.every((t) => t !== undefined) ? foldMeans(group.tests) : undefined;
      inputs.push({ id: group.input.id, config: group.input.config, metrics: foldMeans(group.metrics), ...(test ? { test } : {}) });
    }
    return { inputs, entries };
  }

  /** A completed run's test metrics, or undefined (no test split, no evaluation). */
  private test(dir: string): Record<string, number> | undefined {
    if (this.tests.has(dir)) return this.tests.get(dir);
    let test: Record<string, number> | undefined;
    try {
      const ev = this.readEvaluation(dir);
      test = ev && ev.split === 'test' ? evaluationHeadline(ev) : undefined;
    } catch {
      test = undefined;
    }
    this.tests.set(dir, test);
    return test;
  }

  private config(dir: string): unknown {
    if (this.configs.has(dir)) return this.configs.get(dir);
    let config: unknown;
    try {
      config = this.readConfig(dir);
    } catch {
      // A run folder without a readable config.json is left out (and tried again next time).
      return undefined;
    }
    this.configs.set(dir, config);
    return config;
  }
}
