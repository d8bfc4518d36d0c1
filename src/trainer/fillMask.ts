// Filling in a masked sentence with a masked-language model (BERT's
// fill-mask): the dashboard's fill-mask box (through the inference child) and
// `modellab fill-mask`. The sentence is tokenized as the model's tokenizer
// splits text, each typed `[MASK]` / `<mask>` becoming the mask token; one
// forward pass gives logits [1, tokens, vocab], and at each mask the softmax
// of its row names the most likely tokens.

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { findMaskMarkers, FILL_MASK_LIMITS } from '../core/fillMask';
import type { FillMaskResult, FillMaskSlot, FillMaskUnknown } from '../core/fillMask';
import { CLS_ID, CLS_TOKEN, MASK_TOKEN, splitText, UNK_ID, UNK_TOKEN } from '../core/tokenizer';
import type { Tokenizer } from '../core/tokenizer';
import type { Task } from '../core/types';
import { TextModelCache } from './inference';

const FILL_MASK_TASK: Task = 'masked-language-model';

let defaultCache: TextModelCache | undefined;

/** The sentence as the model reads it: ids, their labels, and where the masks and the unknown words are. */
export interface MaskedSentence {
  ids: number[];
  tokens: string[];
  masks: Omit<FillMaskSlot, 'candidates'>[];
  unknown: FillMaskUnknown[];
}

/**
 * Tokenizes `text` with each `[MASK]` / `<mask>` as the mask token (id
 * `maskId`), <cls> first when the tokenizer reads one. Throws, saying what,
 * when there is no mask, too many, or a mask beyond the model's `maxLength`
 * tokens (the tokens after the last mask are cut there instead).
 */
export function maskedSentence(tokenizer: Tokenizer, text: string, maskId: number, maxLength: number): MaskedSentence {
  const markers = findMaskMarkers(text);
  if (markers.length === 0) throw new Error(`the sentence has no mask: type [MASK] (or <mask>) where the model should fill in a word`);
  if (markers.length > FILL_MASK_LIMITS.masks) throw new Error(`the sentence has ${markers.length} masks; at most ${FILL_MASK_LIMITS.masks} are filled in at once`);
  const out: MaskedSentence = { ids: [], tokens: [], masks: [], unknown: [] };
  if (tokenizer.prependCls) {
    out.ids.push(CLS_ID);
    out.tokens.push(CLS_TOKEN);
  }
  const addText = (from: number, to: number) => {
    for (const p of splitText(text.slice(from, to), tokenizer.settings)) {
      const id = tokenizer.tokenId(p.token);
      if (id === UNK_ID) out.unknown.push({ word: text.slice(from + p.start, from + p.end), tokenIndex: out.ids.length, start: from + p.start, end: from + p.end });
      out.ids.push(id);
      out.tokens.push(id === UNK_ID ? UNK_TOKEN : tokenizer.token(id));
    }
  };
  let at = 0;
  for (const [index, marker] of markers.entries()) {
    addText(at, marker.start);
    out.masks.push({ index, tokenIndex: out.ids.length, start: marker.start, end: marker.end });
    out.ids.push(maskId);
    out.tokens.push(MASK_TOKEN);
    at = marker.end;
  }
  addText(at, text.length);
  const last = out.masks[out.masks.length - 1];
  if (last.tokenIndex >= maxLength) {
    throw new Error(`mask ${last.index + 1} is token ${last.tokenIndex + 1} of the sentence, but the model reads at most ${maxLength} tokens: shorten the text before it`);
  }
  if (out.ids.length > maxLength) {
    out.ids.length = maxLength;
    out.tokens.length = maxLength;
    out.unknown = out.unknown.filter((u) => u.tokenIndex < maxLength);
  }
  return out;
}

/**
 * The `topK` most likely tokens at each mask of `sentence`, with their
 * softmax probabilities over the whole vocabulary. The tokenizer's special
 * tokens, which never fill a word — <pad>, <unk>, <cls> and <mask> — are not
 * listed.
 */
export function fillMaskIds(model: tfl.LayersModel, sentence: MaskedSentence, tokenizer: Tokenizer, topK: number): FillMaskSlot[] {
  const probs = tf.tidy(() => {
    const logits = model.predict(tf.tensor2d(sentence.ids, [1, sentence.ids.length], 'int32')) as tf.Tensor;
    if (logits.rank !== 3 || logits.shape[1] !== sentence.ids.length) throw new Error(`the model answers ${JSON.stringify(logits.shape)}, not logits [1, ${sentence.ids.length}, vocab] for each token`);
    const rows = tf.gather(tf.reshape(logits, [sentence.ids.length, -1]), sentence.masks.map((m) => m.tokenIndex));
    return tf.softmax(rows);
  });
  const values = probs.dataSync();
  const width = probs.shape[1] as number;
  probs.dispose();
  const never = new Set(tokenizer.specialIds);
  return sentence.masks.map((mask, row) => {
    const p = values.subarray(row * width, (row + 1) * width);
    const order: number[] = [];
    for (let id = 0; id < width; id++) if (!never.has(id)) order.push(id);
    order.sort((a, b) => p[b] - p[a] || a - b);
    return { ...mask, candidates: order.slice(0, topK).map((id) => ({ token: tokenizer.token(id), probability: round6(p[id]) })) };
  });
}

/** Fills in the masks of `text` with a masked-language model (a run folder or its model folder). */
export async function fillMask(runOrModelDir: string, text: string, options: { topK?: number } = {}, cache?: TextModelCache): Promise<FillMaskResult> {
  const m = await (cache ?? (defaultCache ??= new TextModelCache(1))).get(runOrModelDir);
  const task: string = m.task.task;
  if (task !== FILL_MASK_TASK) {
    throw new Error(`this model's task is "${task}"; filling in a [MASK] needs a masked-language model (a run of task "${FILL_MASK_TASK}")`);
  }
  const maskId = m.tokenizer.maskId;
  if (maskId === null) throw new Error(`the model's tokenizer has no ${MASK_TOKEN} token, so it cannot read a mask`);
  const topK = Math.max(1, Math.min(Math.floor(options.topK ?? FILL_MASK_LIMITS.topK.default), FILL_MASK_LIMITS.topK.max));
  const sentence = maskedSentence(m.tokenizer, text, maskId, m.task.maxLength);
  const masks = fillMaskIds(m.model, sentence, m.tokenizer, topK);
  return { text, tokens: sentence.tokens, masks, unknown: sentence.unknown };
}

/** 6 decimals: compact JSON, and a bar's width is exact to far below a pixel. */
function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
