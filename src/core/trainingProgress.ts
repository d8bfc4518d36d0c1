// A training's progress as every surface shows it — the CodeLens, the status
// bar, the notification and the dashboard's header — folded from the
// trainer's events by one pure reducer, so "epoch N/M" is the same number
// everywhere. The host keeps one per training (node/trainingProcess.ts); the
// dashboard folds the same events it is sent (webview/src/dashboard.ts).

import type { TrainerEvent } from './protocol/trainer';
import type { MetricPoint, RunMeta } from './types';

export interface TrainingProgress {
  /**
   * The epoch shown as "epoch N/M": the one being trained (1-based, as Keras
   * counts), or the last one finished between two epochs; 0 before the first batch.
   */
  epoch: number;
  /** Epochs planned; 0 until the trainer says. */
  epochs: number;
  /** Epochs finished. */
  epochsDone: number;
  /** Latest training loss: a batch's mid-epoch, the epoch's at its end. */
  loss?: number;
  /** The last finished epoch's logs. */
  lastLogs?: Record<string, number>;
  /** The final evaluation is running (training is over). */
  evaluating: boolean;
}

export const NO_PROGRESS: TrainingProgress = Object.freeze({ epoch: 0, epochs: 0, epochsDone: 0, evaluating: false });

/** The progress after one trainer event (a new object when it changed, the same one otherwise). */
export function progressAfter(p: TrainingProgress, event: TrainerEvent): TrainingProgress {
  switch (event.type) {
    case 'runStarted': {
      // A resumed run starts after its checkpoint's epoch.
      const done = event.meta.epochsDone ?? 0;
      return { ...NO_PROGRESS, epoch: done, epochsDone: done, epochs: event.meta.epochsPlanned };
    }
    case 'metrics':
      return withPoints(p, event.points);
    case 'epoch':
      return {
        ...p,
        epochsDone: Math.max(p.epochsDone, event.epoch),
        epochs: event.epochs,
        epoch: Math.max(p.epoch, event.epoch),
        lastLogs: event.logs,
        ...(typeof event.logs.loss === 'number' ? { loss: event.logs.loss } : {}),
      };
    case 'stage':
      return event.stage === 'evaluation' && event.status === 'running' ? { ...p, evaluating: true } : p;
    default:
      return p;
  }
}

/** The progress of a run read from its folder (meta and metric points): what a page opened mid-run starts from. */
export function progressOfRun(meta: Pick<RunMeta, 'epochsDone' | 'epochsPlanned' | 'lastMetrics'>, points: readonly MetricPoint[]): TrainingProgress {
  const start: TrainingProgress = { ...NO_PROGRESS, epoch: meta.epochsDone, epochsDone: meta.epochsDone, epochs: meta.epochsPlanned, ...(meta.lastMetrics ? { lastLogs: meta.lastMetrics } : {}) };
  return withPoints(start, points);
}

function withPoints(p: TrainingProgress, points: readonly MetricPoint[]): TrainingProgress {
  let { epoch, epochsDone, loss } = p;
  for (const point of points) {
    if (point.epoch > epoch) epoch = point.epoch;
    if (point.kind === 'epoch' && point.epoch > epochsDone) epochsDone = point.epoch;
    if (point.kind === 'step' && typeof point.values.loss === 'number') loss = point.values.loss;
  }
  if (epoch === p.epoch && epochsDone === p.epochsDone && loss === p.loss) return p;
  return { ...p, epoch, epochsDone, ...(loss !== undefined ? { loss } : {}) };
}

/** The numbers of "epoch N/M", or undefined before the first batch (then surfaces say "starting…"). */
export function shownEpoch(p: TrainingProgress): { epoch: number; epochs: number } | undefined {
  const epochs = Math.max(p.epochs, p.epoch);
  return epochs > 0 && p.epoch > 0 ? { epoch: p.epoch, epochs } : undefined;
}

/** Finished share of the planned epochs, 0..1 (the notification's bar). */
export function progressFraction(p: TrainingProgress): number {
  return p.epochs > 0 ? Math.min(1, p.epochsDone / p.epochs) : 0;
}
