// Recommendation, from config to trained recommender: implicit interactions
// (one row per user–item interaction, in time order) become user and item
// indexes; each user's last interaction is held out for the test and the one
// before for validation; a model with two inputs (user, item) → embeddings →
// dot product + biases (matrix factorization) or concatenation → MLP scores a
// pair as clicked-or-not, trained against sampled non-interactions. Evaluated
// by ranking every item the user has not interacted with: hit rate@10 and
// NDCG@10, beside the same metrics for a popularity baseline.

import { join, resolve, dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { seededRng, shuffleInPlace } from '../core/random';
import type { Rng, SeededRng } from '../core/random';
import type { ResolvedConfig } from '../core/resolvedConfig';
import { writeJsonAtomic } from '../node/runStoreWriter';
import { readTable } from '../node/tableFile';
import type { RecommendationEvaluation, RecommenderModelConfig } from '../core/types';
import { logText } from '../core/trainerLogTable';
import type { StageReporter, TrainerLog } from '../core/protocol/trainer';
import { applyAdamFused } from './kernels/adamUpdate';
import { summarize } from './model';
import { saveModel } from './modelIo';
import type { FitArgs, PreparedExperiment } from './preparedExperiment';

type Stage = StageReporter;
type Log = TrainerLog;

export const RECOMMENDER_FILE = 'recommender.json';
/** Cut-off of the ranking metrics. */
export const RANK_K = 10;
const YIELD_EVERY_MS = 50;

/** recommender.json: what serving needs beside the model. */
export interface RecommenderJson {
  format: 'modellab-recommender';
  version: 1;
  /** Index → id. */
  users: string[];
  items: string[];
  /** Per user (by index): the items (indexes) of their training interactions, which are not recommended again. */
  seen: number[][];
  /** Training interactions per item: the popularity baseline. */
  popularity: number[];
}

export interface RecommenderData {
  users: string[];
  items: string[];
  /** Training interactions. */
  trainUsers: Int32Array;
  trainItems: Int32Array;
  /** One held-out interaction per user (or -1): the last (test) and the one before (validation). */
  testItem: Int32Array;
  valItem: Int32Array;
  /** Per user: the items of the training interactions. */
  seen: Set<number>[];
  popularity: Float64Array;
  skipped: number;
}

/** Reads the interactions and holds out each user's last two (users with at least three). */
export function loadInteractions(file: string, userColumn: string, itemColumn: string, format?: string): RecommenderData {
  const table = readTable(file, format);
  const userIndex = new Map<string, number>();
  const itemIndex = new Map<string, number>();
  const perUser: number[][] = [];
  let skipped = 0;
  for (const row of table.rows) {
    const u = row[userColumn];
    const it = row[itemColumn];
    if (u === null || u === undefined || u === '' || it === null || it === undefined || it === '') {
      skipped++;
      continue;
    }
    const us = String(u);
    const is = String(it);
    let ui = userIndex.get(us);
    if (ui === undefined) {
      ui = userIndex.size;
      userIndex.set(us, ui);
      perUser.push([]);
    }
    let ii = itemIndex.get(is);
    if (ii === undefined) {
      ii = itemIndex.size;
      itemIndex.set(is, ii);
    }
    perUser[ui].push(ii);
  }
  const users = [...userIndex.keys()];
  const items = [...itemIndex.keys()];
  const testItem = new Int32Array(users.length).fill(-1);
  const valItem = new Int32Array(users.length).fill(-1);
  const tu: number[] = [];
  const ti: number[] = [];
  const seen = perUser.map(() => new Set<number>());
  const popularity = new Float64Array(items.length);
  perUser.forEach((list, u) => {
    let train = list;
    if (list.length >= 3) {
      testItem[u] = list[list.length - 1];
      valItem[u] = list[list.length - 2];
      train = list.slice(0, -2);
    }
    for (const i of train) {
      tu.push(u);
      ti.push(i);
      seen[u].add(i);
      popularity[i]++;
    }
  });
  return { users, items, trainUsers: Int32Array.from(tu), trainItems: Int32Array.from(ti), testItem, valItem, seen, popularity, skipped };
}

/** The two-input model: [user index, item index] → probability of an interaction. */
export function buildRecommender(model: RecommenderModelConfig, users: number, items: number): tfl.LayersModel {
  const dim = model.embeddingDim ?? 16;
  const user = tfl.input({ shape: [1], dtype: 'int32', name: 'user' });
  const item = tfl.input({ shape: [1], dtype: 'int32', name: 'item' });
  const init = () => tfl.initializers.randomNormal({ mean: 0, stddev: 0.1 });
  const embed = (input: tfl.SymbolicTensor, count: number, width: number, name: string, zeros = false) =>
    tfl.layers.flatten({ name: `${name}_flat` }).apply(
      tfl.layers.embedding({ inputDim: count, outputDim: width, name, embeddingsInitializer: zeros ? 'zeros' : init() }).apply(input),
    ) as tfl.SymbolicTensor;
  const ue = embed(user, users, dim, 'user_embedding');
  const ie = embed(item, items, dim, 'item_embedding');
  let logit: tfl.SymbolicTensor;
  if (model.type === 'matrixFactorization') {
    const dot = tfl.layers.dot({ axes: 1, name: 'dot' }).apply([ue, ie]) as tfl.SymbolicTensor;
    const ub = embed(user, users, 1, 'user_bias', true);
    const ib = embed(item, items, 1, 'item_bias', true);
    logit = tfl.layers.add({ name: 'score' }).apply([dot, ub, ib]) as tfl.SymbolicTensor;
  } else {
    let h = tfl.layers.concatenate({ name: 'concat' }).apply([ue, ie]) as tfl.SymbolicTensor;
    (model.hidden ?? [32]).forEach((units, i) => {
      h = tfl.layers.dense({ units, activation: 'relu', name: `hidden_${i + 1}` }).apply(h) as tfl.SymbolicTensor;
    });
    logit = tfl.layers.dense({ units: 1, name: 'score' }).apply(h) as tfl.SymbolicTensor;
  }
  const out = tfl.layers.activation({ activation: 'sigmoid', name: 'probability' }).apply(logit) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [user, item], outputs: out, name: model.type });
}

/** Scores every item for each user: [users.length × items] probabilities. */
export function scoreAllItems(model: tfl.LayersModel, userIdx: number[], items: number): Float32Array {
  const n = userIdx.length * items;
  const u = new Int32Array(n);
  const it = new Int32Array(n);
  userIdx.forEach((user, r) => {
    u.fill(user, r * items, (r + 1) * items);
    for (let i = 0; i < items; i++) it[r * items + i] = i;
  });
  const out = tf.tidy(() => model.predict([tf.tensor2d(u, [n, 1], 'int32'), tf.tensor2d(it, [n, 1], 'int32')]) as tf.Tensor);
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return values;
}

/** 0-based rank of `target` among the candidate items (ties broken by index), excluded items left out. */
function rankOf(scores: ArrayLike<number>, offset: number, items: number, target: number, excluded: (i: number) => boolean): number {
  const s = scores[offset + target];
  let rank = 0;
  for (let i = 0; i < items; i++) {
    if (i === target || excluded(i)) continue;
    const v = scores[offset + i];
    if (v > s || (v === s && i < target)) rank++;
  }
  return rank;
}

/** Hit rate@k and NDCG@k of the model and of the popularity baseline on one held-out item per user. */
export function rankingEvaluation(model: tfl.LayersModel, d: RecommenderData, held: Int32Array, exclude: Int32Array | undefined, split: 'test' | 'validation'): RecommendationEvaluation {
  const evalUsers: number[] = [];
  for (let u = 0; u < d.users.length; u++) if (held[u] >= 0 && !d.seen[u].has(held[u])) evalUsers.push(u);
  const acc = { model: { hits: 0, ndcg: 0 }, baseline: { hits: 0, ndcg: 0 } };
  const add = (m: { hits: number; ndcg: number }, rank: number) => {
    if (rank < RANK_K) {
      m.hits++;
      m.ndcg += 1 / Math.log2(rank + 2);
    }
  };
  const CHUNK = 64;
  for (let c = 0; c < evalUsers.length; c += CHUNK) {
    const chunk = evalUsers.slice(c, c + CHUNK);
    const scores = scoreAllItems(model, chunk, d.items.length);
    chunk.forEach((u, r) => {
      const excluded = (i: number) => d.seen[u].has(i) || (exclude !== undefined && exclude[u] === i);
      add(acc.model, rankOf(scores, r * d.items.length, d.items.length, held[u], excluded));
      add(acc.baseline, rankOf(d.popularity, 0, d.items.length, held[u], excluded));
    });
  }
  const n = Math.max(evalUsers.length, 1);
  return {
    task: 'recommendation',
    split,
    count: evalUsers.length,
    k: RANK_K,
    metrics: { hitRate: acc.model.hits / n, ndcg: acc.model.ndcg / n },
    baseline: { hitRate: acc.baseline.hits / n, ndcg: acc.baseline.ndcg / n },
  };
}

/** An item the user has not interacted with in training (nor `also`), drawn uniformly. */
function sampleNegative(rng: Rng, items: number, seen: Set<number>, also = -1): number {
  for (let tries = 0; tries < 100; tries++) {
    const i = Math.floor(rng() * items);
    if (!seen.has(i) && i !== also) return i;
  }
  return Math.floor(rng() * items); // a user who has seen nearly everything
}

function bceLoss(pred: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const p = tf.clipByValue(pred, 1e-7, 1 - 1e-7);
  return tf.neg(tf.mean(tf.add(tf.mul(labels, tf.log(p)), tf.mul(tf.sub(1, labels), tf.log(tf.sub(1, p)))))) as tf.Scalar;
}

export function prepareRecommenderExperiment(config: ResolvedConfig, configPath: string, stage: Stage, log: Log): PreparedExperiment {
  const modelConfig = config.model as RecommenderModelConfig;
  const negatives = modelConfig.negatives ?? 4;
  const data = config.data;

  stage('data', 'running');
  const d = loadInteractions(resolve(dirname(configPath), data.source!), data.user!, data.item!, data.format);
  stage('data', 'done', logText('stage.interactions', (d.trainUsers.length + [...d.testItem, ...d.valItem].filter((i) => i >= 0).length).toLocaleString('en')));
  if (d.skipped) log(logText('recommender.rowsSkipped', d.skipped), 'warn');
  stage('preprocess', 'running');
  if (d.trainUsers.length === 0) throw new Error('no training interactions are left after holding out each user\'s last two');
  if (d.items.length < 2) throw new Error(`the data has ${d.items.length} item(s); a recommender needs at least two`);
  const heldOut = (a: Int32Array) => a.reduce((s, i) => s + (i >= 0 ? 1 : 0), 0);
  const dataSizes = { train: d.trainUsers.length, validation: heldOut(d.valItem), test: heldOut(d.testItem) };
  const detail = logText('recommender.preprocess', d.users.length, d.items.length, dataSizes.train, dataSizes.validation, dataSizes.test);
  stage('preprocess', 'done', detail);
  log(detail);

  const model = buildRecommender(modelConfig, d.users.length, d.items.length);
  const summary = summarize(model, 2);
  summary.inputShape = [null, 2];

  // Validation pairs: each user's validation item, and `negatives` fixed sampled non-interactions.
  const valRng = seededRng(config.training.seed ^ 0x5eed);
  const vu: number[] = [];
  const vi: number[] = [];
  const vl: number[] = [];
  for (let u = 0; u < d.users.length; u++) {
    if (d.valItem[u] < 0) continue;
    vu.push(u);
    vi.push(d.valItem[u]);
    vl.push(1);
    for (let k = 0; k < negatives; k++) {
      vu.push(u);
      vi.push(sampleNegative(valRng, d.items.length, d.seen[u], d.valItem[u]));
      vl.push(0);
    }
  }

  const pairTensors = (u: ArrayLike<number>, i: ArrayLike<number>, l: ArrayLike<number>) => ({
    u: tf.tensor2d(Int32Array.from(u), [u.length, 1], 'int32'),
    i: tf.tensor2d(Int32Array.from(i), [i.length, 1], 'int32'),
    l: tf.tensor2d(Float32Array.from(l), [l.length, 1]),
  });

  let rng: SeededRng | undefined;
  const fit = async ({ epochs, batchSize, shuffle, seed, optimizer, callbacks, resume, gradients }: FitArgs): Promise<void> => {
    const random = (rng = seededRng(seed ^ 0x7ec0));
    if (resume?.loop.random !== undefined) random.restore(resume.loop.random);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    let lastYield = Date.now();
    const P = d.trainUsers.length;
    const per = 1 + negatives;
    for (let epoch = resume?.epochsDone ?? 0; epoch < epochs && !model.stopTraining; epoch++) {
      await callbacks.onEpochBegin?.(epoch);
      // Every positive with fresh negatives each epoch.
      const n = P * per;
      const us = new Int32Array(n);
      const is = new Int32Array(n);
      const ls = new Float32Array(n);
      for (let p = 0; p < P; p++) {
        const u = d.trainUsers[p];
        us[p * per] = u;
        is[p * per] = d.trainItems[p];
        ls[p * per] = 1;
        for (let k = 1; k < per; k++) {
          us[p * per + k] = u;
          is[p * per + k] = sampleNegative(random, d.items.length, d.seen[u]);
        }
      }
      const order = Array.from({ length: n }, (_, i) => i);
      if (shuffle) shuffleInPlace(order, random);
      let lossSum = 0;
      let b = 0;
      for (let start = 0; start < n; start += batchSize, b++) {
        const rows = order.slice(start, start + batchSize);
        const t = pairTensors(rows.map((r) => us[r]), rows.map((r) => is[r]), rows.map((r) => ls[r]));
        const tap = gradients && start + batchSize >= n && gradients.wants(epoch) ? gradients : undefined;
        const cost = tf.tidy(() => {
          const { value, grads } = optimizer.computeGradients(() => bceLoss(model.apply([t.u, t.i], { training: true }) as tf.Tensor, t.l), variables);
          tap?.take(grads);
          if (!applyAdamFused(optimizer, grads)) optimizer.applyGradients(grads);
          return value;
        });
        const loss = (await cost.data())[0];
        tf.dispose([cost, t.u, t.i, t.l]);
        lossSum += loss * rows.length;
        await callbacks.onBatchEnd?.(b, { loss });
        if (Date.now() - lastYield >= YIELD_EVERY_MS) {
          await new Promise((r) => setImmediate(r));
          lastYield = Date.now();
        }
        if (model.stopTraining) break;
      }
      // Cut short by a stop: not an epoch (see trainLoop.ts).
      if (model.stopTraining && (b + 1) * batchSize < n) break;
      const logs: tfl.Logs = { loss: lossSum / Math.max(n, 1) };
      if (vu.length > 0) {
        const t = pairTensors(vu, vi, vl);
        const v = tf.tidy(() => bceLoss(model.predict([t.u, t.i]) as tf.Tensor, t.l));
        logs.val_loss = v.dataSync()[0];
        tf.dispose([v, t.u, t.i, t.l]);
      }
      await callbacks.onEpochEnd?.(epoch, logs);
    }
  };

  const save = async (dir: string): Promise<void> => {
    await saveModel(model, dir);
    const json: RecommenderJson = {
      format: 'modellab-recommender',
      version: 1,
      users: d.users,
      items: d.items,
      seen: d.seen.map((s) => [...s].sort((a, b) => a - b)),
      popularity: Array.from(d.popularity),
    };
    writeJsonAtomic(join(dir, RECOMMENDER_FILE), json);
  };

  const evaluate = async (): Promise<RecommendationEvaluation | undefined> => {
    if (dataSizes.test > 0) return rankingEvaluation(model, d, d.testItem, d.valItem, 'test');
    if (dataSizes.validation > 0) return rankingEvaluation(model, d, d.valItem, undefined, 'validation');
    return undefined;
  };

  return { model, summary, dataSizes, hasValidation: vu.length > 0, fit, loopState: () => ({ random: rng?.state() }), save, evaluate, dispose: () => model.dispose() };
}
