/**
 * Reverse-mode autodiff over the dynamic graph: order the graph so that each tensor comes after
 * every tensor computed from it, then walk that order once, handing each node its summed gradOut
 * and accumulating what it returns. Leaves receive their gradient in `.grad`.
 */
import type { Tensor } from '../tensor.js';
import { fmtShape, sameShape } from '../shape.js';
import { GradientBuffers, queueGraphRelease, releasePendingGraphs, tidy } from '../memory.js';
import { noGrad, withoutLifetimeTracking } from './grad-mode.js';
import { withReadGuard } from '../backend/version.js';

/** Tensors reachable from root through gradFn edges, consumers before producers (iterative DFS). */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>([root]);
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top[0].gradFn?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.requiresGrad && !visited.has(next)) {
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order.reverse();
}

/**
 * Runs backward from `root`; see Tensor.backward. `seed` makes the implicit gradient of a
 * one-element root (ones), so this module needs no tensor factory.
 */
export function backward(root: Tensor, gradient: Tensor | undefined, seed: () => Tensor, options: { retainGraph?: boolean }): void {
  root.check('backward');
  releasePendingGraphs();
  if (!root.requiresGrad) {
    throw new Error(
      'backward: this tensor does not require grad and has no gradFn (did every input have requiresGrad false, or did the forward run inside noGrad?)',
    );
  }
  if (gradient === undefined && root.numel() !== 1) {
    throw new Error(`backward: a gradient can be created implicitly only for one-element outputs; pass a gradient of shape ${fmtShape(root.shape)}`);
  }
  if (gradient && !sameShape(gradient.shape, root.shape)) {
    throw new RangeError(`backward: gradient shape ${fmtShape(gradient.shape)} does not match the output shape ${fmtShape(root.shape)}`);
  }
  const order = topologicalOrder(root);
  // The caller's gradient is theirs to change: backward closures may read it whatever its version.
  const rootStorage = gradient ? gradient.storage : null;
  withoutLifetimeTracking(() =>
    noGrad(() => {
      const grads = new GradientBuffers(root, gradient ? gradient.check('backward').detach() : seed());
      for (const t of order) {
        const g = grads.take(t);
        if (!g) continue;
        const node = t.gradFn;
        if (!node) {
          grads.accumulateGrad(t, g);
          continue;
        }
        if (t.retainsGrad) grads.accumulateGrad(t, g.clone());
        if (!node.backward) {
          throw new Error(
            `backward: trying to backward through the graph a second time (through ${node.name}); its saved tensors were freed after the first backward. Pass { retainGraph: true } to the first backward() if you need to.`,
          );
        }
        node.inputs.forEach((input, i) => {
          if (input.storage.version !== node.versions[i]) {
            throw new Error(
              `backward: an input of ${node.name} (shape ${fmtShape(input.shape)}) was modified by an in-place operation after ${node.name} used it; clone() it before modifying`,
            );
          }
        });
        if (t.storage.version !== node.outputVersion) {
          throw new Error(
            `backward: the output of ${node.name} (shape ${fmtShape(t.shape)}) was modified by an in-place operation after ${node.name} computed it; clone() it before modifying`,
          );
        }
        const fn = node.backward;
        const guard = { op: node.name, stamp: node.stamp, exempt: rootStorage };
        const inputGrads = tidy(() => withReadGuard(guard, () => fn(g)));
        inputGrads.forEach((gi, i) => {
          const input = node.inputs[i];
          if (gi && input.requiresGrad && !sameShape(gi.shape, input.shape)) {
            throw new Error(
              `backward: ${node.name} returned a gradient of shape ${fmtShape(gi.shape)} for an input of shape ${fmtShape(input.shape)} (a bug in ${node.name}'s backward)`,
            );
          }
        });
        grads.distribute(node.inputs, inputGrads, g);
        if (!options.retainGraph) {
          // A consumed node keeps its name only: a loss held after backward (losses.push(loss))
          // must not keep its step's activations reachable.
          node.backward = null;
          node.inputs = [];
        }
      }
    }),
  );
  if (!options.retainGraph)
    queueGraphRelease(
      order.filter((t) => t.gradFn !== null),
      root,
    );
}
