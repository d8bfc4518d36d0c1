// Cancel, for cluster runs in the Experiments view: asks the scheduler to
// stop each selected queued or running job and records the runs as cancelled.

import * as vscode from 'vscode';
import { isActiveStatus, isClusterRun } from '../../core/clusterRuns';
import { ExecutorError } from '../../node/executors/executor';
import type { ModelLabContext } from '../shell/ctx';
import { executorErrorText } from './clusterSubmit';
import type { RunNode } from '../runs/experimentTreeModel';

/** The cluster runs a command was invoked on: the selection when the clicked run is in it, else the clicked run or the run id. */
function targetClusterRuns(ctx: ModelLabContext, arg: unknown, selection: unknown): RunNode[] {
  const elements = Array.isArray(selection) && selection.length > 0 ? selection : arg !== undefined ? [arg] : [];
  const runs = elements.flatMap((e) => (typeof e === 'string' ? [ctx.experiments.findRun(e)].filter((r): r is RunNode => !!r) : ctx.experiments.runsOf(e)));
  const seen = new Set<string>();
  return runs.filter((r) => isClusterRun(r.meta) && isActiveStatus(r.state === 'damaged' ? 'failed' : r.state) && (seen.has(r.id) ? false : (seen.add(r.id), true)));
}

export async function cancelRuns(ctx: ModelLabContext, arg: unknown, selection: unknown): Promise<void> {
  let runs = targetClusterRuns(ctx, arg, selection);
  if (runs.length === 0 && arg === undefined) {
    // From the palette: the cluster runs still queued or running.
    const active = (await ctx.experiments.freshRuns()).filter((r) => r.contextValue === 'run.cluster');
    if (active.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No cluster job is queued or running.'));
      return;
    }
    const picked = await vscode.window.showQuickPick(
      active.map((r) => ({ label: r.meta!.name, description: vscode.l10n.t('job {0}', r.meta!.job!.id), detail: r.id, run: r })),
      { canPickMany: true, placeHolder: vscode.l10n.t('Which cluster jobs do you want to cancel?') },
    );
    runs = (picked ?? []).map((p) => p.run);
  }
  for (const run of runs) {
    const jobId = run.meta!.job!.id;
    try {
      // The scheduler takes a moment to end a job; the run is marked once it has.
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Cancelling job {0}…', jobId) }, () =>
        ctx.cluster.cancel(run.dir, run.meta!),
      );
    } catch (err) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not cancel job {0}: {1}', jobId, err instanceof ExecutorError ? executorErrorText(err) : ((err as Error).message ?? String(err))));
    }
  }
  if (runs.length > 0) ctx.experiments.refresh();
}
