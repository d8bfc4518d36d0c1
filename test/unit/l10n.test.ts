// Every message the host shows and every dashboard string has a Simplified
// Chinese translation with the same placeholders, so nothing appears half
// translated; and every host message is a literal the bundle can be keyed by.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COMPARE_STRINGS } from '../../src/core/compareStringTable';
import { DEFAULT_STRINGS } from '../../src/core/dashboardStringTable';
import { LR_FINDER_STRINGS } from '../../src/core/lrFinderStringTable';
import { PIPELINE_PHRASES } from '../../src/core/pipelineStringTable';
import { TRAINER_LOG_MESSAGES } from '../../src/core/trainerLogTable';
import { findL10nCalls } from '../helpers/l10nMessages';

const root = join(import.meta.dirname, '../..');
const zh: Record<string, string> = JSON.parse(readFileSync(join(root, 'l10n/bundle.l10n.zh-cn.json'), 'utf8'));
const calls = findL10nCalls(join(root, 'src/host'));
const placeholders = (s: string) => [...s.matchAll(/\{\w+\}/g)].map((m) => m[0]).sort();

test('every vscode.l10n.t message in src/host is a string literal', () => {
  assert.ok(calls.length > 30, `only ${calls.length} calls found`);
  assert.deepEqual(calls.filter((c) => c.message === undefined).map((c) => `${c.file}:${c.line}`), []);
});

test('every host message has a Chinese translation with the same placeholders', () => {
  const missing = calls.filter((c) => !zh[c.message!]).map((c) => `${c.file}:${c.line} ${c.message}`);
  assert.deepEqual(missing, []);
  for (const c of calls) assert.deepEqual(placeholders(zh[c.message!]!), placeholders(c.message!), c.message);
});

test('every dashboard string has a Chinese translation with the same placeholders', () => {
  const missing = Object.entries(DEFAULT_STRINGS).filter(([, english]) => !zh[english]).map(([id]) => id);
  assert.deepEqual(missing, []);
  for (const english of Object.values(DEFAULT_STRINGS)) assert.deepEqual(placeholders(zh[english]!), placeholders(english), english);
});

test('every compare panel string has a Chinese translation with the same placeholders', () => {
  const missing = Object.entries(COMPARE_STRINGS).filter(([, english]) => !zh[english]).map(([id]) => id);
  assert.deepEqual(missing, []);
  for (const english of Object.values(COMPARE_STRINGS)) assert.deepEqual(placeholders(zh[english]!), placeholders(english), english);
});

test('every Find Learning Rate panel string has a Chinese translation with the same placeholders', () => {
  const missing = Object.entries(LR_FINDER_STRINGS).filter(([, english]) => !zh[english]).map(([id]) => id);
  assert.deepEqual(missing, []);
  for (const english of Object.values(LR_FINDER_STRINGS)) assert.deepEqual(placeholders(zh[english]!), placeholders(english), english);
});

test('every pipeline detail phrase has a Chinese translation with the same placeholders', () => {
  const missing = Object.entries(PIPELINE_PHRASES).filter(([, english]) => !zh[english]).map(([id]) => id);
  assert.deepEqual(missing, []);
  for (const english of Object.values(PIPELINE_PHRASES)) assert.deepEqual(placeholders(zh[english]!), placeholders(english), english);
});

test("every trainer log message has a Chinese translation with the same placeholders", () => {
  const missing = Object.entries(TRAINER_LOG_MESSAGES).filter(([, english]) => !zh[english]).map(([id]) => id);
  assert.deepEqual(missing, []);
  for (const english of Object.values(TRAINER_LOG_MESSAGES)) assert.deepEqual(placeholders(zh[english]!), placeholders(english), english);
});

test('the bundle holds each message once (JSON.parse would keep the last of two quietly)', () => {
  const keys = [...readFileSync(join(root, 'l10n/bundle.l10n.zh-cn.json'), 'utf8').matchAll(/^\s*("(?:[^"\\]|\\.)*")\s*:/gm)].map((m) => JSON.parse(m[1]) as string);
  assert.ok(keys.length >= Object.keys(zh).length && keys.length > 100, `${keys.length} keys read`);
  assert.deepEqual(keys.filter((k, i) => keys.indexOf(k) !== i), []);
});

test('the bundle holds no translation of a message that no longer exists', () => {
  const used = new Set<string>([...calls.map((c) => c.message!), ...Object.values(DEFAULT_STRINGS), ...Object.values(COMPARE_STRINGS), ...Object.values(LR_FINDER_STRINGS), ...Object.values(PIPELINE_PHRASES), ...Object.values(TRAINER_LOG_MESSAGES)]);
  assert.deepEqual(Object.keys(zh).filter((k) => !used.has(k)), []);
});

test('the CodeLens titles are exactly "Train this config" and "Open dashboard" in English', () => {
  assert.ok(calls.some((c) => c.message === 'Train this config'));
  assert.ok(calls.some((c) => c.message === 'Open dashboard'));
});
