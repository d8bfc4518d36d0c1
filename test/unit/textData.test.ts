import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shuffleInPlace, seededRng } from '../../src/core/random';
import { DataError } from '../../src/core/table';
import type { Table } from '../../src/core/table';
import { labelledTexts, sortLabels, splitCorpus } from '../../src/core/textData';

const numbered = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('a corpus of 20 or more paragraphs is dealt out by paragraph, in the seeded order', () => {
  const paras = numbered(20, 'para ');
  const text = paras.join('\n \t\n\n');
  const s = splitCorpus('c.txt', text, 0.1, 0.1, 5, false);
  assert.equal(s.file, 'c.txt');
  assert.equal(s.train, paras.slice(0, 16).join('\n\n'));
  assert.equal(s.validation, paras.slice(16, 18).join('\n\n'));
  assert.equal(s.test, paras.slice(18).join('\n\n'));
  const order = shuffleInPlace(paras.map((_, i) => i), seededRng(5));
  const shuffled = splitCorpus('c.txt', text, 0.1, 0.1, 5);
  assert.equal(shuffled.train, order.slice(0, 16).map((i) => paras[i]).join('\n\n'));
  assert.equal(shuffled.test, order.slice(18).map((i) => paras[i]).join('\n\n'));
});

test('fewer paragraphs: by line when there are 20 lines or more', () => {
  const lines = numbered(20, 'line ');
  const s = splitCorpus('c.txt', lines.join('\n') + '\n\n  \n', 0.25, 0, 1, false);
  assert.equal(s.train, lines.slice(0, 15).join('\n'));
  assert.equal(s.validation, lines.slice(15).join('\n'));
  assert.equal(s.test, undefined);
  // 19 paragraphs of one line each, so 19 lines: cut into pieces instead (here of one
  // character, as the text is under 100; the pieces that are only a line break are dropped)
  const few = splitCorpus('c.txt', numbered(19, 'p').join('\n\n'), 0, 0, 1, false);
  assert.equal(few.train, numbered(19, 'p').join(''));
  assert.equal(few.validation, undefined);
});

test('a short text is cut into about 100 pieces that end at spaces, joined back exactly', () => {
  const words = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ');
  const whole = splitCorpus('c.txt', words, 0, 0, 1, false);
  assert.equal(whole.train, words);
  const s = splitCorpus('c.txt', words, 0.1, 0.1, 1, false);
  assert.equal(s.train + s.validation + s.test, words);
  // pieces end after a space: each split but the last ends with one
  assert.ok(s.train.endsWith(' ') && s.validation!.endsWith(' '));
  assert.ok(!s.test!.startsWith(' '));
  // about 100 pieces: 10% of them is about a tenth of the text
  assert.ok(Math.abs(s.test!.length - words.length / 10) < words.length / 20, `${s.test!.length}`);
  // without spaces the pieces are of equal size
  const solid = 'x'.repeat(1000);
  const t = splitCorpus('c.txt', solid, 0.5, 0, 1, false);
  assert.equal(t.train.length, 500);
  assert.equal(t.validation!.length, 500);
  // a text shorter than 100 characters: pieces of one character
  const tiny = splitCorpus('c.txt', 'abcdefghij', 0.2, 0.2, 1, false);
  assert.deepEqual([tiny.train, tiny.validation, tiny.test], ['abcdef', 'gh', 'ij']);
});

test('too short to split: an error naming the file', () => {
  assert.throws(() => splitCorpus('c.txt', 'a', 0.5, 0.5, 1), (e: unknown) => e instanceof DataError && e.message === 'c.txt: the text is too short to split into training, validation and test parts');
  assert.throws(() => splitCorpus('c.txt', '   ', 0, 0, 1), /too short/);
});

test('labelled texts: rows without text or label are skipped and counted', () => {
  const t: Table = {
    file: 'd.csv',
    columns: ['t', 'y'],
    rows: [{ t: 'good', y: 'pos' }, { t: '  ', y: 'neg' }, { t: null, y: 'neg' }, { t: 'bad', y: null }, { y: 'neg' }, { t: 42, y: 1 }, { t: 'meh' }],
    lines: [2, 3, 4, 5, 6, 7, 8],
  };
  assert.deepEqual(labelledTexts(t, 't', 'y'), { file: 'd.csv', texts: ['good', '42'], labels: ['pos', '1'], lines: [2, 7], skipped: 5 });
});

test('labels sort numerically when numbers, else alphabetically, once each', () => {
  assert.deepEqual(sortLabels(['10', '9', '2', '9']), ['2', '9', '10']);
  assert.deepEqual(sortLabels(['b', 'a', 'c', 'a']), ['a', 'b', 'c']);
  assert.deepEqual(sortLabels(['b', '1', 'a']), ['1', 'a', 'b']);
  assert.deepEqual(sortLabels([]), []);
  assert.deepEqual(sortLabels(['-1', '0.5', '-2']), ['-2', '-1', '0.5']);
});
