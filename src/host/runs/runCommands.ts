// The commands of the Experiments view: open a run, compare runs, train a
// run's config again, stop, delete, reveal and export a run. Each takes what
// VS Code passes from the view (the clicked element and the selection) or a
// run id; commandIds.ts lists them, commands.ts registers them.

import { rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { metricsToCsv } from '../../core/metricsCsv';
import { readRunSnapshot } from '../../node/runStoreReader';
import { CommandId } from '../shell/commandIds';
import type { ModelLabContext } from '../shell/ctx';
import { revealFolder } from '../panels/dashboardPanel';
import { formatRunTime, type RunNode } from './experimentTreeModel';
import { paramLabel } from '../../core/runComparison';
import { formatMetric } from '../../core/metrics';
import { samePath } from './runIndex';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** The runs a command was invoked on: the view's selection when the clicked element is part of it, else the element. */
function targetRuns(ctx: ModelLabContext, arg: unknown, selection: unknown): RunNode[] {
  const view = ctx.experiments;
  const elements = Array.isArray(selection) && selection.length > 0 ? selection : arg !== undefined ? [arg] : [];
  const runs: RunNode[] = [];
  for (const element of elements) {
    if (typeof element === 'string') {
      const run = view.findRun(element);
      if (run) runs.push(run);
    } else {
      runs.push(...view.runsOf(element));
    }
  }
  const seen = new Set<string>();
  return runs.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
}

/** The single run a command was invoked on (a node or a run id). */
function targetRun(ctx: ModelLabContext, arg: unknown): RunNode | undefined {
  if (typeof arg === 'string') return ctx.experiments.findRun(arg);
  const runs = ctx.experiments.runsOf(arg);
  return runs.length === 1 ? runs[0] : undefined;
}

function runLabel(run: RunNode): string {
  const meta = run.meta;
  if (!meta) return run.id;
  const point = meta.sweep ? ` #${meta.sweep.index + 1} ${paramLabel(meta.sweep.params ?? {})}` : '';
  return `${meta.name} · ${formatRunTime(meta.createdAt, run.id)}${point}`;
}

export function openRun(ctx: ModelLabContext, arg: unknown): void {
  const run = targetRun(ctx, arg);
  if (!run?.meta) return;
  ctx.dashboard.open({ id: run.id, dir: run.dir });
}

/** Compares the selected runs, a sweep's or an experiment's runs; asks which runs when that leaves fewer than two. */
export async function compareRuns(ctx: ModelLabContext, arg?: unknown, selection?: unknown): Promise<void> {
  let runs = targetRuns(ctx, arg, selection).filter((r) => r.meta);
  if (arg === undefined && runs.length === 0) runs = ctx.experiments.selectedRuns().filter((r) => r.meta);
  if (runs.length === 1) {
    await compareWith(ctx, runs[0]);
    return;
  }
  if (runs.length === 0) {
    const picked = await pickRuns(ctx, [], vscode.l10n.t('Select the runs to compare'));
    if (!picked || picked.length === 0) return;
    runs = picked;
  }
  ctx.compare.open(runs.map((r) => ({ id: r.id, dir: r.dir })));
}

export async function compareWith(ctx: ModelLabContext, arg: unknown): Promise<void> {
  const base = targetRun(ctx, arg);
  if (!base?.meta) return;
  const picked = await pickRuns(ctx, [base.id], vscode.l10n.t('Compare {0} with…', runLabel(base)));
  if (!picked || picked.length === 0) return;
  ctx.compare.open([base, ...picked].map((r) => ({ id: r.id, dir: r.dir })));
}

async function pickRuns(ctx: ModelLabContext, exclude: string[], placeHolder: string): Promise<RunNode[] | undefined> {
  const candidates = (await ctx.experiments.freshRuns()).filter((r) => r.meta && !exclude.includes(r.id));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('There are no other runs to compare with. Train the experiment again to get one.'));
    return undefined;
  }
  const items = candidates.map((run) => ({
    label: runLabel(run),
    description: run.headline ? `${run.headline.name} ${formatMetric(run.headline.value)}` : run.meta!.status,
    detail: vscode.workspace.asRelativePath(run.dir),
    run,
  }));
  const picked = await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder, matchOnDescription: true });
  return picked?.map((p) => p.run);
}

/** Trains the run's config again (or an orphan experiment's, if the file came back). */
export async function trainAgain(ctx: ModelLabContext, arg: unknown): Promise<void> {
  const run = targetRun(ctx, arg);
  const experiment = ctx.experiments.experimentOf(arg);
  const configPath = run?.meta?.configPath ?? experiment?.configPath;
  if (!configPath) return;
  const uri = vscode.Uri.file(configPath);
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    void vscode.window.showErrorMessage(vscode.l10n.t('The config of this run is no longer there: {0}', configPath));
    return;
  }
  await vscode.commands.executeCommand(CommandId.train, uri);
}

export function stopRun(ctx: ModelLabContext, arg: unknown): void {
  const run = targetRun(ctx, arg);
  const session = run ? ctx.trainings.forRun(run.id) : undefined;
  if (!session) {
    void vscode.window.showInformationMessage(vscode.l10n.t('This run is not training in this window.'));
    return;
  }
  ctx.trainings.stop(session);
}

/** Deletes run folders after a modal confirmation; never a run that is training. */
export async function deleteRuns(ctx: ModelLabContext, arg: unknown, selection?: unknown): Promise<void> {
  const runs = targetRuns(ctx, arg, selection).filter((r) => r.kind === 'run');
  if (runs.length === 0) return;
  const busy = runs.filter((r) => r.contextValue === 'run.training' || r.contextValue === 'run.busy' || ctx.trainings.forRun(r.id));
  if (busy.length > 0) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t('{0} is still training. Stop it before deleting it.', busy.map(runLabel).join(', ')),
    );
    return;
  }
  const runsDirs = ctx.experiments.allRunsDirs();
  const outside = runs.filter((r) => !RUN_ID.test(basename(r.dir)) || !runsDirs.some((d) => samePath(dirname(r.dir), d)));
  if (outside.length > 0) {
    ctx.log.error(`delete: refused folders outside the runs folders: ${outside.map((r) => r.dir).join(', ')}`);
    return;
  }
  const del = vscode.l10n.t('Delete');
  const message = runs.length === 1 ? vscode.l10n.t('Delete the run {0}?', runLabel(runs[0])) : vscode.l10n.t('Delete {0} runs?', runs.length);
  const detail =
    runs.length === 1
      ? vscode.l10n.t('Its folder, with its metrics and saved model, is removed from disk: {0}. This cannot be undone.', runs[0].dir)
      : vscode.l10n.t('Their folders, with their metrics and saved models, are removed from disk. This cannot be undone.');
  const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, del);
  if (choice !== del) return;
  const deleted: string[] = [];
  for (const run of runs) {
    try {
      rmSync(run.dir, { recursive: true, force: true });
      deleted.push(run.id);
      ctx.log.info(`deleted run ${run.id} (${run.dir})`);
    } catch (err) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not delete {0}: {1}', run.dir, (err as Error).message));
    }
  }
  for (const dir of runsDirs) ctx.runIndex.invalidate(dir);
  ctx.compare.forget(deleted);
  ctx.codeLens.refresh(true);
  ctx.experiments.refresh(true);
}

export async function revealRun(ctx: ModelLabContext, arg: unknown): Promise<void> {
  const run = targetRun(ctx, arg);
  if (run) await revealFolder(vscode.Uri.file(run.dir));
}

export async function exportRunCsv(ctx: ModelLabContext, arg: unknown): Promise<void> {
  const run = targetRun(ctx, arg);
  if (!run?.meta) return;
  const snapshot = readRunSnapshot(run.dir);
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(run.dir))?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${run.id}-metrics.csv`) : undefined,
    filters: { [vscode.l10n.t('CSV files')]: ['csv'] },
    title: vscode.l10n.t('Export the metrics of {0} as CSV', runLabel(run)),
  });
  if (!target) return;
  await vscode.workspace.fs.writeFile(target, Buffer.from(metricsToCsv(snapshot.metrics), 'utf8'));
  void vscode.window.showInformationMessage(vscode.l10n.t('Exported {0} rows to {1}.', snapshot.metrics.length, vscode.workspace.asRelativePath(target)));
}

/**
 * Shows where a fine-tuned run came from: the base run selected in the
 * Experiments view and opened in the dashboard, or an export folder revealed.
 * From the palette: the run the dashboard shows, else one picked among the
 * fine-tuned runs.
 */
export async function showBaseRun(ctx: ModelLabContext, arg: unknown): Promise<void> {
  let run = arg !== undefined ? targetRun(ctx, arg) : undefined;
  if (!run) {
    const fineTuned = (await ctx.experiments.freshRuns()).filter((r) => r.base);
    const shown = fineTuned.find((r) => r.id === ctx.dashboard.shownRunId);
    if (shown) run = shown;
    else if (fineTuned.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No run here was fine-tuned from a base (model.base).'));
      return;
    } else {
      const picked = await vscode.window.showQuickPick(
        fineTuned.map((r) => ({ label: runLabel(r), description: r.base!.run ? runLabel(r.base!.run) : r.base!.record.path, run: r })),
        { placeHolder: vscode.l10n.t('Show the base of which run?'), matchOnDescription: true },
      );
      if (!picked) return;
      run = picked.run;
    }
  }
  const link = run.base;
  if (!link) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} was not fine-tuned from a base.', runLabel(run)));
    return;
  }
  if (link.run) {
    const base = link.run;
    ctx.log.info(`show base run: ${run.id} was fine-tuned from ${base.id}`);
    // The focus stays in the view: a dashboard taking it would make the active editor's config
    // (the fine-tuned one, most likely) show its own run again (src/host/attention/attentionFollower.ts).
    ctx.dashboard.open({ id: base.id, dir: base.dir }, { preserveFocus: true });
    // Not awaited: VS Code may settle a reveal only when the view is next drawn.
    ctx.experiments.view.reveal(base, { select: true, focus: true }).then(undefined, (err: unknown) => ctx.log.warn(`show base run: could not reveal ${base.id} in the view: ${String(err)}`));
    return;
  }
  if (link.missing) {
    void vscode.window.showWarningMessage(vscode.l10n.t('The base of {0} is no longer there: {1}', runLabel(run), link.record.path));
    return;
  }
  await revealFolder(vscode.Uri.file(link.record.path));
}
