// PyTorch habits that must mean in Tessera what they mean in PyTorch (issue 11 §2).
import { describe, expect, it } from 'vitest';
import { Generator, ones, rand, randn, tensor, zeros } from '../src/index.js';

describe('size() and numel()', () => {
  it('x.size() is the shape, x.size(d) one dim (negative from the end), x.numel() the count', () => {
    const x = zeros([2, 3, 4]);
    expect(x.size()).toEqual([2, 3, 4]);
    expect(x.size(1)).toBe(3);
    expect(x.size(-1)).toBe(4);
    expect(x.numel()).toBe(24);
    expect(zeros([2, 0]).numel()).toBe(0);
    expect(tensor(5).size()).toEqual([]);
  });

  it('size(d) out of range or on a 0-d tensor is a clear error', () => {
    expect(() => randn([2, 3]).size(2)).toThrow(/size: dim 2 is out of range/);
    expect(() => tensor(5).size(0)).toThrow(/size: dim 0 given but the tensor is 0-d/);
  });

  it('size() returns a fresh array (mutating it does not reshape the tensor)', () => {
    const x = zeros([2, 3]);
    const s = x.size();
    s[0] = 7;
    expect(x.shape).toEqual([2, 3]);
  });
});

describe('factories take sizes as varargs too', () => {
  it('zeros(2, 3), ones(2, 3, opts), rand(2, 3), randn(2, 3, { generator }) equal the array forms', () => {
    expect(zeros(2, 3).shape).toEqual([2, 3]);
    expect(ones(2, 3, { dtype: 'int32' }).tolist()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(rand(4).shape).toEqual([4]);
    const a = randn(2, 3, { generator: new Generator(5) });
    const b = randn([2, 3], { generator: new Generator(5) });
    expect(a.tolist()).toEqual(b.tolist());
  });
});
