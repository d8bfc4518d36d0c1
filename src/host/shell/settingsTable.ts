// Every setting the extension contributes, with its default and bounds: the
// one list that the getters (settings.ts) read and that the manifest test
// holds package.json's contributes.configuration to. Kept free of `vscode`
// so that test runs without an editor.

import { ATTENTION_TOKENS, BACKEND_CHOICES, EXECUTOR_NAMES } from '../../core/types';
import { DEFAULT_RUNS_DIRECTORY } from '../../core/workspaceLayout';
import { MAX_THREADS } from '../../core/threads';
import { DEFAULT_MAX_DATA_BYTES } from '../../node/tableFile';

export const SETTINGS_SECTION = 'modelLab';

export const SettingsTable = {
  backend: { key: 'modelLab.backend', default: 'auto', choices: BACKEND_CHOICES },
  nodePath: { key: 'modelLab.nodePath', default: '' },
  runsDirectory: { key: 'modelLab.runsDirectory', default: DEFAULT_RUNS_DIRECTORY },
  allowPathsOutsideWorkspace: { key: 'modelLab.allowPathsOutsideWorkspace', default: false },
  maxDataFileMB: { key: 'modelLab.maxDataFileMB', default: DEFAULT_MAX_DATA_BYTES / (1024 * 1024), minimum: 1 },
  attentionMaxTokens: { key: 'modelLab.attention.maxTokens', default: ATTENTION_TOKENS.default, minimum: 1, maximum: ATTENTION_TOKENS.max, integer: true },
  // The engine's threads for runs on this machine (src/core/threads.ts: below a config's training.threads and the CLI's --threads); 0: every core.
  threads: { key: 'modelLab.threads', default: 0, minimum: 0, maximum: MAX_THREADS, integer: true },
  executor: { key: 'modelLab.executor', default: 'local', choices: EXECUTOR_NAMES },
  // What a SLURM job asks for and runs (src/node/executors/executor.ts: JobResources, JobProgram); empty or 0: the cluster's default.
  slurmPartition: { key: 'modelLab.slurm.partition', default: '' },
  slurmAccount: { key: 'modelLab.slurm.account', default: '' },
  slurmTimeLimit: { key: 'modelLab.slurm.timeLimit', default: '' },
  slurmCpusPerTask: { key: 'modelLab.slurm.cpusPerTask', default: 0, minimum: 0, maximum: 1024, integer: true },
  slurmMemory: { key: 'modelLab.slurm.memory', default: '' },
  slurmGres: { key: 'modelLab.slurm.gres', default: '' },
  slurmExtraArgs: { key: 'modelLab.slurm.extraArgs', default: [] as readonly string[] },
  slurmSetupLines: { key: 'modelLab.slurm.setupLines', default: [] as readonly string[] },
  slurmNodePath: { key: 'modelLab.slurm.nodePath', default: '' },
  slurmCliPath: { key: 'modelLab.slurm.cliPath', default: '' },
} as const;

export type SettingName = keyof typeof SettingsTable;

/** Settings whose change can turn a config's problems on or off: the diagnostics are computed again. */
export const VALIDATION_SETTINGS: readonly SettingName[] = ['allowPathsOutsideWorkspace', 'maxDataFileMB', 'runsDirectory'];
