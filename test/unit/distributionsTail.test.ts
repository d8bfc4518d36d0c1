// The dashboard reads a live run's distributions.jsonl at its epochs. The tail
// reader must give exactly what a whole read gives (the same thinned epochs,
// the same lines) while reading only what was appended: a run that grows, a
// line caught half-written, and a file a resume replaced with fewer epochs.
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DISTRIBUTIONS_FILE, tensorStats } from '../../src/core/distributions';
import type { LayerDistributions } from '../../src/core/distributions';
import { DistributionsTail, readDistributions } from '../../src/node/distributionsFile';
import { tempDir } from '../helpers/fixtures';

function layerLine(epoch: number, layer: string): LayerDistributions {
  const values = Array.from({ length: 16 }, (_, i) => Math.sin(epoch * 7 + i) * (1 + epoch / 10));
  return { epoch, layer, tensors: [{ name: 'kernel', shape: [4, 4], weights: tensorStats(values), gradients: tensorStats(values.map((v) => v / 100)) }] };
}

/** One recorded epoch as RunWriter.appendDistributions writes it: a line per layer (中文 in a name: multi-byte text). */
const epochText = (epoch: number) => [layerLine(epoch, 'dense_Dense1'), layerLine(epoch, '#2 密集')].map((l) => `${JSON.stringify(l)}\n`).join('');

test('the tail gives what a whole read gives, as the run grows past the thinning, reading only what was appended', async () => {
  const dir = tempDir('modellab-dist-tail-');
  const file = join(dir, DISTRIBUTIONS_FILE);
  const tail = new DistributionsTail(dir, 20);
  assert.deepEqual(await tail.read(), [], 'no file yet: nothing');
  writeFileSync(file, '');
  for (let epoch = 1; epoch <= 75; epoch++) {
    appendFileSync(file, epochText(epoch));
    if (epoch % 4 !== 0 && epoch !== 75) continue;
    const got = await tail.read();
    assert.deepEqual(got, await readDistributions(dir, 20), `after epoch ${epoch}`);
    assert.equal(new Set(got.map((l) => l.epoch)).size, Math.min(epoch, 20), `epochs kept after epoch ${epoch}`);
  }
  const last = await tail.read();
  assert.equal(last[0].epoch, 1);
  assert.equal(last.at(-1)!.epoch, 75);
  assert.equal(last.at(-1)!.layer, '#2 密集');
});

test('a line caught half-written is read whole the next time', async () => {
  const dir = tempDir('modellab-dist-tail-');
  const file = join(dir, DISTRIBUTIONS_FILE);
  const tail = new DistributionsTail(dir);
  const two = epochText(2);
  // Cut inside the multi-byte name of the second line.
  const cut = Buffer.from(epochText(1) + two).length - Buffer.from('密集"', 'utf8').length - 40;
  const whole = Buffer.from(epochText(1) + two);
  writeFileSync(file, whole.subarray(0, cut));
  assert.deepEqual(
    (await tail.read()).map((l) => `${l.epoch} ${l.layer}`),
    ['1 dense_Dense1', '1 #2 密集', '2 dense_Dense1'],
    'the torn last line is left for later',
  );
  appendFileSync(file, whole.subarray(cut));
  assert.deepEqual(await tail.read(), await readDistributions(dir));
  assert.equal((await tail.read()).length, 4);
});

test('a file replaced by a resume (fewer epochs, then growing again) is read anew', async () => {
  const dir = tempDir('modellab-dist-tail-');
  const file = join(dir, DISTRIBUTIONS_FILE);
  const tail = new DistributionsTail(dir);
  writeFileSync(file, [1, 2, 3, 4, 5, 6].map(epochText).join(''));
  assert.equal((await tail.read()).at(-1)!.epoch, 6);
  // RunWriter rewrites it atomically (a new file renamed over it) with the epochs up to the checkpoint; training repeats the rest.
  writeFileSync(`${file}.tmp`, [1, 2, 3].map(epochText).join(''));
  renameSync(`${file}.tmp`, file);
  appendFileSync(file, [4, 5, 6, 7, 8, 9, 10].map(epochText).join(''));
  const got = await tail.read();
  assert.deepEqual(got, await readDistributions(dir));
  assert.deepEqual([...new Set(got.map((l) => l.epoch))], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'each epoch once');
  // Cut short in place: read anew too.
  writeFileSync(file, epochText(1));
  assert.deepEqual(await tail.read(), await readDistributions(dir));
});
