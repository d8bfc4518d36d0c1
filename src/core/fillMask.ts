// Filling in a masked sentence with a masked-language model ("the order
// [MASK] late" → is 41%, was 22% …): where the masks are in what the user
// typed, the bounds a request keeps to, and the shape of the answer. Pure, so
// the inference child, the host's guards and the dashboard page share it.

import { isFiniteNumber, isIntegerIn, isRecord } from './protocol/fields';
import { MASK_TOKEN } from './tokenizer';

/** What a user types for a mask, matched without regard to case: BERT's `[MASK]` and the tokenizer's own `<mask>`. */
export const MASK_MARKERS = ['[MASK]', MASK_TOKEN] as const;

const MARKER_PATTERN = new RegExp(MASK_MARKERS.map((m) => m.replace(/[[\]]/g, '\\$&')).join('|'), 'gi');

/** Bounds of a fill-mask request (the dashboard's box, the inference child, the CLI). */
export const FILL_MASK_LIMITS = {
  /** Longest sentence the page may send. */
  textChars: 2000,
  /** Masks answered in one sentence at most. */
  masks: 20,
  /** Tokens listed per mask: the default and the most. */
  topK: { default: 5, max: 50 },
} as const;

/** A mask as typed: [start, end) in the text (UTF-16 units). */
export interface MaskMarker {
  start: number;
  end: number;
}

/** Every `[MASK]` / `<mask>` in `text`, in order. */
export function findMaskMarkers(text: string): MaskMarker[] {
  return [...text.matchAll(MARKER_PATTERN)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
}

export interface FillMaskCandidate {
  token: string;
  /** The model's softmax probability of this token at the mask (over its whole vocabulary). */
  probability: number;
}

/** One mask of the sentence and the tokens the model would put there, most likely first. */
export interface FillMaskSlot {
  /** 0-based: the first mask of the sentence is 0. */
  index: number;
  /** Its position among the tokens the model read (`FillMaskResult.tokens`). */
  tokenIndex: number;
  /** Where the marker was typed: [start, end) in the text. */
  start: number;
  end: number;
  candidates: FillMaskCandidate[];
}

/** A word of the sentence that is not in the model's vocabulary: the model read `<unk>` there. */
export interface FillMaskUnknown {
  word: string;
  tokenIndex: number;
  start: number;
  end: number;
}

export interface FillMaskResult {
  text: string;
  /** The tokens the model read: `<mask>` at each mask, `<unk>` for a word it does not know (`<cls>` first when it reads one). */
  tokens: string[];
  masks: FillMaskSlot[];
  unknown: FillMaskUnknown[];
}

/** Why a fill-mask result is malformed (the host checks what the child sends), or undefined. */
export function whyNotFillMaskResult(v: unknown): string | undefined {
  if (!isRecord(v)) return 'result is not an object';
  if (typeof v.text !== 'string') return 'result.text is not a string';
  if (!Array.isArray(v.tokens) || !v.tokens.every((t) => typeof t === 'string')) return 'result.tokens is not a list of strings';
  const tokens = v.tokens.length;
  const span = (s: Record<string, unknown>) => isIntegerIn(s.tokenIndex, 0, tokens - 1) && isIntegerIn(s.start, 0, (v.text as string).length) && isIntegerIn(s.end, s.start as number, (v.text as string).length);
  if (!Array.isArray(v.masks)) return 'result.masks is not a list';
  for (const [i, s] of v.masks.entries()) {
    if (!isRecord(s) || s.index !== i || !span(s)) return `result.masks[${i}] is not a mask of the sentence`;
    if (!Array.isArray(s.candidates) || !s.candidates.every((c) => isRecord(c) && typeof c.token === 'string' && isFiniteNumber(c.probability) && c.probability >= 0 && c.probability <= 1)) {
      return `result.masks[${i}].candidates is not a list of tokens with probabilities in [0, 1]`;
    }
  }
  if (!Array.isArray(v.unknown)) return 'result.unknown is not a list';
  for (const [i, u] of v.unknown.entries()) if (!isRecord(u) || typeof u.word !== 'string' || !span(u)) return `result.unknown[${i}] is not a word of the sentence`;
  return undefined;
}
