// "Train" and "Stop", as the user experiences them: checks before starting
// (trust, unsaved edits, config errors), then progress in a notification, the
// status bar and the dashboard, and a clear word on how the training ended.

import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { whyNotResumable } from '../../node/checkpointFile';
import { readRunMeta } from '../../node/runStoreReader';
import type { ExperimentConfig } from '../../core/types';
import { CommandId } from '../shell/commandIds';
import { backendSetting, executorSetting, maxDataBytesSetting, nodePathSetting, pathPolicyFor, threadsSetting } from '../shell/settings';
import { trainOnCluster } from '../cluster/clusterSubmit';
import type { ModelLabContext } from '../shell/ctx';
import { formatMetric } from '../../core/metrics';
import { headlineMetric } from '../shell/format';
import { progressFraction, shownEpoch } from '../../core/trainingProgress';
import { resolveTrainerRuntime } from '../../node/trainerRuntime';
import type { TrainerRuntime } from '../../node/trainerRuntime';
import type { TrainingOutcome } from '../../node/trainingProcess';
import type { TrainingSession } from './trainingSessions';
import { crossValidateConfig } from './crossValidateCommand';
import { configFromContext, pickConfig } from '../editor/workspaceConfigs';

export async function trainConfig(ctx: ModelLabContext, arg?: unknown): Promise<void> {
  const configUri = configFromContext(arg) ?? (await pickConfig(vscode.l10n.t('Which experiment do you want to train?')));
  if (!configUri) return;
  if (!(await requireTrust())) return;

  const running = ctx.trainings.get(configUri);
  if (running) {
    const open = vscode.l10n.t('Open Dashboard');
    const stop = vscode.l10n.t('Stop Training');
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('{0} is already training.', running.name), open, stop);
    if (choice === open) ctx.dashboard.follow(running);
    if (choice === stop) ctx.trainings.stop(running);
    return;
  }

  const ready = await prepareTraining(ctx, configUri);
  if (!ready) return;
  const { config, runtime } = ready;
  const executor = executorSetting(configUri);
  if (executor !== 'local') {
    // modelLab.executor names a scheduler: the run is a job, queued now, followed from its folder.
    await trainOnCluster(ctx, executor, configUri, config.name, runtime);
    return;
  }

  // A second click while this one was saving and validating: the first one trains.
  if (ctx.trainings.get(configUri)) return;
  // training.crossValidation: k fold runs, one after another.
  if (config.training.crossValidation) return crossValidateConfig(ctx, configUri, config, runtime, startPathPolicy(configUri));
  const runsDir = ctx.runsDirForConfig(configUri);
  const session = ctx.trainings.start({
    configUri,
    name: config.name,
    runsDir,
    runtime,
    start: {
      type: 'start',
      configPath: configUri.fsPath,
      runsDir,
      backend: backendSetting(configUri),
      nativeModuleDirs: [ctx.nativeModulesDir],
      ...startPathPolicy(configUri),
      threads: { setting: threadsSetting(configUri) },
    },
  });
  ctx.dashboard.follow(session);
  showProgressNotification(ctx, session);
  void session.process.done.then((outcome) => reportOutcome(ctx, session, outcome));
}

/** The StartTrainingMessage fields that keep the trainer's paths inside the workspace. */
export function startPathPolicy(configUri: vscode.Uri): { workspaceRoot: string; allowPathsOutsideWorkspace: boolean } {
  const policy = pathPolicyFor(configUri);
  return { workspaceRoot: policy.workspaceRoot, allowPathsOutsideWorkspace: policy.allowOutside };
}

/** Training runs the workspace's data through a process: only in a trusted workspace. Says so otherwise. */
export async function requireTrust(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const manage = vscode.l10n.t('Manage Workspace Trust');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t(
      'Model Lab does not train in Restricted Mode: training reads this workspace\'s data and runs a trainer process on it. Trust the workspace to train; config validation works without trust.',
    ),
    manage,
  );
  if (choice === manage) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

export interface ReadyToTrain {
  config: ExperimentConfig;
  runtime: TrainerRuntime;
}

/** Saves the config, validates it, finds the trainer and its runtime; says what stands in the way. */
export async function prepareTraining(ctx: ModelLabContext, configUri: vscode.Uri): Promise<ReadyToTrain | undefined> {
  const fileName = vscode.workspace.asRelativePath(configUri);
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === configUri.toString());
  if (document?.isDirty && !(await document.save())) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not save {0}; not training.', fileName));
    return undefined;
  }

  const validation = await ctx.diagnostics.validateUri(configUri);
  const errors = validation.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !validation.config) {
    const first = errors[0];
    const where = first ? `${fileName}:${first.line + 1}` : fileName;
    void vscode.window.showErrorMessage(
      vscode.l10n.t('Not training: {0} has {1} error(s). {2}: {3}', fileName, errors.length, where, first?.message ?? ''),
    );
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    return undefined;
  }

  const runtime = trainerRuntimeFor(ctx, configUri);
  return runtime && { config: validation.config, runtime };
}

/** The Node runtime that will run the trainer for a config, with its environment; says what is missing. */
export function trainerRuntimeFor(ctx: ModelLabContext, configUri: vscode.Uri): TrainerRuntime | undefined {
  const trainerScript = ctx.extension.asAbsolutePath('dist/trainer.js');
  if (!existsSync(trainerScript)) {
    void vscode.window.showErrorMessage(vscode.l10n.t('The trainer is missing from the extension ({0}). Reinstall Model Lab.', trainerScript));
    return undefined;
  }

  const nodePath = nodePathSetting();
  const runtime = resolveTrainerRuntime(nodePath, ctx.runtimeProbe);
  if (nodePath.trim() && runtime.source !== 'setting') {
    void vscode.window.showWarningMessage(
      vscode.l10n.t('The modelLab.nodePath setting was not used ({0}). Training with {1} instead.', runtime.notes[0] ?? '', runtime.execPath),
    );
  }
  // The trainer refuses data files above this size rather than run out of memory (node/tableFile.ts).
  return { ...runtime, env: { ...runtime.env, MODELLAB_MAX_DATA_BYTES: String(maxDataBytesSetting(configUri)) } };
}

export function showProgressNotification(ctx: ModelLabContext, session: TrainingSession): void {
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Training {0}', session.name), cancellable: true },
    (progress, token) => {
      const cancel = token.onCancellationRequested(() => ctx.trainings.stop(session));
      let reported = 0;
      let shown = '';
      // On the sessions' progress clock, with the numbers the status bar and the CodeLens show.
      const update = ctx.trainings.onDidProgress(() => {
        const p = session.process;
        const shownNow = shownEpoch(p.progress);
        const message = p.stopRequested
          ? vscode.l10n.t('stopping…')
          : p.progress.evaluating
            ? vscode.l10n.t('evaluating…')
            : shownNow
              ? `${vscode.l10n.t('epoch {0}/{1} · loss {2}', shownNow.epoch, shownNow.epochs, formatMetric(p.progress.loss))}${p.progress.lastLogs?.val_loss !== undefined ? ` · val_loss ${formatMetric(p.progress.lastLogs.val_loss)}` : ''}`
              : undefined;
        const percent = progressFraction(p.progress) * 100;
        if (message === undefined || (message === shown && percent === reported)) return;
        progress.report({ increment: percent - reported, message });
        reported = percent;
        shown = message;
      });
      return session.process.done.finally(() => {
        cancel.dispose();
        update.dispose();
      });
    },
  );
}

export async function reportOutcome(ctx: ModelLabContext, session: TrainingSession, outcome: TrainingOutcome): Promise<void> {
  const meta = outcome.meta;
  const runId = meta?.id ?? session.process.runId;
  const runDir = session.process.runDir;
  const open = vscode.l10n.t('Open Dashboard');
  const openRun = () => ctx.dashboard.open(runId && runDir ? { id: runId, dir: runDir } : undefined);
  switch (outcome.status) {
    case 'completed': {
      const headline = headlineMetric(meta?.lastMetrics ?? session.process.lastLogs);
      const text = headline
        ? vscode.l10n.t('Training {0} completed: {1} {2}.', session.name, headline.name, formatMetric(headline.value))
        : vscode.l10n.t('Training {0} completed.', session.name);
      if ((await vscode.window.showInformationMessage(text, open)) === open) openRun();
      break;
    }
    case 'stopped': {
      const done = meta?.epochsDone ?? session.process.epochsDone;
      const planned = meta?.epochsPlanned ?? session.process.epochs ?? 0;
      const text = vscode.l10n.t('Training {0} stopped after {1} of {2} epochs. The metrics so far are kept.', session.name, done, planned);
      // Stopped before its last epoch with a checkpoint: it can carry on later from where it stopped.
      const resume = vscode.l10n.t('Resume');
      const canResume = !!runId && !!runDir && whyNotResumable(readRunMeta(runDir), runDir) === undefined;
      const choice = await (canResume ? vscode.window.showInformationMessage(text, open, resume) : vscode.window.showInformationMessage(text, open));
      if (choice === open) openRun();
      if (choice === resume) await vscode.commands.executeCommand(CommandId.resumeRun, runId);
      break;
    }
    case 'interrupted':
      // The window is going away; nobody would read a notification.
      break;
    case 'pruned': {
      const text = vscode.l10n.t("Training {0} was pruned after {1} of {2} epochs: it fell behind the sweep's other runs at a rung.", session.name, meta?.epochsDone ?? session.process.epochsDone, meta?.epochsPlanned ?? session.process.epochs ?? 0);
      if ((await vscode.window.showInformationMessage(text, open)) === open) openRun();
      break;
    }
    default: {
      const showLog = vscode.l10n.t('Show Log');
      const reason = meta?.error ?? outcome.reason ?? vscode.l10n.t('unknown error');
      const choice = await vscode.window.showErrorMessage(vscode.l10n.t('Training {0} failed: {1}', session.name, reason), showLog, open);
      if (choice === showLog) ctx.log.show(true);
      if (choice === open) openRun();
      break;
    }
  }
}

export async function stopTraining(ctx: ModelLabContext, arg?: unknown): Promise<void> {
  let session: TrainingSession | undefined;
  if (arg instanceof vscode.Uri) {
    session = ctx.trainings.get(arg);
    if (!session) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is not training.', vscode.workspace.asRelativePath(arg)));
      return;
    }
  } else if (typeof arg === 'string') {
    session = ctx.trainings.forRun(arg);
  }
  if (!session) {
    const active = ctx.activeConfig();
    session = active ? ctx.trainings.get(active) : undefined;
  }
  if (!session) {
    const all = ctx.trainings.all();
    if (all.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Nothing is training.'));
      return;
    }
    if (all.length === 1) session = all[0];
    else {
      const picked = await vscode.window.showQuickPick(
        all.map((s) => ({ label: s.name, description: vscode.workspace.asRelativePath(s.configUri), session: s })),
        { placeHolder: vscode.l10n.t('Which training do you want to stop?') },
      );
      session = picked?.session;
    }
  }
  if (session) ctx.trainings.stop(session);
}
