// System metrics as W&B records them: the trainer process's CPU use, resident
// memory, wall time per optimizer step and samples per second, under keys that
// start with `system/`. The trainer reads its process (src/trainer/systemSampler.ts)
// and this turns two readings into the values; they are written into the
// metric points of metrics.jsonl (a step point every few seconds, every epoch
// point), so a resumed run drops them with the epoch it trains again.

/** Every system key starts with this; the loss chart and the headline metrics leave such keys out. */
export const SYSTEM_PREFIX = 'system/';

/** The system keys, one source for the trainer, the charts and the docs. */
export const SYSTEM_KEYS = {
  /** CPU time of the trainer process (user + system, all threads) over wall time, in percent of one core. */
  cpu: 'system/cpu_percent',
  /** Resident set size of the trainer process, in MiB. */
  memory: 'system/rss_mb',
  /** Wall time per optimizer step over the window, in milliseconds. */
  stepTime: 'system/step_time_ms',
  /** Training samples (rows, images, sequences) per second over the window. */
  throughput: 'system/samples_per_sec',
} as const;

export function isSystemKey(key: string): boolean {
  return key.startsWith(SYSTEM_PREFIX);
}

/** Where a metric goes in a list of metric choices: loss first, then the model's metrics, the learning rate, the system/ keys last. */
export function metricChoiceRank(name: string): number {
  return name === 'loss' ? 0 : name === 'lr' ? 2 : isSystemKey(name) ? 3 : 1;
}

/** One reading of the trainer process and of the training so far. */
export interface ProcessReading {
  /** A monotonic clock, in milliseconds. */
  wallMs: number;
  /** CPU time used by the process so far (user + system), in microseconds. */
  cpuMicros: number;
  rssBytes: number;
  /** Optimizer steps so far. */
  steps: number;
  /** Training samples seen so far. */
  samples: number;
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

/**
 * The system values over the window between two readings. A window without
 * wall time, or without steps, gives no step time and no throughput (never a
 * division by zero); memory is the later reading's.
 */
export function systemValues(before: ProcessReading, after: ProcessReading): Record<string, number> {
  const wall = after.wallMs - before.wallMs;
  const steps = after.steps - before.steps;
  const out: Record<string, number> = { [SYSTEM_KEYS.memory]: round(after.rssBytes / 2 ** 20, 1) };
  if (wall > 0) {
    out[SYSTEM_KEYS.cpu] = round(Math.max(0, (after.cpuMicros - before.cpuMicros) / 1000 / wall) * 100, 1);
    if (steps > 0) {
      out[SYSTEM_KEYS.stepTime] = round(wall / steps, 3);
      out[SYSTEM_KEYS.throughput] = round(((after.samples - before.samples) * 1000) / wall, 1);
    }
  }
  return out;
}

/** The values of a point without its system keys (what headline metrics and the loss chart look at). */
export function withoutSystemKeys(values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) if (!isSystemKey(k)) out[k] = v;
  return out;
}
