// The dashboard's UI strings in the editor's language. The webview owns the
// English table (ids → text); its English text is the key into this
// extension's l10n bundle, like every `vscode.l10n.t` message, so one
// translation file covers the host and the webview.

import * as vscode from 'vscode';
import { DEFAULT_STRINGS } from '../../core/dashboardStringTable';

export function dashboardStrings(): Record<string, string> {
  // Looked up in the bundle directly: l10n.t would fill in the {0} placeholders the webview fills.
  const bundle = vscode.l10n.bundle;
  const strings: Record<string, string> = {};
  for (const [id, english] of Object.entries(DEFAULT_STRINGS)) strings[id] = bundle?.[english] ?? english;
  return strings;
}
