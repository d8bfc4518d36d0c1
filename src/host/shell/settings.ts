// Typed getters for the extension's settings (the list is settingsTable.ts).
// Every setting is read when it is used, so none needs a reload.

import * as vscode from 'vscode';
import { isOneOf } from '../../core/choices';
import type { BackendChoice, ExecutorName } from '../../core/types';
import type { JobProgram, JobResources } from '../../node/executors/executor';
import { resolveRunsDirectory } from '../../node/runsDirectory';
import { SETTINGS_SECTION, SettingsTable } from './settingsTable';
import type { SettingName } from './settingsTable';

/** A number setting within its bounds, else its default. */
function numberSetting(name: 'maxDataFileMB' | 'attentionMaxTokens' | 'threads', scope?: vscode.ConfigurationScope): number {
  const spec = SettingsTable[name];
  const value = vscode.workspace.getConfiguration(undefined, scope).get<unknown>(spec.key);
  if (typeof value !== 'number' || !Number.isFinite(value)) return spec.default;
  const bounded = Math.max(spec.minimum, 'maximum' in spec ? Math.min(spec.maximum, value) : value);
  return 'integer' in spec ? Math.floor(bounded) : bounded;
}

function stringSetting(name: 'nodePath' | 'runsDirectory', scope?: vscode.ConfigurationScope): string {
  const value = vscode.workspace.getConfiguration(undefined, scope).get<unknown>(SettingsTable[name].key);
  return typeof value === 'string' ? value : SettingsTable[name].default;
}

export function affectsSetting(e: vscode.ConfigurationChangeEvent, name: SettingName, scope?: vscode.ConfigurationScope): boolean {
  return e.affectsConfiguration(SettingsTable[name].key, scope);
}

export function backendSetting(scope?: vscode.ConfigurationScope): BackendChoice {
  const value = vscode.workspace.getConfiguration(undefined, scope).get<unknown>(SettingsTable.backend.key);
  return isOneOf(SettingsTable.backend.choices, value) ? value : SettingsTable.backend.default;
}

/** Empty when unset. In an untrusted workspace VS Code ignores the workspace value (restrictedConfigurations). */
export function nodePathSetting(): string {
  return stringSetting('nodePath');
}

/** Absolute runs folder for a workspace folder (or, for a config outside any folder, the config's folder). */
export function runsDirSetting(baseFolder: vscode.Uri, scope?: vscode.ConfigurationScope): string {
  return resolveRunsDirectory(baseFolder.fsPath, stringSetting('runsDirectory', scope ?? baseFolder));
}

/** The largest data file the trainer reads into memory, in bytes (the trainer refuses larger ones: node/tableFile.ts). */
export function maxDataBytesSetting(scope?: vscode.ConfigurationScope): number {
  return Math.round(numberSetting('maxDataFileMB', scope) * 1024 * 1024);
}

/** The engine's threads for runs on this machine (0: every core); a config's training.threads comes first (src/core/threads.ts). */
export function threadsSetting(scope?: vscode.ConfigurationScope): number {
  return numberSetting('threads', scope);
}

/** Tokens of the open file that attention is computed over. */
export function attentionMaxTokensSetting(): number {
  return numberSetting('attentionMaxTokens');
}

/**
 * Where a config's paths may point: inside its workspace folder unless the
 * user allowed more (restricted: in an untrusted workspace only the user's own
 * value counts). A config outside every folder is checked against its own folder.
 * `runsDir`: its runs folder, where a `model.base` run id is looked up.
 */
export function pathPolicyFor(configUri: vscode.Uri): { workspaceRoot: string; allowOutside: boolean; runsDir: string } {
  const folder = vscode.workspace.getWorkspaceFolder(configUri);
  const baseFolder = folder ? folder.uri : vscode.Uri.joinPath(configUri, '..');
  const allowOutside = vscode.workspace.getConfiguration(SETTINGS_SECTION, configUri).get<unknown>('allowPathsOutsideWorkspace') === true;
  return { workspaceRoot: baseFolder.fsPath, allowOutside, runsDir: runsDirSetting(baseFolder, configUri) };
}

/** Where Train and Run sweep train: `local` (this machine) or a scheduler. */
export function executorSetting(scope?: vscode.ConfigurationScope): ExecutorName {
  const value = vscode.workspace.getConfiguration(undefined, scope).get<unknown>(SettingsTable.executor.key);
  return isOneOf(SettingsTable.executor.choices, value) ? value : SettingsTable.executor.default;
}

/**
 * What a SLURM job asks for and runs, from `modelLab.slurm.*`: empty values
 * are left to the cluster; the Node binary and CLI default to `defaults` (the
 * ones this extension runs).
 */
export function slurmJobSettings(defaults: JobProgram, scope?: vscode.ConfigurationScope): { resources: JobResources; program: JobProgram } {
  const config = vscode.workspace.getConfiguration(undefined, scope);
  const text = (name: 'slurmPartition' | 'slurmAccount' | 'slurmTimeLimit' | 'slurmMemory' | 'slurmGres' | 'slurmNodePath' | 'slurmCliPath'): string | undefined => {
    const value = config.get<unknown>(SettingsTable[name].key);
    return typeof value === 'string' && value.trim() ? value.trim() : undefined;
  };
  const lines = (name: 'slurmExtraArgs' | 'slurmSetupLines'): string[] | undefined => {
    const value = config.get<unknown>(SettingsTable[name].key);
    const list = Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '') : [];
    return list.length ? list : undefined;
  };
  const cpus = config.get<unknown>(SettingsTable.slurmCpusPerTask.key);
  return {
    resources: {
      partition: text('slurmPartition'),
      account: text('slurmAccount'),
      timeLimit: text('slurmTimeLimit'),
      cpusPerTask: typeof cpus === 'number' && Number.isInteger(cpus) && cpus >= 1 ? Math.min(cpus, SettingsTable.slurmCpusPerTask.maximum) : undefined,
      memory: text('slurmMemory'),
      gres: text('slurmGres'),
      extraArgs: lines('slurmExtraArgs'),
      setupLines: lines('slurmSetupLines'),
    },
    program: { nodePath: text('slurmNodePath') ?? defaults.nodePath, cliPath: text('slurmCliPath') ?? defaults.cliPath },
  };
}
