// The live deployments, which the extension's context owns: a run's model
// served over HTTP by `modellab serve` in a child process, its address in the
// status bar and a context key, and where runs were exported this session.
// Every deployment stops when the extension deactivates. The commands that
// drive it (Deploy Run, Stop Deployment, Export Run) are in deployCommands.ts.

import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { CommandId, ContextKey } from '../shell/commandIds';
import { backendSetting, nodePathSetting } from '../shell/settings';
import { DeploymentProcess } from '../../node/deploymentProcess';
import type { DeploymentAddress } from '../../node/deploymentProcess';
import { resolveTrainerRuntime } from '../../node/trainerRuntime';
import type { RuntimeProbe } from '../../node/trainerRuntime';

export interface Deployment {
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
