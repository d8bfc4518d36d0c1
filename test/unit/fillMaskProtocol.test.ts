// The fill-mask messages' guards: the inference child's request and its
// reply (which crosses into the host and is drawn by the page as it is), and
// the dashboard's request from the page. Bad messages are refused with why.
//
// Run: node --import tsx --test test/unit/fillMaskProtocol.test.ts

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMaskMarkers, FILL_MASK_LIMITS, whyNotFillMaskResult } from '../../src/core/fillMask';
import { parseWebviewMessage } from '../../src/core/protocol/dashboard';
import type { FillMaskResult } from '../../src/core/fillMask';
import { isInferenceResponse, parseInferenceRequest, whyNotInferenceResponse } from '../../src/core/protocol/inference';

function result(): FillMaskResult {
  return {
    text: 'the parcel [MASK] late',
    tokens: ['the', '<unk>', '<mask>', 'late'],
    masks: [{ index: 0, tokenIndex: 2, start: 11, end: 17, candidates: [{ token: 'is', probability: 0.41 }, { token: 'was', probability: 0.22 }] }],
    unknown: [{ word: 'parcel', tokenIndex: 1, start: 4, end: 10 }],
  };
}

const reply = (r: unknown) => ({ type: 'fillMaskResult', requestId: 4, modelDir: '/runs/a/model', result: r, millis: 3, backend: 'wasm' });

test('masks are found as typed: [MASK] and <mask>, in any case, with where they are', () => {
  assert.deepEqual(findMaskMarkers('the order [MASK] late'), [{ start: 10, end: 16 }]);
  assert.deepEqual(findMaskMarkers('<Mask> was [mask].'), [{ start: 0, end: 6 }, { start: 11, end: 17 }]);
  assert.deepEqual(findMaskMarkers('no mask, [MAS K], <masked>, MASK'), []);
});

test('a fillMask request reaches the child only with a model folder, a text and a numeric topK', () => {
  assert.deepEqual(parseInferenceRequest({ type: 'fillMask', requestId: 1, modelDir: '/r', text: 'a [MASK]', topK: 3 }), { type: 'fillMask', requestId: 1, modelDir: '/r', text: 'a [MASK]', topK: 3 });
  assert.equal(parseInferenceRequest({ type: 'fillMask', requestId: 1, modelDir: '', text: 'a' }), "'fillMask': modelDir is not a path");
  assert.equal(parseInferenceRequest({ type: 'fillMask', requestId: 1, modelDir: '/r' }), "'fillMask': text is not a string");
  assert.equal(parseInferenceRequest({ type: 'fillMask', requestId: 1, modelDir: '/r', text: 'a', topK: 'five' }), "'fillMask': topK is not a number");
  assert.equal(parseInferenceRequest({ type: 'fillMask', requestId: -1, modelDir: '/r', text: 'a' }), "'fillMask': requestId is not a whole number");
});

test('a fillMask reply is checked through before the host uses it', () => {
  assert.equal(isInferenceResponse(reply(result())), true);
  assert.equal(whyNotFillMaskResult(result()), undefined);
  const bad: [unknown, RegExp][] = [
    [null, /result is not an object/],
    [{ ...result(), text: 3 }, /result.text is not a string/],
    [{ ...result(), tokens: ['a', 2] }, /result.tokens is not a list of strings/],
    [{ ...result(), masks: {} }, /result.masks is not a list/],
    // A mask beyond the tokens, out of order, or past the text's end.
    [{ ...result(), masks: [{ ...result().masks[0], tokenIndex: 4 }] }, /masks\[0\] is not a mask of the sentence/],
    [{ ...result(), masks: [{ ...result().masks[0], index: 1 }] }, /masks\[0\] is not a mask of the sentence/],
    [{ ...result(), masks: [{ ...result().masks[0], end: 99 }] }, /masks\[0\] is not a mask of the sentence/],
    [{ ...result(), masks: [{ ...result().masks[0], candidates: [{ token: 'is', probability: 1.5 }] }] }, /candidates is not a list of tokens with probabilities in \[0, 1\]/],
    [{ ...result(), masks: [{ ...result().masks[0], candidates: [{ token: 'is', probability: Number.NaN }] }] }, /candidates/],
    [{ ...result(), masks: [{ ...result().masks[0], candidates: [{ token: 7, probability: 0.5 }] }] }, /candidates/],
    [{ ...result(), unknown: [{ word: 'parcel', tokenIndex: -1, start: 4, end: 10 }] }, /unknown\[0\] is not a word of the sentence/],
    [{ ...result(), unknown: undefined }, /result.unknown is not a list/],
  ];
  for (const [r, why] of bad) {
    assert.equal(isInferenceResponse(reply(r)), false, JSON.stringify(r));
    assert.match(whyNotInferenceResponse(reply(r)) ?? '', why);
  }
  assert.match(whyNotInferenceResponse({ ...reply(result()), modelDir: 5 }) ?? '', /modelDir is not a path/);
  assert.match(whyNotInferenceResponse({ ...reply(result()), millis: '3' }) ?? '', /millis is not a number/);
  assert.match(whyNotInferenceResponse({ ...reply(result()), requestId: 1.5 }) ?? '', /requestId is not a whole number/);
  // Other replies keep their light check: a type and a request id.
  assert.equal(isInferenceResponse({ type: 'inferenceError', requestId: 4, message: 'no mask' }), true);
});


test('the page\'s fillMask request is checked before the host runs a model: a request id and a bounded text, nothing else', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'fillMask', requestId: 3, text: 'the order [MASK] late' }), { type: 'fillMask', requestId: 3, text: 'the order [MASK] late' });
  // The empty sentence is the page's to hint at; the host still takes it (the child says there is no mask).
  assert.deepEqual(parseWebviewMessage({ type: 'fillMask', requestId: 0, text: '' }), { type: 'fillMask', requestId: 0, text: '' });
  assert.equal(parseWebviewMessage({ type: 'fillMask', requestId: 1.5, text: 'a' }), "'fillMask': requestId is not a whole number");
  assert.equal(parseWebviewMessage({ type: 'fillMask', requestId: 1, text: ['a'] }), `'fillMask': text must be a string of at most ${FILL_MASK_LIMITS.textChars} characters`);
  assert.equal(parseWebviewMessage({ type: 'fillMask', requestId: 1, text: 'x'.repeat(FILL_MASK_LIMITS.textChars + 1) }), `'fillMask': text must be a string of at most ${FILL_MASK_LIMITS.textChars} characters`);
  assert.match(parseWebviewMessage({ type: 'fillMask', requestId: 1 }) as string, /lacks text/);
  assert.match(parseWebviewMessage({ type: 'fillMask', requestId: 1, text: 'a', modelDir: '/etc' }) as string, /unexpected fields: modelDir/);
});
