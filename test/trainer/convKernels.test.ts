// Model Lab's convolution and pooling kernels on the wasm backend
// (src/trainer/kernels/conv2d.ts, poolGrad.ts) against the pure-JS CPU
// backend: forward convolutions, both convolution gradients, both pooling
// gradients, over odd sizes, strides 1 and 2, 'same' and 'valid' padding,
// batches and 1 or several channels; then the gradients of a whole CNN.
// Tolerance 1e-4, relative to the value where it is above 1; for Winograd
// F(4×4, 3×3), whose transforms have coefficients up to 8 (its float32 error
// is ~5× F(2×2)'s, and in a large gradient sum near-zero entries carry the
// rounding of the whole sum), 1e-5 of the output's largest value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '../../src/trainer/backend';
import { maxPoolConfig } from '../../src/trainer/kernels/maxPool';
import { avgPoolGradConfig, maxPoolGradConfig } from '../../src/trainer/kernels/poolGrad';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig, conv2dConfig, fusedConv2dConfig } from '../../src/trainer/kernels/conv2d';
import { wasmLoopsFor } from '../../src/trainer/kernels/wasmLoops';
import { F2, F4 } from '../../src/trainer/kernels/winogradLoops';
import { fusedSequentialForward } from '../../src/trainer/fusedLayers';
import { activationGrad } from '../../src/trainer/kernels/activationGrad';
import { lcg } from '../helpers/fixtures';

const TOLERANCE = 1e-4;

type Spec = { values: Float32Array; shape: number[] };
type Result = { values: number[]; shape: number[] };

function randomTensor(shape: number[], seed: number, levels = 0): Spec {
  const r = lcg(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  // levels > 0: few distinct values, so pooling windows hold ties.
  return { values: Float32Array.from({ length: n }, () => (levels > 0 ? Math.floor(r() * levels) / levels : r() * 2 - 1)), shape };
}

async function on(backend: 'wasm' | 'cpu', specs: Spec[], f: (...ts: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<Result[]> {
  await selectBackend(backend);
  const ts = specs.map((s) => tf.tensor(s.values, s.shape));
  const out = f(...ts);
  const outs = Array.isArray(out) ? out : [out];
  const results = await Promise.all(outs.map(async (o) => ({ values: Array.from(await o.data()), shape: o.shape })));
  tf.dispose([...ts, ...outs]);
  return results;
}

const WINOGRAD_F4_TOLERANCE = 1e-5;

/** Elementwise: each difference relative to its value where that is above 1; normwise: every difference relative to the largest value (at least 1). */
type Tolerance = { elementwise: number } | { normwise: number };

function assertClose(actual: Result, expected: Result, what: string, tolerance: Tolerance = { elementwise: TOLERANCE }): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const scale = 'normwise' in tolerance ? Math.max(1, ...expected.values.map(Math.abs)) : 1;
  const limit = 'normwise' in tolerance ? tolerance.normwise : tolerance.elementwise;
  let worst = 0;
  for (let i = 0; i < actual.values.length; i++) {
    const d = Math.abs(actual.values[i] - expected.values[i]) / Math.max(scale, Math.abs(expected.values[i]));
    if (!(d <= worst)) worst = d; // NaN counts as worst
  }
  assert.ok(worst <= limit, `${what}: largest difference ${worst}`);
}

async function sameOnBoth(what: string, specs: Spec[], f: (...ts: tf.Tensor[]) => tf.Tensor | tf.Tensor[], tolerance?: Tolerance): Promise<void> {
  const expected = await on('cpu', specs, f);
  const actual = await on('wasm', specs, f);
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assertClose(a, expected[i], `${what} [output ${i}]`, tolerance));
}

/** Whether a case can take a Winograd path (3×3, stride 1, 8+ channels in and out), so runs once per MODELLAB_WINOGRAD. */
const winogradCase = ([, , , c, fh, fw, o, s]: ConvCase) => fh === 3 && fw === 3 && s === 1 && c >= 8 && o >= 8;

/** MODELLAB_WINOGRAD settings to run a case under: the default (F(4×4) or F(2×2) by size), each variant forced, and off. */
const winogradModes = (k: ConvCase) => (winogradCase(k) ? ([undefined, 'f4', 'f2', 'off'] as const) : ([undefined] as const));

/** Runs `body` with MODELLAB_WINOGRAD set to `mode` (unset for undefined). */
async function withWinograd(mode: string | undefined, body: () => Promise<void>): Promise<void> {
  if (mode === undefined) delete process.env.MODELLAB_WINOGRAD;
  else process.env.MODELLAB_WINOGRAD = mode;
  try {
    await body();
  } finally {
    delete process.env.MODELLAB_WINOGRAD;
  }
}

/** F(4×4) may run unless F(2×2) or the direct path is forced. */
const toleranceFor = (k: ConvCase, mode: string | undefined): Tolerance | undefined => (winogradCase(k) && mode !== 'f2' && mode !== 'off' ? { normwise: WINOGRAD_F4_TOLERANCE } : undefined);

/** x shape, filter [fh, fw], in/out channels, stride, padding. */
type ConvCase = [batch: number, h: number, w: number, inC: number, fh: number, fw: number, outC: number, stride: number | [number, number], pad: 'same' | 'valid'];

const CONV_CASES: ConvCase[] = [
  [2, 7, 9, 1, 3, 3, 5, 1, 'valid'],
  [2, 7, 9, 1, 3, 3, 5, 1, 'same'],
  [3, 11, 8, 3, 3, 3, 4, 2, 'valid'],
  [3, 11, 8, 3, 3, 3, 4, 2, 'same'],
  [1, 5, 5, 4, 1, 1, 9, 1, 'valid'],
  [2, 9, 7, 5, 5, 5, 3, 2, 'same'],
  [2, 10, 13, 3, 2, 3, 7, [2, 1], 'same'],
  [4, 6, 6, 8, 3, 3, 16, 1, 'same'],
  [2, 4, 4, 2, 5, 5, 3, 1, 'same'], // filter larger than the input
  [5, 13, 13, 32, 3, 3, 17, 1, 'valid'], // several chunks of output pixels, a 1-column tail of 8
  // tap rows of at most 16 floats without padding (im2colNarrow; [3, 11, 8, 3] above too): 1 channel at stride 2, 2 channels × 2 taps (16 bytes exactly), a first layer's shape in chunks, 16 floats exactly
  [2, 9, 8, 1, 3, 3, 32, 2, 'valid'],
  [3, 8, 7, 2, 2, 2, 8, 1, 'valid'],
  [16, 28, 28, 1, 3, 3, 32, 1, 'valid'],
  [2, 9, 10, 4, 4, 4, 8, 1, 'valid'],
  // Winograd F(4×4, 3×3) and F(2×2, 3×3), forward and both gradients (3×3, stride 1, 8+ channels in and out): odd sizes cut the last tiles, several chunks of tiles,
  // channels that are not a multiple of 4 (the transforms' last channels one at a time)
  [3, 9, 11, 8, 3, 3, 12, 1, 'same'],
  [2, 6, 5, 9, 3, 3, 10, 1, 'same'],
  [2, 10, 7, 12, 3, 3, 33, 1, 'valid'],
  [3, 17, 15, 40, 3, 3, 24, 1, 'same'],
  [1, 3, 3, 9, 3, 3, 5, 1, 'valid'], // one output pixel
];

test('Conv2D and FusedConv2D (bias, ReLU) match the reference, on our kernel (MODELLAB_CONV=ours) and on the one chosen by channel count', async () => {
  for (const [k, force] of CONV_CASES.flatMap((k) => [[k, true], [k, false]] as const)) {
    const [n, h, w, c, fh, fw, o, s, pad] = k;
    if (force) process.env.MODELLAB_CONV = 'ours';
    else delete process.env.MODELLAB_CONV;
    for (const mode of winogradModes(k)) {
      await withWinograd(mode, async () => {
        const what = `x [${n},${h},${w},${c}], filter ${fh}×${fw}×${o}, stride ${String(s)}, ${pad}${force ? ', ours' : ''}${mode ? `, Winograd ${mode}` : ''}`;
        const specs = [randomTensor([n, h, w, c], 1), randomTensor([fh, fw, c, o], 2), randomTensor([o], 3)];
        const tolerance = toleranceFor(k, mode);
        await sameOnBoth(`conv2d ${what}`, specs, (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad), tolerance);
        await sameOnBoth(`fused conv2d + bias + relu ${what}`, specs, (x, f, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: s, pad, bias: b, activation: 'relu' }), tolerance);
        await sameOnBoth(`fused conv2d + bias ${what}`, specs, (x, f, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: s, pad, bias: b }), tolerance);
      });
    }
  }
  delete process.env.MODELLAB_CONV;
});

test('Conv2DBackpropFilter and Conv2DBackpropInput (the gradients of conv2d) match the reference', async () => {
  for (const k of CONV_CASES) {
    const [n, h, w, c, fh, fw, o, s, pad] = k;
    for (const mode of winogradModes(k)) {
      await withWinograd(mode, async () => {
        const what = `x [${n},${h},${w},${c}], filter ${fh}×${fw}×${o}, stride ${String(s)}, ${pad}${mode ? `, Winograd ${mode}` : ''}`;
        const specs = [randomTensor([n, h, w, c], 4), randomTensor([fh, fw, c, o], 5)];
        await sameOnBoth(
          `d/dx, d/dfilter of sum(sin(conv2d)) ${what}`,
          specs,
          (x, f) => tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.sin(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad))))([x, f])),
          toleranceFor(k, mode),
        );
      });
    }
  }
});

test('Conv2DBackpropFilter takes NCHW too; explicit padding works', async () => {
  const x = randomTensor([2, 3, 9, 8], 6); // NCHW
  const dy = randomTensor([2, 4, 5, 4], 7); // 'same', stride 2: 5 × 4
  await sameOnBoth('filter gradient, NCHW', [x, dy], (a, b) => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: a, dy: b }, { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] }) as tf.Tensor);
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 2], [0, 1], [0, 0]];
  const withGradients = (a: tf.Tensor, b: tf.Tensor) =>
    tf.tidy(() => [tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad), ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.sin(tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 1, pad))))([a, b])]);
  await sameOnBoth('conv2d with explicit padding, and its gradients', [randomTensor([2, 6, 7, 3], 8), randomTensor([3, 3, 3, 5], 9)], withGradients);
  await sameOnBoth('conv2d with explicit padding, and its gradients, by Winograd', [randomTensor([2, 6, 7, 8], 8), randomTensor([3, 3, 8, 9], 9)], withGradients, { normwise: WINOGRAD_F4_TOLERANCE });
});

test('Winograd tile tables, kept per image size: a shorter batch after a longer one, a longer after a shorter, and a size again after more sizes than are kept, all match the reference', async () => {
  const pass = (x: tf.Tensor, f: tf.Tensor) =>
    tf.tidy(() => [tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.sin(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'))))([x, f])]);
  const filter = randomTensor([3, 3, 8, 12], 40);
  const sizes: [number, number, number][] = [[4, 9, 11], [1, 9, 11], [6, 9, 11]];
  for (const [i, [n, h, w]] of sizes.entries()) {
    await sameOnBoth(`conv2d and its gradients, x [${n},${h},${w},8], call ${i + 1}`, [randomTensor([n, h, w, 8], 41 + i), filter], pass, { normwise: WINOGRAD_F4_TOLERANCE });
  }
  // Larger images whose tables outgrow what conv2d.ts keeps (TILE_TABLE_ENTRIES_KEPT, 2·2²⁰ entries), so the first size's are dropped; then that size again.
  await on('wasm', [randomTensor([8, 240, 240, 8], 50), filter], pass);
  await on('wasm', [randomTensor([8, 200, 210, 8], 51), filter], pass);
  await sameOnBoth('conv2d and its gradients, x [4,9,11,8], after the larger images', [randomTensor([4, 9, 11, 8], 52), filter], pass, { normwise: WINOGRAD_F4_TOLERANCE });
});

test("each Winograd variant's transforms compute a 3-tap correlation exactly (float64): y = Aᵀ·((G·g) ⊙ (Bᵀ·d))", () => {
  const times = (m: readonly (readonly number[])[], v: number[]) => m.map((row) => row.reduce((s, x, i) => s + x * v[i], 0));
  for (const v of [F2, F4]) {
    const r = lcg(40 + v.m);
    for (let trial = 0; trial < 5; trial++) {
      const d = Array.from({ length: v.m + 2 }, () => r() * 2 - 1);
      const g = Array.from({ length: 3 }, () => r() * 2 - 1);
      const u = times(v.g, g);
      const y = times(v.at, times(v.bt, d).map((x, i) => x * u[i]));
      assert.equal(y.length, v.m);
      y.forEach((yi, i) => assert.ok(Math.abs(yi - (d[i] * g[0] + d[i + 1] * g[1] + d[i + 2] * g[2])) < 1e-12, `${v.name}, output ${i}`));
    }
    assert.deepEqual(v.gw.slice(0, 9), [0, 1, 2].flatMap((j1) => [0, 1, 2].map((j2) => v.g[0][j1] * v.g[0][j2])), `${v.name}: Gw's first row is G⊗G's`);
  }
});

test('MaxPoolGrad and AvgPoolGrad match the reference, ties in max windows included', async () => {
  const cases: [number[], number | [number, number], number | [number, number], 'same' | 'valid'][] = [
    [[2, 8, 8, 3], 2, 2, 'valid'],
    [[2, 9, 7, 1], 2, 2, 'same'],
    [[3, 9, 11, 4], 3, 2, 'valid'],
    [[3, 9, 11, 4], 3, 2, 'same'],
    [[2, 7, 7, 5], 3, 1, 'same'],
    [[1, 6, 9, 2], [2, 3], [1, 2], 'same'],
    [[4, 26, 26, 32], 2, 2, 'valid'],
    // 2×2 at stride 2 with channels in fours (a loop of its own): odd sizes leave a last row and column to zero; 'same' on even sizes has no padding
    [[3, 11, 9, 8], 2, 2, 'valid'],
    [[2, 8, 6, 4], 2, 2, 'same'],
    [[2, 9, 7, 4], 2, 2, 'same'],
  ];
  for (const [shape, size, stride, pad] of cases) {
    const what = `x [${shape.join(',')}], pool ${String(size)}, stride ${String(stride)}, ${pad}`;
    for (const levels of [0, 3]) {
      const x = randomTensor(shape, 10 + levels, levels);
      await sameOnBoth(`d/dx sum(sin(maxPool)) ${what}${levels ? ', ties' : ''}`, [x], (t) => tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.sin(tf.maxPool(a as tf.Tensor4D, size, stride, pad))))(t)));
    }
    await sameOnBoth(`d/dx sum(sin(avgPool)) ${what}`, [randomTensor(shape, 12)], (t) => tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.sin(tf.avgPool(a as tf.Tensor4D, size, stride, pad))))(t)));
  }
});

test('MaxPool matches the reference: 2×2 at stride 2 on our loop (odd sizes, ties, NaN and −∞ windows), other windows on the backend', async () => {
  const cases: [number[], number, number, 'same' | 'valid'][] = [
    [[4, 26, 26, 32], 2, 2, 'valid'],
    [[3, 11, 9, 8], 2, 2, 'valid'],
    [[2, 8, 6, 4], 2, 2, 'same'],
    [[2, 9, 7, 4], 2, 2, 'same'],
    [[2, 8, 8, 3], 2, 2, 'valid'],
    [[3, 9, 11, 4], 3, 2, 'valid'],
  ];
  for (const [shape, size, stride, pad] of cases) {
    for (const levels of [0, 3]) {
      const x = randomTensor(shape, 50 + levels, levels);
      await sameOnBoth(`maxPool x [${shape.join(',')}], pool ${size}, stride ${stride}, ${pad}${levels ? ', ties' : ''}`, [x], (t) => tf.maxPool(t as tf.Tensor4D, size, stride, pad));
    }
  }
  // A window of NaN and −∞ only (−∞ out), NaN beside a number (the number out), −∞ beside a number.
  const odd = randomTensor([1, 2, 4, 4], 60);
  odd.values.fill(NaN, 0, 4); // pixel (0, 0)
  odd.values.fill(-Infinity, 4, 8); // (0, 1)
  odd.values.fill(NaN, 16, 20); // (1, 0)
  odd.values.fill(-Infinity, 20, 24); // (1, 1): window 0 holds only NaN and −∞
  odd.values.fill(NaN, 8, 12); // (0, 2): window 1 has NaN beside numbers
  odd.values.fill(-Infinity, 12, 16); // (0, 3)
  const expected = await on('cpu', [odd], (t) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'));
  const actual = await on('wasm', [odd], (t) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'));
  assert.deepEqual(actual, expected);
  assert.deepEqual(actual[0].values.slice(0, 4), [-Infinity, -Infinity, -Infinity, -Infinity]);
});

const buildTestCnn = () =>
  tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [14, 13, 3], filters: 8, kernelSize: 3, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tfl.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 1, useBias: false }),
      tfl.layers.conv2d({ filters: 6, kernelSize: [2, 1], activation: 'relu' }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });

/** The test CNN's inputs, labels and initial weights, as specs for `on`. */
async function cnnSpecs(): Promise<Spec[]> {
  await selectBackend('cpu');
  const template = buildTestCnn();
  const weights: Spec[] = [];
  for (const w of template.getWeights()) weights.push({ values: (await w.data()) as Float32Array, shape: w.shape });
  template.dispose();
  const labels = Float32Array.from({ length: 24 }, (_, i) => (i % 4 === Math.floor(i / 4) % 4 ? 1 : 0));
  return [randomTensor([6, 14, 13, 3], 20), { values: labels, shape: [6, 4] }, ...weights];
}

/** The loss of the test CNN and the gradient of every weight, through `forward` (model.apply, or trainModel's fused forward). */
function cnnGradients(fused: boolean) {
  return (xs: tf.Tensor, ys: tf.Tensor, ...ws: tf.Tensor[]) => {
    const model = buildTestCnn();
    model.setWeights(ws);
    const forward = fused ? fusedSequentialForward(model)! : (x: tf.Tensor, training: boolean) => model.apply(x, { training }) as tf.Tensor;
    const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.mean(tfl.metrics.categoricalCrossentropy(ys, forward(xs, true))) as tf.Scalar, vars);
    const out = [value, ...vars.map((v) => grads[v.name])];
    model.dispose();
    return out;
  };
}

test("a whole CNN's loss and gradients equal the CPU backend's", async () => {
  await sameOnBoth('CNN loss, then the gradient of every weight', await cnnSpecs(), cnnGradients(false));
});

test("trainModel's fused conv layers give tfjs-layers' loss and gradients, on wasm and on the CPU backend", async () => {
  const specs = await cnnSpecs();
  const expected = await on('cpu', specs, cnnGradients(false));
  for (const backend of ['cpu', 'wasm'] as const) {
    const actual = await on(backend, specs, cnnGradients(true));
    assert.equal(actual.length, expected.length);
    actual.forEach((a, i) => assertClose(a, expected[i], `fused forward on ${backend} [output ${i}]`));
  }
});

test("ReLU's gradient from its output (four floats at a time on wasm) matches the reference, tails and zeros included", async () => {
  for (const n of [1, 7, 1001, 64 * 26 * 26 * 32 + 3]) {
    const y = randomTensor([n], 30 + n);
    y.values.forEach((v, i) => (y.values[i] = i % 5 === 0 ? 0 : v)); // y = 0 exactly: no gradient
    await sameOnBoth(`relu gradient, ${n} floats`, [randomTensor([n], 31), y], (dy, out) => activationGrad('relu', dy, out));
  }
});

test('the convolution and pooling kernels are ours on wasm, with their SIMD loops (so the cases above ran through them)', async () => {
  await selectBackend('wasm');
  assert.ok(wasmLoopsFor(tf.backend() as never), 'col2im and maxPoolGrad in wasm SIMD');
  for (const config of [conv2dConfig, fusedConv2dConfig, conv2dBackpropFilterConfig, conv2dBackpropInputConfig, maxPoolConfig, maxPoolGradConfig, avgPoolGradConfig]) {
    assert.equal(tf.getKernel(config.kernelName, 'wasm'), config, `${config.kernelName} is ours`);
  }
});
