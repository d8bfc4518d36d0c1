// Runs an action at most once per interval: at once when it has been quiet
// that long, else once more at the end of the interval (so the last state is
// always shown). The progress clock of a fast training (TrainingSessions'
// onDidProgress, which the status bar, the CodeLens and the notification
// follow), where every epoch of a 60 ms-per-epoch run would otherwise be a
// round trip to the window.

export class Throttle {
  private last = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly action: () => void,
    /** Milliseconds from any fixed origin; replaceable in tests. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  schedule(): void {
    if (this.timer) return;
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) {
      this.run();
      return;
    }
    this.timer = setTimeout(() => this.run(), wait);
  }

  private run(): void {
    this.timer = undefined;
    this.last = this.now();
    this.action();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
