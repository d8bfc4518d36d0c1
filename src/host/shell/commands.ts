// The command table: every contributed command, as a factory taking the
// context, registered in one place. A failing command is logged and shown;
// it never escapes into the extension host.

import * as vscode from 'vscode';
import { CommandId } from './commandIds';
import type { CommandName } from './commandIds';
import type { ModelLabContext } from './ctx';
import { deployRun, exportRunModel, stopDeployment } from '../deploy/deployCommands';
import { compareRuns, compareWith, deleteRuns, exportRunCsv, openRun, revealRun, showBaseRun, stopRun, trainAgain } from '../runs/runCommands';
import { cancelRuns } from '../cluster/clusterCommands';
import { installNativeBackend } from '../training/nativeBackendCommands';
import { newExperiment } from '../editor/newExperimentCommands';
import { resumeRun } from '../training/resumeCommands';
import { runSweep } from '../sweeps/sweepCommands';
import { trainBest } from '../sweeps/trainBest';
import { ensembleBest } from '../sweeps/ensembleBest';
import { stopTraining, trainConfig } from '../training/trainCommands';
import { configFromContext, findWorkspaceConfigs, isConfigUri } from '../editor/workspaceConfigs';
import { findLearningRate } from '../editor/lrFinder';

type CommandFactory = (ctx: ModelLabContext) => (...args: unknown[]) => unknown;

const commandTable: Record<CommandName, CommandFactory> = {
  train: (ctx) => (arg) => trainConfig(ctx, arg),
  runSweep: (ctx) => (arg) => runSweep(ctx, arg),
  trainBest: (ctx) => (arg) => trainBest(ctx, arg),
  ensembleBest: (ctx) => (arg) => ensembleBest(ctx, arg),
  stop: (ctx) => (arg) => stopTraining(ctx, arg),
  openDashboard: (ctx) => (arg) => openDashboard(ctx, arg),
  validateConfig: (ctx) => (arg) => validateConfig(ctx, arg),
  newExperiment: (ctx) => (templateId) => newExperiment(ctx, templateId),
  installNativeBackend: (ctx) => () => installNativeBackend(ctx),
  showLog: (ctx) => () => ctx.log.show(),
  refreshExperiments: (ctx) => () => {
    ctx.experiments.refresh(true);
    ctx.cluster.poke();
  },
  openRun: (ctx) => (arg) => openRun(ctx, arg),
  compareRuns: (ctx) => (arg, selection) => compareRuns(ctx, arg, selection),
  compareWith: (ctx) => (arg) => compareWith(ctx, arg),
  trainAgain: (ctx) => (arg) => trainAgain(ctx, arg),
  resumeRun: (ctx) => (arg) => resumeRun(ctx, arg),
  stopRun: (ctx) => (arg) => stopRun(ctx, arg),
  cancelRun: (ctx) => (arg, selection) => cancelRuns(ctx, arg, selection),
  deleteRun: (ctx) => (arg, selection) => deleteRuns(ctx, arg, selection),
  revealRun: (ctx) => (arg) => revealRun(ctx, arg),
  exportRunCsv: (ctx) => (arg) => exportRunCsv(ctx, arg),
  showBaseRun: (ctx) => (arg) => showBaseRun(ctx, arg),
  deployRun: (ctx) => (arg) => deployRun(ctx, arg),
  stopDeployment: (ctx) => (arg) => stopDeployment(ctx, arg),
  exportRun: (ctx) => (arg) => exportRunModel(ctx, arg),
  toggleRowPredictions: (ctx) => async () => {
    const scope = await ctx.dataRows.toggleScope();
    void vscode.window.showInformationMessage(scope === 'all' ? vscode.l10n.t('Model Lab shows predictions for every row of a data file.') : vscode.l10n.t("Model Lab shows predictions for the run's test rows only."));
  },
  findLearningRate: (ctx) => (arg) => findLearningRate(ctx, arg),
  pinAttentionModel: (ctx) => (arg) => ctx.attention.pickModel(typeof arg === 'string' ? arg : arg !== undefined ? ctx.experiments.runsOf(arg)[0]?.id : undefined),
};

export function registerCommands(ctx: ModelLabContext): void {
  for (const [name, factory] of Object.entries(commandTable) as [CommandName, CommandFactory][]) {
    const handler = factory(ctx);
    ctx.push(
      vscode.commands.registerCommand(CommandId[name], async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (err) {
          ctx.log.error(`command ${CommandId[name]} failed: ${(err as Error).stack ?? String(err)}`);
          void vscode.window.showErrorMessage(vscode.l10n.t('Model Lab: {0}', (err as Error).message ?? String(err)));
          return undefined;
        }
      }),
    );
  }
}

/** A config Uri shows its training or latest run; a run id shows that run; nothing shows the default run. */
function openDashboard(ctx: ModelLabContext, arg: unknown): void {
  if (typeof arg === 'string') {
    const found = ctx.runIndex.find(ctx.runsDirs(), arg);
    ctx.dashboard.open(found ? { id: found.id, dir: found.dir } : undefined);
    return;
  }
  if (arg instanceof vscode.Uri && isConfigUri(arg)) {
    const session = ctx.trainings.get(arg);
    if (session) {
      ctx.dashboard.follow(session);
      ctx.dashboard.open(session.process.runId && session.process.runDir ? { id: session.process.runId, dir: session.process.runDir } : undefined);
      return;
    }
    const latest = ctx.runIndex.runsForConfig(ctx.runsDirForConfig(arg), arg.fsPath)[0];
    ctx.dashboard.open(latest ? { id: latest.id, dir: latest.dir } : null);
    return;
  }
  ctx.dashboard.open(undefined);
}

async function validateConfig(ctx: ModelLabContext, arg: unknown): Promise<void> {
  const target = configFromContext(arg);
  let errors: number;
  let warnings: number;
  let text: string;
  if (target) {
    const result = await ctx.diagnostics.validateUri(target);
    errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    warnings = result.diagnostics.filter((d) => d.severity === 'warning').length;
    const name = vscode.workspace.asRelativePath(target);
    text =
      errors + warnings === 0
        ? vscode.l10n.t('{0}: no problems found.', name)
        : vscode.l10n.t('{0}: {1} error(s), {2} warning(s).', name, errors, warnings);
  } else {
    if ((await findWorkspaceConfigs()).length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('There is no *.experiment.json file in this workspace.'));
      return;
    }
    const counts = await ctx.diagnostics.validateWorkspace();
    ({ errors, warnings } = counts);
    text =
      errors + warnings === 0
        ? vscode.l10n.t('Validated {0} experiment config(s): no problems found.', counts.files)
        : vscode.l10n.t('Validated {0} experiment config(s): {1} error(s), {2} warning(s).', counts.files, errors, warnings);
  }
  if (errors > 0) void vscode.window.showErrorMessage(text);
  else if (warnings > 0) void vscode.window.showWarningMessage(text);
  else void vscode.window.showInformationMessage(text);
  await vscode.commands.executeCommand('workbench.actions.view.problems');
}
