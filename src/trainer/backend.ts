// Backend selection: native TensorFlow (tfjs-node) when it can be loaded,
// else WebAssembly, else plain JavaScript. The one used is recorded in the run.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { BACKEND_NAMES } from '../core/types';
import type { BackendChoice, BackendName } from '../core/types';
import { TRAINER_LOG_MESSAGES } from '../core/trainerLogTable';
import { registerModelLabKernels } from './kernels/register';
import { shareSavedTensors } from './kernels/identity';
import { startThreadedWasm, unrefEnginePthreads } from './kernels/wasmInternals';
import type { BackendWasm } from './kernels/wasmInternals';
import { startKernelPool } from './kernels/kernelPool';
import { engineThreads } from './threads';

export interface BackendSelection {
  backend: BackendName;
  fallbackReasons: string[];
  /** Kernels the backend lacked and that now run on the CPU backend. */
  cpuFallbackKernels: string[];
}

/** Where the .wasm files are: beside the bundle in dist/, or in node_modules when run from source. */
function wasmDir(): string | undefined {
  const candidates = [
    __dirname,
    join(__dirname, '..', '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'),
    join(process.cwd(), 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'),
  ];
  return candidates.find((d) => existsSync(join(d, 'tfjs-backend-wasm-simd.wasm')));
}

/** The threaded build's Emscripten script (its pthreads load it): beside the bundle in dist/, or in the package's wasm-out/ from source. */
const THREADED_SCRIPT = 'tfjs-backend-wasm-threaded-simd.js';
function threadedScript(dir: string): string | undefined {
  return [join(dir, THREADED_SCRIPT), join(dir, '..', 'wasm-out', THREADED_SCRIPT)].find((f) => existsSync(f) && existsSync(join(dir, 'tfjs-backend-wasm-threaded-simd.wasm')));
}

let wasmStarted = false;

/**
 * Starts the wasm backend: with engineThreads() above 1, the threaded SIMD
 * build (for its shared memory, which our kernels' worker pool computes on),
 * else — or where the threaded build fails to start — the single-threaded
 * SIMD build as before. The first start decides.
 */
async function startWasm(dir: string): Promise<boolean> {
  if (wasmStarted) return tf.setBackend('wasm');
  wasmStarted = true;
  const threads = engineThreads();
  const script = threads > 1 ? threadedScript(dir) : undefined;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', script !== undefined);
  if (!script) return tf.setBackend('wasm');
  // XNNPACK's own pool stays at one thread: what is left on XNNPACK are small element-wise
  // operations, and waking its pthreads for them made the bench's CNN step ~27 ms instead of
  // ~22 (measured in a process at 2 engine threads, our pool at 1); our kernels' pool takes
  // the threads instead.
  setThreadsCount(1);
  try {
    if (await startThreadedWasm(script, () => tf.setBackend('wasm'))) {
      unrefEnginePthreads(tf.backend() as BackendWasm);
      return true;
    }
  } catch {
    // Below: the single-threaded build, on one thread.
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  return tf.setBackend('wasm');
}

/**
 * Tries to load @tensorflow/tfjs-node: first where the "Install native backend"
 * command puts it (the extension's storage folder), then the normal module path.
 * tfjs-core keeps its engine and kernel registry on globalThis, so a tfjs-node
 * loaded from another folder registers its backend with our engine.
 * Returns undefined once loaded, else why not.
 */
function loadNative(dirs: string[]): string | undefined {
  const errors: string[] = [];
  for (const dir of dirs) {
    const modulePath = join(dir, '@tensorflow', 'tfjs-node');
    if (!existsSync(modulePath)) continue;
    try {
      require(modulePath);
      return undefined;
    } catch (e) {
      errors.push(`${modulePath}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    require('@tensorflow/tfjs-node');
    return undefined;
  } catch (e) {
    // Not installed anywhere (the usual case, not a failure): said as such, with no stack of paths.
    const missing = (e as { code?: string }).code === 'MODULE_NOT_FOUND' && (e as Error).message.includes("'@tensorflow/tfjs-node'");
    if (missing && errors.length === 0) return NATIVE_NOT_INSTALLED;
    errors.push(`@tensorflow/tfjs-node: ${(e as Error).message.split('\n')[0]}`);
  }
  return `native TensorFlow unavailable (${errors.join('; ')})`;
}

/** The fallback reason when @tensorflow/tfjs-node is not installed where the trainer looks. */
export const NATIVE_NOT_INSTALLED = TRAINER_LOG_MESSAGES['backend.nativeNotInstalled'];

export async function selectBackend(choice: BackendChoice, nativeModuleDirs: string[] = []): Promise<BackendSelection> {
  const order: BackendName[] = choice === 'auto' ? [...BACKEND_NAMES] : [choice];
  const reasons: string[] = [];
  for (const name of order) {
    let dir: string | undefined;
    try {
      if (name === 'tensorflow') {
        if (!tf.findBackendFactory('tensorflow')) {
          const why = loadNative(nativeModuleDirs);
          if (why !== undefined || !tf.findBackendFactory('tensorflow')) {
            reasons.push(why ?? 'native TensorFlow unavailable (module loaded but registered no backend)');
            continue;
          }
        }
      }
      if (name === 'wasm') {
        dir = wasmDir();
        if (!dir) {
          reasons.push('wasm backend: .wasm files not found');
          continue;
        }
        setWasmPaths(dir.endsWith('/') ? dir : dir + '/');
      }
      if (await (name === 'wasm' ? startWasm(dir!) : tf.setBackend(name))) {
        await tf.ready();
        if (name === 'wasm') startKernelPool(tf.backend() as BackendWasm);
        // Model Lab's own kernels (kernels/register.ts) first, so the CPU fallbacks only fill what is still missing.
        registerModelLabKernels(name);
        // Both backends' Identity shares the buffer, so saving a tensor for the gradient needs no kernel.
        if (name === 'wasm' || name === 'cpu') shareSavedTensors(tf.backend());
        const cpuFallbackKernels = name === 'cpu' ? [] : registerCpuFallbackKernels(name);
        return { backend: name, fallbackReasons: reasons, cpuFallbackKernels };
      }
      reasons.push(`${name} backend failed to initialize`);
    } catch (e) {
      reasons.push(`${name} backend: ${(e as Error).message}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could be started: ${reasons.join('; ')}`);
}

/**
 * For every kernel the CPU backend has and `backendName` lacks (the wasm
 * backend has no UnsortedSegmentSum, for one), registers a kernel that copies
 * the inputs to the CPU backend, runs the CPU kernel and copies the outputs
 * back. Slower than a native kernel, but the model trains instead of failing.
 */
export function registerCpuFallbackKernels(backendName: string): string[] {
  const have = new Set(tf.getKernelsForBackend(backendName).map((k) => k.kernelName));
  const added: string[] = [];
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (have.has(k.kernelName)) continue;
    tf.registerKernel({
      kernelName: k.kernelName,
      backendName,
      kernelFunc: ({ inputs, attrs, backend }) => {
        const cpu = tf.findBackend('cpu') as tf.KernelBackend;
        const target = backend as tf.KernelBackend;
        const moved: Record<string, tf.TensorInfo> = {};
        for (const [name, t] of Object.entries(inputs)) {
          if (!t) continue;
          const values = target.readSync(t.dataId) as tf.BackendValues;
          moved[name] = { dataId: cpu.write(values, t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
        }
        try {
          const out = k.kernelFunc({ inputs: moved, attrs, backend: cpu });
          const outs = Array.isArray(out) ? out : [out];
          const back = outs.map((o) => {
            const values = cpu.readSync(o.dataId) as tf.BackendValues;
            const info = { dataId: target.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
            cpu.disposeData(o.dataId);
            return info;
          });
          return Array.isArray(out) ? back : back[0];
        } finally {
          for (const t of Object.values(moved)) cpu.disposeData(t.dataId);
        }
      },
    });
    added.push(k.kernelName);
  }
  return added;
}
