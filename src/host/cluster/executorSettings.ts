// Which executor trains new runs (modelLab.executor) and the scheduler
// executors the editor talks to, built as the CLI builds them
// (src/node/executors/followJobs.ts), with the extension host's environment
// (PATH, SLURM_CONF).

import * as vscode from 'vscode';
import { isOneOf } from '../../core/choices';
import { EXECUTOR_NAMES } from '../../core/types';
import type { ExecutorName } from '../../core/types';
import type { Executor } from '../../node/executors/executor';
import { executorFor } from '../../node/executors/followJobs';

// Until settingsTable.ts lists modelLab.executor (the SLURM executor's settings are added there), its key is read here.
const EXECUTOR_KEY = 'modelLab.executor';

/** The executor new runs go to: `local` unless the settings choose a scheduler. */
export function chosenExecutor(scope?: vscode.ConfigurationScope): ExecutorName {
  const value = vscode.workspace.getConfiguration(undefined, scope).get<unknown>(EXECUTOR_KEY);
  return isOneOf(EXECUTOR_NAMES, value) ? value : 'local';
}

export function affectsExecutor(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(EXECUTOR_KEY);
}

/** A scheduler's executor; its errors say the executor was chosen by the setting, and how to go back to local training. */
export function schedulerExecutor(name: Exclude<ExecutorName, 'local'>): Executor {
  const executor = executorFor(name, { chosenBy: `the setting ${EXECUTOR_KEY}` });
  if (!executor) throw new Error(`no executor for ${name}`);
  return executor;
}
