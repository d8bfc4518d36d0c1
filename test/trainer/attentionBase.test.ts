// "What changed" (#17) on the host's path, with hand-made run folders: a base
// run (the hand-built masked-language model, whose attention weights are zero
// so it attends uniformly) and a "fine-tuned" run, a copy whose query, key,
// value and output kernels are 3·I (each token attends mostly to itself),
// with meta.base naming the base as the trainer records it. The base is
// found from the fine-tuned run's meta.json (attentionBaseOf), the real
// inference child (dist/trainer.js through the host's InferenceClient)
// computes both attentions over the same text, their tokens align, and the
// difference is the exact softmax change.
//
// Run: node --import tsx --test test/trainer/attentionBase.test.ts

import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { attentionDifference, describeChange, largestChanges } from '../../src/core/attentionDiff';
import type { RunMeta } from '../../src/core/types';
import { attentionBaseOf, BaseAttentionCache } from '../../src/node/attentionBase';
import { InferenceClient } from '../../src/node/inferenceClient';
import { listRuns } from '../../src/node/runStoreReader';
import { selectBackend } from '../../src/trainer/backend';
import { saveTextModel } from '../../src/trainer/modelIo';
import type { TextTaskJson } from '../../src/trainer/modelIo';
import { builtBundles } from '../helpers/builtBundles';
import { houseRunMeta, tempDir } from '../helpers/fixtures';
import { handBuiltModel, handBuiltTokenizer, MAX_LENGTH, writeHandBuiltModel } from '../helpers/handBuiltMlm';

const { trainer: trainerScript } = builtBundles('trainer');
let runsDir = '';
let baseModelDir = '';
let client: InferenceClient;

function meta(id: string, base?: RunMeta['base']): RunMeta {
  return houseRunMeta({ id, name: id, task: 'masked-language-model', status: 'completed', endedAt: '2026-01-01T00:00:00.000Z', ...(base ? { base } : {}) });
}

before(async () => {
  await selectBackend('wasm');
  runsDir = tempDir('modellab-attention-base-');
  const baseRun = join(runsDir, 'base-run');
  baseModelDir = join(baseRun, 'model');
  await writeHandBuiltModel(baseModelDir);
  writeFileSync(join(baseRun, 'meta.json'), JSON.stringify(meta('base-run')));
  const tunedRun = join(runsDir, 'tuned-run');
  mkdirSync(tunedRun, { recursive: true });
  const model = handBuiltModel();
  try {
    const attention = model.getLayer('block1_attention');
    attention.setWeights(attention.getWeights().map((w) => (w.rank === 2 ? tf.mul(tf.eye(w.shape[0]), 3) : tf.zerosLike(w))));
    await saveTextModel(model, join(tunedRun, 'model'), handBuiltTokenizer(), { format: 'modellab-text-task', version: 1, task: 'masked-language-model', maxLength: MAX_LENGTH } as unknown as TextTaskJson);
  } finally {
    model.dispose();
  }
  writeFileSync(join(tunedRun, 'meta.json'), JSON.stringify(meta('tuned-run', { kind: 'run', id: 'base-run', path: baseModelDir, task: 'masked-language-model' })));
  client = new InferenceClient({ trainerScript, runtime: () => ({ execPath: process.execPath, env: {} }), backend: () => 'wasm' });
});

after(() => client?.dispose());

test('the base is found from the fine-tuned run\'s meta.json; a run without a base has none', () => {
  const runs = listRuns(runsDir);
  const tuned = runs.find((r) => r.id === 'tuned-run');
  assert.deepEqual(attentionBaseOf(tuned?.meta), { kind: 'run', label: 'base-run', modelDir: baseModelDir, missing: false });
  assert.equal(attentionBaseOf(runs.find((r) => r.id === 'base-run')?.meta), undefined);
  // A base named by its run folder (not its model/): the model folder inside.
  assert.equal(attentionBaseOf({ base: { kind: 'run', path: join(runsDir, 'base-run'), task: 'classification' } })?.modelDir, baseModelDir);
  // An export folder: labelled by its name.
  assert.deepEqual(attentionBaseOf({ base: { kind: 'export', path: baseModelDir, task: 'masked-language-model' } }), { kind: 'export', label: 'model', modelDir: baseModelDir, missing: false });
  // A base without attention (a table model) is no base for this view.
  assert.equal(attentionBaseOf({ base: { kind: 'run', path: baseModelDir, task: 'regression' } }), undefined);
});

test('both attentions over the same text align, and their difference is the exact softmax change', async () => {
  const text = 'the order is late';
  const tuned = await client.attention({ modelDir: join(runsDir, 'tuned-run', 'model'), text, maxTokens: MAX_LENGTH });
  const base = await client.attention({ modelDir: attentionBaseOf(listRuns(runsDir).find((r) => r.id === 'tuned-run')?.meta)!.modelDir, text, maxTokens: MAX_LENGTH });
  assert.deepEqual(tuned.result.tokens, ['the', 'order', 'is', 'late']);
  assert.deepEqual(base.result.tokens, tuned.result.tokens);
  const d = attentionDifference(tuned.result, base.result);
  assert.equal(d.aligned, true);
  if (!d.aligned) return;
  // Base: zero weights, so a uniform 1/4. Fine-tuned: q = k = 3x with |x|² = 2 (one-hot token + position), so
  // the own token scores 9·2/√16 = 4.5 and the others 0: e^4.5 / (e^4.5 + 3) on the diagonal.
  const self = Math.exp(4.5) / (Math.exp(4.5) + 3);
  const other = 1 / (Math.exp(4.5) + 3);
  const [[diff]] = d.diff;
  diff.forEach((row, q) => row.forEach((v, k) => assert.ok(Math.abs(v - ((q === k ? self : other) - 0.25)) < 1e-4, `[${q}][${k}] ${v}`)));
  const top = largestChanges(base.result.attention[0][0], tuned.result.attention[0][0], 2);
  assert.deepEqual(top.map((c) => describeChange(c, tuned.result.tokens)), ['the → the: +0.72', 'order → order: +0.72']);
});

test('a base folder moved away is reported missing, with the path it was at', () => {
  const moved = join(runsDir, 'moved');
  renameSync(join(runsDir, 'base-run'), moved);
  try {
    assert.deepEqual(attentionBaseOf(listRuns(runsDir).find((r) => r.id === 'tuned-run')?.meta), { kind: 'run', label: 'base-run', modelDir: baseModelDir, missing: true });
  } finally {
    renameSync(moved, join(runsDir, 'base-run'));
  }
});

test('the base\'s attention cache: per base folder, file version and window; least recently used out first', () => {
  const cache = new BaseAttentionCache<string>(2);
  const k = (version: number, text = 'the order') => BaseAttentionCache.key('/runs/base/model', 'file:///notes.txt', version, 64, text);
  cache.set(k(1), 'v1');
  assert.equal(cache.get(k(1)), 'v1');
  // An edit makes a new version: not the old answer.
  assert.equal(cache.get(k(2)), undefined);
  assert.equal(cache.get(BaseAttentionCache.key('/runs/other/model', 'file:///notes.txt', 1, 64, 'the order')), undefined);
  assert.equal(cache.get(k(1, 'is late')), undefined);
  cache.set(k(2), 'v2');
  cache.get(k(1)); // v1 used last: v2 goes first
  cache.set(k(3), 'v3');
  assert.equal(cache.length, 2);
  assert.equal(cache.get(k(2)), undefined);
  assert.equal(cache.get(k(1)), 'v1');
  assert.equal(cache.get(k(3)), 'v3');
});
