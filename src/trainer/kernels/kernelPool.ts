// Starts a wasm backend's kernel pool (workerPool.ts) with our modules: the
// product kernel, the element loops, the Winograd transforms, layer normalization and the attention weights, compiled
// for the backend's shared memory. Only the threaded build's memory is
// shared; with one engine thread there is no pool and every kernel runs on
// the main thread as before.

import { engineThreads } from '../threads';
import { gemmModuleBytes, hasRelaxedSimd, isShared } from './wasmGemm';
import { loopsModuleBytes } from './wasmLoops';
import { backendMemory } from './wasmInternals';
import type { BackendWasm } from './wasmInternals';
import { createKernelPool } from './workerPool';
import type { KernelPool } from './workerPool';
import { winogradVariantsModuleBytes } from './winogradLoops';
import { layerNormModuleBytes } from './layerNorm';
import { attentionModuleBytes } from './attention';

/** The pool of `backend` with engineThreads() threads, made once; undefined with one thread or memory that is not shared. */
export function startKernelPool(backend: BackendWasm): KernelPool | undefined {
  const threads = engineThreads();
  const memory = backendMemory(backend);
  if (threads < 2 || !memory || !isShared(memory)) return undefined;
  const modules = [
    { key: 'gemm', bytes: gemmModuleBytes(hasRelaxedSimd(), true) },
    { key: 'loops', bytes: loopsModuleBytes(true) },
    { key: 'winograd', bytes: winogradVariantsModuleBytes(true) },
    { key: 'layerNorm', bytes: layerNormModuleBytes(true) },
    { key: 'attention', bytes: attentionModuleBytes(true) },
  ];
  if (!modules.every((m) => WebAssembly.validate(m.bytes))) return undefined;
  return createKernelPool(backend, memory, modules.map((m) => ({ key: m.key, module: new WebAssembly.Module(m.bytes) })), threads);
}
