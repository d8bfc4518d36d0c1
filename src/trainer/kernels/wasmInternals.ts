// What Model Lab's kernels rely on of tfjs-backend-wasm beyond its public API,
// in one place: the backend's private fields (its Emscripten module, its table
// of tensors, its id counter), the C functions the module exports, and the
// registry moves that put one of our kernels where the backend's own was;
// and of tfjs-core's engine, the methods its clone (engine.clone) is made of.
// The kernel files reach the backend and the engine only through what this
// file exports.

import { engine, getBackend, getKernel, registerKernel, unregisterKernel, util } from '@tensorflow/tfjs-core';
import type { DataId, DataType, KernelBackend, KernelConfig, KernelFunc, KernelSetupFunc, NamedAttrMap, NamedTensorInfoMap, NamedTensorMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';

/** The public methods of tfjs-backend-wasm's BackendWasm that our kernels call. */
export interface BackendWasm extends KernelBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
}

/** BackendWasm's fields that its type leaves private or untyped; read only in this file. */
interface BackendWasmPrivate extends BackendWasm {
  wasm: {
    cwrap: (name: string, ret: null | string, args: string[]) => (...args: unknown[]) => unknown;
    HEAPU8: Uint8Array;
    /** The module's exports; the single-threaded builds export their memory here. */
    asm?: { memory?: WebAssembly.Memory };
    /** The threaded build's memory (shared), which it imports rather than exports. */
    wasmMemory?: WebAssembly.Memory;
    /** The threaded build's Emscripten pthreads (XNNPACK's thread pool runs on them). */
    PThread?: { runningWorkers: { unref(): void }[] };
    tfjs: { registerTensor: (id: number, size: number, offset: number) => void; disposeData: (id: number) => void };
  };
  dataIdMap: { get: (dataId: object) => { id: number; memoryOffset: number } };
  dataIdNextNumber: number;
}

const internals = (backend: BackendWasm) => backend as BackendWasmPrivate;

/** What the engine passes a kernel, with the backend typed as the kernel's backend. */
export interface KernelArgs<B extends KernelBackend = KernelBackend> {
  inputs: NamedTensorInfoMap;
  backend: B;
  attrs?: NamedAttrMap;
}

/** A kernel function over a known backend type (tfjs's KernelFunc types its backend as `{}`). */
export type KernelFn<B extends KernelBackend = KernelBackend> = (args: KernelArgs<B>) => TensorInfo | TensorInfo[];

// ── the wasm heap ──

/** Byte offset of a tensor's data in the backend's memory. */
export function heapOffset(backend: BackendWasm, t: { dataId: object }): number {
  return internals(backend).dataIdMap.get(t.dataId).memoryOffset;
}

/**
 * A tensor's values in place on the wasm heap: an Int32Array for int32, else a
 * Float32Array (`asFloat32` always the latter). Take views after every
 * allocation on the backend: growing the heap detaches the views taken before.
 */
export function heapView(backend: BackendWasm, t: TensorInfo, asFloat32 = false): Float32Array | Int32Array {
  const buffer = heapBuffer(backend);
  const offset = heapOffset(backend, t);
  const n = util.sizeFromShape(t.shape);
  return t.dtype === 'int32' && !asFloat32 ? new Int32Array(buffer, offset, n) : new Float32Array(buffer, offset, n);
}

/** The whole heap as floats (index = byte offset / 4); take it again after every allocation, as heapView. */
export function heapFloats(backend: BackendWasm): Float32Array {
  return new Float32Array(heapBuffer(backend));
}

/**
 * The heap's current buffer. The memory's own, not the module's HEAPU8: the
 * threaded build refreshes HEAPU8 only when its own code next looks, so after
 * the heap grows HEAPU8 can still be the shorter buffer of before.
 */
function heapBuffer(backend: BackendWasm): ArrayBuffer | SharedArrayBuffer {
  return (backendMemory(backend) ?? internals(backend).wasm.HEAPU8).buffer;
}

/** A float32 tensor's values in place on the wasm heap (see heapView). */
export function heapF32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return heapView(backend, t, true) as Float32Array;
}

/** The backend's WebAssembly.Memory: shared for the threaded build (which imports it), else where the module exports it. */
export function backendMemory(backend: BackendWasm): WebAssembly.Memory | undefined {
  const wasm = internals(backend).wasm;
  const memory = wasm.wasmMemory ?? wasm.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

// ── the threaded build under Node ──

/**
 * Runs `start` (the backend's initialization, tf.setBackend('wasm')) so that
 * tfjs-backend-wasm's threaded SIMD build comes up under Node. As shipped it
 * cannot: it hands its pthread workers' script to `new Worker` as a blob: URL
 * (Node refuses those), and its main script as a Blob of the bundled
 * factory's source (whose body names the bundler's variables, undefined in a
 * worker). So, only while `start` runs, Blob and URL.createObjectURL make the
 * worker script a data: URL of an ES module (its text as tfjs gives it,
 * behind a preamble that gives it the `require`, `__filename` and
 * URL.createObjectURL it expects), and the main script the Emscripten file
 * `mainScript` (tfjs-backend-wasm's wasm-out/tfjs-backend-wasm-threaded-simd.js,
 * shipped beside the bundle). (Its C side also caps XNNPACK's pool at half of
 * os.cpus().length; we keep that pool at one thread, backend.ts.)
 */
export async function startThreadedWasm(mainScript: string, start: () => Promise<boolean>): Promise<boolean> {
  const saved = { Blob: globalThis.Blob, createObjectURL: URL.createObjectURL, revokeObjectURL: URL.revokeObjectURL };
  const preamble = [
    'import { createRequire } from "node:module";',
    `globalThis.__filename = ${JSON.stringify(mainScript)};`,
    `globalThis.require = createRequire(${JSON.stringify(mainScript)});`,
    'URL.createObjectURL = (b) => b.path; URL.revokeObjectURL = () => {};',
  ].join(' ');
  class ScriptBlob {
    path: string | URL = '';
    constructor(parts: BlobPart[], options?: BlobPropertyBag) {
      const text = parts.map(String).join('');
      if (text.startsWith('"use strict";var Module={}')) this.path = new URL(`data:text/javascript,${encodeURIComponent(`${preamble}\n${text}`)}`);
      else if (text.startsWith('var WasmBackendModuleThreadedSimd')) this.path = mainScript;
      else return new saved.Blob(parts, options) as unknown as ScriptBlob;
    }
  }
  globalThis.Blob = ScriptBlob as unknown as typeof Blob;
  URL.createObjectURL = (b: unknown) => (b instanceof ScriptBlob ? (b.path as string) : saved.createObjectURL(b as Blob));
  URL.revokeObjectURL = (url: string) => (typeof url === 'string' ? saved.revokeObjectURL(url) : undefined);
  try {
    return await start();
  } finally {
    globalThis.Blob = saved.Blob;
    URL.createObjectURL = saved.createObjectURL;
    URL.revokeObjectURL = saved.revokeObjectURL;
  }
}

/** Lets the process exit while XNNPACK's pthreads, if its pool has any, wait for work (a running pthread keeps Node alive). */
export function unrefEnginePthreads(backend: BackendWasm): void {
  for (const worker of internals(backend).wasm.PThread?.runningWorkers ?? []) worker.unref();
}

// ── the module's C functions and tensor ids ──

/** A C function of the backend's module as a JS function (Emscripten's cwrap). */
export function cwrap<F>(backend: BackendWasm, name: string, ret: null | string, args: string[]): F {
  return internals(backend).wasm.cwrap(name, ret, args) as unknown as F;
}

/** The id by which the C functions know a tensor. */
export function tensorId(backend: BackendWasm, t: { dataId: object }): number {
  return internals(backend).dataIdMap.get(t.dataId).id;
}

/** A fresh tensor id, for C-side tensors that are views into other tensors' memory. */
export function newTensorId(backend: BackendWasm): number {
  return internals(backend).dataIdNextNumber++;
}

/** Makes `id` name `size` floats at byte `offset` on the C side (memory owned elsewhere). */
export function registerTensorView(backend: BackendWasm, id: number, size: number, offset: number): void {
  internals(backend).wasm.tfjs.registerTensor(id, size, offset);
}

/** Forgets a view made by registerTensorView (and whatever the C side cached for it). */
export function disposeTensorView(backend: BackendWasm, id: number): void {
  internals(backend).wasm.tfjs.disposeData(id);
}

// ── the kernel registry ──

const replacedKernels = new Map<string, KernelConfig>();
const key = (kernelName: string, backendName: string) => `${backendName}/${kernelName}`;

/**
 * Registers `config`, first unregistering the kernel registered under its name
 * for its backend (kept: see replacedKernel). Idempotent: false, and nothing
 * done, when `config` itself is the one registered.
 */
export function replaceKernel(config: KernelConfig): boolean {
  const { kernelName, backendName } = config;
  const current = getKernel(kernelName, backendName);
  if (current === config) return false;
  if (current) {
    replacedKernels.set(key(kernelName, backendName), current);
    unregisterKernel(kernelName, backendName);
  }
  registerKernel(config);
  return true;
}

/** The kernel that replaceKernel took out for ours: what our kernel leaves the cases it does not take to. */
export function replacedKernel(kernelName: string, backendName = 'wasm'): KernelConfig {
  const config = replacedKernels.get(key(kernelName, backendName));
  if (!config) throw new Error(`${kernelName} (${backendName}): no kernel of the backend's own was replaced`);
  return config;
}

/**
 * The setupFunc for a kernel that replaces another: the replaced kernel's own,
 * which prepares what our kernel calls back into when the backend is set up again.
 */
export function setupOfReplaced(kernelName: string, backendName = 'wasm'): KernelSetupFunc {
  return (backend) => replacedKernels.get(key(kernelName, backendName))?.setupFunc?.(backend);
}

/** The config of our kernel that replaces the backend's own of the same name: its setupFunc is the replaced one's (setupOfReplaced). */
export function replacingConfig(kernelName: string, kernelFunc: (args: never) => TensorInfo | TensorInfo[], backendName = 'wasm'): KernelConfig {
  return { kernelName, backendName, setupFunc: setupOfReplaced(kernelName, backendName), kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** tfjs-core's engine, with the fields and methods its clone uses (not in its public types). */
export interface EngineInternals {
  state: { tensorInfo: WeakMap<DataId, { backend: KernelBackend }>; activeScope: { name: string } };
  clone(x: Tensor): Tensor;
  makeTensorFromTensorInfo(info: TensorInfo, backend?: KernelBackend): Tensor;
  addTapeNode(kernelName: string, inputs: NamedTensorMap, outputs: Tensor[], gradientsFunc: (dy: Tensor) => Record<string, () => Tensor>, saved: Tensor[], attrs: NamedAttrMap): void;
  runKernel(kernelName: string, inputs: NamedTensorMap, attrs?: NamedAttrMap): Tensor;
}

/** The engine (one per process), typed with what identity.ts's clone needs of it. */
export function engineInternals(): EngineInternals {
  return engine() as unknown as EngineInternals;
}

/** Whether the current backend has every kernel named (ours register theirs on wasm and cpu; the tensorflow backend has none of them). */
export function backendHasKernels(...names: string[]): boolean {
  const backend = getBackend();
  return names.every((name) => getKernel(name, backend) !== undefined);
}
