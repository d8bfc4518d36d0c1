// A run's metrics as the dashboard receives them when it opens: every epoch
// point, and the step points downsampled on the host (min/max-preserving, see
// downsample.ts). A run of 24 hours logs millions of step points; posting them
// all would serialize hundreds of MB through the webview channel and make the
// page parse them, for a chart a few thousand pixels wide.

import { downsampleIndices } from './downsample';
import type { MetricPoint } from './types';

/** Step points the dashboard gets when it opens on a run (live points are added as they come). */
export const DASHBOARD_MAX_STEP_POINTS = 20_000;

export function thinMetricsForDashboard(points: readonly MetricPoint[], maxStepPoints = DASHBOARD_MAX_STEP_POINTS): MetricPoint[] {
  let steps = 0;
  for (const p of points) if (p.kind === 'step') steps++;
  if (steps <= maxStepPoints) return points as MetricPoint[];
  const stepPoints: MetricPoint[] = [];
  const xs = new Float64Array(steps);
  const ys = new Float64Array(steps);
  for (const p of points) {
    if (p.kind !== 'step') continue;
    const y = p.values.loss ?? Object.values(p.values).find((v) => typeof v === 'number');
    xs[stepPoints.length] = p.step;
    ys[stepPoints.length] = typeof y === 'number' && Number.isFinite(y) ? y : 0; // a non-finite loss is kept by the NaN check below
    stepPoints.push(p);
  }
  const keep = new Set<MetricPoint>();
  for (const i of downsampleIndices(xs, ys, maxStepPoints)) keep.add(stepPoints[i]!);
  // A NaN/Infinity loss is what the user needs to see: never thinned away.
  for (const p of stepPoints) if (Object.values(p.values).some((v) => !Number.isFinite(v))) keep.add(p);
  return points.filter((p) => p.kind !== 'step' || keep.has(p));
}
