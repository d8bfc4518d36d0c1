// Model Lab's side of `npm run bench` in a process of its own, at one thread
// count: the engine's thread count is fixed when the wasm backend starts, so
// bench.ts starts one of these per count, as a user's trainer process would
// run. It speaks JSON lines over stdio like the PyTorch peer (peer_torch.py):
//
//   argv: <threads> <backend> <quick 0|1> <folder for the peer's files>
//   → {"ready": true, tfjs, backend, threads, wasmThreads, relaxedSimd}
//   ← {"cmd": "prepare", "key": "mlp"}     → {name, unit, flopsPerItem, peer}  (builds the workload, writes the peer's files)
//   ← {"cmd": "run", "key": "mlp", "warmUp"?: true} → {seconds, cpuSeconds, items, finalLoss, leaked}
//   ← {"cmd": "matmul", "m", "k", "n", "reps"} → {gflops}
//   ← {"cmd": "peak"}                      → {fused, unfused}  (GFLOP/s of one thread, simdLimit.ts)
//   ← {"cmd": "streams"}                   → {streams}  (GB/s of a pass at 1 and all of the pool's threads, bandwidth.ts; null without a pool)
//
// Everything else the process prints goes to stderr, so stdout carries only the answers.

import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice } from '../../src/core/types';
import { selectBackend } from '../../src/trainer/backend';
import { hasRelaxedSimd } from '../../src/trainer/kernels/wasmGemm';
import { engineThreads, setEngineThreads } from '../../src/trainer/threads';
import { measuredStreams } from './bandwidth';
import { measuredPeak } from './simdLimit';
import { benchWorkload, matMulGflops, WORKLOAD_KEYS } from './workloads';
import type { Workload, WorkloadKey } from './workloads';

const answer = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
console.log = console.error;
console.info = console.error;

async function main(): Promise<void> {
  const [threadsArg, backendArg, quickArg, dir] = process.argv.slice(2);
  // Before the backend starts: the wasm backend fixes its thread pool when it initializes.
  setEngineThreads(Number(threadsArg));
  const sel = await selectBackend(backendArg as BackendChoice);
  answer({ ready: true, tfjs: tf.version_core, backend: sel.backend, threads: engineThreads(), wasmThreads: sel.backend === 'wasm' ? getThreadsCount() : undefined, relaxedSimd: hasRelaxedSimd() });
  const workloads = new Map<WorkloadKey, Workload>();
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    try {
      const req = JSON.parse(line) as { cmd: string; key?: WorkloadKey; warmUp?: boolean; m?: number; k?: number; n?: number; reps?: number };
      if (req.cmd === 'prepare') {
        if (!req.key || !WORKLOAD_KEYS.includes(req.key)) throw new Error(`unknown workload ${String(req.key)}`);
        const w = benchWorkload(req.key, quickArg === '1', join(dir, req.key));
        workloads.set(req.key, w);
        answer({ name: w.name, unit: w.unit, flopsPerItem: w.flopsPerItem, peer: w.peer });
      } else if (req.cmd === 'run') {
        const w = workloads.get(req.key as WorkloadKey);
        if (!w) throw new Error(`workload ${String(req.key)} not prepared`);
        const before = tf.memory().numTensors;
        const r = await w.ours({ warmUp: req.warmUp });
        answer({ ...r, leaked: tf.memory().numTensors - before });
      } else if (req.cmd === 'matmul') {
        answer({ gflops: matMulGflops(req.m!, req.k!, req.n!, req.reps!) });
      } else if (req.cmd === 'streams') {
        answer({ streams: measuredStreams() ?? null });
      } else if (req.cmd === 'peak') {
        answer({ fused: measuredPeak(true) ?? null, unfused: measuredPeak(false) ?? null });
      } else {
        throw new Error(`unknown command ${req.cmd}`);
      }
    } catch (e) {
      answer({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
