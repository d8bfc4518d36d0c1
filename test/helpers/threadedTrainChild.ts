// A child of test/trainer/threadedKernels.test.ts: six Adam steps of a small
// CNN (a one-channel 3×3 convolution to 32, 2×2 max pooling, a 3×3
// convolution to 32 by Winograd, a dense layer to 10, softmax cross-entropy)
// on fixed data from fixed weights, on the wasm engine with the thread count
// given as the argument. Prints the threads, whether the memory is shared,
// the losses and the final weights' bits in hex.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { selectBackend } from '../../src/trainer/backend';
import { isShared } from '../../src/trainer/kernels/wasmGemm';
import { backendMemory } from '../../src/trainer/kernels/wasmInternals';
import type { BackendWasm } from '../../src/trainer/kernels/wasmInternals';
import { engineThreads, setEngineThreads } from '../../src/trainer/threads';
import { lcg } from './fixtures';

async function main(): Promise<void> {
  setEngineThreads(Number(process.argv[2]));
  await selectBackend('wasm');
  const r = lcg(7);
  const random = (shape: number[], scale: number) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale), shape);
  const x = random([32, 18, 18, 1], 1) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'int32'), 10);
  const w1 = tf.variable(random([3, 3, 1, 32], 0.5));
  const w2 = tf.variable(random([3, 3, 32, 32], 0.1));
  const w3 = tf.variable(random([4 * 4 * 32, 10], 0.05));
  const b3 = tf.variable(tf.zeros([10]));
  const optimizer = tf.train.adam(0.01);
  const losses: number[] = [];
  for (let step = 0; step < 6; step++) {
    const loss = optimizer.minimize(() => {
      const h1 = tf.maxPool(tf.relu(tf.conv2d(x, w1 as tf.Variable<tf.Rank.R4>, 1, 'valid')), 2, 2, 'valid');
      const h2 = tf.relu(tf.conv2d(h1, w2 as tf.Variable<tf.Rank.R4>, 1, 'same'));
      const logits = tf.add(tf.matMul(tf.reshape(tf.maxPool(h2, 2, 2, 'valid') as tf.Tensor, [32, -1]), w3), b3);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    }, true)!;
    losses.push((await loss.data())[0]);
    loss.dispose();
  }
  const weights = await Promise.all([w1, w2, w3, b3].map((v) => v.data()));
  const hex = weights.map((v) => Buffer.from((v as Float32Array).buffer).toString('hex')).join('');
  const memory = backendMemory(tf.backend() as BackendWasm);
  process.stdout.write(JSON.stringify({ threads: engineThreads(), shared: memory !== undefined && isShared(memory), losses, weights: hex }) + '\n');
}

void main();
