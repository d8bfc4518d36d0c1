// The dashboard follows the image open in the editor. VS Code shows a PNG or
// JPEG in its built-in image preview, a custom editor tab (not a text
// editor), so the follower watches the tabs as well as the text editors.
// The image's path goes to the inference child with the chosen image
// classifier run, and the prediction with its saliency map comes back to the
// dashboard. Debounced (300 ms, as attention), a newer request cancels the
// older one; the editor never waits for any of it. The child is the one the
// attention follower started: models stay loaded between requests.

import { readFileSync, statSync } from 'node:fs';
import * as vscode from 'vscode';
import type { DashboardSaliencyMessage, SaliencyModelInfo } from '../../core/protocol/dashboard';
import type { SaliencyMethod } from '../../core/types';
import { imageKindOf } from '../../core/prediction';
import { imageClassifierRuns } from '../../node/imageModelRuns';
import type { ImageClassifierRun } from '../../node/imageModelRuns';
import { InferenceCancelledError } from '../../node/inferenceClient';
import type { InferenceClient } from '../../node/inferenceClient';
import type { RunIndex } from '../runs/runIndex';
import type { DashboardPanel } from '../panels/dashboardPanel';
import { DebouncedRequests } from '../shell/debouncedRequests';

export const SALIENCY_DEBOUNCE_MS = 300;
const PINNED_RUN_KEY = 'modelLab.saliency.pinnedRun';
/** VS Code's built-in image preview (a custom editor). */
export const IMAGE_PREVIEW_VIEW_TYPE = 'imagePreview.previewEditor';
const IMAGE_FILE = /\.(png|jpe?g)$/i;
/** An image outside the page's resource folders is sent inline, up to this size. */
const INLINE_IMAGE_BYTES = 4 * 1024 * 1024;

export interface SaliencyFollowerDeps {
  dashboard: DashboardPanel;
  runIndex: RunIndex;
  runsDirs(): string[];
  workspaceState: vscode.Memento;
  log: vscode.LogOutputChannel;
  /** The long-lived inference child (shared with attention). */
  inference(): InferenceClient;
}

/** The image file a tab shows in VS Code's image preview, if it does. */
export function imageOfTab(tab: vscode.Tab | undefined): vscode.Uri | undefined {
  const input = tab?.input as { viewType?: unknown; uri?: unknown } | undefined;
  if (!input || input.viewType !== IMAGE_PREVIEW_VIEW_TYPE || !(input.uri instanceof vscode.Uri)) return undefined;
  return input.uri.scheme === 'file' && IMAGE_FILE.test(input.uri.path) ? input.uri : undefined;
}

function modelInfo(model: { run: ImageClassifierRun; pinned: boolean }): SaliencyModelInfo {
  return { runId: model.run.id, name: model.run.name, pinned: model.pinned };
}

export class SaliencyFollower implements vscode.Disposable {
  /** The debounce and the request in flight (a newer one cancels it). */
  private readonly requests: DebouncedRequests;
  /** The last message posted, re-sent when the page reloads. */
  private last: DashboardSaliencyMessage | undefined;
  /** What the last answered request was, so an unchanged image is not sent again. */
  private lastKey: string | undefined;
  /** The last image that was active: focusing the dashboard (to switch the method) leaves it in another tab group. */
  private lastImage: vscode.Uri | undefined;
  private method: SaliencyMethod = 'gradcam';
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: SaliencyFollowerDeps) {
    this.requests = new DebouncedRequests({
      delayMs: SALIENCY_DEBOUNCE_MS,
      run: () => this.update(),
      onError: (err) => this.deps.log.error(`saliency: ${(err as Error).stack ?? String(err)}`),
    });
    const schedule = () => this.schedule();
    this.disposables.push(
      vscode.window.tabGroups.onDidChangeTabs(schedule),
      vscode.window.tabGroups.onDidChangeTabGroups(schedule),
      vscode.window.onDidChangeActiveTextEditor(schedule),
    );
  }

  /** The page (re)loaded: give it what it had, then look at the tabs again. */
  onPageReady(): void {
    if (this.last) this.deps.dashboard.postMessage(this.last);
    this.schedule(0);
  }

  /** Runs changed or a model was pinned. */
  refresh(): void {
    this.schedule();
  }

  /** The method switch in the dashboard: the open image again with `method`. */
  setMethod(method: SaliencyMethod): void {
    if (method === this.method) return;
    this.method = method;
    this.schedule(0);
  }

  schedule(delay = SALIENCY_DEBOUNCE_MS): void {
    if (!this.deps.dashboard.isOpen) return;
    this.requests.schedule(delay);
  }

  /** The pinned run if it still exists, else the image classifier that ended last. */
  currentModel(): { run: ImageClassifierRun; pinned: boolean } | undefined {
    const runs = this.runs();
    const pinnedId = this.deps.workspaceState.get<string>(PINNED_RUN_KEY);
    const pinned = pinnedId ? runs.find((r) => r.id === pinnedId) : undefined;
    if (pinned) return { run: pinned, pinned: true };
    return runs[0] ? { run: runs[0], pinned: false } : undefined;
  }

  /** "Pin model…" in the saliency section: a quick pick of image classifier runs (or back to the latest). */
  async pickModel(): Promise<void> {
    const runs = this.runs();
    if (runs.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('There is no finished image classifier run yet. Train examples/digits first.'));
      return;
    }
    const pinnedId = this.deps.workspaceState.get<string>(PINNED_RUN_KEY);
    type Item = vscode.QuickPickItem & { runId?: string };
    const items: Item[] = [
      { label: vscode.l10n.t('Latest image classifier run'), description: vscode.l10n.t('follows new runs'), picked: !pinnedId },
      ...runs.map((r) => ({ label: r.name, description: r.id, runId: r.id, picked: r.id === pinnedId })),
    ];
    const choice = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Model used for saliency in the dashboard') });
    if (!choice) return;
    await this.deps.workspaceState.update(PINNED_RUN_KEY, choice.runId);
    this.refresh();
  }

  private runs(): ImageClassifierRun[] {
    return imageClassifierRuns(this.deps.runsDirs().flatMap((dir) => this.deps.runIndex.runs(dir)));
  }

  /** The image in the active tab, else the last one while a tab still shows it (the dashboard may have focus). */
  private image(): vscode.Uri | undefined {
    const active = imageOfTab(vscode.window.tabGroups.activeTabGroup.activeTab);
    if (active) {
      this.lastImage = active;
      return active;
    }
    const last = this.lastImage;
    if (!last) return undefined;
    const open = vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => imageOfTab(t)?.toString() === last.toString()));
    return open ? last : undefined;
  }

  private async update(): Promise<void> {
    const uri = this.image();
    const model = this.currentModel();
    if (!uri) {
      // Nothing open: keep what was shown; before anything, say where the section's content comes from.
      if (!this.last && model) this.post({ type: 'saliency', status: 'noImage', model: modelInfo(model), method: this.method });
      return;
    }
    const source = { file: vscode.workspace.asRelativePath(uri, false), uri: this.pageUri(uri) };
    if (!model) {
      this.cancelInFlight();
      this.lastKey = undefined;
      this.post({ type: 'saliency', status: 'noModel', source, method: this.method });
      return;
    }
    const info = modelInfo(model);
    const method = this.method;
    let changed = 0;
    try {
      changed = statSync(uri.fsPath).mtimeMs;
    } catch {
      // the child says what is wrong with the file
    }
    const key = `${model.run.modelDir}\0${uri.fsPath}\0${changed}\0${method}`;
    if (key === this.lastKey && this.last?.status === 'ready') {
      // The same model and image: only whether the run is pinned may have changed.
      if (this.last.model?.pinned !== info.pinned) this.post({ ...this.last, model: info });
      return;
    }
    const abort = this.requests.begin();
    this.post({ type: 'saliency', status: 'pending', model: info, source, method });
    try {
      const reply = await this.deps.inference().saliency({ modelDir: model.run.modelDir, imagePath: uri.fsPath, method }, abort.signal);
      if (abort.signal.aborted) return;
      this.lastKey = key;
      this.post({ type: 'saliency', status: 'ready', model: info, source, method, result: reply.result, millis: reply.millis });
    } catch (err) {
      if (err instanceof InferenceCancelledError || abort.signal.aborted) return;
      this.lastKey = undefined;
      this.deps.log.warn(`saliency: ${(err as Error).message}`);
      this.post({ type: 'saliency', status: 'error', model: info, source, method, error: (err as Error).message });
    } finally {
      this.requests.end(abort);
    }
  }

  /** A URI the page can load the image from: a webview resource inside the workspace, else the bytes inline. */
  private pageUri(uri: vscode.Uri): string {
    const resource = this.deps.dashboard.resourceUri(uri);
    if (resource) return resource;
    try {
      const bytes = readFileSync(uri.fsPath);
      const kind = bytes.length <= INLINE_IMAGE_BYTES ? imageKindOf(bytes) : undefined;
      return kind ? `data:image/${kind};base64,${bytes.toString('base64')}` : '';
    } catch {
      return '';
    }
  }

  private cancelInFlight(): void {
    this.requests.cancel();
  }

  private post(message: DashboardSaliencyMessage): void {
    this.last = message.status === 'pending' && this.last?.status === 'ready' ? this.last : message;
    this.deps.dashboard.postMessage(message);
  }

  dispose(): void {
    this.requests.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
