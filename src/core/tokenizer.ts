// Character- and word-level tokenizers for the text tasks. Pure (no tfjs):
// fitted on the training split, saved as tokenizer.json beside the model, and
// loaded again by the inference child to tokenize the file open in the editor.
//
// Chinese, Japanese and Korean text has no spaces between words, so in word
// mode every Han, Kana and Hangul character is a token of its own (the usual
// baseline for CJK, and what a heatmap over such text can label).

import type { PunctuationMode, TokenizerType } from './types';

export const PAD_TOKEN = '<pad>';
export const UNK_TOKEN = '<unk>';
export const CLS_TOKEN = '<cls>';
/** Ids 0, 1, 2 are always these, in this order. */
export const SPECIAL_TOKENS = [PAD_TOKEN, UNK_TOKEN, CLS_TOKEN] as const;
export const PAD_ID = 0;
export const UNK_ID = 1;
export const CLS_ID = 2;
/**
 * BERT's mask token (a masked-language model's input where a word is hidden).
 * Only a tokenizer fitted with `mask: true` has it, at MASK_ID, right after the
 * three specials: every older tokenizer.json (no `mask` field) loads and
 * encodes exactly as before.
 */
export const MASK_TOKEN = '<mask>';
export const MASK_ID = SPECIAL_TOKENS.length;

export const TOKENIZER_FILE = 'tokenizer.json';

export interface TokenizerSettings {
  type: TokenizerType;
  lowercase: boolean;
  punctuation: PunctuationMode;
  vocabSize: number;
  maxLength: number;
}

/** tokenizer.json */
export interface TokenizerJson {
  format: 'modellab-tokenizer';
  version: 1;
  settings: TokenizerSettings;
  /** Puts <cls> before every text (a classifier that pools the first token). */
  prependCls: boolean;
  /** Token of each id; the special tokens first. */
  vocab: string[];
  /** The vocabulary has MASK_TOKEN at MASK_ID (written only when true, so older files read as false). */
  mask?: true;
}

/** A token and where it came from in the text ([start, end) in UTF-16 units). */
export interface TextPiece {
  token: string;
  start: number;
  end: number;
}

export interface Encoding {
  /** Token ids, padded with PAD_ID to the requested length. */
  ids: Int32Array;
  /** Tokens before padding (after truncation). */
  length: number;
  /** The text had more tokens than fit. */
  truncated: boolean;
  /** The token of each id before padding, and where in the text it came from (null for <cls>). */
  pieces: (TextPiece | null)[];
}

const CJK_CLASS = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}';
const CJK = new RegExp(`[${CJK_CLASS}]`, 'u');
const PUNCTUATION = /^[\p{P}\p{S}]$/u;
/** A letter, mark, digit or underscore that is not CJK (Han characters are letters too). */
const WORD_CHAR = `(?:(?![${CJK_CLASS}])[\\p{L}\\p{M}\\p{N}_])`;
// Word mode, one alternative per kind of token:
//   a CJK character | a word (inner apostrophes and hyphens kept) | one punctuation mark or symbol
const WORD_PIECES = new RegExp(`[${CJK_CLASS}]|${WORD_CHAR}+(?:['’-]${WORD_CHAR}+)*|[\\p{P}\\p{S}]`, 'gu');
// Word mode with punctuation kept: runs of non-space, with CJK characters still split off.
const WORD_PIECES_KEEP = new RegExp(`[${CJK_CLASS}]|[^\\s${CJK_CLASS}]+`, 'gu');

export function isCjk(token: string): boolean {
  return CJK.test(token);
}

/**
 * Splits text into tokens with their positions, before the vocabulary is
 * applied. The same function serves fitting, encoding and the heatmap labels.
 */
export function splitText(text: string, settings: Pick<TokenizerSettings, 'type' | 'lowercase' | 'punctuation'>): TextPiece[] {
  const pieces: TextPiece[] = [];
  const norm = (t: string) => (settings.lowercase ? t.toLowerCase() : t);
  if (settings.type === 'char') {
    let offset = 0;
    // for…of walks code points, so an emoji or a rare Han character (surrogate pair) stays one token.
    for (const ch of text) {
      const start = offset;
      offset += ch.length;
      if (ch === '\r') continue; // "\r\n" counts as one newline
      if (settings.punctuation === 'strip' && PUNCTUATION.test(ch)) continue;
      pieces.push({ token: norm(ch), start, end: offset });
    }
    return pieces;
  }
  const pattern = settings.punctuation === 'keep' ? WORD_PIECES_KEEP : WORD_PIECES;
  for (const m of text.matchAll(pattern)) {
    const token = m[0];
    if (settings.punctuation === 'strip' && PUNCTUATION.test(token)) continue;
    pieces.push({ token: norm(token), start: m.index, end: m.index + token.length });
  }
  return pieces;
}

export class Tokenizer {
  private readonly ids: Map<string, number>;
  /** MASK_ID when the vocabulary has the mask token, else null. */
  readonly maskId: number | null;

  private constructor(
    readonly settings: TokenizerSettings,
    readonly vocab: readonly string[],
    readonly prependCls: boolean,
    mask: boolean,
  ) {
    this.maskId = mask ? MASK_ID : null;
    const firstWord = SPECIAL_TOKENS.length + (mask ? 1 : 0);
    // Specials are never looked up from text: "<pad>" or "<mask>" typed in a file is just text.
    this.ids = new Map(vocab.map((t, i) => [t, i] as [string, number]).filter(([, i]) => i >= firstWord));
  }

  /** The ids a model never predicts and masking never picks: <pad>, <unk>, <cls>, and <mask> when there is one. */
  get specialIds(): number[] {
    const ids: number[] = SPECIAL_TOKENS.map((_, i) => i);
    if (this.maskId !== null) ids.push(this.maskId);
    return ids;
  }

  /**
   * Builds the vocabulary from training texts: the most frequent tokens
   * (ties broken alphabetically, so a fit is the same on every machine) up to
   * `vocabSize`, special tokens included. With `mask`, MASK_TOKEN follows the
   * three specials (a masked-language model's tokenizer).
   */
  static fit(texts: Iterable<string>, settings: TokenizerSettings, options: { prependCls?: boolean; mask?: boolean } = {}): Tokenizer {
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const p of splitText(text, settings)) counts.set(p.token, (counts.get(p.token) ?? 0) + 1);
    }
    const specials: string[] = options.mask ? [...SPECIAL_TOKENS, MASK_TOKEN] : [...SPECIAL_TOKENS];
    for (const s of specials) counts.delete(s);
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const room = Math.max(0, settings.vocabSize - specials.length);
    const vocab = [...specials, ...ranked.slice(0, room).map(([t]) => t)];
    return new Tokenizer({ ...settings }, vocab, options.prependCls ?? false, options.mask ?? false);
  }

  static fromJson(json: TokenizerJson): Tokenizer {
    if (json?.format !== 'modellab-tokenizer' || json.version !== 1) throw new Error('not a Model Lab tokenizer (tokenizer.json format 1)');
    SPECIAL_TOKENS.forEach((s, i) => {
      if (json.vocab[i] !== s) throw new Error(`tokenizer.json: id ${i} must be ${s}`);
    });
    const mask = json.mask === true;
    if (mask && json.vocab[MASK_ID] !== MASK_TOKEN) throw new Error(`tokenizer.json: "mask" is set, so id ${MASK_ID} must be ${MASK_TOKEN}`);
    return new Tokenizer(json.settings, json.vocab, json.prependCls, mask);
  }

  toJson(): TokenizerJson {
    const json: TokenizerJson = { format: 'modellab-tokenizer', version: 1, settings: this.settings, prependCls: this.prependCls, vocab: [...this.vocab] };
    if (this.maskId !== null) json.mask = true;
    return json;
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  tokenId(token: string): number {
    return this.ids.get(token) ?? UNK_ID;
  }

  /** Text → pieces (with <cls> first when the model pools it), before truncation and padding. */
  pieces(text: string): (TextPiece | null)[] {
    const pieces: (TextPiece | null)[] = splitText(text, this.settings);
    if (this.prependCls) pieces.unshift(null);
    return pieces;
  }

  /**
   * Encodes one text to exactly `length` ids (default: the fitted maxLength):
   * truncated at the end when longer, padded with <pad> when shorter.
   */
  encode(text: string, length = this.settings.maxLength, options: { pad?: boolean } = {}): Encoding {
    const all = this.pieces(text);
    const kept = all.slice(0, length);
    const size = options.pad === false ? kept.length : length;
    const ids = new Int32Array(size); // zero-filled: PAD_ID
    kept.forEach((p, i) => (ids[i] = p === null ? CLS_ID : this.tokenId(p.token)));
    return { ids, length: kept.length, truncated: all.length > length, pieces: kept };
  }

  /** Every token of a text as ids, no truncation (a language model's corpus). */
  encodeAll(text: string): Int32Array {
    const pieces = splitText(text, this.settings);
    const ids = new Int32Array(pieces.length);
    pieces.forEach((p, i) => (ids[i] = this.tokenId(p.token)));
    return ids;
  }

  /** The label of an id, for heatmap axes and generated text. */
  token(id: number): string {
    return this.vocab[id] ?? UNK_TOKEN;
  }

  /**
   * Ids → text. Padding and <cls> are dropped. Characters are joined as they
   * are; words with spaces, except around CJK characters and before closing
   * punctuation, so "你好，world!" reads as it was written.
   */
  decode(ids: Iterable<number>): string {
    const tokens: string[] = [];
    for (const id of ids) if (id !== PAD_ID && id !== CLS_ID) tokens.push(this.token(id));
    if (this.settings.type === 'char') return tokens.join('');
    let out = '';
    let prev = '';
    for (const t of tokens) {
      if (out !== '' && needsSpace(prev, t)) out += ' ';
      out += t;
      prev = t;
    }
    return out;
  }
}

const NO_SPACE_BEFORE = new Set([',', '.', '!', '?', ';', ':', ')', ']', '}', '%', '"', "'", '…', '，', '。', '！', '？', '；', '：', '）', '、', '」', '』', '》']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '$', '#', '@', '（', '「', '『', '《', '，', '。', '！', '？', '；', '：', '、', '」', '』', '》', '）']);

function needsSpace(prev: string, next: string): boolean {
  if (isCjk(prev) || isCjk(next)) return false;
  if (NO_SPACE_BEFORE.has(next) || NO_SPACE_AFTER.has(prev)) return false;
  return true;
}
