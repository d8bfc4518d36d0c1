// The editor's side of cluster runs: one ClusterWatcher following queued and
// running jobs (the sidebar, the dashboard and the compare panel listen to
// it), the status-bar item that counts them while the executor is a
// scheduler, and cancelling a job.

import * as vscode from 'vscode';
import { isClusterRun } from '../../core/clusterRuns';
import type { JobCounts } from '../../core/clusterRuns';
import type { DashboardFollow } from '../../core/protocol/dashboard';
import type { ExecutorName, JobState, RunMeta, RunStatus, SchedulerJob } from '../../core/types';
import type { Executor } from '../../node/executors/executor';
import { cancelClusterRun, clusterRunStates } from '../../node/executors/followJobs';
import { runFolderStamp } from '../../node/runFolderStamp';
import type { JobStates, RunListEntry } from '../../node/runStoreReader';
import { ClusterWatcher } from '../runs/clusterWatcher';
import type { ClusterChange } from '../runs/clusterWatcher';
import { EXPERIMENTS_VIEW_ID } from '../runs/experimentsView';
import { schedulerLabel } from './executorSettings';
import { affectsSetting } from '../shell/settings';

export interface ClusterServiceDeps {
  log: vscode.LogOutputChannel;
  /** Every run folder the editor lists, read now; `jobs`: what the scheduler said of cluster runs' jobs, judged into their status. */
  listRuns(jobs?: JobStates): RunListEntry[];
  /** The executor of a scheduler (built from the settings when asked). */
  executor(name: Exclude<ExecutorName, 'local'>): Executor;
  /** The executor the settings choose for new runs (modelLab.executor). */
  chosenExecutor(): ExecutorName;
}

export class ClusterService implements vscode.Disposable {
  readonly watcher: ClusterWatcher;
  private readonly item = vscode.window.createStatusBarItem('modelLab.clusterJobs', vscode.StatusBarAlignment.Left, 9);
  private readonly disposables: vscode.Disposable[] = [];
  private shownCounts: JobCounts = { queued: 0, running: 0 };

  constructor(private readonly deps: ClusterServiceDeps) {
    this.watcher = new ClusterWatcher({
      listRuns: (jobs) => deps.listRuns(jobs),
      query: (jobs) => this.query(jobs),
      stamp: runFolderStamp,
      log: (message) => deps.log.warn(message),
    });
    this.item.name = vscode.l10n.t('Model Lab cluster jobs');
    this.item.command = { title: vscode.l10n.t('Show Runs'), command: `${EXPERIMENTS_VIEW_ID}.focus` };
    this.disposables.push(
      this.item,
      this.watcher,
      this.watcher.onDidChange((change) => {
        const before = this.shownCounts;
        if (before.queued !== change.counts.queued || before.running !== change.counts.running) {
          deps.log.info(`cluster jobs: ${change.counts.queued} queued, ${change.counts.running} running`);
        }
        this.showCounts(change.counts);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsSetting(e, 'executor')) this.showCounts(this.watcher.counts);
      }),
    );
    this.showCounts(this.watcher.counts);
  }

  /** Look at the cluster runs now (after a submission, a file event, a refresh); polling goes on by itself while one is active. */
  poke(): void {
    void this.watcher.poke();
  }

  /** Hears which run folders changed after each poll that found a change. */
  onDidChange(listener: (change: ClusterChange) => void): vscode.Disposable {
    const sub = this.watcher.onDidChange(listener);
    return { dispose: () => sub.dispose() };
  }

  /** For the dashboard: a cluster run still followed, with its job line and the status the editor shows. */
  followInfo(runDir: string, meta: RunMeta): { follow: DashboardFollow; status: RunStatus } | undefined {
    if (!isClusterRun(meta) || !this.watcher.follows(runDir)) return undefined;
    const shown = this.watcher.stateOf({ dir: runDir, meta }) ?? { status: meta.status };
    const follow: DashboardFollow = {
      jobId: meta.job.id,
      updatedAt: this.watcher.updatedAt(runDir) ?? Date.now(),
      ...(shown.reason ? { reason: shown.reason } : {}),
      ...(shown.node ? { node: shown.node } : {}),
    };
    return { follow, status: shown.status };
  }

  /** Asks the job's scheduler to stop it and records the run as cancelled once the scheduler says it ended (src/node/executors/followJobs.ts). */
  async cancel(runDir: string, meta: RunMeta): Promise<RunMeta> {
    if (!isClusterRun(meta)) throw new Error(vscode.l10n.t('{0} is not a cluster run.', meta.id));
    const ended = await cancelClusterRun(this.deps.executor(meta.job.executor), runDir);
    this.deps.log.info(`[${meta.name}] cancelled ${meta.job.executor} job ${meta.job.id} of run ${meta.id}: ${ended.status}`);
    this.poke();
    return ended;
  }

  /**
   * One query per scheduler for the jobs asked about; a job that ended while
   * its folder still says queued or running (it failed before the trainer
   * started, it was cancelled) has its folder brought up to date on the way.
   */
  private async query(jobs: readonly SchedulerJob[]): Promise<ReadonlyMap<string, JobState>> {
    const out = new Map<string, JobState>();
    const asked = new Set(jobs.map((j) => j.id));
    const runs = this.deps.listRuns().filter((r) => isClusterRun(r.meta) && asked.has(r.meta.job.id));
    for (const name of new Set(jobs.map((j) => j.executor))) {
      for (const state of await clusterRunStates(this.deps.executor(name), runs)) {
        if (isClusterRun(state.meta)) out.set(state.meta.job.id, state.job);
      }
    }
    return out;
  }

  /** The status bar counts queued and running jobs while the executor is a scheduler, or while any cluster job is still active. */
  private showCounts(counts: JobCounts): void {
    this.shownCounts = counts;
    const chosen = this.deps.chosenExecutor();
    if (chosen === 'local' && counts.queued + counts.running === 0) {
      this.item.hide();
      return;
    }
    const scheduler = schedulerLabel(chosen === 'local' ? 'slurm' : chosen);
    this.item.text = `$(server-environment) ${vscode.l10n.t('{0}: {1} queued, {2} running', scheduler, counts.queued, counts.running)}`;
    this.item.tooltip = vscode.l10n.t('Model Lab jobs on the cluster: {0} queued, {1} running. Click to show the runs.', counts.queued, counts.running);
    this.item.show();
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
