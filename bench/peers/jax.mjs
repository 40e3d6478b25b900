/**
 * jax-js peer on its Wasm backend. jax-js is lazy and reference-counted: every op consumes its
 * arguments (hence `.ref`), and run() waits for the result with blockUntilReady() before dropping it.
 * In Node it runs on one thread: its worker pool needs a global `Worker`, which Node does not have.
 */
import * as jax from '@jax-js/jax';

const { numpy: np, nn, jit, valueAndGrad, tree, init, defaultDevice } = jax;

export const JAX_THREADS_NOTE =
  'jax-js 0.1.25 runs its Wasm backend single-threaded in Node: its worker pool starts only when ' +
  '`typeof SharedArrayBuffer !== "undefined" && typeof Worker !== "undefined"`, and Node has no global Worker.';

/** An adapter on the 'wasm' device (init fails over to an error the harness reports). */
export async function jaxAdapter() {
  const devices = await init('wasm');
  if (!devices.includes('wasm')) throw new Error(`jax-js: wasm backend unavailable (devices: ${devices.join(', ')})`);
  defaultDevice('wasm');
  const arr = (data, shape) => np.array(data).reshape(shape);
  const realize = async (a) => {
    await a.blockUntilReady();
    a.dispose();
  };
  const fwd = (f, owned) => ({
    run: () => realize(f()),
    output: () => f().dataSync(),
    dispose: () => owned.forEach((a) => a.dispose()),
  });
  return {
    name: 'jax-js-wasm',
    gemm(c) {
      const a = arr(c.a, c.aShape);
      const b = arr(c.b, c.bShape);
      return fwd(() => np.matmul(c.tA ? a.ref.transpose() : a.ref, c.tB ? b.ref.transpose() : b.ref), [a, b]);
    },
    elementwise(c) {
      const x = arr(c.x, c.shape);
      const y = c.y ? arr(c.y, c.op === 'broadcastAdd' ? [c.shape[1]] : c.shape) : null;
      const f = {
        add: () => np.add(x.ref, y.ref),
        mul: () => np.multiply(x.ref, y.ref),
        exp: () => np.exp(x.ref),
        relu: () => nn.relu(x.ref),
        broadcastAdd: () => np.add(x.ref, y.ref),
      }[c.op];
      return fwd(f, y ? [x, y] : [x]);
    },
    reduction(c) {
      const x = arr(c.x, c.shape);
      return fwd(() => (c.reducer === 'sum' ? np.sum(x.ref, c.axis) : np.max(x.ref, c.axis)), [x]);
    },
    softmax(c) {
      const x = arr(c.x, c.shape);
      return fwd(() => nn.softmax(x.ref, -1), [x]);
    },
    mlpTrain(c) {
      const x = arr(c.x, [c.batch, c.inDim]);
      const oneHot = nn.oneHot(np.array(c.y, { dtype: np.int32 }), c.classes);
      let params = { w1: arr(c.w1, [c.inDim, c.hidden]), b1: arr(c.b1, [c.hidden]), w2: arr(c.w2, [c.hidden, c.classes]), b2: arr(c.b2, [c.classes]) };
      const lossFn = (p, xb, yb) => {
        const h = nn.relu(np.matmul(xb, p.w1).add(p.b1));
        const z = np.matmul(h, p.w2).add(p.b2);
        return nn
          .logSoftmax(z, -1)
          .mul(yb)
          .sum()
          .mul(-1 / c.batch);
      };
      const step = jit((p, xb, yb) => {
        const [loss, g] = valueAndGrad(lossFn)(tree.ref(p), xb, yb);
        loss.dispose();
        return tree.map((w, gw) => w.sub(gw.mul(c.lr)), p, g);
      });
      return {
        label: 'jit(valueAndGrad), SGD in the jitted step',
        run: async () => {
          params = step(params, x.ref, oneHot.ref);
          await jax.blockUntilReady(params);
        },
        params: () => ['w1', 'b1', 'w2', 'b2'].map((k) => params[k].ref.dataSync()),
        dispose: () => {
          tree.dispose(params);
          x.dispose();
          oneHot.dispose();
          step.dispose?.();
        },
      };
    },
    mlpInfer(c) {
      const x = arr(c.x, [c.batch, c.inDim]);
      const p = [arr(c.w1, [c.inDim, c.hidden]), arr(c.b1, [c.hidden]), arr(c.w2, [c.hidden, c.classes]), arr(c.b2, [c.classes])];
      const [w1, b1, w2, b2] = p;
      return fwd(() => np.matmul(nn.relu(np.matmul(x.ref, w1.ref).add(b1.ref)), w2.ref).add(b2.ref), [x, ...p]);
    },
  };
}
