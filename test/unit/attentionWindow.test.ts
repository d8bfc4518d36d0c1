import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateTokens, windowAroundCursor } from '../../src/host/attention/attentionWindow';

test('token estimates: words and punctuation, every CJK character, or every character', () => {
  assert.equal(estimateTokens('Hello, world!', false), 4);
  assert.equal(estimateTokens('我想退款', false), 4);
  assert.equal(estimateTokens('refund 我的订单 please.', false), 7);
  assert.equal(estimateTokens('ab c', true), 4);
});

test('the window holds the cursor line, some lines above, and fills the budget below', () => {
  const lines = Array.from({ length: 100 }, (_, i) => `line number ${i}`); // 3 tokens each
  const w = windowAroundCursor(lines, 50, 30, false);
  assert.ok(w.startLine <= 51 && w.endLine >= 51);
  assert.equal(w.endLine - w.startLine + 1, 10, 'ten lines of three tokens');
  assert.ok(51 - w.startLine <= 3, 'at most a quarter of the budget above');
  assert.equal(w.text.split('\n')[51 - w.startLine], 'line number 50');
  assert.equal(w.selection, false);
});

test('near the end of the file the window grows upwards; a short file is taken whole', () => {
  const lines = Array.from({ length: 100 }, (_, i) => `line number ${i}`);
  const w = windowAroundCursor(lines, 99, 30, false);
  assert.deepEqual([w.startLine, w.endLine], [91, 100]);
  const short = windowAroundCursor(['一二三', 'four five'], 0, 128, false);
  assert.deepEqual(short, { text: '一二三\nfour five', startLine: 1, endLine: 2, selection: false });
  assert.deepEqual(windowAroundCursor([], 0, 128, false), { text: '', startLine: 1, endLine: 1, selection: false });
});

test('a line longer than the budget is still taken (the model truncates it)', () => {
  const w = windowAroundCursor(['a', 'word '.repeat(500), 'b'], 1, 128, false);
  assert.deepEqual([w.startLine, w.endLine], [2, 2]);
});
