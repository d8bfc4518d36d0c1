// "Resume Training": an interrupted or stopped run carries on from the
// checkpoint of its last finished epoch, in its own folder, with its own
// config snapshot (core/checkpointFile.ts, trainer/engine.ts resumeTraining).
//
// Offered where the user meets such a run: a notification when a window
// finds runs that an earlier window left interrupted (reload, quit, crash),
// the Stopped notification, the sidebar's run actions and the dashboard.
// Never for a cluster run whose job the scheduler carries on (preempted or
// requeued: queued or running again): the job resumes it from its checkpoint,
// and a second trainer would fight it for the run folder.

import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { isClusterRun } from '../../core/clusterRuns';
import { whyNotResumable } from '../../node/checkpointFile';
import type { RunMeta } from '../../core/types';
import { backendSetting, threadsSetting } from '../shell/settings';
import type { ModelLabContext } from '../shell/ctx';
import { requireTrust, reportOutcome, showProgressNotification, startPathPolicy, trainerRuntimeFor } from './trainCommands';

/** Runs already offered in this workspace, so a notification comes once per interrupted run. */
const OFFERED_KEY = 'modelLab.resumeOffered';
/** Interrupted runs older than this are not announced (still resumable from the sidebar). */
const OFFER_WITHIN_MS = 7 * 24 * 3600 * 1000;

interface ResumableRun {
  id: string;
  dir: string;
  meta: RunMeta;
}

/** The run a command was given: a run id (dashboard, notification), a sidebar node, or nothing (then the user picks). */
async function targetRun(ctx: ModelLabContext, arg: unknown): Promise<ResumableRun | undefined> {
  if (typeof arg === 'string') {
    const entry = ctx.runIndex.find(ctx.runsDirs(), arg);
    return entry?.meta ? { id: entry.id, dir: entry.dir, meta: entry.meta } : undefined;
  }
  if (arg !== undefined) {
    const runs = ctx.experiments.runsOf(arg);
    const run = runs.length === 1 ? runs[0] : undefined;
    return run?.meta ? { id: run.id, dir: run.dir, meta: run.meta } : undefined;
  }
  const candidates = (await ctx.experiments.freshRuns()).filter((r) => r.meta && whyNotResumable(r.meta, r.dir) === undefined && !ctx.trainings.forRun(r.id));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No run can be resumed: only interrupted or stopped runs that finished at least one epoch can.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((r) => ({
      label: r.meta!.name,
      description: vscode.l10n.t('{0} after epoch {1} of {2}', r.meta!.status, r.meta!.epochsDone, r.meta!.epochsPlanned),
      detail: vscode.workspace.asRelativePath(r.dir),
      run: { id: r.id, dir: r.dir, meta: r.meta! },
    })),
    { placeHolder: vscode.l10n.t('Which run do you want to resume?') },
  );
  return picked?.run;
}

export async function resumeRun(ctx: ModelLabContext, arg?: unknown): Promise<void> {
  const run = await targetRun(ctx, arg);
  if (!run) return;
  if (ctx.trainings.forRun(run.id)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is already training.', run.meta.name));
    return;
  }
  if (isClusterRun(run.meta)) {
    await ctx.cluster.watcher.poke(); // the scheduler's word now, not the last poll's
    if (ctx.cluster.watcher.carriesOn({ dir: run.dir, meta: run.meta })) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Cannot resume {0}: its job {1} is queued or running again on the cluster, and carries on from its checkpoint by itself.', run.meta.name, run.meta.job.id));
      return;
    }
  }
  const why = whyNotResumable(run.meta, run.dir);
  if (why) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Cannot resume {0}: {1}.', run.meta.name, why));
    return;
  }
  if (!(await requireTrust())) return;
  const configUri = vscode.Uri.file(run.meta.configPath);
  const running = ctx.trainings.get(configUri);
  if (running) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is training another run of this config. Stop it first, or resume later.', running.name));
    return;
  }
  const runtime = trainerRuntimeFor(ctx, configUri);
  if (!runtime) return;
  const runsDir = dirname(run.dir);
  const session = ctx.trainings.start({
    configUri,
    name: run.meta.name,
    runsDir,
    runtime,
    start: {
      type: 'start',
      configPath: run.meta.configPath,
      runsDir,
      backend: backendSetting(configUri),
      nativeModuleDirs: [ctx.nativeModulesDir],
      resumeRunDir: run.dir,
      ...startPathPolicy(configUri),
      threads: { setting: threadsSetting(configUri) },
    },
  });
  ctx.log.info(`[${run.meta.name}] resuming run ${run.id} after epoch ${run.meta.epochsDone} of ${run.meta.epochsPlanned}`);
  ctx.dashboard.follow(session);
  showProgressNotification(ctx, session);
  void session.process.done.then((outcome) => reportOutcome(ctx, session, outcome));
}

/**
 * Announces runs that an earlier window left interrupted, once each: at
 * activation, and when a run folder changes (a trainer of the closed window
 * may still be writing "interrupted" as this window starts).
 */
export class ResumeOffers implements vscode.Disposable {
  private showing = false;
  private disposed = false;

  constructor(private readonly ctx: ModelLabContext) {}

  check(): void {
    if (this.showing || this.disposed || !vscode.workspace.isTrusted) return;
    const offered = new Set(this.ctx.extension.workspaceState.get<string[]>(OFFERED_KEY, []));
    const now = Date.now();
    const fresh: ResumableRun[] = [];
    for (const dir of this.ctx.runsDirs()) {
      for (const entry of this.ctx.runIndex.runs(dir)) {
        const meta = entry.meta;
        if (!meta || meta.status !== 'interrupted' || offered.has(entry.id) || this.ctx.trainings.forRun(entry.id)) continue;
        // A cluster run: only once the scheduler said its job will not carry it on (asked by the cluster watcher, which calls check again).
        if (isClusterRun(meta) && (this.ctx.cluster.watcher.jobState(meta.job.id) === undefined || this.ctx.cluster.watcher.carriesOn(entry))) continue;
        const when = Date.parse(meta.endedAt ?? meta.createdAt);
        if (!(now - when < OFFER_WITHIN_MS)) continue;
        if (whyNotResumable(meta, entry.dir) === undefined) fresh.push({ id: entry.id, dir: entry.dir, meta });
      }
    }
    if (fresh.length === 0) return;
    for (const r of fresh) offered.add(r.id);
    // Only the most recent ids need remembering.
    void this.ctx.extension.workspaceState.update(OFFERED_KEY, [...offered].slice(-200));
    this.showing = true;
    void this.offer(fresh).finally(() => (this.showing = false));
  }

  private async offer(runs: ResumableRun[]): Promise<void> {
    const resume = vscode.l10n.t('Resume');
    const open = vscode.l10n.t('Open Dashboard');
    if (runs.length === 1) {
      const { meta } = runs[0];
      const choice = await vscode.window.showInformationMessage(
        vscode.l10n.t('Training {0} was interrupted after epoch {1} of {2}. Resume it from its checkpoint?', meta.name, meta.epochsDone, meta.epochsPlanned),
        resume,
        open,
      );
      if (choice === resume) await resumeRun(this.ctx, runs[0].id);
      if (choice === open) this.ctx.dashboard.open({ id: runs[0].id, dir: runs[0].dir });
      return;
    }
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('{0} trainings were interrupted. Resume one from its checkpoint?', runs.length), resume);
    if (choice === resume) await resumeRun(this.ctx);
  }

  dispose(): void {
    this.disposed = true;
  }
}
