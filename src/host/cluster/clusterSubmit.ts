// "Train this config" and "Run sweep" when modelLab.executor names a
// scheduler: the config (already saved and validated by the caller) is handed
// to the executor, which creates the queued run folders and submits one job,
// or one job array for a sweep. The runs show in the sidebar at once, as
// queued; ClusterService follows them from there.

import * as vscode from 'vscode';
import { ExecutorError, SchedulerCommandMissing, SubmissionConfigError } from '../../node/executors/executor';
import type { RunSubmission, Submitted } from '../../node/executors/executor';
import { formatDiagnostic } from '../../node/configValidation';
import type { TrainerRuntime } from '../../node/trainerRuntime';
import { backendSetting, slurmJobSettings } from '../shell/settings';
import type { ModelLabContext } from '../shell/ctx';
import { EXPERIMENTS_VIEW_ID } from '../runs/experimentsView';
import { schedulerExecutor, schedulerLabel } from './executorSettings';
import type { Scheduler } from './executorSettings';

/** What a submission asks the executor for: the config, its runs folder, the job's resources and the program it runs. */
function submission(ctx: ModelLabContext, configUri: vscode.Uri, runtime: TrainerRuntime): RunSubmission {
  // By default the job runs the Node and the CLI this editor trains with (under VS Code Remote, in the home folder the nodes share).
  const job = slurmJobSettings({ nodePath: runtime.execPath, cliPath: ctx.extension.asAbsolutePath('dist/cli.js') }, configUri);
  return {
    configPath: configUri.fsPath,
    runsDir: ctx.runsDirForConfig(configUri),
    backend: backendSetting(configUri),
    resources: job.resources,
    program: job.program,
    modelLabVersion: String((ctx.extension.extension.packageJSON as { version?: unknown }).version ?? 'unknown'),
  };
}

/** Submits one training of the config as a job. */
export async function trainOnCluster(ctx: ModelLabContext, scheduler: Scheduler, configUri: vscode.Uri, name: string, runtime: TrainerRuntime): Promise<void> {
  const request = submission(ctx, configUri, runtime);
  const submitted = await submit(ctx, scheduler, configUri, () => schedulerExecutor(scheduler).submitRun(request));
  if (!submitted) return;
  const run = submitted.runs[0];
  ctx.log.info(`[${name}] submitted to ${schedulerLabel(scheduler)} as job ${submitted.jobId}: ${run.runDir}`);
  afterSubmit(ctx);
  ctx.dashboard.open({ id: run.meta.id, dir: run.runDir }, { preserveFocus: true });
  const show = vscode.l10n.t('Show Runs');
  const choice = await vscode.window.showInformationMessage(vscode.l10n.t('{0} was submitted to {1} as job {2}; it is queued.', name, schedulerLabel(scheduler), submitted.jobId), show);
  if (choice === show) await vscode.commands.executeCommand(`${EXPERIMENTS_VIEW_ID}.focus`);
}

/** Submits every point of the config's sweep as one job array. */
export async function sweepOnCluster(ctx: ModelLabContext, scheduler: Scheduler, configUri: vscode.Uri, name: string, runtime: TrainerRuntime, concurrency: number): Promise<void> {
  const request = { ...submission(ctx, configUri, runtime), concurrency };
  const submitted = await submit(ctx, scheduler, configUri, () => schedulerExecutor(scheduler).submitSweep(request));
  if (!submitted) return;
  ctx.log.info(`[${name}] sweep ${submitted.sweepId ?? '?'} submitted to ${schedulerLabel(scheduler)} as job array ${submitted.jobId} (${submitted.runs.length} tasks, ${concurrency} at a time)`);
  afterSubmit(ctx);
  const show = vscode.l10n.t('Show Runs');
  const choice = await vscode.window.showInformationMessage(
    vscode.l10n.t('The sweep of {0} was submitted to {1} as job array {2}: {3} runs, queued.', name, schedulerLabel(scheduler), submitted.jobId, submitted.runs.length),
    show,
  );
  if (choice === show) await vscode.commands.executeCommand(`${EXPERIMENTS_VIEW_ID}.focus`);
}

function afterSubmit(ctx: ModelLabContext): void {
  // The queued folders exist now: list them at once and start following their jobs.
  ctx.runIndex.invalidate();
  ctx.experiments.refresh();
  ctx.codeLens.refresh(true);
  ctx.cluster.poke();
}

/** What a scheduler's error says to the user: a missing command in the user's language (the executor is a scheduler, and how to train here instead), else the scheduler's own words. */
export function executorErrorText(err: ExecutorError): string {
  if (err instanceof SchedulerCommandMissing) {
    return vscode.l10n.t(
      '{0} was not found on this machine: the setting modelLab.executor is "{1}", which hands runs to a {2} cluster and needs its commands on the PATH. To train on this machine instead, set modelLab.executor to "local".',
      err.command,
      err.executor,
      schedulerLabel(err.executor === 'local' ? 'slurm' : err.executor),
    );
  }
  return err.message;
}

/** Runs a submission under a progress notification; says what the scheduler or the config refused, and how to train locally instead. */
async function submit(ctx: ModelLabContext, scheduler: Scheduler, configUri: vscode.Uri, go: () => Promise<Submitted>): Promise<Submitted | undefined> {
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Submitting to {0}…', schedulerLabel(scheduler)) },
      go,
    );
  } catch (err) {
    if (err instanceof SubmissionConfigError) {
      const first = err.diagnostics.find((d) => d.severity === 'error');
      void vscode.window.showErrorMessage(vscode.l10n.t('Nothing was submitted: {0}', first ? formatDiagnostic(err.configPath, first) : err.message));
      return undefined;
    }
    if (!(err instanceof ExecutorError)) throw err;
    ctx.log.warn(`submitting ${configUri.fsPath} to ${scheduler} failed: ${err.message}`);
    const settings = vscode.l10n.t('Open the Executor Setting');
    const choice = await vscode.window.showErrorMessage(executorErrorText(err), settings);
    if (choice === settings) await vscode.commands.executeCommand('workbench.action.openSettings', 'modelLab.executor');
    return undefined;
  }
}
