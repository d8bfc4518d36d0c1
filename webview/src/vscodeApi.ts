// The webview's handle on VS Code. acquireVsCodeApi may be called only once.
// `M` is what the page may post: the dashboard's messages by default, the
// compare panel's for that page.

import type { WebviewToHostMessage } from '../../src/core/protocol/dashboard';

interface VsCodeApi<S, M = WebviewToHostMessage> {
  postMessage(message: M): void;
  getState(): S | undefined;
  setState(state: S): void;
}

declare function acquireVsCodeApi<S, M>(): VsCodeApi<S, M>;

export type { VsCodeApi };

export function getVsCodeApi<S, M = WebviewToHostMessage>(): VsCodeApi<S, M> {
  return acquireVsCodeApi<S, M>();
}
