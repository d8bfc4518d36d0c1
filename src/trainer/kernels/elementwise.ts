// Add, Sub and Multiply of two large float32 tensors of one shape on the
// engine's threads: the backend's own kernels (XNNPACK's) run on one thread,
// and a Transformer's residual additions and gradient sums are such
// operations, a dozen a step. Each float is the IEEE sum, difference or
// product of its two operands whichever thread computes it, so the results
// are the backend kernels' own. Measured (Add, best of 15 × 40 calls, two
// threads against XNNPACK's one): 65,536 floats 27 µs against 21, 131,072 25
// against 23, 262,144 31 against 42, 1,048,576 116 against 165 — so only
// from MIN_FLOATS on; broadcasting, other dtypes, smaller tensors and a
// single engine thread are left to the backend's kernels.

import { Add, Multiply, Sub, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { ELEMENTWISE, wasmLoopsFor } from './wasmLoops';
import { heapOffset, replacedKernel, replacingConfig } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';
import { kernelPool, SPLIT_MIN_ELEMENTS, splitUnits } from './workerPool';

/** The fewest floats split among the threads (below, the pool's wake-up costs more than the second thread gives). */
const MIN_FLOATS = 4 * SPLIT_MIN_ELEMENTS;

/** The tfjs kernel each loop of ELEMENTWISE replaces. */
const KERNELS: Record<keyof typeof ELEMENTWISE, string> = { add: Add, sub: Sub, mul: Multiply };

function elementwise(name: keyof typeof ELEMENTWISE) {
  return (args: KernelArgs<BackendWasm>): TensorInfo => {
    const { inputs, backend: w } = args;
    const [a, b] = [inputs.a as TensorInfo, inputs.b as TensorInfo];
    const n = util.sizeFromShape(a.shape);
    const pool = kernelPool(w);
    const loops = pool && pool.threads > 1 && n >= MIN_FLOATS && a.dtype === 'float32' && b.dtype === 'float32' && util.arraysEqual(a.shape, b.shape) ? wasmLoopsFor(w) : undefined;
    if (!loops) return replacedKernel(KERNELS[name]).kernelFunc(args) as TensorInfo;
    const out = w.makeOutput(a.shape, 'float32');
    const [aAt, bAt, outAt] = [heapOffset(w, a), heapOffset(w, b), heapOffset(w, out)];
    // Runs of four floats apart on the engine's threads.
    splitUnits(w, 'loops', name, loops.elementwise[name], Math.ceil(n / 4), n, (q0, q1) => [aAt + 16 * q0, bAt + 16 * q0, outAt + 16 * q0, Math.min(n, 4 * q1) - 4 * q0]);
    return out;
  };
}

/** Replace the wasm backend's Add, Sub and Multiply, which they call for every other case. */
export const elementwiseConfigs: readonly KernelConfig[] = (Object.keys(KERNELS) as (keyof typeof ELEMENTWISE)[]).map((name) => replacingConfig(KERNELS[name], elementwise(name)));
