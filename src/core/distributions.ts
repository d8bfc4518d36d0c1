// Distributions of weights and gradients (TensorBoard's Histograms and
// Distributions): the summary of one tensor's values, one line of a run's
// distributions.jsonl (one layer at one epoch), percentiles read back from a
// summary's histogram, and the rule that flags a layer whose gradients vanish
// or explode. Pure: the trainer computes the summaries, the dashboard and the
// compare panel draw them.

/** The run folder's file: one `LayerDistributions` per line, per recorded epoch and layer. */
export const DISTRIBUTIONS_FILE = 'distributions.jsonl';

/** Bins of every histogram, fixed so epochs and runs line up. */
export const HISTOGRAM_BINS = 30;

/** The percentiles the dashboard draws as bands (TensorBoard's Distributions draws these too). */
export const BAND_PERCENTILES = [0, 25, 50, 75, 100] as const;

/** Summary of one tensor's values. Statistics are over the finite values; `nonFinite` counts NaN and ±Infinity. */
export interface TensorStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation. */
  std: number;
  /** Share (0–1) of the values that are exactly zero: dead ReLU units show up here. */
  zeros: number;
  nonFinite: number;
  /** `counts[i]` values fall in the i-th of equal bins over [min, max] (the last bin holds max). */
  histogram: number[];
}

export interface TensorDistributions {
  /** The weight's name in its layer: `kernel`, `bias`, `embeddings`, … */
  name: string;
  shape: number[];
  weights: TensorStats;
  /** Of the epoch's last batch, before the optimizer applied them. */
  gradients?: TensorStats;
}

/** One line of distributions.jsonl. */
export interface LayerDistributions {
  epoch: number;
  layer: string;
  tensors: TensorDistributions[];
}

/** The summary of `values` with `bins` equal bins over its finite range. */
export function tensorStats(values: ArrayLike<number>, bins = HISTOGRAM_BINS): TensorStats {
  const n = values.length;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let zeros = 0;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    if (v === 0) zeros++;
  }
  const finite = n - nonFinite;
  const histogram = new Array<number>(bins).fill(0);
  if (finite === 0) return { count: n, min: 0, max: 0, mean: 0, std: 0, zeros: 0, nonFinite, histogram };
  const mean = sum / finite;
  // Two passes: the squared deviations from the mean, stable where sum of squares minus square of sums is not.
  let squares = 0;
  const width = (max - min) / bins;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    squares += (v - mean) * (v - mean);
    const bin = width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : 0;
    histogram[bin]++;
  }
  return { count: n, min, max, mean, std: Math.sqrt(squares / finite), zeros: zeros / n, nonFinite, histogram };
}

/**
 * The p-th percentile (0–100) of the values a summary describes, read from its
 * histogram by linear interpolation inside the bin it falls in: exact at 0 and
 * 100 (min and max), within one bin's width elsewhere.
 */
export function percentile(stats: TensorStats, p: number): number {
  const { histogram, min, max } = stats;
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0 || max === min) return min;
  if (p <= 0) return min;
  if (p >= 100) return max;
  const target = (p / 100) * total;
  const width = (max - min) / histogram.length;
  let below = 0;
  for (let i = 0; i < histogram.length; i++) {
    const c = histogram[i];
    if (c > 0 && below + c >= target) return min + width * (i + (target - below) / c);
    below += c;
  }
  return max;
}

/** The largest |value| of a summary. */
export function maxAbs(stats: TensorStats): number {
  return Math.max(Math.abs(stats.min), Math.abs(stats.max));
}

/** Gradients smaller than this times their weights' scale do not move the weights. */
export const VANISHING_RATIO = 1e-7;
/** Gradients larger than this times their weights' scale throw the weights around. */
export const EXPLODING_RATIO = 1e4;

/** Weights larger than this are the trace of exploded gradients: trained networks keep theirs near 1. */
export const EXPLODED_WEIGHT = 1e6;

export type GradientHealth = { kind: 'ok' } | { kind: 'vanishing' | 'exploding'; maxGradient: number; maxWeight: number; nonFinite: number };

/**
 * Whether a layer's gradients vanish or explode at one epoch. The scale of a
 * layer is its largest |weight|, at least 1 (a zero-initialized bias still has
 * scale 1). Exploding: any NaN or ±Infinity in a gradient or a weight, a
 * |weight| above EXPLODED_WEIGHT, or a largest |gradient| above EXPLODING_RATIO × scale. Vanishing: the largest
 * |gradient| over all its tensors below VANISHING_RATIO × scale. A layer
 * without gradients (not recorded, or not trainable) is ok unless its weights are not finite.
 */
export function gradientHealth(layer: LayerDistributions): GradientHealth {
  const withGradients = layer.tensors.filter((t) => t.gradients);
  let maxGradient = 0;
  let maxWeight = 0;
  let nonFinite = 0;
  for (const t of layer.tensors) {
    maxWeight = Math.max(maxWeight, maxAbs(t.weights));
    nonFinite += t.weights.nonFinite;
  }
  // Weights that are not finite, or beyond any trained network's, came from gradients that exploded (a run stopped by a NaN loss records its weights only).
  if (nonFinite > 0 || maxWeight > EXPLODED_WEIGHT) return { kind: 'exploding', maxGradient: withGradients.reduce((m, t) => Math.max(m, maxAbs(t.gradients!)), 0), maxWeight, nonFinite };
  if (withGradients.length === 0) return { kind: 'ok' };
  for (const t of withGradients) {
    maxGradient = Math.max(maxGradient, maxAbs(t.gradients!));
    nonFinite += t.gradients!.nonFinite;
  }
  const scale = Math.max(maxWeight, 1);
  const found = { maxGradient, maxWeight, nonFinite };
  if (nonFinite > 0 || maxGradient > EXPLODING_RATIO * scale) return { kind: 'exploding', ...found };
  if (maxGradient < VANISHING_RATIO * scale) return { kind: 'vanishing', ...found };
  return { kind: 'ok' };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStats = (v: unknown): v is TensorStats =>
  isRecord(v) && ['count', 'min', 'max', 'mean', 'std', 'zeros', 'nonFinite'].every((k) => typeof v[k] === 'number') && Array.isArray(v.histogram) && v.histogram.every((c) => typeof c === 'number');

/** One line of distributions.jsonl, or undefined for a blank, torn or foreign line. */
export function parseDistributionsLine(line: string): LayerDistributions | undefined {
  if (!line.trim()) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(v) || typeof v.epoch !== 'number' || typeof v.layer !== 'string' || !Array.isArray(v.tensors)) return undefined;
  const ok = v.tensors.every((t) => isRecord(t) && typeof t.name === 'string' && Array.isArray(t.shape) && isStats(t.weights) && (t.gradients === undefined || isStats(t.gradients)));
  return ok ? (v as unknown as LayerDistributions) : undefined;
}

/** Whether distributions are recorded at (1-based) epoch `epoch` every `every` epochs (0: never); the last epoch always is. */
export function recordsDistributionsAt(every: number, epoch: number, epochs: number): boolean {
  return every > 0 && (epoch % every === 0 || epoch === epochs);
}

/** The layers of a run's lines, in the order they first appear. */
export function layersOf(lines: readonly LayerDistributions[]): string[] {
  return [...new Set(lines.map((l) => l.layer))];
}

/** Sums the summaries of several tensors into one (a layer's kernel and bias together), for a layer-wide band. */
export function mergeStats(parts: readonly TensorStats[]): TensorStats | undefined {
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  const finite = parts.map((s) => s.count - s.nonFinite);
  const total = finite.reduce((a, b) => a + b, 0);
  const count = parts.reduce((a, s) => a + s.count, 0);
  const nonFinite = parts.reduce((a, s) => a + s.nonFinite, 0);
  const bins = parts[0].histogram.length;
  const live = parts.filter((_, i) => finite[i] > 0);
  if (total === 0) return { count, min: 0, max: 0, mean: 0, std: 0, zeros: 0, nonFinite, histogram: new Array<number>(bins).fill(0) };
  const min = Math.min(...live.map((s) => s.min));
  const max = Math.max(...live.map((s) => s.max));
  const mean = parts.reduce((a, s, i) => a + s.mean * finite[i], 0) / total;
  const variance = parts.reduce((a, s, i) => a + finite[i] * (s.std * s.std + (s.mean - mean) * (s.mean - mean)), 0) / total;
  const zeros = parts.reduce((a, s) => a + s.zeros * s.count, 0) / count;
  // Rebinned: each part's bin counts go to the merged bin holding that bin's centre.
  const histogram = new Array<number>(bins).fill(0);
  const width = (max - min) / bins;
  for (const s of live) {
    const w = (s.max - s.min) / s.histogram.length;
    s.histogram.forEach((c, i) => {
      if (c === 0) return;
      const centre = s.min + w * (i + 0.5);
      histogram[width > 0 ? Math.min(bins - 1, Math.max(0, Math.floor((centre - min) / width))) : 0] += c;
    });
  }
  return { count, min, max, mean, std: Math.sqrt(variance), zeros, nonFinite, histogram };
}

/** What a chart of distributions shows: the weights, or the gradients of the recorded epochs' last batches. */
export const DISTRIBUTION_KINDS = ['weights', 'gradients'] as const;
export type DistributionKind = (typeof DISTRIBUTION_KINDS)[number];

/** A layer's tensors merged into one summary of its weights or its gradients; undefined when it has none of that kind. */
export function layerStats(line: LayerDistributions, kind: DistributionKind): TensorStats | undefined {
  return mergeStats(line.tensors.flatMap((t) => (kind === 'weights' ? [t.weights] : t.gradients ? [t.gradients] : [])));
}

/** One epoch of a layer's band chart: the BAND_PERCENTILES of its values, in that order. */
export interface BandPoint {
  epoch: number;
  percentiles: number[];
  stats: TensorStats;
}

/** A layer's bands over the recorded epochs, for weights or gradients. */
export function layerBands(lines: readonly LayerDistributions[], layer: string, kind: DistributionKind): BandPoint[] {
  const out: BandPoint[] = [];
  for (const line of lines) {
    if (line.layer !== layer) continue;
    const stats = layerStats(line, kind);
    if (stats) out.push({ epoch: line.epoch, percentiles: BAND_PERCENTILES.map((p) => percentile(stats, p)), stats });
  }
  return out;
}

/**
 * At most `maxEpochs` recorded epochs, evenly spread and always with the first
 * and the last, so a long run's message stays small; all lines of a kept epoch are kept.
 */
export function thinDistributionEpochs<L extends { epoch: number }>(lines: readonly L[], maxEpochs: number): L[] {
  const epochs = [...new Set(lines.map((l) => l.epoch))].sort((a, b) => a - b);
  if (epochs.length <= maxEpochs) return [...lines];
  const keep = new Set<number>();
  for (let i = 0; i < maxEpochs; i++) keep.add(epochs[Math.round((i * (epochs.length - 1)) / (maxEpochs - 1))]);
  return lines.filter((l) => keep.has(l.epoch));
}
