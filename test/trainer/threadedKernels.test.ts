// The wasm engine on two threads (src/trainer/kernels/workerPool.ts): the
// threaded build comes up with shared memory and a kernel pool, and every
// kernel that splits its work among the threads gives exactly (bit for bit)
// what it gives on one thread over the same memory — the products, the
// convolutions and both their gradients (Winograd and im2col), pooling and
// its gradient, ReLU's gradient, the fused Adam update, bias sums, the attention weights, the projections into and out of a Transformer's heads. Each case also checks that the work was
// split (the pool ran), so an equality cannot hold by the pool sitting idle.
// Then short CNN trainings in child processes: two threads reproduce
// themselves, and give what one thread (the single-threaded build) and three give.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../../src/trainer/backend';
import { activationGrad } from '../../src/trainer/kernels/activationGrad';
import { ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GRAD } from '../../src/trainer/kernels/attention';
import { ADAM_UPDATE } from '../../src/trainer/kernels/adamUpdate';
import { CONV2D_GRADIENTS } from '../../src/trainer/kernels/conv2d';
import type { AdamUpdateAttrs } from '../../src/trainer/kernels/adamUpdate';
import { dense } from '../../src/trainer/kernels/dense';
import { DENSE_FROM_HEADS, DENSE_FROM_HEADS_GRAD, DENSE_TO_HEADS, DENSE_TO_HEADS_GRAD } from '../../src/trainer/kernels/heads';
import { gemmPlans, isShared } from '../../src/trainer/kernels/wasmGemm';
import { LAYER_NORM } from '../../src/trainer/kernels/layerNorm';
import { wasmLoopsFor } from '../../src/trainer/kernels/wasmLoops';
import { backendMemory, heapOffset } from '../../src/trainer/kernels/wasmInternals';
import type { BackendWasm } from '../../src/trainer/kernels/wasmInternals';
import { kernelPool, runPlans, SPLIT_MIN_ELEMENTS, splitParts } from '../../src/trainer/kernels/workerPool';
import type { KernelPool } from '../../src/trainer/kernels/workerPool';
import { setEngineThreads } from '../../src/trainer/threads';
import { lcg } from '../helpers/fixtures';
import { measuredStreams } from '../../scripts/bench/bandwidth';

setEngineThreads(2);

async function pool(): Promise<KernelPool> {
  await selectBackend('wasm');
  const p = kernelPool(tf.backend());
  assert.ok(p, 'a kernel pool on the threaded wasm backend');
  return p;
}

function random(shape: number[], seed: number): tf.Tensor {
  const r = lcg(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1), shape);
}

/** f's outputs on one thread and on two; asserts they are equal bit for bit and that two threads split work. */
async function sameOnBoth(what: string, f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const p = await pool();
  // Each run's outputs are kept until both are read, so the second cannot land in memory that still holds the first's values.
  const kept: tf.Tensor[] = [];
  const values = async (threads: number): Promise<Float32Array[]> => {
    p.threads = threads;
    const out = f();
    const outs = Array.isArray(out) ? out : [out];
    kept.push(...outs);
    return Promise.all(outs.map(async (o) => new Float32Array(await o.data())));
  };
  try {
    const one = await values(1);
    const runs = p.runs;
    const two = await values(2);
    assert.ok(p.runs > runs, `${what}: two threads split the work`);
    assert.equal(two.length, one.length);
    for (let i = 0; i < one.length; i++) {
      assert.ok(one[i].length > 0);
      const a = new Uint32Array(one[i].buffer);
      const b = new Uint32Array(two[i].buffer);
      const first = a.findIndex((x, j) => x !== b[j]);
      assert.equal(first, -1, `${what}, output ${i}: value ${first} differs (${one[i][first]} on one thread, ${two[i][first]} on two)`);
    }
  } finally {
    tf.dispose(kept);
    p.threads = p.size;
  }
}

test('with two engine threads the wasm backend is the threaded build: shared memory, a pool of two (XNNPACK on one)', async () => {
  const p = await pool();
  const memory = backendMemory(tf.backend() as BackendWasm);
  assert.ok(memory && isShared(memory), 'shared memory');
  assert.equal(getThreadsCount(), 1);
  assert.equal(p.size, 2);
});

test('products: rows split, a batch split, A transposed, dense with bias and ReLU', async () => {
  const [a, b] = [random([300, 200], 1), random([200, 96], 2)];
  await sameOnBoth('matMul by rows', () => tf.matMul(a, b));
  const [ba, bb] = [random([16, 3, 128], 3), random([16, 128, 128], 4)];
  await sameOnBoth('batch matMul by pairs', () => tf.matMul(ba, bb));
  // Attention's pairs (a unit for each run of pairs, whole matrices), and a batch too short for that (rows of every pair).
  const [qa, ka] = [random([64, 64, 32], 9), random([64, 64, 32], 10)];
  await sameOnBoth('attention scores, 64 pairs', () => tf.matMul(qa, ka, false, true));
  const [ra, rb] = [random([3, 300, 64], 11), random([3, 64, 64], 12)];
  await sameOnBoth('three pairs of 300 rows', () => tf.matMul(ra, rb));
  const fn = () => undefined;
  const byPairs = gemmPlans(fn, 0, 2, 0, 1 << 20, 2 << 20, 64, 64, 32, 64, 4 * 64 * 64, 4 * 64 * 32, 4 * 64 * 32, 0, 0, 4 * 64, 4)!;
  assert.deepEqual(byPairs.map((u) => [u[0].args[3], u[0].args[6]]), new Array(8).fill([64, 8]), 'eight units of eight whole pairs');
  assert.deepEqual(byPairs.map((u) => u[0].args[2]), Array.from({ length: 8 }, (_, t) => (2 << 20) + t * 8 * 4 * 64 * 32), 'each its own pairs of C');
  const byRows = gemmPlans(fn, 0, 2, 0, 1 << 20, 2 << 20, 300, 64, 64, 3, 4 * 300 * 64, 4 * 64 * 64, 4 * 300 * 64, 0, 0, 4 * 64, 4)!;
  assert.ok(byRows.length > 3 && byRows.every((u) => u[0].args[6] === 3), 'rows of all three pairs in each unit');
  tf.dispose([qa, ka, ra, rb]);
  const at = random([200, 300], 5);
  await sameOnBoth('matMul with A transposed', () => tf.matMul(at, b, true, false));
  const bias = random([96], 6);
  await sameOnBoth('dense + bias + ReLU', () => dense(a as tf.Tensor2D, b as tf.Tensor2D, bias as tf.Tensor1D, 'relu'));
  // Long enough in k to run in panels (wasmGemm.ts kPanels), each row block's panels on one thread.
  const [la, lb] = [random([64, 1500], 7), random([1500, 96], 8)];
  await sameOnBoth('a long product in panels of k', () => tf.matMul(la, lb));
  await sameOnBoth('a long product with A transposed, in panels', () => tf.matMul(lb, lb, true, false));
  tf.dispose([a, b, ba, bb, at, bias, la, lb]);
});

test('products of few rows against a large B (a dense layer\'s weights): runs of C\'s columns apart, the last with the columns past the last 8', async () => {
  await pool();
  const fn = () => undefined;
  const plans = gemmPlans(fn, 0, 2, 0, 1 << 20, 2 << 20, 64, 1600, 132, 1, 0, 0, 0, 0, 0, 4 * 1600, 4)!;
  const runs = plans.map((u) => [(u[0].args[2] - (2 << 20)) / 4, u[0].args[5]]);
  assert.deepEqual(runs, [[0, 32], [32, 32], [64, 32], [96, 36]], 'four runs of C\'s columns, 32 wide and the last 36');
  assert.ok(plans.every((u) => u.every((c) => c.args[3] === 64 && c.args[15] === 4 * 132 && c.args[16] === 4 * 132)), 'every row in each, B and C read with the whole product\'s row steps');
  // A weight gradient (A read transposed, a batch's activations) and an A too large keep the split by rows.
  const gradient = gemmPlans(fn, 0, 2, 0, 1 << 20, 2 << 20, 64, 2048, 256, 1, 0, 0, 0, 0, 0, 4, 4 * 64)!;
  assert.ok(gradient.every((u) => u[0].args[5] === 256 && u[0].args[3] < 64), 'xᵀ·dy by rows, every column in each unit');
  const largeA = gemmPlans(fn, 0, 2, 0, 1 << 20, 2 << 20, 256, 1024, 512, 1, 0, 0, 0, 0, 0, 4 * 1024, 4)!;
  assert.ok(largeA.every((u) => u[0].args[5] === 512), 'an A of 1 MB by rows');
  const [x, w, bias, dy] = [random([64, 1600], 31), random([1600, 132], 32), random([132], 33), random([64, 132], 34)];
  await sameOnBoth('[64, 1600]·[1600, 132]', () => tf.matMul(x, w));
  await sameOnBoth('dense [64, 1600]·[1600, 132] + bias, ReLU', () => dense(x as tf.Tensor2D, w as tf.Tensor2D, bias as tf.Tensor1D, 'relu'));
  await sameOnBoth('its input gradient, dy·Wᵀ', () => tf.matMul(dy, w, false, true));
  tf.dispose([x, w, bias, dy]);
});

test('the bench memory line streams through the pool at 1 and 2 threads and puts the pool back as it found it', async () => {
  const p = await pool();
  const runs = p.runs;
  const figures = measuredStreams(1);
  assert.ok(figures, 'figures with a pool');
  assert.deepEqual(figures.map((f) => [f.bytes, f.threads]), [[64 * 26 * 26 * 32 * 4, 2], [256 * 1024 * 4, 2]]);
  for (const f of figures) assert.ok(f.one > 0 && f.all > 0 && Number.isFinite(f.one) && Number.isFinite(f.all), `${f.label}: ${f.one} and ${f.all} GB/s`);
  assert.ok(p.runs > runs, 'the passes at 2 threads ran on the pool');
  assert.equal(p.threads, p.size);
});

const conv = (x: tf.Tensor, f: tf.Tensor, stride: number, pad: 'same' | 'valid') => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad);

/** The forward convolution and both gradients of sum(conv · r). */
function convAndGrads(x: tf.Tensor, f: tf.Tensor, stride: number, pad: 'same' | 'valid'): tf.Tensor[] {
  const y = conv(x, f, stride, pad);
  const r = random(y.shape, 99);
  const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b, stride, pad), r)))([x, f]);
  r.dispose();
  return [y, dx, df];
}

test('Winograd convolutions (F(4×4) and F(2×2)), forward and both gradients, over batches and one large image', async () => {
  const [x, f] = [random([8, 20, 20, 16], 11), random([3, 3, 16, 32], 12)];
  const [big, fb] = [random([1, 44, 44, 8], 13), random([3, 3, 8, 16], 14)];
  for (const variant of ['f4', 'f2']) {
    process.env.MODELLAB_WINOGRAD = variant;
    try {
      await sameOnBoth(`Winograd ${variant}, batch of 8`, () => convAndGrads(x, f, 1, 'same'));
      await sameOnBoth(`Winograd ${variant}, one image`, () => convAndGrads(big, fb, 1, 'same'));
    } finally {
      delete process.env.MODELLAB_WINOGRAD;
    }
  }
  tf.dispose([x, f, big, fb]);
});

test('both gradients of a convolution in one kernel: on two threads the input gradient\'s pass beside the filter gradient\'s, equal to the two kernels on one', async () => {
  const p = await pool();
  const grads = (x: tf.Tensor, f: tf.Tensor, dy: tf.Tensor, pad: 'same' | 'valid') =>
    tf.engine().runKernel(CONV2D_GRADIENTS, { x, dy, filter: f }, { strides: [1, 1], pad, dataFormat: 'NHWC' }) as unknown as tf.Tensor[];
  // The bench CNN's second convolution (F(4×4)), a 'same' one in F(2×2), and one whose passes take more calls than half a run holds (in several runs).
  const cases: [string, number[], number[], 'same' | 'valid', string | undefined][] = [
    ['13×13, 32 → 64, valid', [16, 13, 13, 32], [3, 3, 32, 64], 'valid', undefined],
    ['F(2×2), 12×12, 16 → 24, same', [4, 12, 12, 16], [3, 3, 16, 24], 'same', 'f2'],
    ['F(2×2), 48×48, 64 → 64: over 512 calls a pass', [12, 48, 48, 64], [3, 3, 64, 64], 'same', 'f2'],
  ];
  for (const [what, xs, fs, pad, variant] of cases) {
    if (variant) process.env.MODELLAB_WINOGRAD = variant;
    const [x, f] = [random(xs, 41), random(fs, 42)];
    const dy = random(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, pad).shape, 43);
    try {
      await sameOnBoth(what, () => grads(x, f, dy, pad));
      const apart = tf.tidy(() => [
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: f }, { strides: [1, 1], pad, dataFormat: 'NHWC', inputShape: xs }) as tf.Tensor,
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: [1, 1], pad, dataFormat: 'NHWC', filterShape: fs }) as tf.Tensor,
      ]);
      const runs = p.runs;
      const both = grads(x, f, dy, pad);
      const sideBySide = p.runs - runs;
      for (let i = 0; i < 2; i++) assert.deepEqual(Buffer.from(both[i].dataSync().buffer), Buffer.from(apart[i].dataSync().buffer), `${what}: ${['dx', 'dW'][i]} equals its own kernel's`);
      const r0 = p.runs;
      tf.dispose(tf.tidy(() => [tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: f }, { strides: [1, 1], pad, dataFormat: 'NHWC', inputShape: xs }) as tf.Tensor, tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: [1, 1], pad, dataFormat: 'NHWC', filterShape: fs }) as tf.Tensor]));
      assert.ok(sideBySide < p.runs - r0, `${what}: side by side in fewer runs (${sideBySide}) than the two kernels split pass by pass (${p.runs - r0})`);
      tf.dispose([...apart, ...both]);
    } finally {
      delete process.env.MODELLAB_WINOGRAD;
      tf.dispose([x, f, dy]);
    }
  }
});

test('im2col convolutions (5×5, stride 2, a first layer of one channel, a large filter), forward and both gradients', async () => {
  const [x, f] = [random([8, 24, 24, 8], 21), random([5, 5, 8, 16], 22)];
  await sameOnBoth('5×5', () => convAndGrads(x, f, 1, 'valid'));
  await sameOnBoth('3×3 stride 2', () => convAndGrads(x, random([3, 3, 8, 32], 23), 2, 'same'));
  const [g, fg] = [random([64, 28, 28, 1], 24), random([3, 3, 1, 32], 25)];
  await sameOnBoth('one channel in, 32 out', () => convAndGrads(g, fg, 1, 'valid'));
  // A filter of 76,800 floats: its chunks' partial sums are added by the threads, a run of the filter each.
  const [h, fh] = [random([2, 12, 12, 64], 26), random([5, 5, 64, 48], 27)];
  await sameOnBoth('5×5, 64 in, 48 out', () => convAndGrads(h, fh, 1, 'valid'));
  tf.dispose([x, f, g, fg, h, fh]);
});

test('max pooling and its gradient (2×2 and 3×3 windows), ReLU gradient', async () => {
  const x = random([8, 26, 26, 32], 31);
  const poolAndGrad = (size: number, stride: number, pad: 'same' | 'valid') => {
    const y = tf.maxPool(x as tf.Tensor4D, size, stride, pad);
    const r = random(y.shape, 32);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, size, stride, pad), r)))(x);
    r.dispose();
    return [y, dx];
  };
  await sameOnBoth('2×2 pooling', () => poolAndGrad(2, 2, 'valid'));
  await sameOnBoth('3×3 pooling, stride 2', () => poolAndGrad(3, 2, 'same'));
  // An odd size: the windows leave dx's last row and column, which each thread zeroes for its own
  // images. Freed NaNs first, so that memory the gradient reuses is not zero by chance.
  const odd = random([8, 13, 13, 64], 35);
  const oddGrad = () => {
    tf.fill(odd.shape, NaN).dispose();
    const r = random([8, 6, 6, 64], 36);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), r)))(odd);
    r.dispose();
    return dx;
  };
  await sameOnBoth('2×2 pooling of an odd size', oddGrad);
  const dxOdd = oddGrad();
  const lastColumn = tf.tidy(() => tf.slice(dxOdd, [0, 0, 12, 0], [8, 13, 1, 64]));
  assert.deepEqual(new Set(await lastColumn.data()), new Set([0]), 'the uncovered column of dx is zero');
  tf.dispose([odd, dxOdd, lastColumn]);
  const [dy, y] = [random([100003], 33), random([100003], 34)];
  await sameOnBoth('ReLU gradient', () => activationGrad('relu', dy, y));
  tf.dispose([x, dy, y]);
});

test('the fused Adam update: variables cut between the threads, float settings passed to the workers', async () => {
  await pool();
  // Sizes not multiples of 4 and a one-float variable; 100,003 floats in all (enough to split).
  const sizes = [70001, 1, 29999, 2];
  const inputs: tf.NamedTensorMap = {};
  sizes.forEach((n, i) => {
    inputs[`value${i}`] = random([n], 50 + i);
    inputs[`m${i}`] = tf.mul(random([n], 60 + i), 0.1);
    inputs[`v${i}`] = tf.abs(random([n], 70 + i));
    inputs[`grad${i}`] = random([n], 80 + i);
  });
  const attrs: AdamUpdateAttrs = { count: sizes.length, learningRate: 0.0123, beta1: 0.87, beta2: 0.9991, epsilon: 1e-7, biasCorrection1: 1 - 0.87 ** 3, biasCorrection2: 1 - 0.9991 ** 3 };
  const update = () => tf.engine().runKernel(ADAM_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  await sameOnBoth('Adam update', update);
  // Every float, the workers' share included, is the update in float32 with these settings (the loop's order of operations).
  const outs = update();
  const f = Math.fround;
  const [lr, b1, b2, eps, c1, c2] = [attrs.learningRate, attrs.beta1, attrs.beta2, attrs.epsilon, attrs.biasCorrection1, attrs.biasCorrection2].map(f);
  const [a1, a2] = [f(1 - b1), f(1 - b2)];
  for (let i = 0; i < sizes.length; i++) {
    const [w, m, v, g] = await Promise.all(['value', 'm', 'v', 'grad'].map((k) => inputs[`${k}${i}`].data()));
    const [wOut, mOut, vOut] = await Promise.all(outs.slice(3 * i, 3 * i + 3).map((o) => o.data()));
    for (let j = 0; j < sizes[i]; j++) {
      const mj = f(f(b1 * m[j]) + f(a1 * g[j]));
      const vj = f(f(b2 * v[j]) + f(f(a2 * g[j]) * g[j]));
      const wj = f(w[j] - f(f(lr * f(mj / c1)) / f(f(Math.sqrt(f(vj / c2))) + eps)));
      assert.deepEqual([mOut[j], vOut[j], wOut[j]], [mj, vj, wj], `variable ${i}, float ${j}`);
    }
  }
  tf.dispose([...outs, ...Object.values(inputs)]);
});

test('sums over leading axes (bias gradients): runs of 16 columns apart, each column summed in row order', async () => {
  await pool();
  // Two runs of 16 columns; three, the last of 8.
  for (const shape of [[16, 26, 26, 32], [6000, 40]]) {
    const x = random(shape, 90 + shape.length);
    await sameOnBoth(`sum of ${JSON.stringify(shape)} over its leading axes`, () => tf.sum(x, shape.slice(0, -1).map((_, i) => i)));
    // Each column is the float32 sum of its values in row order.
    const sum = tf.sum(x, shape.slice(0, -1).map((_, i) => i));
    const [values, sums] = [await x.data(), await sum.data()];
    const cols = shape[shape.length - 1];
    for (let c = 0; c < cols; c++) {
      let acc = 0;
      for (let r = 0; r < values.length / cols; r++) acc = Math.fround(acc + values[r * cols + c]);
      assert.equal(sums[c], acc, `column ${c} of ${JSON.stringify(shape)}`);
    }
    tf.dispose([x, sum]);
  }
});

test('transposes of two neighbouring axes: split by the leading axes, or by the first swapped axis when there are too few', async () => {
  await pool();
  // The encoder's heads ([batch, tokens, heads, depth] and back), runs of 5 (copied, not 16 bytes at a time), and two with nothing or one image before the swapped axes.
  for (const [shape, perm] of [[[32, 64, 2, 32], [0, 2, 1, 3]], [[32, 2, 64, 32], [0, 2, 1, 3]], [[16, 40, 30, 5], [0, 2, 1, 3]], [[40, 3000, 4], [1, 0, 2]], [[1, 3000, 40, 4], [0, 2, 1, 3]]] as const) {
    const x = random([...shape], 200 + shape[0]);
    await sameOnBoth(`transpose ${JSON.stringify(shape)} by ${JSON.stringify(perm)}`, () => tf.transpose(x, [...perm]));
    // Every value where the permutation puts it (in memory that held NaN just before, not an earlier transpose).
    tf.fill([x.size], NaN).dispose();
    const y = tf.transpose(x, [...perm]);
    const [xv, yv] = [await x.data(), await y.data()];
    const dims: number[] = [...shape];
    const xs = tf.util.computeStrides(dims);
    const outShape = perm.map((p) => dims[p]);
    const ys = tf.util.computeStrides(outShape);
    for (let i = 0; i < yv.length; i += 97) {
      let rest = i;
      let from = 0;
      outShape.forEach((_, d) => {
        const idx = d < outShape.length - 1 ? Math.floor(rest / ys[d]) : rest;
        if (d < outShape.length - 1) rest -= idx * ys[d];
        from += idx * (perm[d] < dims.length - 1 ? xs[perm[d]] : 1);
      });
      assert.equal(yv[i], xv[from], `transpose ${JSON.stringify(shape)}: value ${i}`);
    }
    tf.dispose([x, y]);
  }
});

test('layer normalization: rows apart on the threads', async () => {
  await pool();
  // The encoder's [tokens, 64], an odd count of four-float columns, a wide row.
  for (const [rows, width] of [[2048, 64], [2000, 36], [40, 2000]]) {
    const [x, gamma, beta] = [random([rows, width], 300 + width), random([width], 302 + width), random([width], 303 + width)];
    await sameOnBoth(`layer norm [${rows}, ${width}]`, () => tf.engine().runKernel(LAYER_NORM, { x, gamma, beta }, { epsilon: 1e-5 }) as tf.Tensor[]);
    tf.dispose([x, gamma, beta]);
  }
});

test('Add, Sub and Multiply of one shape on the threads: each float the IEEE result of its operands; broadcasting left to the backend', async () => {
  await pool();
  // A residual [64, 64, 64] (the fewest floats split), and a count that is not a multiple of four.
  for (const shape of [[64, 64, 64], [270001]]) {
    const [a, b] = [random(shape, 400 + shape.length), random(shape, 401 + shape.length)];
    const [av, bv] = [await a.data(), await b.data()];
    for (const [name, op, js] of [['add', tf.add, (x: number, y: number) => x + y], ['sub', tf.sub, (x: number, y: number) => x - y], ['mul', tf.mul, (x: number, y: number) => x * y]] as const) {
      await sameOnBoth(`${name} ${JSON.stringify(shape)}`, () => op(a, b));
      tf.fill(shape, NaN).dispose();
      const out = op(a, b);
      const v = await out.data();
      for (let i = 0; i < v.length; i += 7) assert.equal(v[i], Math.fround(js(av[i], bv[i])), `${name} ${JSON.stringify(shape)}: float ${i}`);
      assert.equal(v[v.length - 1], Math.fround(js(av[v.length - 1], bv[v.length - 1])), `${name}: the last float`);
      out.dispose();
    }
    // Broadcast: the backend's kernel, the same values.
    const row = random([shape[shape.length - 1]], 402);
    const [rv, sum] = [await row.data(), tf.add(a, row)];
    const sv = await sum.data();
    assert.equal(sv[5], Math.fround(av[5] + rv[5 % rv.length]));
    tf.dispose([a, b, row, sum]);
  }
});

test('attention weights and their gradient: rows apart on the threads, the mask row and causal position of each row kept', async () => {
  await pool();
  // The bench decoder's [32·4, 64, 64] scores, causal, with padding in every other text.
  const [batch, heads, length] = [32, 4, 64];
  const scores = tf.mul(random([batch * heads, length, length], 510), 6);
  const mask = tf.tensor2d(Float32Array.from({ length: batch * length }, (_, i) => (Math.floor(i / length) % 2 === 0 || i % length < 40 ? 1 : 0)), [batch, length]);
  const dp = random([batch, heads, length, length], 511);
  const attrs = { scale: 0.125, masked: -1e9, heads, causal: true };
  await sameOnBoth('attention weights [128, 64, 64]', () => tf.engine().runKernel(ATTENTION_SOFTMAX, { scores, mask }, attrs) as tf.Tensor);
  const p = tf.engine().runKernel(ATTENTION_SOFTMAX, { scores, mask }, attrs) as tf.Tensor;
  await sameOnBoth('attention weights\' gradient [128, 64, 64]', () => tf.engine().runKernel(ATTENTION_SOFTMAX_GRAD, { p, dp }, { scale: 0.125 }) as tf.Tensor);
  // Row 2 of text 1 (padded from key 40 on), head 3: keys 0–2 only; row 50 of the same: keys 0–39.
  const pv = await p.data();
  const weightsOf = (text: number, head: number, query: number) => Array.from(pv.subarray(((text * heads + head) * length + query) * length, ((text * heads + head) * length + query + 1) * length));
  const nonzero = (w: number[]) => w.flatMap((v, j) => (v > 0 ? [j] : []));
  assert.deepEqual(nonzero(weightsOf(1, 3, 2)), [0, 1, 2]);
  assert.deepEqual(nonzero(weightsOf(1, 3, 50)), Array.from({ length: 40 }, (_, j) => j));
  assert.equal(nonzero(weightsOf(2, 0, 50)).length, 51);
  tf.dispose([scores, mask, dp, p]);
});

test('a Transformer\'s projections into and out of its heads, and their gradients: texts apart, or rows apart where every text adds into one weight gradient', async () => {
  await pool();
  const [batch, length, d, heads] = [32, 64, 64, 2];
  const [x, w, b, dyHeads, dyOut] = [random([batch, length, d], 520), random([d, d], 521), random([d], 522), random([batch * heads, length, d / heads], 523), random([batch, length, d], 524)];
  await sameOnBoth('into the heads', () => tf.engine().runKernel(DENSE_TO_HEADS, { x, w, bias: b }, { heads }) as tf.Tensor);
  await sameOnBoth('into the heads, gradient', () => tf.engine().runKernel(DENSE_TO_HEADS_GRAD, { dy: dyHeads, x, w }, { heads, bias: true }) as tf.Tensor[]);
  await sameOnBoth('out of the heads', () => tf.engine().runKernel(DENSE_FROM_HEADS, { ctx: dyHeads, w, bias: b }, { heads }) as tf.Tensor);
  await sameOnBoth('out of the heads, gradient', () => tf.engine().runKernel(DENSE_FROM_HEADS_GRAD, { dy: dyOut, ctx: dyHeads, w }, { heads, bias: true }) as tf.Tensor[]);
  tf.dispose([x, w, b, dyHeads, dyOut]);
});

test('softmax of large tensors: rows apart on the threads, the same at one thread (which runs the same loop)', async () => {
  await pool();
  const logits = random([32, 4, 64, 64], 500);
  const scaled = tf.mul(logits, 30);
  await sameOnBoth('softmax [32, 4, 64, 64]', () => tf.softmax(scaled));
  // Every row sums to 1 within a few float roundings, and keeps the order of its logits.
  const p = tf.softmax(scaled);
  const [pv, xv] = [await p.data(), await scaled.data()];
  for (let r = 0; r < pv.length / 64; r += 37) {
    let sum = 0;
    for (let j = 0; j < 64; j++) sum += pv[r * 64 + j];
    assert.ok(Math.abs(sum - 1) < 1e-5, `row ${r} sums to ${sum}`);
    for (let j = 1; j < 64; j++) if (xv[r * 64 + j] > xv[r * 64 + j - 1]) assert.ok(pv[r * 64 + j] >= pv[r * 64 + j - 1], `row ${r}: order kept at ${j}`);
  }
  tf.dispose([logits, scaled, p]);
});

test('the pool runs each unit once: 3000 runs of 8 units that each add 1 to their own floats', async () => {
  const p = await pool();
  const w = tf.backend() as BackendWasm;
  const addInto = wasmLoopsFor(w)!.addInto;
  const [acc, ones] = [tf.zeros([8 * 4]), tf.ones([4])];
  const [accAt, onesAt] = [heapOffset(w, acc), heapOffset(w, ones)];
  const id = p.id('loops', 'addInto');
  const runs = 3000;
  for (let r = 0; r < runs; r++) p.run(Array.from({ length: 8 }, (_, u) => [{ fn: addInto as (...a: number[]) => void, id, args: [accAt + 16 * u, onesAt, 4] }]));
  assert.deepEqual(Array.from(await acc.data()), new Array(32).fill(runs));
  tf.dispose([acc, ones]);
});

test('units with scratch in their thread\'s lane: each thread adds into its own set, the arguments not marked unmoved', async () => {
  const p = await pool();
  const w = tf.backend() as BackendWasm;
  const addInto = wasmLoopsFor(w)!.addInto as (...a: number[]) => void;
  const id = p.id('loops', 'addInto');
  // A lane of 16,384 floats a thread (64 KB: each unit long enough for the workers to take
  // some), then a guard set that no thread may reach. What the units add is 16,384 ones followed
  // by as many zeros: had a worker moved the unmarked argument by its lane, it would add zeros.
  const n = 16384;
  const lanes = tf.zeros([(p.size + 1) * n]);
  const ones = tf.concat([tf.ones([n]), tf.zeros([n])]);
  const [lanesAt, onesAt] = [heapOffset(w, lanes), heapOffset(w, ones)];
  const units = () => Array.from({ length: 8 }, () => [{ fn: addInto, id, args: [lanesAt, onesAt, n], lane: { mask: 1, bytes: 4 * n } }]);
  // At least 300 runs, and on until a worker has taken some units (a worker still starting
  // takes none: the main thread does them all).
  let runs = 0;
  const workersTook = () => lanes.dataSync()[0] < 8 * runs;
  for (const until = Date.now() + 20_000; runs < 300 || (!workersTook() && Date.now() < until); runs++) p.run(units());
  assert.ok(workersTook(), `a worker took some of ${runs} runs' units within 20 s`);
  // Off the pool (one thread) every unit takes lane 0's.
  p.threads = 1;
  try {
    runPlans(p, units());
  } finally {
    p.threads = p.size;
  }
  const v = await lanes.data();
  let total = 0;
  for (let t = 0; t <= p.size; t++) {
    const set = v.subarray(t * n, (t + 1) * n);
    assert.ok(set.every((x) => x === set[0]), `lane ${t}: all its floats added to together`);
    if (t === p.size) assert.equal(set[0], 0, 'nothing in the guard set past the last thread\'s lane');
    total += set[0];
  }
  assert.equal(total, (runs + 1) * 8, 'every unit added once, in some thread\'s lane (two threads in one set would lose additions)');
  tf.dispose([lanes, ones]);
});

test('more units or calls than one run holds (a machine of many cores) run in several runs, each unit once', async () => {
  const p = await pool();
  const w = tf.backend() as BackendWasm;
  const addInto = wasmLoopsFor(w)!.addInto as (...a: number[]) => void;
  const id = p.id('loops', 'addInto');
  const [acc, ones] = [tf.zeros([200 * 4]), tf.ones([4])];
  const [accAt, onesAt] = [heapOffset(w, acc), heapOffset(w, ones)];
  // 200 units (64 a run at most) of 1 to 12 calls each (1,300 calls; 1,024 a run at most).
  const calls = (u: number) => 1 + (u % 12);
  const runs = p.runs;
  p.run(Array.from({ length: 200 }, (_, u) => Array.from({ length: calls(u) }, () => ({ fn: addInto, id, args: [accAt + 16 * u, onesAt, 4] }))));
  assert.deepEqual(Array.from(await acc.data()), Array.from({ length: 800 }, (_, i) => calls(Math.floor(i / 4))));
  assert.equal(p.runs - runs, 4, '200 units in runs of 64, 64, 64 and 8');
  assert.throws(() => p.run([Array.from({ length: 1025 }, () => ({ fn: addInto, id, args: [accAt, onesAt, 4] }))]), /a unit of 1025 calls \(at most 1024\)/);
  tf.dispose([acc, ones]);
});

test('splits: parts a loop takes (several a thread, each large enough), and no split asks one run for more than 64 units at 32 threads', () => {
  assert.equal(splitParts(1, 1000, 1 << 22), 1, 'one thread');
  assert.equal(splitParts(2, 1000, SPLIT_MIN_ELEMENTS - 1), 1, 'too small to split');
  assert.equal(splitParts(2, 1000, 64 * 26 * 26 * 32), 8, 'the bench CNN\'s first activation: four parts a thread');
  assert.equal(splitParts(2, 1000, SPLIT_MIN_ELEMENTS), 4, 'parts of 16,384 elements at least');
  assert.equal(splitParts(2, 3, 1 << 22), 3, 'no more parts than units');
  assert.equal(splitParts(32, 10000, 1 << 26), 64, 'at most 64 at 32 threads');
  const fn = () => undefined;
  const big = gemmPlans(fn, 0, 32, 0, 1 << 20, 2 << 20, 4096, 512, 512, 1, 0, 0, 0, 0, 0, 4 * 512, 4)!;
  assert.equal(big.length, 64, 'a large product at 32 threads: 64 units');
});

test('after the heap grows, the workers compute on the grown memory', async () => {
  await pool();
  const w = tf.backend() as BackendWasm;
  const before = backendMemory(w)!.buffer.byteLength;
  const filler = tf.zeros([before / 4]);
  const b = random([300, 200], 42);
  // Room that earlier tests freed in the first heap is taken first, so that the operand lands past it.
  const holes: tf.Tensor[] = [];
  let a = random([600, 300], 41);
  while (heapOffset(w, a) + 4 * 600 * 300 <= before && holes.length < 10_000) {
    holes.push(a);
    a = random([600, 300], 41);
  }
  assert.ok(backendMemory(w)!.buffer.byteLength > before, 'the heap grew');
  assert.ok(heapOffset(w, a) + 4 * 600 * 300 > before, 'an operand lies past the first heap');
  await sameOnBoth('product past the first heap', () => tf.matMul(a, b));
  tf.dispose([filler, a, b, ...holes]);
});

// After the heap test: these tensors, once freed, would leave room in the first heap where that test needs none.
test('a product whose B has rows 4 KB apart (copied to padded rows first) splits among the threads with the one-thread floats', async () => {
  const [wa, wb, wbias] = [random([160, 300], 9), random([300, 1024], 10), random([1024], 11)];
  await sameOnBoth('a product whose B is copied to padded rows, in panels of k', () => tf.matMul(wa, wb));
  await sameOnBoth('dense + bias + ReLU over a padded B', () => dense(wa as tf.Tensor2D, wb as tf.Tensor2D, wbias as tf.Tensor1D, 'relu'));
  tf.dispose([wa, wb, wbias]);
});

test('a short CNN training on two threads reproduces itself and equals one thread (the single-threaded build) and three', () => {
  const child = join(__dirname, '..', 'helpers', 'threadedTrainChild.ts');
  const run = (threads: number) => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', child, String(threads)], { encoding: 'utf8', timeout: 180_000 })) as { threads: number; shared: boolean; losses: number[]; weights: string };
  const [two, again, one, three] = [run(2), run(2), run(1), run(3)];
  assert.deepEqual([two.threads, two.shared, one.threads, one.shared, three.threads, three.shared], [2, true, 1, false, 3, true]);
  assert.ok(two.losses.length === 6 && two.losses.every(Number.isFinite), `losses ${two.losses}`);
  assert.ok(two.losses[5] < two.losses[0], `the loss falls: ${two.losses}`);
  assert.deepEqual(again, two, 'two threads, twice');
  assert.deepEqual(one.losses, two.losses, 'losses on one thread and on two');
  assert.equal(one.weights, two.weights, 'weights on one thread and on two');
  assert.deepEqual(three, { ...two, threads: 3 }, 'three threads as two');
});
