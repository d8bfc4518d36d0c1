// `modellab cancel <run>` on a run that `modellab train` is training on this
// machine: the trainer stops after its batch, the run says stopped, and the
// training process ends.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunMeta } from '../../src/core/types';
import { builtBundles } from '../helpers/builtBundles';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

test('modellab cancel stops a local run started by the CLI: stopped, its process gone', async () => {
  const { cli } = builtBundles('cli');
  const dir = tempDir();
  writeFiles(dir, {
    'data.csv': linearCsv(160),
    'exp.experiment.json': regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', epochs: 100000, batchSize: 16, seed: 5 } }),
  });
  const runs = join(dir, '.modellab', 'runs');
  const trainer = spawn(process.execPath, [cli, 'train', 'exp.experiment.json', '--backend', 'wasm'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  trainer.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  trainer.stderr.resume();
  const exited = new Promise<number | null>((resolve) => trainer.on('close', resolve));
  // Until the run has trained an epoch (100000 planned: it is still training when cancelled).
  const meta = (): RunMeta | undefined => {
    const [id] = existsSync(runs) ? readdirSync(runs) : [];
    return id && existsSync(join(runs, id, 'meta.json')) ? (JSON.parse(readFileSync(join(runs, id, 'meta.json'), 'utf8')) as RunMeta) : undefined;
  };
  const deadline = Date.now() + 120_000;
  while (!(meta()?.status === 'running' && meta()!.epochsDone >= 1)) {
    assert.ok(Date.now() < deadline && trainer.exitCode === null, `the CLI never trained an epoch (exit ${trainer.exitCode}; stdout: ${out})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const runId = meta()!.id;
  const cancel = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [cli, 'cancel', runId], { cwd: dir, encoding: 'utf8' }, (e, stdout, stderr) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stdout, stderr })),
  );
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.match(cancel.stdout, new RegExp(`^stopped: run ${runId} \\(pid ${trainer.pid}\\) after \\d+ epoch\\(s\\)`));
  assert.equal(await exited, 0, 'Ctrl+C\'s stop: the CLI exits 0');
  assert.equal(meta()!.status, 'stopped');
  assert.ok(meta()!.epochsDone >= 1 && meta()!.epochsDone < 100000);
  assert.match(out, /^stopped: linear on wasm after \d+ epoch\(s\)/m);
});
