// What `modellab train` prints for a cross-validated config: each fold's
// validation metrics and their mean ± std (a table, or one JSON line), and
// the exit code; and how `modellab runs` shows the folds as one group.

import { foldStats, formatFoldStat } from '../core/crossValidation';
import type { FoldStat } from '../core/crossValidation';
import { runMetrics } from '../core/configResults';
import type { Evaluation, RunMeta } from '../core/types';
import { evaluationHeadline } from '../core/evaluationMetrics';
import { fmt, INTERRUPTED_EXIT } from './trainReport';

export interface FoldResult {
  meta: RunMeta;
  runDir: string;
  evaluation?: Evaluation;
}

/** The validation metrics of a fold run (its kept epoch's), keyed as logged ("val_loss", "val_mae"). */
export function foldValidationMetrics(meta: RunMeta | undefined): Record<string, number> | undefined {
  const m = meta?.status === 'completed' ? runMetrics(meta) : undefined;
  if (!m) return undefined;
  return Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith('val_')));
}

/** Mean ± std of each validation metric over the completed folds. */
export function foldSummary(metas: readonly (RunMeta | undefined)[]): Record<string, FoldStat> {
  return foldStats(metas.map(foldValidationMetrics));
}

/** Prints a cross-validation's folds and their mean ± std; returns the exit code (0 when every fold completed or stopped). */
export function printFoldResults(json: boolean, groupId: string, k: number, results: readonly FoldResult[]): number {
  const summary = foldSummary(results.map((r) => r.meta));
  const testStats = foldStats(results.map((r) => (r.evaluation ? evaluationHeadline(r.evaluation) : undefined)));
  if (json) {
    process.stdout.write(
      JSON.stringify({
        type: 'crossValidation',
        id: groupId,
        k,
        folds: results.map((r) => ({ index: r.meta.fold?.index, runId: r.meta.id, runDir: r.runDir, status: r.meta.status, epochs: r.meta.epochsDone, bestEpoch: r.meta.bestEpoch, metrics: foldValidationMetrics(r.meta), evaluation: r.evaluation, error: r.meta.error })),
        mean: Object.fromEntries(Object.entries(summary).map(([key, s]) => [key, s.mean])),
        std: Object.fromEntries(Object.entries(summary).map(([key, s]) => [key, s.std])),
        test: testStats,
      }) + '\n',
    );
  } else {
    const keys = Object.keys(summary);
    const testKeys = Object.keys(testStats);
    const header = ['fold', 'status', 'epochs', ...keys, ...testKeys.map((key) => `test ${key}`), 'run'];
    const rows = results.map((r) => {
      const m = foldValidationMetrics(r.meta) ?? {};
      const t = r.evaluation ? evaluationHeadline(r.evaluation) : {};
      return [String((r.meta.fold?.index ?? 0) + 1), r.meta.status, String(r.meta.epochsDone), ...keys.map((key) => fmt(m[key])), ...testKeys.map((key) => fmt(t[key])), r.meta.id];
    });
    const total = ['mean ± std', '', '', ...keys.map((key) => formatFoldStat(summary[key], fmt)), ...testKeys.map((key) => formatFoldStat(testStats[key], fmt)), ''];
    const all = [header, ...rows, total];
    const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
    const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
    const name = results[0]?.meta.name ?? '';
    process.stdout.write(`\ncross-validation ${groupId}: ${results.length} of ${k} fold(s) of ${name}; each fold validates on its own 1/${k} of the training data (std over the folds)\n`);
    for (const r of all) process.stdout.write(line(r) + '\n');
    for (const r of results) if (r.meta.error) process.stdout.write(`fold ${(r.meta.fold?.index ?? 0) + 1}: ${r.meta.error}\n`);
  }
  const codes = results.map((r) => (r.meta.status === 'completed' || r.meta.status === 'stopped' ? 0 : r.meta.status === 'interrupted' ? INTERRUPTED_EXIT : 1));
  if (results.length < k && codes.every((c) => c === 0)) return 0; // stopped by the user before the last folds
  return codes.find((c) => c === 1) ?? codes.find((c) => c !== 0) ?? 0;
}

/** One line for a group of fold runs in `modellab runs`: the group, its k, and its validation metrics' mean ± std. */
export function foldGroupLine(groupId: string, k: number, metas: readonly (RunMeta | undefined)[]): string {
  const summary = foldSummary(metas);
  const shown = Object.entries(summary).filter(([key]) => key === 'val_loss' || key !== 'val_loss');
  const done = metas.filter((m) => m?.status === 'completed').length;
  const name = metas.find((m) => m)?.name ?? '';
  return `${groupId}  cross-validation of ${name}: ${done}/${k} folds completed  ${shown.map(([key, s]) => `${key} ${formatFoldStat(s, fmt)}`).join('  ')}`.trimEnd();
}
