// node --import tsx scripts/bench/systemMetrics.ts [--rounds N] [--before DIR [--after DIR]]
//
// What recording system metrics (system/ keys in metrics.jsonl) costs a training.
// 1. The sampler alone: the per-batch call (a counter and a clock read) and the
//    per-window read of the process (CPU time, resident memory), in ns per call.
// 2. With --before DIR, a checkout of the commit before system metrics
//    (git worktree add DIR ba077ee^; ln -s "$PWD/node_modules" DIR/node_modules):
//    house-prices (40 epochs, wasm) trained by both engines in this process,
//    alternating, round after round; medians of the process's CPU time (user +
//    system: what a busy machine disturbs least) and wall time compared.

import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { SystemSampler } from '../../src/trainer/systemSampler';
import { tempDir } from '../../test/helpers/fixtures';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const rounds = Number(option('rounds') ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function samplerCost(): void {
  const calls = 2_000_000;
  const sampler = new SystemSampler(Number.POSITIVE_INFINITY);
  let t = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sampler.batch(32);
  const perBatch = Number(process.hrtime.bigint() - t) / calls;
  const reads = 20_000;
  t = process.hrtime.bigint();
  for (let i = 0; i < reads; i++) sampler.epoch();
  const perRead = Number(process.hrtime.bigint() - t) / reads;
  console.log(`sampler: ${perBatch.toFixed(1)} ns per batch call, ${(perRead / 1000).toFixed(2)} µs per process read (epoch end, or every 5 s)`);
}

type Train = (opts: { configPath: string; runsDir: string; backend: 'wasm'; onEvent: () => void }) => Promise<{ meta: { status: string; error?: string } }>;

/** In a child process: trains house-prices with the engine of checkout `dir`, prints its CPU and wall time as JSON. */
async function child(dir: string): Promise<void> {
  const train = (await import(join(dir, 'src/trainer/engine.ts'))).runTraining as Train;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const res = await train({ configPath: join(dir, 'examples/house-prices/house-prices.experiment.json'), runsDir: tempDir(), backend: 'wasm', onEvent: () => {} });
  const cpu = process.cpuUsage(cpu0);
  if (res.meta.status !== 'completed') throw new Error(`${res.meta.status} ${res.meta.error ?? ''}`);
  process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall0 }) + '\n');
}

function beforeAfter(beforeDir: string, afterDir: string): void {
  const dirs = { before: resolve(beforeDir), after: resolve(afterDir) };
  const results: Record<'before' | 'after', { cpu: number[]; wall: number[] }> = { before: { cpu: [], wall: [] }, after: { cpu: [], wall: [] } };
  for (let r = 0; r < rounds; r++) {
    for (const side of (r % 2 ? ['after', 'before'] : ['before', 'after']) as ('before' | 'after')[]) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', __filename, '--child', dirs[side]], { cwd: dirs[side], encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const { cpuMs, wallMs } = JSON.parse(out.trim().split('\n').pop()!) as { cpuMs: number; wallMs: number };
      results[side].cpu.push(cpuMs);
      results[side].wall.push(wallMs);
      console.log(`round ${r + 1} ${side}: cpu ${(cpuMs / 1000).toFixed(2)} s, wall ${(wallMs / 1000).toFixed(2)} s`);
    }
  }
  const b = { cpu: median(results.before.cpu), wall: median(results.before.wall) };
  const a = { cpu: median(results.after.cpu), wall: median(results.after.wall) };
  console.log(`house-prices, median of ${rounds}: cpu ${(b.cpu / 1000).toFixed(2)} s → ${(a.cpu / 1000).toFixed(2)} s (${(((a.cpu - b.cpu) / b.cpu) * 100).toFixed(1)}%), wall ${(b.wall / 1000).toFixed(2)} s → ${(a.wall / 1000).toFixed(2)} s (${(((a.wall - b.wall) / b.wall) * 100).toFixed(1)}%)`);
}

const childDir = option('child');
if (childDir) void child(childDir);
else {
  samplerCost();
  const beforeDir = option('before');
  // --after DIR: a checkout of the commit that added them (ba077ee), so nothing else differs; this checkout when not given.
  if (beforeDir) beforeAfter(beforeDir, option('after') ?? resolve(__dirname, '../..'));
}
