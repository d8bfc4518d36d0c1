// The dashboard follows the active editor. For a text file, its selection (or
// a window around the cursor) goes to the inference child with the chosen
// Transformer run, and the attention comes back to the dashboard; for an
// experiment config, the dashboard switches to that experiment's latest run.
// Debounced on typing, cursor moves and editor switches; a newer request
// cancels the older one; the editor never waits for any of it.

import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { AttentionBaseInfo, AttentionModelInfo, DashboardAttentionMessage, DashboardGeneratedMessage, DashboardGenerateRequest } from '../../core/protocol/dashboard';
import { asTransformerRun, byEndTimeNewestFirst, transformerRunOrWhyNot } from '../../node/textModelRuns';
import { attentionBaseOf, BaseAttentionCache } from '../../node/attentionBase';
import { TOKENIZER_FILE } from '../../core/tokenizer';
import type { AttentionResult } from '../../core/types';
import type { TransformerRun } from '../../node/textModelRuns';
import { affectsSetting, attentionMaxTokensSetting, backendSetting, nodePathSetting, threadsSetting } from '../shell/settings';
import type { DashboardPanel, ShownRun } from '../panels/dashboardPanel';
import { InferenceCancelledError, InferenceClient } from '../../node/inferenceClient';
import { windowAroundCursor } from './attentionWindow';
import { DebouncedRequests } from '../shell/debouncedRequests';
import type { TextWindow } from './attentionWindow';
import type { RunIndex } from '../runs/runIndex';
import { resolveTrainerRuntime } from '../../node/trainerRuntime';
import type { RuntimeProbe } from '../../node/trainerRuntime';
import { isConfigUri } from '../editor/workspaceConfigs';
import { MODELLAB_FOLDER } from '../../core/workspaceLayout';

export const ATTENTION_DEBOUNCE_MS = 300;
const PINNED_RUN_KEY = 'modelLab.attention.pinnedRun';
/** Schemes of documents that are not files the user reads (output, debug console, diff views of git…). */
const FOLLOWED_SCHEMES = new Set(['file', 'untitled', 'vscode-notebook-cell']);

export interface AttentionFollowerDeps {
  dashboard: DashboardPanel;
  runIndex: RunIndex;
  runsDirs(): string[];
  workspaceState: vscode.Memento;
  log: vscode.LogOutputChannel;
  trainerScript: string;
  runtimeProbe: RuntimeProbe;
  nativeModuleDirs(): string[];
  /** The run the dashboard shows for a config: its training, else its latest run. */
  runForConfig(config: vscode.Uri): ShownRun | undefined;
}

/** Finished runs with a saved Transformer and its tokenizer, the one that ended last first. */
export function transformerRuns(runIndex: RunIndex, runsDirs: readonly string[]): TransformerRun[] {
  const runs: TransformerRun[] = [];
  for (const dir of runsDirs) {
    for (const r of runIndex.runs(dir)) {
      const run = asTransformerRun(r);
      if (run) runs.push(run);
    }
  }
  return runs.sort(byEndTimeNewestFirst);
}

function modelInfo(model: { run: TransformerRun; pinned: boolean }): AttentionModelInfo {
  return { runId: model.run.id, name: model.run.name, task: model.run.task, pinned: model.pinned };
}

export class AttentionFollower implements vscode.Disposable {
  private client: InferenceClient | undefined;
  /** The debounce and the request in flight (a newer one cancels it). */
  private readonly requests: DebouncedRequests;
  private generating: { requestId: number; abort: AbortController } | undefined;
  /** The last message posted, re-sent when the page reloads. */
  private last: DashboardAttentionMessage | undefined;
  /** What the last answered request was, so an unchanged text is not sent again. */
  private lastKey: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** The base's attention by base folder + file + version + window: a base never changes, so moving between the fine-tuned runs of one base or back to a text costs no second request. */
  private readonly baseCache = new BaseAttentionCache<AttentionResult>();
  /** The last text editor that was active: focusing the dashboard leaves no active editor. */
  private lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;

  constructor(private readonly deps: AttentionFollowerDeps) {
    this.requests = new DebouncedRequests({
      delayMs: ATTENTION_DEBOUNCE_MS,
      run: () => this.update(),
      onError: (err) => this.deps.log.error(`attention: ${(err as Error).stack ?? String(err)}`),
    });
    const schedule = () => this.schedule();
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor && FOLLOWED_SCHEMES.has(editor.document.uri.scheme)) this.lastEditor = editor;
        schedule();
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor === this.editor()) schedule();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0 && e.document === this.editor()?.document) schedule();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsSetting(e, 'attentionMaxTokens')) schedule();
      }),
    );
  }

  /** The page (re)loaded: give it what it had, then look at the editor again. */
  onPageReady(): void {
    if (this.last) this.deps.dashboard.postMessage(this.last);
    this.schedule(0);
  }

  /** Runs changed or a model was pinned: the model may be another one (its folder is part of the request's key). */
  refresh(): void {
    this.schedule();
  }

  schedule(delay = ATTENTION_DEBOUNCE_MS): void {
    if (!this.deps.dashboard.isOpen) return;
    this.requests.schedule(delay);
  }

  /** The pinned run if it still exists, else the latest Transformer run. */
  currentModel(): { run: TransformerRun; pinned: boolean } | undefined {
    const runs = transformerRuns(this.deps.runIndex, this.deps.runsDirs());
    const pinnedId = this.deps.workspaceState.get<string>(PINNED_RUN_KEY);
    const pinned = pinnedId ? runs.find((r) => r.id === pinnedId) : undefined;
    if (pinned) return { run: pinned, pinned: true };
    return runs[0] ? { run: runs[0], pinned: false } : undefined;
  }

  /**
   * "Model Lab: Pin Model for Attention": pins `runId` (a run's menu in the
   * sidebar) when it is a Transformer run, else asks with a quick pick of
   * Transformer runs (or back to the latest).
   */
  async pickModel(runId?: string): Promise<void> {
    const runs = transformerRuns(this.deps.runIndex, this.deps.runsDirs());
    const given = runId ? runs.find((r) => r.id === runId) : undefined;
    if (given) {
      await this.deps.workspaceState.update(PINNED_RUN_KEY, given.id);
      this.refresh();
      void vscode.window.showInformationMessage(vscode.l10n.t('Attention now uses {0} ({1}).', given.name, given.id));
      return;
    }
    if (runId) {
      // A run that has no attention (an MLP, a run that did not complete): say why, pin nothing.
      void vscode.window.showWarningMessage(this.whyNoAttention(runId));
      return;
    }
    if (runs.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('There is no finished Transformer run yet. Train examples/intent-classifier or examples/text-generator first.'));
      return;
    }
    const pinnedId = this.deps.workspaceState.get<string>(PINNED_RUN_KEY);
    type Item = vscode.QuickPickItem & { runId?: string };
    const latest: Item = { label: vscode.l10n.t('Latest Transformer run'), description: vscode.l10n.t('follows new runs'), picked: !pinnedId };
    const items: Item[] = [
      latest,
      ...runs.map((r) => ({
        label: r.name,
        description: r.id,
        detail:
          r.task === 'classification'
            ? vscode.l10n.t('classifier (Transformer encoder)')
            : r.task === 'regression'
              ? vscode.l10n.t('text regression (Transformer encoder)')
              : r.task === 'masked-language-model'
                ? vscode.l10n.t('masked-language model (pretrained Transformer encoder)')
                : vscode.l10n.t('language model (Transformer decoder)'),
        runId: r.id,
        picked: r.id === pinnedId,
      })),
    ];
    const choice = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Model used for attention in the dashboard') });
    if (!choice) return;
    await this.deps.workspaceState.update(PINNED_RUN_KEY, choice.runId);
    this.refresh();
  }

  /** Why the run `runId` cannot be pinned for attention, in the user's words. */
  private whyNoAttention(runId: string): string {
    const entry = this.deps.runsDirs().flatMap((dir) => this.deps.runIndex.runs(dir)).find((r) => r.id === runId);
    if (!entry) return vscode.l10n.t('Cannot pin {0} for attention: no run folder has that id.', runId);
    const name = entry.meta ? `${entry.meta.name} (${runId})` : runId;
    const why = transformerRunOrWhyNot(entry);
    if ('run' in why) return vscode.l10n.t('{0} has attention but was not found among the runs; refresh the sidebar and try again.', name);
    switch (why.reason) {
      case 'notCompleted':
        return vscode.l10n.t('Cannot pin {0} for attention: it has not completed ({1}). Attention needs a finished Transformer run.', name, why.status);
      case 'notTransformer':
        return why.modelType
          ? vscode.l10n.t('{0} has no attention: its model is "{1}". Only Transformer runs ("transformerEncoder" or "transformerDecoder") can be pinned for attention.', name, why.modelType)
          : vscode.l10n.t('{0} has no attention: it is not a Transformer. Only Transformer runs ("transformerEncoder" or "transformerDecoder") can be pinned for attention.', name);
      case 'noModelFiles':
        return vscode.l10n.t('Cannot pin {0} for attention: its model folder has no model.json and tokenizer.json.', name);
    }
  }

  /** The active editor, else the last one while it is still visible (the dashboard may have focus). */
  private editor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active) return active;
    const last = this.lastEditor;
    return last && vscode.window.visibleTextEditors.includes(last) ? last : undefined;
  }

  private async update(): Promise<void> {
    const editor = this.editor();
    // No editor at all: keep showing what was shown.
    if (!editor) return;
    const doc = editor.document;
    if (isConfigUri(doc.uri)) {
      const run = this.deps.runForConfig(doc.uri);
      if (run && run.id !== this.deps.dashboard.shownRunId) this.deps.dashboard.show(run);
      // Nothing shown yet: say whether there is a model to look with.
      if (!this.last) {
        const model = this.currentModel();
        this.post(model ? { type: 'attention', status: 'noText', model: modelInfo(model) } : { type: 'attention', status: 'noModel' });
      }
      return;
    }
    if (!FOLLOWED_SCHEMES.has(doc.uri.scheme) || doc.uri.path.includes(`/${MODELLAB_FOLDER}/`)) return;
    const model = this.currentModel();
    if (!model) {
      this.cancelInFlight();
      this.post({ type: 'attention', status: 'noModel' });
      this.lastKey = undefined;
      return;
    }
    const info = modelInfo(model);
    // The window is sized for what the model reads, so the cursor's line stays in it.
    const maxTokens = Math.min(attentionMaxTokensSetting(), model.run.maxLength ?? Infinity);
    const window = this.textWindow(editor, maxTokens, model.run.charLevel);
    const source = { file: vscode.workspace.asRelativePath(doc.uri, false), startLine: window.startLine, endLine: window.endLine, selection: window.selection };
    if (window.text.trim() === '') {
      this.cancelInFlight();
      this.lastKey = undefined;
      this.post({ type: 'attention', status: 'noText', model: info });
      return;
    }
    const base = this.baseOf(model.run);
    const key = `${model.run.modelDir}\0${base?.modelDir ?? ''}\0${model.pinned}\0${maxTokens}\0${window.text}`;
    if (key === this.lastKey && this.last?.status === 'ready') {
      // Only the cursor moved inside the same window: the lines shown may still differ.
      if (this.last.source?.startLine !== source.startLine || this.last.source?.endLine !== source.endLine) this.post({ ...this.last, source });
      return;
    }
    const abort = this.requests.begin();
    this.post({ type: 'attention', status: 'pending', model: info });
    try {
      const reply = await this.inference().attention({ modelDir: model.run.modelDir, text: window.text, maxTokens }, abort.signal);
      if (abort.signal.aborted) return;
      const ready: DashboardAttentionMessage = { type: 'attention', status: 'ready', model: info, source, result: reply.result, millis: reply.millis };
      if (base) {
        const baseKey = BaseAttentionCache.key(base.modelDir, doc.uri.toString(), doc.version, maxTokens, window.text);
        const cached = this.baseCache.get(baseKey);
        if (cached) {
          this.post({ ...ready, base: { ...base.info, status: 'ready', result: cached } });
        } else if (base.error) {
          this.post({ ...ready, base: { ...base.info, status: 'error', error: base.error } });
        } else {
          // The fine-tuned model's map first; the base's follows on the same request (cancelled with it).
          this.post({ ...ready, base: { ...base.info, status: 'pending' } });
          try {
            const baseReply = await this.inference().attention({ modelDir: base.modelDir, text: window.text, maxTokens }, abort.signal);
            if (abort.signal.aborted) return;
            this.baseCache.set(baseKey, baseReply.result);
            this.post({ ...ready, base: { ...base.info, status: 'ready', result: baseReply.result } });
          } catch (err) {
            if (err instanceof InferenceCancelledError || abort.signal.aborted) return;
            this.deps.log.warn(`attention of the base ${base.modelDir}: ${(err as Error).message}`);
            this.post({ ...ready, base: { ...base.info, status: 'error', error: (err as Error).message } });
          }
        }
      } else {
        this.post(ready);
      }
      this.lastKey = key;
    } catch (err) {
      if (err instanceof InferenceCancelledError || abort.signal.aborted) return;
      this.lastKey = undefined;
      this.deps.log.warn(`attention: ${(err as Error).message}`);
      this.post({ type: 'attention', status: 'error', model: info, error: (err as Error).message });
    } finally {
      this.requests.end(abort);
    }
  }

  /**
   * The base the run was fine-tuned from (meta.base), when it is a Transformer
   * with attention: its model folder, or why it cannot be read (moved or
   * deleted since).
   */
  private baseOf(run: TransformerRun): { info: Pick<AttentionBaseInfo, 'kind' | 'label'>; modelDir: string; error?: string } | undefined {
    const entry = this.deps.runsDirs().flatMap((dir) => this.deps.runIndex.runs(dir)).find((r) => r.dir === run.dir);
    const base = attentionBaseOf(entry?.meta);
    if (!base) return undefined;
    const info = { kind: base.kind, label: base.label };
    if (base.missing) return { info, modelDir: base.modelDir, error: vscode.l10n.t('The base {0} has no model.json and {1} any more.', base.modelDir, TOKENIZER_FILE) };
    return { info, modelDir: base.modelDir };
  }

  private textWindow(editor: vscode.TextEditor, maxTokens: number, charLevel: boolean): TextWindow {
    const doc = editor.document;
    const sel = editor.selection;
    if (!sel.isEmpty) {
      return { text: doc.getText(sel), startLine: sel.start.line + 1, endLine: sel.end.line + 1, selection: true };
    }
    // Only the lines near the cursor are read: a huge file costs no more than a small one.
    const span = Math.max(8, maxTokens * 2);
    const from = Math.max(0, sel.active.line - span);
    const to = Math.min(doc.lineCount - 1, sel.active.line + span);
    const lines: string[] = [];
    for (let i = from; i <= to; i++) lines.push(doc.lineAt(i).text);
    const w = windowAroundCursor(lines, sel.active.line - from, maxTokens, charLevel);
    return { ...w, startLine: w.startLine + from, endLine: w.endLine + from };
  }

  /** A dashboard `generate` request: runs with the attention view's language model. */
  async generate(request: DashboardGenerateRequest): Promise<void> {
    this.generating?.abort.abort();
    const abort = new AbortController();
    this.generating = { requestId: request.requestId, abort };
    const reply: DashboardGeneratedMessage = { type: 'generated', requestId: request.requestId };
    const model = this.currentModel();
    try {
      if (!model || model.run.task !== 'language-model') throw new Error(vscode.l10n.t('Generation needs a language model (a transformerDecoder run); pin one with Model Lab: Pin Model for Attention.'));
      const result = await this.inference().generate(
        { modelDir: model.run.modelDir, prompt: request.prompt, length: request.length, temperature: request.temperature, topK: request.topK },
        abort.signal,
      );
      reply.result = result.result;
      reply.millis = result.millis;
    } catch (err) {
      reply.error = err instanceof InferenceCancelledError ? vscode.l10n.t('cancelled') : (err as Error).message;
    } finally {
      if (this.generating?.abort === abort) this.generating = undefined;
    }
    this.deps.dashboard.postMessage(reply);
  }

  cancelGenerate(requestId: number): void {
    if (this.generating?.requestId === requestId) this.generating.abort.abort();
  }

  private cancelInFlight(): void {
    this.requests.cancel();
  }

  private post(message: DashboardAttentionMessage): void {
    this.last = message.status === 'pending' && this.last?.status === 'ready' ? this.last : message;
    this.deps.dashboard.postMessage(message);
  }

  /** The long-lived inference child, started on first use; the saliency follower shares it. */
  inference(): InferenceClient {
    this.client ??= new InferenceClient({
      trainerScript: this.deps.trainerScript,
      runtime: () => resolveTrainerRuntime(nodePathSetting(), this.deps.runtimeProbe),
      backend: () => backendSetting(),
      nativeModuleDirs: () => this.deps.nativeModuleDirs().filter((d) => existsSync(d)),
      threads: () => threadsSetting(),
      log: (level, message) => (level === 'warn' ? this.deps.log.warn(message) : this.deps.log.info(message)),
    });
    return this.client;
  }

  dispose(): void {
    this.requests.dispose();
    this.generating?.abort.abort();
    this.client?.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
