// A fine-tuned run interrupted after its base unfroze resumes from its own
// checkpoint (both optimizers' Adam state, the freeze schedule counted from the
// run's start) and its own tokenizer — the base's folder is gone by then — and
// ends with the weights of a run that was never interrupted, bit for bit.

import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/trainer/backend';
import { resumeTraining } from '../../src/trainer/engine';
import { tempDir } from '../helpers/fixtures';
import { logLines, savedWeights, train, writeBaseClassifier, writeFineTune } from './fineTuneHelpers';

before(async () => {
  await selectBackend('wasm');
});

test('resume of a fine-tuned run: its own checkpoint and tokenizer, the freeze schedule from the run\'s start; equal to an uninterrupted run', async (t) => {
  const dir = tempDir('modellab-finetune-resume-', t);
  const runsDir = join(dir, 'runs');
  const base = await train(writeBaseClassifier(dir), runsDir);
  assert.equal(base.meta.status, 'completed', base.meta.error);
  const id = basename(base.runDir);
  // Frozen for 2 of 4 epochs, the base at its own rate: both optimizers have state by epoch 3.
  const options = { from: id, freezeEpochs: 2, learningRate: 0.003 };
  const straight = await train(writeFineTune(dir, options, { name: 'straight', training: { epochs: 4 } }), runsDir);
  assert.equal(straight.meta.status, 'completed', straight.meta.error);

  // The same config against a copy of the base in another runs folder, which is deleted before the resume.
  const otherRuns = join(dir, 'other-runs');
  cpSync(base.runDir, join(otherRuns, id), { recursive: true });
  const abort = new AbortController();
  const cut = await train(writeFineTune(dir, options, { name: 'straight', training: { epochs: 4 } }), otherRuns, {
    signal: abort.signal,
    onEvent: (e) => e.type === 'metrics' && e.points.some((p) => p.kind === 'step' && p.epoch === 4) && abort.abort('disconnect'),
  });
  assert.equal(cut.meta.status, 'interrupted', cut.meta.error);
  assert.equal(cut.meta.epochsDone, 3);
  assert.equal(cut.meta.base?.path, join(otherRuns, id, 'model'));
  rmSync(join(otherRuns, id), { recursive: true });

  const events: Parameters<Parameters<typeof resumeTraining>[0]['onEvent']>[0][] = [];
  const resumed = await resumeTraining({ runDir: cut.runDir, backend: 'wasm', metricsIntervalMs: 0, onEvent: (e) => events.push(e) });
  assert.equal(resumed.meta.status, 'completed', resumed.meta.error);
  const logs = logLines(events);
  assert.ok(logs.includes('fine-tuned run: the weights come from its own checkpoint and the tokenizer from its own folder (the base is not read again)'), logs.join('\n'));
  assert.ok(!logs.some((l) => l.startsWith('fine-tuning from')), 'the base is not looked up again');
  assert.deepEqual(resumed.meta.base, cut.meta.base, 'meta.base kept');
  // Bit for bit the uninterrupted run: the head's and the base's Adam moments came back, and epoch 4 trained the base (2 frozen epochs counted from the start).
  const a = savedWeights(straight.runDir);
  const b = savedWeights(resumed.runDir);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [name, w] of a) assert.ok(w.equals(b.get(name)!), `${name} equals the uninterrupted run's`);
});
