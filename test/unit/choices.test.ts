import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOneOf, listInWords } from '../../src/core/choices';

test('isOneOf: only a string that is a member', () => {
  const tasks = ['regression', 'classification'] as const;
  assert.equal(isOneOf(tasks, 'regression'), true);
  assert.equal(isOneOf(tasks, 'classification'), true);
  assert.equal(isOneOf(tasks, 'Regression'), false);
  assert.equal(isOneOf(tasks, ''), false);
  assert.equal(isOneOf(tasks, undefined), false);
  assert.equal(isOneOf(['1'], 1), false);
  assert.equal(isOneOf([] as string[], 'x'), false);
});

test('listInWords: "a, b or c", with another conjunction on request', () => {
  assert.equal(listInWords([]), '');
  assert.equal(listInWords(['a']), 'a');
  assert.equal(listInWords(['a', 'b']), 'a or b');
  assert.equal(listInWords(['a', 'b', 'c', 'd']), 'a, b, c or d');
  assert.equal(listInWords(['x', 'y', 'z'], 'and'), 'x, y and z');
});
