// indexSelect and gather: values along each dim, negative indices, gradients that accumulate
// over repeated indices, and bounds errors that name the offending index.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arange, gather, indexSelect, setDefaultDevice, tensor, type Device } from '../src/index.js';

describe.each<Device>(['wasm', 'js'])('indexing on %s', (device) => {
  beforeAll(() => setDefaultDevice(device));
  afterAll(() => setDefaultDevice('wasm'));

  // x[i][j] = 10i + j
  const x = () =>
    tensor(
      [
        [0, 1, 2],
        [10, 11, 12],
        [20, 21, 22],
      ],
      { dtype: 'float32' },
    );

  describe('indexSelect', () => {
    it('picks whole rows or columns in index order, repeats allowed', () => {
      expect(indexSelect(x(), 0, tensor([2, 0, 2])).tolist()).toEqual([
        [20, 21, 22],
        [0, 1, 2],
        [20, 21, 22],
      ]);
      expect(
        x()
          .indexSelect(1, tensor([1]))
          .tolist(),
      ).toEqual([[1], [11], [21]]);
      expect(
        x()
          .indexSelect(-1, tensor([2, 0]))
          .tolist(),
      ).toEqual([
        [2, 0],
        [12, 10],
        [22, 20],
      ]);
    });

    it('refuses negative indices, as PyTorch does', () => {
      expect(() => x().indexSelect(0, tensor([-1, 0]))).toThrow(/^indexSelect: index -1 \(element 0 of the index\) is out of range for dim 0 of size 3/);
    });

    it('reads non-contiguous input and keeps int32 dtype', () => {
      expect(
        x()
          .t()
          .indexSelect(0, tensor([0]))
          .tolist(),
      ).toEqual([[0, 10, 20]]);
      const i = arange(6)
        .reshape(2, 3)
        .indexSelect(1, tensor([2, 2]));
      expect(i.dtype).toBe('int32');
      expect(i.tolist()).toEqual([
        [2, 2],
        [5, 5],
      ]);
    });

    it('an empty index gives an empty dim', () => {
      expect(x().indexSelect(0, tensor([], { dtype: 'int32' })).shape).toEqual([0, 3]);
    });

    it('scatter-adds the gradient, accumulating repeated indices', () => {
      const w = tensor(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        { requiresGrad: true },
      );
      w.indexSelect(0, tensor([2, 0, 2]))
        .mul(
          tensor([
            [1, 10],
            [2, 20],
            [3, 30],
          ]),
        )
        .sum()
        .backward();
      expect(w.grad!.tolist()).toEqual([
        [2, 20],
        [0, 0],
        [4, 40],
      ]);
    });

    it('rejects an out-of-range index, naming its value', () => {
      expect(() => x().indexSelect(0, tensor([0, 3]))).toThrow(/indexSelect: index 3 \(element 1 of the index\) is out of range for dim 0 of size 3/);
      expect(() => x().indexSelect(1, tensor([-4]))).toThrow(/index -4 .*out of range for dim 1 of size 3/);
    });
  });

  describe('gather', () => {
    it('out[i][j] = x[i][index[i][j]] along dim 1', () => {
      expect(
        gather(
          x(),
          1,
          tensor([
            [2, 0],
            [1, 1],
            [0, 2],
          ]),
        ).tolist(),
      ).toEqual([
        [2, 0],
        [11, 11],
        [20, 22],
      ]);
    });

    it('out[i][j] = x[index[i][j]][j] along dim 0, with a smaller index', () => {
      expect(
        x()
          .gather(0, tensor([[2, 0, 1]]))
          .tolist(),
      ).toEqual([[20, 1, 12]]);
    });

    it('picks one entry per row, as cross-entropy does with labels', () => {
      const logits = tensor([
        [0.1, 0.7, 0.2],
        [0.5, 0.3, 0.2],
      ]);
      const labels = tensor([1, 0]);
      expect(logits.gather(1, labels.unsqueeze(1)).squeeze(1).tolist()).toEqual([expect.closeTo(0.7, 6), expect.closeTo(0.5, 6)]);
    });

    it('refuses negative indices and reads non-contiguous input', () => {
      expect(() => x().gather(1, tensor([[-1], [-2], [-3]]))).toThrow(/^gather: index -1 \(element 0 of the index\) is out of range/);
      expect(
        x()
          .t()
          .gather(1, tensor([[2], [0], [1]]))
          .tolist(),
      ).toEqual([[20], [1], [12]]);
    });

    it('scatter-adds the gradient, accumulating repeated indices', () => {
      const w = tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { requiresGrad: true },
      );
      w.gather(
        1,
        tensor([
          [0, 0, 2],
          [1, 1, 1],
        ]),
      )
        .mul(
          tensor([
            [1, 2, 3],
            [4, 5, 6],
          ]),
        )
        .sum()
        .backward();
      expect(w.grad!.tolist()).toEqual([
        [3, 0, 3],
        [0, 15, 0],
      ]);
    });

    it('rejects an out-of-range index, naming its value and the input shape', () => {
      expect(() => x().gather(1, tensor([[0], [5], [1]]))).toThrow(
        /gather: index 5 \(element 1 of the index\) is out of range for dim 1 of size 3 \(input shape \[3, 3\]\)/,
      );
    });
  });
});
