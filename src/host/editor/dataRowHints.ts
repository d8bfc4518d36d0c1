// Predictions at the data rows: open the data file (CSV, JSON, JSONL) of an
// experiment that has a completed run, and each of the run's test rows (or
// every row, by the toggle) gets an inlay hint at the end of its line with
// what the model predicts there — the value and its error, or the label with
// its probability and ✓/✗. Computed in the inference process for the lines
// in view plus a margin, so a long file stays fluid; the first answer for a
// file also brings its worst rows, which the dashboard lists.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as vscode from 'vscode';
import { parse as parseJsonc, parseTree } from 'jsonc-parser';
import { rowHint } from '../../core/rowPredictions';
import type { RowPrediction, RowPredictionSummary, RowScope } from '../../core/rowPredictions';
import { formatMetric } from '../../core/metrics';
import type { InferenceClient } from '../../node/inferenceClient';
import { InferenceCancelledError } from '../../node/inferenceClient';
import type { RunListEntry } from '../../node/runStoreReader';
import type { RunIndex } from '../runs/runIndex';
import { findWorkspaceConfigs } from './workspaceConfigs';

/** Lines above and below the visible range that are predicted too, so scrolling a little shows hints at once. */
const MARGIN_LINES = 60;
/** Worst rows the dashboard lists. */
const WORST_ROWS = 20;
/** How long the workspace's configs (and the data files they name) are taken as found. */
const CONFIG_SCAN_MS = 5000;
const SCOPE_KEY = 'modelLab.rowPredictions.scope';
const DATA_EXTENSIONS = ['.csv', '.json', '.jsonl'];

export interface WorstRows {
  runId: string;
  runName: string;
  file: vscode.Uri;
  scope: RowScope;
  rows: RowPrediction[];
  scopeRows: number;
  summary?: RowPredictionSummary;
}

export interface DataRowHintsDeps {
  runIndex: Pick<RunIndex, 'runsForConfig'>;
  runsDirFor(configUri: vscode.Uri): string;
  inference(): InferenceClient;
  workspaceState: vscode.Memento;
  log: vscode.LogOutputChannel;
  /** The worst rows of a file's scope, once per file, run and scope. */
  onWorstRows(worst: WorstRows): void;
}

export function isDataFile(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && DATA_EXTENSIONS.some((ext) => uri.fsPath.toLowerCase().endsWith(ext)) && !uri.fsPath.endsWith('.experiment.json');
}

/** The data files a config names (resolved against its folder). */
function dataFilesOf(configPath: string): string[] {
  try {
    const config = parseJsonc(readFileSync(configPath, 'utf8')) as { data?: Record<string, unknown> } | undefined;
    const data = config?.data ?? {};
    return ['source', 'train', 'validation', 'test'].map((k) => data[k]).filter((v): v is string => typeof v === 'string').map((p) => resolve(dirname(configPath), p));
  } catch {
    return [];
  }
}

interface KnownRows {
  key: string;
  rows: Map<number, RowPrediction>;
  covered: [number, number][];
}

export class DataRowHints implements vscode.InlayHintsProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeInlayHints = this.emitter.event;
  private configs: { at: number; byFile: Map<string, string[]> } | undefined;
  /** Files whose worst rows were already sent, by file, run and scope. */
  private readonly worstSent = new Set<string>();
  /** Predictions made so far, per document (for one version, run and scope), with the line ranges asked for. */
  private readonly predictions = new Map<string, KnownRows>();
  private readonly inFlight = new Map<string, { key: string; from: number; to: number; abort: AbortController }>();
  /** What the log said last of each file (which run's predictions, or none), so it says it once. */
  private readonly logged = new Map<string, string>();

  constructor(private readonly deps: DataRowHintsDeps) {}

  get scope(): RowScope {
    return this.deps.workspaceState.get<RowScope>(SCOPE_KEY) === 'all' ? 'all' : 'test';
  }

  /** Test rows only ↔ every row. */
  async toggleScope(): Promise<RowScope> {
    const next: RowScope = this.scope === 'test' ? 'all' : 'test';
    await this.deps.workspaceState.update(SCOPE_KEY, next);
    this.refresh();
    return next;
  }

  /** Runs or configs changed. */
  refresh(): void {
    this.configs = undefined;
    this.predictions.clear();
    this.emitter.fire();
  }

  /** The newest completed run of a config that names `file` as its data, with the config. */
  async runFor(file: vscode.Uri): Promise<RunListEntry | undefined> {
    if (!this.configs || Date.now() - this.configs.at > CONFIG_SCAN_MS) {
      const byFile = new Map<string, string[]>();
      // Not cancelled with the hint request that asked: a scan cut short would be kept as the workspace's configs.
      for (const config of await findWorkspaceConfigs()) {
        for (const data of dataFilesOf(config.fsPath)) byFile.set(data, [...(byFile.get(data) ?? []), config.fsPath]);
      }
      this.configs = { at: Date.now(), byFile };
    }
    const runs = (this.configs.byFile.get(resolve(file.fsPath)) ?? [])
      .flatMap((configPath) => this.deps.runIndex.runsForConfig(this.deps.runsDirFor(vscode.Uri.file(configPath)), configPath))
      .filter((r) => r.meta?.status === 'completed' && (r.meta.task === 'regression' || r.meta.task === 'classification'));
    return runs.sort((a, b) => (b.meta!.endedAt ?? b.meta!.createdAt).localeCompare(a.meta!.endedAt ?? a.meta!.createdAt))[0];
  }

  async provideInlayHints(document: vscode.TextDocument, range: vscode.Range, token: vscode.CancellationToken): Promise<vscode.InlayHint[]> {
    if (!isDataFile(document.uri)) return [];
    const run = await this.runFor(document.uri);
    const said = run ? `predictions of run ${run.id}` : 'no completed run of an experiment in the workspace reads it';
    if (this.logged.get(document.uri.fsPath) !== said) {
      this.logged.set(document.uri.fsPath, said);
      this.deps.log.info(`data rows of ${vscode.workspace.asRelativePath(document.uri)}: ${said}`);
    }
    if (!run || token.isCancellationRequested) return [];
    const json = document.uri.fsPath.toLowerCase().endsWith('.json');
    // JSON: rows are the array's records, so the range is in record indexes; CSV and JSONL: in lines.
    const records = json ? recordEnds(document) : undefined;
    const [fromLine, toLine] = records
      ? recordRange(records, document, range)
      : [Math.max(1, range.start.line + 1 - MARGIN_LINES), range.end.line + 1 + MARGIN_LINES];
    const scope = this.scope;
    // Predictions are kept per document version, run and scope. A range not yet predicted is
    // asked for in the background (VS Code cancels and repeats hint requests as the view moves,
    // and a first answer loads the model); when it arrives, the hints are asked for again.
    const key = `${document.uri.toString()}|${document.version}|${run.id}|${scope}`;
    let known = this.predictions.get(document.uri.toString());
    if (known?.key !== key) {
      known = { key, rows: new Map(), covered: [] };
      this.predictions.set(document.uri.toString(), known);
    }
    if (!known.covered.some(([a, b]) => a <= fromLine && toLine <= b)) this.fetch(document, run, scope, fromLine, toLine, known);
    const hints: vscode.InlayHint[] = [];
    for (const p of known.rows.values()) {
      if (p.line < fromLine || p.line > toLine) continue;
      const position = records ? records[p.line - 1] : p.line - 1 < document.lineCount ? document.lineAt(p.line - 1).range.end : undefined;
      if (!position) continue;
      const hint = new vscode.InlayHint(position, rowHint(p));
      hint.paddingLeft = true;
      hint.tooltip = tooltipOf(p, run);
      hints.push(hint);
    }
    return hints;
  }

  /** Asks the inference process for the lines `fromLine`–`toLine` (a newer ask for the same file replaces an older one). */
  private fetch(document: vscode.TextDocument, run: RunListEntry, scope: RowScope, fromLine: number, toLine: number, known: KnownRows): void {
    const file = document.uri.toString();
    const pending = this.inFlight.get(file);
    if (pending && pending.key === known.key && pending.from <= fromLine && toLine <= pending.to) return;
    pending?.abort.abort();
    this.deps.log.debug(`data rows of ${vscode.workspace.asRelativePath(document.uri)}: asking for lines ${fromLine}–${toLine}`);
    const abort = new AbortController();
    this.inFlight.set(file, { key: known.key, from: fromLine, to: toLine, abort });
    const worstKey = `${document.uri.fsPath}|${run.id}|${scope}`;
    const wantWorst = !this.worstSent.has(worstKey);
    this.deps
      .inference()
      .rowPredictions({ modelDir: run.dir, dataFile: document.uri.fsPath, scope, fromLine, toLine, worst: wantWorst ? WORST_ROWS : 0 }, abort.signal)
      .then(
        (reply) => {
          if (wantWorst) {
            this.worstSent.add(worstKey);
            this.deps.onWorstRows({ runId: run.id, runName: run.meta!.name, file: document.uri, scope, rows: reply.worst, scopeRows: reply.scopeRows, summary: reply.summary });
          }
          this.deps.log.debug(`data rows of ${vscode.workspace.asRelativePath(document.uri)}: lines ${fromLine}–${toLine}: ${reply.predictions.length} predicted in ${reply.millis} ms`);
          if (this.predictions.get(file) !== known) return; // the document or the run changed meanwhile
          for (const p of reply.predictions) known.rows.set(p.line, p);
          known.covered.push([fromLine, toLine]);
          this.emitter.fire();
        },
        (e: unknown) => {
          if (!(e instanceof InferenceCancelledError)) this.deps.log.warn(`row predictions for ${document.uri.fsPath}: ${(e as Error).message}`);
        },
      )
      .finally(() => {
        if (this.inFlight.get(file)?.abort === abort) this.inFlight.delete(file);
      });
  }

  dispose(): void {
    for (const pending of this.inFlight.values()) pending.abort.abort();
    this.emitter.dispose();
  }
}

/** Opens a data file at a row (a line of a CSV or JSONL file, a record of a JSON one), selected. */
export async function revealDataRow(file: vscode.Uri, line: number): Promise<void> {
  const document = await vscode.workspace.openTextDocument(file);
  const json = file.fsPath.toLowerCase().endsWith('.json');
  const end = json ? recordEnds(document)[line - 1] : document.lineAt(Math.min(line, document.lineCount) - 1).range.end;
  if (!end) return;
  const range = new vscode.Range(document.lineAt(end.line).range.start, end);
  await vscode.window.showTextDocument(document, { selection: range, preview: false, viewColumn: vscode.ViewColumn.One });
}

/** Where each record of a JSON array data file ends (its hint's place), in order. */
function recordEnds(document: vscode.TextDocument): vscode.Position[] {
  const root = parseTree(document.getText());
  const array = root?.type === 'array' ? root : root?.children?.find((c) => c.type === 'property' && c.children?.[1]?.type === 'array')?.children?.[1];
  return (array?.children ?? []).map((node) => document.positionAt(node.offset + node.length));
}

/** The 1-based record indexes whose ends are in (or near) the visible range. */
function recordRange(ends: readonly vscode.Position[], document: vscode.TextDocument, range: vscode.Range): [number, number] {
  const from = Math.max(0, range.start.line - MARGIN_LINES);
  const to = Math.min(document.lineCount - 1, range.end.line + MARGIN_LINES);
  let first = ends.findIndex((p) => p.line >= from);
  if (first < 0) first = ends.length;
  let last = first - 1;
  while (last + 1 < ends.length && ends[last + 1].line <= to) last++;
  return [first + 1, last + 1];
}

function tooltipOf(p: RowPrediction, run: RunListEntry): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  const rows: [string, string][] = [];
  if (p.value !== undefined) rows.push([vscode.l10n.t('Predicted'), formatMetric(p.value, 'table')]);
  if (p.label !== undefined) rows.push([vscode.l10n.t('Predicted'), `${p.label} (${formatMetric(p.probability ?? 0, 'table')})`]);
  if (p.target !== undefined && p.target !== null) rows.push([vscode.l10n.t('In the file'), String(p.target)]);
  if (p.error !== undefined) rows.push([vscode.l10n.t('Error'), formatMetric(p.error, 'table')]);
  md.appendMarkdown(`**${vscode.l10n.t('Model Lab: {0}', run.meta!.name)}** · ${vscode.l10n.t('run {0}', run.id)}\n\n`);
  for (const [k, v] of rows) md.appendMarkdown(`${k}: \`${v.replace(/`/g, "'")}\`  \n`);
  return md;
}
