// "New Experiment": copies a bundled template (config and data) into a
// workspace folder, never overwriting a file without asking, and opens it.

import * as vscode from 'vscode';
import type { ModelLabContext } from '../shell/ctx';
import { copyPlannedFiles, listTemplates, planTemplateCopy } from './templates';

/** `templateId` (e.g. "house-prices", from a welcome-view link) skips the picker. */
export async function newExperiment(ctx: ModelLabContext, templateId?: unknown): Promise<void> {
  const templates = listTemplates(ctx.extension.asAbsolutePath('examples'));
  if (templates.length === 0) {
    void vscode.window.showErrorMessage(vscode.l10n.t('No experiment templates were found in the extension. Reinstall Model Lab.'));
    return;
  }
  const named = typeof templateId === 'string' ? templates.find((t) => t.id === templateId) : undefined;
  const picked =
    named !== undefined
      ? { template: named }
      : await vscode.window.showQuickPick(
          templates.map((t) => ({ label: t.name, description: t.task, detail: t.description, template: t })),
          { placeHolder: vscode.l10n.t('Choose a template for the new experiment') },
        );
  if (!picked) return;

  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    const openFolder = vscode.l10n.t('Open Folder…');
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Open a folder first: the experiment is created in it.'), openFolder);
    if (choice === openFolder) await vscode.commands.executeCommand('workbench.action.files.openFolder');
    return;
  }
  const folder =
    folders.length === 1
      ? folders[0]
      : await vscode.window.showWorkspaceFolderPick({ placeHolder: vscode.l10n.t('Where should the experiment be created?') });
  if (!folder) return;
  if (folder.uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(vscode.l10n.t('Experiments can only be created in a folder on disk.'));
    return;
  }

  const plan = planTemplateCopy(picked.template, folder.uri.fsPath);
  const existing = plan.filter((f) => f.exists);
  let overwrite = false;
  if (existing.length > 0) {
    const keep = vscode.l10n.t('Keep Existing Files');
    const replace = vscode.l10n.t('Overwrite');
    const shown = existing.slice(0, 5).map((f) => f.relative).join(', ') + (existing.length > 5 ? ', …' : '');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('{0} file(s) of this template already exist in {1}: {2}', existing.length, folder.name, shown),
      { modal: true, detail: vscode.l10n.t('Keep them and copy only the missing files, or replace them with the template\'s versions?') },
      keep,
      replace,
    );
    if (!choice) return;
    overwrite = choice === replace;
  }

  let result: { written: string[]; skipped: string[] };
  try {
    result = copyPlannedFiles(plan, overwrite);
  } catch (err) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not create the experiment: {0}', (err as Error).message));
    return;
  }
  ctx.log.info(`new experiment "${picked.template.name}" in ${folder.uri.fsPath}: wrote ${result.written.join(', ') || 'nothing'}${result.skipped.length ? `; kept ${result.skipped.join(', ')}` : ''}`);
  const configUri = vscode.Uri.joinPath(folder.uri, ...picked.template.configFile.split('/'));
  await vscode.window.showTextDocument(configUri, { preview: false });
}
