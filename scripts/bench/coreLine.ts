// The core line of `npm run bench`: are this machine's cores equally fast?
// The CNN's training step (workloads.ts, cnnStepRunner: batch 64) on one
// thread, in a process pinned to one core (taskset), each core in turn, a few
// rounds alternating. On a virtual machine a core whose other half (the host's
// sibling hyperthread, a neighbour's work) is busy runs the same step slower;
// on a laptop the efficiency cores do. Two threads can then give at most
// 1 + (the slower core's speed / the faster's) over a one-thread run on the
// faster core, however well the work is split: the bound printed beside the
// measured speed-up. (Here, on one minute: 21 ms on one core, 29 on the other
// — a bound of 1.72×; minutes later the two were equal, or the other way round.)
//
//   node --import tsx scripts/bench/coreLine.ts [--rounds N]     (prints the line)

import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { selectBackend } from '../../src/trainer/backend';
import { setEngineThreads } from '../../src/trainer/threads';
import { cnnStepRunner } from './workloads';

export interface CoreFigures {
  cpu: number;
  /** Median over the rounds of the milliseconds a step took on this core alone. */
  msPerStep: number;
}

const WARM_STEPS = 20;
const TIMED_STEPS = 30;

/** In a child pinned to one core: the CNN step's milliseconds on one thread (after a warm-up). */
async function child(): Promise<void> {
  setEngineThreads(1);
  await selectBackend('wasm');
  const runner = cnnStepRunner(64);
  for (let i = 0; i < WARM_STEPS; i++) runner.step();
  const started = performance.now();
  for (let i = 0; i < TIMED_STEPS; i++) runner.step();
  const ms = (performance.now() - started) / TIMED_STEPS;
  runner.dispose();
  process.stdout.write(`${JSON.stringify({ ms })}\n`);
}

/**
 * Each core's time for the CNN step on one thread, `rounds` rounds with the
 * cores in turn (the first core rotating), medians; or why it could not be
 * measured (no taskset, one core).
 */
export function coreLine(rounds = 3, cores = availableParallelism()): CoreFigures[] | string {
  if (cores < 2) return 'one core';
  const times: number[][] = Array.from({ length: cores }, () => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cores; k++) {
      const cpu = (k + r) % cores;
      const out = spawnSync('taskset', ['-c', String(cpu), process.execPath, '--import', 'tsx', __filename, '--child'], { encoding: 'utf8', cwd: process.cwd() });
      if (out.error) return `taskset could not run (${out.error.message})`;
      if (out.status !== 0) return `the pinned step exited with ${String(out.status)}: ${out.stderr.trim().split('\n').pop() ?? ''}`;
      times[cpu].push((JSON.parse(out.stdout.trim().split('\n').pop()!) as { ms: number }).ms);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return times.map((ts, cpu) => ({ cpu, msPerStep: median(ts) }));
}

/** The most `threads` threads can speed up a one-thread run on the fastest core: Σ of the fastest `threads` cores' speeds over the fastest's. */
export function speedUpBound(figures: readonly CoreFigures[], threads: number): number {
  const speeds = figures.map((f) => 1 / f.msPerStep).sort((a, b) => b - a);
  return speeds.slice(0, threads).reduce((s, v) => s + v, 0) / speeds[0];
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) return child();
  const i = process.argv.indexOf('--rounds');
  const figures = coreLine(i >= 0 ? Number(process.argv[i + 1]) : 3);
  if (typeof figures === 'string') {
    console.log(`core line not measured: ${figures}`);
    return;
  }
  for (const f of figures) console.log(`core ${f.cpu}: ${f.msPerStep.toFixed(2)} ms a step`);
  console.log(`bound on the 1 → ${figures.length} thread speed-up: ${speedUpBound(figures, figures.length).toFixed(2)}×`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(1);
    },
  );
}
