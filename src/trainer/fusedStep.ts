// A whole training step of a Dense stack without the engine: trainModel's fast
// path for the first-lesson kind of model. Through tfjs every step of a small
// MLP is 26 kernel dispatches (10 → 64 → 1), each making tensors, recording
// the gradient tape and counting references; at batch 32 that bookkeeping,
// not the ~65k multiply-adds, is nearly all of the step (a CPU profile of the
// general path: about 5% of its time in wasm kernels).
//
// Here one call does the step: forward, loss, backward and the optimizer
// update, straight on the wasm heap, calling the very kernels the general path
// reaches through the engine — our SIMD product (wasmGemm.ts) with bias and
// ReLU in its epilogue, the ReLU gradient, the row sums and the Adam loop
// (wasmLoops.ts) — with the same operands in the same order, and the few
// element-wise steps the general path runs as tfjs kernels (the MSE's
// difference, its gradient scale, SGD's update) in float32 here. So the
// weights, the moments and the step losses come out bit for bit as the general
// path's (test/trainer/fusedStep.test.ts trains both ways and compares).
// Sigmoid, tanh and softmax layers call tfjs-backend-wasm's own C functions
// for what the general path runs there: XNNPACK's product (with the sigmoid
// fused), Tanh, Softmax, and the cross-entropies' Log, Exp and Log1p.
//
// The weights stay the model's own tf.Variables. Each update writes a weight
// into a fresh buffer that the variable is then assigned, as tfjs's own
// optimizers do: tfjs-backend-wasm's XNNPACK products keep packed copies of a
// weight tensor keyed by its id (validation and predict go that way), so a
// weight changed in place under the same id would be read stale. Adam's
// moments, never a product's operand, are updated in place (copied first when
// another tensor shares their memory, e.g. right after a checkpoint restore).
// Anything may read the model between steps: callbacks, validation,
// checkpoints, the distributions recorder.
//
// Taken only where it is exact (denseStackStep says why not otherwise): the
// wasm backend with Model Lab's kernels; a Sequential of Dense layers with
// linear, ReLU, sigmoid or tanh activations and no regularizers, each
// optionally followed by a Dropout (its mask drawn by tf.randomUniform, as
// tf.dropout draws it); the inputs one float32 matrix (not batch by batch);
// loss mse or mae (targets of the output's shape, metrics among mse and
// mae), or sparse or one-hot categorical cross-entropy after a softmax output,
// or binary cross-entropy after a sigmoid output (metric accuracy); optimizer
// Adam, SGD, momentum (not Nesterov's), RMSProp (not centered) or Adagrad.

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ACTIVATION_GRAD, activationGradInto } from './kernels/activationGrad';
import { ADAM_UPDATE } from './kernels/adamUpdate';
import type { AdamState } from './kernels/adamUpdate';
import { DENSE } from './kernels/dense';
import { softmaxIsOurs } from './kernels/softmax';
import { gemmFor } from './kernels/wasmGemm';
import type { Gemm } from './kernels/wasmGemm';
import { wasmLoopsFor } from './kernels/wasmLoops';
import type { WasmLoops } from './kernels/wasmLoops';
import { cwrap, disposeTensorView, heapFloats, heapOffset, newTensorId, registerTensorView, tensorId } from './kernels/wasmInternals';
import type { BackendWasm } from './kernels/wasmInternals';

/** What the step reads of a compiled tfjs-layers model. */
export interface StepModel {
  optimizer: tf.Optimizer;
  loss: unknown;
  metricsNames: string[];
}

/**
 * Each optimizer's state per variable, as tfjs keeps it: arrays on the
 * optimizer indexed by the variable's position in the gradient map, of
 * variables named after it (created at the first step, zeros unless said).
 */
const SLOTS: Record<string, { field: string; suffix: string; initial?: 'initialAccumulatorValue' }[]> = {
  SGD: [],
  Momentum: [{ field: 'accumulations', suffix: 'momentum' }],
  Adam: [
    { field: 'accumulatedFirstMoment', suffix: 'm' },
    { field: 'accumulatedSecondMoment', suffix: 'v' },
  ],
  RMSProp: [
    { field: 'accumulatedMeanSquares', suffix: 'rms' },
    { field: 'accumulatedMoments', suffix: 'momentum' },
  ],
  Adagrad: [{ field: 'accumulatedGrads', suffix: 'accumulator', initial: 'initialAccumulatorValue' }],
};

interface DenseInternals {
  kernel: tfl.LayerVariable;
  bias?: tfl.LayerVariable | null;
  units: number;
  activation: { getClassName(): string };
  kernelRegularizer?: unknown;
  biasRegularizer?: unknown;
  activityRegularizer?: unknown;
}

type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';
type LossKind = 'mse' | 'mae' | 'sparse' | 'categorical' | 'binary';
type MetricKind = 'mse' | 'mae' | 'acc';

interface Layer {
  k: number;
  n: number;
  act: Activation;
  relu: boolean;
  kernel: tf.Variable;
  bias?: tf.Variable;
  /** Float offsets in the scratch buffer: output, its gradient, the weight gradients, Wᵀ. */
  h: number;
  d: number;
  dw: number;
  db: number;
  wt: number;
  /**
   * A tanh or softmax layer's pre-activation; a softmax layer's clipped
   * normalized probabilities and their logarithms. Under binary cross-entropy:
   * z −|logits|, c2 the odds c/(1−c), logs their logarithm (the logits), e
   * and lp exp(−|logits|) and its log1p.
   */
  z: number;
  c2: number;
  logs: number;
  e: number;
  lp: number;
  /** The rate of the Dropout layer that follows, if any. */
  drop?: number;
  /** The output as the next layer reads it (after the dropout, if any), and the dropout's multiplier (0 or 1/keep). */
  out: number;
  mult: number;
}

interface DropoutInternals {
  rate: number;
  noiseShape?: unknown;
  seed?: unknown;
}

/** tfjs-backend-wasm's C functions that sigmoid, tanh and softmax layers call, as the general path's kernels call them (by tensor id). */
interface CFunctions {
  fusedMatMul: (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, ta: boolean, tb: boolean, activation: number, biasId: number, preluId: number, alpha: number, outId: number) => void;
  softmax: (xId: number, outId: number, channels: number, batch: number) => void;
  log: (xId: number, dtype: number, outId: number) => void;
  tanh: (xId: number, dtype: number, outId: number) => void;
  exp: (xId: number, dtype: number, outId: number) => void;
  log1p: (xId: number, dtype: number, outId: number) => void;
}

/** tfjs-backend-wasm's FusableActivation codes: what the _FusedMatMul kernel applies after the product. */
const LINEAR = 0;
const SIGMOID = 5;
/** tfjs-backend-wasm's CppDType of float32. */
const FLOAT32 = 0;

/** The losses the step computes (the compiled model's loss name), and the metrics each allows. */
const LOSSES: Record<string, { kind: LossKind; metrics: Set<string> }> = {
  meanSquaredError: { kind: 'mse', metrics: new Set(['mse', 'mae']) },
  meanAbsoluteError: { kind: 'mae', metrics: new Set(['mse', 'mae']) },
  sparseCategoricalCrossentropy: { kind: 'sparse', metrics: new Set(['acc']) },
  categoricalCrossentropy: { kind: 'categorical', metrics: new Set(['acc']) },
  binaryCrossentropy: { kind: 'binary', metrics: new Set(['acc']) },
};

/** The output activation each cross-entropy takes here. */
const OUTPUT_OF: Partial<Record<LossKind, Activation>> = { sparse: 'softmax', categorical: 'softmax', binary: 'sigmoid' };
const round4 = (n: number) => (n + 3) & ~3;

/**
 * The one-call step for training `model` on x, y, or why the general path
 * trains it (a sentence). `variables` are the trainable weights in the order
 * the optimizer's state follows.
 */
export function denseStackStep(model: tfl.LayersModel, compiled: StepModel, variables: tf.Variable[], x: unknown, y: tf.Tensor, batchSize: number): DenseStackStep | string {
  if (tf.getBackend() !== 'wasm') return `the ${tf.getBackend()} backend`;
  const backend = tf.backend() as unknown as BackendWasm;
  // The general path's kernels: the fast step matches them only where they run.
  if (!tf.getKernel(DENSE, 'wasm') || !tf.getKernel(ADAM_UPDATE, 'wasm') || !tf.getKernel(ACTIVATION_GRAD, 'wasm')) return "Model Lab's wasm kernels are not registered";
  const gemm = gemmFor(backend);
  const loops = wasmLoopsFor(backend);
  if (!gemm || !loops) return 'no wasm SIMD product here';
  if (model.getClassName() !== 'Sequential') return 'not a Sequential model';
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const loss = typeof compiled.loss === 'string' ? LOSSES[compiled.loss] : undefined;
  if (!loss) return `loss ${typeof compiled.loss === 'string' ? compiled.loss : 'of its own'}`;
  const plan: Layer[] = [];
  const lastDense = layers.map((l) => l.getClassName()).lastIndexOf('Dense');
  for (const [i, layer] of layers.entries()) {
    if (layer.getClassName() === 'Dropout') {
      // Dropout as tfjs does it (tf.dropout: a fresh uniform mask a step), after a Dense layer's activation.
      const dr = layer as unknown as DropoutInternals;
      if (dr.noiseShape != null || dr.seed != null) return 'a Dropout layer with a noise shape or seed';
      if (!(dr.rate > 0 && dr.rate < 1)) continue; // passes its input through, as tfjs-layers runs it
      const prev = plan[plan.length - 1];
      if (!prev || prev.drop !== undefined) return 'a Dropout layer that does not follow a Dense layer';
      if (i > lastDense) return 'a Dropout layer after the output layer';
      prev.drop = dr.rate;
      continue;
    }
    if (layer.getClassName() !== 'Dense') return `a ${layer.getClassName()} layer`;
    const d = layer as unknown as DenseInternals;
    if (d.kernelRegularizer || d.biasRegularizer || d.activityRegularizer) return 'a regularized Dense layer';
    const activation = d.activation.getClassName().toLowerCase();
    // Under a cross-entropy the output is its softmax or sigmoid; linear, ReLU, sigmoid or tanh anywhere else.
    const output = i === lastDense ? OUTPUT_OF[loss.kind] : undefined;
    const allowed = output ? activation === output : ['linear', 'relu', 'sigmoid', 'tanh'].includes(activation);
    if (!allowed) return output ? `a cross-entropy after a ${activation} output` : `a Dense layer with ${activation} activation`;
    const kernel = d.kernel.read() as tf.Variable;
    if (kernel.rank !== 2 || kernel.dtype !== 'float32') return 'a Dense kernel that is not a float32 matrix';
    const bias = d.bias ? (d.bias.read() as tf.Variable) : undefined;
    const [k, n] = kernel.shape as [number, number];
    plan.push({ k, n, act: activation as Activation, relu: activation === 'relu', kernel, bias, h: 0, d: 0, dw: 0, db: 0, wt: 0, z: 0, c2: 0, logs: 0, e: 0, lp: 0, out: 0, mult: 0 });
  }
  if (plan.length === 0) return 'no layers';
  const weights = plan.flatMap((l) => (l.bias ? [l.kernel, l.bias] : [l.kernel]));
  if (variables.length !== weights.length || !weights.every((w) => variables.includes(w))) return 'trainable weights other than the Dense layers\' own';
  const metrics = compiled.metricsNames.slice(1);
  const other = metrics.find((name) => !loss.metrics.has(name));
  if (other !== undefined) return `metric ${other}`;
  const kind = compiled.optimizer.getClassName();
  if (!(kind in SLOTS)) return `optimizer ${kind}`;
  const o = compiled.optimizer as unknown as { useNesterov?: boolean; centered?: boolean };
  if (o.useNesterov || o.centered) return `optimizer ${kind} (${o.useNesterov ? 'Nesterov' : 'centered'})`;
  if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.dtype !== 'float32' || x.shape[1] !== plan[0].k) return 'inputs that are not one float32 matrix of the first layer\'s width';
  const out = plan[plan.length - 1].n;
  if (loss.kind === 'sparse') {
    // Class indices, one a row ([rows] or [rows, 1]).
    if (out < 2) return 'a softmax of one unit';
    if (y.dtype !== 'float32' || y.size !== y.shape[0]) return 'sparse targets that are not float32 class indices, one a row';
  } else if (y.rank !== 2 || y.dtype !== 'float32' || y.shape[1] !== out) return `targets not shaped [rows, ${out}]`;
  if (loss.kind === 'categorical' && out < 2) return 'a softmax of one unit';
  // The general path's Softmax kernel takes a large softmax itself (kernels/softmax.ts); this step calls the backend's.
  if (plan.some((l) => l.act === 'softmax' && softmaxIsOurs(Math.max(1, Math.min(batchSize, x.shape[0])), l.n))) return 'a softmax as large as Model Lab\'s own kernel takes';
  return new DenseStackStep(backend, gemm, loops, plan, variables, compiled.optimizer, Math.max(1, Math.min(batchSize, x.shape[0])), loss.kind, metrics as MetricKind[]);
}

export class DenseStackStep {
  private readonly scratch: tf.Tensor;
  /** For each variable (in the optimizer's order): its layer and whether it is the bias. */
  private readonly owners: { layer: Layer; bias: boolean }[];
  /** The optimizer's state variables of each variable (SLOTS), updated in place. */
  private readonly state: tf.Variable[][];
  /** The backend's C functions, where a layer needs them (sigmoid, tanh, softmax). */
  private readonly c?: CFunctions;
  /** Tensor ids the C functions know the scratch buffers by, by float offset (views: the memory is the scratch tensor's). */
  private readonly views = new Map<number, number>();
  /** Keras's epsilon (the backend's), the cross-entropies' clip bounds as the clip kernel holds them. */
  private readonly clip: [number, number];

  constructor(
    private readonly backend: BackendWasm,
    private readonly gemm: Gemm,
    private readonly loops: WasmLoops,
    private readonly layers: Layer[],
    private readonly variables: tf.Variable[],
    private readonly optimizer: tf.Optimizer,
    maxRows: number,
    private readonly loss: LossKind,
    private readonly metrics: MetricKind[],
  ) {
    let floats = 0;
    const take = (n: number) => {
      const at = floats;
      floats += round4(n);
      return at;
    };
    layers.forEach((l, i) => {
      l.h = take(maxRows * l.n);
      l.d = take(maxRows * l.n);
      l.dw = take(l.k * l.n);
      l.db = take(l.n);
      l.wt = i > 0 ? take(l.k * l.n) : 0;
      l.out = l.h;
      if (l.drop !== undefined) {
        l.out = take(maxRows * l.n);
        l.mult = take(maxRows * l.n);
      }
      const binaryOutput = loss === 'binary' && i === layers.length - 1;
      if (l.act === 'softmax' || l.act === 'tanh' || binaryOutput) l.z = take(maxRows * l.n);
      if (l.act === 'softmax' || binaryOutput) {
        l.c2 = take(maxRows * l.n);
        l.logs = take(maxRows * l.n);
      }
      if (binaryOutput) {
        l.e = take(maxRows * l.n);
        l.lp = take(maxRows * l.n);
      }
    });
    this.scratch = tf.zeros([floats + 4]);
    const eps = tf.backend().epsilon();
    this.clip = [Math.fround(eps), Math.fround(1 - eps)];
    if (layers.some((l) => l.act === 'sigmoid' || l.act === 'tanh' || l.act === 'softmax')) {
      this.c = {
        fusedMatMul: cwrap(backend, '_FusedMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'number']),
        softmax: cwrap(backend, 'Softmax', null, ['number', 'number', 'number', 'number']),
        log: cwrap(backend, 'Log', null, ['number', 'number', 'number']),
        tanh: cwrap(backend, 'Tanh', null, ['number', 'number', 'number']),
        exp: cwrap(backend, 'Exp', null, ['number', 'number', 'number']),
        log1p: cwrap(backend, 'Log1p', null, ['number', 'number', 'number']),
      };
      // Views of every buffer a C function reads or writes, registered once: each layer's input (but the first's, the batch's rows, a view a step), pre-activation, output, and a softmax's clipped values and logarithms.
      const base = heapOffset(backend, this.scratch);
      const view = (floatOffset: number, size: number) => {
        if (this.views.has(floatOffset)) return;
        const id = newTensorId(backend);
        registerTensorView(backend, id, size, base + 4 * floatOffset);
        this.views.set(floatOffset, id);
      };
      layers.forEach((l, i) => {
        if (l.act !== 'sigmoid' && l.act !== 'tanh' && l.act !== 'softmax') return;
        if (i > 0) view(layers[i - 1].out, maxRows * l.k);
        const binaryOutput = loss === 'binary' && i === layers.length - 1;
        for (const at of binaryOutput ? [l.h, l.z, l.c2, l.logs, l.e, l.lp] : l.act === 'softmax' ? [l.z, l.h, l.c2, l.logs] : l.act === 'tanh' ? [l.z, l.h] : [l.h]) view(at, maxRows * l.n);
      });
    }
    this.owners = variables.map((v) => {
      const layer = layers.find((l) => l.kernel === v || l.bias === v)!;
      return { layer, bias: layer.bias === v };
    });
    // The optimizer's state by position in the variable list, as its own step (and applyAdamFused) index it.
    const o = optimizer as unknown as Record<string, { originalName: string; variable: tf.Variable }[] | number>;
    this.state = variables.map((v, i) =>
      SLOTS[optimizer.getClassName()].map(({ field, suffix, initial }) => {
        const slots = o[field] as { originalName: string; variable: tf.Variable }[];
        slots[i] ??= { originalName: `${v.name}/${suffix}`, variable: tf.tidy(() => (initial ? tf.fill(v.shape, o[initial] as number) : tf.zerosLike(v)).variable(false)) };
        return slots[i].variable;
      }),
    );
  }

  /**
   * One step on rows [start, start + size) of x and y: returns the batch's
   * loss and metrics (in metricsNames order). `onGradients` sees the
   * gradients, by variable name, before they are applied.
   */
  run(x: tf.Tensor, y: tf.Tensor, start: number, size: number, onGradients?: (grads: tf.NamedTensorMap) => void): number[] {
    const { backend, gemm, loops, layers } = this;
    const m = size;
    for (const slots of this.state) for (const slot of slots) ownData(backend, slot);
    const base = heapOffset(backend, this.scratch);
    const at = (floatOffset: number) => base + 4 * floatOffset;
    const xAt = heapOffset(backend, x) + 4 * start * layers[0].k;
    const yAt = heapOffset(backend, y) + 4 * start * (y.size / y.shape[0]); // a row of targets: the output's width, or one class index

    // Forward: h = act(in·W + b), as the dense kernel runs it.
    let input = xAt;
    for (const l of layers) {
      if (l.act === 'sigmoid' || l.act === 'tanh' || l.act === 'softmax') this.forwardByC(l, input, m, at);
      else gemm.run(input, heapOffset(backend, l.kernel), at(l.h), m, l.k, l.n, 1, 0, 0, 0, l.bias ? heapOffset(backend, l.bias) : 0, l.relu ? 1 : 0, 4 * l.k, 4);
      if (l.drop !== undefined) this.dropout(l, m, at);
      input = at(l.out);
    }

    // The loss, metrics, and dLoss/dOutput (for a softmax output, dLoss/dLogits).
    const last = layers[layers.length - 1];
    const values =
      this.loss === 'mse' || this.loss === 'mae'
        ? regressionLoss(this.loss, heapFloats(backend), at(last.h) >> 2, yAt >> 2, at(last.d) >> 2, m, last.n, this.metrics as ('mse' | 'mae')[])
        : this.loss === 'binary'
          ? this.binaryCrossEntropy(last, yAt >> 2, m, at)
          : this.crossEntropy(last, yAt >> 2, m, at);

    // Backward, last layer first: through the activation, then dW = inᵀ·g, db = Σ rows g, d(in) = g·Wᵀ.
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i];
      if (l.drop !== undefined) {
        // Through the dropout: d(out)·mult, as tf.dropout's product passes its gradient back.
        const heap = heapFloats(backend);
        const [d, mult] = [at(l.d) >> 2, at(l.mult) >> 2];
        for (let j = 0; j < m * l.n; j++) heap[d + j] = heap[d + j] * heap[mult + j];
      }
      if (l.relu) loops.reluGrad(at(l.d), at(l.h), at(l.d), m * l.n);
      else if (l.act === 'sigmoid' || l.act === 'tanh') {
        // As the activation-gradient kernel computes it (activationGrad.ts), in place.
        const heap = heapFloats(backend);
        const [d, h] = [heap.subarray(at(l.d) >> 2, (at(l.d) >> 2) + m * l.n), heap.subarray(at(l.h) >> 2, (at(l.h) >> 2) + m * l.n)];
        activationGradInto(l.act, d, h, d);
      }
      const inAt = i > 0 ? at(layers[i - 1].out) : xAt;
      gemm.run(inAt, at(l.d), at(l.dw), l.k, m, l.n, 1, 0, 0, 4 * l.k * l.n, 0, 0, 4, 4 * l.k);
      if (l.bias) loops.sumRows(at(l.d), at(l.db), m, l.n);
      if (i > 0) {
        // Wᵀ as the general path's product makes it (a transposed copy), then d(in) = g·Wᵀ.
        transposeInto(heapFloats(backend), heapOffset(backend, l.kernel) >> 2, at(l.wt) >> 2, l.k, l.n);
        gemm.run(at(l.d), at(l.wt), at(layers[i - 1].d), m, l.n, l.k, 1, 0, 0, 0, 0, 0, 4 * l.n, 4);
      }
    }
    if (onGradients) this.handOver(onGradients, at);

    // The update: each weight into a fresh buffer the variable then holds (see the header).
    this.update(at);
    return values;
  }

  /**
   * The optimizer's step, as its own applyGradients computes it: each weight
   * into a fresh buffer the variable then holds (see the header), its state
   * in place. Adam by the fused kernel's loop; the others element by element
   * in float32, each constant a float32 scalar as tfjs makes it.
   */
  private update(at: (floatOffset: number) => number): void {
    const { backend } = this;
    const kind = this.optimizer.getClassName();
    const o = this.optimizer as unknown as { learningRate: number; iterations_: number; beta1: number; beta2: number; epsilon: number; decay: number; momentum: number; m?: tf.Scalar };
    const lr = o.learningRate;
    const t = this.optimizer.iterations + 1;
    const f = Math.fround;
    this.variables.forEach((v, i) => {
      const next = fresh(backend, v);
      const [wAt, gAt, nextAt] = [heapOffset(backend, v), this.gradAt(i, at), heapOffset(backend, next)];
      const slots = this.state[i].map((slot) => heapOffset(backend, slot));
      if (kind === 'Adam') {
        this.loops.adam(wAt, slots[0], slots[1], gAt, nextAt, slots[0], slots[1], v.size, lr, o.beta1, o.beta2, o.epsilon, 1 - Math.pow(o.beta1, t), 1 - Math.pow(o.beta2, t));
      } else {
        const heap = heapFloats(backend);
        const [w, g, out] = [wAt >> 2, gAt >> 2, nextAt >> 2];
        const [s0, s1] = slots.map((a) => a >> 2);
        const n = v.size;
        if (kind === 'SGD') {
          // w + c·g, c = −lr
          const c = f(-lr);
          for (let j = 0; j < n; j++) heap[out + j] = f(c * heap[g + j]) + heap[w + j];
        } else if (kind === 'Momentum') {
          // a ← m·a + g; w + c·a (c = −lr; m the scalar made from the momentum at construction)
          const [c, m] = [f(-lr), o.m!.dataSync()[0]];
          for (let j = 0; j < n; j++) {
            heap[s0 + j] = f(m * heap[s0 + j]) + heap[g + j];
            heap[out + j] = f(c * heap[s0 + j]) + heap[w + j];
          }
        } else if (kind === 'RMSProp') {
          // ms ← ms·ρ + g²·(1−ρ); mom ← mom·μ + g·lr / √(ms + ε); w − mom
          const [rho, oneMinusRho, mu, lr32, eps] = [f(o.decay), f(1 - o.decay), f(o.momentum), f(lr), f(o.epsilon)];
          for (let j = 0; j < n; j++) {
            const gj = heap[g + j];
            heap[s0 + j] = f(heap[s0 + j] * rho) + f(f(gj * gj) * oneMinusRho);
            heap[s1 + j] = f(heap[s1 + j] * mu) + f(f(gj * lr32) / f(Math.sqrt(f(heap[s0 + j] + eps))));
            heap[out + j] = heap[w + j] - heap[s1 + j];
          }
        } else {
          // Adagrad: a ← a + g²; w + (g / √(a + ε))·(−lr), ε the backend's
          const [eps, c] = [f(backend.epsilon()), f(-lr)];
          for (let j = 0; j < n; j++) {
            const gj = heap[g + j];
            heap[s0 + j] = heap[s0 + j] + f(gj * gj);
            heap[out + j] = f(f(gj / f(Math.sqrt(f(heap[s0 + j] + eps)))) * c) + heap[w + j];
          }
        }
      }
      v.assign(next);
      next.dispose();
    });
    o.iterations_ = t;
  }

  /**
   * tf.dropout of the layer's output: a uniform mask drawn by tf.randomUniform
   * itself (so the same draws from Math.random, in the same order, as the
   * general path's forward pass makes), multiplier floor(u + keep) / keep and
   * out = h · multiplier, each step in float32.
   */
  private dropout(l: Layer, m: number, at: (floatOffset: number) => number): void {
    const keep = Math.fround(1 - l.drop!);
    const u = tf.randomUniform([m, l.n], 0, 1, 'float32');
    try {
      const heap = heapFloats(this.backend);
      const [from, h, out, mult] = [heapOffset(this.backend, u) >> 2, at(l.h) >> 2, at(l.out) >> 2, at(l.mult) >> 2];
      for (let j = 0; j < m * l.n; j++) {
        heap[mult + j] = Math.floor(Math.fround(heap[from + j] + keep)) / keep;
        heap[out + j] = heap[h + j] * heap[mult + j];
      }
    } finally {
      u.dispose();
    }
  }

  /**
   * A sigmoid, tanh or softmax layer's forward pass as the general path runs
   * it, through XNNPACK's product as the _FusedMatMul kernel calls it: the
   * dense kernel's sigmoid fused into the product; for tanh (fusedLayers.ts)
   * the product with its bias, then the Tanh kernel; for softmax (tfjs-layers'
   * Dense) the product, + bias, then the Softmax kernel.
   */
  private forwardByC(l: Layer, input: number, m: number, at: (floatOffset: number) => number): void {
    const { backend } = this;
    const c = this.c!;
    const id = (floatOffset: number) => this.views.get(floatOffset)!;
    const first = l === this.layers[0];
    const inputId = first ? newTensorId(backend) : id(this.layers[this.layers.indexOf(l) - 1].out);
    if (first) registerTensorView(backend, inputId, m * l.k, input);
    const biasId = l.bias && l.act !== 'softmax' ? tensorId(backend, l.bias) : 0;
    try {
      c.fusedMatMul(inputId, shapeBytes([1, m, l.k]), 3, tensorId(backend, l.kernel), shapeBytes([1, l.k, l.n]), 3, false, false, l.act === 'sigmoid' ? SIGMOID : LINEAR, biasId, 0, 0, id(l.act === 'sigmoid' ? l.h : l.z));
    } finally {
      if (first) disposeTensorView(backend, inputId);
    }
    if (l.act === 'tanh') c.tanh(id(l.z), FLOAT32, id(l.h));
    if (l.act !== 'softmax') return;
    if (l.bias) {
      const heap = heapFloats(backend);
      const [z, b] = [at(l.z) >> 2, heapOffset(backend, l.bias) >> 2];
      for (let r = 0; r < m; r++) for (let j = 0; j < l.n; j++) heap[z + r * l.n + j] = heap[z + r * l.n + j] + heap[b + j];
    }
    c.softmax(id(l.z), id(l.h), l.n, m);
  }

  /**
   * tfjs-layers' (sparse) categorical cross-entropy of the softmax output and
   * its gradient through the softmax, element by element as the general path's
   * kernels and their gradients compute them, in float32 (the logarithm by the
   * backend's own Log); then accuracy. Returns [loss, ...metrics]; writes
   * dLoss/dLogits into the layer's gradient buffer.
   */
  private crossEntropy(l: Layer, y: number, m: number, at: (floatOffset: number) => number): number[] {
    const sparse = this.loss === 'sparse';
    const k = l.n;
    const [lo, hi] = this.clip;
    const clip = (v: number) => (v < lo ? lo : v > hi ? hi : v);
    const inside = (v: number) => v >= lo && v <= hi;
    const [p, c2, logs, d] = [at(l.h) >> 2, at(l.c2) >> 2, at(l.logs) >> 2, at(l.d) >> 2];
    let heap = heapFloats(this.backend);
    // The target row as the loss sees it: a one-hot of the class index (sparse), else y's row.
    const target = (r: number, j: number) => (sparse ? (Math.floor(heap[y + r]) === j ? 1 : 0) : heap[y + r * k + j]);
    const sums = new Float32Array(m);
    // c1 = clip(p) (sparse only), q = c1 / Σ c1, c2 = clip(q).
    for (let r = 0; r < m; r++) {
      let s = 0;
      for (let j = 0; j < k; j++) s = Math.fround(s + (sparse ? clip(heap[p + r * k + j]) : heap[p + r * k + j]));
      sums[r] = s;
      for (let j = 0; j < k; j++) heap[c2 + r * k + j] = clip(Math.fround((sparse ? clip(heap[p + r * k + j]) : heap[p + r * k + j]) / s));
    }
    this.c!.log(this.views.get(l.c2)!, FLOAT32, this.views.get(l.logs)!);
    heap = heapFloats(this.backend);
    // The loss: mean over rows of −Σ_j t·log(c2).
    let total = 0;
    for (let r = 0; r < m; r++) {
      let s = 0;
      for (let j = 0; j < k; j++) s = Math.fround(s + Math.fround(target(r, j) * heap[logs + r * k + j]));
      total = Math.fround(total - s);
    }
    const values = [Math.fround(total / m)];
    // Backward: mean → −1/m; through t·log(c2), the clip, the division by Σ c1 (both operands), the first clip, the softmax.
    const g = -Math.fround(1 / m);
    const dq = new Float32Array(k);
    for (let r = 0; r < m; r++) {
      const s = sums[r];
      let tmp = 0;
      for (let j = 0; j < k; j++) {
        const i = r * k + j;
        const c1 = sparse ? clip(heap[p + i]) : heap[p + i];
        const q = Math.fround(c1 / s);
        dq[j] = inside(q) ? Math.fround(Math.fround(g * target(r, j)) / heap[c2 + i]) : 0;
        tmp = Math.fround(tmp + Math.fround(dq[j] * c1));
      }
      const dS = -Math.fround(tmp / Math.fround(s * s));
      let dot = 0;
      for (let j = 0; j < k; j++) {
        const i = r * k + j;
        const pv = heap[p + i];
        const dc1 = Math.fround(Math.fround(dq[j] / s) + dS);
        const dp = sparse && !inside(pv) ? 0 : dc1;
        heap[d + i] = Math.fround(dp * pv);
        dot = Math.fround(dot + heap[d + i]);
      }
      for (let j = 0; j < k; j++) heap[d + r * k + j] = heap[d + r * k + j] - Math.fround(dot * heap[p + r * k + j]);
    }
    for (const _ of this.metrics) {
      // Accuracy: the first largest probability's class against the target's (its index, or its own first largest).
      let hits = 0;
      for (let r = 0; r < m; r++) {
        const predicted = argMax(heap, p + r * k, k);
        if (sparse ? heap[y + r] === predicted : argMax(heap, y + r * k, k) === predicted) hits++;
      }
      values.push(Math.fround(hits / m));
    }
    return values;
  }

  /**
   * tfjs-layers' binaryCrossentropy of the sigmoid output — its clip, the
   * logits log(c/(1−c)), then sigmoidCrossEntropyWithLogits: relu(x) − x·z +
   * log1p(exp(−|x|)), averaged over the last axis, then over the rows — with
   * the logarithm, exp and log1p by the backend's own C functions, the rest in
   * float32; and its gradient back through each of those ops as tfjs's
   * gradients compute them, the logits' three contributions added in the
   * order the tape adds them. Writes dLoss/dOutput (the sigmoid's gradient
   * follows in the backward pass). Returns [loss, ...binary accuracy].
   */
  private binaryCrossEntropy(l: Layer, y: number, m: number, at: (floatOffset: number) => number): number[] {
    const c = this.c!;
    const id = (floatOffset: number) => this.views.get(floatOffset)!;
    const n = l.n;
    const count = m * n;
    const [lo, hi] = this.clip;
    const clip = (v: number) => (v < lo ? lo : v > hi ? hi : v);
    const step = (v: number, alpha: number) => (v > 0 ? 1 : Number.isNaN(v) ? NaN : alpha);
    const [p, odds, logits, nabs, e, lp, d] = [l.h, l.c2, l.logs, l.z, l.e, l.lp, l.d].map((o) => at(o) >> 2);
    let heap = heapFloats(this.backend);
    for (let i = 0; i < count; i++) {
      const cv = clip(heap[p + i]);
      heap[odds + i] = Math.fround(cv / Math.fround(1 - cv));
    }
    c.log(id(l.c2), FLOAT32, id(l.logs));
    heap = heapFloats(this.backend);
    for (let i = 0; i < count; i++) heap[nabs + i] = -Math.abs(heap[logits + i]);
    c.exp(id(l.z), FLOAT32, id(l.e));
    c.log1p(id(l.e), FLOAT32, id(l.lp));
    heap = heapFloats(this.backend);
    let total = 0;
    for (let r = 0; r < m; r++) {
      let row = 0;
      for (let j = 0; j < n; j++) {
        const i = r * n + j;
        const x = heap[logits + i];
        const relu = x > 0 ? x : 0;
        row = Math.fround(row + Math.fround(Math.fround(relu - Math.fround(x * heap[y + i])) + heap[lp + i]));
      }
      total = Math.fround(total + Math.fround(row / n));
    }
    const values = [Math.fround(total / m)];
    // Backward: the outer mean (1/m), the inner mean (/n), then each op's gradient.
    const g = Math.fround(Math.fround(1 / m) / n);
    for (let i = 0; i < count; i++) {
      const x = heap[logits + i];
      const ev = heap[e + i];
      const de = Math.fround(g / Math.fround(ev + 1)); // log1p: dy / (x + 1)
      const dabs = -Math.fround(de * ev); // exp: dy·y; neg
      const fromMul = Math.fround(-g * heap[y + i]); // sub's second operand: −dy; mul: ·z
      const fromAbs = Math.fround(dabs * step(x, -1));
      const fromRelu = Math.fround(g * step(x, 0));
      const dx = Math.fround(Math.fround(fromMul + fromAbs) + fromRelu);
      const cv = clip(heap[p + i]);
      const om = Math.fround(1 - cv);
      const dOdds = Math.fround(dx / heap[odds + i]); // log: dy / x
      const dc = Math.fround(Math.fround(dOdds / om) + Math.fround(Math.fround(dOdds * cv) / Math.fround(om * om))); // c/(1−c): both operands (the second through 1 − c)
      heap[d + i] = heap[p + i] >= lo && heap[p + i] <= hi ? dc : 0;
    }
    for (const _ of this.metrics) {
      // Binary accuracy: y equal to (p > 0.5), averaged over the last axis, then over the rows.
      let acc = 0;
      for (let r = 0; r < m; r++) {
        let hits = 0;
        for (let j = 0; j < n; j++) hits = Math.fround(hits + (heap[y + r * n + j] === (heap[p + r * n + j] > 0.5 ? 1 : 0) ? 1 : 0));
        acc = Math.fround(acc + Math.fround(hits / n));
      }
      values.push(Math.fround(acc / m));
    }
    return values;
  }

  /** Brings the optimizer's derived state up to date (Adam's β powers, which only its own step reads) and frees the scratch. */
  dispose(): void {
    if (this.optimizer.getClassName() === 'Adam') {
      const s = this.optimizer as unknown as AdamState;
      const t = this.optimizer.iterations;
      tf.tidy(() => {
        s.accBeta1.assign(tf.scalar(Math.pow(s.beta1, t + 1)));
        s.accBeta2.assign(tf.scalar(Math.pow(s.beta2, t + 1)));
      });
    }
    for (const id of this.views.values()) disposeTensorView(this.backend, id);
    this.scratch.dispose();
  }

  private gradAt(i: number, at: (floatOffset: number) => number): number {
    const { layer, bias } = this.owners[i];
    return at(bias ? layer.db : layer.dw);
  }

  /** The gradients as tensors (copies) by variable name, for a GradientTap; disposed after. */
  private handOver(onGradients: (grads: tf.NamedTensorMap) => void, at: (floatOffset: number) => number): void {
    const grads: tf.NamedTensorMap = {};
    this.variables.forEach((v, i) => {
      const from = this.gradAt(i, at) >> 2;
      grads[v.name] = tf.tensor(heapFloats(this.backend).slice(from, from + v.size), v.shape, 'float32');
    });
    try {
      onGradients(grads);
    } finally {
      tf.dispose(Object.values(grads));
    }
  }
}

/** An uninitialized tensor of v's shape, tracked by the engine (the caller assigns and disposes it). */
function fresh(backend: BackendWasm, v: tf.Variable): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(backend.makeOutput(v.shape, 'float32'), backend as unknown as tf.KernelBackend);
}

/** Gives v memory of its own when another tensor shares it, so that writing it in place changes nothing else. */
function ownData(backend: BackendWasm, v: tf.Variable): void {
  if (backend.refCount(v.dataId) === 1) return;
  const copy = tf.tensor(v.dataSync() as Float32Array, v.shape, 'float32');
  v.assign(copy);
  copy.dispose();
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** The index of the first largest of n floats at heap[at …]. */
function argMax(heap: Float32Array, at: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (heap[at + j] > heap[at + best]) best = j;
  return best;
}

/** dst[j][i] = src[i][j] for src [rows, cols] (float offsets into heap). */
function transposeInto(heap: Float32Array, src: number, dst: number, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) heap[dst + j * rows + i] = heap[src + i * cols + j];
}

/**
 * A regression loss, its metrics and dLoss/dOutput into g (float offsets
 * into the heap; returns [loss, ...metrics]). mse as trainModel's
 * meanSquaredErrorFused computes it — d = p − y, then mean(d²) over every
 * element, summed in float32 in index order as the wasm Mean adds, gradient
 * 2d/count; mae as tfjs-layers' meanAbsoluteError — mean(|d|) over the last
 * axis, then over the rows, gradient (1/rows/cols)·step(d, −1) as tfjs's Abs
 * gradient has it (−1 at 0). Metrics as tfjs-layers' functions, mean over the
 * last axis, then over the rows.
 */
function regressionLoss(loss: 'mse' | 'mae', heap: Float32Array, p: number, y: number, g: number, rows: number, cols: number, metrics: ('mse' | 'mae')[]): number[] {
  const count = rows * cols;
  for (let i = 0; i < count; i++) heap[g + i] = heap[p + i] - heap[y + i];
  const byRows = (metric: 'mse' | 'mae') => {
    let total = 0;
    for (let r = 0; r < rows; r++) {
      let row = 0;
      for (let c = 0; c < cols; c++) {
        const d = heap[g + r * cols + c];
        row = Math.fround(row + (metric === 'mse' ? Math.fround(d * d) : Math.abs(d)));
      }
      total = Math.fround(total + Math.fround(row / cols));
    }
    return Math.fround(total / rows);
  };
  let value: number;
  if (loss === 'mse') {
    let sum = 0;
    for (let i = 0; i < count; i++) sum = Math.fround(sum + Math.fround(heap[g + i] * heap[g + i]));
    value = Math.fround(sum / count);
  } else value = byRows('mae');
  const values = [value, ...metrics.map(byRows)];
  if (loss === 'mse') {
    const scale = Math.fround(2 / count);
    for (let i = 0; i < count; i++) heap[g + i] = heap[g + i] * scale;
  } else {
    const scale = Math.fround(Math.fround(1 / rows) / cols);
    for (let i = 0; i < count; i++) heap[g + i] = heap[g + i] > 0 ? scale : Number.isNaN(heap[g + i]) ? NaN : -scale;
  }
  return values;
}
