// System metrics are recorded with the metrics: every epoch point of a real
// training carries the trainer process's CPU, memory, step time and
// throughput; the run's meta holds the last epoch's; `modellab runs --json` shows them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { SYSTEM_KEYS } from '../../src/core/systemMetrics';
import { execFileSync } from 'node:child_process';
import { readRunSnapshot } from '../../src/node/runStoreReader';
import { runTraining } from '../../src/trainer/engine';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

test('every epoch point carries system/ values in range; lastMetrics does not; runs --json shows them', async () => {
  const dir = tempDir();
  writeFiles(dir, { 'data.csv': linearCsv(400), 'exp.experiment.json': regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', epochs: 4, batchSize: 16, seed: 5 } }) });
  const runs = join(dir, '.modellab', 'runs');
  const r = await runTraining({ configPath: join(dir, 'exp.experiment.json'), runsDir: runs, backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  const snap = readRunSnapshot(r.runDir);
  const epochs = snap.metrics.filter((p) => p.kind === 'epoch');
  assert.equal(epochs.length, 4);
  const rows = 240; // 60% of 400
  for (const p of epochs) {
    const v = p.values;
    assert.ok(v[SYSTEM_KEYS.cpu] > 0 && v[SYSTEM_KEYS.cpu] < 100 * 64, `cpu ${v[SYSTEM_KEYS.cpu]}`);
    assert.ok(v[SYSTEM_KEYS.memory] > 20 && v[SYSTEM_KEYS.memory] < 16384, `rss ${v[SYSTEM_KEYS.memory]} MiB`);
    assert.ok(v[SYSTEM_KEYS.stepTime] > 0, `step time ${v[SYSTEM_KEYS.stepTime]}`);
    // samples per second × ms per step / 1000 = samples per step: 240 rows in 15 steps of 16
    const perStep = (v[SYSTEM_KEYS.throughput] * v[SYSTEM_KEYS.stepTime]) / 1000;
    assert.ok(Math.abs(perStep - rows / 15) < 0.5, `${perStep} samples per step`);
    assert.equal(typeof v.loss, 'number');
  }
  const last = epochs[epochs.length - 1].values;
  assert.deepEqual(Object.keys(snap.meta!.lastMetrics!).filter((k) => k.startsWith('system/')), []);
  assert.deepEqual(snap.meta!.system, Object.fromEntries(Object.values(SYSTEM_KEYS).map((k) => [k, last[k]])));

  // The CLI in a process of its own (its output apart from the test runner's).
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts'), 'runs', '--runs-dir', runs, '--json'], { encoding: 'utf8' });
  const listed = JSON.parse(out) as { id: string; system?: Record<string, number> }[];
  assert.deepEqual(listed.find((x) => x.id === r.meta.id)?.system, snap.meta!.system);
});
