// Where the run folders of a workspace folder live: the modelLab.runsDirectory
// setting (or the CLI's --runs-dir), relative to the workspace folder unless absolute.

import { isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_RUNS_DIRECTORY } from '../core/workspaceLayout';

export function resolveRunsDirectory(workspaceFolder: string, setting: string | undefined): string {
  const value = setting?.trim() || DEFAULT_RUNS_DIRECTORY;
  return isAbsolute(value) ? resolve(value) : resolve(join(workspaceFolder, value));
}

/** The runs folder of a workspace folder when nothing else is set. */
export function runsDirFor(workspaceFolder: string): string {
  return resolveRunsDirectory(workspaceFolder, undefined);
}
