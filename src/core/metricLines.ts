// The lines of a run's metrics.jsonl: one MetricPoint as JSON per line. A line
// can be torn (the trainer died mid-write) or foreign (a hand edit); readers
// skip such lines and say how many they skipped.

import type { MetricPoint } from './types';

/** What one line of metrics.jsonl holds: a point, nothing (a blank line), or something that is not a point. */
export type MetricLine = { point: MetricPoint } | 'blank' | 'damaged';

export function parseMetricLine(line: string): MetricLine {
  if (line.trim() === '') return 'blank';
  let p: unknown;
  try {
    p = JSON.parse(line);
  } catch {
    return 'damaged';
  }
  const q = p as Partial<MetricPoint> | null;
  const values = q?.values as unknown;
  if (q && typeof q.step === 'number' && typeof q.epoch === 'number' && typeof values === 'object' && values !== null && !Array.isArray(values)) return { point: p as MetricPoint };
  return 'damaged';
}

/** Collects the points of metrics.jsonl fed line by line, counting the damaged ones. */
export class MetricLineReader {
  readonly points: MetricPoint[] = [];
  private damaged = 0;

  take(line: string): void {
    const parsed = parseMetricLine(line);
    if (parsed === 'damaged') this.damaged++;
    else if (parsed !== 'blank') this.points.push(parsed.point);
  }

  /** The warning for the damaged lines, if there were any. */
  get warning(): string | undefined {
    const bad = this.damaged;
    return bad ? `metrics.jsonl: ${bad} damaged line${bad === 1 ? '' : 's'} skipped` : undefined;
  }
}
