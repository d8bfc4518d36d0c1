// Reads the trainer process for its system metrics (src/core/systemMetrics.ts):
// per batch it only counts steps and samples; the process itself (CPU time,
// resident memory) is read when a window closes — every few seconds at a batch,
// and at every epoch's end — so recording them costs nothing measurable.

import { systemValues } from '../core/systemMetrics';
import type { ProcessReading } from '../core/systemMetrics';

/** How often a step point carries system values, at most. */
export const SYSTEM_SAMPLE_MS = 5000;

export class SystemSampler {
  private steps = 0;
  private samples = 0;
  private lastStepWindow: ProcessReading;
  private lastEpochWindow: ProcessReading;

  constructor(private readonly intervalMs = SYSTEM_SAMPLE_MS) {
    this.lastStepWindow = this.lastEpochWindow = this.read();
  }

  private read(): ProcessReading {
    const cpu = process.cpuUsage();
    return { wallMs: performance.now(), cpuMicros: cpu.user + cpu.system, rssBytes: process.memoryUsage.rss(), steps: this.steps, samples: this.samples };
  }

  /** A batch of `samples` rows was trained: the system values when a window of `intervalMs` has closed, else nothing. */
  batch(samples: number): Record<string, number> | undefined {
    this.steps++;
    this.samples += samples;
    if (performance.now() - this.lastStepWindow.wallMs < this.intervalMs) return undefined;
    const now = this.read();
    const values = systemValues(this.lastStepWindow, now);
    this.lastStepWindow = now;
    return values;
  }

  /** An epoch ended: the system values over it (training and validation). */
  epoch(): Record<string, number> {
    const now = this.read();
    const values = systemValues(this.lastEpochWindow, now);
    this.lastEpochWindow = now;
    return values;
  }
}
