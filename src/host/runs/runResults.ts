// The finished runs of one config, as the results shown in the config need
// them: each run's resolved config (config.json) and the metrics standing for
// it. A completed run never changes, so its config is read once. No `vscode`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMetrics } from '../../core/configResults';
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

  constructor(
    private readonly runIndex: Pick<RunIndex, 'runsForConfig'>,
    private readonly readConfig: (runDir: string) => unknown = (dir) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')),
  ) {}

  forConfig(runsDir: string, configPath: string): ConfigRuns {
    const inputs: RunResultInput[] = [];
    const entries = new Map<string, RunListEntry>();
    for (const entry of this.runIndex.runsForConfig(runsDir, configPath)) {
      if (entry.meta?.status !== 'completed') continue;
      const config = this.config(entry.dir);
      if (config === undefined) continue;
      inputs.push({ id: entry.id, config, metrics: runMetrics(entry.meta) });
      entries.set(entry.id, entry);
    }
    return { inputs, entries };
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
