// What a masked-language model (BERT-style pretraining, task
// "masked-language-model") adds to the text loop of textTraining.ts: its
// sentences (the lines of a .txt corpus, or a table's text column — labels
// ignored), BERT's masking of a batch (src/core/masking.ts: a new draw every
// epoch from the training seed, one fixed draw for validation and another for
// the test split), the most-frequent-token baseline, and a few filled-in
// sentences for evaluation.json.

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { maskBatch, MASK_SHARE_DEFAULT } from '../core/masking';
import type { Rng } from '../core/random';
import type { Table } from '../core/table';
import { isCjk, MASK_TOKEN, PAD_ID } from '../core/tokenizer';
import type { Tokenizer } from '../core/tokenizer';
import type { DataConfig, MaskedSample } from '../core/types';
import { loadCorpusSplits, loadSplits } from '../node/dataFiles';

/** The masking epochs of the held-out splits: never a training epoch (those count from 0), so their masks are their own and the same every epoch. */
export const VALIDATION_MASKING_EPOCH = -1;
export const TEST_MASKING_EPOCH = -2;

export interface MaskedTexts {
  train: string[];
  validation?: string[];
  test?: string[];
  /** What was read: rows of a table or characters of a corpus (the data stage's detail). */
  rows?: number;
  characters?: number;
  /** Table rows whose text was empty. */
  skipped: number;
}

/**
 * The sentences of each split: with `data.text`, that column of the table's
 * rows (every other column, a target included, is ignored); else each
 * non-blank line of the text corpus.
 */
export function loadMaskedTexts(data: DataConfig, configPath: string): MaskedTexts {
  if (data.text !== undefined) {
    const column = data.text;
    const splits = loadSplits(data, configPath);
    let skipped = 0;
    const texts = (table: Table | undefined): string[] | undefined => {
      if (!table) return undefined;
      if (!table.columns.includes(column)) throw new Error(`${table.file}: no column "${column}" (data.text); the columns are ${table.columns.join(', ')}`);
      const out: string[] = [];
      for (const row of table.rows) {
        const v = row[column];
        if (v === null || v === undefined || String(v).trim() === '') skipped++;
        else out.push(String(v));
      }
      return out;
    };
    const rows = splits.train.rows.length + (splits.validation?.rows.length ?? 0) + (splits.test?.rows.length ?? 0);
    return { train: texts(splits.train)!, validation: texts(splits.validation), test: texts(splits.test), rows, skipped };
  }
  const corpus = loadCorpusSplits(data, configPath);
  const lines = (text: string | undefined) => text?.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const characters = corpus.train.length + (corpus.validation?.length ?? 0) + (corpus.test?.length ?? 0);
  return { train: lines(corpus.train)!, validation: lines(corpus.validation), test: lines(corpus.test), characters, skipped: 0 };
}

/** The share of tokens masked, as the config says or BERT's default. */
export function maskShare(data: DataConfig): number {
  return data.masking?.share ?? MASK_SHARE_DEFAULT;
}

/** The ids, targets and weights of one batch after masking (targets and weights replace the batch's own). */
export interface MaskableBatch {
  rows: number;
  length: number;
  ids: Int32Array;
  targets?: Int32Array;
  weights?: Float32Array;
}

/** Masks each batch in turn with one rng: an epoch's batches (train) or a split's fixed batches (validation, test). */
export function maskBatches<B extends MaskableBatch>(batches: B[], tokenizer: Tokenizer, share: number, rng: Rng): (B & { predicted: number })[] {
  const options = { share, vocabSize: tokenizer.vocabSize, maskId: tokenizer.maskId!, specialIds: tokenizer.specialIds };
  return batches.map((b) => {
    const m = maskBatch(b.ids, b.rows, b.length, options, rng);
    return { ...b, ids: m.ids, targets: m.targets, weights: m.weights, predicted: m.chosen };
  });
}

/** The training split's most frequent token that is not special: what a model that ignored its input would always guess. */
export function mostFrequentToken(texts: readonly string[], tokenizer: Tokenizer): number {
  const special = new Set(tokenizer.specialIds);
  const counts = new Map<number, number>();
  for (const text of texts) {
    for (const id of tokenizer.encode(text, tokenizer.settings.maxLength, { pad: false }).ids) if (!special.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  let best = -1;
  let bestCount = -1;
  for (const [id, n] of counts) if (n > bestCount || (n === bestCount && id < best)) [best, bestCount] = [id, n];
  return best;
}

/** Of masked batches: the share of masked positions whose original token is `token`. */
export function baselineAccuracy(batches: readonly MaskableBatch[], token: number): number {
  let hits = 0;
  let total = 0;
  for (const b of batches) {
    for (let i = 0; i < b.ids.length; i++) {
      if (b.weights![i] !== 1) continue;
      total++;
      if (b.targets![i] === token) hits++;
    }
  }
  return hits / Math.max(total, 1);
}

const SAMPLE_COUNT = 3;

/** The first few sentences of a masked split, each with its masked tokens and the model's top guess at each. */
export function fillInSamples(model: tfl.LayersModel, tokenizer: Tokenizer, batches: readonly MaskableBatch[]): MaskedSample[] {
  const samples: MaskedSample[] = [];
  const never = tokenizer.specialIds;
  for (const b of batches) {
    const guesses = tf.tidy(() => {
      const logits = model.predict(tf.tensor2d(b.ids, [b.rows, b.length], 'int32')) as tf.Tensor;
      // Specials are never a word's answer: push them below every token before the argmax.
      const vocab = logits.shape[2]!;
      const penalty = new Float32Array(vocab);
      for (const id of never) if (id < vocab) penalty[id] = -1e9;
      return tf.argMax(tf.add(logits, tf.tensor1d(penalty)), 2);
    });
    const best = guesses.dataSync() as Int32Array;
    guesses.dispose();
    for (let r = 0; r < b.rows && samples.length < SAMPLE_COUNT; r++) {
      const shown: number[] = [];
      const sample: MaskedSample = { masked: '', expected: [], predicted: [] };
      for (let p = r * b.length; p < (r + 1) * b.length; p++) {
        const id = b.ids[p];
        if (id === PAD_ID) continue;
        if (b.weights![p] === 1) {
          sample.expected.push(tokenizer.token(b.targets![p]));
          sample.predicted.push(tokenizer.token(best[p]));
        }
        shown.push(id);
      }
      if (sample.expected.length === 0) continue;
      sample.masked = decodeWithMask(tokenizer, shown);
      samples.push(sample);
    }
    if (samples.length >= SAMPLE_COUNT) break;
  }
  return samples;
}

/** Ids as the tokenizer decodes them, with the mask token kept visible (decode spaces words as written; it knows no mask). */
function decodeWithMask(tokenizer: Tokenizer, ids: readonly number[]): string {
  const parts: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length) parts.push(tokenizer.decode(run));
    run = [];
  };
  for (const id of ids) {
    if (id === tokenizer.maskId) {
      flush();
      parts.push(MASK_TOKEN);
    } else run.push(id);
  }
  flush();
  // Spaced as decode spaces words: none in character mode or beside a CJK character.
  let out = '';
  for (const part of parts.filter((p) => p !== '')) {
    const spaced = out !== '' && tokenizer.settings.type !== 'char' && !isCjk(out[out.length - 1]) && !isCjk(part[0]);
    out += (spaced ? ' ' : '') + part;
  }
  return out;
}
