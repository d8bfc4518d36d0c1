// Model Lab's side of each benchmark workload, through the trainer's own
// code: buildSequential / buildTransformer build the models, trainModel (the
// engine's loop) and trainStep (its step) train them. Each workload also
// writes, for the peer, the data, the initial weights and the batch order it
// used, so both sides do the same arithmetic and their final losses can be
// compared digit for digit.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { seededRng, shuffleInPlace } from '../../src/core/random';
import type { Rng } from '../../src/core/random';
import type { ResolvedTransformer } from '../../src/core/resolvedConfig';
import { fusedSequentialForward } from '../../src/trainer/fusedLayers';
import { buildLoss, buildOptimizer, buildSequential } from '../../src/trainer/model';
import { trainModel, trainStep } from '../../src/trainer/trainLoop';
import { buildTransformer } from '../../src/trainer/transformer';
import { classificationLoss, languageModelLoss } from '../../src/trainer/textTraining';

export interface RunResult {
  seconds: number;
  /** CPU time of the process over the same span (user + system, every thread): the measure a busy machine disturbs least. */
  cpuSeconds: number;
  /** Samples (MLP), images (CNN) or tokens (Transformers) trained on. */
  items: number;
  finalLoss: number;
}

export interface Workload {
  name: string;
  unit: 'samples/s' | 'images/s' | 'tokens/s';
  /** Training FLOPs per sample or token (forward + backward ≈ 3× the forward products). */
  flopsPerItem: number;
  /**
   * Trains from the initial weights and times it. With warmUp, trains only the first
   * batch (result discarded): a fresh process's first step compiles kernels and
   * allocates, which the timed runs should not pay for.
   */
  ours(options?: { warmUp?: boolean }): Promise<RunResult>;
  /** The request for peer_torch.py (`warmup: true` added: the peer's same one-batch run). */
  peer: Record<string, unknown>;
}

/** The epochs' batch orders a run trains on: all of them, or only the first batch of the first epoch for a warm-up. */
function schedule(order: Int32Array[], batchSize: number, warmUp: boolean | undefined): Int32Array[] {
  return warmUp ? [order[0].subarray(0, batchSize)] : order;
}

function normal(rng: Rng): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function writeF32(path: string, values: ArrayLike<number>): void {
  writeFileSync(path, Buffer.from(Float32Array.from(values).buffer));
}

function writeI32(path: string, values: ArrayLike<number>): void {
  writeFileSync(path, Buffer.from(Int32Array.from(values).buffer));
}

/** One permutation of [0, rows) per epoch, seeded. */
function batchOrder(rows: number, epochs: number, seed: number): Int32Array[] {
  const rng = seededRng(seed);
  return Array.from({ length: epochs }, () => Int32Array.from(shuffleInPlace(Array.from({ length: rows }, (_, i) => i), rng)));
}

/** The model's weights, layer by layer, as the peer loads them (weights.json + weights.f32). */
function writeWeights(dir: string, model: tfl.LayersModel): void {
  const manifest: { name: string; shapes: number[][] }[] = [];
  const parts: Buffer[] = [];
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    manifest.push({ name: layer.name, shapes: ws.map((w) => w.shape) });
    for (const w of ws) parts.push(Buffer.from((w.dataSync() as Float32Array).slice().buffer));
  }
  writeFileSync(join(dir, 'weights.json'), JSON.stringify(manifest));
  writeFileSync(join(dir, 'weights.f32'), Buffer.concat(parts));
}

/** Builds the model with tfjs's initializers drawing from a seeded Math.random, as the engine does. */
function seeded<T>(seed: number, build: () => T): T {
  const original = Math.random;
  Math.random = seededRng(seed);
  try {
    return build();
  } finally {
    Math.random = original;
  }
}

/**
 * Trains a compiled model for `epochs` epochs, epoch e on the rows in `order[e]` (gathered
 * from xs and ys, batches of `batchSize`, no shuffling), and times it: wall seconds and the
 * process's CPU seconds (user + system) over the same span.
 */
async function timedEpochs(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor, order: Int32Array[], epochs: number, batchSize: number): Promise<{ seconds: number; cpuSeconds: number }> {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  for (let e = 0; e < epochs; e++) {
    const [xe, ye] = tf.tidy(() => {
      const idx = tf.tensor1d(order[e], 'int32');
      return [tf.gather(xs, idx), tf.gather(ys, idx)];
    });
    await trainModel(model, xe, ye, { epochs: 1, batchSize, shuffle: false });
    tf.dispose([xe, ye]);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

export interface MlpOptions {
  rows: number;
  epochs: number;
  dir: string;
}

/** The first lesson: 10 features → Dense 64 relu → Dense 1, Adam 1e-3, MSE, batch 32. */
export function mlpWorkload(o: MlpOptions): Workload {
  const features = 10;
  const batchSize = 32;
  const lr = 0.001;
  mkdirSync(o.dir, { recursive: true });
  const rng = seededRng(7);
  const truth = Array.from({ length: features }, () => normal(rng));
  const x = new Float32Array(o.rows * features);
  const y = new Float32Array(o.rows);
  for (let r = 0; r < o.rows; r++) {
    let s = 0;
    for (let c = 0; c < features; c++) {
      const v = normal(rng);
      x[r * features + c] = v;
      s += truth[c] * v;
    }
    // A little curvature, so the hidden layer has something to learn.
    y[r] = 0.3 * s + 0.5 * Math.sin(s) + 0.1 * normal(rng);
  }
  const order = batchOrder(o.rows, o.epochs, 11);
  writeF32(join(o.dir, 'x.f32'), x);
  writeF32(join(o.dir, 'y.f32'), y);
  writeI32(join(o.dir, 'order.i32'), order.flatMap((p) => Array.from(p)));
  const layers = [
    { type: 'dense' as const, units: 64, activation: 'relu' as const },
    { type: 'dense' as const, units: 1 },
  ];
  const template = seeded(3, () => buildSequential(layers, [features]));
  writeWeights(o.dir, template);
  const layerNames = template.layers.map((l) => l.name);
  const initial = template.getWeights().map((w) => tf.clone(w));
  template.dispose();

  return {
    name: 'MLP 10→64→1, Adam, batch 32',
    unit: 'samples/s',
    flopsPerItem: 3 * 2 * (features * 64 + 64 * 1),
    peer: { cmd: 'mlp', dir: o.dir, rows: o.rows, features, epochs: o.epochs, batchSize, lr, layers: layerNames },
    ours: async (options) => {
      const model = buildSequential(layers, [features]);
      model.setWeights(initial);
      const optimizer = buildOptimizer({ type: 'adam', learningRate: lr });
      model.compile({ optimizer, loss: buildLoss('mse') as string });
      const xs = tf.tensor2d(x, [o.rows, features]);
      const ys = tf.tensor2d(y, [o.rows, 1]);
      const epochs = schedule(order, batchSize, options?.warmUp);
      const { seconds, cpuSeconds } = await timedEpochs(model, xs, ys, epochs, epochs.length, batchSize);
      const finalLoss = tf.tidy(() => tf.losses.meanSquaredError(ys, model.predict(xs) as tf.Tensor).dataSync()[0]);
      tf.dispose([xs, ys]);
      model.dispose();
      optimizer.dispose();
      return { seconds, cpuSeconds, items: epochs.reduce((n, e) => n + e.length, 0), finalLoss };
    },
  };
}

export interface TransformerOptions {
  decoder: boolean;
  /** The larger encoder (where threads matter): width 256, 4 heads, feed-forward 1024, 4 layers, 128 tokens. */
  large?: boolean;
  rows: number;
  epochs: number;
  dir: string;
}

/**
 * Encoder: the intent classifier's shape at 64 tokens (2 layers, width 64, 2
 * heads, feed-forward 128, sinusoidal positions, mean pooling, 8 classes,
 * vocabulary 2000, padded texts of 16–64 tokens). Decoder: the text
 * generator's (2 layers, width 64, 4 heads, feed-forward 128, learned
 * positions, 64-character windows, vocabulary 80). Dropout 0 on both sides,
 * so the two runs are the same computation. Adam, batch 32. The larger
 * encoder: the same classifier at width 256, 4 heads, feed-forward 1024,
 * 4 layers, 128 tokens (texts of 32–128).
 */
export function transformerWorkload(o: TransformerOptions): Workload {
  if (o.large && o.decoder) throw new Error('the larger Transformer is an encoder');
  const length = o.large ? 128 : 64;
  const batchSize = 32;
  const vocab = o.decoder ? 80 : 2000;
  const classes = 8;
  const lr = o.decoder ? 0.003 : 0.002;
  const cfg: ResolvedTransformer = {
    type: o.decoder ? 'transformerDecoder' : 'transformerEncoder',
    layers: o.large ? 4 : 2,
    heads: o.decoder || o.large ? 4 : 2,
    dModel: o.large ? 256 : 64,
    ffDim: o.large ? 1024 : 128,
    dropout: 0,
    maxLength: length,
    positional: o.decoder ? 'learned' : 'sinusoidal',
    pooling: 'mean',
  };
  mkdirSync(o.dir, { recursive: true });
  const rng = seededRng(o.decoder ? 21 : 22);
  const ids = new Int32Array(o.rows * length);
  const labels = new Int32Array(o.rows);
  const targets = new Int32Array(o.rows * length);
  const weights = new Float32Array(o.rows * length);
  if (o.decoder) {
    // A character stream with structure: words from a small vocabulary of "syllables".
    const syllables = Array.from({ length: 40 }, () => Array.from({ length: 2 + Math.floor(rng() * 3) }, () => 2 + Math.floor(rng() * (vocab - 2))));
    const stream: number[] = [];
    while (stream.length < o.rows * length + 1) {
      stream.push(...syllables[Math.floor(rng() * syllables.length)]);
      if (rng() < 0.3) stream.push(1); // space
    }
    for (let r = 0; r < o.rows; r++) {
      for (let t = 0; t < length; t++) {
        ids[r * length + t] = stream[r * length + t];
        targets[r * length + t] = stream[r * length + t + 1];
        weights[r * length + t] = 1;
      }
    }
  } else {
    // Texts whose class is which of 8 keyword groups dominates them.
    for (let r = 0; r < o.rows; r++) {
      const shortest = length / 4;
      const n = shortest + Math.floor(rng() * (length - shortest + 1));
      const cls = Math.floor(rng() * classes);
      labels[r] = cls;
      for (let t = 0; t < n; t++) {
        ids[r * length + t] = rng() < 0.3 ? 2 + cls * 10 + Math.floor(rng() * 10) : 100 + Math.floor(rng() * (vocab - 100));
      }
    }
  }
  const order = batchOrder(o.rows, o.epochs, 13);
  writeI32(join(o.dir, 'ids.i32'), ids);
  writeI32(join(o.dir, 'order.i32'), order.flatMap((p) => Array.from(p)));
  if (o.decoder) {
    writeI32(join(o.dir, 'targets.i32'), targets);
    writeF32(join(o.dir, 'weights_mask.f32'), weights);
  } else {
    writeI32(join(o.dir, 'labels.i32'), labels);
  }
  const template = seeded(5, () => buildTransformer(cfg, vocab, { classes }));
  writeWeights(o.dir, template);
  const initial = template.getWeights().map((w) => tf.clone(w));
  template.dispose();

  const d = cfg.dModel;
  const perTokenForward = cfg.layers * (2 * 4 * d * d + 2 * 2 * d * cfg.ffDim + 2 * 2 * length * d) + (o.decoder ? 2 * d * vocab : 0);
  return {
    name: o.decoder
      ? `Transformer decoder (char LM), batch ${batchSize}×${length}`
      : `Transformer encoder classifier${o.large ? ` d${cfg.dModel} h${cfg.heads} ff${cfg.ffDim} ×${cfg.layers}` : ''}, batch ${batchSize}×${length}`,
    unit: 'tokens/s',
    flopsPerItem: 3 * perTokenForward,
    peer: { cmd: 'transformer', dir: o.dir, rows: o.rows, length, epochs: o.epochs, batchSize, lr, model: { ...cfg, decoder: o.decoder } },
    ours: async (options) => {
      const epochs = schedule(order, batchSize, options?.warmUp);
      const model = buildTransformer(cfg, vocab, { classes });
      model.setWeights(initial);
      const optimizer = buildOptimizer({ type: 'adam', learningRate: lr });
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const idsT = tf.tensor2d(ids, [o.rows, length], 'int32');
      const labelsT = tf.tensor1d(labels, 'int32');
      const targetsT = tf.tensor2d(targets, [o.rows, length], 'int32');
      const weightsT = tf.tensor2d(weights, [o.rows, length]);
      const lossOf = (rows: tf.Tensor1D, training: boolean): tf.Scalar => {
        const out = model.apply(tf.gather(idsT, rows), { training }) as tf.Tensor;
        return o.decoder ? languageModelLoss(out, tf.gather(targetsT, rows) as tf.Tensor2D, tf.gather(weightsT, rows) as tf.Tensor2D) : classificationLoss(out, tf.gather(labelsT, rows) as tf.Tensor1D, classes);
      };
      let tokens = 0;
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      for (const epoch of epochs) {
        for (let s = 0; s < epoch.length; s += batchSize) {
          const rows = tf.tensor1d(epoch.subarray(s, s + batchSize), 'int32');
          const loss = trainStep(optimizer, variables, () => lossOf(rows, true));
          loss.dataSync();
          tf.dispose([loss, rows]);
          tokens += Math.min(batchSize, epoch.length - s) * length;
        }
      }
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuStarted);
      const all = tf.range(0, o.rows, 1, 'int32') as tf.Tensor1D;
      const finalLoss = tf.tidy(() => lossOf(all, false).dataSync()[0]);
      tf.dispose([all, idsT, labelsT, targetsT, weightsT]);
      model.dispose();
      optimizer.dispose();
      return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, items: tokens, finalLoss };
    },
  };
}

// ── the CNN ──

/** The segments of a seven-segment digit: [x0, y0, x1, y1] in a unit box, y down. */
const SEGMENTS = [
  [0, 0, 1, 0], // top
  [1, 0, 1, 0.5], // top right
  [1, 0.5, 1, 1], // bottom right
  [0, 1, 1, 1], // bottom
  [0, 0.5, 0, 1], // bottom left
  [0, 0, 0, 0.5], // top left
  [0, 0.5, 1, 0.5], // middle
];
const DIGIT_SEGMENTS = ['012345', '12', '01643', '01236', '5612', '05623', '054326', '012', '0123456', '012356'];

/**
 * 28×28 grey images of the digits 0–9, drawn as seven-segment strokes with a
 * random size, position, slant and stroke width, plus pixel noise: digits-like
 * data with the shape of MNIST and something for a CNN to learn. Values in
 * [0, 1], NHWC with one channel; labels 0–9.
 */
export function syntheticDigits(rows: number, seed: number): { images: Float32Array; labels: Int32Array } {
  const size = 28;
  const rng = seededRng(seed);
  const images = new Float32Array(rows * size * size);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const digit = Math.floor(rng() * 10);
    labels[r] = digit;
    const w = 8 + rng() * 6;
    const h = 14 + rng() * 6;
    const x0 = 4 + rng() * (size - 8 - w);
    const y0 = 3 + rng() * (size - 6 - h);
    const slant = (rng() - 0.5) * 0.4;
    const half = 0.7 + rng() * 0.6;
    const segs = [...DIGIT_SEGMENTS[digit]].map((c) => {
      const [ax, ay, bx, by] = SEGMENTS[Number(c)];
      return [x0 + ax * w + slant * (h - ay * h), y0 + ay * h, x0 + bx * w + slant * (h - by * h), y0 + by * h];
    });
    const base = r * size * size;
    for (let py = 0; py < size; py++) {
      for (let px = 0; px < size; px++) {
        let d = Infinity;
        for (const [ax, ay, bx, by] of segs) {
          const dx = bx - ax;
          const dy = by - ay;
          const t = Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
          d = Math.min(d, Math.hypot(px - ax - t * dx, py - ay - t * dy));
        }
        const ink = Math.min(1, Math.max(0, 1 + half - d));
        images[base + py * size + px] = Math.min(1, Math.max(0, ink + 0.05 * normal(rng)));
      }
    }
  }
  return { images, labels };
}

/**
 * The benchmark CNN, built with tfjs-layers: conv 32 3×3 relu → maxPool 2 →
 * conv 64 3×3 relu → maxPool 2 → flatten → dense 128 relu → dense 10 softmax,
 * on 28×28×1 inputs ('valid' padding, stride 1).
 */
export function buildCnn(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu', name: 'conv1' }),
      tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', name: 'conv2' }),
      tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }),
      tfl.layers.flatten({ name: 'flatten' }),
      tfl.layers.dense({ units: 128, activation: 'relu', name: 'dense1' }),
      tfl.layers.dense({ units: 10, activation: 'softmax', name: 'dense2' }),
    ],
  });
}

/** Training FLOPs per image of buildCnn's network (forward + backward ≈ 3× the forward's multiply-adds × 2). */
const CNN_FLOPS = 3 * 2 * (26 * 26 * 32 * 9 + 11 * 11 * 64 * 9 * 32 + 5 * 5 * 64 * 128 + 128 * 10);

export interface CnnOptions {
  rows: number;
  epochs: number;
  dir: string;
}

/** The CNN above on synthetic digits: Adam 1e-3, categorical cross-entropy, batch 64, through trainModel. */
export function cnnWorkload(o: CnnOptions): Workload {
  const batchSize = 64;
  const lr = 0.001;
  mkdirSync(o.dir, { recursive: true });
  const { images, labels } = syntheticDigits(o.rows, 17);
  const oneHot = new Float32Array(o.rows * 10);
  labels.forEach((l, r) => (oneHot[r * 10 + l] = 1));
  const order = batchOrder(o.rows, o.epochs, 19);
  writeF32(join(o.dir, 'x.f32'), images);
  writeI32(join(o.dir, 'labels.i32'), labels);
  writeI32(join(o.dir, 'order.i32'), order.flatMap((p) => Array.from(p)));
  const template = seeded(9, buildCnn);
  writeWeights(o.dir, template);
  const initial = template.getWeights().map((w) => tf.clone(w));
  template.dispose();

  return {
    name: 'CNN conv32-pool-conv64-pool-dense128-10, 28×28×1, Adam, batch 64',
    unit: 'images/s',
    flopsPerItem: CNN_FLOPS,
    peer: { cmd: 'cnn', dir: o.dir, rows: o.rows, epochs: o.epochs, batchSize, lr },
    ours: async (options) => {
      const model = buildCnn();
      model.setWeights(initial);
      const optimizer = buildOptimizer({ type: 'adam', learningRate: lr });
      model.compile({ optimizer, loss: 'categoricalCrossentropy' });
      const xs = tf.tensor4d(images, [o.rows, 28, 28, 1]);
      const ys = tf.tensor2d(oneHot, [o.rows, 10]);
      const epochs = schedule(order, batchSize, options?.warmUp);
      const { seconds, cpuSeconds } = await timedEpochs(model, xs, ys, epochs, epochs.length, batchSize);
      let lossSum = 0;
      for (let s = 0; s < o.rows; s += 512) {
        const n = Math.min(512, o.rows - s);
        lossSum += tf.tidy(() => {
          const p = model.predict(tf.slice(xs, [s, 0, 0, 0], [n, 28, 28, 1])) as tf.Tensor;
          return tf.sum(tfl.metrics.categoricalCrossentropy(tf.slice(ys, [s, 0], [n, 10]), p)).dataSync()[0];
        });
      }
      tf.dispose([xs, ys]);
      model.dispose();
      optimizer.dispose();
      return { seconds, cpuSeconds, items: epochs.reduce((n, e) => n + e.length, 0), finalLoss: lossSum / o.rows };
    },
  };
}

/** One training step at a time of the CNN on random digits, for profiling (profileCnn.ts). */
export function cnnStepRunner(batchSize: number): { step: () => number; dispose: () => void } {
  const { images, labels } = syntheticDigits(batchSize, 23);
  const model = seeded(9, buildCnn);
  const optimizer = buildOptimizer({ type: 'adam', learningRate: 0.001 });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const forward = fusedSequentialForward(model) ?? ((x: tf.Tensor, training: boolean) => model.apply(x, { training }) as tf.Tensor);
  const xb = tf.tensor4d(images, [batchSize, 28, 28, 1]);
  const yb = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  return {
    step: () => {
      const loss = trainStep(optimizer, variables, () => tf.mean(tfl.metrics.categoricalCrossentropy(yb, forward(xb, true))) as tf.Scalar);
      const v = loss.dataSync()[0];
      loss.dispose();
      return v;
    },
    dispose: () => {
      tf.dispose([xb, yb]);
      model.dispose();
      optimizer.dispose();
    },
  };
}

/**
 * The backend's plain 2-D product, [m, k] × [k, n], in GFLOP/s: products in a
 * loop, as the peer's `a @ b` loop, then one float of the last read back (so
 * a backend that queues its work has finished it). Not each product read
 * back: copying C out of the wasm heap into a new JavaScript array cost more
 * than the product itself here (the fresh array's pages are faulted in and
 * zeroed: 14–22 GFLOP/s with a read per product against 44–47 without, for
 * [2048×128]·[128×128] on one thread), which made the limit line put our
 * product at a third of what the core allows when it was at 85%.
 */
export function matMulGflops(m: number, k: number, n: number, reps: number): number {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  for (let i = 0; i < 5; i++) tf.matMul(a, b).dispose();
  let c: tf.Tensor | undefined;
  const started = performance.now();
  for (let i = 0; i < reps; i++) {
    c?.dispose();
    c = tf.matMul(a, b);
  }
  const corner = tf.slice(c!, [0, 0], [1, 1]);
  corner.dataSync();
  const seconds = (performance.now() - started) / 1000;
  tf.dispose([a, b, c!, corner]);
  return (2 * m * k * n * reps) / seconds / 1e9;
}

/** The workloads of `npm run bench`, by key, in the order they run. */
export const WORKLOAD_KEYS = ['mlp', 'encoder', 'decoder', 'encoderLarge', 'cnn'] as const;
export type WorkloadKey = (typeof WORKLOAD_KEYS)[number];

/** A workload of the bench at its size (quick or full), writing the peer's files under `dir`. */
export function benchWorkload(key: WorkloadKey, quick: boolean, dir: string): Workload {
  switch (key) {
    case 'mlp':
      // 65,536 rows: a round of ours is then ~0.2 s. At 8,192 it was ~30 ms, short enough for one
      // pause of the machine to move a round by half (the scaling line read 0.67× in one run).
      return mlpWorkload({ rows: quick ? 4096 : 65536, epochs: quick ? 3 : 5, dir });
    case 'encoder':
      return transformerWorkload({ decoder: false, rows: quick ? 128 : 512, epochs: 2, dir });
    case 'decoder':
      return transformerWorkload({ decoder: true, rows: quick ? 128 : 512, epochs: 2, dir });
    case 'encoderLarge':
      return transformerWorkload({ decoder: false, large: true, rows: quick ? 32 : 128, epochs: 1, dir });
    case 'cnn':
      return cnnWorkload({ rows: quick ? 512 : 2048, epochs: 2, dir });
  }
}
