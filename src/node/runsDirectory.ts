// Where the run folders of a workspace folder live (setting modelLab.runsDirectory).

import { isAbsolute, join, resolve } from 'node:path';

export const DEFAULT_RUNS_DIRECTORY = '.modellab/runs';

export function resolveRunsDirectory(workspaceFolder: string, setting: string | undefined): string {
  const value = setting?.trim() || DEFAULT_RUNS_DIRECTORY;
  return isAbsolute(value) ? resolve(value) : resolve(join(workspaceFolder, value));
}
