// A click on a stage of the dashboard's pipeline: the run's config opens (or
// comes forward) with that stage's section selected.

import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { configSectionRange } from '../../core/configSections';
import type { StageName } from '../../core/types';

/** The key a stage's settings go under, for the message when the config has none. */
const SECTION_KEYS: Record<StageName, string> = {
  data: 'data',
  preprocess: 'data.preprocess',
  training: 'training',
  evaluation: 'evaluation',
  deployment: 'deployment',
  application: 'task',
};

/**
 * Shows `configPath` with `section` selected: in the editor that already shows
 * it, else in a column other than the dashboard's (`dashboardColumn`).
 */
export async function revealConfigSection(configPath: string, section: StageName, dashboardColumn?: vscode.ViewColumn): Promise<void> {
  if (!existsSync(configPath)) {
    void vscode.window.showWarningMessage(vscode.l10n.t('The config of this run is no longer there: {0}', configPath));
    return;
  }
  const uri = vscode.Uri.file(configPath);
  const document = await vscode.workspace.openTextDocument(uri);
  const found = configSectionRange(document.getText(), section);
  const range = found
    ? new vscode.Range(document.positionAt(found.offset), document.positionAt(found.offset + found.length))
    : new vscode.Range(0, 0, 0, 0);
  const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  const viewColumn = visible?.viewColumn ?? (dashboardColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Beside : vscode.ViewColumn.One);
  const editor = await vscode.window.showTextDocument(document, { viewColumn });
  // Selected backwards, so the cursor (and the view of a long section) lands on its first line.
  editor.selection = new vscode.Selection(range.end, range.start);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  if (!found) {
    void vscode.window.showInformationMessage(vscode.l10n.t('The config has no "{0}" section, so Model Lab uses its defaults there.', SECTION_KEYS[section]));
  }
}
