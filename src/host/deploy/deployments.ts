// Deploy, Stop Deployment and Export Run: a run's model served over HTTP by
// `modellab serve` in a child process (its address in a notification and the
// status bar), and a run exported to a folder. Every deployment stops when
// the extension deactivates.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { exportRun } from '../../node/modelExport';
import { CommandId, ContextKey } from '../shell/commandIds';
import { backendSetting, nodePathSetting } from '../shell/settings';
import type { ModelLabContext } from '../shell/ctx';
import { DeploymentProcess } from '../../node/deploymentProcess';
import type { DeploymentAddress } from '../../node/deploymentProcess';
import type { RunMeta } from '../../core/types';
import { resolveTrainerRuntime } from '../../node/trainerRuntime';
import type { RuntimeProbe } from '../../node/trainerRuntime';

interface Deployment {
  runId: string;
  runDir: string;
  label: string;
  process: DeploymentProcess;
  address?: DeploymentAddress;
}

/** The running deployments, their status bar item, and their shutdown. */
export class Deployments implements vscode.Disposable {
  private readonly items = new Map<string, Deployment>();
  private readonly statusItem = vscode.window.createStatusBarItem('modelLab.deployment', vscode.StatusBarAlignment.Left, 9);
  /** Where each run's model was last exported this session, by run id. */
  private readonly exports = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** A deployment started or stopped, or a run was exported (the dashboard's pipeline shows them). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly cliScript: string,
    private readonly runtimeProbe: RuntimeProbe,
    private readonly log: vscode.LogOutputChannel,
    private readonly nativeModuleDirs: () => string[] = () => [],
  ) {
    this.statusItem.name = vscode.l10n.t('Model Lab deployments');
  }

  all(): Deployment[] {
    return [...this.items.values()];
  }

  get(runId: string): Deployment | undefined {
    return this.items.get(runId);
  }

  /** What the pipeline's deployment and application nodes show for a run. */
  pipelineInfo(runId: string): { exportPath?: string; server?: string } {
    return { exportPath: this.exports.get(runId), server: this.items.get(runId)?.address?.url };
  }

  recordExport(runId: string, outDir: string): void {
    this.exports.set(runId, outDir);
    this.changed.fire();
  }

  async start(run: { id: string; dir: string; label: string }): Promise<DeploymentAddress> {
    const existing = this.items.get(run.id);
    if (existing?.address && existing.process.running) return existing.address;
    if (!existsSync(this.cliScript)) throw new Error(vscode.l10n.t('The command line is missing from the extension ({0}). Reinstall Model Lab.', this.cliScript));
    const runtime = resolveTrainerRuntime(nodePathSetting(), this.runtimeProbe);
    const process = new DeploymentProcess({ cliScript: this.cliScript, runtime, modelPath: run.dir, backend: backendSetting(), nativeModuleDirs: this.nativeModuleDirs() });
    const deployment: Deployment = { runId: run.id, runDir: run.dir, label: run.label, process };
    this.items.set(run.id, deployment);
    this.log.info(`deploying ${run.dir} with ${runtime.execPath} (pid ${process.pid})`);
    void process.exited.then((code) => {
      this.log.info(`deployment of ${run.id} ended (exit code ${code})${process.log.length ? `: ${process.log.join(' | ')}` : ''}`);
      if (this.items.get(run.id) === deployment) this.items.delete(run.id);
      this.refresh();
    });
    try {
      deployment.address = await process.listening;
    } catch (e) {
      this.items.delete(run.id);
      this.refresh();
      throw e;
    }
    this.refresh();
    return deployment.address;
  }

  async stop(runId: string): Promise<void> {
    const d = this.items.get(runId);
    if (!d) return;
    this.items.delete(runId);
    this.refresh();
    await d.process.stop();
  }

  private refresh(): void {
    this.changed.fire();
    const live = this.all().filter((d) => d.address);
    void vscode.commands.executeCommand('setContext', ContextKey.deployed, live.length > 0);
    if (live.length === 0) {
      this.statusItem.hide();
      return;
    }
    const first = live[0];
    const more = live.length > 1 ? ` ${vscode.l10n.t('(+{0} more)', live.length - 1)}` : '';
    this.statusItem.text = `$(cloud-upload) ${first.address!.host}:${first.address!.port}${more}`;
    this.statusItem.tooltip = vscode.l10n.t('{0} is served at {1}. Click to stop.', first.label, first.address!.url);
    this.statusItem.command = { title: vscode.l10n.t('Stop Deployment'), command: CommandId.stopDeployment, arguments: [first.runId] };
    this.statusItem.show();
  }

  dispose(): void {
    // Deactivation: ask every server to stop; the CLI also stops when its parent disconnects.
    for (const d of this.items.values()) void d.process.stop(2000);
    this.items.clear();
    this.statusItem.dispose();
    this.changed.dispose();
  }
}

/** What these commands need of a run. */
interface TargetRun {
  id: string;
  dir: string;
  meta?: RunMeta;
}

function runLabel(run: TargetRun): string {
  return run.meta ? `${run.meta.name} (${run.id})` : run.id;
}

/** The run a command is for: a run id, a node of the Experiments view, else one the user picks among runs with a model. */
async function chooseRun(ctx: ModelLabContext, arg: unknown, placeHolder: string): Promise<TargetRun | undefined> {
  if (typeof arg === 'string') return ctx.experiments.findRun(arg) ?? ctx.runIndex.find(ctx.runsDirs(), arg);
  if (arg !== undefined) {
    const runs = ctx.experiments.runsOf(arg);
    if (runs.length === 1) return runs[0];
  }
  const withModel = (await ctx.experiments.freshRuns()).filter((r) => r.meta?.status === 'completed' && existsSync(join(r.dir, 'model', 'model.json')));
  if (withModel.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No finished run has a saved model yet. Train a config first.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    withModel.map((run) => ({ label: run.meta?.name ?? run.id, description: run.id, detail: run.meta?.task, run })),
    { placeHolder },
  );
  return picked?.run;
}

export async function deployRun(ctx: ModelLabContext, arg: unknown): Promise<void> {
  const run = await chooseRun(ctx, arg, vscode.l10n.t('Choose the run to deploy'));
  if (!run) return;
  const address = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Deploying {0}…', runLabel(run)) }, () =>
    ctx.deployments.start({ id: run.id, dir: run.dir, label: runLabel(run) }),
  );
  const copy = vscode.l10n.t('Copy address');
  const open = vscode.l10n.t('Open');
  const stop = vscode.l10n.t('Stop');
  const choice = await vscode.window.showInformationMessage(vscode.l10n.t('{0} is served at {1} (TensorFlow Serving REST API).', runLabel(run), address.url), copy, open, stop);
  if (choice === copy) await vscode.env.clipboard.writeText(address.url);
  else if (choice === open) await vscode.env.openExternal(vscode.Uri.parse(`${address.url}/metadata`));
  else if (choice === stop) await ctx.deployments.stop(run.id);
}

export async function stopDeployment(ctx: ModelLabContext, arg: unknown): Promise<void> {
  const live = ctx.deployments.all();
  if (live.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No deployment is running.'));
    return;
  }
  let runId = typeof arg === 'string' ? arg : live.length === 1 ? live[0].runId : undefined;
  if (!runId) {
    const picked = await vscode.window.showQuickPick(
      live.map((d) => ({ label: d.label, description: d.address?.url, runId: d.runId })),
      { placeHolder: vscode.l10n.t('Choose the deployment to stop') },
    );
    runId = picked?.runId;
  }
  if (runId) await ctx.deployments.stop(runId);
}

export async function exportRunModel(ctx: ModelLabContext, arg: unknown): Promise<void> {
  const run = await chooseRun(ctx, arg, vscode.l10n.t('Choose the run to export'));
  if (!run) return;
  const folders = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    defaultUri: vscode.workspace.getWorkspaceFolder(vscode.Uri.file(run.dir))?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri,
    openLabel: vscode.l10n.t('Export Here'),
    title: vscode.l10n.t('Export the model of {0}', runLabel(run)),
  });
  if (!folders?.[0]) return;
  // A subfolder named after the run, so exporting never mixes files into the chosen folder.
  const out = vscode.Uri.joinPath(folders[0], `${run.id}-export`);
  const { card } = exportRun(run.dir, out.fsPath);
  ctx.deployments.recordExport(run.id, vscode.workspace.asRelativePath(out));
  const reveal = vscode.l10n.t('Open Model Card');
  const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Exported {0} ({1} files) to {2}.', runLabel(run), card.files.length, vscode.workspace.asRelativePath(out)), reveal);
  if (choice === reveal) await vscode.window.showTextDocument(vscode.Uri.joinPath(out, 'model-card.md'));
}
