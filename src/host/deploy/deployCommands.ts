// Deploy Run, Stop Deployment and Export Run: the command flow (which run,
// progress, notifications) over the deployments the context owns
// (deploymentService.ts).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { exportRun } from '../../node/modelExport';
import type { RunMeta } from '../../core/types';
import type { ModelLabContext } from '../shell/ctx';

/** What these commands need of a run. */
interface TargetRun {
  id: string;
  dir: string;
  meta?: RunMeta;
}

function runLabel(run: TargetRun): string {
  return run.meta ? `${run.meta.name} (${run.id})` : run.id;
}

/** The run a command is for: a run id, a node of the Experiments view, else one the user picks among runs with a model. */
async function chooseRun(ctx: ModelLabContext, arg: unknown, placeHolder: string): Promise<TargetRun | undefined> {
  if (typeof arg === 'string') return ctx.experiments.findRun(arg) ?? ctx.runIndex.find(ctx.runsDirs(), arg);
  if (arg !== undefined) {
    const runs = ctx.experiments.runsOf(arg);
    if (runs.length === 1) return runs[0];
  }
  const withModel = (await ctx.experiments.freshRuns()).filter((r) => r.meta?.status === 'completed' && existsSync(join(r.dir, 'model', 'model.json')));
  if (withModel.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No finished run has a saved model yet. Train a config first.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    withModel.map((run) => ({ label: run.meta?.name ?? run.id, description: run.id, detail: run.meta?.task, run })),
    { placeHolder },
  );
  return picked?.run;
}

export async function deployRun(ctx: ModelLabContext, arg: unknown): Promise<void> {
  const run = await chooseRun(ctx, arg, vscode.l10n.t('Choose the run to deploy'));
  if (!run) return;
  const address = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Deploying {0}…', runLabel(run)) }, () =>
    ctx.deployments.start({ id: run.id, dir: run.dir, label: runLabel(run) }),
  );
  const copy = vscode.l10n.t('Copy address');
  const open = vscode.l10n.t('Open');
  const stop = vscode.l10n.t('Stop');
  const choice = await vscode.window.showInformationMessage(vscode.l10n.t('{0} is served at {1} (TensorFlow Serving REST API).', runLabel(run), address.url), copy, open, stop);
  if (choice === copy) await vscode.env.clipboard.writeText(address.url);
  else if (choice === open) await vscode.env.openExternal(vscode.Uri.parse(`${address.url}/metadata`));
  else if (choice === stop) await ctx.deployments.stop(run.id);
}

export async function stopDeployment(ctx: ModelLabContext, arg: unknown): Promise<void> {
  const live = ctx.deployments.all();
  if (live.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No deployment is running.'));
    return;
  }
  let runId = typeof arg === 'string' ? arg : live.length === 1 ? live[0].runId : undefined;
  if (!runId) {
    const picked = await vscode.window.showQuickPick(
      live.map((d) => ({ label: d.label, description: d.address?.url, runId: d.runId })),
      { placeHolder: vscode.l10n.t('Choose the deployment to stop') },
    );
    runId = picked?.runId;
  }
  if (runId) await ctx.deployments.stop(runId);
}

export async function exportRunModel(ctx: ModelLabContext, arg: unknown): Promise<void> {
  const run = await chooseRun(ctx, arg, vscode.l10n.t('Choose the run to export'));
  if (!run) return;
  const folders = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    defaultUri: vscode.workspace.getWorkspaceFolder(vscode.Uri.file(run.dir))?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri,
    openLabel: vscode.l10n.t('Export Here'),
    title: vscode.l10n.t('Export the model of {0}', runLabel(run)),
  });
  if (!folders?.[0]) return;
  // A subfolder named after the run, so exporting never mixes files into the chosen folder.
  const out = vscode.Uri.joinPath(folders[0], `${run.id}-export`);
  const { card } = exportRun(run.dir, out.fsPath);
  ctx.deployments.recordExport(run.id, vscode.workspace.asRelativePath(out));
  const reveal = vscode.l10n.t('Open Model Card');
  const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Exported {0} ({1} files) to {2}.', runLabel(run), card.files.length, vscode.workspace.asRelativePath(out)), reveal);
  if (choice === reveal) await vscode.window.showTextDocument(vscode.Uri.joinPath(out, 'model-card.md'));
}
