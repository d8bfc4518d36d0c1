// The webview's handle on VS Code. acquireVsCodeApi may be called only once.

import type { WebviewToHostMessage } from '../../src/core/protocol';

interface VsCodeApi<S> {
  postMessage(message: WebviewToHostMessage): void;
  getState(): S | undefined;
  setState(state: S): void;
}

declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

export type { VsCodeApi };

export function getVsCodeApi<S>(): VsCodeApi<S> {
  return acquireVsCodeApi<S>();
}
