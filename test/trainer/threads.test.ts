// The engine's thread count, end to end through the CLI: --threads over the
// config's training.threads over MODELLAB_THREADS; the count is printed on the
// backend line, recorded in meta.json and shown by `modellab runs --json`;
// a bad count is refused naming the option.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

const root = join(import.meta.dirname, '..', '..');

function cli(args: string[], env: Record<string, string> = {}) {
  const clean = { ...process.env };
  delete clean.MODELLAB_THREADS;
  delete clean.SLURM_CPUS_PER_TASK;
  return spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: root, env: { ...clean, ...env } });
}

function workspace(training: Record<string, unknown> = {}, more: Record<string, unknown> = {}): string {
  const ws = tempDir('modellab-threads-');
  writeFiles(ws, {
    'data.csv': linearCsv(60),
    'exp.experiment.json': regressionConfig({
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', metrics: ['mae'], epochs: 1, batchSize: 16, seed: 5, ...training },
      ...more,
    }),
  });
  return ws;
}

function onlyRunMeta(runsDir: string): { id: string; threads?: number; backend?: string } {
  const runs = readdirSync(runsDir);
  assert.equal(runs.length, 1, runs.join(', '));
  return JSON.parse(readFileSync(join(runsDir, runs[0], 'meta.json'), 'utf8'));
}

test('train --threads 1: the backend line says it, meta.json records it, runs --json shows it — over the config\'s training.threads', () => {
  const ws = workspace({ threads: 2 });
  const runsDir = join(ws, 'runs');
  const out = cli(['train', join(ws, 'exp.experiment.json'), '--backend', 'wasm', '--threads', '1', '--runs-dir', runsDir]);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stderr, /^backend: wasm \(WebAssembly\), 1 thread$/m);
  const meta = onlyRunMeta(runsDir);
  assert.equal(meta.backend, 'wasm');
  assert.equal(meta.threads, 1);
  const listed = cli(['runs', '--runs-dir', runsDir, '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  const rows = JSON.parse(listed.stdout) as { id: string; backend: string; threads: number }[];
  assert.deepEqual(rows.map((r) => [r.id, r.backend, r.threads]), [[meta.id, 'wasm', 1]]);
});

test("the config's training.threads wins over MODELLAB_THREADS; MODELLAB_THREADS over every core", () => {
  const withConfig = workspace({ threads: 2 });
  const a = cli(['train', join(withConfig, 'exp.experiment.json'), '--backend', 'wasm', '--runs-dir', join(withConfig, 'runs')], { MODELLAB_THREADS: '1' });
  assert.equal(a.status, 0, a.stderr);
  assert.equal(onlyRunMeta(join(withConfig, 'runs')).threads, 2);
  assert.match(a.stderr, /^backend: wasm \(WebAssembly\), 2 threads$/m);

  const plain = workspace();
  const b = cli(['train', join(plain, 'exp.experiment.json'), '--backend', 'wasm', '--runs-dir', join(plain, 'runs')], { MODELLAB_THREADS: '1' });
  assert.equal(b.status, 0, b.stderr);
  assert.equal(onlyRunMeta(join(plain, 'runs')).threads, 1);
});

test('a bad thread count is refused before anything trains, naming the option', () => {
  const ws = workspace();
  const config = join(ws, 'exp.experiment.json');
  for (const bad of ['0', '1.5', 'two', '']) {
    const out = cli(['train', config, '--threads', bad, '--runs-dir', join(ws, 'runs')]);
    assert.equal(out.status, 2, out.stderr);
    assert.match(out.stderr, new RegExp(`^modellab: --threads must be a whole number from 1 to 1024, not "${bad.replace('.', '\\.')}"$`, 'm'));
  }
  const negative = cli(['sweep', config, '--threads=-1']);
  assert.equal(negative.status, 2);
  assert.match(negative.stderr, /^modellab: --threads must be a whole number from 1 to 1024, not "-1"$/m);
  const env = cli(['lr-find', config, '--steps', '5'], { MODELLAB_THREADS: 'many' });
  assert.equal(env.status, 2);
  assert.match(env.stderr, /^modellab: MODELLAB_THREADS must be a whole number from 0 \(every core\) to 1024, not "many"$/m);
  assert.deepEqual(readdirSync(ws).sort(), ['data.csv', 'exp.experiment.json'], 'no run folder was made');
});

// Two points at once in trainer children (dist/trainer.js, as `npm test` builds it): each run gets its share of the cores.
test('sweep --concurrency 2: each forked run trains with half the cores; a set count is kept and the oversubscription said', { skip: !existsSync(join(root, 'dist', 'trainer.js')) && 'needs npm run build' }, () => {
  const cores = availableParallelism();
  const share = Math.max(1, Math.floor(cores / 2));
  const ws = workspace({}, { sweep: { parameters: { 'training.optimizer.learningRate': [0.01, 0.02] }, metric: 'val_loss' } });
  const config = join(ws, 'exp.experiment.json');
  const threadsOf = (runsDir: string) => readdirSync(runsDir).map((id) => (JSON.parse(readFileSync(join(runsDir, id, 'meta.json'), 'utf8')) as { threads?: number }).threads);

  const shared = cli(['sweep', config, '--backend', 'wasm', '--concurrency', '2', '--runs-dir', join(ws, 'a')]);
  assert.equal(shared.status, 0, shared.stderr);
  assert.match(shared.stderr, new RegExp(`, 2 at a time, ${share} threads? each, ranked by val_loss`));
  assert.doesNotMatch(shared.stderr, /warning: /);
  assert.deepEqual(threadsOf(join(ws, 'a')), [share, share]);

  const asked = cli(['sweep', config, '--backend', 'wasm', '--concurrency', '2', '--threads', String(cores), '--runs-dir', join(ws, 'b')]);
  assert.equal(asked.status, 0, asked.stderr);
  assert.match(asked.stderr, new RegExp(`^warning: --threads asks for ${cores} thread\\(s\\): 2 runs at once × ${cores} threads = ${2 * cores} threads on this machine's ${cores} core\\(s\\), so they wait on one another; ${share} would fit$`, 'm'));
  assert.deepEqual(threadsOf(join(ws, 'b')), [cores, cores]);
});
