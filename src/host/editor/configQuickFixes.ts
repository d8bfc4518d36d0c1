// Quick fixes for the problems in experiment configs that come with one (ConfigDiagnostic.fix):
// the light bulb on the problem offers the edit, made as a WorkspaceEdit so one undo takes it
// back. The edit's text is core/configFixes.ts's, which only inserts (comments and layout stay):
// so a problem whose fix would remove or replace text (a Transformer setting that differs from its
// base's) comes without one.

import * as vscode from 'vscode';
import { configFixEdits } from '../../core/configFixes';
import type { ConfigFix } from '../../core/configFixes';
import { validateConfigText } from '../../node/configValidation';
import { pathPolicyFor } from '../shell/settings';

/** The quick fix's title, in the user's language. */
function fixTitle(fix: ConfigFix): string {
  switch (fix.kind) {
    case 'addOutputLayer':
      return vscode.l10n.t('Add the output layer: dense, {0} units (one per class), softmax', fix.units);
    case 'addProperty':
      return vscode.l10n.t('Add "{0}": {1}', fix.key, JSON.stringify(fix.value));
  }
}

export class ConfigQuickFixes implements vscode.CodeActionProvider {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    // Only where Model Lab reported a problem: validating again is not free.
    const ours = context.diagnostics.filter((d) => d.source === 'Model Lab');
    if (ours.length === 0) return [];
    const text = document.getText();
    const { diagnostics } = validateConfigText(text, document.uri.fsPath, pathPolicyFor(document.uri));
    const actions: vscode.CodeAction[] = [];
    for (const d of diagnostics) {
      if (!d.fix) continue;
      const at = new vscode.Range(d.line, d.column, d.endLine, d.endColumn);
      if (!at.intersection(range)) continue;
      const edits = configFixEdits(text, d.fix);
      if (!edits) continue;
      const action = new vscode.CodeAction(fixTitle(d.fix), vscode.CodeActionKind.QuickFix);
      action.diagnostics = ours.filter((v) => v.message === d.message && v.range.isEqual(at));
      action.isPreferred = true;
      action.edit = new vscode.WorkspaceEdit();
      for (const e of edits) action.edit.replace(document.uri, new vscode.Range(document.positionAt(e.offset), document.positionAt(e.offset + e.length)), e.content);
      actions.push(action);
    }
    return actions;
  }
}
