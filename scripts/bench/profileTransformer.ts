// node --import tsx [--cpu-prof --cpu-prof-dir DIR] scripts/bench/profileTransformer.ts [--decoder] [--rounds N]
//
// The bench's Transformer workload (`encoder`, or `decoder` with --decoder;
// scripts/bench/workloads.ts: batch 32 × 64 tokens, dModel 64, ffDim 128) on
// our side only, at one engine thread, round after round in one process: a
// warm-up round, then N timed rounds. Prints tokens/s and µs per step of each
// round with the load average and the final loss. Run it under --cpu-prof to
// see where a step's time goes (the tfjs engine's bookkeeping against the wasm
// kernels); compare against PyTorch with `npm run bench -- --only encoder,decoder`.

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../src/trainer/backend';
import { setEngineThreads } from '../../src/trainer/threads';
import { transformerWorkload } from './workloads';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const decoder = argv.includes('--decoder');
const rounds = option('rounds', 3);
const load = () => loadavg().map((l) => l.toFixed(2)).join(', ');

async function main(): Promise<void> {
  setEngineThreads(option('threads', 1));
  await selectBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'modellab-profile-transformer-'));
  try {
    const w = transformerWorkload({ decoder, rows: option('rows', 512), epochs: 2, dir });
    console.log(`${w.name}; load ${load()}`);
    await w.ours({ warmUp: true });
    for (let r = 0; r < rounds; r++) {
      const t = await w.ours();
      const steps = t.items / (32 * 64);
      console.log(`round ${r + 1}: ${(t.items / t.seconds).toFixed(0)} tokens/s, ${((t.seconds * 1e6) / steps).toFixed(0)} µs/step (cpu ${((t.cpuSeconds * 1e6) / steps).toFixed(0)}), final loss ${t.finalLoss}; load ${load()}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
