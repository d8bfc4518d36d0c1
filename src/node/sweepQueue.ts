// The points of a sweep, run at most `concurrency` at a time. Starting and
// stopping a training are injected, so this is tested without VS Code or
// processes. A cancel stops the running points and starts no more. A bayes
// sweep's plan draws each point when a slot frees up, from the values
// (`deps.value`) of the points finished by then.

import type { SweepPoint } from '../core/sweep';
import type { SweepObservation, SweepPlan } from '../core/sweepPlan';
import type { RunStatus } from '../core/types';

export interface PointOutcome {
  status: RunStatus;
}

export interface SweepQueueDeps<S, O extends PointOutcome> {
  start(point: SweepPoint): S;
  done(session: S): Promise<O>;
  stop(session: S): void;
  /** After every start, end and cancel. */
  onChange?(): void;
  /** The sweep metric of a finished point (undefined: failed, or none logged); an adaptive plan draws from these. */
  value?(outcome: O): number | undefined;
}

export interface PointResult<S, O> {
  point: SweepPoint;
  session: S;
  outcome: O;
}

export class SweepQueue<S, O extends PointOutcome> {
  /** Sessions running now, in start order. */
  readonly running: S[] = [];
  readonly results: PointResult<S, O>[] = [];
  private next = 0;
  private cancelledFlag = false;
  private startError: unknown;
  readonly plan: SweepPlan;

  constructor(
    points: readonly SweepPoint[] | SweepPlan,
    readonly concurrency: number,
    private readonly deps: SweepQueueDeps<S, O>,
  ) {
    this.plan = isPlan(points) ? points : { total: points.length, adaptive: false, point: (index) => points[index] };
  }

  get total(): number {
    return this.plan.total;
  }

  /** Points started so far (running or finished). */
  get launched(): number {
    return this.next;
  }

  get finished(): number {
    return this.results.length;
  }

  get cancelled(): boolean {
    return this.cancelledFlag;
  }

  /** Runs every point (until cancelled); results in the order the points finished. Rethrows a failure to start a point. */
  async run(): Promise<PointResult<S, O>[]> {
    const workers = Math.max(1, Math.min(this.concurrency, this.total));
    await Promise.all(Array.from({ length: workers }, () => this.worker()));
    if (this.startError !== undefined) throw this.startError;
    return this.results;
  }

  /** Stops the running points and starts no more. */
  cancel(): void {
    if (this.cancelledFlag) return;
    this.cancelledFlag = true;
    for (const s of this.running) this.deps.stop(s);
    this.deps.onChange?.();
  }

  private async worker(): Promise<void> {
    while (!this.cancelledFlag && this.next < this.total) {
      const point = this.plan.point(this.next++, this.observations());
      let session: S;
      try {
        session = this.deps.start(point);
      } catch (err) {
        this.startError ??= err;
        this.cancel();
        return;
      }
      this.running.push(session);
      this.deps.onChange?.();
      const outcome = await this.deps.done(session);
      this.running.splice(this.running.indexOf(session), 1);
      this.results.push({ point, session, outcome });
      this.deps.onChange?.();
    }
  }

  /** The finished points and their values, in the order they finished. */
  private observations(): SweepObservation[] {
    if (!this.plan.adaptive) return [];
    return this.results.map((r) => ({ params: r.point.params, value: this.deps.value?.(r.outcome) }));
  }
}

function isPlan(p: readonly SweepPoint[] | SweepPlan): p is SweepPlan {
  return !Array.isArray(p);
}
