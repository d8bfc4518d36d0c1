// The fill-mask request as the editor sends it: the host's InferenceClient
// forks the real dist/trainer.js, which answers from the hand-built
// masked-language model (test/helpers/handBuiltMlm.ts) with exact
// probabilities; a newer request cancels an older one as the dashboard's
// playground does (the older rejects as cancelled, the newer is answered);
// an error from the child reaches the caller with its message, and a
// malformed reply (a fake child) fails its request at once.
// Builds dist/trainer.js when it is missing.
//
// Run: node --import tsx --test test/trainer/fillMaskClient.test.ts

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { InferenceCancelledError, InferenceClient } from '../../src/node/inferenceClient';
import { selectBackend } from '../../src/trainer/backend';
import { builtBundles } from '../helpers/builtBundles';
import { tempDir } from '../helpers/fixtures';
import { writeHandBuiltModel } from '../helpers/handBuiltMlm';

const { trainer: trainerScript } = builtBundles('trainer');
let runDir = '';
let client: InferenceClient;

before(async () => {
  await selectBackend('wasm'); // to build and save the model here
  runDir = join(tempDir('modellab-fill-mask-'), 'mlm-run');
  await writeHandBuiltModel(join(runDir, 'model'));
  client = new InferenceClient({ trainerScript, runtime: () => ({ execPath: process.execPath, env: {} }), backend: () => 'wasm' });
});

after(() => client?.dispose());

test('the child fills in the masks: tokens, positions, exact probabilities', async () => {
  const reply = await client.fillMask({ modelDir: runDir, text: 'the order [MASK] late', topK: 3 });
  assert.equal(reply.type, 'fillMaskResult');
  assert.equal(reply.modelDir, join(runDir, 'model'));
  assert.deepEqual(reply.result.tokens, ['the', 'order', '<mask>', 'late']);
  const [slot] = reply.result.masks;
  assert.equal(slot.tokenIndex, 2);
  assert.deepEqual(slot.candidates.map((c) => c.token), ['is', 'was', 'arrived']);
  [0.41, 0.22, 0.08].forEach((p, i) => assert.ok(Math.abs(slot.candidates[i].probability - p) < 2e-6, `${slot.candidates[i].token}: ${slot.candidates[i].probability}`));
});

test('a newer request cancels the one before it, as the dashboard does while the user types', async () => {
  let inFlight: AbortController | undefined;
  const ask = (text: string) => {
    inFlight?.abort();
    const abort = (inFlight = new AbortController());
    return client.fillMask({ modelDir: runDir, text }, abort.signal);
  };
  const older = ask('the [MASK]');
  const newer = ask('[MASK] order');
  await assert.rejects(older, InferenceCancelledError);
  const reply = await newer;
  assert.deepEqual(reply.result.masks[0].candidates.map((c) => c.token).slice(0, 2), ['the', 'is']);
});

test('the child\'s refusal reaches the caller with its message', async () => {
  await assert.rejects(client.fillMask({ modelDir: runDir, text: 'the order is late' }), /the sentence has no mask/);
  await assert.rejects(client.fillMask({ modelDir: join(runDir, 'nowhere'), text: 'the [MASK]' }), /nowhere/);
});

test('a malformed fillMaskResult from the child fails its request at once, saying what is wrong', async () => {
  const dir = tempDir('modellab-fill-mask-fake-');
  const script = join(dir, 'garbled.js');
  // Probabilities above 1: what a garbled child might send; the host must not draw it.
  writeFileSync(
    script,
    `process.on('message', (m) => process.send({ type: 'fillMaskResult', requestId: m.requestId, modelDir: '/m', millis: 1, backend: 'wasm',
      result: { text: 'a [MASK]', tokens: ['a', '<mask>'], masks: [{ index: 0, tokenIndex: 1, start: 2, end: 8, candidates: [{ token: 'b', probability: 7 }] }], unknown: [] } }));
     process.on('disconnect', () => process.exit(0));`,
  );
  const fake = new InferenceClient({ trainerScript: script, runtime: () => ({ execPath: process.execPath, env: {} }), timeoutMs: 60_000 });
  try {
    const started = Date.now();
    await assert.rejects(fake.fillMask({ modelDir: dir, text: 'a [MASK]' }), /malformed reply: 'fillMaskResult': result.masks\[0\].candidates is not a list of tokens with probabilities in \[0, 1\]/);
    assert.ok(Date.now() - started < 30_000, 'not left to the timeout');
  } finally {
    fake.dispose();
  }
});
