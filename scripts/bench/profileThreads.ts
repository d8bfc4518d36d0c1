// The wasm engine at one thread against all cores: a plain product, a CNN
// step (the bench's cnn: conv32-pool-conv64-pool-dense128-10, 28×28×1, batch
// 64) and a larger-encoder step (dModel 256, 4 heads, ffDim 1024, 4 layers,
// 128 tokens, batch 32). Each measure is taken in child processes, one at
// 1 thread (the single-threaded build) and one at N (the threaded build and
// our kernel pool), alternating, so a change in the machine's load falls on
// both; the ratios of wall time and of CPU time are printed with the load
// average. --in-process instead toggles only our kernels' pool in one
// threaded process: the threaded build's own cost left out.
//
// --no-encoder skips the encoder (NaN in its rows); with MODELLAB_GEMM=xnnpack
// the children leave products and convolutions to XNNPACK (on one thread).
//
//   node --import tsx scripts/bench/profileThreads.ts [--rounds 3] [--threads N] [--in-process] [--no-encoder]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend';
import { kernelPool } from '../../src/trainer/kernels/workerPool';
import { setEngineThreads } from '../../src/trainer/threads';
import { cnnStepRunner, transformerWorkload } from './workloads';

interface Figures {
  /** Milliseconds per item: one product, one CNN step, one encoder step. */
  gemmMs: number;
  cnnMs: number;
  encoderMs: number;
  /** CPU milliseconds (every thread) per item. */
  gemmCpu: number;
  cnnCpu: number;
  encoderCpu: number;
}

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

function timed(reps: number, f: () => void): { ms: number; cpu: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  const cpu = process.cpuUsage(cpu0);
  return { ms: (performance.now() - t0) / reps, cpu: (cpu.user + cpu.system) / 1000 / reps };
}

const GEMM = 512;

/** Prepares the three measures on the current backend; each call of the result measures them once. */
async function measures(dir: string): Promise<() => Promise<Figures>> {
  const a = tf.randomNormal([GEMM, GEMM]);
  const b = tf.randomNormal([GEMM, GEMM]);
  const product = () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
  const cnn = cnnStepRunner(64);
  // rows 32, one epoch: one step of batch 32 per run (after a one-step warm-up).
  const encoder = process.argv.includes('--no-encoder') ? undefined : transformerWorkload({ decoder: false, large: true, rows: 32, epochs: 1, dir });
  await encoder?.ours({ warmUp: true });
  for (let i = 0; i < 3; i++) product();
  cnn.step();
  return async () => {
    const g = timed(10, product);
    const c = timed(5, () => cnn.step());
    const e = encoder ? await encoder.ours() : { items: 32 * 128, seconds: NaN, cpuSeconds: NaN };
    const steps = e.items / (32 * 128);
    return { gemmMs: g.ms, gemmCpu: g.cpu, cnnMs: c.ms, cnnCpu: c.cpu, encoderMs: (1000 * e.seconds) / steps, encoderCpu: (1000 * e.cpuSeconds) / steps };
  };
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function report(one: Figures[], many: Figures[], threads: number, what: string): void {
  const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
  const best = (xs: number[]) => Math.min(...xs);
  console.log(`\n${what}: medians of ${one.length} alternating rounds, and the best round of each (the nearest to a quiet machine) (load average now ${load()})`);
  console.log('measure                     1 thread       N threads      speed-up   CPU time ratio (N/1)   best: 1 thread, N threads, speed-up');
  for (const [key, cpu, label, unit] of [
    ['gemmMs', 'gemmCpu', `matMul ${GEMM}³ (${((2 * GEMM ** 3) / 1e9).toFixed(2)} GFLOP)`, 'ms'],
    ['cnnMs', 'cnnCpu', 'CNN step, batch 64', 'ms'],
    ['encoderMs', 'encoderCpu', 'larger encoder step, 32×128', 'ms'],
  ] as const) {
    // A measure skipped (--no-encoder) comes back from a child as null.
    const values = (fs: Figures[], k: keyof Figures) => fs.map((f) => f[k] ?? NaN);
    const [t1, tn] = [median(values(one, key)), median(values(many, key))];
    const [c1, cn] = [median(values(one, cpu)), median(values(many, cpu))];
    const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
    const [b1, bn] = [best(values(one, key)), best(values(many, key))];
    console.log(`${label.padEnd(28)}${`${fixed(t1, 1)} ${unit}`.padEnd(15)}${`${fixed(tn, 1)} ${unit}`.padEnd(15)}${`${fixed(t1 / tn, 2)}×`.padEnd(11)}${fixed(cn / c1, 2).padEnd(23)}${fixed(b1, 1)}, ${fixed(bn, 1)}, ${fixed(b1 / bn, 2)}×`);
  }
  console.log(`(N = ${threads}; per round: 10 products, 5 CNN steps, 1 encoder step)`);
}

async function child(threads: number): Promise<void> {
  setEngineThreads(threads);
  await selectBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'modellab-threads-'));
  try {
    const measure = await measures(dir);
    process.stdout.write(JSON.stringify(await measure()) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inProcess(threads: number, rounds: number): Promise<void> {
  setEngineThreads(threads);
  await selectBackend('wasm');
  const pool = kernelPool(tf.backend());
  if (!pool) throw new Error(`no kernel pool at ${threads} threads (the threaded build did not start)`);
  const dir = mkdtempSync(join(tmpdir(), 'modellab-threads-'));
  try {
    const measure = await measures(dir);
    const [one, many]: Figures[][] = [[], []];
    for (let r = 0; r < rounds; r++) {
      for (const t of r % 2 === 0 ? [1, threads] : [threads, 1]) {
        pool.threads = t;
        (t === 1 ? one : many).push(await measure());
      }
    }
    report(one, many, threads, 'our kernels\' pool at 1 and N threads in one threaded process');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const threads = arg('--threads', availableParallelism());
  const rounds = arg('--rounds', 3);
  if (process.argv.includes('--child')) return child(threads);
  console.log(`load average at start: ${load()}; ${availableParallelism()} cores`);
  if (process.argv.includes('--in-process')) return inProcess(threads, rounds);
  const [one, many]: Figures[][] = [[], []];
  for (let r = 0; r < rounds; r++) {
    for (const t of r % 2 === 0 ? [1, threads] : [threads, 1]) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', __filename, '--child', '--threads', String(t), ...(process.argv.includes('--no-encoder') ? ['--no-encoder'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      (t === 1 ? one : many).push(JSON.parse(out.trim().split('\n').pop()!) as Figures);
      process.stdout.write(`round ${r + 1}, ${t} thread(s) done (load ${load()})\n`);
    }
  }
  report(one, many, threads, 'a process at 1 thread (single-threaded build) and one at N (threaded build, kernel pool), alternating');
}

void main();
