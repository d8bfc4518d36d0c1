// The plumbing every Model Lab webview panel shares (the dashboard, the run
// comparison): creating or revealing the one panel, its options, its HTML
// from the one template with a fresh nonce, the `ready` handshake, posting,
// disposal and reviving the panel VS Code kept across a reload. The page
// says `ready` whenever it (re)loads — a hidden panel loses its page — and
// nothing is posted before that: the state sent on `ready` includes it.
// Messages from the page are untrusted: `parse` checks them first.

import * as vscode from 'vscode';
import { makeNonce, renderWebviewHtml } from './webviewHtml';

/**
 * Options for Model Lab's webview panels: scripts on, and only the extension's
 * bundles and media readable, plus any `extraRoots` (the dashboard's: the
 * folders its images come from).
 */
export function webviewPanelOptions(extensionUri: vscode.Uri, extraRoots: readonly vscode.Uri[] = []): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media'), ...extraRoots],
  };
}

/** The page a panel shows: its bundles in dist/ and stylesheets in media/ (after media/dashboard.css). */
export interface PanelPage {
  script: string;
  /** A bundle the page loads itself (with the nonce) when it needs it: the dashboard's dist/mermaid.js. */
  lazyScript?: string;
  extraStyles?: string[];
  /** The document's title. */
  title: string;
  /** The page's string table in the UI's language, for its first paint. */
  strings?: () => Record<string, string>;
}

export interface PanelHostOptions<In extends { type: string }> {
  viewType: string;
  /** Names the panel in the log: "dashboard: …". */
  logName: string;
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  page: PanelPage;
  /** The panel's tab title, read when it is created, attached and retitled. */
  title(): string;
  /** Checks a message from the page: the message, or why it was refused. */
  parse(raw: unknown): In | string;
  /** The page (re)loaded and said `ready`: posting works from now on. */
  onReady(): void;
  /** Every other message from the page. */
  onMessage(message: Exclude<In, { type: 'ready' }>): void | Promise<void>;
  /** Whether a message whose handling failed is also shown to the user (it is always logged). */
  showErrors?: boolean;
  /** The panel was closed (not when a revived panel replaced it). */
  onClosed?(): void;
  /** Folders besides the extension's that the page may load files from (read when the panel is created or revived). */
  resourceRoots?(): vscode.Uri[];
}

/** One webview panel of one view type, and the handshake with its page. */
export class PanelHost<In extends { type: string }, Out> implements vscode.Disposable {
  private current: vscode.WebviewPanel | undefined;
  private pageReady = false;
  /** The folders the page may load files from besides the extension's (see resourceRoots). */
  private roots: vscode.Uri[] = [];

  constructor(private readonly options: PanelHostOptions<In>) {}

  /** The open panel, if any. */
  get panel(): vscode.WebviewPanel | undefined {
    return this.current;
  }

  get isOpen(): boolean {
    return this.current !== undefined;
  }

  /** Whether posting reaches the page: the panel is open and its page said `ready`. */
  get ready(): boolean {
    return this.current !== undefined && this.pageReady;
  }

  /** Reveals the panel, or creates it in `viewColumn`. */
  reveal(viewColumn: vscode.ViewColumn, preserveFocus?: boolean): void {
    if (this.current) {
      this.current.reveal(undefined, preserveFocus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      this.options.viewType,
      this.options.title(),
      { viewColumn, preserveFocus },
      webviewPanelOptions(this.options.extensionUri, (this.roots = this.options.resourceRoots?.() ?? [])),
    );
    this.attach(panel);
  }

  /**
   * Takes over the panel VS Code kept across a reload (registerWebviewPanelSerializer);
   * `restore` reads the page's saved state once any panel shown before is closed.
   */
  revive(panel: vscode.WebviewPanel, restore: () => void): void {
    if (this.current) this.current.dispose();
    panel.webview.options = webviewPanelOptions(this.options.extensionUri, (this.roots = this.options.resourceRoots?.() ?? []));
    restore();
    this.attach(panel);
  }

  /** Sets the tab title again (it depends on what the panel shows). */
  retitle(): void {
    if (this.current) this.current.title = this.options.title();
  }

  /**
   * A URI the page can load `file` from, or undefined when the file is not in
   * one of its resource folders (an image outside the workspace).
   */
  resourceUri(file: vscode.Uri): string | undefined {
    const panel = this.current;
    if (!panel || !this.roots.some((root) => isUnder(root, file))) return undefined;
    return panel.webview.asWebviewUri(file).toString();
  }

  /**
   * Lets the page load files from `folder` too. A folder not yet under a root
   * changes the webview's options, which may reload the page (it then says
   * `ready` again).
   */
  addResourceRoot(folder: vscode.Uri): void {
    if (this.roots.some((root) => isUnder(root, folder))) return;
    this.roots = [...this.roots, folder];
    if (this.current) this.current.webview.options = webviewPanelOptions(this.options.extensionUri, this.roots);
  }

  /** Posts to the page once it is ready; dropped before (the page asks again with `ready`). */
  post(message: Out): void {
    if (!this.current || !this.pageReady) return;
    void this.current.webview.postMessage(message);
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.current = panel;
    this.pageReady = false;
    panel.title = this.options.title();
    const webview = panel.webview;
    const asset = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.options.extensionUri, ...path)).toString();
    const { page } = this.options;
    webview.html = renderWebviewHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: asset('dist', page.script),
      mermaidUri: page.lazyScript ? asset('dist', page.lazyScript) : undefined,
      styleUri: asset('media', 'dashboard.css'),
      extraStyleUris: page.extraStyles?.map((style) => asset('media', style)),
      title: page.title,
      lang: vscode.env.language,
      strings: page.strings?.(),
    });
    const disposables = [
      webview.onDidReceiveMessage((raw: unknown) => {
        if (this.current === panel) void this.receive(raw);
      }),
      // A hidden panel loses its page; it says `ready` again when shown.
      panel.onDidChangeViewState((e) => {
        if (this.current === panel && !e.webviewPanel.visible) this.pageReady = false;
      }),
    ];
    disposables.push(
      panel.onDidDispose(() => {
        vscode.Disposable.from(...disposables).dispose();
        // A revived panel may already have replaced this one.
        if (this.current === panel) {
          this.current = undefined;
          this.pageReady = false;
          this.options.onClosed?.();
        }
      }),
    );
  }

  private async receive(raw: unknown): Promise<void> {
    const { log, logName } = this.options;
    const message = this.options.parse(raw);
    if (typeof message === 'string') {
      log.warn(`${logName}: ignored a message from the webview: ${message}`);
      return;
    }
    try {
      if (message.type === 'ready') {
        this.pageReady = true;
        this.options.onReady();
      } else {
        await this.options.onMessage(message as Exclude<In, { type: 'ready' }>);
      }
    } catch (err) {
      log.error(`${logName}: handling '${message.type}' failed: ${(err as Error).stack ?? String(err)}`);
      if (this.options.showErrors) void vscode.window.showErrorMessage(vscode.l10n.t('Model Lab: {0}', (err as Error).message));
    }
  }

  dispose(): void {
    this.current?.dispose();
  }
}

/** Whether `uri` is `root` or inside it (same scheme and authority). */
function isUnder(root: vscode.Uri, uri: vscode.Uri): boolean {
  if (root.scheme !== uri.scheme || root.authority !== uri.authority) return false;
  const base = root.path.endsWith('/') ? root.path : `${root.path}/`;
  return uri.path === root.path || uri.path.startsWith(base);
}
