// Results inside the config: on each setting whose value differs across the
// config's finished runs, an inlay hint of what each value gave (and a hover
// with the whole table); CodeLenses "Run sweep (N runs)" (or the running
// sweep's progress) and "Best: <run> <metric>".

import * as vscode from 'vscode';
import { findNodeAtLocation, getLocation, getNodeValue, parseTree } from 'jsonc-parser';
import type { Node as JsonNode } from 'jsonc-parser';
import { formatMetric } from '../../core/metrics';
import { keyHintLabels, keyHintOffset, shortRunId, summarizeConfigResults, testMetricOf } from '../../core/configResults';
import type { ConfigResults, HintWords, KeyResults } from '../../core/configResults';
import { describeParams, formatParamValue, parseConfigPath, shortParamNames, sweepSize } from '../../core/sweep';
import type { PathSegment } from '../../core/sweep';
import type { SweepConfig } from '../../core/types';
import { CommandId } from '../shell/commandIds';
import { configLensSpan } from './configLensRange';
import { executorSetting } from '../shell/settings';
import { schedulerLabel } from '../cluster/executorSettings';
import type { ConfigRuns, RunResultsCache } from '../runs/runResults';
import type { ActiveSweeps } from '../sweeps/sweeps';
import type { TrainingSessions } from '../training/trainingSessions';

export interface ConfigResultsDeps {
  runResults: RunResultsCache;
  runsDirFor(configUri: vscode.Uri): string;
  sweeps: ActiveSweeps;
  trainings: TrainingSessions;
}

interface DocumentResults {
  results: ConfigResults;
  runs: ConfigRuns;
}

export class ConfigResultsView implements vscode.InlayHintsProvider, vscode.HoverProvider, vscode.CodeLensProvider, vscode.Disposable {
  private readonly hintsEmitter = new vscode.EventEmitter<void>();
  private readonly lensEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeInlayHints = this.hintsEmitter.event;
  readonly onDidChangeCodeLenses = this.lensEmitter.event;
  private readonly disposables: vscode.Disposable[] = [this.hintsEmitter, this.lensEmitter];

  constructor(private readonly deps: ConfigResultsDeps) {
    this.disposables.push(
      deps.sweeps.onDidChange(() => this.lensEmitter.fire()),
      deps.trainings.onDidEnd(() => this.refresh()),
    );
  }

  /** Runs appeared, ended or went away. */
  refresh(): void {
    this.hintsEmitter.fire();
    this.lensEmitter.fire();
  }

  private resultsFor(document: vscode.TextDocument, sweep: SweepConfig | undefined): DocumentResults | undefined {
    const runs = this.deps.runResults.forConfig(this.deps.runsDirFor(document.uri), document.uri.fsPath);
    if (runs.inputs.length === 0) return undefined;
    return { results: summarizeConfigResults(runs.inputs, { metric: sweep?.metric, goal: sweep?.goal }), runs };
  }

  provideInlayHints(document: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] {
    const text = document.getText();
    const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
    if (root?.type !== 'object') return [];
    const found = this.resultsFor(document, sweepOf(root));
    if (!found || found.results.keys.length === 0) return [];
    const { results } = found;
    const hints: vscode.InlayHint[] = [];
    // One hint per value (the editor cuts a long hint short); a click on a value opens its best run.
    // After the value's comma, led by the metric, with margins: never read as more of the value.
    const words: HintWords = {
      lead: (metric, setting) => (setting ? vscode.l10n.t('{0} by {1}:', metric, setting) : vscode.l10n.t('{0}:', metric)),
      runs: (count) => vscode.l10n.t('({0} runs)', count),
      test: (metric, value) => vscode.l10n.t('(test {0} {1})', metric, value),
    };
    const add = (valueEnd: number, key: KeyResults, setting?: string) => {
      const { offset, lineGoesOn } = keyHintOffset(text, valueEnd);
      const position = document.positionAt(offset);
      if (!range.contains(position)) return;
      const tooltip = this.table(key, found);
      for (const part of keyHintLabels(key, results, words, { setting, lineGoesOn })) {
        const label = new vscode.InlayHintLabelPart(part.text);
        label.tooltip = tooltip;
        const runId = part.value?.bestRunId;
        if (runId) label.command = { title: vscode.l10n.t('Open the best run with this value'), command: CommandId.openDashboard, arguments: [runId] };
        const hint = new vscode.InlayHint(position, [label]);
        hint.paddingLeft = part.paddingLeft;
        hint.paddingRight = part.paddingRight;
        hints.push(hint);
      }
    };
    for (const key of results.keys) {
      const node = findNodeAtLocation(root, key.segments);
      if (node) {
        add(node.offset + node.length, key);
      } else {
        // Not written in this file (a default, or a setting since removed): on its nearest written parent.
        for (let n = key.segments.length - 1; n > 0; n--) {
          const parent = findNodeAtLocation(root, key.segments.slice(0, n));
          if (parent?.type !== 'object' && parent?.type !== 'array') continue;
          add(parent.offset + 1, key, key.path.slice(pathLength(key.segments.slice(0, n)) + 1));
          break;
        }
      }
      for (const param of sweepParameterNodes(root, key.segments)) add(param.offset + param.length, key);
    }
    return hints;
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const text = document.getText();
    const location = getLocation(text, document.offsetAt(position));
    if (location.path.length === 0) return undefined;
    const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
    if (root?.type !== 'object') return undefined;
    // Inside the sweep section, a parameter stands for the setting it names.
    let segments: PathSegment[] = location.path;
    if (segments[0] === 'sweep' && segments[1] === 'parameters' && typeof segments[2] === 'string') {
      try {
        segments = parseConfigPath(segments[2]);
      } catch {
        return undefined;
      }
    }
    const found = this.resultsFor(document, sweepOf(root));
    const key = found?.results.keys.find((k) => samePath(k.segments, segments));
    if (!found || !key) return undefined;
    return new vscode.Hover(this.table(key, found));
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const text = document.getText();
    const span = configLensSpan(text);
    const range = new vscode.Range(document.positionAt(span.offset), document.positionAt(span.offset + span.length));
    const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
    const sweep = root?.type === 'object' ? sweepOf(root) : undefined;
    const lenses: vscode.CodeLens[] = [];

    const active = this.deps.sweeps.get(document.uri);
    if (active) {
      const q = active.queue;
      const current = q.running[q.running.length - 1];
      const point = current && active.pointOf.get(current);
      lenses.push(
        new vscode.CodeLens(range, {
          title: vscode.l10n.t('Sweep: run {0}/{1}', point ? point.index + 1 : Math.min(q.finished + 1, q.total), q.total),
          tooltip: point ? describeParams(point.params) : undefined,
          command: CommandId.openDashboard,
          arguments: [document.uri],
        }),
        new vscode.CodeLens(range, { title: vscode.l10n.t('Stop sweep'), tooltip: vscode.l10n.t('Stop the running point and start no more'), command: CommandId.stop, arguments: [document.uri] }),
      );
    } else if (sweep && typeof sweep === 'object' && sweep.parameters && typeof sweep.parameters === 'object') {
      const n = safeSweepSize(sweep);
      const executor = executorSetting(document.uri);
      lenses.push(
        new vscode.CodeLens(
          range,
          executor === 'local'
            ? {
                title: n > 0 ? vscode.l10n.t('Run sweep ({0} runs)', n) : vscode.l10n.t('Run sweep'),
                tooltip: vscode.l10n.t('Train this config once per point of its sweep section'),
                command: CommandId.runSweep,
                arguments: [document.uri],
              }
            : {
                // One job array, a task per point (modelLab.executor names a scheduler).
                title: n > 0 ? vscode.l10n.t('Run sweep on {0} ({1} jobs)', schedulerLabel(executor), n) : vscode.l10n.t('Run sweep on {0}', schedulerLabel(executor)),
                tooltip: vscode.l10n.t('Submit one {0} job per point of the sweep section, as one job array', schedulerLabel(executor)),
                command: CommandId.runSweep,
                arguments: [document.uri],
              },
        ),
      );
    }

    const found = this.resultsFor(document, sweep);
    const best = found?.results.best;
    if (found && best && found.results.runs > 1) {
      const bestRun = found.runs.inputs.find((r) => r.id === best.runId);
      const params = bestRun ? describeKeysOf(found.results, best.runId) : '';
      lenses.push(
        new vscode.CodeLens(range, {
          title: found.results.bestTest
            ? vscode.l10n.t('Best: {0} {1} {2} · test {3} {4}', shortRunId(best.runId), found.results.metric, formatMetric(best.value), found.results.bestTest.name, formatMetric(found.results.bestTest.value))
            : vscode.l10n.t('Best: {0} {1} {2}', shortRunId(best.runId), found.results.metric, formatMetric(best.value)),
          tooltip: vscode.l10n.t('Best of {0} finished runs: {1}. Click to open its dashboard.', found.results.runs, params ? `${best.runId} (${params})` : best.runId),
          command: CommandId.openDashboard,
          arguments: [best.runId],
        }),
      );
    }
    return lenses;
  }

  /** The whole story of one setting, as a Markdown table. */
  private table(key: KeyResults, found: DocumentResults): vscode.MarkdownString {
    const { results } = found;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: [CommandId.openDashboard] };
    const direction = results.goal === 'maximize' ? vscode.l10n.t('higher is better') : vscode.l10n.t('lower is better');
    md.appendMarkdown(`**${escapeMd(key.path)}** — ${vscode.l10n.t('{0} finished runs, by {1} ({2}); each value shows its best run, and the mean of its runs.', results.runs, results.metric, direction)}\n\n`);
    // The test column: each value's best run's test metric once evaluated (never what ranks).
    const testOf = (runId: string | undefined) => testMetricOf(found.runs.inputs.find((r) => r.id === runId)?.test, results.metric);
    const testName = key.values.map((v) => testOf(v.bestRunId)?.name).find((n) => n !== undefined);
    const testHead = testName ? ` ${vscode.l10n.t('test {0} (best run)', testName)} |` : '';
    md.appendMarkdown(`| ${vscode.l10n.t('value')} | ${vscode.l10n.t('runs')} | ${vscode.l10n.t('best')} | ${vscode.l10n.t('mean')} |${testHead} ${vscode.l10n.t('best run')} |\n|---|--:|--:|--:|${testName ? '--:|' : ''}---|\n`);
    for (const v of key.values) {
      const link = v.bestRunId ? `[${shortRunId(v.bestRunId)}](command:${CommandId.openDashboard}?${encodeURIComponent(JSON.stringify([v.bestRunId]))} "${v.bestRunId}")` : '—';
      const test = testName ? ` ${formatMetric(testOf(v.bestRunId)?.value)} |` : '';
      md.appendMarkdown(`| \`${formatParamValue(v.value, 40).replace(/\|/g, '\\|')}\`${v.star ? ' ★' : ''} | ${v.runs} | ${formatMetric(v.best)} | ${formatMetric(v.mean)} |${test} ${link} |\n`);
    }
    return md;
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

function sweepOf(root: JsonNode): SweepConfig | undefined {
  const node = findNodeAtLocation(root, ['sweep']);
  const value = node ? (getNodeValue(node) as unknown) : undefined;
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as SweepConfig) : undefined;
}

function safeSweepSize(sweep: SweepConfig): number {
  try {
    const n = sweepSize(sweep);
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}

/** The value nodes of sweep parameters that name this path. */
function sweepParameterNodes(root: JsonNode, segments: readonly PathSegment[]): JsonNode[] {
  const params = findNodeAtLocation(root, ['sweep', 'parameters']);
  if (params?.type !== 'object') return [];
  const out: JsonNode[] = [];
  for (const p of params.children ?? []) {
    const [k, v] = p.children ?? [];
    if (!k || !v || typeof k.value !== 'string') continue;
    try {
      if (samePath(parseConfigPath(k.value), segments)) out.push(v);
    } catch {
      // not a path; the diagnostics say so
    }
  }
  return out;
}

function samePath(a: readonly PathSegment[], b: readonly PathSegment[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Length of a path's text ("model.layers[0]" → 15), to cut the parent off a longer path. */
function pathLength(segments: readonly PathSegment[]): number {
  return segments.reduce<number>((n, s, i) => n + (typeof s === 'number' ? String(s).length + 2 : s.length + (i === 0 ? 0 : 1)), 0);
}

/** "learningRate=0.01, units=64": the differing settings of one run. */
function describeKeysOf(results: ConfigResults, runId: string): string {
  const keys = results.keys.slice(0, 4);
  const names = shortParamNames(keys.map((k) => k.path));
  return keys
    .map((k) => {
      const v = k.values.find((x) => x.runIds.includes(runId));
      return v ? `${names[k.path]}=${v.label}` : undefined;
    })
    .filter((s): s is string => s !== undefined)
    .join(', ');
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
