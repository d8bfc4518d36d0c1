// "Build Ensemble of the Top Runs": beside Train Best on All Training Data on
// a sweep in the sidebar (or from the palette, the newest sweep of a config),
// asks how many of the sweep's top points to join, builds the ensemble folder
// (.modellab/ensembles/<sweep>-top<K>/, served and exported like one model)
// with `modellab best --ensemble K` in a child process
// (src/node/ensembleProcess.ts), and says its test metrics beside the single
// best run's, both scored on the same test rows.

import { join } from 'node:path';
import * as vscode from 'vscode';
import { formatMetric } from '../../core/metrics';
import { sweepsOf } from '../../core/sweepBest';
import { sweepMetricOf } from '../../core/sweepValidation';
import { EnsembleProcess } from '../../node/ensembleProcess';
import { listRuns } from '../../node/runStoreReader';
import { configFromContext, pickConfig } from '../editor/workspaceConfigs';
import type { ModelLabContext } from '../shell/ctx';
import { backendSetting, threadsSetting } from '../shell/settings';
import { prepareTraining, requireTrust } from '../training/trainCommands';

/** Default number of top points joined. */
const DEFAULT_K = 3;

interface SweepArg {
  kind: 'sweep';
  sweepId: string;
  configPath: string;
}

function isSweepArg(arg: unknown): arg is SweepArg {
  return typeof arg === 'object' && arg !== null && (arg as SweepArg).kind === 'sweep' && typeof (arg as SweepArg).sweepId === 'string' && typeof (arg as SweepArg).configPath === 'string';
}

/** The test metric to name first: the one the sweep's metric is about (val_loss → loss, val_accuracy → accuracy) when the evaluation has it. */
function headlineKey(metrics: Record<string, number>, sweepMetric: string): string | undefined {
  const keys = Object.keys(metrics);
  return keys.find((k) => k === sweepMetric.replace(/^val_/, '')) ?? keys[0];
}

export async function ensembleBest(ctx: ModelLabContext, arg?: unknown): Promise<void> {
  const configUri = isSweepArg(arg) ? vscode.Uri.file(arg.configPath) : (configFromContext(arg) ?? (await pickConfig(vscode.l10n.t("Which experiment's sweep do you want an ensemble of?"))));
  if (!configUri) return;
  if (!(await requireTrust())) return;
  if (ctx.sweeps.get(configUri)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is sweeping; build the ensemble when the sweep has finished.', vscode.workspace.asRelativePath(configUri)));
    return;
  }
  const ready = await prepareTraining(ctx, configUri);
  if (!ready) return;
  const { config, runtime } = ready;
  if (!config.sweep) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no "sweep" section, so it has no top runs to join.', config.name));
    return;
  }
  const runsDir = ctx.runsDirForConfig(configUri);
  const sweepId = isSweepArg(arg) ? arg.sweepId : sweepsOf(listRuns(runsDir).flatMap((r) => (r.meta ? [r.meta] : [])), configUri.fsPath)[0];
  if (!sweepId) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} has not been swept yet: run its sweep first.', config.name));
    return;
  }
  const answer = await vscode.window.showInputBox({
    title: vscode.l10n.t('Ensemble of sweep {0}', sweepId),
    prompt: vscode.l10n.t('How many of the top points to join (their predictions are averaged)?'),
    value: String(DEFAULT_K),
    validateInput: (text) => (/^\d+$/.test(text.trim()) && Number(text) >= 2 && Number(text) <= 100 ? undefined : vscode.l10n.t('A whole number from 2 to 100.')),
  });
  if (answer === undefined) return;
  const k = Number(answer.trim());
  const metric = sweepMetricOf(config);
  ctx.log.info(`[${config.name}] ensemble of the top ${k} points of sweep ${sweepId}, with ${runtime.execPath}`);
  let result;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Building the ensemble of the top {0} points of {1}…', k, config.name), cancellable: true },
      async (_progress, token) => {
        const proc = new EnsembleProcess({
          cliScript: ctx.extension.asAbsolutePath(join('dist', 'cli.js')),
          runtime,
          configPath: configUri.fsPath,
          runsDir,
          sweepId,
          k,
          backend: backendSetting(configUri),
          threadsSetting: threadsSetting(configUri),
        });
        const cancel = token.onCancellationRequested(() => proc.stop());
        try {
          return await proc.result;
        } finally {
          cancel.dispose();
        }
      },
    );
  } catch (err) {
    ctx.log.warn(`[${config.name}] ensemble: ${(err as Error).message}`);
    void vscode.window.showWarningMessage(vscode.l10n.t('No ensemble was built: {0}', (err as Error).message));
    return;
  }
  ctx.log.info(`[${config.name}] ensemble ${result.dir}: members ${result.members.join(', ')}; test ${JSON.stringify(result.test)}; best run ${result.bestRun} test ${JSON.stringify(result.bestRunTest)} (${result.count} rows)`);
  const key = headlineKey(result.test, metric);
  const message = key
    ? vscode.l10n.t('Ensemble of {0} models built in {1}: test {2} {3}; the best run alone had test {2} {4} (the same {5} test rows).', result.members.length, vscode.workspace.asRelativePath(result.dir), key, formatMetric(result.test[key]), formatMetric(result.bestRunTest[key]), result.count)
    : vscode.l10n.t('Ensemble of {0} models built in {1}.', result.members.length, vscode.workspace.asRelativePath(result.dir));
  const reveal = vscode.l10n.t('Reveal in Explorer');
  const choice = await vscode.window.showInformationMessage(message, reveal);
  if (choice === reveal) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(result.dir));
}
