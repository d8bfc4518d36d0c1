// Problems in experiment configs, from the core validator, with exact ranges:
// on open, while typing (debounced), on save, for files changed on disk, for
// every config in the workspace at activation, and again for every known
// config when a setting the validation depends on changes or the workspace
// becomes trusted (restricted settings count only then).

import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { validateConfigText } from '../../node/configValidation';
import type { ConfigDiagnostic, ValidationResult } from '../../node/configValidation';
import { affectsSetting, pathPolicyFor } from '../shell/settings';
import { VALIDATION_SETTINGS } from '../shell/settingsTable';
import { KeyedDebouncer } from '../shell/keyedDebouncer';
import { CONFIG_GLOB, findWorkspaceConfigs, isConfigDocument, isConfigUri } from './workspaceConfigs';

const TYPING_DELAY_MS = 300;
/** Settings the validation reads (pathPolicyFor); a change re-validates the configs they apply to. */

export interface ValidationCounts {
  files: number;
  errors: number;
  warnings: number;
}

export class ConfigDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('modelLab');
  private readonly debouncer = new KeyedDebouncer(TYPING_DELAY_MS);
  private readonly disposables: vscode.Disposable[] = [];
  /** Configs whose last validated text names a `base`: their problems change when a run does (a base that finishes, or goes). */
  private readonly withBase = new Set<string>();

  constructor(private readonly log: vscode.LogOutputChannel) {
    const watcher = vscode.workspace.createFileSystemWatcher(CONFIG_GLOB);
    this.disposables.push(
      this.collection,
      watcher,
      vscode.workspace.onDidOpenTextDocument((d) => isConfigDocument(d) && this.validateDocument(d)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!isConfigDocument(e.document) || e.contentChanges.length === 0) return;
        const document = e.document;
        this.debouncer.schedule(document.uri.toString(), () => {
          if (!document.isClosed) this.validateDocument(document);
        });
      }),
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (!isConfigDocument(d)) return;
        this.debouncer.cancel(d.uri.toString());
        this.validateDocument(d);
      }),
      // A closed editor may have held unsaved text: go back to what is on disk.
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (!isConfigDocument(d)) return;
        this.debouncer.cancel(d.uri.toString());
        void this.validateFile(d.uri);
      }),
      watcher.onDidCreate((uri) => isConfigUri(uri) && !this.openDocument(uri) && void this.validateFile(uri)),
      watcher.onDidChange((uri) => isConfigUri(uri) && !this.openDocument(uri) && void this.validateFile(uri)),
      watcher.onDidDelete((uri) => {
        this.debouncer.cancel(uri.toString());
        this.collection.delete(uri);
        this.withBase.delete(uri.toString());
      }),
      // Problems that depend on settings or trust must not outlive them (no stale "outside the workspace").
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!VALIDATION_SETTINGS.some((name) => affectsSetting(e, name))) return;
        void this.revalidateKnown((uri) => VALIDATION_SETTINGS.some((name) => affectsSetting(e, name, uri)));
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.revalidateKnown()),
    );
  }

  /**
   * Validates again every open config and every config the collection holds
   * (each one validated since activation), or those `affected` selects.
   */
  async revalidateKnown(affected: (uri: vscode.Uri) => boolean = () => true): Promise<void> {
    const uris = new Map<string, vscode.Uri>();
    for (const d of vscode.workspace.textDocuments) if (!d.isClosed && isConfigDocument(d)) uris.set(d.uri.toString(), d.uri);
    this.collection.forEach((uri) => void uris.set(uri.toString(), uri));
    const targets = [...uris.values()].filter((uri) => affected(uri));
    if (targets.length > 0) this.log.info(`settings or workspace trust changed: validating ${targets.length} config(s) again`);
    await Promise.all(targets.map((uri) => this.validateUri(uri).catch((err: unknown) => this.log.warn(`re-validating ${uri.fsPath} failed: ${String(err)}`))));
  }

  /** Validates again the configs that name a `model.base` (their base's run may have changed). */
  async revalidateBases(): Promise<void> {
    const targets = [...this.withBase].map((key) => vscode.Uri.parse(key));
    await Promise.all(targets.map((uri) => this.validateUri(uri).catch((err: unknown) => this.log.warn(`re-validating ${uri.fsPath} failed: ${String(err)}`))));
  }

  /** Validates the editor's text (saved or not) and publishes the problems. */
  validateDocument(document: vscode.TextDocument): ValidationResult {
    return this.publish(document.uri, document.getText());
  }

  /** Validates the open document if there is one, else the file on disk. */
  async validateUri(uri: vscode.Uri): Promise<ValidationResult> {
    const document = this.openDocument(uri);
    return document ? this.validateDocument(document) : this.validateFile(uri);
  }

  async validateWorkspace(token?: vscode.CancellationToken): Promise<ValidationCounts> {
    const counts: ValidationCounts = { files: 0, errors: 0, warnings: 0 };
    for (const uri of await findWorkspaceConfigs(token)) {
      if (token?.isCancellationRequested) break;
      const result = await this.validateUri(uri);
      counts.files++;
      counts.errors += result.diagnostics.filter((d) => d.severity === 'error').length;
      counts.warnings += result.diagnostics.filter((d) => d.severity === 'warning').length;
    }
    return counts;
  }

  private async validateFile(uri: vscode.Uri): Promise<ValidationResult> {
    let text: string;
    try {
      text = await readFile(uri.fsPath, 'utf8');
    } catch {
      // Deleted or unreadable: the watcher or the train flow reports it; no stale problems.
      this.collection.delete(uri);
      return { diagnostics: [] };
    }
    // The file may have been opened while it was being read; the editor's text wins.
    const document = this.openDocument(uri);
    return document ? this.validateDocument(document) : this.publish(uri, text);
  }

  private publish(uri: vscode.Uri, text: string): ValidationResult {
    let result: ValidationResult;
    try {
      result = validateConfigText(text, uri.fsPath, pathPolicyFor(uri));
    } catch (err) {
      this.log.error(`validating ${uri.fsPath} failed: ${(err as Error).stack ?? String(err)}`);
      result = { diagnostics: [] };
    }
    this.collection.set(uri, result.diagnostics.map(toVsDiagnostic));
    if (/"base"\s*:/.test(text)) this.withBase.add(uri.toString());
    else this.withBase.delete(uri.toString());
    return result;
  }

  private openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
    const key = uri.toString();
    return vscode.workspace.textDocuments.find((d) => !d.isClosed && d.uri.toString() === key);
  }

  dispose(): void {
    this.debouncer.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

const SEVERITY: Record<ConfigDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

function toVsDiagnostic(d: ConfigDiagnostic): vscode.Diagnostic {
  const range = new vscode.Range(d.line, d.column, d.endLine, d.endColumn);
  const diagnostic = new vscode.Diagnostic(range, d.message, SEVERITY[d.severity]);
  diagnostic.source = 'Model Lab';
  return diagnostic;
}
