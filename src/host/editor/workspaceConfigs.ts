// Finding experiment configs in the workspace and deciding which one a
// command without arguments means.

import * as vscode from 'vscode';
import { CONFIG_FILE_SUFFIX } from '../../node/configValidation';
import { CommandId } from '../shell/commandIds';
import { MODELLAB_FOLDER } from '../../core/workspaceLayout';

export const CONFIG_GLOB = `**/*${CONFIG_FILE_SUFFIX}`;
/** Run folders hold copies of configs and node_modules holds packages' examples: neither is the user's. */
const EXCLUDE_GLOB = `{**/node_modules/**,**/${MODELLAB_FOLDER}/**,**/.git/**}`;

export function isConfigUri(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && uri.path.endsWith(CONFIG_FILE_SUFFIX) && !uri.path.includes(`/${MODELLAB_FOLDER}/`);
}

export function isConfigDocument(document: vscode.TextDocument): boolean {
  return isConfigUri(document.uri);
}

export async function findWorkspaceConfigs(token?: vscode.CancellationToken): Promise<vscode.Uri[]> {
  if (!vscode.workspace.workspaceFolders?.length) return [];
  const found = await vscode.workspace.findFiles(CONFIG_GLOB, EXCLUDE_GLOB, 1000, token);
  return found.filter(isConfigUri).sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

/** The config a command applies to: the argument, else the active editor's, else the only visible one. */
export function configFromContext(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return isConfigUri(arg) ? arg : undefined;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && isConfigUri(active)) return active;
  const visible = vscode.window.visibleTextEditors.map((e) => e.document.uri).filter(isConfigUri);
  const unique = [...new Map(visible.map((u) => [u.toString(), u])).values()];
  return unique.length === 1 ? unique[0] : undefined;
}

/** Asks which config to use when the context does not say; none or one found is answered without asking. */
export async function pickConfig(placeHolder: string): Promise<vscode.Uri | undefined> {
  const configs = await findWorkspaceConfigs();
  if (configs.length === 0) {
    const create = vscode.l10n.t('New Experiment…');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('There is no *.experiment.json file in this workspace.'),
      create,
    );
    if (choice === create) await vscode.commands.executeCommand(CommandId.newExperiment);
    return undefined;
  }
  if (configs.length === 1) return configs[0];
  const picked = await vscode.window.showQuickPick(
    configs.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { placeHolder },
  );
  return picked?.uri;
}

export function configKey(uri: vscode.Uri): string {
  const path = uri.fsPath;
  return process.platform === 'win32' || process.platform === 'darwin' ? path.toLowerCase() : path;
}
