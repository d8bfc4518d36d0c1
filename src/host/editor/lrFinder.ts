// Find Learning Rate (fastai's lr_find) for a config: runs the range test in a
// child process (`modellab lr-find --json`, src/node/lrFindProcess.ts), shows
// the loss against the learning rate on a log axis in a panel of its own as
// the steps come, and at the end the suggestion with its reason and a button
// that writes it into the config — one undoable WorkspaceEdit built with
// jsonc-parser's modify (src/core/learningRateEdit.ts), then saved.

import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { learningRateEdits } from '../../core/learningRateEdit';
import { LR_FINDER_STRINGS } from '../../core/lrFinderStringTable';
import { parseLrFinderMessage } from '../../core/protocol/lrFinder';
import type { HostToLrFinderMessage, LrFinderStateMessage, LrFinderToHostMessage } from '../../core/protocol/lrFinder';
import { LrFindProcess } from '../../node/lrFindProcess';
import { resolveTrainerRuntime } from '../../node/trainerRuntime';
import type { RuntimeProbe } from '../../node/trainerRuntime';
import { PanelHost } from '../panels/panelHost';
import type { ModelLabContext } from '../shell/ctx';
import { backendSetting, nodePathSetting, pathPolicyFor, threadsSetting } from '../shell/settings';
import { requireTrust, startPathPolicy } from '../training/trainCommands';
import { configFromContext, pickConfig } from './workspaceConfigs';

export const LR_FINDER_VIEW_TYPE = 'modelLab.lrFinder';
/** The page is sent the state at most this often while steps come. */
const POST_EVERY_MS = 200;

export interface LrFinderDeps {
  extensionUri: vscode.Uri;
  cliScript: string;
  log: vscode.LogOutputChannel;
  runtimeProbe: RuntimeProbe;
  nativeModuleDirs(): string[];
}

/** The panel's strings in the editor's language (the English text is the bundle key). */
export function lrFinderStrings(): Record<string, string> {
  const bundle = vscode.l10n.bundle;
  const strings: Record<string, string> = {};
  for (const [id, english] of Object.entries(LR_FINDER_STRINGS)) strings[id] = bundle?.[english] ?? english;
  return strings;
}

export class LrFinder implements vscode.Disposable {
  private readonly host: PanelHost<LrFinderToHostMessage, HostToLrFinderMessage>;
  private config: vscode.Uri | undefined;
  private state: Omit<LrFinderStateMessage, 'type' | 'strings'> = { configName: '', status: 'running', points: [] };
  private process: LrFindProcess | undefined;
  private postTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: LrFinderDeps) {
    this.host = new PanelHost({
      viewType: LR_FINDER_VIEW_TYPE,
      logName: 'lr finder',
      extensionUri: deps.extensionUri,
      log: deps.log,
      page: { script: 'lrFinder.js', title: vscode.l10n.t('Find Learning Rate'), strings: lrFinderStrings },
      title: () => vscode.l10n.t('Find Learning Rate: {0}', this.state.configName),
      parse: parseLrFinderMessage,
      onReady: () => this.post(),
      onMessage: (m) => this.handle(m),
      showErrors: true,
      onClosed: () => this.process?.stop(),
    });
  }

  /** Runs the range test on the config and shows it; a test already running is stopped first. */
  run(config: vscode.Uri): void {
    if (!existsSync(this.deps.cliScript)) throw new Error(vscode.l10n.t('The command line is missing from the extension ({0}). Reinstall Model Lab.', this.deps.cliScript));
    this.process?.stop();
    this.config = config;
    this.state = { configName: basename(config.fsPath), status: 'running', points: [] };
    this.host.retitle();
    this.host.reveal(vscode.ViewColumn.Beside, true);
    const runtime = resolveTrainerRuntime(nodePathSetting(), this.deps.runtimeProbe);
    const folder = vscode.workspace.getWorkspaceFolder(config)?.uri.fsPath;
    const policy = startPathPolicy(config);
    const proc = new LrFindProcess(
      {
        cliScript: this.deps.cliScript,
        runtime,
        configPath: config.fsPath,
        backend: backendSetting(config),
        nativeModuleDirs: this.deps.nativeModuleDirs(),
        workspaceRoot: policy.allowPathsOutsideWorkspace ? undefined : policy.workspaceRoot,
        // A model.base run id is looked up in the config's runs folder, as its training looks it up.
        runsDir: pathPolicyFor(config).runsDir,
        threadsSetting: threadsSetting(config),
        cwd: folder,
      },
      (step) => {
        if (this.process !== proc) return;
        this.state.points.push({ lr: step.lr, loss: step.loss, smoothed: step.smoothed });
        this.schedulePost();
      },
    );
    this.process = proc;
    this.deps.log.info(`lr finder: ${config.fsPath} with ${runtime.execPath}`);
    proc.result.then(
      (r) => {
        if (this.process !== proc) return;
        this.state = {
          ...this.state,
          status: r.end === 'stopped' ? 'stopped' : 'done',
          end: r.end,
          configLr: r.configLr,
          points: r.points.map((p) => ({ lr: p.lr, loss: p.loss, smoothed: p.smoothed })),
          suggestion: r.suggestion && { lr: r.suggestion.lr, rounded: r.suggestion.rounded, slopePerDecade: r.suggestion.slopePerDecade, minLossLr: r.suggestion.minLossLr },
        };
        this.deps.log.info(`lr finder: ${r.points.length} steps, ${r.end}; suggested ${r.suggestion?.rounded ?? 'nothing'}${r.fineTune ? `; ${r.fineTune.sweep}` : ''}`);
        this.post();
      },
      (e: unknown) => {
        if (this.process !== proc) return;
        this.state = { ...this.state, status: 'failed', error: e instanceof Error ? e.message : String(e) };
        this.deps.log.error(`lr finder: ${this.state.error}`);
        this.post();
      },
    );
    this.post();
  }

  private schedulePost(): void {
    this.postTimer ??= setTimeout(() => {
      this.postTimer = undefined;
      this.post();
    }, POST_EVERY_MS);
  }

  private post(): void {
    if (this.postTimer) clearTimeout(this.postTimer);
    this.postTimer = undefined;
    this.host.post({ type: 'lrState', ...this.state, points: [...this.state.points], strings: lrFinderStrings() });
  }

  private async handle(message: Exclude<LrFinderToHostMessage, { type: 'ready' }>): Promise<void> {
    if (message.type === 'rerun') {
      if (this.config) this.run(this.config);
      return;
    }
    const lr = this.state.suggestion?.rounded;
    if (!this.config || lr === undefined) return;
    await applyLearningRate(this.config, lr);
    this.state = { ...this.state, applied: lr };
    this.post();
  }

  dispose(): void {
    this.process?.stop();
    if (this.postTimer) clearTimeout(this.postTimer);
    this.host.dispose();
  }
}

/** Writes `lr` as the config's training.optimizer.learningRate: one undoable edit (comments and formatting kept), then saved. */
export async function applyLearningRate(config: vscode.Uri, lr: number): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(config);
  let edits;
  try {
    edits = learningRateEdits(doc.getText(), lr);
  } catch (e) {
    throw new Error(vscode.l10n.t('Cannot set the learning rate in {0}: {1}', basename(config.fsPath), (e as Error).message));
  }
  const edit = new vscode.WorkspaceEdit();
  for (const e of edits) edit.replace(config, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(vscode.l10n.t('Cannot set the learning rate in {0}: the editor refused the edit', basename(config.fsPath)));
  await doc.save();
}

const finders = new WeakMap<object, LrFinder>();

/** The one Find Learning Rate panel of an extension context, made on first use and disposed with it. */
export function lrFinderOf(owner: { push<T extends vscode.Disposable>(d: T): T }, make: () => LrFinder): LrFinder {
  let finder = finders.get(owner);
  if (!finder) finders.set(owner, (finder = owner.push(make())));
  return finder;
}

/** The command: the config of the CodeLens, the explorer or the active editor, else the one picked. */
export async function findLearningRate(ctx: ModelLabContext, arg: unknown): Promise<void> {
  const config = configFromContext(arg) ?? (await pickConfig(vscode.l10n.t('Which config to find a learning rate for?')));
  // It trains, briefly: a trusted workspace only, as Train.
  if (!config || !(await requireTrust())) return;
  const finder = lrFinderOf(ctx, () =>
    new LrFinder({
      extensionUri: ctx.extension.extensionUri,
      cliScript: ctx.extension.asAbsolutePath(join('dist', 'cli.js')),
      log: ctx.log,
      runtimeProbe: ctx.runtimeProbe,
      nativeModuleDirs: () => [ctx.nativeModulesDir],
    }),
  );
  finder.run(config);
}
