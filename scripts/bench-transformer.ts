// Measures the Transformer on a backend: training tokens/s of the reference
// encoder (2 blocks, dModel 64, 2 heads, T 64, batch 32: the figure DESIGN.md
// quotes) and of a character-level decoder, and the time of one attention
// request over 128 tokens (model already loaded, as in the inference child).
// Prints the median and the best of the timed repetitions: on a shared
// machine the best is the closer to what an idle one does.
// Usage: node --import tsx scripts/bench-transformer.ts [wasm|cpu|tensorflow|auto]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { resolveTransformer } from '../src/core/resolvedConfig';
import { Tokenizer } from '../src/core/tokenizer';
import type { BackendChoice, TransformerModelConfig } from '../src/core/types';
import { selectBackend } from '../src/trainer/backend';
import { attentionFor, TextModelCache } from '../src/trainer/inference';
import { saveTextModel } from '../src/trainer/modelIo';
import { buildTransformer } from '../src/trainer/transformer';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const best = (xs: number[]) => Math.min(...xs);

/** Tokens per second: [median, best] over 10 steps. */
async function trainingSpeed(cfg: TransformerModelConfig, vocab: number, batch: number, length: number): Promise<[number, number]> {
  const model = buildTransformer(resolveTransformer({ maxLength: length, ...cfg }), vocab, { classes: 4 });
  const optimizer = tf.train.adam(1e-3);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const decoder = cfg.type === 'transformerDecoder';
  const ids = tf.randomUniform([batch, length], 3, vocab, 'int32');
  const labels = decoder ? tf.oneHot(tf.randomUniform([batch, length], 3, vocab, 'int32'), vocab) : tf.oneHot(tf.randomUniform([batch], 0, 4, 'int32'), 4);
  const step = () => {
    const cost = optimizer.minimize(() => {
      const out = model.apply(ids, { training: true }) as tf.Tensor;
      const logp = decoder ? tf.logSoftmax(out) : tf.log(tf.add(out, 1e-7));
      return tf.neg(tf.mean(tf.sum(tf.mul(labels, logp), -1))) as tf.Scalar;
    }, true, variables)!;
    cost.dataSync();
    cost.dispose();
  };
  for (let i = 0; i < 3; i++) step(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  tf.dispose([ids, labels]);
  model.dispose();
  optimizer.dispose();
  return [(batch * length) / (median(times) / 1000), (batch * length) / (best(times) / 1000)];
}

/** Milliseconds: [median, best] over 20 requests. */
async function attentionTime(tokens: number): Promise<[number, number]> {
  const cfg = resolveTransformer({ type: 'transformerEncoder', layers: 2, heads: 4, dModel: 64, ffDim: 128, maxLength: tokens, positional: 'sinusoidal' });
  const text = Array.from({ length: 60 }, (_, i) => `line ${i}: where is my parcel? 我的包裹在哪里`).join('\n');
  const tokenizer = Tokenizer.fit([text], { type: 'word', lowercase: true, punctuation: 'split', vocabSize: 500, maxLength: tokens });
  const model = buildTransformer(cfg, tokenizer.vocabSize, { classes: 8 });
  const dir = join(mkdtempSync(join(tmpdir(), 'modellab-bench-')), 'model');
  await saveTextModel(model, dir, tokenizer, { format: 'modellab-text-task', version: 1, task: 'classification', labels: 'abcdefgh'.split(''), maxLength: tokens });
  model.dispose();
  const cache = new TextModelCache();
  await attentionFor(dir, text, tokens, cache); // loads the model
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const r = await attentionFor(dir, text, tokens, cache);
    times.push(performance.now() - t0);
    if (r.tokens.length !== tokens) throw new Error(`expected ${tokens} tokens, got ${r.tokens.length}`);
  }
  cache.clear();
  return [median(times), best(times)];
}

async function main(): Promise<void> {
  const sel = await selectBackend((process.argv[2] ?? 'wasm') as BackendChoice);
  console.log(`backend: ${sel.backend}`);
  const speed = ([m, b]: [number, number]) => `${Math.round(m).toLocaleString('en')} tokens/s (best step ${Math.round(b).toLocaleString('en')})`;
  console.log(`encoder, 2 blocks, dModel 64, 2 heads, T 64, batch 32: ${speed(await trainingSpeed({ type: 'transformerEncoder', layers: 2, heads: 2, dModel: 64, ffDim: 128 }, 1000, 32, 64))}`);
  console.log(`encoder, 2 blocks, dModel 64, 4 heads, T 16, batch 32: ${speed(await trainingSpeed({ type: 'transformerEncoder', layers: 2, heads: 4, dModel: 64, ffDim: 128 }, 1000, 32, 16))}`);
  console.log(`char decoder, 2 blocks, dModel 64, 4 heads, T 64, batch 16: ${speed(await trainingSpeed({ type: 'transformerDecoder', layers: 2, heads: 4, dModel: 64, ffDim: 128 }, 60, 16, 64))}`);
  const [m, b] = await attentionTime(128);
  console.log(`attention request, 128 tokens, 2 blocks × 4 heads: ${m.toFixed(1)} ms (best ${b.toFixed(1)} ms, of 20)`);
}

void main();
