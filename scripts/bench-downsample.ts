// Benchmark: downsampling 1,000,000 logged points to a chart's budget with
// src/core/downsample.ts, against naive peers measured in the same process:
// plain stride sampling (fast, loses spikes), bucket min/max found by sorting
// each bucket, and LTTB (what chart.js's decimation plugin does).
//
// Run: node --import tsx scripts/bench-downsample.ts [points] [budget]

import { downsampleIndices } from '../src/core/downsample';
import { smoothEma } from '../src/core/smoothing';

const N = Number(process.argv[2] ?? 1_000_000);
const BUDGET = Number(process.argv[3] ?? 4000);
const REPEATS = 7;

function noise(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

// A training-loss-like curve: exponential decay, batch noise, and a few spikes.
const xs = new Float64Array(N);
const ys = new Float64Array(N);
for (let i = 0; i < N; i++) {
  xs[i] = i + 1;
  ys[i] = 0.1 + 2 * Math.exp(-i / (N / 5)) + 0.05 * noise(i);
}
const spikes = [Math.floor(N * 0.123457), Math.floor(N * 0.5) + 3, Math.floor(N * 0.876543)];
for (const i of spikes) ys[i] = 25;
let trueMin = Infinity;
let trueMax = -Infinity;
for (let i = 0; i < N; i++) {
  if (ys[i] < trueMin) trueMin = ys[i];
  if (ys[i] > trueMax) trueMax = ys[i];
}

/** Every k-th point, k chosen to fit the budget. */
function stride(_x: Float64Array, y: Float64Array, budget: number): Uint32Array {
  const k = Math.ceil(y.length / budget);
  const out = new Uint32Array(Math.ceil(y.length / k));
  for (let i = 0, j = 0; i < y.length; i += k) out[j++] = i;
  return out;
}

/** Per bucket, sort the indices by value and keep the lowest and highest. */
function sortedBuckets(_x: Float64Array, y: Float64Array, budget: number): Uint32Array {
  const buckets = Math.floor(budget / 2);
  const out: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * y.length) / buckets);
    const to = Math.floor(((b + 1) * y.length) / buckets);
    if (to <= from) continue;
    const idx = Array.from({ length: to - from }, (_, k) => from + k).sort((p, q) => y[p] - y[q]);
    const lo = idx[0];
    const hi = idx[idx.length - 1];
    out.push(Math.min(lo, hi));
    if (hi !== lo) out.push(Math.max(lo, hi));
  }
  return Uint32Array.from(out);
}

/** Largest-Triangle-Three-Buckets (Steinarsson 2013). */
function lttb(x: Float64Array, y: Float64Array, budget: number): Uint32Array {
  const n = y.length;
  if (budget >= n || budget < 3) return Uint32Array.from({ length: n }, (_, i) => i);
  const out = new Uint32Array(budget);
  const every = (n - 2) / (budget - 2);
  let a = 0;
  let k = 0;
  out[k++] = 0;
  for (let i = 0; i < budget - 2; i++) {
    const avgFrom = Math.floor((i + 1) * every) + 1;
    const avgTo = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = avgFrom; j < avgTo; j++) {
      avgX += x[j];
      avgY += y[j];
    }
    const len = Math.max(1, avgTo - avgFrom);
    avgX /= len;
    avgY /= len;
    const from = Math.floor(i * every) + 1;
    const to = Math.floor((i + 1) * every) + 1;
    let best = -1;
    let chosen = from;
    for (let j = from; j < to; j++) {
      const area = Math.abs((x[a] - avgX) * (y[j] - y[a]) - (x[a] - x[j]) * (avgY - y[a]));
      if (area > best) {
        best = area;
        chosen = j;
      }
    }
    out[k++] = chosen;
    a = chosen;
  }
  out[k++] = n - 1;
  return out;
}

interface Row {
  name: string;
  ms: number;
  points: number;
  spikes: number;
  minMax: boolean;
}

function measure(name: string, run: (x: Float64Array, y: Float64Array, budget: number) => Uint32Array): Row {
  run(xs, ys, BUDGET); // warm-up (JIT)
  const times: number[] = [];
  let keep: Uint32Array = new Uint32Array();
  for (let r = 0; r < REPEATS; r++) {
    const started = performance.now();
    keep = run(xs, ys, BUDGET);
    times.push(performance.now() - started);
  }
  times.sort((p, q) => p - q);
  const kept = new Set(keep);
  let min = Infinity;
  let max = -Infinity;
  for (const i of keep) {
    if (ys[i] < min) min = ys[i];
    if (ys[i] > max) max = ys[i];
  }
  return {
    name,
    ms: times[Math.floor(times.length / 2)],
    points: keep.length,
    spikes: spikes.filter((i) => kept.has(i)).length,
    minMax: min === trueMin && max === trueMax,
  };
}

const rows = [
  measure('min/max buckets (src/core/downsample.ts)', (x, y, b) => downsampleIndices(x, y, b)),
  measure('naive: stride sampling', stride),
  measure('naive: sort each bucket for min/max', sortedBuckets),
  measure('LTTB', lttb),
];

const plainYs = Array.from(ys);
const smoothStarted = performance.now();
const smoothed = smoothEma(plainYs, 0.6);
const smoothMs = performance.now() - smoothStarted;
const pipelineStarted = performance.now();
downsampleIndices(xs, smoothed, BUDGET);
const pipelineMs = performance.now() - pipelineStarted + smoothMs;

console.log(`downsampling ${N.toLocaleString('en-US')} points to at most ${BUDGET} (median of ${REPEATS} runs, Node ${process.version}, ${process.arch})`);
console.log('');
const nameWidth = Math.max(...rows.map((r) => r.name.length));
console.log(`${'method'.padEnd(nameWidth)}  ${'time'.padStart(10)}  ${'points'.padStart(6)}  spikes kept  global min/max kept`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(nameWidth)}  ${`${r.ms.toFixed(2)} ms`.padStart(10)}  ${String(r.points).padStart(6)}  ${`${r.spikes}/${spikes.length}`.padStart(11)}  ${r.minMax ? 'yes' : 'no'}`,
  );
}
const ours = rows[0];
console.log('');
for (const r of rows.slice(1)) console.log(`${r.name}: ${(r.ms / ours.ms).toFixed(2)}× the time of min/max buckets`);
console.log(`smoothing (EMA 0.6) then downsampling, as the compare panel does: ${pipelineMs.toFixed(1)} ms`);
