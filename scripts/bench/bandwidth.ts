// The memory line of `npm run bench`: how much a second thread can speed up a
// pass that streams memory rather than computes. One of our own wasm loops
// (addInto: dst += src, 12 bytes moved per float) runs over two sizes, split
// among our kernel pool's threads as the kernels split their passes, with the
// pool toggled between 1 thread and all, alternating, best of the tries:
//  - the CNN's largest activation (batch 64 × 26 × 26 × 32 floats, 5.5 MB: the
//    first convolution's output, which its ReLU gradient, max-pool gradient,
//    bias sum and filter gradient each stream through at least once a step);
//  - a run that stays in the cores' own caches (1 MiB), for contrast.
// What threads give the large pass bounds what they can give the kernels
// that stream such tensors: where it is far below the small pass's, memory
// bandwidth, not the kernels' split, caps the CNN's 1 → N speed-up.

import * as tf from '@tensorflow/tfjs-core';
import { wasmLoopsFor } from '../../src/trainer/kernels/wasmLoops';
import { heapOffset } from '../../src/trainer/kernels/wasmInternals';
import type { BackendWasm } from '../../src/trainer/kernels/wasmInternals';
import { kernelPool, splitUnits } from '../../src/trainer/kernels/workerPool';

export interface StreamFigures {
  label: string;
  bytes: number;
  /** GB/s moved at 1 thread and at all of the pool's. */
  one: number;
  all: number;
  threads: number;
}

/** The CNN's first activation: batch 64 × 26 × 26 × 32 floats. */
const CNN_ACTIVATION_FLOATS = 64 * 26 * 26 * 32;
/** A pass that stays in the cores' own caches: 256 Ki floats (1 MiB; 512 KiB a thread at 2, of 2 MiB of L2 each here). */
const CACHED_FLOATS = 256 * 1024;

/** The memory line, measured in this process (a threaded one with a kernel pool); undefined without a pool. */
export function measuredStreams(tries = 7): StreamFigures[] | undefined {
  const w = tf.backend() as unknown as BackendWasm;
  const pool = kernelPool(w);
  const loops = wasmLoopsFor(w);
  if (!pool || !loops || pool.size < 2) return undefined;
  const figures: StreamFigures[] = [];
  for (const [label, floats] of [['a pass over the CNN’s first activation (5.5 MB)', CNN_ACTIVATION_FLOATS], ['a pass that stays in the cores’ caches (1 MiB)', CACHED_FLOATS]] as const) {
    const dst = tf.zeros([floats]);
    const src = tf.ones([floats]);
    const [dAt, sAt] = [heapOffset(w, dst), heapOffset(w, src)];
    const quads = floats / 4;
    const pass = () => splitUnits(w, 'loops', 'addInto', loops.addInto, quads, floats, (u0, u1) => [dAt + 16 * u0, sAt + 16 * u0, 4 * (u1 - u0)]);
    // Enough passes for ~10 ms a try.
    const reps = Math.max(1, Math.round((10e6 / 12 / floats) * 4));
    const best = [Infinity, Infinity];
    const saved = pool.threads;
    try {
      for (let t = 0; t < tries; t++) {
        for (const i of t % 2 === 0 ? [0, 1] : [1, 0]) {
          pool.threads = i === 0 ? 1 : pool.size;
          pass();
          const started = performance.now();
          for (let r = 0; r < reps; r++) pass();
          best[i] = Math.min(best[i], (performance.now() - started) / reps);
        }
      }
    } finally {
      pool.threads = saved;
      tf.dispose([dst, src]);
    }
    const gbs = (ms: number) => (12 * floats) / (ms / 1000) / 1e9;
    figures.push({ label, bytes: 4 * floats, one: gbs(best[0]), all: gbs(best[1]), threads: pool.size });
  }
  return figures;
}
