// Backend selection. Nothing here can download libtensorflow, so the native
// path is proven with a stand-in @tensorflow/tfjs-node placed where the
// "Install native backend" command puts the real one.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { NATIVE_NOT_INSTALLED, registerCpuFallbackKernels, selectBackend } from '../../src/trainer/backend';
import { runTraining } from '../../src/trainer/engine';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

// Registers a backend named "tensorflow" that borrows the CPU backend's kernels,
// through the globals that every copy of tfjs-core shares — as the real module does.
const STAND_IN = `
const engine = globalThis._tfengine;
const registry = engine.registryFactory;
engine.registerBackend('tensorflow', () => registry.cpu.factory(), 3);
const kernels = globalThis._tfGlobals.get('kernelRegistry');
for (const [key, config] of [...kernels]) {
  if (key.startsWith('cpu_')) kernels.set('tensorflow_' + key.slice(4), { ...config, backendName: 'tensorflow' });
}
globalThis.__standInNativeLoaded = (globalThis.__standInNativeLoaded || 0) + 1;
`;

test('wasm lacks UnsortedSegmentSum; the CPU fallback kernel makes it work with the right numbers', async () => {
  await selectBackend('wasm');
  assert.equal(tf.getBackend(), 'wasm');
  const wasmKernels = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  assert.ok(wasmKernels.has('UnsortedSegmentSum'), 'fallback registered during selection');
  const out = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([0, 1, 0, 1], 'int32'), 2);
  assert.deepEqual(Array.from(out.dataSync()), [4, 6]);
  // registering again adds nothing
  assert.deepEqual(registerCpuFallbackKernels('wasm'), []);
});

test('"auto" without native TensorFlow falls back to wasm and says why', async () => {
  const sel = await selectBackend('auto', [join(tempDir(), 'empty')]);
  assert.equal(sel.backend, 'wasm');
  // Not installed here: said as such, not as a failure with a module path.
  assert.deepEqual(sel.fallbackReasons, [NATIVE_NOT_INSTALLED]);
});

test('"auto" finds native TensorFlow in the storage folder, and the run records it', async () => {
  const storage = tempDir();
  writeFiles(storage, {
    'native/node_modules/@tensorflow/tfjs-node/package.json': JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }),
    'native/node_modules/@tensorflow/tfjs-node/index.js': STAND_IN,
  });
  const ws = tempDir();
  writeFiles(ws, { 'data.csv': linearCsv(100), 'exp.experiment.json': regressionConfig({ training: { epochs: 2, seed: 1 } }) });
  const r = await runTraining({
    configPath: join(ws, 'exp.experiment.json'),
    runsDir: join(ws, 'runs'),
    backend: 'auto',
    nativeModuleDirs: [join(storage, 'native/node_modules')],
    onEvent: () => {},
  });
  assert.equal((globalThis as { __standInNativeLoaded?: number }).__standInNativeLoaded, 1);
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.equal(r.meta.backend, 'tensorflow');
});

test('the pure-JS CPU backend can be chosen explicitly', async () => {
  const sel = await selectBackend('cpu');
  assert.equal(sel.backend, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
});
