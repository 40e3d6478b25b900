/**
 * TensorFlow.js peers: tfjs-backend-wasm (XNNPACK, one thread) and tfjs-backend-cpu (plain JS).
 * The .wasm files are loaded from node_modules by file path — no network. tfjs ops run eagerly
 * and synchronously on both backends, so run() needs no read-back.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import './tfjs-gradients.mjs';
import '@tensorflow/tfjs-backend-cpu';
import { setThreadsCount, setWasmPaths, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
let wasmReady = null;

/** Initialises the wasm backend once with one thread; returns its description. */
async function initWasm() {
  wasmReady ??= (async () => {
    setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}${path.sep}`);
    setThreadsCount(1);
    await tf.setBackend('wasm');
    await tf.ready();
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    return { simd, threads: getThreadsCount(), multithreadSupported: mt };
  })();
  return wasmReady;
}

/** Why tfjs-backend-wasm runs single-threaded here (checked, not assumed). */
export const TFJS_THREADS_NOTE =
  'tfjs-backend-wasm 4.22.0 cannot run threaded in Node: its WASM_HAS_MULTITHREAD_SUPPORT flag returns false ' +
  'whenever IS_NODE (tfjs issue #3830), and forcing the flag makes init fail with ERR_WORKER_PATH because the ' +
  "emscripten pthread worker is a blob: URL that Node's worker_threads refuses.";

/** An adapter on backend 'wasm' or 'cpu'. */
export async function tfjsAdapter(backend) {
  const info = backend === 'wasm' ? await initWasm() : null;
  const use = async () => {
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
  };
  /** Wraps a runner so tensors it created are freed when the harness is done with it. */
  const scoped = (build) => async (c) => {
    await use();
    tf.engine().startScope();
    const r = build(c);
    return {
      ...r,
      dispose: () => {
        r.dispose?.();
        tf.engine().endScope();
      },
    };
  };
  const fwd = (f) => ({
    run: () => tf.dispose(f()),
    output: () => {
      const t = f();
      const d = t.dataSync().slice();
      t.dispose();
      return d;
    },
  });
  return {
    name: backend === 'wasm' ? 'tfjs-wasm' : 'tfjs-cpu',
    info,
    gemm: scoped((c) => {
      const a = tf.tensor(c.a, c.aShape);
      const b = tf.tensor(c.b, c.bShape);
      return fwd(() => tf.matMul(a, b, c.tA, c.tB));
    }),
    elementwise: scoped((c) => {
      const x = tf.tensor(c.x, c.shape);
      const y = c.y ? tf.tensor(c.y, c.op === 'broadcastAdd' ? [c.shape[1]] : c.shape) : null;
      const f = { add: () => tf.add(x, y), mul: () => tf.mul(x, y), exp: () => tf.exp(x), relu: () => tf.relu(x), broadcastAdd: () => tf.add(x, y) }[c.op];
      return fwd(f);
    }),
    reduction: scoped((c) => {
      const x = tf.tensor(c.x, c.shape);
      return fwd(() => (c.reducer === 'sum' ? tf.sum(x, c.axis) : tf.max(x, c.axis)));
    }),
    softmax: scoped((c) => {
      const x = tf.tensor(c.x, c.shape);
      return fwd(() => tf.softmax(x, -1));
    }),
    mlpTrain: scoped((c) => {
      const x = tf.tensor(c.x, [c.batch, c.inDim]);
      const oneHot = tf.oneHot(tf.tensor1d(c.y, 'int32'), c.classes);
      const vars = [
        [c.w1, [c.inDim, c.hidden]],
        [c.b1, [c.hidden]],
        [c.w2, [c.hidden, c.classes]],
        [c.b2, [c.classes]],
      ].map(([d, s]) => tf.variable(tf.tensor(d, s)));
      const [w1, b1, w2, b2] = vars;
      const opt = tf.train.sgd(c.lr);
      const loss = () => {
        const z = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2);
        return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(z)), 1)));
      };
      return {
        label: 'optimizer.minimize, train.sgd',
        run: () => opt.minimize(loss, false, vars),
        params: () => vars.map((v) => v.dataSync().slice()),
        dispose: () => {
          opt.dispose();
          tf.dispose(vars);
        },
      };
    }),
    mlpInfer: scoped((c) => {
      const x = tf.tensor(c.x, [c.batch, c.inDim]);
      const [w1, b1, w2, b2] = [tf.tensor(c.w1, [c.inDim, c.hidden]), tf.tensor(c.b1), tf.tensor(c.w2, [c.hidden, c.classes]), tf.tensor(c.b2)];
      return fwd(() => tf.tidy(() => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2)));
    }),
  };
}
