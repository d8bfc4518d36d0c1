// The callbacks every training loop shares — the kept epoch (the last, or the
// best when the config asks), early stopping and reduce-learning-rate-on-plateau
// — as one object: it reads each finished epoch's logs and says what to do
// (keep these weights, lower the learning rate, stop); the engine does it.
// Pure numbers, no tfjs. Its whole state goes into a checkpoint as one value
// (toJSON) and comes back from it (fromJSON), so a resumed run counts on
// exactly where the interrupted one was.

import { formatMetric, goalFor, isImprovement } from '../core/metrics';
import { keptEpoch } from '../core/resolvedConfig';
import type { KeptEpoch, ResolvedConfig } from '../core/resolvedConfig';
import type { CheckpointCallbacks } from '../node/checkpointFile';
import { logText } from '../core/trainerLogTable';
import type { LogText } from '../core/trainerLogTable';

/** The parts of the training config the callbacks follow. */
export type CallbackSettings = Pick<ResolvedConfig['training'], 'checkpoint' | 'earlyStopping' | 'reduceLrOnPlateau'>;

/** The callbacks' state as a checkpoint holds it (NaN written as null). */
export type CallbackState = CheckpointCallbacks;

/** What an epoch's end asks of the engine, in the order it is to be done (and logged). */
export interface EpochDecision {
  /** Its weights are the ones to keep: every epoch when the run keeps the last, else the best so far by the monitor. */
  keep: boolean;
  /** Reduce-on-plateau lowered the learning rate to `value` (already the callbacks' own rate). */
  learningRate?: { value: number; message: LogText };
  /** Early stopping: training ends after this epoch, for the reason given. */
  stop?: LogText;
}

/** Why a run ended on an earlier epoch's weights: which epoch, by what, and which setting asked for it. */
export function restoredMessage(epoch: number, value: number, kept: Extract<KeptEpoch, { epoch: 'best' }>): LogText {
  const which = goalFor(kept.monitor) === 'maximize' ? 'highest' : 'lowest';
  const asker = kept.askedBy === 'training.checkpoint' ? 'checkpoint' : 'earlyStopping';
  return logText(`restored.${which}.${asker}`, epoch, kept.monitor, formatMetric(value, 'table'));
}

const nullIfNaN = (v: number) => (Number.isNaN(v) ? null : v);

export class TrainingCallbacks {
  private bestValueNow = NaN;
  private bestEpochNow = 0;
  private esBest = NaN;
  private esWait = 0;
  private lrBest = NaN;
  private lrWait = 0;
  private learningRateNow: number;
  /** Which epoch the run keeps, as the settings ask. */
  readonly kept: KeptEpoch;

  /** `learningRate`: the optimizer's rate as training starts; the callbacks keep it from then on. */
  constructor(
    private readonly settings: CallbackSettings,
    learningRate: number,
  ) {
    this.learningRateNow = learningRate;
    this.kept = keptEpoch(settings);
  }

  /** Callbacks that carry on from a checkpoint's state. */
  static fromJSON(settings: CallbackSettings, state: CallbackState): TrainingCallbacks {
    const c = new TrainingCallbacks(settings, state.learningRate);
    c.bestValueNow = state.bestValue ?? NaN;
    c.bestEpochNow = state.bestEpoch;
    c.esBest = state.esBest ?? NaN;
    c.esWait = state.esWait;
    c.lrBest = state.lrBest ?? NaN;
    c.lrWait = state.lrWait;
    return c;
  }

  toJSON(): CallbackState {
    return {
      bestValue: nullIfNaN(this.bestValueNow),
      bestEpoch: this.bestEpochNow,
      esBest: nullIfNaN(this.esBest),
      esWait: this.esWait,
      lrBest: nullIfNaN(this.lrBest),
      lrWait: this.lrWait,
      learningRate: this.learningRateNow,
    };
  }

  /** The epoch kept so far (1-based): the last, or the best by the monitor; 0 before any. */
  get bestEpoch(): number {
    return this.bestEpochNow;
  }

  /** The monitor's value in the best epoch; NaN before any, and when the run keeps the last epoch. */
  get bestValue(): number {
    return this.bestValueNow;
  }

  /** The learning rate training runs at: the optimizer's, as reduce-on-plateau leaves it. */
  get learningRate(): number {
    return this.learningRateNow;
  }

  /** Epoch `epoch` (1-based) finished with these logs: updates the counters and says what follows. */
  epochEnd(epoch: number, logs: Record<string, number>): EpochDecision {
    const decision: EpochDecision = { keep: false };
    const { earlyStopping: es, reduceLrOnPlateau: rl } = this.settings;
    const kept = this.kept;

    if (kept.epoch === 'last') {
      this.bestEpochNow = epoch;
      decision.keep = true;
    } else {
      const ck = logs[kept.monitor];
      if (ck !== undefined && (Number.isNaN(this.bestValueNow) || isImprovement(goalFor(kept.monitor), ck, this.bestValueNow))) {
        this.bestValueNow = ck;
        this.bestEpochNow = epoch;
        decision.keep = true;
      }
    }

    const lrValue = rl && logs[rl.monitor];
    if (rl && lrValue !== undefined) {
      if (Number.isNaN(this.lrBest) || isImprovement(goalFor(rl.monitor), lrValue, this.lrBest)) {
        this.lrBest = lrValue;
        this.lrWait = 0;
      } else if (++this.lrWait >= Math.max(rl.patience, 1)) {
        const next = Math.max(this.learningRateNow * rl.factor, rl.minLr);
        if (next < this.learningRateNow) {
          this.learningRateNow = next;
          decision.learningRate = { value: next, message: logText('callbacks.reduceLr', epoch, rl.monitor, this.lrWait, next.toPrecision(3)) };
        }
        this.lrWait = 0;
      }
    }

    // Last: the plateau's cut happened at this epoch's end too, and stopping is what ends it.
    const esValue = es && logs[es.monitor];
    if (es && esValue !== undefined) {
      if (Number.isNaN(this.esBest) || isImprovement(goalFor(es.monitor), esValue, this.esBest, es.minDelta)) {
        this.esBest = esValue;
        this.esWait = 0;
      } else if (++this.esWait >= Math.max(es.patience, 1)) {
        decision.stop = logText('callbacks.earlyStop', epoch, es.monitor, this.esWait);
      }
    }
    return decision;
  }
}
