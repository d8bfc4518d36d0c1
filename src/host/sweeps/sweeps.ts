// The sweeps running now, one per config at most, for the CodeLenses and the
// commands that ask whether a config is sweeping.

import type { MetricGoal } from '../../core/metrics';
import * as vscode from 'vscode';
import type { SweepPoint } from '../../core/sweep';
import type { SweepQueue } from '../../node/sweepQueue';
import type { TrainingOutcome } from '../../node/trainingProcess';
import type { TrainingSession } from '../training/trainingSessions';
import { configKey } from '../editor/workspaceConfigs';

export interface ActiveSweep {
  readonly id: string;
  readonly configUri: vscode.Uri;
  /** The experiment's name. */
  readonly name: string;
  readonly metric: string;
  readonly goal: MetricGoal;
  readonly queue: SweepQueue<TrainingSession, TrainingOutcome>;
  /** The point each started training runs. */
  readonly pointOf: Map<TrainingSession, SweepPoint>;
}

export class ActiveSweeps implements vscode.Disposable {
  private readonly sweeps = new Map<string, ActiveSweep>();
  private readonly changeEmitter = new vscode.EventEmitter<ActiveSweep | undefined>();
  /** A sweep started, ended, or started or finished a point. */
  readonly onDidChange = this.changeEmitter.event;

  get(configUri: vscode.Uri): ActiveSweep | undefined {
    return this.sweeps.get(configKey(configUri));
  }

  all(): ActiveSweep[] {
    return [...this.sweeps.values()];
  }

  add(sweep: ActiveSweep): void {
    this.sweeps.set(configKey(sweep.configUri), sweep);
    this.changeEmitter.fire(sweep);
  }

  remove(sweep: ActiveSweep): void {
    const key = configKey(sweep.configUri);
    if (this.sweeps.get(key) === sweep) this.sweeps.delete(key);
    this.changeEmitter.fire(undefined);
  }

  changed(sweep: ActiveSweep): void {
    this.changeEmitter.fire(sweep);
  }

  /** Stops every sweep's running points and starts no more (the window is closing). */
  cancelAll(): void {
    for (const s of this.sweeps.values()) s.queue.cancel();
  }

  dispose(): void {
    this.cancelAll();
    this.changeEmitter.dispose();
  }
}
