// npm run bench:mlp-step [-- --rounds N] [-- --rows R] [-- --epochs E] [-- --no-peer]
//
// The first-lesson MLP (the bench's `mlp` workload: 10 features → Dense 64
// relu → Dense 1, Adam 1e-3, MSE, batch 32) trained by trainModel three ways
// in turn, round after round in one process: the one-call step
// (src/trainer/fusedStep.ts), the general path (fastStep: false: a kernel
// dispatch per op through the engine), and PyTorch at 1 and 2 threads on the
// same data, initial weights and batch order. Prints µs per step (wall and
// CPU time), samples/s, each side's final loss, and the ratios within the
// run, with the load average at the start and the end: other work on the
// machine moves wall times, so only ratios of the same run count. Then a
// classifier of the customer-churn example's shape (10 → 32 relu → dropout
// 0.2 → 2 softmax, sparse cross-entropy, accuracy) on the same inputs, the
// one-call step against the general path (no peer: the bench has none).

import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend';
import { buildLoss, buildOptimizer, buildSequential } from '../../src/trainer/model';
import { trainModel } from '../../src/trainer/trainLoop';
import type { StepPath } from '../../src/trainer/trainLoop';
import { seededRng } from '../../src/core/random';
import type { LayerConfig } from '../../src/core/types';
import { ensurePeerInstalled, Peer } from './peer';
import { mlpWorkload } from './workloads';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const rounds = option('rounds', 5);
const rows = option('rows', 8192);
const epochs = option('epochs', 5);
const BATCH = 32;
const FEATURES = 10;

interface Timing {
  seconds: number;
  cpuSeconds: number;
  steps: number;
  samples: number;
  finalLoss: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const load = () => loadavg().map((l) => l.toFixed(2)).join(', ');

/** The workload's files as the peer reads them: inputs, targets, each epoch's order, the initial weights. */
function readWorkload(dir: string) {
  const f32 = (name: string) => new Float32Array(readFileSync(join(dir, name)).buffer.slice(0));
  const order = new Int32Array(readFileSync(join(dir, 'order.i32')).buffer.slice(0));
  const manifest = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8')) as { shapes: number[][] }[];
  const blob = f32('weights.f32');
  let at = 0;
  const weights = manifest.flatMap((layer) =>
    layer.shapes.map((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const t = blob.slice(at, at + n);
      at += n;
      return { shape, values: t };
    }),
  );
  return { x: f32('x.f32'), y: f32('y.f32'), orders: Array.from({ length: epochs }, (_, e) => order.subarray(e * rows, (e + 1) * rows)), weights };
}

const MLP: LayerConfig[] = [
  { type: 'dense', units: 64, activation: 'relu' },
  { type: 'dense', units: 1 },
];
const CLASSIFIER: LayerConfig[] = [
  { type: 'dense', units: 32, activation: 'relu' },
  { type: 'dropout', rate: 0.2 },
  { type: 'dense', units: 2, activation: 'softmax' },
];

/** The workload's MLP from its initial weights (the peer's too), or the classifier (seeded initial weights, targets y > 0); final loss, or the classifier's accuracy. */
async function ours(w: ReturnType<typeof readWorkload>, fastStep: boolean, epochCount: number, classifier = false): Promise<Timing & { path?: StepPath }> {
  const original = Math.random;
  Math.random = seededRng(3); // the classifier's initial weights and dropout masks
  const model = buildSequential(classifier ? CLASSIFIER : MLP, [FEATURES]);
  const optimizer = buildOptimizer({ type: 'adam', learningRate: 0.001 });
  const xs = tf.tensor2d(w.x, [rows, FEATURES]);
  const ys = classifier ? tf.tensor1d(w.y.map((v) => (v > 0 ? 1 : 0))) : tf.tensor2d(w.y, [rows, 1]);
  try {
    if (!classifier) {
      const initial = w.weights.map((t) => tf.tensor(t.values, t.shape));
      model.setWeights(initial);
      tf.dispose(initial);
    }
    model.compile(classifier ? { optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] } : { optimizer, loss: buildLoss('mse') as string });
    let path: StepPath | undefined;
    let seconds = 0;
    let cpuSeconds = 0;
    for (let e = 0; e < epochCount; e++) {
      // Each epoch on its own order, gathered outside the timing, as the workload does.
      const [xe, ye] = tf.tidy(() => {
        const idx = tf.tensor1d(w.orders[e], 'int32');
        return [tf.gather(xs, idx), tf.gather(ys, idx)];
      });
      const started = performance.now();
      const cpu = process.cpuUsage();
      await trainModel(model, xe, ye, { epochs: 1, batchSize: BATCH, shuffle: false, fastStep, onStepPath: (p) => (path = p) });
      seconds += (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      cpuSeconds += (used.user + used.system) / 1e6;
      tf.dispose([xe, ye]);
    }
    const finalLoss = tf.tidy(() => {
      const predicted = model.predict(xs) as tf.Tensor;
      return (classifier ? tf.mean(tf.cast(tf.equal(tf.argMax(predicted, -1), tf.cast(ys, 'int32')), 'float32')) : tf.losses.meanSquaredError(ys, predicted)).dataSync()[0];
    });
    const steps = epochCount * Math.ceil(rows / BATCH);
    return { seconds, cpuSeconds, steps, samples: epochCount * rows, finalLoss, path };
  } finally {
    Math.random = original;
    tf.dispose([xs, ys]);
    model.dispose();
    optimizer.dispose();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'modellab-mlp-step-'));
  const peers: Peer[] = [];
  try {
    const sel = await selectBackend('wasm');
    const workload = mlpWorkload({ rows, epochs, dir });
    const w = readWorkload(dir);
    if (!argv.includes('--no-peer')) {
      const why = ensurePeerInstalled((s) => console.log(s));
      if (why) console.log(`PyTorch peer unavailable: ${why}`);
      else
        for (const threads of [1, 2]) {
          const peer = new Peer(threads);
          await peer.start();
          peers.push(peer);
        }
    }
    console.log(`MLP 10→64→1, Adam, MSE, batch ${BATCH}: ${rows} rows × ${epochs} epochs, ${rounds} rounds in turn; ${sel.backend}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; load average ${load()} at the start`);
    const sides: { name: string; run: () => Promise<Timing> }[] = [
      { name: 'ours, one-call step', run: () => ours(w, true, epochs) },
      { name: 'ours, general path', run: () => ours(w, false, epochs) },
      ...peers.map((p) => ({ name: `PyTorch ${p.threads} thread${p.threads === 1 ? '' : 's'}`, run: () => p.request<Timing>({ ...workload.peer, threads: p.threads }) })),
    ];
    // Warm-up: compiles kernels, allocates, starts pools; not counted.
    const fastPath = await ours(w, true, 1);
    await ours(w, false, 1);
    for (const p of peers) await p.request({ ...workload.peer, threads: p.threads, warmup: true });
    console.log(`path taken by default: ${fastPath.path?.fast ? 'the one-call step' : `the general path (${fastPath.path && !fastPath.path.fast ? fastPath.path.reason : '?'})`}`);
    const results = new Map<string, Timing[]>(sides.map((s) => [s.name, []]));
    for (let r = 0; r < rounds; r++) {
      // Alternate which side goes first, so a load that comes and goes falls on each.
      const turn = r % 2 === 0 ? sides : [...sides].reverse();
      for (const side of turn) results.get(side.name)!.push(await side.run());
      process.stdout.write('.');
    }
    process.stdout.write('\n');
    const perStep = (t: Timing) => (1e6 * t.seconds) / t.steps;
    const cpuPerStep = (t: Timing) => (1e6 * t.cpuSeconds) / t.steps;
    const summary = sides.map((s) => {
      const ts = results.get(s.name)!;
      return { name: s.name, us: median(ts.map(perStep)), cpuUs: median(ts.map(cpuPerStep)), rate: median(ts.map((t) => t.samples / t.seconds)), loss: median(ts.map((t) => t.finalLoss)) };
    });
    const rowsOut = [['side', 'µs/step', 'CPU µs/step', 'samples/s', 'final loss'], ...summary.map((s) => [s.name, s.us.toFixed(1), s.cpuUs.toFixed(1), Math.round(s.rate).toLocaleString('en'), s.loss.toPrecision(6)])];
    const widths = rowsOut[0].map((_, i) => Math.max(...rowsOut.map((r) => r[i].length)));
    console.log(rowsOut.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n'));
    const [fast, general, ...peerSides] = summary;
    console.log(`one-call step vs general path: ${(general.us / fast.us).toFixed(2)}× faster by wall time, ${(general.cpuUs / fast.cpuUs).toFixed(2)}× by CPU time`);
    if (peerSides.length) {
      const best = peerSides.reduce((a, b) => (b.us < a.us ? b : a));
      console.log(`PyTorch at its best (${best.name}): ours/PyTorch ${(best.us / fast.us).toFixed(2)}× by wall time, ${(best.cpuUs / fast.cpuUs).toFixed(2)}× by CPU time (general path: ${(best.us / general.us).toFixed(2)}×); final losses ${fast.loss.toPrecision(6)} and ${best.loss.toPrecision(6)}`);
    }
    // The classifier: the one-call step against the general path, in turn.
    const cls = { fast: [] as Timing[], general: [] as Timing[] };
    await ours(w, true, 1, true);
    await ours(w, false, 1, true);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [true, false] : [false, true];
      for (const fastStep of order) (fastStep ? cls.fast : cls.general).push(await ours(w, fastStep, epochs, true));
    }
    const [cf, cg] = [cls.fast, cls.general].map((ts) => ({ us: median(ts.map(perStep)), cpuUs: median(ts.map(cpuPerStep)), acc: median(ts.map((t) => t.finalLoss)) }));
    console.log(`classifier 10 → 32 relu → dropout 0.2 → 2 softmax, sparse cross-entropy: one-call step ${cf.us.toFixed(1)} µs/step (CPU ${cf.cpuUs.toFixed(1)}), general path ${cg.us.toFixed(1)} µs/step (CPU ${cg.cpuUs.toFixed(1)}): ${(cg.us / cf.us).toFixed(2)}× by wall time, ${(cg.cpuUs / cf.cpuUs).toFixed(2)}× by CPU time; training accuracy ${cf.acc.toFixed(4)} and ${cg.acc.toFixed(4)}`);
    console.log(`load average ${load()} at the end`);
  } finally {
    for (const p of peers) await p.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
