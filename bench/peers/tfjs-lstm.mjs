/**
 * The LSTM training step of bench/seq.mjs in TensorFlow.js: `tf.layers.lstm` (@tensorflow/tfjs-layers)
 * over the same [batch 32, seq 32, input 64] input, hidden 128, all steps' outputs, mean of squares,
 * Adam, on tfjs-backend-wasm (one thread) and tfjs-backend-cpu.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as layers from '@tensorflow/tfjs-layers';
import { medianMs } from '../lib.mjs';
import { tfjsAdapter } from './tfjs.mjs';

/** ms per LSTM training step on tfjs backend 'wasm' or 'cpu' (warmup, reps: timed calls). */
export async function tfjsLstmStepMs(backend, warmup, reps) {
  await tfjsAdapter(backend);
  await tf.setBackend(backend);
  // The default orthogonal recurrent initializer fails on the wasm backend (its QR: rMat.flatten is
  // not a function); the initial values do not change the step's cost.
  const model = layers.sequential({
    layers: [layers.layers.lstm({ units: 128, returnSequences: true, inputShape: [32, 64], recurrentInitializer: 'glorotUniform' })],
  });
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([32, 32, 64], 0, 1, 'float32', 0);
  const step = () => {
    const loss = optimizer.minimize(() => tf.mean(tf.square(model.apply(x))), true);
    // Read the loss so the step has really run (tfjs is eager, but this keeps every backend honest).
    loss.dataSync();
    loss.dispose();
  };
  try {
    return medianMs(step, warmup, reps);
  } finally {
    x.dispose();
    model.dispose();
    optimizer.dispose();
  }
}
