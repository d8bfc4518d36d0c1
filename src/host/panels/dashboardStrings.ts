// The dashboard's UI strings in the editor's language. The webview owns the
// English table (ids → text); its English text is the key into this
// extension's l10n bundle, like every `vscode.l10n.t` message, so one
// translation file covers the host and the webview.

import * as vscode from 'vscode';
import { DEFAULT_STRINGS } from '../../core/dashboardStringTable';
import type { PipelineWords } from '../../core/pipeline';

export function dashboardStrings(): Record<string, string> {
  // Looked up in the bundle directly: l10n.t would fill in the {0} placeholders the webview fills.
  const bundle = vscode.l10n.bundle;
  const strings: Record<string, string> = {};
  for (const [id, english] of Object.entries(DEFAULT_STRINGS)) strings[id] = bundle?.[english] ?? english;
  return strings;
}

/** The pipeline diagram's stage titles and accessible title and description, in the editor's language. */
export function pipelineWords(): PipelineWords {
  return {
    titles: {
      data: vscode.l10n.t('Data collection'),
      preprocess: vscode.l10n.t('Preprocessing'),
      training: vscode.l10n.t('Training'),
      evaluation: vscode.l10n.t('Evaluation'),
      deployment: vscode.l10n.t('Deployment'),
      application: vscode.l10n.t('Application'),
    },
    accTitle: (name) => vscode.l10n.t('Pipeline of {0}', name),
    accDescr: (titles) => titles.reduce((text, title) => vscode.l10n.t('{0}, then {1}', text, title)),
  };
}
