// A masked-language model built by hand, whose answer is known exactly:
// token vectors and positions are one-hot, the attention adds nothing, and
// the output kernel's mask row holds log-probabilities — so at a mask the
// model's softmax is exactly AT_MASK (and at the first position "the" is
// THE_BONUS times likelier). Saved as a text model folder (model.json,
// weights.bin, tokenizer.json, task.json) for the fill-mask tests.

import * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { MASK_ID, Tokenizer } from '../../src/core/tokenizer';
import { saveTextModel } from '../../src/trainer/modelIo';
import type { TextTaskJson } from '../../src/trainer/modelIo';
import { MultiHeadSelfAttention, PaddingMask, TokenAndPositionEmbedding, TokenLogits } from '../../src/trainer/transformer';

export const VOCAB = ['<pad>', '<unk>', '<cls>', '<mask>', 'the', 'order', 'is', 'was', 'arrived', 'late', 'box'];
/** The distribution at a mask (over every id, summing to 1). */
export const AT_MASK = [0.01, 0.05, 0.01, 0.01, 0.03, 0.04, 0.41, 0.22, 0.08, 0.06, 0.08];
export const MAX_LENGTH = 5;
/** √16 = 4 exactly: the embedding's scaling gives back one-hot vectors without rounding. */
const D_MODEL = 16;
const V = VOCAB.length;
export const THE_BONUS = 100;

/** The vocabulary's tokenizer; with `mask` (the default) it has <mask> at MASK_ID, as a masked-language model's does. */
export function handBuiltTokenizer(vocab: readonly string[] = VOCAB, mask = true): Tokenizer {
  return Tokenizer.fromJson({
    format: 'modellab-tokenizer',
    version: 1,
    settings: { type: 'word', lowercase: true, punctuation: 'split', vocabSize: V, maxLength: MAX_LENGTH },
    prependCls: false,
    vocab: [...vocab],
    ...(mask ? { mask: true as const } : {}),
  });
}

/** ids [B, T] → logits [B, T, V]: onehot(token) + onehot(position), through an attention that adds zero, times a known kernel. */
export function handBuiltModel(): tfl.LayersModel {
  const ids = tfl.input({ shape: [null], dtype: 'int32', name: 'token_ids' });
  const padding = new PaddingMask({ name: 'padding_mask' }).apply(ids) as tfl.SymbolicTensor;
  const embedding = new TokenAndPositionEmbedding({ name: 'embedding', vocabSize: V, dModel: D_MODEL, maxLength: MAX_LENGTH, positional: 'learned' });
  const x = embedding.apply(ids) as tfl.SymbolicTensor;
  const attention = new MultiHeadSelfAttention({ name: 'block1_attention', heads: 1, causal: false });
  const [attended] = attention.apply([x, padding]) as tfl.SymbolicTensor[];
  const sum = tfl.layers.add({ name: 'residual' }).apply([x, attended]) as tfl.SymbolicTensor;
  const head = new TokenLogits({ name: 'token_logits', vocabSize: V });
  const model = tfl.model({ inputs: ids, outputs: head.apply(sum) as tfl.SymbolicTensor });
  const tokens = new Float32Array(V * D_MODEL);
  for (let i = 0; i < V; i++) tokens[i * D_MODEL + i] = 1 / Math.sqrt(D_MODEL);
  const positions = new Float32Array(MAX_LENGTH * D_MODEL);
  for (let t = 0; t < MAX_LENGTH; t++) positions[t * D_MODEL + V + t] = 1;
  embedding.setWeights([tf.tensor2d(tokens, [V, D_MODEL]), tf.tensor2d(positions, [MAX_LENGTH, D_MODEL])]);
  attention.setWeights(attention.getWeights().map((w) => tf.zerosLike(w)));
  const kernel = new Float32Array(D_MODEL * V);
  AT_MASK.forEach((p, id) => (kernel[MASK_ID * V + id] = Math.log(p)));
  kernel[(V + 0) * V + VOCAB.indexOf('the')] = Math.log(THE_BONUS); // position 0 favours "the"
  head.setWeights([tf.tensor2d(kernel, [D_MODEL, V]), tf.zeros([V])]);
  return model;
}

/** Saves the hand-built model as a text model folder of `task` (default the masked-language model's), with `vocab`'s tokenizer. */
export async function writeHandBuiltModel(modelDir: string, task: 'masked-language-model' | 'language-model' = 'masked-language-model', vocab: readonly string[] = VOCAB, mask = true): Promise<void> {
  const model = handBuiltModel();
  try {
    // task.json as the contract of issue #17 names the task.
    await saveTextModel(model, modelDir, handBuiltTokenizer(vocab, mask), { format: 'modellab-text-task', version: 1, task, maxLength: MAX_LENGTH } as unknown as TextTaskJson);
  } finally {
    model.dispose();
  }
}
