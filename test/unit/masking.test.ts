import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskBatch, maskingRng, MASK_SPLIT } from '../../src/core/masking';
import type { MaskingOptions } from '../../src/core/masking';
import { seededRng } from '../../src/core/random';
import { CLS_ID, MASK_ID, PAD_ID, UNK_ID } from '../../src/core/tokenizer';

const VOCAB = 50;
const OPTIONS: MaskingOptions = { share: 0.15, vocabSize: VOCAB, maskId: MASK_ID, specialIds: [PAD_ID, UNK_ID, CLS_ID, MASK_ID] };

/** `rows` sequences of `length`: <cls>, then words and a few <unk>, then padding after a random length (some rows empty). */
function batch(rows: number, length: number, seed: number): Int32Array {
  const rng = seededRng(seed);
  const ids = new Int32Array(rows * length);
  for (let r = 0; r < rows; r++) {
    const used = r % 17 === 16 ? 0 : 1 + Math.floor(rng() * length);
    for (let p = 0; p < used; p++) ids[r * length + p] = p === 0 ? CLS_ID : rng() < 0.05 ? UNK_ID : 4 + Math.floor(rng() * (VOCAB - 4));
  }
  return ids;
}

test('the same seed and epoch give the same masks; another epoch or seed gives others', () => {
  const ids = batch(32, 24, 1);
  const a = maskBatch(ids, 32, 24, OPTIONS, maskingRng(7, 3));
  const b = maskBatch(ids, 32, 24, OPTIONS, maskingRng(7, 3));
  assert.deepEqual(a, b);
  const nextEpoch = maskBatch(ids, 32, 24, OPTIONS, maskingRng(7, 4));
  const otherSeed = maskBatch(ids, 32, 24, OPTIONS, maskingRng(8, 3));
  const differ = (x: Float32Array, y: Float32Array) => x.reduce((n, w, i) => n + (w !== y[i] ? 1 : 0), 0);
  assert.ok(differ(a.weights, nextEpoch.weights) > 20, `epoch 4 chose ${differ(a.weights, nextEpoch.weights)} different positions`);
  assert.ok(differ(a.weights, otherSeed.weights) > 20);
  assert.deepEqual(Array.from(ids), Array.from(batch(32, 24, 1)), 'the input is not changed');
});

test('special tokens and padding are never chosen; every non-empty sequence has at least one; targets are the original ids', () => {
  const rows = 200;
  const length = 12;
  const ids = batch(rows, length, 2);
  for (let epoch = 0; epoch < 5; epoch++) {
    const m = maskBatch(ids, rows, length, OPTIONS, maskingRng(1, epoch));
    for (let r = 0; r < rows; r++) {
      let maskable = 0;
      let chosen = 0;
      for (let p = r * length; p < (r + 1) * length; p++) {
        const special = OPTIONS.specialIds.includes(ids[p]);
        if (!special) maskable++;
        if (m.weights[p] === 1) {
          chosen++;
          assert.ok(!special, `row ${r} position ${p - r * length}: special id ${ids[p]} chosen`);
          assert.equal(m.targets[p], ids[p]);
        } else {
          assert.equal(m.weights[p], 0);
          assert.equal(m.targets[p], 0);
          assert.equal(m.ids[p], ids[p], 'an unchosen position is left as it was');
        }
      }
      if (maskable > 0) assert.ok(chosen >= 1, `row ${r} has ${maskable} tokens and none chosen`);
      else assert.equal(chosen, 0);
    }
  }
});

test('the share is honoured over many sequences (within 4 standard deviations), for 15% and 40%', () => {
  const rows = 2000;
  const length = 40;
  const ids = new Int32Array(rows * length);
  const rng = seededRng(3);
  // Every sequence long enough (≥ 20 maskable tokens) that "at least one" never lifts the count.
  for (let r = 0; r < rows; r++) {
    const used = 20 + Math.floor(rng() * 21);
    for (let p = 0; p < used; p++) ids[r * length + p] = 4 + Math.floor(rng() * (VOCAB - 4));
  }
  const maskable = ids.reduce((n, id) => n + (id !== PAD_ID ? 1 : 0), 0);
  for (const share of [0.15, 0.4]) {
    const m = maskBatch(ids, rows, length, { ...OPTIONS, share }, maskingRng(5, 0));
    const chosen = m.weights.reduce((a, w) => a + w, 0);
    assert.equal(chosen, m.chosen);
    // k = floor(share·n + u): per row the count varies by at most one (a Bernoulli, variance ≤ 1/4).
    const bound = 4 * Math.sqrt(rows / 4);
    assert.ok(Math.abs(chosen - share * maskable) < bound, `share ${share}: chose ${chosen} of ${maskable} (expected ${share * maskable} ± ${bound.toFixed(1)})`);
  }
});

test('80% of the chosen tokens become <mask>, 10% a random non-special token, 10% stay', () => {
  const rows = 3000;
  const length = 30;
  const ids = new Int32Array(rows * length);
  const rng = seededRng(4);
  for (let i = 0; i < ids.length; i++) ids[i] = 4 + Math.floor(rng() * (VOCAB - 4));
  const m = maskBatch(ids, rows, length, OPTIONS, maskingRng(9, 2));
  let masked = 0;
  let replaced = 0;
  let kept = 0;
  const replacements = new Set<number>();
  for (let p = 0; p < ids.length; p++) {
    if (m.weights[p] !== 1) continue;
    if (m.ids[p] === MASK_ID) masked++;
    else if (m.ids[p] === ids[p]) kept++;
    else {
      replaced++;
      replacements.add(m.ids[p]);
      assert.ok(!OPTIONS.specialIds.includes(m.ids[p]), `a random replacement was the special id ${m.ids[p]}`);
    }
  }
  const n = m.chosen;
  assert.ok(n > 10000);
  // A random replacement equal to the original (1 in 46) counts as kept: 10% + 10%/46 kept, 10%·45/46 replaced.
  const expect = { masked: MASK_SPLIT.mask, replaced: MASK_SPLIT.random * (45 / 46), kept: 0.1 + MASK_SPLIT.random / 46 };
  for (const [name, count] of Object.entries({ masked, replaced, kept })) {
    const p = expect[name as keyof typeof expect];
    const sd = Math.sqrt((n * p * (1 - p)));
    assert.ok(Math.abs(count - n * p) < 4 * sd, `${name}: ${count} of ${n}, expected ${(n * p).toFixed(0)} ± ${(4 * sd).toFixed(0)}`);
  }
  assert.equal(replacements.size, VOCAB - 4, 'random replacements cover every word of the vocabulary');
});

test('bad input is refused, saying what', () => {
  assert.throws(() => maskBatch(new Int32Array(5), 2, 3, OPTIONS, maskingRng(1, 0)), /5 ids are not 2 rows of 3/);
  assert.throws(() => maskBatch(new Int32Array(6), 2, 3, { ...OPTIONS, share: 0 }, maskingRng(1, 0)), /share must be in \(0, 1\]/);
  assert.throws(() => maskBatch(new Int32Array(6), 2, 3, { ...OPTIONS, vocabSize: 4 }, maskingRng(1, 0)), /no token that is not special/);
});
