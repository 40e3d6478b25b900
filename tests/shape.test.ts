// Shape ops: which ones are views (sharing storage) and which copy, their values, negative dims,
// Python slice bounds, split/chunk/cat/stack, and the gradients of views.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  arange,
  cat,
  chunk,
  clone,
  contiguous,
  detach,
  expand,
  flatten,
  noGrad,
  permute,
  reshape,
  select,
  setDefaultDevice,
  slice,
  split,
  squeeze,
  stack,
  tensor,
  transpose,
  unsqueeze,
  view,
  zeros,
  type Device,
} from '../src/index.js';

describe.each<Device>(['wasm', 'js'])('shape ops on %s', (device) => {
  beforeAll(() => setDefaultDevice(device));
  afterAll(() => setDefaultDevice('wasm'));

  const m23 = () =>
    tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'float32' },
    );

  describe('reshape, view and flatten', () => {
    it('reshape of a contiguous tensor is a view: writes through it change the base', () => {
      const x = m23();
      const r = x.reshape(3, 2);
      expect(r.tolist()).toEqual([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      expect(r.storage).toBe(x.storage);
      r.select(0, 1).fill_(0);
      expect(x.tolist()).toEqual([
        [1, 2, 0],
        [0, 5, 6],
      ]);
    });

    it('accepts sizes as arguments or one array, with one -1 inferred', () => {
      expect(reshape(arange(6), [-1, 3]).shape).toEqual([2, 3]);
      expect(arange(6).reshape([3, -1]).shape).toEqual([3, 2]);
      expect(arange(6).view(1, -1, 2).shape).toEqual([1, 3, 2]);
      expect(arange(1).reshape([]).shape).toEqual([]);
    });

    it('reshape of a non-contiguous tensor copies in logical order', () => {
      const x = m23();
      const r = x.t().reshape(6);
      expect(r.tolist()).toEqual([1, 4, 2, 5, 3, 6]);
      expect(r.storage).not.toBe(x.storage);
      r.fill_(0);
      expect(x.tolist()).toEqual([
        [1, 2, 3],
        [4, 5, 6],
      ]);
    });

    it('view of a non-contiguous tensor throws and suggests reshape', () => {
      expect(() => view(m23().t(), [6])).toThrow(/view: the tensor of shape \[3, 2\] is not contiguous; use reshape\(\)/);
      expect(m23().t().contiguous().view(6).tolist()).toEqual([1, 4, 2, 5, 3, 6]);
    });

    it('flatten merges a range of dims', () => {
      const x = zeros([2, 3, 4, 5]);
      expect(flatten(x).shape).toEqual([120]);
      expect(x.flatten(1).shape).toEqual([2, 60]);
      expect(x.flatten(1, 2).shape).toEqual([2, 12, 5]);
      expect(x.flatten(-3, -2).shape).toEqual([2, 12, 5]);
      expect(tensor(3).flatten().shape).toEqual([1]);
      expect(m23().t().flatten().tolist()).toEqual([1, 4, 2, 5, 3, 6]);
    });
  });

  describe('squeeze and unsqueeze', () => {
    it('squeeze removes all size-1 dims, or only dim when it has size 1', () => {
      const x = zeros([1, 3, 1, 2]);
      expect(squeeze(x).shape).toEqual([3, 2]);
      expect(x.squeeze(0).shape).toEqual([3, 1, 2]);
      expect(x.squeeze(-2).shape).toEqual([1, 3, 2]);
      expect(x.squeeze(1).shape).toEqual([1, 3, 1, 2]);
    });

    it('unsqueeze inserts a size-1 dim, negative dims counting from the new end', () => {
      const x = m23();
      expect(unsqueeze(x, 0).shape).toEqual([1, 2, 3]);
      expect(x.unsqueeze(2).shape).toEqual([2, 3, 1]);
      expect(x.unsqueeze(-1).shape).toEqual([2, 3, 1]);
      expect(x.unsqueeze(-3).shape).toEqual([1, 2, 3]);
      expect(x.unsqueeze(1).tolist()).toEqual([[[1, 2, 3]], [[4, 5, 6]]]);
      expect(x.t().unsqueeze(1).tolist()).toEqual([[[1, 4]], [[2, 5]], [[3, 6]]]);
    });
  });

  describe('transpose, permute and expand', () => {
    it('transpose swaps dims as a view', () => {
      const x = m23();
      const t = transpose(x, 0, 1);
      expect(t.tolist()).toEqual([
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
      expect(t.storage).toBe(x.storage);
      expect(t.isContiguous()).toBe(false);
      expect(x.transpose(-1, -2).tolist()).toEqual(t.tolist());
      expect(tensor([1, 2]).t().tolist()).toEqual([1, 2]);
    });

    it('permute reorders dims: output dim i is input dim dims[i]', () => {
      const x = arange(24).reshape(2, 3, 4);
      const p = permute(x, [2, 0, 1]);
      expect(p.shape).toEqual([4, 2, 3]);
      // p[k][i][j] = x[i][j][k] = 12i + 4j + k
      expect((p.tolist() as number[][][])[3][1][2]).toBe(12 + 8 + 3);
      expect(x.permute(-1, 0, 1).tolist()).toEqual(p.tolist());
    });

    it('expand broadcasts size-1 dims without copying (-1 keeps a size)', () => {
      const x = tensor([[1], [2]], { dtype: 'float32' });
      const e = expand(x, [2, 3]);
      expect(e.tolist()).toEqual([
        [1, 1, 1],
        [2, 2, 2],
      ]);
      expect(e.storage).toBe(x.storage);
      expect(e.strides).toEqual([1, 0]);
      expect(x.expand(4, -1, 2).shape).toEqual([4, 2, 2]);
      expect(x.expandAs(zeros([2, 5])).shape).toEqual([2, 5]);
      noGrad(() => x.add_(10));
      expect(e.tolist()).toEqual([
        [11, 11, 11],
        [12, 12, 12],
      ]);
    });

    it('the gradient of expand sums over the expanded dims', () => {
      const x = tensor([[1], [2]], { requiresGrad: true });
      x.expand(3, 2, 4)
        .mul(tensor([1, 2, 3, 4]))
        .sum()
        .backward();
      expect(x.grad!.tolist()).toEqual([[30], [30]]);
    });

    it('gradients of transpose and permute come back in the input layout', () => {
      const x = tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { requiresGrad: true },
      );
      x.t()
        .mul(
          tensor([
            [1, 10],
            [2, 20],
            [3, 30],
          ]),
        )
        .sum()
        .backward();
      expect(x.grad!.tolist()).toEqual([
        [1, 2, 3],
        [10, 20, 30],
      ]);
      const y = zeros([2, 3, 4], { requiresGrad: true });
      y.permute(2, 0, 1)
        .mul(arange(4).reshape(4, 1, 1))
        .sum()
        .backward();
      expect((y.grad!.tolist() as number[][][])[1][2]).toEqual([0, 1, 2, 3]);
    });
  });

  describe('slice and select', () => {
    const r = () => arange(10);

    it('slice follows Python slice semantics: steps, negative and clamped bounds', () => {
      expect(r().slice(0, 2, 5).tolist()).toEqual([2, 3, 4]);
      expect(r().slice(0, 1, null, 3).tolist()).toEqual([1, 4, 7]);
      expect(r().slice(0, -3).tolist()).toEqual([7, 8, 9]);
      expect(r().slice(0, -100, 2).tolist()).toEqual([0, 1]);
      expect(r().slice(0, 8, 100).tolist()).toEqual([8, 9]);
      expect(r().slice(0, 5, 2).tolist()).toEqual([]);
      expect(slice(r(), 0, null, -2).tolist()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(r().narrow(0, 3, 2).tolist()).toEqual([3, 4]);
    });

    it('slices a later dim as a view sharing storage', () => {
      const x = arange(12).reshape(3, 4);
      const s = x.slice(1, 1, 4, 2);
      expect(s.tolist()).toEqual([
        [1, 3],
        [5, 7],
        [9, 11],
      ]);
      expect(s.storage).toBe(x.storage);
      s.fill_(0);
      expect(x.tolist()).toEqual([
        [0, 0, 2, 0],
        [4, 0, 6, 0],
        [8, 0, 10, 0],
      ]);
    });

    it('select removes the dim; negative indices count from the end', () => {
      const x = arange(12).reshape(3, 4);
      expect(select(x, 0, 1).tolist()).toEqual([4, 5, 6, 7]);
      expect(x.select(1, -1).tolist()).toEqual([3, 7, 11]);
      expect(x.select(-2, -3).tolist()).toEqual([0, 1, 2, 3]);
    });

    it('gradients of slice and select land in the selected positions only', () => {
      const x = zeros([3, 4], { requiresGrad: true });
      x.slice(1, 0, null, 2)
        .sum()
        .add(
          x
            .select(0, -1)
            .mul(tensor([1, 2, 3, 4]))
            .sum(),
        )
        .backward();
      expect(x.grad!.tolist()).toEqual([
        [1, 0, 1, 0],
        [1, 0, 1, 0],
        [2, 2, 4, 4],
      ]);
    });
  });

  describe('split, chunk, cat and stack', () => {
    it('split by size leaves a smaller last piece; by sections takes the given sizes', () => {
      expect(split(arange(7), 3).map((p) => p.tolist())).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
      expect(
        arange(7)
          .split([2, 5])
          .map((p) => p.tolist()),
      ).toEqual([
        [0, 1],
        [2, 3, 4, 5, 6],
      ]);
      const cols = arange(6).reshape(2, 3).split([1, 2], 1);
      expect(cols.map((p) => p.tolist())).toEqual([
        [[0], [3]],
        [
          [1, 2],
          [4, 5],
        ],
      ]);
      expect(() => arange(7).split([2, 4])).toThrow(/split: sections \[2, 4\] do not add up to size 7/);
    });

    it('chunk splits into nearly equal pieces (fewer when uneven, like PyTorch)', () => {
      expect(chunk(arange(5), 2).map((p) => p.tolist())).toEqual([
        [0, 1, 2],
        [3, 4],
      ]);
      expect(
        arange(6)
          .chunk(4)
          .map((p) => p.tolist()),
      ).toEqual([
        [0, 1],
        [2, 3],
        [4, 5],
      ]);
      expect(
        arange(6)
          .reshape(2, 3)
          .chunk(3, -1)
          .map((p) => p.shape),
      ).toEqual([
        [2, 1],
        [2, 1],
        [2, 1],
      ]);
    });

    it('cat joins along a dim and promotes int32 with float32', () => {
      const a = tensor([[1, 2]]);
      const b = tensor([
        [0.5, 1.5],
        [2.5, 3.5],
      ]);
      const c = cat([a, b]);
      expect(c.dtype).toBe('float32');
      expect(c.tolist()).toEqual([
        [1, 2],
        [0.5, 1.5],
        [2.5, 3.5],
      ]);
      expect(
        cat(
          [
            tensor([[1], [2]]),
            tensor([
              [3, 4],
              [5, 6],
            ]),
          ],
          -1,
        ).tolist(),
      ).toEqual([
        [1, 3, 4],
        [2, 5, 6],
      ]);
      expect(cat([m23().t(), zeros([3, 1])], 1).tolist()).toEqual([
        [1, 4, 0],
        [2, 5, 0],
        [3, 6, 0],
      ]);
    });

    it('cat routes each input its slice of the gradient', () => {
      const a = zeros([1, 2], { requiresGrad: true });
      const b = zeros([2, 2], { requiresGrad: true });
      cat([a, b])
        .mul(
          tensor([
            [1, 2],
            [3, 4],
            [5, 6],
          ]),
        )
        .sum()
        .backward();
      expect(a.grad!.tolist()).toEqual([[1, 2]]);
      expect(b.grad!.tolist()).toEqual([
        [3, 4],
        [5, 6],
      ]);
    });

    it('stack joins along a new dim', () => {
      const a = tensor([1, 2]);
      const b = tensor([3, 4]);
      expect(stack([a, b]).tolist()).toEqual([
        [1, 2],
        [3, 4],
      ]);
      expect(stack([a, b], 1).tolist()).toEqual([
        [1, 3],
        [2, 4],
      ]);
      expect(stack([a, b], -1).shape).toEqual([2, 2]);
      expect(() => stack([a, tensor([1, 2, 3])])).toThrow(/stack: tensor 1 has shape \[3\] but tensor 0 has \[2\]/);
    });
  });

  describe('contiguous, clone and detach', () => {
    it('contiguous returns the tensor itself when already contiguous, else a copy', () => {
      const x = m23();
      expect(contiguous(x)).toBe(x);
      const c = x.t().contiguous();
      expect(c.isContiguous()).toBe(true);
      expect(c.storage).not.toBe(x.storage);
      expect(c.tolist()).toEqual([
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
    });

    it('clone copies storage and lets gradients through', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const c = clone(x);
      expect(c.storage).not.toBe(x.storage);
      expect(c.gradFn!.name).toBe('clone');
      c.mul(tensor([3, 4]))
        .sum()
        .backward();
      expect(x.grad!.tolist()).toEqual([3, 4]);
      const d = tensor([1, 2]);
      const dc = d.clone();
      dc.fill_(0);
      expect(d.tolist()).toEqual([1, 2]);
    });

    it('detach shares storage but carries no graph', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const d = detach(x.mul(2));
      expect(d.requiresGrad).toBe(false);
      expect(d.gradFn).toBeNull();
      expect(d.isLeaf).toBe(true);
      const y = tensor([5, 6], { dtype: 'float32' });
      const yd = y.detach();
      expect(yd.storage).toBe(y.storage);
      yd.fill_(0);
      expect(y.tolist()).toEqual([0, 0]);
    });
  });
});
