// The scheduler executors the editor talks to, built as the CLI builds them
// (src/node/executors/followJobs.ts) with the extension host's environment
// (PATH, SLURM_CONF), and how a scheduler is named to the user. Which
// executor trains new runs is the setting modelLab.executor (settings.ts).

import type { ExecutorName } from '../../core/types';
import type { Executor } from '../../node/executors/executor';
import { executorFor } from '../../node/executors/followJobs';
import { SettingsTable } from '../shell/settingsTable';

export type Scheduler = Exclude<ExecutorName, 'local'>;

const SCHEDULER_LABELS: Record<Scheduler, string> = { slurm: 'SLURM' };

/** "SLURM". */
export function schedulerLabel(scheduler: Scheduler): string {
  return SCHEDULER_LABELS[scheduler];
}

/** A scheduler's executor; its errors say the executor was chosen by the setting, and how to go back to local training. */
export function schedulerExecutor(scheduler: Scheduler): Executor {
  const executor = executorFor(scheduler, { chosenBy: `the setting ${SettingsTable.executor.key}` });
  if (!executor) throw new Error(`no executor for ${scheduler}`);
  return executor;
}
