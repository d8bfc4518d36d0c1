// One Adam step for many variables in one kernel. tfjs's AdamOptimizer runs
// ~13 kernels per variable per step; for small models (the first-lesson MLP)
// that per-kernel overhead, not arithmetic, is most of a training step.
// Numerically the same update as tf.train.adam:
//   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   w ← w − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)
// On wasm the loop runs four floats at a time in float32 (wasmLoops.ts adam),
// split among the engine's threads (runs of floats apart, the same values).

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { wasmLoopsFor } from './wasmLoops';
import { heapF32, heapOffset } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';
import { kernelPool, runPlans, share, SPLIT_MIN_ELEMENTS, splitParts } from './workerPool';
import type { Call } from './workerPool';

export const ADAM_UPDATE = 'ModelLabAdamUpdate';

export interface AdamUpdateAttrs {
  count: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β1^t and 1 − β2^t for this step t. */
  biasCorrection1: number;
  biasCorrection2: number;
}

function update(attrs: AdamUpdateAttrs, w: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, wOut: Float32Array, mOut: Float32Array, vOut: Float32Array): void {
  const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, biasCorrection1: c1, biasCorrection2: c2 } = attrs;
  const a1 = 1 - b1;
  const a2 = 1 - b2;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const mi = b1 * m[i] + a1 * gi;
    const vi = b2 * v[i] + a2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    wOut[i] = w[i] - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
  }
}

/** Calls in one pool run at most (workerPool.ts's MAX_CALLS), with room for a split variable per unit. */
const RUN_CALLS = 192;

/**
 * The Adam update of all `variables` (byte offsets of w, m, v, g, wOut,
 * mOut, vOut; n floats) in units of nearly equal runs of four floats
 * (splitParts of them on `threads` threads), a variable cut where a unit ends: every float is updated by the
 * same loop as on one thread (elementwise, so the cut changes nothing).
 * Several pool runs when there are more variables than one run holds.
 */
function adamPlans(variables: readonly { at: readonly number[]; n: number }[], floats: readonly number[], threads: number, id: number, fn: Call['fn']): Call[][][] {
  const runs: Call[][][] = [];
  for (let v0 = 0; v0 < variables.length; v0 += RUN_CALLS) {
    const group = variables.slice(v0, v0 + RUN_CALLS);
    const starts: number[] = [];
    let quads = 0;
    for (const v of group) {
      starts.push(quads);
      quads += Math.ceil(v.n / 4);
    }
    const parts = splitParts(threads, quads, 4 * quads);
    runs.push(
      Array.from({ length: parts }, (_, t) => {
        const [q0, q1] = share(quads, parts, t);
        const unit: Call[] = [];
        group.forEach((v, i) => {
          const [lo, hi] = [Math.max(q0, starts[i]) - starts[i], Math.min(q1, starts[i] + Math.ceil(v.n / 4)) - starts[i]];
          if (hi <= lo) return;
          const [f0, f1] = [4 * lo, Math.min(v.n, 4 * hi)];
          unit.push({ fn, id, args: [...v.at.map((o) => o + 4 * f0), f1 - f0, ...floats] });
        });
        return unit;
      }),
    );
  }
  return runs;
}

function wasmAdamUpdate({ inputs, backend, attrs }: KernelArgs<BackendWasm>): tf.TensorInfo[] {
  const a = attrs as unknown as AdamUpdateAttrs;
  const outs: tf.TensorInfo[] = [];
  for (let i = 0; i < a.count; i++) {
    const shape = inputs[`value${i}`]!.shape;
    outs.push(backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32'));
  }
  const loops = wasmLoopsFor(backend);
  if (loops) {
    const at = (t: tf.TensorInfo) => heapOffset(backend, t);
    const floats = [a.learningRate, a.beta1, a.beta2, a.epsilon, a.biasCorrection1, a.biasCorrection2];
    const variables = Array.from({ length: a.count }, (_, i) => {
      const w = inputs[`value${i}`]!;
      return { at: [at(w), at(inputs[`m${i}`]!), at(inputs[`v${i}`]!), at(inputs[`grad${i}`]!), at(outs[3 * i]), at(outs[3 * i + 1]), at(outs[3 * i + 2])], n: tf.util.sizeFromShape(w.shape) };
    });
    const pool = kernelPool(backend);
    const total = variables.reduce((sum, v) => sum + v.n, 0);
    if (!pool || pool.threads < 2 || total < SPLIT_MIN_ELEMENTS) {
      for (const { at: o, n } of variables) loops.adam(o[0], o[1], o[2], o[3], o[4], o[5], o[6], n, ...(floats as [number, number, number, number, number, number]));
      return outs;
    }
    for (const units of adamPlans(variables, floats, pool.threads, pool.id('loops', 'adam'), loops.adam as unknown as Call['fn'])) runPlans(pool, units);
    return outs;
  }
  // Views only after every allocation: growing the heap detaches earlier views.
  const view = (t: tf.TensorInfo) => heapF32(backend, t);
  for (let i = 0; i < a.count; i++) {
    update(a, view(inputs[`value${i}`]!), view(inputs[`m${i}`]!), view(inputs[`v${i}`]!), view(inputs[`grad${i}`]!), view(outs[3 * i]), view(outs[3 * i + 1]), view(outs[3 * i + 2]));
  }
  return outs;
}

function cpuAdamUpdate({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const a = attrs as unknown as AdamUpdateAttrs;
  const outs: tf.TensorInfo[] = [];
  const read = (name: string) => backend.readSync(inputs[name]!.dataId) as Float32Array;
  for (let i = 0; i < a.count; i++) {
    const shape = inputs[`value${i}`]!.shape;
    const n = tf.util.sizeFromShape(shape);
    const [w, m, v] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    update(a, read(`value${i}`), read(`m${i}`), read(`v${i}`), read(`grad${i}`), w, m, v);
    for (const values of [w, m, v]) outs.push({ dataId: backend.write(values, shape, 'float32'), shape, dtype: 'float32' });
  }
  return outs;
}

/** Inputs value<i>, m<i>, v<i>, grad<i> for i < count; attrs AdamUpdateAttrs; outputs value, m, v for each i. */
export const adamUpdateWasmConfig: KernelConfig = {
  kernelName: ADAM_UPDATE,
  backendName: 'wasm',
  kernelFunc: wasmAdamUpdate as unknown as KernelFunc,
};

export const adamUpdateCpuConfig: KernelConfig = {
  kernelName: ADAM_UPDATE,
  backendName: 'cpu',
  kernelFunc: cpuAdamUpdate as unknown as KernelFunc,
};

/** The private state of tf.AdamOptimizer that a fused step reads and writes (here and in fusedStep.ts). */
export interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  iterations_: number;
}

/**
 * optimizer.applyGradients(grads) for a tf.train.adam optimizer, in one
 * kernel call when the backend has the fused kernel; false when it has not
 * (the caller then uses the optimizer's own applyGradients). The optimizer's
 * state (moments, step count, β powers) stays what its own step would leave,
 * so it can carry on either way and its weights save the same.
 */
export function applyAdamFused(optimizer: tf.Optimizer, grads: tf.NamedTensorMap): boolean {
  // By class name: tfjs optimizers answer `instanceof` by duck typing, so every optimizer is "an AdamOptimizer".
  if (optimizer.getClassName() !== 'Adam' || !tf.getKernel(ADAM_UPDATE, tf.getBackend())) return false;
  const s = optimizer as unknown as AdamState;
  const names = Object.keys(grads).filter((n) => grads[n] != null);
  if (names.length === 0) return true;
  const allNames = Object.keys(grads);
  const inputs: tf.NamedTensorMap = {};
  const variables: tf.Variable[] = [];
  const moments: [tf.Variable, tf.Variable][] = [];
  // Moments are indexed by position in the gradient map, as tf.train.adam does.
  allNames.forEach((name, i) => {
    const value = tf.engine().registeredVariables[name];
    s.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    s.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    if (grads[name] == null) return;
    const k = variables.length;
    inputs[`value${k}`] = value;
    inputs[`m${k}`] = s.accumulatedFirstMoment[i].variable;
    inputs[`v${k}`] = s.accumulatedSecondMoment[i].variable;
    inputs[`grad${k}`] = grads[name];
    variables.push(value);
    moments.push([s.accumulatedFirstMoment[i].variable, s.accumulatedSecondMoment[i].variable]);
  });
  const t = optimizer.iterations + 1;
  const attrs: AdamUpdateAttrs = {
    count: variables.length,
    learningRate: s.learningRate,
    beta1: s.beta1,
    beta2: s.beta2,
    epsilon: s.epsilon,
    biasCorrection1: 1 - Math.pow(s.beta1, t),
    biasCorrection2: 1 - Math.pow(s.beta2, t),
  };
  const outs = tf.engine().runKernel(ADAM_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  variables.forEach((value, k) => {
    value.assign(outs[3 * k]);
    moments[k][0].assign(outs[3 * k + 1]);
    moments[k][1].assign(outs[3 * k + 2]);
  });
  tf.dispose(outs);
  // The β powers for the next step, as tf.train.adam keeps them (its getWeights/setWeights use them).
  tf.tidy(() => {
    s.accBeta1.assign(tf.scalar(Math.pow(s.beta1, t + 1)));
    s.accBeta2.assign(tf.scalar(Math.pow(s.beta2, t + 1)));
  });
  s.iterations_ = t;
  return true;
}
