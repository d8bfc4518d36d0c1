// "Train Best on All Training Data": on a sweep in the sidebar (or from the
// palette, the newest sweep of a config), retrains the sweep's best point —
// by the sweep's metric, a cross-validated point by its folds' mean — on
// train + validation for the epochs its run stopped at, evaluates it on test,
// and says its test metrics beside the best run's. The CLI's form is
// `modellab best <config>` (src/cli/bestCommand.ts); both rank with
// src/core/sweepBest.ts.

import * as vscode from 'vscode';
import { foldMeans } from '../../core/crossValidation';
import { evaluationHeadline } from '../../core/evaluationMetrics';
import { formatMetric, goalFor } from '../../core/metrics';
import { describeParams } from '../../core/sweep';
import { rankSweepPoints, retrainSourceOf, sweepsOf } from '../../core/sweepBest';
import { sweepMetricOf } from '../../core/sweepValidation';
import { listRuns, readRunSnapshot } from '../../node/runStoreReader';
import { backendSetting, threadsSetting } from '../shell/settings';
import type { ModelLabContext } from '../shell/ctx';
import { prepareTraining, requireTrust, startPathPolicy } from '../training/trainCommands';
import { configFromContext, configKey, pickConfig } from '../editor/workspaceConfigs';

/** A sweep node of the sidebar, as far as this command needs it. */
interface SweepArg {
  kind: 'sweep';
  sweepId: string;
  configPath: string;
}

function isSweepArg(arg: unknown): arg is SweepArg {
  return typeof arg === 'object' && arg !== null && (arg as SweepArg).kind === 'sweep' && typeof (arg as SweepArg).sweepId === 'string' && typeof (arg as SweepArg).configPath === 'string';
}

export async function trainBest(ctx: ModelLabContext, arg?: unknown): Promise<void> {
  const configUri = isSweepArg(arg) ? vscode.Uri.file(arg.configPath) : (configFromContext(arg) ?? (await pickConfig(vscode.l10n.t('Which experiment\'s sweep do you want to retrain the best point of?'))));
  if (!configUri) return;
  if (!(await requireTrust())) return;
  if (ctx.trainings.get(configUri) || ctx.sweeps.get(configUri)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is training; train the best point when it has finished.', vscode.workspace.asRelativePath(configUri)));
    return;
  }
  const ready = await prepareTraining(ctx, configUri);
  if (!ready) return;
  const { config, runtime } = ready;
  if (!config.sweep) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no "sweep" section, so it has no best point to retrain.', config.name));
    return;
  }
  const runsDir = ctx.runsDirForConfig(configUri);
  const listed = listRuns(runsDir);
  const metas = listed.flatMap((r) => (r.meta ? [r.meta] : []));
  const sweepId = isSweepArg(arg) ? arg.sweepId : sweepsOf(metas, configUri.fsPath)[0];
  if (!sweepId) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} has not been swept yet: run its sweep first.', config.name));
    return;
  }
  const metric = sweepMetricOf(config);
  const ranked = rankSweepPoints(metas, sweepId, metric, goalFor(metric, config.sweep.goal));
  const source = retrainSourceOf(ranked, sweepId, metric);
  if (!source) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No point of this sweep completed with {0}: there is nothing to retrain.', metric));
    return;
  }
  const best = ranked[0];
  const dirs = new Map(listed.map((r) => [r.id, r.dir]));
  const bestTest = foldMeans(best.runs.map((r) => {
    const ev = readRunSnapshot(dirs.get(r.id) ?? '', false).evaluation;
    return ev && ev.split === 'test' ? evaluationHeadline(ev) : undefined;
  }));
  ctx.log.info(`[${config.name}] train best of sweep ${sweepId}: ${describeParams(best.params)} (${metric} ${formatMetric(best.value)}), ${source.epochs} epoch(s) on train + validation`);
  const session = ctx.trainings.start({
    configUri,
    name: vscode.l10n.t('{0} (best, all training data)', config.name),
    runsDir,
    runtime,
    sessionKey: `${configKey(configUri)}#best#${sweepId}`,
    start: {
      type: 'start',
      configPath: configUri.fsPath,
      runsDir,
      backend: backendSetting(configUri),
      nativeModuleDirs: [ctx.nativeModulesDir],
      ...startPathPolicy(configUri),
      threads: { setting: threadsSetting(configUri) },
      overrides: best.params,
      retrain: source,
    },
  });
  ctx.dashboard.follow(session);
  const outcome = await session.process.done;
  const meta = outcome.meta;
  if (!meta || meta.status !== 'completed') {
    void vscode.window.showWarningMessage(vscode.l10n.t('Training the best point on all training data ended {0}; the log says why.', meta?.status ?? 'failed'));
    return;
  }
  const ev = session.process.runDir ? readRunSnapshot(session.process.runDir, false).evaluation : undefined;
  const test = ev && ev.split === 'test' ? evaluationHeadline(ev) : undefined;
  const key = test ? (Object.keys(test).find((k) => k === metric.replace(/^val_/, '')) ?? Object.keys(test)[0]) : undefined;
  const message = key
    ? vscode.l10n.t('Best point retrained on all training data ({0} rows, {1} epochs): test {2} {3}; the best sweep run had test {2} {4}.', meta.dataSizes?.train ?? '?', meta.epochsDone, key, formatMetric(test![key]), formatMetric(bestTest[key]))
    : vscode.l10n.t('Best point retrained on all training data ({0} rows, {1} epochs).', meta.dataSizes?.train ?? '?', meta.epochsDone);
  const open = vscode.l10n.t('Open in Dashboard');
  const choice = await vscode.window.showInformationMessage(message, open);
  if (choice === open && session.process.runDir) ctx.dashboard.open({ id: meta.id, dir: session.process.runDir });
}
