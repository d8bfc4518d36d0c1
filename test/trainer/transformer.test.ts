// The Transformer's layers: attention against a naive reference, masks,
// gradients of the wasm-friendly ops, and a save/load round trip — on the
// wasm backend, as CI runs them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { resolveTransformer } from '../../src/core/resolvedConfig';
import { Tokenizer } from '../../src/core/tokenizer';
import { selectBackend } from '../../src/trainer/backend';
import { LAYER_NORM, LAYER_NORM_GRAD, layerNormLoopsFor } from '../../src/trainer/kernels/layerNorm';
import type { BackendWasm } from '../../src/trainer/kernels/wasmInternals';
import { loadTextModel, saveTextModel } from '../../src/trainer/modelIo';
import { buildTransformer, embeddingLookup, layerNorm, MultiHeadSelfAttention, SequencePooling, sinusoidalPositions, withAttentionOutputs } from '../../src/trainer/transformer';
import { tempDir } from '../helpers/fixtures';

before(async () => {
  await selectBackend('wasm');
});

/** Deterministic "random" numbers in [-1, 1). */
function fixed(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.999);
}

/** Attention as the paper writes it, one (batch, head, query) at a time, in float64. */
function naiveAttention(x: number[][][], mask: number[][], w: number[][][], b: number[][], heads: number, causal: boolean): { y: number[][][]; attention: number[][][][] } {
  const [wq, wk, wv, wo] = w;
  const [bq, bk, bv, bo] = b;
  const d = x[0][0].length;
  const dk = d / heads;
  const project = (v: number[], m: number[][], bias: number[]) => bias.map((bj, j) => bj + v.reduce((s, vi, i) => s + vi * m[i][j], 0));
  const y: number[][][] = [];
  const attention: number[][][][] = [];
  for (let bi = 0; bi < x.length; bi++) {
    const T = x[bi].length;
    const q = x[bi].map((v) => project(v, wq, bq));
    const k = x[bi].map((v) => project(v, wk, bk));
    const v = x[bi].map((vv) => project(vv, wv, bv));
    const context = Array.from({ length: T }, () => new Array(d).fill(0));
    const maps: number[][][] = [];
    for (let h = 0; h < heads; h++) {
      const map: number[][] = [];
      for (let i = 0; i < T; i++) {
        const allowed = (j: number) => mask[bi][j] === 1 && (!causal || j <= i);
        const scores = Array.from({ length: T }, (_, j) => {
          let s = 0;
          for (let c = h * dk; c < (h + 1) * dk; c++) s += q[i][c] * k[j][c];
          return s / Math.sqrt(dk);
        });
        const max = Math.max(...scores.filter((_, j) => allowed(j)));
        const e = scores.map((s, j) => (allowed(j) ? Math.exp(s - max) : 0));
        const sum = e.reduce((a, c) => a + c, 0);
        const row = e.map((x2) => x2 / sum);
        map.push(row);
        for (let j = 0; j < T; j++) for (let c = h * dk; c < (h + 1) * dk; c++) context[i][c] += row[j] * v[j][c];
      }
      maps.push(map);
    }
    y.push(context.map((c) => project(c, wo, bo)));
    attention.push(maps);
  }
  return { y, attention };
}

function maxAbsDiff(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, 'shapes differ');
    return a.reduce((m: number, v, i) => Math.max(m, maxAbsDiff(v, b[i])), 0);
  }
  return Math.abs((a as number) - (b as number));
}

for (const causal of [false, true]) {
  test(`${causal ? 'causal' : 'bidirectional'} attention matches a naive implementation to 1e-4; padding keys get weight 0`, () => {
    const [B, T, d, heads] = [2, 5, 8, 2];
    const layer = new MultiHeadSelfAttention({ heads, causal });
    const x = tf.tensor3d(fixed(B * T * d, 1), [B, T, d]);
    const maskValues = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]; // the second sequence is padded
    const mask = tf.tensor2d(maskValues);
    layer.apply([x, mask]); // builds the weights
    const shapes = layer.getWeights().map((w) => w.shape);
    const weights = shapes.map((s, i) => tf.tensor(fixed(s.reduce((a, c) => a * c, 1), 10 + i), s));
    layer.setWeights(weights);
    const [y, attention] = layer.apply([x, mask]) as tf.Tensor[];
    const values = weights.map((w) => w.arraySync());
    const ref = naiveAttention(
      x.arraySync() as number[][][],
      maskValues,
      [0, 2, 4, 6].map((i) => values[i] as number[][]),
      [1, 3, 5, 7].map((i) => values[i] as number[]),
      heads,
      causal,
    );
    assert.deepEqual(attention.shape, [B, heads, T, T]);
    assert.ok(maxAbsDiff(attention.arraySync(), ref.attention) < 1e-4, `attention differs by ${maxAbsDiff(attention.arraySync(), ref.attention)}`);
    assert.ok(maxAbsDiff(y.arraySync(), ref.y) < 1e-4, `output differs by ${maxAbsDiff(y.arraySync(), ref.y)}`);
    const maps = attention.arraySync() as number[][][][];
    for (const [b, seq] of maps.entries()) {
      for (const head of seq) {
        for (const [i, row] of head.entries()) {
          assert.ok(Math.abs(row.reduce((a, c) => a + c, 0) - 1) < 1e-5, 'every row sums to 1');
          row.forEach((w, j) => {
            if (maskValues[b][j] === 0) assert.equal(w, 0, `padding key ${j} gets no weight`);
            if (causal && j > i) assert.equal(w, 0, `query ${i} does not see the later key ${j}`);
          });
        }
      }
    }
    tf.dispose([x, mask, y, attention, ...weights]);
    layer.dispose();
  });
}

test('embeddingLookup gives the same values and gradients as a one-hot product', () => {
  const table = tf.tensor2d(fixed(5 * 3, 4), [5, 3]);
  const ids = tf.tensor2d([[1, 3, 1], [0, 4, 1]], [2, 3], 'int32');
  const weights = tf.tensor2d(fixed(6 * 3, 5), [6, 3]);
  const g1 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), weights)))(table);
  // Reference: the same lookup as a one-hot product, whose gradient needs no scatter.
  const g2 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.matMul(tf.oneHot(tf.reshape(ids, [-1]), 5), t as tf.Tensor2D), weights)))(table);
  assert.ok(maxAbsDiff(g1.arraySync(), g2.arraySync()) < 1e-5);
  assert.deepEqual(embeddingLookup(table, ids).arraySync(), tf.gather(table, tf.reshape(ids, [-1])).arraySync());
  tf.dispose([table, ids, weights, g1, g2]);
});

test('embeddingLookup on wasm and cpu: its gradient is the scatter-add of dy in the order of the ids, the same floats on both', async () => {
  // Ids repeated and out of order, values whose sums round differently in another order.
  const [vocab, width] = [7, 5];
  const idList = [3, 1, 3, 6, 0, 3, 1, 2, 3, 6, 5, 3];
  const tableValues = Array.from({ length: vocab * width }, (_, i) => Math.sin(i + 1));
  const weightValues = Array.from({ length: idList.length * width }, (_, i) => Math.fround((1 / (i + 3)) * (i % 3 === 0 ? 1e4 : 1)));
  // Reference in float32: grad[id] += w[i] row by row, in the order of the ids.
  const expected = new Float32Array(vocab * width);
  idList.forEach((id, i) => {
    for (let j = 0; j < width; j++) expected[id * width + j] += weightValues[i * width + j];
  });
  for (const backend of ['wasm', 'cpu'] as const) {
    await selectBackend(backend);
    const table = tf.tensor2d(tableValues, [vocab, width]);
    const ids = tf.tensor2d(idList, [3, 4], 'int32');
    const weights = tf.tensor2d(weightValues, [idList.length, width]);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), weights)))(table);
    assert.deepEqual(Array.from(grad.dataSync()), Array.from(expected), `${backend}: the gradient`);
    assert.deepEqual(embeddingLookup(table, ids).arraySync(), tf.gather(table, tf.reshape(ids, [-1])).arraySync(), `${backend}: the rows`);
    tf.dispose([table, ids, weights, grad]);
  }
});

test('layerNorm on our kernels (wasm: four floats at a time, or a plain loop for widths not a multiple of 4; cpu): forward and gradient match the op-by-op ones to float32 rounding', async () => {
  const eps = 1e-5;
  const opByOp = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), g), b);
  };
  for (const backend of ['wasm', 'cpu'] as const) {
    await selectBackend(backend);
    assert.ok(tf.getKernel(LAYER_NORM, backend) && tf.getKernel(LAYER_NORM_GRAD, backend), `${backend}: the layer-norm kernels are registered`);
    if (backend === 'wasm') assert.ok(layerNormLoopsFor(tf.backend() as unknown as BackendWasm), 'the SIMD module compiles over the backend memory');
    for (const width of [16, 7]) {
      const x = tf.tensor3d(fixed(3 * 5 * width, 7).map((v, i) => v * (1 + (i % 5)) + (i % 3)), [3, 5, width]);
      const gamma = tf.tensor1d(fixed(width, 8).map((v) => 1 + v / 2));
      const beta = tf.tensor1d(fixed(width, 9));
      // A loss that weighs every output differently, so no gradient term cancels by symmetry.
      const weights = tf.tensor3d(fixed(3 * 5 * width, 10), [3, 5, width]);
      const lossOf = (f: typeof opByOp) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.square(f(a, g, b)), weights));
      const close = (what: string, got: ArrayLike<number>, want: ArrayLike<number>) => {
        const scale = Math.max(...Array.from(want, Math.abs));
        assert.ok(scale > 0.1, `${what}: values worth comparing`);
        // Two orders of float32 operations over short rows: differences of a few ulps of the largest value.
        for (let j = 0; j < want.length; j++) assert.ok(Math.abs(got[j] - want[j]) <= 1e-5 * scale, `${what}[${j}]: ${got[j]} vs ${want[j]}`);
      };
      const tag = `${backend}, width ${width}`;
      close(`${tag}: y`, layerNorm(x, gamma, beta, eps).dataSync(), opByOp(x, gamma, beta).dataSync());
      const ours = tf.grads(lossOf((a, g, b) => layerNorm(a, g as tf.Tensor1D, b as tf.Tensor1D, eps)))([x, gamma, beta]);
      const reference = tf.grads(lossOf(opByOp))([x, gamma, beta]);
      ['x', 'gamma', 'beta'].forEach((name, i) => {
        assert.deepEqual(ours[i].shape, reference[i].shape, name);
        close(`${tag}: d${name}`, ours[i].dataSync(), reference[i].dataSync());
      });
      tf.dispose([x, gamma, beta, weights, ...ours, ...reference]);
    }
  }
  await selectBackend('wasm');
});

test('sinusoidal positions follow sin/cos of pos / 10000^(2i/d)', () => {
  const p = sinusoidalPositions(3, 4);
  assert.deepEqual(Array.from(p.subarray(0, 4)), [0, 1, 0, 1]);
  assert.ok(Math.abs(p[4 * 2 + 0] - Math.sin(2)) < 1e-6);
  assert.ok(Math.abs(p[4 * 2 + 3] - Math.cos(2 / 100)) < 1e-6);
});

test('a decoder never looks ahead: changing a later token leaves earlier logits unchanged', () => {
  const model = buildTransformer(resolveTransformer({ type: 'transformerDecoder', layers: 2, heads: 2, dModel: 16, maxLength: 12, dropout: 0 }), 20);
  const ids = [5, 6, 7, 8, 9, 10, 11, 12];
  const changed = [...ids];
  changed[5] = 3;
  const run = (x: number[]) => (model.predict(tf.tensor2d(x, [1, x.length], 'int32')) as tf.Tensor).arraySync() as number[][][];
  const a = run(ids);
  const b = run(changed);
  assert.equal(maxAbsDiff(a[0].slice(0, 5), b[0].slice(0, 5)), 0);
  assert.ok(maxAbsDiff(a[0].slice(5), b[0].slice(5)) > 1e-3);
  model.dispose();
});

for (const [type, positional] of [['transformerEncoder', 'learned'], ['transformerDecoder', 'sinusoidal']] as const) {
  test(`save and load (${type}, ${positional} positions) give identical outputs and attention`, async () => {
    const cfg = resolveTransformer({ type, layers: 2, heads: 4, dModel: 16, ffDim: 24, maxLength: 10, positional, pooling: 'first' });
    const tokenizer = Tokenizer.fit(['the cat sat on the mat', '猫坐在垫子上'], { type: 'word', lowercase: true, punctuation: 'split', vocabSize: 40, maxLength: 10 }, { prependCls: type === 'transformerEncoder' });
    const model = buildTransformer(cfg, tokenizer.vocabSize, { classes: 3 });
    const dir = join(tempDir(), 'model');
    await saveTextModel(model, dir, tokenizer, { format: 'modellab-text-task', version: 1, task: type === 'transformerEncoder' ? 'classification' : 'language-model', labels: ['a', 'b', 'c'], maxLength: 10 });
    const loaded = await loadTextModel(dir);
    const ids = tf.tensor2d([Array.from(tokenizer.encode('the cat 坐 on', 7).ids)], [1, 7], 'int32');
    const before = (withAttentionOutputs(model).predict(ids) as tf.Tensor[]).map((t) => t.arraySync());
    const after = (withAttentionOutputs(loaded.model).predict(ids) as tf.Tensor[]).map((t) => t.arraySync());
    assert.deepEqual(after, before);
    assert.equal(before.length, 3, 'the output and one attention map per block');
    assert.deepEqual(loaded.tokenizer.vocab, tokenizer.vocab);
    assert.deepEqual(loaded.task.labels, ['a', 'b', 'c']);
    ids.dispose();
    model.dispose();
    loaded.model.dispose();
  });
}

test('a generated continuation starts with a space only where one belongs; sampling honours top-k and temperature 0', async () => {
  const { continuation, sampleToken } = await import('../../src/trainer/inference');
  const t = Tokenizer.fit(['hello world ! 你 好 世 界'], { type: 'word', lowercase: true, punctuation: 'split', vocabSize: 40, maxLength: 8 });
  const ids = (s: string) => Array.from(t.encode(s, 8, { pad: false }).ids);
  assert.equal(continuation(t, ids('hello'), ids('world')), ' world');
  assert.equal(continuation(t, ids('hello'), ids('!')), '!');
  assert.equal(continuation(t, ids('你'), ids('好')), '好');
  const logits = [9, 9, 9, 0.5, 2, 1, 3]; // ids 0–2 are special and never drawn
  assert.equal(sampleToken(logits, 0, 0, Math.random), 6);
  const drawn = new Set(Array.from({ length: 200 }, (_, i) => sampleToken(logits, 1, 2, () => (i + 0.5) / 200)));
  assert.deepEqual([...drawn].sort(), [4, 6]);
});

test('mean pooling: the mean of each text\'s real tokens, and a gradient of 1/count on them and 0 on padding', async () => {
  await selectBackend('wasm');
  const x = tf.tensor3d([[[1, 2], [3, 4], [100, 100]], [[-1, 5], [7, -3], [2, 2]]]);
  const mask = tf.tensor2d([[1, 1, 0], [1, 1, 1]]);
  const pool = new SequencePooling({ mode: 'mean' });
  const pooled = pool.apply([x, mask]) as tf.Tensor;
  assert.deepEqual(Array.from(pooled.dataSync()), [2, 3, 8 / 3, 4 / 3].map(Math.fround));
  const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool.apply([t, mask]) as tf.Tensor, tf.tensor2d([[1, 10], [1, 10]]))))(x);
  assert.deepEqual(Array.from(dx.dataSync()), [0.5, 5, 0.5, 5, 0, 0, 1 / 3, 10 / 3, 1 / 3, 10 / 3, 1 / 3, 10 / 3].map(Math.fround));
  tf.dispose([x, mask, pooled, dx]);
});
