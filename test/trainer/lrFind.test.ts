// modellab lr-find on a real small config: the loss per learning rate of the
// exponential schedule, stopped once it blows up, and a suggestion in range.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { execFile } from 'node:child_process';
import { LrFindProcess } from '../../src/node/lrFindProcess';
import type { LrFindStepLine } from '../../src/node/lrFindProcess';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

const repoRoot = join(import.meta.dirname, '..', '..');

/** The CLI in a process of its own (its output is its own, apart from the test runner's). */
function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts'), ...args], { cwd: repoRoot, maxBuffer: 64 << 20 }, (error, out, err) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out, err });
    });
  });
}

function workspace(): string {
  const dir = tempDir();
  writeFiles(dir, { 'data.csv': linearCsv(400), 'exp.experiment.json': regressionConfig() });
  return join(dir, 'exp.experiment.json');
}

test('lr-find --json: a step line per learning rate, then the result with a suggestion in range', async () => {
  const config = workspace();
  const { code, out, err } = await cli(['lr-find', config, '--json', '--backend', 'wasm']);
  assert.equal(code, 0, err);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const steps = lines.filter((l) => l.type === 'step') as unknown as { step: number; lr: number; loss: number; smoothed: number }[];
  const result = lines[lines.length - 1] as { type: string; end: string; steps: number; configLr: number; points: unknown[]; settings: { startLr: number; endLr: number; steps: number }; suggestion: { lr: number; rounded: number; index: number; slopePerDecade: number; minLossLr: number; reason: string } };
  assert.equal(result.type, 'result');
  assert.deepEqual(result.settings, { startLr: 1e-7, endLr: 10, steps: 100, divergeFactor: 4, smoothing: 0.98 });
  assert.equal(result.configLr, 0.01);
  assert.equal(result.steps, steps.length);
  assert.deepEqual(result.points, steps.map(({ step, lr, loss, smoothed }) => ({ step, lr, loss, smoothed })));
  assert.equal(steps[0].lr, 1e-7);
  for (let i = 1; i < steps.length; i++) assert.ok(steps[i].lr > steps[i - 1].lr && steps[i].step === i + 1);
  // a linear target is learned at any sane rate and blows up well before 10
  assert.equal(result.end, 'diverged');
  assert.ok(steps.length > 50 && steps.length < 100, `${steps.length} steps`);
  const s = result.suggestion;
  assert.ok(s.lr > 1e-4 && s.lr < 1, `suggested ${s.lr}`);
  assert.ok(s.minLossLr > s.lr);
  assert.ok(s.slopePerDecade < 0);
  assert.equal(s.rounded, Number(s.lr.toPrecision(2)));
  assert.match(s.reason, /^steepest descent of the smoothed loss/);
  assert.equal(steps[s.index].lr, s.lr);
});

test('lr-find as text: the table, how it ended, the suggestion and why', async () => {
  const config = workspace();
  const { code, out } = await cli(['lr-find', config, '--steps', '60', '--end', '1', '--backend', 'wasm', '--threads', '1']);
  assert.equal(code, 0);
  assert.match(out, /learning-rate range test of .*exp\.experiment\.json \(wasm, 1 thread\): \d+ steps from 1e-7 to 1/);
  assert.match(out, /← suggested/);
  assert.match(out, /suggested learning rate: [\d.e-]+ \(the config has 0\.01\)\n {2}why: steepest descent/);
});

test('lr-find refuses bad options and a missing config, naming them', async () => {
  const bad = await cli(['lr-find', 'x.json', '--steps', '2']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--steps must be a whole number from 5 to 10000, not "2"/);
  const order = await cli(['lr-find', 'x.json', '--start', '1', '--end', '0.1']);
  assert.match(order.err, /--end \(0\.1\) must be larger than --start \(1\)/);
  const missing = await cli(['lr-find', join(tempDir(), 'nope.experiment.json'), '--backend', 'wasm']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /nope\.experiment\.json/);
});

test('the editor’s LrFindProcess forks lr-find: every step arrives, then the result that matches them', async () => {
  const config = workspace();
  const steps: LrFindStepLine[] = [];
  const p = new LrFindProcess({ cliScript: join(repoRoot, 'src/cli/main.ts'), execArgv: ['--import', 'tsx'], runtime: { execPath: process.execPath, env: {} }, configPath: config, backend: 'wasm', cwd: repoRoot }, (s) => steps.push(s));
  const result = await p.result;
  assert.equal(p.running, false);
  assert.ok(steps.length > 50, `${steps.length} steps`);
  assert.deepEqual(result.points, steps);
  assert.equal(result.configLr, 0.01);
  assert.ok(result.suggestion && result.suggestion.rounded > 1e-4 && result.suggestion.rounded < 1);
});

test('LrFindProcess on a config with an error rejects with the CLI’s message, naming the file', async () => {
  const dir = tempDir();
  writeFiles(dir, { 'bad.experiment.json': regressionConfig({ data: { source: 'missing.csv', features: ['x1'], target: 'y' } }) });
  const p = new LrFindProcess({ cliScript: join(repoRoot, 'src/cli/main.ts'), execArgv: ['--import', 'tsx'], runtime: { execPath: process.execPath, env: {} }, configPath: join(dir, 'bad.experiment.json'), backend: 'wasm', cwd: repoRoot }, () => assert.fail('no step expected'));
  await assert.rejects(p.result, (e: Error) => /bad\.experiment\.json/.test(e.message) && /missing\.csv/.test(e.message));
});

test('lr-find --workspace-root refuses a data file outside the workspace, as the editor’s training does', async () => {
  const root = tempDir();
  writeFiles(root, { 'outside.csv': linearCsv(50), 'ws/exp.experiment.json': regressionConfig({ data: { source: '../outside.csv', features: ['x1', 'x2', 'x3'], target: 'y' } }) });
  const refused = await cli(['lr-find', join(root, 'ws', 'exp.experiment.json'), '--workspace-root', join(root, 'ws'), '--backend', 'wasm']);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /exp\.experiment\.json.*outside/i);
});
