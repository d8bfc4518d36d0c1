// The requests of a dashboard view that follows the editor (attention for the
// open file, saliency for the open image): every change (re)starts a pause,
// after which one update runs; an update's request cancels the one still in
// flight, so only the newest answer is shown. No `vscode` import, so tests
// drive it with plain timers.

export interface DebouncedRequestsOptions {
  /** The pause after the last change, in ms. */
  delayMs: number;
  /** The update: it calls begin() before its request and end() after. */
  run(): Promise<void>;
  /** An update that threw (a cancelled request is for `run` to ignore). */
  onError(err: unknown): void;
}

export class DebouncedRequests {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: AbortController | undefined;

  constructor(private readonly options: DebouncedRequestsOptions) {}

  /** (Re)starts the pause; the update runs after it. */
  schedule(delay = this.options.delayMs): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.options.run().catch((err: unknown) => this.options.onError(err));
    }, delay);
  }

  /** Cancels the request in flight, if any, and returns the controller of the new one. */
  begin(): AbortController {
    this.cancel();
    return (this.inFlight = new AbortController());
  }

  /** The request of `abort` ended (answered, failed or cancelled). */
  end(abort: AbortController): void {
    if (this.inFlight === abort) this.inFlight = undefined;
  }

  /** Cancels the request in flight. */
  cancel(): void {
    this.inFlight?.abort();
    this.inFlight = undefined;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.cancel();
  }
}
