import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosineNeighbours, pca2 } from '../../src/core/projection';

test('PCA finds the direction the rows spread along, and the share of variance each axis explains', () => {
  // Rows t·u + s·w in 3-D, with u = (1, 2, 0)/√5, w = (−2, 1, 0)/√5 and the third value constant:
  // t spreads widely (−10..10), s a little (±1), so the first axis is t and the second s.
  const u = [1 / Math.sqrt(5), 2 / Math.sqrt(5), 0];
  const w = [-2 / Math.sqrt(5), 1 / Math.sqrt(5), 0];
  const ts = Array.from({ length: 21 }, (_, i) => i - 10);
  const ss = ts.map((t, i) => (i % 2 === 0 ? 1 : -1) * (t % 3 === 0 ? 0.5 : 1));
  const data: number[] = [];
  ts.forEach((t, i) => data.push(...u.map((x, d) => t * x + ss[i] * w[d] + (d === 2 ? 7 : 0))));
  const { points, explained } = pca2(data, ts.length, 3);
  const meanT = ts.reduce((a, b) => a + b) / ts.length;
  const meanS = ss.reduce((a, b) => a + b) / ss.length;
  ts.forEach((t, i) => {
    assert.ok(Math.abs(points[i][0] - (t - meanT)) < 1e-6, `row ${i}: x ${points[i][0]} is t ${t}`);
    // The second axis is ±s (its sign is fixed by the component's largest entry: w's is 1/√5·… → −2/√5 is largest, so −w).
    assert.ok(Math.abs(Math.abs(points[i][1]) - Math.abs(ss[i] - meanS)) < 1e-6, `row ${i}: y ${points[i][1]} is ±s ${ss[i]}`);
  });
  const varT = ts.reduce((a, t) => a + (t - meanT) ** 2, 0);
  const varS = ss.reduce((a, s) => a + (s - meanS) ** 2, 0);
  assert.ok(Math.abs(explained[0] - varT / (varT + varS)) < 1e-9);
  assert.ok(Math.abs(explained[1] - varS / (varT + varS)) < 1e-9);
  // The same table, the same picture.
  assert.deepEqual(pca2(data, ts.length, 3), { points, explained });
});

test('cosine neighbours: nearest first, a zero row has none and is no one\'s', () => {
  const data = [1, 0, 0.9, 0.1, 0, 1, -1, 0, 0, 0];
  const { indexes, similarities } = cosineNeighbours(data, 5, 2, 3);
  assert.deepEqual(indexes[0], [1, 2, 3]);
  assert.ok(Math.abs(similarities[0][0] - 0.9 / Math.hypot(0.9, 0.1)) < 1e-12);
  assert.equal(similarities[0][1], 0);
  assert.equal(similarities[0][2], -1);
  assert.deepEqual(indexes[2], [1, 0, 3]);
  assert.deepEqual(indexes[4], []);
  assert.ok(indexes.every((list) => !list.includes(4)));
  // k larger than the other rows: every other row once.
  assert.deepEqual(cosineNeighbours([1, 0, 0, 1], 2, 2, 8).indexes, [[1], [0]]);
});
