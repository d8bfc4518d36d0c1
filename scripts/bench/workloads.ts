// Model Lab's side of each benchmark workload, through the trainer's own
// code: buildSequential / buildTransformer build the models, trainModel (the
// engine's loop) and trainStep (its step) train them. Each workload also
// writes, for the peer, the data, the initial weights and the batch order it
// used, so both sides do the same arithmetic and their final losses can be
// compared digit for digit.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { seededRng, shuffleInPlace } from '../../src/core/random';
import type { Rng } from '../../src/core/random';
import type { ResolvedTransformer } from '../../src/core/resolvedConfig';
import { buildLoss, buildOptimizer, buildSequential } from '../../src/trainer/model';
import { trainModel, trainStep } from '../../src/trainer/trainLoop';
import { buildTransformer } from '../../src/trainer/transformer';
import { classificationLoss, languageModelLoss } from '../../src/trainer/textTraining';

export interface RunResult {
  seconds: number;
  /** Samples (MLP) or tokens (Transformers) trained on. */
  items: number;
  finalLoss: number;
}

export interface Workload {
  name: string;
  unit: 'samples/s' | 'tokens/s';
  /** Training FLOPs per sample or token (forward + backward ≈ 3× the forward products). */
  flopsPerItem: number;
  ours(): Promise<RunResult>;
  /** The request for peer_torch.py. */
  peer: Record<string, unknown>;
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
    ours: async () => {
      const model = buildSequential(layers, [features]);
      model.setWeights(initial);
      const optimizer = buildOptimizer({ type: 'adam', learningRate: lr });
      model.compile({ optimizer, loss: buildLoss('mse') as string });
      const xs = tf.tensor2d(x, [o.rows, features]);
      const ys = tf.tensor2d(y, [o.rows, 1]);
      const started = performance.now();
      for (let e = 0; e < o.epochs; e++) {
        const [xe, ye] = tf.tidy(() => {
          const idx = tf.tensor1d(order[e], 'int32');
          return [tf.gather(xs, idx), tf.gather(ys, idx)];
        });
        await trainModel(model, xe, ye, { epochs: 1, batchSize, shuffle: false });
        tf.dispose([xe, ye]);
      }
      const seconds = (performance.now() - started) / 1000;
      const finalLoss = tf.tidy(() => tf.losses.meanSquaredError(ys, model.predict(xs) as tf.Tensor).dataSync()[0]);
      tf.dispose([xs, ys]);
      model.dispose();
      optimizer.dispose();
      return { seconds, items: o.rows * o.epochs, finalLoss };
    },
  };
}

export interface TransformerOptions {
  decoder: boolean;
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
 * so the two runs are the same computation. Adam, batch 32.
 */
export function transformerWorkload(o: TransformerOptions): Workload {
  const length = 64;
  const batchSize = 32;
  const vocab = o.decoder ? 80 : 2000;
  const classes = 8;
  const lr = o.decoder ? 0.003 : 0.002;
  const cfg: ResolvedTransformer = {
    type: o.decoder ? 'transformerDecoder' : 'transformerEncoder',
    layers: 2,
    heads: o.decoder ? 4 : 2,
    dModel: 64,
    ffDim: 128,
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
      const n = 16 + Math.floor(rng() * (length - 15));
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
    name: o.decoder ? 'Transformer decoder (char LM), batch 32×64' : 'Transformer encoder classifier, batch 32×64',
    unit: 'tokens/s',
    flopsPerItem: 3 * perTokenForward,
    peer: { cmd: 'transformer', dir: o.dir, rows: o.rows, length, epochs: o.epochs, batchSize, lr, model: { ...cfg, decoder: o.decoder } },
    ours: async () => {
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
      for (let e = 0; e < o.epochs; e++) {
        for (let s = 0; s < o.rows; s += batchSize) {
          const rows = tf.tensor1d(order[e].subarray(s, s + batchSize), 'int32');
          const loss = trainStep(optimizer, variables, () => lossOf(rows, true));
          loss.dataSync();
          tf.dispose([loss, rows]);
          tokens += Math.min(batchSize, o.rows - s) * length;
        }
      }
      const seconds = (performance.now() - started) / 1000;
      const all = tf.range(0, o.rows, 1, 'int32') as tf.Tensor1D;
      const finalLoss = tf.tidy(() => lossOf(all, false).dataSync()[0]);
      tf.dispose([all, idsT, labelsT, targetsT, weightsT]);
      model.dispose();
      optimizer.dispose();
      return { seconds, items: tokens, finalLoss };
    },
  };
}

/** The backend's plain 2-D product, [m, k] × [k, n], in GFLOP/s. */
export function matMulGflops(m: number, k: number, n: number, reps: number): number {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const once = () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
  for (let i = 0; i < 5; i++) once();
  const started = performance.now();
  for (let i = 0; i < reps; i++) once();
  const seconds = (performance.now() - started) / 1000;
  tf.dispose([a, b]);
  return (2 * m * k * n * reps) / seconds / 1e9;
}
