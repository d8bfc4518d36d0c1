// `modellab train fine-tune.experiment.json` from the command line: the base
// is named by its run id, the log says where the weights came from and what
// is frozen, the report names the base, and the run folder records it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/trainer/backend';
import { tempDir } from '../helpers/fixtures';
import { train, writeBaseClassifier, writeFineTune } from './fineTuneHelpers';

const CLI = join(__dirname, '../../src/cli/main.ts');

before(async () => {
  await selectBackend('wasm');
});

test('modellab train fine-tune.experiment.json: trains from the base, says so, and records it', async (t) => {
  const dir = tempDir('modellab-finetune-cli-', t);
  const runsDir = join(dir, '.modellab', 'runs');
  const base = await train(writeBaseClassifier(dir), runsDir);
  assert.equal(base.meta.status, 'completed', base.meta.error);
  const id = basename(base.runDir);
  const config = writeFineTune(dir, { from: id, freezeEpochs: 1 }, { training: { epochs: 2 } });
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'train', config, '--runs-dir', runsDir, '--backend', 'wasm'], { encoding: 'utf8', cwd: join(__dirname, '../..') });
  assert.equal(r.status, 0, r.stderr);
  const modelDir = join(base.runDir, 'model');
  assert.match(r.stderr, new RegExp(`^fine-tuning from run ${id} \\(task classification\\): ${modelDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.match(r.stderr, /^the base's weights are frozen for the first 1 epoch\(s\): only the head trains$/m);
  assert.match(r.stderr, /^epoch 2: the base's weights train from now on$/m);
  assert.match(r.stdout, new RegExp(`^fine-tuned from: run ${id} \\(.*\\), task classification$`, 'm'));
  const folder = /^run folder: (.+)$/m.exec(r.stdout)?.[1];
  assert.ok(folder, r.stdout);
  const meta = JSON.parse(readFileSync(join(folder, 'meta.json'), 'utf8'));
  assert.equal(meta.status, 'completed');
  assert.deepEqual({ kind: meta.base.kind, id: meta.base.id, path: meta.base.path, task: meta.base.task }, { kind: 'run', id, path: modelDir, task: 'classification' });
  assert.match(meta.base.configHash, /^[0-9a-f]{16}$/);
  // modellab runs --json lists it with its base.
  const runs = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'runs', '--runs-dir', runsDir, '--json'], { encoding: 'utf8', cwd: join(__dirname, '../..') });
  assert.equal(runs.status, 0, runs.stderr);
  const rows = JSON.parse(runs.stdout) as { id: string; base?: unknown }[];
  assert.deepEqual(rows.find((row) => row.id === meta.id)?.base, meta.base);
  assert.equal(rows.find((row) => row.id === id)?.base, undefined);
});
