// "Train" on a config with training.crossValidation: its k fold runs one after
// another (each a normal trainer process with its fold in the start message,
// followed by the dashboard), then the folds' mean ± std of the validation
// metric in a notification. The sidebar shows the folds as one group.

import * as vscode from 'vscode';
import { foldMemberships, foldStats } from '../../core/crossValidation';
import { runMetrics } from '../../core/configResults';
import { formatMetric } from '../../core/metrics';
import type { ExperimentConfig } from '../../core/types';
import type { TrainerRuntime } from '../../node/trainerRuntime';
import { backendSetting, threadsSetting } from '../shell/settings';
import type { ModelLabContext } from '../shell/ctx';
import { configKey } from '../editor/workspaceConfigs';
import type { TrainingSession } from './trainingSessions';

export async function crossValidateConfig(ctx: ModelLabContext, configUri: vscode.Uri, config: ExperimentConfig, runtime: TrainerRuntime, pathPolicy: { workspaceRoot: string; allowPathsOutsideWorkspace: boolean }): Promise<void> {
  const k = config.training.crossValidation!.folds;
  const runsDir = ctx.runsDirForConfig(configUri);
  const memberships = foldMemberships(k);
  const groupId = memberships[0].id;
  ctx.log.info(`[${config.name}] cross-validation ${groupId}: ${k} folds, one run each`);
  const metas = [];
  let last: TrainingSession | undefined;
  for (const fold of memberships) {
    const session = ctx.trainings.start({
      configUri,
      name: vscode.l10n.t('{0} fold {1}/{2}', config.name, fold.index + 1, k),
      runsDir,
      runtime,
      sessionKey: `${configKey(configUri)}#${groupId}#${fold.index}`,
      start: { type: 'start', configPath: configUri.fsPath, runsDir, backend: backendSetting(configUri), nativeModuleDirs: [ctx.nativeModulesDir], ...pathPolicy, fold, threads: { setting: threadsSetting(configUri) } },
    });
    ctx.dashboard.follow(session);
    last = session;
    const outcome = await session.process.done;
    if (outcome.meta) metas.push(outcome.meta);
    if (outcome.status !== 'completed') {
      if (outcome.status === 'interrupted') return; // the window is closing
      void vscode.window.showWarningMessage(vscode.l10n.t('Cross-validation of {0} ended at fold {1} of {2} ({3}); the log says why.', config.name, fold.index + 1, k, outcome.status));
      return;
    }
  }
  const stats = foldStats(metas.map((m) => runMetrics(m)));
  const name = 'val_loss' in stats ? 'val_loss' : Object.keys(stats).find((key) => key.startsWith('val_'));
  const summary = name
    ? vscode.l10n.t('Cross-validation of {0}: {1} {2} ± {3} (mean ± std over {4} folds).', config.name, name, formatMetric(stats[name].mean), formatMetric(stats[name].std), k)
    : vscode.l10n.t('Cross-validation of {0}: {1} folds trained.', config.name, k);
  ctx.log.info(`[${config.name}] ${summary}`);
  const open = vscode.l10n.t('Open in Dashboard');
  const choice = await vscode.window.showInformationMessage(summary, open);
  if (choice === open && last) ctx.dashboard.follow(last);
}
