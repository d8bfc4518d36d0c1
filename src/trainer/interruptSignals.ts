// The signals that interrupt a training run rather than kill it: a scheduler's
// warning before a time limit or a preemption (SLURM's `--signal=B:USR1@N`)
// and the SIGTERM a scheduler, `kill` or a shutdown sends. The trainer aborts
// with the signal's name as the reason; the engine stops after the current
// batch and records the run `interrupted` with its last epoch's checkpoint,
// so a requeued job (or `modellab resume`) carries it on exactly.

import { INTERRUPT_REASONS } from './engine';

/** The signals handled, each also an abort reason the engine takes for an interruption. */
export const INTERRUPT_SIGNALS = INTERRUPT_REASONS.filter((r): r is 'SIGUSR1' | 'SIGTERM' => r.startsWith('SIG'));

/**
 * Aborts `abort` with the signal's name on SIGUSR1 or SIGTERM (after `onSignal`
 * says so). A second signal while the run winds down changes nothing: the
 * scheduler's SIGKILL, not ours, ends a run that takes too long. Returns the
 * function that removes the handlers.
 */
export function interruptOnSignals(abort: AbortController, onSignal: (signal: NodeJS.Signals) => void = () => undefined): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) return;
    onSignal(signal);
    abort.abort(signal);
  };
  // Windows has neither signal's meaning; Node still lets a handler be set for both.
  for (const s of INTERRUPT_SIGNALS) process.on(s, handler);
  return () => {
    for (const s of INTERRUPT_SIGNALS) process.off(s, handler);
  };
}
