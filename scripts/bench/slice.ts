// A training batch taken from a tensor: our wasm Slice (src/trainer/kernels/slice.ts)
// against tfjs-backend-wasm's own, in the same process, on tables of rows of 784
// floats (a 28×28 image) from the bench CNN's 2,048 rows to MNIST's 60,000.
// Theirs copies the whole table off the heap before it picks the rows, so its
// time grows with the table; ours copies the 64 rows. Also a window of columns
// (not contiguous: a copy per row).
//
// node --import tsx scripts/bench/slice.ts [--reps N]

import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { Slice } from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend';
import { replacedKernel } from '../../src/trainer/kernels/wasmInternals';

const argv = process.argv.slice(2);
const repsAt = argv.indexOf('--reps');
const reps = repsAt >= 0 ? Number(argv[repsAt + 1]) : 20;

/** Least milliseconds per call over `reps` calls, after three untimed ones. */
function least(f: () => tf.Tensor): number {
  for (let i = 0; i < 3; i++) f().dispose();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f().dispose();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

async function main(): Promise<void> {
  await selectBackend('wasm');
  console.log(`Slice on wasm, least of ${reps} calls (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  console.log(`${'table'.padEnd(14)}${'slice'.padEnd(22)}${'ours ms'.padStart(10)}${'tfjs ms'.padStart(10)}  tfjs / ours`);
  for (const rows of [2048, 10000, 60000]) {
    const x = tf.zeros([rows, 784]);
    const theirs = (begin: number[], size: number[]) => () =>
      tf.engine().makeTensorFromTensorInfo(replacedKernel(Slice).kernelFunc({ inputs: { x }, attrs: { begin, size }, backend: tf.backend() } as never) as tf.TensorInfo);
    for (const [what, begin, size] of [
      ['64 rows', [rows >> 1, 0], [64, 784]],
      ['64 rows × 100 columns', [rows >> 1, 300], [64, 100]],
    ] as [string, number[], number[]][]) {
      const a = least(() => tf.slice(x, begin, size));
      const b = least(theirs(begin, size));
      console.log(`${`[${rows}, 784]`.padEnd(14)}${what.padEnd(22)}${a.toFixed(3).padStart(10)}${b.toFixed(3).padStart(10)}  ${(b / a).toFixed(0)}×`);
    }
    x.dispose();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
