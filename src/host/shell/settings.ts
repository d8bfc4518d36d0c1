// Typed getters for the extension's settings (contributes.configuration).
// Every setting is read when it is used, so none needs a reload.

import * as vscode from 'vscode';
import type { BackendChoice } from '../../core/types';
import { resolveRunsDirectory } from '../runs/runsDirectory';

const SECTION = 'modelLab';
const BACKENDS: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export const Settings = {
  backend: `${SECTION}.backend`,
  nodePath: `${SECTION}.nodePath`,
  runsDirectory: `${SECTION}.runsDirectory`,
  allowPathsOutsideWorkspace: `${SECTION}.allowPathsOutsideWorkspace`,
} as const;

export function backendSetting(scope?: vscode.ConfigurationScope): BackendChoice {
  const value = vscode.workspace.getConfiguration(SECTION, scope).get<string>('backend', 'auto');
  return (BACKENDS as readonly string[]).includes(value) ? (value as BackendChoice) : 'auto';
}

/** Empty when unset. In an untrusted workspace VS Code ignores the workspace value (restrictedConfigurations). */
export function nodePathSetting(): string {
  const value = vscode.workspace.getConfiguration(SECTION).get<string>('nodePath', '');
  return typeof value === 'string' ? value : '';
}

/** Absolute runs folder for a workspace folder (or, for a config outside any folder, the config's folder). */
export function runsDirSetting(baseFolder: vscode.Uri, scope?: vscode.ConfigurationScope): string {
  const value = vscode.workspace.getConfiguration(SECTION, scope ?? baseFolder).get<string>('runsDirectory');
  return resolveRunsDirectory(baseFolder.fsPath, typeof value === 'string' ? value : undefined);
}

export function affectsRunsDirectory(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(Settings.runsDirectory);
}

/**
 * Where a config's paths may point: inside its workspace folder unless the
 * user allowed more (restricted: in an untrusted workspace only the user's own
 * value counts). A config outside every folder is checked against its own folder.
 */
export function pathPolicyFor(configUri: vscode.Uri): { workspaceRoot: string; allowOutside: boolean } {
  const folder = vscode.workspace.getWorkspaceFolder(configUri);
  const workspaceRoot = folder ? folder.uri.fsPath : vscode.Uri.joinPath(configUri, '..').fsPath;
  const allowOutside = vscode.workspace.getConfiguration(SECTION, configUri).get<boolean>('allowPathsOutsideWorkspace', false) === true;
  return { workspaceRoot, allowOutside };
}
