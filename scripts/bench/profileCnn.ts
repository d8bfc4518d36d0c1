// Where a CNN's training step spends its time, kernel by kernel: the
// benchmark's network (workloads.ts, cnnWorkload: conv 32 3×3 relu → maxPool
// 2 → conv 64 3×3 relu → maxPool 2 → flatten → dense 128 relu → dense 10
// softmax; 28×28×1, batch 64, Adam, categorical cross-entropy) trained
// through the engine's own step (trainStep with the fused dense forward), a
// few warm-up steps, then tf.profile over the timed ones. Prints each kernel's
// share of the step, with the ones that run on the CPU backend (copied across)
// marked.
//
// node --import tsx scripts/bench/profileCnn.ts [--backend wasm|cpu] [--steps N] [--threads N] [--shapes]
// (--threads: the engine's threads, every core unless given; at 1 the single-threaded build)
// (--shapes: one line per kernel and input shapes, to tell the two convolutions apart)
//
// node --import tsx scripts/bench/profileCnn.ts --compare [--rounds N]
// One threaded process (every core), our kernels' pool toggled between 1 thread and all,
// alternating round by round: each kernel's time at both (the least of the rounds, the
// nearest to a quiet machine) and its speed-up, so what stays on one thread shows; with the
// pool's runs per step (each a wake-up and a wait). XNNPACK stays on one thread either way.

import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice } from '../../src/core/types';
import { selectBackend } from '../../src/trainer/backend';
import { kernelPool } from '../../src/trainer/kernels/workerPool';
import { engineThreads, setEngineThreads } from '../../src/trainer/threads';
import { cnnStepRunner } from './workloads';

const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};

/** Milliseconds per step by kernel and input shapes in one profiled step (composite ops, which nest kernels, left out). */
async function kernelTimes(step: () => void): Promise<Map<string, number>> {
  const info = await tf.profile(step);
  const times = new Map<string, number>();
  for (const k of info.kernels) {
    if (k.name === 'forward' || k.name.endsWith('__op')) continue;
    const key = `${k.name} ${k.inputShapes.slice(0, 2).map((s) => (s ? `[${s.join(',')}]` : '-')).join(' ')}`;
    times.set(key, (times.get(key) ?? 0) + Number(k.kernelTimeMs));
  }
  return times;
}

async function compare(): Promise<void> {
  await selectBackend('wasm');
  const pool = kernelPool(tf.backend());
  if (!pool) throw new Error(`no kernel pool at ${engineThreads()} engine thread(s): --compare needs two or more and the threaded build`);
  const rounds = Number(option('rounds') ?? 8);
  const runner = cnnStepRunner(64);
  for (let i = 0; i < 3; i++) runner.step();
  const counts = [1, pool.size];
  const best = counts.map(() => new Map<string, number>());
  const walls = counts.map(() => [] as number[]);
  let runs = 0;
  for (let r = 0; r < rounds; r++) {
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
      pool.threads = counts[i];
      const [runs0, t0] = [pool.runs, performance.now()];
      runner.step();
      walls[i].push(performance.now() - t0);
      if (i === 1) runs = pool.runs - runs0;
      for (const [key, ms] of await kernelTimes(() => runner.step())) best[i].set(key, Math.min(best[i].get(key) ?? Infinity, ms));
    }
  }
  pool.threads = pool.size;
  runner.dispose();
  const least = (xs: number[]) => Math.min(...xs);
  console.log(`CNN step, batch 64, one threaded process: our pool at 1 and ${pool.size} threads, ${rounds} alternating rounds (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  console.log(`step wall, least: ${least(walls[0]).toFixed(2)} ms and ${least(walls[1]).toFixed(2)} ms (${(least(walls[0]) / least(walls[1])).toFixed(2)}×); pool runs per step at ${pool.size}: ${runs}`);
  const width = Math.max(...[...best[0].keys()].map((k) => k.length)) + 2;
  console.log(`${'kernel'.padEnd(width)}${'1 thread'.padStart(9)}${`${pool.size} threads`.padStart(11)}  speed-up   (ms per step, least of the rounds)`);
  const sums = [0, 0];
  for (const [key, one] of [...best[0]].sort((a, b) => b[1] - a[1])) {
    const many = best[1].get(key) ?? NaN;
    sums[0] += one;
    sums[1] += many;
    if (one >= 0.03) console.log(`${key.padEnd(width)}${one.toFixed(2).padStart(9)}${many.toFixed(2).padStart(11)}  ${(one / many).toFixed(2)}×`);
  }
  console.log(`${'all kernels'.padEnd(width)}${sums[0].toFixed(2).padStart(9)}${sums[1].toFixed(2).padStart(11)}  ${(sums[0] / sums[1]).toFixed(2)}×`);
}

async function main(): Promise<void> {
  if (argv.includes('--compare')) return compare();
  if (option('threads') !== undefined) setEngineThreads(Number(option('threads')));
  const sel = await selectBackend((option('backend') ?? 'wasm') as BackendChoice);
  const steps = Number(option('steps') ?? 10);
  const runner = cnnStepRunner(64);
  for (let i = 0; i < 3; i++) runner.step();
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const info = await tf.profile(() => {
    for (let i = 0; i < steps; i++) runner.step();
  });
  const wall = (performance.now() - started) / steps;
  const cpuUsed = process.cpuUsage(cpuStarted);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1000 / steps;
  runner.dispose();
  const byName = new Map<string, { ms: number; calls: number }>();
  const byShapes = argv.includes('--shapes');
  for (const k of info.kernels) {
    const key = byShapes ? `${k.name} ${k.inputShapes.slice(0, 3).map((s) => (s ? `[${s.join(",")}]` : "-")).join(' ')}` : k.name;
    const e = byName.get(key) ?? { ms: 0, calls: 0 };
    e.ms += Number(k.kernelTimeMs);
    e.calls++;
    byName.set(key, e);
  }
  const total = [...byName.values()].reduce((s, e) => s + e.ms, 0) / steps;
  const fallback = new Set(sel.cpuFallbackKernels);
  console.log(`backend ${sel.backend}, ${engineThreads()} engine thread(s), kernel pool ${kernelPool(tf.backend())?.threads ?? 'none'}; ${steps} steps of batch 64; wall ${wall.toFixed(1)} ms/step under tf.profile (CPU ${cpu.toFixed(1)}: on a busy machine the less disturbed), kernels ${total.toFixed(1)} ms/step`);
  const width = Math.max(32, ...[...byName.keys()].map((k) => k.length + 2));
  console.log(`${'kernel'.padEnd(width)}ms/step   share  calls/step`);
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
    const ms = e.ms / steps;
    if (ms < 0.05) continue;
    console.log(`${(name + (fallback.has(name.split(' ')[0]) ? ' (CPU fallback)' : '')).padEnd(width)}${ms.toFixed(2).padStart(7)}  ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${(e.calls / steps).toFixed(0).padStart(5)}`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
