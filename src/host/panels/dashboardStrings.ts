// The dashboard's UI strings in the editor's language. The webview owns the
// English table (ids → text), the trainer's log messages and the pipeline's
// phrases have theirs in src/core; their English text is the key into this
// extension's l10n bundle, like every `vscode.l10n.t` message, so one
// translation file covers the host and the webview.

import * as vscode from 'vscode';
import { DEFAULT_STRINGS } from '../../core/dashboardStringTable';
import type { PipelineWords } from '../../core/pipeline';
import { PIPELINE_PHRASES } from '../../core/pipelineStringTable';
import { LOG_STRING_PREFIX, TRAINER_LOG_MESSAGES } from '../../core/trainerLogTable';
import type { PipelinePhrases } from '../../core/pipelineStringTable';

export function dashboardStrings(): Record<string, string> {
  const strings: Record<string, string> = fromBundle(DEFAULT_STRINGS);
  // The trainer's log messages, under their own prefix (src/core/trainerLogTable.ts).
  for (const [id, text] of Object.entries(fromBundle(TRAINER_LOG_MESSAGES))) strings[LOG_STRING_PREFIX + id] = text;
  return strings;
}

/** A table of English templates by id in the editor's language: its English text is the bundle's key. */
function fromBundle<T extends Record<string, string>>(table: T): Record<keyof T, string> {
  // Looked up in the bundle directly: l10n.t would fill in the {0} placeholders the table's user fills.
  const bundle = vscode.l10n.bundle;
  const out = {} as Record<keyof T, string>;
  for (const [id, english] of Object.entries(table) as [keyof T, string][]) out[id] = bundle?.[english] ?? english;
  return out;
}

/** The pipeline diagram's stage titles, detail phrases and accessible title and description, in the editor's language. */
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
    phrases: fromBundle(PIPELINE_PHRASES) satisfies PipelinePhrases,
  };
}
