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
// Timed one at a time, cores that slow each other down when both are busy (a
// shared physical core, shared caches or memory) look independent; so the
// line also times the step on every core at once (pairLine): what those
// independent runs get done together is the most a split of one run can give.
//
//   node --import tsx scripts/bench/coreLine.ts [--rounds N]     (prints the line)

import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { selectBackend } from '../../src/trainer/backend';
import { setEngineThreads } from '../../src/trainer/threads';
import { cnnStepRunner } from './workloads';

export interface CoreFigures {
  cpu: number;
  /** Median over the rounds of the milliseconds a step took on this core (alone, or in pairLine with every core busy). */
  msPerStep: number;
  /** pairLine: each round's timed steps, from and to in ms since the epoch. */
  spans?: [number, number][];
}

const WARM_STEPS = 20;
const TIMED_STEPS = 30;

/**
 * In a child pinned to one core: the CNN step's milliseconds on one thread
 * (after a warm-up), with the wall-clock times (ms since the epoch) the timed
 * steps began and ended. With --wait it says `ready` after the warm-up and
 * times the steps once a line comes in on stdin, so children started together
 * time their steps together.
 */
async function child(): Promise<void> {
  setEngineThreads(1);
  await selectBackend('wasm');
  const runner = cnnStepRunner(64);
  for (let i = 0; i < WARM_STEPS; i++) runner.step();
  if (process.argv.includes('--wait')) {
    process.stdout.write('ready\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
  }
  const from = Date.now();
  const started = performance.now();
  for (let i = 0; i < TIMED_STEPS; i++) runner.step();
  const ms = (performance.now() - started) / TIMED_STEPS;
  const to = Date.now();
  runner.dispose();
  process.stdout.write(`${JSON.stringify({ ms, from, to })}\n`);
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

/** A child timing the pinned step on one core after a `go` (child --wait). */
interface WaitingStep {
  /** Resolves when the child has warmed up (or has failed). */
  ready: Promise<void>;
  go(): void;
  /** The child's figures, or why it failed. */
  done: Promise<{ ms: number; from: number; to: number } | string>;
}

function waitingStep(cpu: number): WaitingStep {
  const child = spawn('taskset', ['-c', String(cpu), process.execPath, '--import', 'tsx', __filename, '--child', '--wait'], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'pipe'] });
  let [out, err] = ['', ''];
  let isReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (isReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready\n')) isReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ ms: number; from: number; to: number } | string>((resolve) => {
    child.on('error', (e) => resolve(`taskset could not run (${e.message})`));
    child.on('close', (status) => {
      isReady();
      if (status !== 0) return resolve(`the pinned step exited with ${String(status)}: ${err.trim().split('\n').pop() ?? ''}`);
      resolve(JSON.parse(out.trim().split('\n').pop()!) as { ms: number; from: number; to: number });
    });
  });
  // A child that failed before it read stdin closes it: nothing to tell then.
  child.stdin.on('error', () => undefined);
  return { ready, go: () => child.stdin.end('go\n'), done };
}

/**
 * The pair line: the same pinned step on every core at once, one process a
 * core, `rounds` rounds, medians per core; or why it could not be measured.
 * Independent one-thread trainers share nothing but the machine, so what they
 * get done together over one trainer alone on the fastest core (pairBound) is
 * the most any split of one trainer's work over these cores can give: it
 * also counts what the cores take from each other when both are busy (a
 * shared physical core's other hyperthread, shared caches and memory), which
 * timing them one at a time (coreLine) cannot see.
 */
export async function pairLine(rounds = 3, cores = availableParallelism()): Promise<CoreFigures[] | string> {
  if (cores < 2) return 'one core';
  const times: number[][] = Array.from({ length: cores }, () => []);
  const spans: [number, number][][] = Array.from({ length: cores }, () => []);
  for (let r = 0; r < rounds; r++) {
    // Started together, and timed from one signal once all have warmed up (start-up times differ).
    const children = Array.from({ length: cores }, (_, cpu) => waitingStep(cpu));
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.go();
    const results = await Promise.all(children.map((c) => c.done));
    for (const [cpu, result] of results.entries()) {
      if (typeof result === 'string') return result;
      times[cpu].push(result.ms);
      spans[cpu].push([result.from, result.to]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return times.map((ts, cpu) => ({ cpu, msPerStep: median(ts), spans: spans[cpu] }));
}

/** What the cores busy together (pairLine) get done over one trainer alone on the fastest core (coreLine): Σ of the speeds at once over the fastest speed alone. */
export function pairBound(alone: readonly CoreFigures[], together: readonly CoreFigures[]): number {
  const fastest = Math.min(...alone.map((f) => f.msPerStep));
  return together.reduce((s, f) => s + fastest / f.msPerStep, 0);
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
  const together = await pairLine(i >= 0 ? Number(process.argv[i + 1]) : 3, figures.length);
  for (const f of figures) console.log(`core ${f.cpu}: ${f.msPerStep.toFixed(2)} ms a step alone${typeof together === 'string' ? '' : `, ${together[f.cpu].msPerStep.toFixed(2)} with every core busy`}`);
  console.log(`bound on the 1 → ${figures.length} thread speed-up from the cores' speeds alone: ${speedUpBound(figures, figures.length).toFixed(2)}×`);
  if (typeof together === 'string') console.log(`every core at once not measured: ${together}`);
  else console.log(`${figures.length} one-thread runs at once over one alone on the fastest core: ${pairBound(figures, together).toFixed(2)}×`);
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
