// "Run Sweep": one training per point of the config's sweep section,
// `concurrency` at a time, each a normal trainer process with the point's
// values as overrides. A cancellable notification counts the runs; stopping
// any point (notification, CodeLens, status bar, dashboard) stops the sweep.

import * as vscode from 'vscode';
import { rankRuns, runMetrics } from '../../core/configResults';
import type { RunResultInput } from '../../core/configResults';
import { describeParams, newSweepId, sweepMethod } from '../../core/sweep';
import { planSweep } from '../../core/sweepPlan';
import { foldSweepPlan } from '../../core/crossValidation';
import { rankSweepPoints } from '../../core/sweepBest';
import { goalFor } from '../../core/metrics';
import { earlyTerminationOf, sweepMetricOf } from '../../core/sweepValidation';
import { backendSetting, executorSetting, threadsSetting } from '../shell/settings';
import { sweepOnCluster } from '../cluster/clusterSubmit';
import { schedulerLabel } from '../cluster/executorSettings';
import type { ModelLabContext } from '../shell/ctx';
import { formatMetric } from '../../core/metrics';
import { SweepQueue } from '../../node/sweepQueue';
import type { PointResult } from '../../node/sweepQueue';
import type { SweepPoint } from '../../core/sweep';
import type { ActiveSweep } from './sweeps';
import { prepareTraining, requireTrust, startPathPolicy } from '../training/trainCommands';
import type { TrainingOutcome } from '../../node/trainingProcess';
import type { TrainingSession } from '../training/trainingSessions';
import { configFromContext, configKey, pickConfig } from '../editor/workspaceConfigs';

/** Above this many runs, the user confirms first. */
const CONFIRM_ABOVE = 20;

export async function runSweep(ctx: ModelLabContext, arg?: unknown): Promise<void> {
  const configUri = configFromContext(arg) ?? (await pickConfig(vscode.l10n.t('Which experiment do you want to sweep?')));
  if (!configUri) return;
  if (!(await requireTrust())) return;
  const fileName = vscode.workspace.asRelativePath(configUri);

  const sweeping = ctx.sweeps.get(configUri);
  if (sweeping) {
    const stop = vscode.l10n.t('Stop Sweep');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('{0} is already sweeping ({1} of {2} runs done).', sweeping.name, sweeping.queue.finished, sweeping.queue.total),
      stop,
    );
    if (choice === stop) sweeping.queue.cancel();
    return;
  }
  const training = ctx.trainings.get(configUri);
  if (training) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is training; start the sweep when it has finished.', training.name));
    return;
  }

  const ready = await prepareTraining(ctx, configUri);
  if (!ready) return;
  const { config, runtime } = ready;
  const sweep = config.sweep;
  if (!sweep) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('{0} has no "sweep" section. Add one (completion in the editor helps) to train the experiment once per value of the settings it lists.', fileName),
    );
    return;
  }
  const folds = config.training.crossValidation?.folds;
  const executor = executorSetting(configUri);
  if (executor !== 'local' && sweepMethod(sweep) === 'bayes') {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('A "bayes" sweep chooses each point from the runs finished before it, so it cannot be one job array. Set sweep.method to "grid" or "random" to run it on {0}, or modelLab.executor to "local".', schedulerLabel(executor)),
    );
    return;
  }
  const metric = sweepMetricOf(config);
  const goal = goalFor(metric, sweep.goal);
  const earlyTermination = earlyTerminationOf(config);
  // Grid and random points are known now; a bayes point is drawn when a slot frees up, from the runs finished by then.
  const pointPlan = planSweep(sweep, goal);
  // Cross-validated: each point is k fold runs, one training each (the queue runs them like points); a bayes point is drawn from the points whose folds all finished, by their mean.
  const folded = folds ? foldSweepPlan(pointPlan, folds) : undefined;
  const plan = folded?.plan ?? pointPlan;
  const total = pointPlan.total;
  const concurrency = Math.max(1, Math.min(sweep.concurrency ?? 1, plan.total));
  if (plan.total > CONFIRM_ABOVE) {
    const go = vscode.l10n.t('Run Sweep');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Run {0} trainings of {1}?', plan.total, config.name),
      { modal: true, detail: vscode.l10n.t('Each point of the sweep is a full training run; {0} run at a time.', concurrency) },
      go,
    );
    if (choice !== go) return;
  }
  // A second click while this one was saving, validating or asking.
  if (ctx.sweeps.get(configUri) || ctx.trainings.get(configUri)) return;
  if (executor !== 'local') {
    // One job array, a task per point, `concurrency` at a time; the runs are followed from their folders.
    await sweepOnCluster(ctx, executor, configUri, config.name, runtime, concurrency);
    return;
  }

  const id = newSweepId();
  const runsDir = ctx.runsDirForConfig(configUri);
  const backend = backendSetting(configUri);
  // The points training at once share the cores (src/core/threads.ts): each run's share, unless a count was set.
  const threads = { setting: threadsSetting(configUri), sharedBy: concurrency };
  const pointOf = new Map<TrainingSession, SweepPoint>();
  let active: ActiveSweep | undefined;
  const queue = new SweepQueue<TrainingSession, TrainingOutcome>(plan, concurrency, {
    start: (point) => {
      const fold = folded?.foldOf(point);
      const session = ctx.trainings.start({
        configUri,
        name: fold ? `${config.name} ${point.index + 1}/${total} · ${fold.index + 1}/${fold.k}` : `${config.name} ${point.index + 1}/${total}`,
        runsDir,
        runtime,
        sessionKey: `${configKey(configUri)}#${id}#${point.index}${fold ? `#${fold.index}` : ''}`,
        start: {
          type: 'start',
          configPath: configUri.fsPath,
          runsDir,
          backend,
          nativeModuleDirs: [ctx.nativeModulesDir],
          ...startPathPolicy(configUri),
          threads,
          overrides: point.params,
          sweep: { id, index: point.index, total, params: point.params, ...(earlyTermination ? { earlyTermination } : {}) },
          ...(fold ? { fold } : {}),
        },
      });
      pointOf.set(session, point);
      ctx.log.info(`[${config.name}] sweep ${id}: point ${point.index + 1}/${total}: ${describeParams(point.params)}`);
      // The dashboard shows the run that started last.
      ctx.dashboard.follow(session);
      return session;
    },
    done: (session) => session.process.done,
    stop: (session) => ctx.trainings.stop(session),
    value: (outcome) => (outcome.status === 'completed' ? runMetrics(outcome.meta)?.[metric] : undefined),
    onChange: () => active && ctx.sweeps.changed(active),
  });
  active = { id, configUri, name: config.name, metric, goal, queue, pointOf };
  ctx.sweeps.add(active);
  ctx.log.info(`[${config.name}] sweep ${id}: ${folded ? `${total} point(s) × ${folds} folds` : `${total} run(s)`} (${sweepMethod(sweep)}), ${concurrency} at a time, ranked by ${metric} (${goal})`);

  // A stop asked for any point stops the sweep: the remaining points are not started.
  const stopWatch = ctx.trainings.onDidUpdate(({ session, event }) => {
    if (!event && session.process.stopRequested && queue.running.includes(session)) queue.cancel();
  });
  const finished = queue.run();
  showSweepProgress(ctx, active, finished);
  let results: PointResult<TrainingSession, TrainingOutcome>[];
  try {
    results = await finished;
  } finally {
    stopWatch.dispose();
    ctx.sweeps.remove(active);
  }
  await reportSweepOutcome(ctx, active, results);
}

function showSweepProgress(ctx: ModelLabContext, sweep: ActiveSweep, finished: Promise<unknown>): void {
  const queue = sweep.queue;
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Sweep {0}', sweep.name), cancellable: true },
    (progress, token) => {
      const cancel = token.onCancellationRequested(() => queue.cancel());
      let reported = 0;
      let lastMessage = '';
      const update = () => {
        if (queue.cancelled) {
          progress.report({ message: vscode.l10n.t('stopping…') });
          return;
        }
        // Finished runs count whole, running ones by their epochs.
        let done = queue.finished;
        for (const s of queue.running) if (s.process.epochs) done += Math.min(1, s.process.epochsDone / s.process.epochs);
        const percent = (done / queue.total) * 100;
        const current = queue.running[queue.running.length - 1];
        const point = current && sweep.pointOf.get(current);
        const p = current?.process;
        const epoch = p && p.epochs && p.currentEpoch > 0 ? ` · ${vscode.l10n.t('epoch {0}/{1}', p.currentEpoch, p.epochs)}` : '';
        const message = point
          ? `${vscode.l10n.t('run {0}/{1}', point.index + 1, queue.total)} · ${describeParams(point.params)}${epoch}`
          : vscode.l10n.t('run {0}/{1}', Math.min(queue.finished + 1, queue.total), queue.total);
        if (percent - reported < 0.5 && message === lastMessage) return;
        progress.report({ increment: Math.max(0, percent - reported), message });
        reported = Math.max(reported, percent);
        lastMessage = message;
      };
      const updates = [
        ctx.trainings.onDidUpdate(({ session, event }) => {
          if (queue.running.includes(session) && (event === undefined || event.type === 'epoch' || event.type === 'runStarted')) update();
        }),
        ctx.sweeps.onDidChange((s) => s === sweep && update()),
      ];
      update();
      // The command reports a failure; the notification only goes away.
      return finished.catch(() => undefined).finally(() => {
        cancel.dispose();
        for (const u of updates) u.dispose();
      });
    },
  );
}

async function reportSweepOutcome(ctx: ModelLabContext, sweep: ActiveSweep, results: PointResult<TrainingSession, TrainingOutcome>[]): Promise<void> {
  const queue = sweep.queue;
  const completed = results.filter((r) => r.outcome.status === 'completed' && r.outcome.meta);
  const failed = results.filter((r) => r.outcome.status === 'failed' || r.outcome.status === 'interrupted');
  if (results.some((r) => r.outcome.status === 'interrupted')) return; // the window is closing
  const inputs: RunResultInput[] = completed.map((r) => ({ id: r.outcome.meta!.id, config: null, metrics: runMetrics(r.outcome.meta) }));
  // Fold runs: a point is best by its folds' mean (as modellab sweep ranks it), named by its first fold's run.
  const metas = results.flatMap((r) => (r.outcome.meta ? [r.outcome.meta] : []));
  const topPoint = metas.some((m) => m.fold) ? rankSweepPoints(metas, sweep.id, sweep.metric, sweep.goal)[0] : undefined;
  const top = topPoint ? (topPoint.value !== undefined ? { id: topPoint.runs[0].id, value: topPoint.value } : undefined) : rankRuns(inputs, sweep.metric, sweep.goal)[0];
  const best = top?.value !== undefined ? completed.find((r) => r.outcome.meta!.id === top.id) : undefined;

  const parts = [
    queue.cancelled
      ? vscode.l10n.t('Sweep {0} stopped after {1} of {2} runs.', sweep.name, results.length, queue.total)
      : vscode.l10n.t('Sweep {0} finished: {1} runs.', sweep.name, queue.total),
  ];
  if (best && top?.value !== undefined) {
    parts.push(vscode.l10n.t('Best: {0} — {1} {2}.', describeParams(best.point.params), sweep.metric, formatMetric(top.value)));
  }
  const pruned = results.filter((r) => r.outcome.status === 'pruned').length;
  if (pruned > 0) parts.push(vscode.l10n.t('{0} pruned early (fell behind at a rung).', pruned));
  if (failed.length > 0) parts.push(vscode.l10n.t('{0} failed; the log says why.', failed.length));
  ctx.log.info(`[${sweep.name}] sweep ${sweep.id} ended: ${results.length}/${queue.total} run(s), ${completed.length} completed, ${pruned} pruned, ${failed.length} failed${best ? `; best ${best.outcome.meta!.id} (${describeParams(best.point.params)})` : ''}`);

  const openBest = vscode.l10n.t('Open Best Run');
  const showLog = vscode.l10n.t('Show Log');
  const actions = [...(best ? [openBest] : []), ...(failed.length > 0 ? [showLog] : [])];
  const show = failed.length > 0 && completed.length === 0 ? vscode.window.showErrorMessage : failed.length > 0 ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const choice = await show(parts.join(' '), ...actions);
  if (choice === openBest && best) {
    const runDir = best.session.process.runDir;
    ctx.dashboard.open(runDir ? { id: best.outcome.meta!.id, dir: runDir } : undefined);
  }
  if (choice === showLog) ctx.log.show(true);
}
