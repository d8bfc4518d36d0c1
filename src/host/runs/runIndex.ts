// Which runs exist, per runs folder and per config: a small cache in front of
// the run store, so CodeLenses (asked for on every edit) do not re-read every
// meta file each time. Invalidated by file watchers and training events, and
// by age as a safety net for folders no watcher sees.

import { resolve } from 'node:path';
import { listRuns as listRunsOnDisk } from '../../node/runStoreReader';
import type { RunListEntry } from '../../node/runStoreReader';

const MAX_AGE_MS = 5_000;

export class RunIndex {
  private readonly cache = new Map<string, { at: number; runs: RunListEntry[] }>();

  constructor(
    private readonly listRuns: (runsDir: string) => RunListEntry[] = listRunsOnDisk,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs in a runs folder, newest first. */
  runs(runsDir: string): RunListEntry[] {
    const key = resolve(runsDir);
    const hit = this.cache.get(key);
    if (hit && this.now() - hit.at < MAX_AGE_MS) return hit.runs;
    let runs: RunListEntry[];
    try {
      runs = this.listRuns(key);
    } catch {
      runs = [];
    }
    this.cache.set(key, { at: this.now(), runs });
    return runs;
  }

  /** Runs of one config, newest first. */
  runsForConfig(runsDir: string, configPath: string): RunListEntry[] {
    return this.runs(runsDir).filter((r) => r.meta !== undefined && samePath(r.meta.configPath, configPath));
  }

  /** A run by id in any of the given runs folders. */
  find(runsDirs: readonly string[], runId: string): RunListEntry | undefined {
    for (const dir of runsDirs) {
      const hit = this.runs(dir).find((r) => r.id === runId);
      if (hit) return hit;
    }
    // The run may be newer than the cache.
    for (const dir of runsDirs) {
      this.invalidate(dir);
      const hit = this.runs(dir).find((r) => r.id === runId);
      if (hit) return hit;
    }
    return undefined;
  }

  invalidate(runsDir?: string): void {
    if (runsDir === undefined) this.cache.clear();
    else this.cache.delete(resolve(runsDir));
  }
}

/** Paths compare case-insensitively where the file system usually is. */
export function samePath(a: string, b: string, platform: NodeJS.Platform = process.platform): boolean {
  const na = resolve(a);
  const nb = resolve(b);
  return platform === 'win32' || platform === 'darwin' ? na.toLowerCase() === nb.toLowerCase() : na === nb;
}
