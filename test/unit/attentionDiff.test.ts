// The fine-tuned − base attention difference (#17 "What changed"): exact
// numbers per layer and head, the largest changes in words, and the cases
// where the two cannot be subtracted.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  attentionDifference,
  describeChange,
  differenceRange,
  firstTokenDifference,
  formatChange,
  largestChanges,
  matrixDifference,
  meanOfMaps,
} from '../../src/core/attentionDiff';
import type { AttentionResult } from '../../src/core/types';

function result(tokens: string[], attention: number[][][][]): AttentionResult {
  return { task: 'classification', tokens, offsets: tokens.map(() => null), attention, truncated: false };
}

const tokens = ['<cls>', 'order', 'late'];
// 2 layers × 2 heads, 3 × 3 rows summing to 1.
const baseMaps = [
  [
    [[0.5, 0.25, 0.25], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]],
    [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  ],
  [
    [[0.34, 0.33, 0.33], [0.34, 0.33, 0.33], [0.34, 0.33, 0.33]],
    [[0.25, 0.5, 0.25], [0.25, 0.5, 0.25], [0.25, 0.5, 0.25]],
  ],
];
const tunedMaps = [
  [
    [[0.5, 0.25, 0.25], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]],
    [[0.6, 0.4, 0], [0, 1, 0], [0, 0, 1]],
  ],
  [
    [[0.03, 0.33, 0.64], [0.34, 0.33, 0.33], [0.34, 0.33, 0.33]],
    [[0.25, 0.5, 0.25], [0.25, 0.5, 0.25], [0.5, 0.25, 0.25]],
  ],
];

function close(actual: number[][], expected: number[][]): void {
  actual.forEach((row, q) => row.forEach((v, k) => assert.ok(Math.abs(v - expected[q][k]) < 1e-12, `[${q}][${k}] ${v} vs ${expected[q][k]}`)));
}

test('the difference is fine-tuned − base for every layer and head', () => {
  const d = attentionDifference(result(tokens, tunedMaps), result(tokens, baseMaps));
  assert.equal(d.aligned, true);
  if (!d.aligned) return;
  assert.equal(d.diff.length, 2);
  assert.equal(d.diff[0].length, 2);
  close(d.diff[0][0], [[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
  close(d.diff[0][1], [[-0.4, 0.4, 0], [0, 0, 0], [0, 0, 0]]);
  close(d.diff[1][0], [[-0.31, 0, 0.31], [0, 0, 0], [0, 0, 0]]);
  close(d.diff[1][1], [[0, 0, 0], [0, 0, 0], [0.25, -0.25, 0]]);
  // Every row of a difference of two softmax rows sums to 0.
  for (const heads of d.diff) for (const map of heads) for (const row of map) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0)) < 1e-12);
});

test('tokens that differ (another tokenizer) are refused with the first differing position and both tokens', () => {
  const d = attentionDifference(result(['<cls>', 'order', 'late'], tunedMaps), result(['<cls>', 'ord', 'er'], baseMaps));
  assert.deepEqual(d, { aligned: false, reason: 'tokens', at: 1, baseToken: 'ord', tunedToken: 'order' });
  // One list a prefix of the other: they differ where the shorter one ends.
  assert.equal(firstTokenDifference(['a', 'b'], ['a', 'b', 'c']), 2);
  assert.equal(firstTokenDifference(['a', 'b'], ['a', 'b']), -1);
});

test('a different number of layers or heads is refused with both shapes', () => {
  const d = attentionDifference(result(tokens, tunedMaps), result(tokens, [baseMaps[0]]));
  assert.deepEqual(d, { aligned: false, reason: 'shape', baseShape: [1, 2], tunedShape: [2, 2] });
  assert.throws(() => matrixDifference([[1, 2]], [[1]]), /row 0: 2 vs 1 columns/);
  assert.throws(() => matrixDifference([[1]], []), /rows: 1 vs 0/);
});

test('the largest changes come by size with their tokens and signs, small ones left out', () => {
  const changes = largestChanges(baseMaps[1][0], tunedMaps[1][0], 5);
  assert.equal(changes.length, 2);
  assert.deepEqual(
    changes.map((c) => describeChange(c, tokens)),
    ['<cls> → <cls>: −0.31', '<cls> → late: +0.31'],
  );
  assert.equal(changes[1].base, 0.33);
  assert.equal(changes[1].tuned, 0.64);
  const layer0 = largestChanges(baseMaps[0][1], tunedMaps[0][1], 1);
  assert.deepEqual(layer0.map((c) => [c.query, c.key, formatChange(c.change)]), [[0, 0, '−0.40']]);
  assert.deepEqual(largestChanges(baseMaps[0][0], tunedMaps[0][0], 5), []);
  // The threshold is inclusive of what a user would see as a change (0.005 rounds to 0.01).
  assert.equal(largestChanges([[0.5, 0.5]], [[0.504, 0.496]], 5).length, 0);
  assert.equal(largestChanges([[0.5, 0.5]], [[0.51, 0.49]], 5).length, 2);
});

test('the range, the heads average and the change format', () => {
  assert.equal(differenceRange([[-0.4, 0.31], [0, 0.1]]), 0.4);
  assert.equal(differenceRange([]), 0);
  close(meanOfMaps([[[1, 0]], [[0, 1]]]), [[0.5, 0.5]]);
  assert.deepEqual(meanOfMaps([]), []);
  assert.equal(formatChange(0.314), '+0.31');
  assert.equal(formatChange(-0.004), '0.00');
  assert.equal(formatChange(-0.07), '−0.07');
  assert.equal(describeChange({ query: 0, key: 1, base: 0, tuned: 0.2, change: 0.2 }, ['a b', 'c'], (t) => t.replace(/ /g, '·')), 'a·b → c: +0.20');
});
