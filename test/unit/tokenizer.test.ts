import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLS_ID, MASK_ID, MASK_TOKEN, PAD_ID, splitText, Tokenizer, UNK_ID } from '../../src/core/tokenizer';
import type { TokenizerSettings } from '../../src/core/tokenizer';

const WORDS: TokenizerSettings = { type: 'word', lowercase: true, punctuation: 'split', vocabSize: 100, maxLength: 16 };
const CHARS: TokenizerSettings = { type: 'char', lowercase: false, punctuation: 'keep', vocabSize: 100, maxLength: 16 };

const tokens = (text: string, s: Partial<TokenizerSettings> = {}) => splitText(text, { ...WORDS, ...s }).map((p) => p.token);

test('English words: lower-cased, punctuation split off, apostrophes and hyphens kept inside words', () => {
  assert.deepEqual(tokens("Hello, World! Don't stop the e-mail."), ['hello', ',', 'world', '!', "don't", 'stop', 'the', 'e-mail', '.']);
  assert.deepEqual(tokens('Hello, World!', { punctuation: 'strip' }), ['hello', 'world']);
  assert.deepEqual(tokens('Hello, World!', { punctuation: 'keep', lowercase: false }), ['Hello,', 'World!']);
});

test('Chinese: every Han character is a token in word mode, full-width punctuation split off', () => {
  assert.deepEqual(tokens('我要退款，谢谢！'), ['我', '要', '退', '款', '，', '谢', '谢', '！']);
  assert.deepEqual(tokens('我要退款，谢谢！', { punctuation: 'strip' }), ['我', '要', '退', '款', '谢', '谢']);
  // Kana and Hangul too, even with punctuation kept
  assert.deepEqual(tokens('東京へ行きます。', { punctuation: 'keep' }), ['東', '京', 'へ', '行', 'き', 'ま', 'す', '。']);
  assert.deepEqual(tokens('안녕 하세요'), ['안', '녕', '하', '세', '요']);
});

test('mixed Chinese and English: CJK characters split, English words whole, numbers and symbols kept', () => {
  assert.deepEqual(tokens('我的 Order #12345 到哪了?'), ['我', '的', 'order', '#', '12345', '到', '哪', '了', '?']);
  assert.deepEqual(tokens('买了iPhone15吗'), ['买', '了', 'iphone15', '吗']);
});

test('offsets point back into the original text, in UTF-16 units', () => {
  const text = 'Hi 😀 你好, World';
  for (const settings of [WORDS, CHARS]) {
    for (const p of splitText(text, settings)) {
      assert.equal(settings.lowercase ? text.slice(p.start, p.end).toLowerCase() : text.slice(p.start, p.end), p.token);
    }
  }
  // characters are code points: the emoji (a surrogate pair) is one token
  assert.deepEqual(
    splitText('a😀b', CHARS).map((p) => [p.token, p.start, p.end]),
    [['a', 0, 1], ['😀', 1, 3], ['b', 3, 4]],
  );
});

test('characters: spaces and newlines are tokens, "\\r\\n" is one newline, punctuation can be stripped', () => {
  assert.deepEqual(splitText('Hi 你好\r\n!', CHARS).map((p) => p.token), ['H', 'i', ' ', '你', '好', '\n', '!']);
  assert.deepEqual(splitText('a, b.', { ...CHARS, punctuation: 'strip' }).map((p) => p.token), ['a', ' ', 'b']);
});

test('fitting keeps the most frequent tokens up to vocabSize, ties alphabetical, specials first', () => {
  const t = Tokenizer.fit(['b a a c', 'a b d', 'e'], { ...WORDS, vocabSize: 6 });
  assert.deepEqual(t.vocab, ['<pad>', '<unk>', '<cls>', 'a', 'b', 'c']);
  assert.equal(t.tokenId('d'), UNK_ID); // cut by vocabSize
  assert.equal(t.tokenId('<pad>'), UNK_ID); // specials are never read from text
  const again = Tokenizer.fit(['e', 'a b d', 'b a a c'], { ...WORDS, vocabSize: 6 });
  assert.deepEqual(again.vocab, t.vocab, 'the order of the texts does not change the vocabulary');
});

test('encoding pads with <pad>, truncates at the end, and says so', () => {
  const t = Tokenizer.fit(['one two three four five'], WORDS);
  const short = t.encode('one two', 5);
  assert.deepEqual(Array.from(short.ids), [t.tokenId('one'), t.tokenId('two'), PAD_ID, PAD_ID, PAD_ID]);
  assert.equal(short.length, 2);
  assert.equal(short.truncated, false);
  const long = t.encode('one two three four five', 3);
  assert.deepEqual(Array.from(long.ids), ['one', 'two', 'three'].map((w) => t.tokenId(w)));
  assert.equal(long.truncated, true);
  assert.equal(t.encode('one two', 5, { pad: false }).ids.length, 2);
  assert.equal(t.encode('ONE unknown', 4).ids[1], UNK_ID);
});

test('a classifier pooling the first token gets <cls> before every text', () => {
  const t = Tokenizer.fit(['hello world'], WORDS, { prependCls: true });
  const e = t.encode('hello world', 4);
  assert.deepEqual(Array.from(e.ids), [CLS_ID, t.tokenId('hello'), t.tokenId('world'), PAD_ID]);
  assert.equal(e.pieces[0], null);
});

test('decoding: characters joined as they are; words with spaces, but none around CJK or before closing punctuation', () => {
  const words = Tokenizer.fit(['hello , world ! 你 好 ， 世 界 。 ( ok )'], WORDS);
  assert.equal(words.decode(words.encode('Hello, world! 你好，世界。(ok)', 16, { pad: false }).ids), 'hello, world!你好，世界。(ok)');
  assert.equal(words.decode([CLS_ID, words.tokenId('hello'), PAD_ID]), 'hello');
  const chars = Tokenizer.fit(['Hi 你好\n'], CHARS);
  assert.equal(chars.decode(chars.encodeAll('Hi 你好\nHi')), 'Hi 你好\nHi');
});

test('tokenizer.json round trip encodes the same way; a foreign file is refused', () => {
  const t = Tokenizer.fit(['我的 order 到了吗', 'where is my order'], { ...WORDS, vocabSize: 50 }, { prependCls: true });
  const back = Tokenizer.fromJson(JSON.parse(JSON.stringify(t.toJson())));
  const text = '我的 order 在哪? where';
  assert.deepEqual(Array.from(back.encode(text).ids), Array.from(t.encode(text).ids));
  assert.deepEqual(back.settings, t.settings);
  assert.throws(() => Tokenizer.fromJson({ format: 'something-else' } as never), /not a Model Lab tokenizer/);
});

test('a tokenizer.json written before the mask token (no "mask" field) loads and encodes exactly as before', () => {
  // Verbatim the shape of a run's model/tokenizer.json from before issue #17: three specials, then words.
  const old = JSON.parse(
    '{"format":"modellab-tokenizer","version":1,"settings":{"type":"word","lowercase":true,"punctuation":"split","vocabSize":12,"maxLength":8},' +
      '"prependCls":true,"vocab":["<pad>","<unk>","<cls>","order","my","<mask>","where","is","我","的","?","到"]}',
  );
  const t = Tokenizer.fromJson(old);
  assert.equal(t.maskId, null);
  assert.deepEqual(t.specialIds, [0, 1, 2]);
  // "<mask>" was an ordinary word of that vocabulary (punctuation kept would make it one token): still id 5.
  assert.equal(t.tokenId('<mask>'), 5);
  assert.deepEqual(Array.from(t.encode('Where is my order? 我的 parcel').ids), [2, 6, 7, 4, 3, 10, 8, 9]);
  assert.deepEqual(t.toJson(), old, 'written back byte for byte the same object (no mask field added)');
});

test('a masked-language tokenizer has <mask> at MASK_ID right after the specials, never read from text, and keeps it through tokenizer.json', () => {
  const t = Tokenizer.fit(['my order <mask> late', 'my order is late'], { ...WORDS, punctuation: 'keep', vocabSize: 8 }, { mask: true });
  assert.equal(MASK_ID, 3);
  assert.equal(t.vocab[MASK_ID], MASK_TOKEN);
  assert.equal(t.maskId, MASK_ID);
  assert.deepEqual(t.specialIds, [PAD_ID, UNK_ID, CLS_ID, MASK_ID]);
  assert.equal(t.vocab.filter((v) => v === MASK_TOKEN).length, 1, 'the typed <mask> is not counted as a word');
  assert.equal(t.vocab.length, 8);
  assert.equal(t.tokenId('<mask>'), UNK_ID, 'typed text never becomes the mask token');
  const json = JSON.parse(JSON.stringify(t.toJson()));
  assert.equal(json.mask, true);
  const back = Tokenizer.fromJson(json);
  assert.equal(back.maskId, MASK_ID);
  assert.deepEqual(Array.from(back.encode('my order is late').ids), Array.from(t.encode('my order is late').ids));
  assert.throws(() => Tokenizer.fromJson({ ...json, vocab: ['<pad>', '<unk>', '<cls>', 'order', MASK_TOKEN] }), /id 3 must be <mask>/);
});
