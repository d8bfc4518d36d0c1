// Using a trained Transformer: its attention over a text (the dashboard's
// heatmaps, `modellab attention`) and text generation (`modellab generate`).
// Loaded models are cached, so a long-lived inference process answers the
// next request for the same model without reading it again.

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { seededRng } from '../core/random';
import type { Rng } from '../core/random';
import { CLS_ID, PAD_ID, UNK_ID } from '../core/tokenizer';
import type { Tokenizer } from '../core/tokenizer';
import { ATTENTION_TOKENS } from '../core/types';
import type { AttentionResult, GenerationResult } from '../core/types';
import { ModelDirCache } from './modelDirCache';
import { inverseTarget } from '../core/preprocess';
import { loadTextModel, textTargetPreprocessor } from './modelIo';
import type { LoadedTextModel } from './modelIo';
import { withAttentionOutputs } from './transformer';

export { resolveModelDir } from './modelDirCache';

/** A loaded Transformer with the same model returning its attention maps too. */
interface CachedModel extends LoadedTextModel {
  attentionModel: tfl.LayersModel;
}

/** A few loaded text models, most recently used kept; reloaded when model.json changes. */
export class TextModelCache extends ModelDirCache<CachedModel> {
  constructor(capacity = 2) {
    super(
      async (dir) => {
        const loaded = await loadTextModel(dir);
        return { ...loaded, attentionModel: withAttentionOutputs(loaded.model) };
      },
      (m) => m.model.dispose(),
      capacity,
    );
  }
}

const sharedCache = new TextModelCache();

/** Rounds to 6 decimals: the JSON stays compact and rows still sum to 1 within 1e-4. */
function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/**
 * Tokenizes `text` with the model's tokenizer (at most `maxTokens` tokens, and
 * no more than the model's positions), runs it through the model, and returns
 * every attention map (layers × heads × tokens × tokens) and, for a
 * classifier, its prediction (for text regression, its value).
 */
export async function attentionFor(runOrModelDir: string, text: string, maxTokens = ATTENTION_TOKENS.default, cache = sharedCache): Promise<AttentionResult> {
  const m = await cache.get(runOrModelDir);
  const limit = Math.max(1, Math.min(Math.floor(maxTokens), m.task.maxLength));
  const enc = m.tokenizer.encode(text, limit, { pad: false });
  const tokens = enc.pieces.map((p) => (p === null ? '<cls>' : p.token));
  const offsets = enc.pieces.map((p): [number, number] | null => (p === null ? null : [p.start, p.end]));
  const layers = m.attentionModel.outputs.length - 1;
  if (enc.length === 0) {
    const heads = (m.attentionModel.outputs[1].shape[1] as number | null) ?? 0;
    return { task: m.task.task, tokens, offsets, attention: Array.from({ length: layers }, () => Array.from({ length: heads }, () => [])), truncated: false };
  }
  const outputs = tf.tidy(() => m.attentionModel.predict(tf.tensor2d(enc.ids, [1, enc.length], 'int32')) as tf.Tensor[]);
  try {
    const attention = await Promise.all(
      outputs.slice(1).map(async (t) => ((await t.array()) as number[][][][])[0].map((head) => head.map((row) => row.map(round6)))),
    );
    const result: AttentionResult = { task: m.task.task, tokens, offsets, attention, truncated: enc.truncated };
    if (m.task.task === 'classification' && m.task.labels) {
      const probs = Array.from(await outputs[0].data());
      const labels = m.task.labels;
      const best = probs.indexOf(Math.max(...probs));
      result.prediction = { label: labels[best], probabilities: labels.map((label, i) => ({ label, probability: round6(probs[i]) })) };
    }
    const scaling = textTargetPreprocessor(m.task);
    if (scaling) result.predictedValue = { target: scaling.target, value: inverseTarget(scaling, (await outputs[0].data())[0]) };
    return result;
  } finally {
    tf.dispose(outputs);
  }
}

export interface GenerateOptions {
  /** Tokens to generate. */
  length?: number;
  /** Below 1 sharpens the distribution, above 1 flattens it; 0 always takes the most likely token. */
  temperature?: number;
  /** Sample among the k most likely tokens only; 0 means all. */
  topK?: number;
  seed?: number;
  /** Stops between two tokens. */
  signal?: AbortSignal;
}

export const GENERATE_DEFAULTS = { length: 200, temperature: 0.8, topK: 0, seed: 1 } as const;

/**
 * Picks the next token from logits: specials never, temperature-scaled
 * softmax, optionally only among the top k.
 */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topK: number, rng: Rng): number {
  const candidates: { id: number; logit: number }[] = [];
  for (let i = 0; i < logits.length; i++) if (i !== PAD_ID && i !== CLS_ID && i !== UNK_ID) candidates.push({ id: i, logit: logits[i] });
  if (candidates.length === 0) return UNK_ID;
  candidates.sort((a, b) => b.logit - a.logit);
  if (temperature <= 0) return candidates[0].id;
  const pool = topK > 0 ? candidates.slice(0, topK) : candidates;
  const max = pool[0].logit;
  const weights = pool.map((c) => Math.exp((c.logit - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rng() * total;
  for (let i = 0; i < pool.length; i++) {
    r -= weights[i];
    if (r <= 0) return pool[i].id;
  }
  return pool[pool.length - 1].id;
}

/**
 * Continues `prompt` (ids) by `length` tokens with a decoder model, feeding
 * back at most `maxLength` tokens of context each step. An empty prompt starts
 * from a newline (or the most frequent token), which is not returned.
 */
export async function generateIds(
  model: tfl.LayersModel,
  tokenizer: Tokenizer,
  prompt: ArrayLike<number>,
  maxLength: number,
  options: Required<Omit<GenerateOptions, 'seed' | 'signal'>> & { rng: Rng; signal?: AbortSignal },
): Promise<number[]> {
  const seedId = prompt.length > 0 ? undefined : tokenizer.tokenId('\n') !== UNK_ID ? tokenizer.tokenId('\n') : Math.min(3, tokenizer.vocabSize - 1);
  const context = seedId === undefined ? Array.from(prompt) : [seedId];
  const generated: number[] = [];
  let lastYield = Date.now();
  for (let i = 0; i < options.length; i++) {
    if (Date.now() - lastYield > 50) {
      // Let a cancel message in.
      await new Promise((r) => setImmediate(r));
      lastYield = Date.now();
    }
    if (options.signal?.aborted) throw new Error('generation cancelled');
    const window = context.slice(-maxLength);
    const logits = tf.tidy(() => {
      const out = model.predict(tf.tensor2d(window, [1, window.length], 'int32')) as tf.Tensor;
      return tf.reshape(tf.slice(out, [0, window.length - 1, 0], [1, 1, -1]), [-1]);
    });
    const next = sampleToken(logits.dataSync(), options.temperature, options.topK, options.rng);
    logits.dispose();
    context.push(next);
    generated.push(next);
  }
  return generated;
}

/** Generates text with a trained language model (a run folder or its model folder). */
export async function generate(runOrModelDir: string, prompt: string, options: GenerateOptions = {}, cache = sharedCache): Promise<GenerationResult> {
  const m = await cache.get(runOrModelDir);
  if (m.task.task !== 'language-model') throw new Error('this model is a classifier; text generation needs a language model (a transformerDecoder)');
  const o = { ...GENERATE_DEFAULTS, ...stripUndefined(options) };
  const promptIds = m.tokenizer.encodeAll(prompt);
  const ids = await generateIds(m.model, m.tokenizer, promptIds, m.task.maxLength, { length: o.length, temperature: o.temperature, topK: o.topK, rng: seededRng(o.seed), signal: options.signal });
  return { prompt, text: continuation(m.tokenizer, promptIds, ids), tokens: ids.length };
}

/**
 * The generated text as it continues the prompt: for words, decoded together
 * with the prompt and cut after it, so it starts with a space only where one
 * belongs ("hello" + " world", "你好" + "世界", "hi" + "!").
 */
export function continuation(tokenizer: Tokenizer, promptIds: ArrayLike<number>, ids: number[]): string {
  if (tokenizer.settings.type === 'char' || promptIds.length === 0) return tokenizer.decode(ids);
  const head = tokenizer.decode(Array.from(promptIds));
  const full = tokenizer.decode([...Array.from(promptIds), ...ids]);
  return full.startsWith(head) ? full.slice(head.length) : tokenizer.decode(ids);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
