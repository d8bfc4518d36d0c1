// The host's inference client against the real dist/trainer.js and a model
// trained here in a few seconds (the intent classifier, one epoch), and
// against a fake child for the failure paths (no answer, crash).
// Builds dist/trainer.js and dist/cli.js first when they are missing.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { InferenceCancelledError, InferenceClient } from '../../src/node/inferenceClient';
import { builtBundles } from '../helpers/builtBundles';
import { tempDir, writeTinyLanguageModel } from '../helpers/fixtures';

const root = join(__dirname, '..', '..');
const { trainer: trainerScript, cli: cliScript } = builtBundles('trainer', 'cli');
const runtime = () => ({ execPath: process.execPath, env: {} });

let runDir = '';
let lmRunDir = '';
let client: InferenceClient;

/** A character-level decoder small enough to train in a couple of seconds. */
function trainTinyLanguageModel(): string {
  const dir = tempDir('modellab-inference-lm-');
  writeTinyLanguageModel(dir, 'tiny.experiment.json');
  const runsDir = join(dir, 'runs');
  execFileSync(process.execPath, [cliScript, 'train', join(dir, 'tiny.experiment.json'), '--runs-dir', runsDir, '--json'], { stdio: 'ignore', timeout: 120_000 });
  return join(runsDir, readdirSync(runsDir)[0]);
}

before(() => {
  const runsDir = join(tempDir('modellab-inference-'), 'runs');
  execFileSync(
    process.execPath,
    [cliScript, 'train', join(root, 'examples', 'intent-classifier', 'intent-classifier.experiment.json'), '--epochs', '1', '--runs-dir', runsDir, '--json'],
    { stdio: ['ignore', 'ignore', 'ignore'], timeout: 180_000 },
  );
  runDir = join(runsDir, readdirSync(runsDir)[0]);
  lmRunDir = trainTinyLanguageModel();
  client = new InferenceClient({ trainerScript, runtime });
});

after(() => client?.dispose());

test('attention and the prediction for a text come from the child, rows summing to 1', async () => {
  const text = 'I want to cancel my order 我想退款';
  const reply = await client.attention({ modelDir: runDir, text, maxTokens: 128 });
  const { result } = reply;
  assert.equal(result.task, 'classification');
  assert.deepEqual(result.tokens, ['i', 'want', 'to', 'cancel', 'my', 'order', '我', '想', '退', '款']);
  assert.equal(result.attention.length, 2, 'layers');
  assert.equal(result.attention[0].length, 4, 'heads');
  for (const layer of result.attention) {
    for (const head of layer) {
      assert.equal(head.length, result.tokens.length);
      for (const row of head) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-3);
    }
  }
  assert.equal(result.prediction?.probabilities.length, 8);
  const pid = client.pid;
  assert.ok(pid, 'the child is kept alive');
  // The second request reuses the same child and its cached model.
  const again = await client.attention({ modelDir: runDir, text: 'where is my package', maxTokens: 3 });
  assert.deepEqual(again.result.tokens, ['where', 'is', 'my']);
  assert.equal(client.pid, pid);
  assert.ok(again.millis < 2000, `a cached model answers fast (${again.millis} ms)`);
});

test('an aborted request rejects as cancelled and the next one is answered', async () => {
  const abort = new AbortController();
  const first = client.attention({ modelDir: runDir, text: 'first text' }, abort.signal);
  abort.abort();
  await assert.rejects(first, InferenceCancelledError);
  const second = await client.attention({ modelDir: runDir, text: 'second text' });
  assert.deepEqual(second.result.tokens, ['second', 'text']);
});

test('a language model generates text, and its attention is causal', async () => {
  const reply = await client.generate({ modelDir: lmRunDir, prompt: 'The ', length: 20, temperature: 0.8, topK: 5, seed: 3 });
  assert.equal(reply.result.prompt, 'The ');
  assert.equal(reply.result.tokens, 20);
  assert.equal([...reply.result.text].length, 20);
  const again = await client.generate({ modelDir: lmRunDir, prompt: 'The ', length: 20, temperature: 0.8, topK: 5, seed: 3 });
  assert.equal(again.result.text, reply.result.text, 'same seed, same text');
  const { result } = await client.attention({ modelDir: lmRunDir, text: 'abcd' });
  assert.equal(result.task, 'language-model');
  const map = result.attention[0][0];
  for (let q = 0; q < map.length; q++) for (let k = q + 1; k < map.length; k++) assert.equal(map[q][k], 0, `q${q} k${k}`);
});

test('a long generation is stopped by an abort', async () => {
  const abort = new AbortController();
  const pending = client.generate({ modelDir: lmRunDir, prompt: 'a', length: 2000 }, abort.signal);
  setTimeout(() => abort.abort(), 200);
  await assert.rejects(pending, InferenceCancelledError);
  // The child stopped between tokens and answers the next request at once.
  const started = Date.now();
  await client.attention({ modelDir: lmRunDir, text: 'ab' });
  assert.ok(Date.now() - started < 3000, `answered after ${Date.now() - started} ms`);
});

test('a classifier cannot generate: the error comes back as a rejection', async () => {
  await assert.rejects(client.generate({ modelDir: runDir, prompt: 'hi' }), /language model/);
});

test('a crashed child is replaced on the next request', async () => {
  await client.attention({ modelDir: runDir, text: 'warm up' });
  const pid = client.pid!;
  const starts = client.starts;
  const pending = client.attention({ modelDir: runDir, text: 'x '.repeat(5000), maxTokens: 128 });
  process.kill(pid, 'SIGKILL');
  await assert.rejects(pending, /killed|exited/);
  const next = await client.attention({ modelDir: runDir, text: 'after the crash' });
  assert.deepEqual(next.result.tokens, ['after', 'the', 'crash']);
  assert.equal(client.starts, starts + 1);
  assert.notEqual(client.pid, pid);
});

test('a child that never answers times out and is restarted', async () => {
  const dir = tempDir('modellab-inference-fake-');
  const script = join(dir, 'silent.js');
  writeFileSync(script, `process.on('message', () => {}); process.on('disconnect', () => process.exit(0));`);
  const fake = new InferenceClient({ trainerScript: script, runtime, timeoutMs: 300 });
  try {
    const started = Date.now();
    await assert.rejects(fake.attention({ modelDir: dir, text: 'hello' }), /did not answer within/);
    assert.ok(Date.now() - started < 3000);
    assert.equal(fake.pid, undefined, 'the stuck child was killed');
    await assert.rejects(fake.attention({ modelDir: dir, text: 'hello' }), /did not answer/);
    assert.equal(fake.starts, 2);
  } finally {
    fake.dispose();
  }
});

test('a disposed client rejects new requests', async () => {
  const fake = new InferenceClient({ trainerScript: join(root, 'nonexistent.js'), runtime });
  fake.dispose();
  await assert.rejects(fake.attention({ modelDir: '/x', text: 'a' }), /disposed/);
});
