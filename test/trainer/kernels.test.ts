// Model Lab's own kernels (src/trainer/kernels/) give the numbers the
// reference gives: each result on the wasm backend, with our kernels
// registered, against the same op on the pure-JS CPU backend (tolerance
// 1e-4), and the fused optimizer step against tf.train.adam's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { selectBackend } from '../../src/trainer/backend';
import { gemmModuleBytes, hasRelaxedSimd, kPanels, makeGemm, padsB } from '../../src/trainer/kernels/wasmGemm';
import { dense } from '../../src/trainer/kernels/dense';
import type { GemmFn } from '../../src/trainer/kernels/wasmGemm';
import { applyAdamFused } from '../../src/trainer/kernels/adamUpdate';
import { batchMatMulConfig } from '../../src/trainer/kernels/batchMatMul';
import { wasmKernelConfigs } from '../../src/trainer/kernels/register';
import { lcg } from '../helpers/fixtures';

const TOLERANCE = 1e-4;

function randomValues(size: number, seed: number): Float32Array {
  const r = lcg(seed);
  return Float32Array.from({ length: size }, () => r() * 2 - 1);
}

function randomTensor(shape: number[], seed: number): { values: Float32Array; shape: number[] } {
  return { values: randomValues(shape.reduce((a, b) => a * b, 1), seed), shape };
}

type Spec = { values: Float32Array | Int32Array; shape: number[]; dtype?: 'float32' | 'int32' };

/** f on fresh tensors made from specs, on the named backend; returns the values and shape of its output. */
async function on(backend: 'wasm' | 'cpu', specs: Spec[], f: (...ts: tf.Tensor[]) => tf.Tensor): Promise<{ values: number[]; shape: number[] }> {
  await selectBackend(backend);
  const ts = specs.map((s) => tf.tensor(s.values, s.shape, s.dtype ?? 'float32'));
  const out = f(...ts);
  const result = { values: Array.from(await out.data()), shape: out.shape };
  tf.dispose([...ts, out]);
  return result;
}

function assertClose(actual: { values: number[]; shape: number[] }, expected: { values: number[]; shape: number[] }, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assert.equal(actual.values.length, expected.values.length, `${what}: size`);
  let worst = 0;
  for (let i = 0; i < actual.values.length; i++) worst = Math.max(worst, Math.abs(actual.values[i] - expected.values[i]) / Math.max(1, Math.abs(expected.values[i])));
  assert.ok(worst <= TOLERANCE, `${what}: largest difference ${worst}`);
}

async function sameOnBoth(what: string, specs: Spec[], f: (...ts: tf.Tensor[]) => tf.Tensor): Promise<void> {
  const expected = await on('cpu', specs, f);
  const actual = await on('wasm', specs, f);
  assertClose(actual, expected, what);
}

test('BatchMatMul: every transpose, batch and broadcast case matches the reference', async () => {
  const cases: [string, number[], number[], boolean, boolean][] = [
    ['2-D', [33, 17], [17, 9], false, false],
    ['2-D, transposeB', [33, 17], [9, 17], false, true],
    ['2-D, transposeA', [17, 33], [17, 9], true, false],
    ['2-D, both', [17, 33], [9, 17], true, true],
    ['3-D × 2-D (one right matrix)', [4, 10, 6], [6, 5], false, false],
    ['3-D × 2-D, transposeB', [4, 10, 6], [5, 6], false, true],
    ['3-D batched', [6, 10, 7], [6, 7, 3], false, false],
    ['3-D batched, transposeB (attention scores)', [6, 10, 7], [6, 10, 7], false, true],
    ['3-D batched, transposeA', [6, 7, 10], [6, 7, 3], true, false],
    ['4-D batched', [2, 3, 5, 4], [2, 3, 4, 6], false, false],
    ['one left matrix, batched right', [5, 4], [3, 4, 6], false, false],
    ['batch of 1 on the right, broadcast', [3, 5, 4], [1, 4, 6], false, false],
    ['3-D × 2-D, transposeA (read in place, right matrix shared)', [4, 6, 10], [6, 5], true, false],
    ['one left matrix transposed, batched right', [4, 5], [3, 4, 6], true, false],
    ['model shapes: [2048, 64] × [64, 72] (SIMD strips and the 8-column tail)', [2048, 64], [64, 72], false, false],
    ['model shapes: weight gradient [2048, 64]ᵀ × [2048, 64]', [2048, 64], [2048, 64], true, false],
    ['empty inner dimension', [5, 0], [0, 3], false, false],
  ];
  for (const [name, as, bs, ta, tb] of cases) {
    await sameOnBoth(name, [randomTensor(as, 1), randomTensor(bs, 2)], (a, b) => tf.matMul(a, b, ta, tb));
  }
});

test('gradients of a matMul through the fast paths match the reference', async () => {
  const f = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.concat(tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(tf.matMul(x, y, false, true))))([a, b]).map((g) => tf.reshape(g, [-1]))));
  await sameOnBoth('d/da, d/db of sum(sin(a·bᵀ)), batched', [randomTensor([3, 8, 5], 3), randomTensor([3, 7, 5], 4)], f);
});

test('Slice takes rows, windows and corners in place, without copying the whole input off the heap', async () => {
  await sameOnBoth('a batch of rows (contiguous)', [randomTensor([40, 7, 6, 1], 20)], (x) => tf.slice(x, [8, 0, 0, 0], [16, 7, 6, 1]));
  await sameOnBoth('2-D columns, short runs', [randomTensor([9, 11], 21)], (x) => tf.slice(x, [2, 3], [5, 4]));
  await sameOnBoth('2-D columns, long runs', [randomTensor([5, 70], 22)], (x) => tf.slice(x, [1, 2], [3, 40]));
  await sameOnBoth('3-D window of a sequence', [randomTensor([4, 12, 20], 23)], (x) => tf.slice(x, [1, 3, 0], [2, 6, 20]));
  await sameOnBoth('4-D corner', [randomTensor([3, 8, 8, 5], 24)], (x) => tf.slice(x, [1, 2, 3, 1], [2, 5, 4, 3]));
  await sameOnBoth('5-D, -1 sizes', [randomTensor([2, 3, 4, 5, 6], 25)], (x) => tf.slice(x, [1, 1, 0, 2, 1], [-1, 2, -1, 2, -1]));
  await sameOnBoth('int32', [{ values: Int32Array.from({ length: 60 }, (_, i) => i * 7 - 100), shape: [6, 10], dtype: 'int32' }], (x) => tf.slice(x, [2, 1], [3, 8]));
  await sameOnBoth('empty', [randomTensor([4, 5], 26)], (x) => tf.slice(x, [1, 0], [0, 5]));
  await selectBackend('wasm');
  const table = tf.tensor(randomValues(2048 * 10, 27), [2048, 10]);
  const backend = tf.backend() as unknown as { readSync: (...a: unknown[]) => unknown };
  const readSync = backend.readSync;
  let wholeReads = 0;
  backend.readSync = function (this: unknown, ...a: unknown[]) {
    wholeReads++;
    return readSync.apply(this, a);
  };
  try {
    tf.dispose([tf.slice(table, [64, 0], [64, 10]), tf.slice(table, [0, 2], [2048, 3])]);
  } finally {
    backend.readSync = readSync;
  }
  assert.equal(wholeReads, 0, 'no copy of the input off the heap');
  const flags = tf.tensor([true, false, true, true], [2, 2], 'bool');
  const row = tf.slice(flags, [1, 0], [1, 2]);
  assert.deepEqual(Array.from(await row.data()), [1, 1], 'bool goes to the backend\'s own kernel');
  assert.throws(() => tf.slice(table, [2040, 0], [16, 10]), /2040|slice/i);
  tf.dispose([table, flags, row]);
});

test('UnsortedSegmentSum (embedding gradients) adds rows into their segments, dropping out-of-range ids', async () => {
  const ids = Int32Array.from([0, 2, 2, 5, -1, 1, 0, 9]);
  await sameOnBoth('segment sum', [randomTensor([8, 3], 5), { values: ids, shape: [8], dtype: 'int32' }], (x, s) => tf.unsortedSegmentSum(x, s as tf.Tensor1D, 6));
});

test('UnsortedSegmentSum on wasm, rows of 16 floats or more (the SIMD loop) and fewer: each sum takes the ids in order, the same floats as a float32 loop', async () => {
  await selectBackend('wasm');
  const ids = [3, 0, 3, 7, -1, 3, 12, 0, 3, 2, 3];
  for (const width of [21, 36, 5]) {
    // Magnitudes that make the order of the adds show in the sums.
    const values = Float32Array.from({ length: ids.length * width }, (_, i) => Math.sin(i) * (i % 4 === 0 ? 3e4 : 1));
    const expected = new Float32Array(8 * width);
    ids.forEach((id, i) => {
      if (id < 0 || id >= 8) return;
      for (let j = 0; j < width; j++) expected[id * width + j] += values[i * width + j];
    });
    const x = tf.tensor2d(values, [ids.length, width]);
    const segments = tf.tensor1d(ids, 'int32');
    // The output lands where NaNs were just freed: segments no id adds to must still read 0.
    tf.fill([8, width], NaN).dispose();
    const out = tf.unsortedSegmentSum(x, segments, 8);
    assert.deepEqual(out.shape, [8, width]);
    assert.deepEqual(Array.from(out.dataSync()), Array.from(expected), `rows of ${width}`);
    tf.dispose([x, segments, out]);
  }
});

test('GatherV2 picks rows and inner slices, and rejects an index out of range', async () => {
  const idx = { values: Int32Array.from([3, 0, 3, 1, 2]), shape: [5], dtype: 'int32' as const };
  await sameOnBoth('rows of a table (embedding lookup)', [randomTensor([4, 20], 6), idx], (x, i) => tf.gather(x, i));
  await sameOnBoth('axis 1, narrow slices', [randomTensor([3, 4, 2], 7), idx], (x, i) => tf.gather(x, i, 1));
  await sameOnBoth('2-D indices', [randomTensor([4, 20], 8), { values: Int32Array.from([1, 2, 3, 0]), shape: [2, 2], dtype: 'int32' }], (x, i) => tf.gather(x, i));
  await sameOnBoth('int32 values', [{ values: Int32Array.from([5, 6, 7, 8]), shape: [4], dtype: 'int32' }, idx], (x, i) => tf.gather(x, i));
  // Slices of 16 or more, copied within the heap: int32 rows, and axis 1 under an outer axis.
  await sameOnBoth('int32 rows of 17', [{ values: Int32Array.from({ length: 4 * 17 }, (_, k) => k * 7919 - 100000), shape: [4, 17], dtype: 'int32' }, idx], (x, i) => tf.gather(x, i));
  await sameOnBoth('axis 1, slices of 16, two outer', [randomTensor([2, 4, 16], 14), idx], (x, i) => tf.gather(x, i, 1));
  await selectBackend('wasm');
  const table = tf.zeros([4, 3]);
  const bad = tf.tensor1d([1, 4], 'int32');
  assert.throws(() => tf.gather(table, bad), /index value 4 is not in \[0, 3\]/);
  tf.dispose([table, bad]);
});

test('Sum over leading axes (bias and scale gradients) matches the reference; other axes too', async () => {
  const x = randomTensor([6, 5, 4], 9);
  for (const [axis, keepDims] of [[0, false], [[0, 1], false], [[1, 0], true], [2, false], [1, false], [[0, 2], false], [undefined, false]] as const) {
    await sameOnBoth(`sum over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''}`, [x], (t) => tf.sum(t, axis as number | number[] | undefined, keepDims));
  }
  await sameOnBoth('sum over 2,048 rows', [randomTensor([2048, 64], 10)], (t) => tf.sum(t, 0));
  // Columns in blocks of 16, then 4, then 1 (37 = 2·16 + 4 + 1; 3 = 1 + 1 + 1); a CNN's bias gradient.
  await sameOnBoth('sum over 300 rows of 37', [randomTensor([300, 37], 11)], (t) => tf.sum(t, 0));
  await sameOnBoth('sum over 9 rows of 3', [randomTensor([9, 3], 12)], (t) => tf.sum(t, 0));
  await sameOnBoth('sum over [16, 26, 26] of 32 channels', [randomTensor([16, 26, 26, 32], 13)], (t) => tf.sum(t, [0, 1, 2]));
});

test('Transpose: heads split off and merged, runs of 5, int32 — and the permutations it leaves to the backend', async () => {
  const cases: [string, number[], number[], 'float32' | 'int32'][] = [
    ['heads split off [batch, tokens, heads, depth] → [batch, heads, tokens, depth]', [4, 9, 3, 8], [0, 2, 1, 3], 'float32'],
    ['heads merged back', [4, 3, 9, 8], [0, 2, 1, 3], 'float32'],
    ['runs of an odd length (5 floats)', [3, 4, 7, 5], [0, 2, 1, 3], 'float32'],
    ['the first two of three axes', [6, 5, 4], [1, 0, 2], 'float32'],
    ['int32', [4, 6, 3, 4], [0, 2, 1, 3], 'int32'],
    // Runs shorter than 4, or not two neighbouring axes: the backend's own kernel.
    ['a batch of matrices (the last two axes)', [5, 7, 6], [0, 2, 1], 'float32'],
    ['one matrix', [37, 13], [1, 0], 'float32'],
    ['runs of 2', [4, 6, 3, 2], [0, 2, 1, 3], 'float32'],
    ['a rotation of three axes', [3, 4, 5], [2, 0, 1], 'float32'],
    ['NHWC → NCHW', [2, 3, 4, 5], [0, 3, 1, 2], 'float32'],
    ['two swaps at once', [2, 3, 4, 5], [1, 0, 3, 2], 'float32'],
  ];
  for (const [what, shape, perm, dtype] of cases) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = dtype === 'int32' ? Int32Array.from({ length: size }, (_, i) => (i * 7919) % 1000 - 500) : randomValues(size, size);
    await sameOnBoth(`transpose ${what}`, [{ values, shape, dtype }], (t) => tf.transpose(t, perm));
  }
  await sameOnBoth('transpose of a bool tensor (the backend\'s own)', [{ values: Int32Array.from([1, 0, 0, 1, 1, 0]), shape: [2, 3], dtype: 'int32' }], (t) => tf.cast(tf.transpose(tf.cast(t, 'bool'), [1, 0]), 'int32'));
});

test('Softmax of large tensors (our loop) matches the reference: attention weights with masked entries, large and tiny logits; other cases the backend\'s', async () => {
  const size = 32 * 4 * 64 * 64;
  const attention = randomValues(size, 41).map((v, i) => (i % 64 > (i >> 6) % 64 ? -1e9 : v * 20));
  await sameOnBoth('softmax of [32, 4, 64, 64] with a causal mask', [{ values: attention, shape: [32, 4, 64, 64] }], (t) => tf.softmax(t));
  // Rows whose largest logit is far above the rest (e^−86 and below: the least exponent), and all equal.
  const extreme = randomValues(4096 * 64, 42).map((v, i) => (i % 64 === 0 ? 120 : i % 64 === 1 ? -40 : (i >> 6) % 2 === 0 ? v * 100 : 3));
  await sameOnBoth('softmax of [4096, 64] with extreme rows', [{ values: extreme, shape: [4096, 64] }], (t) => tf.softmax(t));
  await sameOnBoth('softmax below the size the loop takes', [randomTensor([100, 64], 43)], (t) => tf.softmax(t));
  await sameOnBoth('softmax of rows not a multiple of 8 wide', [randomTensor([6600, 42], 44)], (t) => tf.softmax(t));
});

test('Identity shares memory on wasm, and the copies stay correct after the original is gone', async () => {
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  const a = tf.tensor1d([1, 2, 3]);
  const b = tf.clone(a);
  a.dispose();
  assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3]);
  b.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('the fused Adam step leaves the same weights and optimizer state as tf.train.adam', async () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    await selectBackend(backend);
    const before = tf.memory().numTensors;
    const init = [randomTensor([5, 3], 11), randomTensor([3], 12)];
    const make = () => init.map((s) => tf.tidy(() => tf.variable(tf.tensor(s.values, s.shape))));
    const ours = make();
    const theirs = make();
    const o1 = tf.train.adam(0.05, 0.9, 0.999, 1e-7);
    const o2 = tf.train.adam(0.05, 0.9, 0.999, 1e-7);
    for (let step = 0; step < 6; step++) {
      const grads = (vars: tf.Variable[]) => Object.fromEntries(vars.map((v, i) => [v.name, tf.tidy(() => tf.mul(tf.sin(tf.add(v, step)), i + 1))]));
      const g1 = grads(ours);
      const g2 = grads(theirs);
      assert.ok(applyAdamFused(o1, g1));
      o2.applyGradients(g2);
      tf.dispose([...Object.values(g1), ...Object.values(g2)]);
    }
    ours.forEach((v, i) => assertClose({ values: Array.from(v.dataSync()), shape: v.shape }, { values: Array.from(theirs[i].dataSync()), shape: theirs[i].shape }, `${backend} weights ${i}`));
    assert.equal(o1.iterations, o2.iterations);
    const [w1, w2] = [await o1.getWeights(), await o2.getWeights()];
    assert.equal(w1.length, w2.length);
    w1.slice(1).forEach((w, i) => assertClose({ values: Array.from(w.tensor.dataSync()), shape: w.tensor.shape }, { values: Array.from(w2[i + 1].tensor.dataSync()), shape: w2[i + 1].tensor.shape }, `${backend} moment ${w.name}`));
    tf.dispose([...w1.map((w) => w.tensor), ...w2.map((w) => w.tensor)]);
    o1.dispose();
    o2.dispose();
    tf.dispose([...ours, ...theirs]);
    assert.equal(tf.memory().numTensors, before, `${backend}: no tensor leaks`);
  }
});

test('other optimizers are left to themselves', async () => {
  await selectBackend('wasm');
  const v = tf.variable(tf.tensor1d([1, 2]));
  const g = tf.tensor1d([1, 1]);
  const sgd = tf.train.sgd(0.1);
  assert.equal(applyAdamFused(sgd, { [v.name]: g }), false, 'not Adam: not fused');
  tf.dispose([v, g]);
  sgd.dispose();
});

test('our SIMD matMul kernel: plain and fused multiply-add, bias and ReLU epilogue, C += A·B, every row and column remainder', async () => {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const variants = [makeGemm(memory, { fma: false })!, ...(hasRelaxedSimd() ? [makeGemm(memory, { fma: true })!] : [])];
  assert.ok(variants[0], 'wasm SIMD is available in this Node');
  const f = new Float32Array(memory.buffer);
  for (const gemm of variants) {
    for (const [m, k, n, batch] of [[1, 1, 1, 1], [7, 5, 13, 3], [9, 64, 8, 2], [4, 3, 17, 1], [13, 31, 24, 2]]) {
      const A = 64;
      const B = A + 4 * m * k * batch;
      const bias = B + 4 * k * n * batch;
      const C = bias + 4 * n;
      for (let i = 0; i < m * k * batch; i++) f[A / 4 + i] = Math.sin(i * 1.3);
      for (let i = 0; i < k * n * batch; i++) f[B / 4 + i] = Math.cos(i * 0.7);
      for (let i = 0; i < n; i++) f[bias / 4 + i] = i * 0.1 - 0.3;
      for (const [withBias, relu, transposed, accumulate] of [[false, false, false, false], [true, true, false, false], [false, false, true, false], [false, false, false, true], [true, false, true, true]]) {
        // C += A·B: C starts from values of its own, which the sums must start from.
        const start = (i: number) => (accumulate ? Math.cos(i * 2.1) * 3 : 0);
        for (let i = 0; i < m * n * batch; i++) f[C / 4 + i] = accumulate ? start(i) : Number.NaN;
        // A transposed: the same numbers stored as [k, m], read in place.
        if (transposed) for (let bt = 0; bt < batch; bt++) {
          const copy = f.slice(A / 4 + bt * m * k, A / 4 + (bt + 1) * m * k);
          for (let i = 0; i < m; i++) for (let kk = 0; kk < k; kk++) f[A / 4 + bt * m * k + kk * m + i] = copy[i * k + kk];
        }
        gemm.run(A, B, C, m, k, n, batch, 4 * m * k, 4 * k * n, 4 * m * n, withBias ? bias : 0, relu ? 1 : 0, transposed ? 4 : 4 * k, transposed ? 4 * m : 4, accumulate ? 1 : 0);
        for (let bt = 0; bt < batch; bt++) {
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let sum = start(bt * m * n + i * n + j);
              for (let kk = 0; kk < k; kk++) sum += f[A / 4 + bt * m * k + (transposed ? kk * m + i : i * k + kk)] * f[B / 4 + bt * k * n + kk * n + j];
              if (withBias) sum += f[bias / 4 + j];
              if (relu) sum = Math.max(sum, 0);
              const got = f[C / 4 + bt * m * n + i * n + j];
              assert.ok(Math.abs(got - sum) <= 1e-5 * Math.max(1, Math.abs(sum)), `${gemm.fma ? 'fma' : 'plain'} ${m}×${k}×${n} batch ${batch} bias ${withBias} relu ${relu} transposed ${transposed} accumulate ${accumulate}: C[${bt}][${i}][${j}] = ${got}, expected ${sum}`);
            }
          }
        }
        if (transposed) for (let i = 0; i < m * k * batch; i++) f[A / 4 + i] = Math.sin(i * 1.3);
      }
    }
  }
});

test('a long product runs in panels of k that give the whole product bit for bit (bias, ReLU, C += A·B, A transposed, a batch)', () => {
  const memory = new WebAssembly.Memory({ initial: 256 });
  const f = new Float32Array(memory.buffer);
  for (const fma of [false, ...(hasRelaxedSimd() ? [true] : [])]) {
    const raw = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes(fma)), { env: { memory } }).exports.gemm as unknown as GemmFn;
    const gemm = makeGemm(memory, { fma })!;
    for (const [m, k, n, batch, transposed, accumulate] of [[9, 1000, 200, 1, false, false], [13, 3000, 70, 2, true, true], [5, 700, 1030, 1, false, true]] as const) {
      const args = (c: number): Parameters<GemmFn> => {
        const [A, B, bias] = [64, 64 + 4 * m * k * batch, 64 + 4 * (m * k + k * n) * batch];
        return [A, B, c, m, k, n, batch, 4 * m * k, 4 * k * n, 4 * m * n, bias, 1, transposed ? 4 : 4 * k, transposed ? 4 * m : 4, accumulate ? 1 : 0];
      };
      const [whole, panels] = [(1 << 22), (1 << 22) + 4 * m * n * batch + 64];
      const panelCount = kPanels(args(panels)).length;
      assert.ok(panelCount > 1, `${m}×${k}×${n}: cut into panels (${panelCount})`);
      for (let i = 0; i < (m * k + k * n) * batch + n; i++) f[16 + i] = Math.sin(i * 0.37) * (i % 7 === 0 ? 3 : 1);
      for (let i = 0; i < m * n * batch; i++) f[whole / 4 + i] = f[panels / 4 + i] = Math.cos(i);
      raw(...args(whole));
      gemm.run(...args(panels));
      const [a, b] = [f.slice(whole / 4, whole / 4 + m * n * batch), f.slice(panels / 4, panels / 4 + m * n * batch)];
      assert.ok(a.some((x) => x > 0) && a.some((x) => x === 0), 'ReLU left positive values and zeros');
      assert.deepEqual(Buffer.from(b.buffer), Buffer.from(a.buffer), `${fma ? 'fma' : 'plain'} ${m}×${k}×${n}: ${panelCount} panels equal the whole product bit for bit`);
    }
  }
});

test('a run of C\'s columns (B and C read with the whole product\'s row steps, bRow and cRow) gives those columns of the whole product bit for bit and writes nothing else', () => {
  const memory = new WebAssembly.Memory({ initial: 256 });
  const f = new Float32Array(memory.buffer);
  for (const fma of [false, ...(hasRelaxedSimd() ? [true] : [])]) {
    const raw = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes(fma)), { env: { memory } }).exports.gemm as unknown as GemmFn;
    const [m, k, n] = [13, 50, 44];
    const [A, B, bias, whole, runs] = [64, 64 + 4 * m * k, 64 + 4 * (m * k + k * n), 1 << 20, 2 << 20];
    for (let i = 0; i < m * k + k * n + n; i++) f[16 + i] = Math.sin(i * 0.37) * (i % 5 === 0 ? 2 : 1);
    f.fill(-7, runs / 4, runs / 4 + m * n);
    raw(A, B, whole, m, k, n, 1, 0, 0, 0, bias, 1, 4 * k, 4);
    // Columns [8, 24) and [40, 44) (4 past the last strip of 8) as runs of their own; the rest of C untouched.
    for (const [j0, j1] of [[8, 24], [40, 44]]) raw(A, B + 4 * j0, runs + 4 * j0, m, k, j1 - j0, 1, 0, 0, 0, bias + 4 * j0, 1, 4 * k, 4, 0, 4 * n, 4 * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const [want, got] = [f[whole / 4 + i * n + j], f[runs / 4 + i * n + j]];
        if ((j >= 8 && j < 24) || j >= 40) assert.ok(Object.is(got, want), `${fma ? 'fma' : 'plain'}: C[${i}][${j}] = ${got}, the whole product has ${want}`);
        else assert.equal(got, -7, `${fma ? 'fma' : 'plain'}: C[${i}][${j}] outside the runs was written`);
      }
    }
    assert.ok(f.slice(whole / 4, whole / 4 + m * n).some((v) => v > 0), 'values above zero (ReLU did not zero everything)');
  }
});

test('B with rows 2 KB apart or a multiple of that is copied to padded rows first: the same floats as with B as stored, bias and ReLU too, a shared B under a batch', async () => {
  await selectBackend('wasm');
  const [m, k] = [96, 40];
  const x = tf.tensor2d(randomValues(m * k, 11), [m, k]);
  const w = tf.tensor2d(randomValues(k * 1024, 12), [k, 1024]);
  const b = tf.tensor1d(randomValues(1024, 13));
  assert.ok(padsB(m, 1024, 1, 0) && padsB(m, 512, 1, 0) && !padsB(m, 256, 1, 0) && !padsB(32, 1024, 1, 0), 'rows of 1,024 and 512 floats are padded, of 256 not, nor products of few rows');
  const quarters = (f: (w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor) =>
    tf.tidy(() => tf.concat([0, 256, 512, 768].map((j) => f(tf.slice(w, [0, j], [k, 256]), tf.slice(b, [j], [256]))), -1).dataSync());
  // The columns of a 256-wide B (its rows not padded) are computed by the same instructions as those of the 1,024-wide B.
  const cases: [string, (w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor][] = [
    ['matMul', (ww) => tf.matMul(x, ww)],
    ['dense, bias and ReLU', (ww, bb) => dense(x, ww, bb, 'relu')],
    ['a batch of 2 over one B', (ww) => tf.matMul(tf.reshape(x, [2, m / 2, k]), ww)],
  ];
  for (const [what, f] of cases) {
    const whole = tf.tidy(() => f(w, b).dataSync());
    const parts = quarters(f);
    assert.equal(whole.length, parts.length);
    assert.ok(whole.some((v) => v > 0) && whole.some((v) => v <= 0), `${what}: values of both signs`);
    assert.deepEqual(Buffer.from(whole.buffer), Buffer.from(parts.buffer), `${what}: padded B gives the floats B as stored gives`);
  }
  const cpu = await on('cpu', [{ values: x.dataSync() as Float32Array, shape: [m, k] }, { values: w.dataSync() as Float32Array, shape: [k, 1024] }], (a, c) => tf.matMul(a, c));
  await selectBackend('wasm');
  assertClose({ values: Array.from(tf.tidy(() => tf.matMul(x, w).dataSync())), shape: [m, 1024] }, cpu, 'matMul with a padded B against the CPU backend');
  tf.dispose([x, w, b]);
});

test('Cast to the dtype a tensor already has shares its memory on wasm; a real cast still converts; either can be disposed first', async () => {
  await selectBackend('wasm');
  const x = tf.tensor2d([1.5, -2, 3.25, 4], [2, 2]);
  const buffers = () => (tf.memory() as tf.MemoryInfo & { numDataBuffers: number }).numDataBuffers;
  const buffersBefore = buffers();
  const same = tf.cast(x, 'float32');
  assert.equal(buffers(), buffersBefore, 'no new buffer for a float32 → float32 cast');
  x.dispose();
  assert.deepEqual(Array.from(same.dataSync()), [1.5, -2, 3.25, 4], 'the shared data outlives the original');
  const ints = tf.cast(same, 'int32');
  assert.equal(ints.dtype, 'int32');
  assert.deepEqual(Array.from(ints.dataSync()), [1, -2, 3, 4]);
  tf.dispose([same, ints]);
});

test('our kernels are registered under tfjs-core kernel names, once however often the backend is selected, and leave the rest to the kernels they replace', async () => {
  await selectBackend('wasm');
  await selectBackend('cpu');
  await selectBackend('wasm');
  for (const config of wasmKernelConfigs) assert.equal(tf.getKernel(config.kernelName, 'wasm'), config, `${config.kernelName} is ours`);
  assert.equal(tf.getKernel(tf.BatchMatMul, 'wasm'), batchMatMulConfig);
  // Cases the replacing kernels leave to the backend's own: batchDims, an int32 sum, a cast that changes the dtype.
  const idx = { values: Int32Array.from([1, 0, 2, 2]), shape: [2, 2], dtype: 'int32' as const };
  await sameOnBoth('gather with batchDims 1', [randomTensor([2, 3, 4], 13), idx], (x, i) => tf.gather(x, i, 1, 1));
  await sameOnBoth('int32 sum over rows', [{ values: Int32Array.from([1, 2, 3, 4, 5, 6]), shape: [3, 2], dtype: 'int32' }], (t) => tf.sum(t, 0));
  await sameOnBoth('int32 cast to float32', [{ values: Int32Array.from([1, -2, 3]), shape: [3], dtype: 'int32' }], (t) => tf.cast(t, 'float32'));
});
