// BERT's masking for a masked-language model, pure and seeded: which tokens
// of a batch the encoder must predict, and what it sees in their place.
// The trainer draws a new masking every epoch from (seed, epoch) and one fixed
// masking of the validation split; fill-mask and fine-tuning read nothing here
// but MASK_SHARE_DEFAULT and the rule.

import { seededRng } from './random';
import type { Rng } from './random';

/** `data.masking.share` when the config gives none (BERT's 15%). */
export const MASK_SHARE_DEFAULT = 0.15;
/** Of the chosen tokens: this share becomes the mask token, the next share a random token, the rest stay as they are. */
export const MASK_SPLIT = { mask: 0.8, random: 0.1 } as const;

export interface MaskingOptions {
  /** Share of each sequence's maskable tokens to choose (0 < share ≤ 1). */
  share: number;
  /** Token ids are 0 … vocabSize − 1. */
  vocabSize: number;
  /** The id the model sees in place of a masked token. */
  maskId: number;
  /** Never chosen, never a random replacement (padding, <unk>, <cls>, <mask>). PAD_ID must be among them. */
  specialIds: readonly number[];
}

/** One masked batch, all [rows × length] row-major like its ids. */
export interface MaskedBatch {
  /** What the model reads: the ids with the chosen positions replaced (80/10/10). */
  ids: Int32Array;
  /** The original id at each chosen position, 0 elsewhere. */
  targets: Int32Array;
  /** 1 at each chosen position, 0 elsewhere: the loss and the accuracy count these only. */
  weights: Float32Array;
  /** Chosen positions in the batch. */
  chosen: number;
}

/** The seed of one epoch's masking: a run's seed and the epoch mixed (the validation's fixed masking uses epoch −1). */
export function maskingSeed(seed: number, epoch: number): number {
  let h = Math.imul((seed ^ 0x5bd1e995) >>> 0, 0x9e3779b1) ^ Math.imul((epoch + 0x632be5ab) >>> 0, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae3d);
  return (h ^ (h >>> 13)) >>> 0;
}

/** The rng of one epoch's masking. */
export function maskingRng(seed: number, epoch: number): Rng {
  return seededRng(maskingSeed(seed, epoch));
}

/**
 * Masks a batch of `rows` sequences of `length` ids. In each sequence the
 * maskable positions (not special, so never padding) are counted, n; k of them
 * are chosen uniformly, k = share·n rounded at random (so the expected count is
 * exactly share·n), at least one when n > 0. Each chosen token becomes the mask
 * token with probability 0.8, a uniformly drawn non-special token with 0.1, and
 * stays with 0.1; its target is the original token either way.
 */
export function maskBatch(ids: Int32Array, rows: number, length: number, options: MaskingOptions, rng: Rng): MaskedBatch {
  if (ids.length !== rows * length) throw new Error(`masking: ${ids.length} ids are not ${rows} rows of ${length}`);
  if (!(options.share > 0 && options.share <= 1)) throw new Error(`masking: the share must be in (0, 1], not ${options.share}`);
  const special = new Set(options.specialIds);
  const words: number[] = [];
  for (let id = 0; id < options.vocabSize; id++) if (!special.has(id)) words.push(id);
  if (words.length === 0) throw new Error('masking: the vocabulary has no token that is not special');
  const out = Int32Array.from(ids);
  const targets = new Int32Array(ids.length);
  const weights = new Float32Array(ids.length);
  let chosen = 0;
  const candidates: number[] = [];
  for (let r = 0; r < rows; r++) {
    candidates.length = 0;
    for (let p = r * length; p < (r + 1) * length; p++) if (!special.has(ids[p])) candidates.push(p);
    const n = candidates.length;
    if (n === 0) continue;
    const k = Math.min(n, Math.max(1, Math.floor(options.share * n + rng())));
    // A partial Fisher–Yates: the first k of a seeded shuffle.
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rng() * (n - i));
      const p = candidates[j];
      candidates[j] = candidates[i];
      candidates[i] = p;
      targets[p] = ids[p];
      weights[p] = 1;
      const u = rng();
      if (u < MASK_SPLIT.mask) out[p] = options.maskId;
      else if (u < MASK_SPLIT.mask + MASK_SPLIT.random) out[p] = words[Math.floor(rng() * words.length)];
    }
    chosen += k;
  }
  return { ids: out, targets, weights, chosen };
}
