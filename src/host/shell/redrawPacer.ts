// Paces "please redraw" events to a consumer that debounces them — VS Code's
// CodeLens: after each onDidChangeCodeLenses it waits (250 ms or more, as long
// as its recent requests took) before it asks the provider again, and a new
// event restarts that wait. Events faster than the wait (a training's epochs)
// would keep it from ever asking: the lens stayed at "epoch 2/40" while the
// status bar said 25/40. So a new redraw is asked for only after the consumer
// took the last one (or it was lost: the editor drops a pending request when
// it loses focus), and what changed meanwhile follows once the answer had
// time to arrive. No vscode here, so the pacing is tested with a fake clock.

export interface PacerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: PacerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RedrawPacerOptions {
  /** A redraw not taken after this long (at least) counts as lost. */
  lostAfterMs?: number;
  /** The least time between a redraw being taken and the next one asked for. */
  minGapMs?: number;
  clock?: PacerClock;
}

export class RedrawPacer {
  private askedAt: number | undefined;
  /** How long the consumer took to take the last redraw (its wait grows with its load). */
  private latencyMs = 0;
  private timer: unknown;
  private readonly lostAfterMs: number;
  private readonly minGapMs: number;
  private readonly clock: PacerClock;

  /**
   * `stale()`: whether the consumer shows something older than now;
   * `redraw()`: tells the consumer to ask again (fires the change event).
   */
  constructor(
    private readonly stale: () => boolean,
    private readonly redraw: () => void,
    options: RedrawPacerOptions = {},
  ) {
    this.lostAfterMs = options.lostAfterMs ?? 1_000;
    this.minGapMs = options.minGapMs ?? 250;
    this.clock = options.clock ?? realClock;
  }

  /** A redraw that cannot wait (a training started or ended). */
  redrawNow(): void {
    this.clearTimer();
    this.askedAt = this.clock.now();
    this.redraw();
  }

  /** What the consumer shows may be out of date: a redraw now, or as soon as the last one is taken or lost. */
  changed(): void {
    this.clearTimer();
    if (!this.stale()) return;
    const asked = this.askedAt;
    if (asked !== undefined) {
      const wait = Math.max(this.lostAfterMs, 2 * this.latencyMs) - (this.clock.now() - asked);
      if (wait > 0) {
        this.timer = this.clock.setTimeout(() => this.changed(), wait);
        return;
      }
    }
    this.redrawNow();
  }

  /** The consumer asked for the content (the provider was called). */
  taken(): void {
    const asked = this.askedAt;
    if (asked === undefined) return;
    this.latencyMs = this.clock.now() - asked;
    this.askedAt = undefined;
    this.clearTimer();
    // The answer is on its way: the next redraw waits as long as this one took, so a newer request does not drop it.
    if (this.stale()) this.timer = this.clock.setTimeout(() => this.changed(), Math.max(this.minGapMs, this.latencyMs));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.clearTimer();
  }
}
