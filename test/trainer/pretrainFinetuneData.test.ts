// The data of examples/pretrain-finetune (issue #17, section 4): written by
// scripts/make-text-examples.mjs, the same bytes on every run (so the files in
// git are the generator's), with no labelled message — above all no test
// message — in the unlabelled pretraining corpus, and the example's 10% the
// benchmark's seed-1 share.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { corpusKey } from '../../scripts/corpusKey.mjs';
import { labelSubset } from '../../scripts/labelSubset.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const DATA = 'examples/pretrain-finetune/data';
const FILES = ['examples/intent-classifier/data/intents.jsonl', 'examples/text-generator/data/corpus.txt', ...['train.jsonl', 'validation.jsonl', 'test.jsonl', 'train-10pct.jsonl', 'unlabelled.txt'].map((f) => `${DATA}/${f}`)];

interface Row {
  text: string;
  intent: string;
}
const jsonl = (text: string): Row[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Row);

describe('the pretrain-finetune example data', () => {
  const outs: string[] = [];
  before(() => {
    for (let i = 0; i < 2; i++) {
      const out = mkdtempSync(join(tmpdir(), 'modellab-text-examples-'));
      execFileSync(process.execPath, [join(root, 'scripts/make-text-examples.mjs'), '--out', out]);
      outs.push(out);
    }
  });
  after(() => {
    for (const out of outs) rmSync(out, { recursive: true, force: true });
  });

  it('is written the same twice, and equals the files in the repository byte for byte (the intent classifier\'s too)', () => {
    assert.deepEqual(readdirSync(join(outs[0], DATA)).sort(), ['test.jsonl', 'train-10pct.jsonl', 'train.jsonl', 'unlabelled.txt', 'validation.jsonl']);
    for (const file of FILES) {
      const first = readFileSync(join(outs[0], file));
      assert.ok(first.length > 0, file);
      assert.ok(first.equals(readFileSync(join(outs[1], file))), `${file} differs between two runs of the generator`);
      assert.ok(first.equals(readFileSync(join(root, file))), `${file} in the repository is not what the generator writes (run node scripts/make-text-examples.mjs)`);
    }
  });

  it('has 1,600 / 400 / 800 labelled messages over the 8 intents, 16,000 unlabelled ones, small enough for git', () => {
    const dir = join(outs[0], DATA);
    const parts = Object.fromEntries(['train', 'validation', 'test'].map((p) => [p, jsonl(readFileSync(join(dir, `${p}.jsonl`), 'utf8'))]));
    assert.deepEqual([parts.train.length, parts.validation.length, parts.test.length], [1600, 400, 800]);
    const intents = new Set(parts.train.map((r) => r.intent));
    assert.equal(intents.size, 8);
    for (const rows of Object.values(parts)) for (const r of rows) assert.ok(typeof r.text === 'string' && r.text.length > 0 && intents.has(r.intent), JSON.stringify(r));
    // Both languages in every part.
    for (const [name, rows] of Object.entries(parts)) {
      const chinese = rows.filter((r) => /\p{Script=Han}/u.test(r.text)).length / rows.length;
      assert.ok(chinese > 0.3 && chinese < 0.6, `${name}: ${chinese} Chinese`);
    }
    const unlabelled = readFileSync(join(dir, 'unlabelled.txt'), 'utf8').split('\n').slice(0, -1);
    assert.equal(unlabelled.length, 16000);
    assert.ok(unlabelled.every((l) => l.trim() !== '' && !l.includes('\n')));
    const bytes = readdirSync(dir).reduce((n, f) => n + readFileSync(join(dir, f)).length, 0);
    assert.ok(bytes < 3_000_000, `${bytes} bytes`);
  });

  it('keeps every labelled message out of the unlabelled corpus, verbatim and up to case, spaces and punctuation', () => {
    const dir = join(outs[0], DATA);
    const corpus = readFileSync(join(dir, 'unlabelled.txt'), 'utf8').split('\n').slice(0, -1);
    const verbatim = new Set(corpus);
    const keys = new Set(corpus.map(corpusKey));
    const labelled = ['train', 'validation', 'test'].flatMap((p) => jsonl(readFileSync(join(dir, `${p}.jsonl`), 'utf8')).map((r) => ({ part: p, text: r.text })));
    for (const { part, text } of labelled) {
      assert.ok(!verbatim.has(text), `${part} message in the corpus: ${text}`);
      assert.ok(!keys.has(corpusKey(text)), `${part} message in the corpus up to case and punctuation: ${text}`);
    }
    // The test split shares no message with the training or validation split either.
    const testKeys = new Set(labelled.filter((l) => l.part === 'test').map((l) => corpusKey(l.text)));
    assert.equal(labelled.filter((l) => l.part !== 'test' && testKeys.has(corpusKey(l.text))).length, 0);
    // The key is not vacuous: the same message in other case and punctuation has the same key, another message another.
    assert.equal(corpusKey('Where is my order #12345?'), corpusKey('where is  my order 12345'));
    assert.notEqual(corpusKey('where is my order 12345'), corpusKey('where is my order 12346'));
  });

  it('draws the example\'s 10% as the benchmark\'s seed-1 share: a tenth of each intent, in file order', () => {
    const dir = join(outs[0], DATA);
    const train = jsonl(readFileSync(join(dir, 'train.jsonl'), 'utf8'));
    const tenth = jsonl(readFileSync(join(dir, 'train-10pct.jsonl'), 'utf8'));
    assert.deepEqual(tenth, labelSubset(train, (r) => r.intent, 0.1, 1));
    const count = (rows: Row[]) => {
      const counts: Record<string, number> = {};
      for (const r of rows) counts[r.intent] = (counts[r.intent] ?? 0) + 1;
      return counts;
    };
    // Each intent's own 10% (about 200 messages each: a coin-toss message goes to either of its two intents).
    const expected = Object.fromEntries(Object.entries(count(train)).map(([intent, n]) => [intent, Math.round(n / 10)]));
    assert.deepEqual(count(tenth), expected);
    assert.ok(Object.values(expected).every((n) => n >= 18 && n <= 22), JSON.stringify(expected));
    const positions = tenth.map((r) => train.findIndex((t) => t.text === r.text));
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
    // Another seed draws other rows; shares round per intent, at least one each.
    const other = labelSubset(train, (r) => r.intent, 0.1, 2);
    assert.notDeepEqual(other, tenth);
    assert.equal(labelSubset(train, (r) => r.intent, 0.05, 3).length, 80);
    assert.equal(labelSubset(train, (r) => r.intent, 0.001, 3).length, 8);
    assert.throws(() => labelSubset(train, (r) => r.intent, 0, 1), /share must be in \(0, 1\]/);
  });
});
