// Item 7 of the spec: shape mismatches, bad dims, wrong dtypes and non-finite scalars get a clear
// error naming the op, the argument and the shapes. Each test pins the message a user would read.
import { describe, expect, it } from 'vitest';
import { arange, bmm, cat, full, gather, indexSelect, matmul, mul, ones, randn, stack, tensor, zeros, type Tensor } from '../src/index.js';

const m23 = (): Tensor => zeros([2, 3]);

describe('shape mismatches name the op and both shapes', () => {
  it('broadcasting [2, 3] with [4] names both shapes and the dimension', () => {
    expect(() => m23().add(zeros([4]))).toThrow(/^add: shapes \[2, 3\] and \[4\] cannot be broadcast together \(dimension 1: 3 vs 4\)$/);
    expect(() => m23().mul(zeros([3, 2]))).toThrow(/^mul: shapes \[2, 3\] and \[3, 2\]/);
    expect(() => m23().lt(zeros([4]))).toThrow(/^lt: shapes \[2, 3\] and \[4\]/);
  });

  it('in-place ops name themselves and refuse a value larger than the tensor', () => {
    expect(() => m23().add_(zeros([3, 3]))).toThrow(/^add_: shapes \[2, 3\] and \[3, 3\] cannot be broadcast together/);
    expect(() => zeros([3]).copy_(zeros([2, 3]))).toThrow(/^copy_: a value of shape \[2, 3\] cannot be written into a tensor of shape \[3\]$/);
  });

  it('matmul with differing inner dimensions', () => {
    expect(() => matmul(m23(), zeros([4, 5]))).toThrow(/^matmul: cannot multiply \[2, 3\] by \[4, 5\] \(inner dimensions 3 and 4 differ\)$/);
    expect(() => zeros([3]).matmul(zeros([4]))).toThrow(/^matmul: cannot multiply \[3\] by \[4\] \(inner dimensions 3 and 4 differ\)$/);
    expect(() => zeros([]).matmul(zeros([4]))).toThrow(/^matmul: both arguments need at least 1 dimension \(got \[\] and \[4\]\)$/);
  });

  it('matmul with batch dims that do not broadcast', () => {
    expect(() => matmul(zeros([2, 3, 4]), zeros([3, 4, 5]))).toThrow(/^matmul: shapes \[2\] and \[3\] cannot be broadcast together/);
  });

  it('bmm with differing batch sizes, ranks or inner dimensions', () => {
    expect(() => bmm(zeros([2, 3, 4]), zeros([3, 4, 5]))).toThrow(
      /^bmm: expects two 3-D tensors with the same batch size \(got \[2, 3, 4\] and \[3, 4, 5\]\)$/,
    );
    expect(() => bmm(zeros([3, 4]), zeros([4, 5]))).toThrow(/^bmm: .*\(got \[3, 4\] and \[4, 5\]\)$/);
    expect(() => bmm(zeros([2, 3, 4]), zeros([2, 5, 5]))).toThrow(/^bmm: cannot multiply \[2, 3, 4\] by \[2, 5, 5\] \(inner dimensions 4 and 5 differ\)$/);
  });

  it('reshape to a size that does not match', () => {
    expect(() => m23().reshape(4, 2)).toThrow(/^reshape: shape \[4, 2\] is invalid for input of size 6 \(shape \[2, 3\]\)$/);
    expect(() => m23().reshape(-1, 4)).toThrow(/^reshape: shape \[-1, 4\] is invalid for input of size 6/);
    expect(() => m23().reshape(-1, -1)).toThrow(/^reshape: only one dimension can be -1 \(got \[-1, -1\]\)$/);
    expect(() => m23().view(5)).toThrow(/^view: shape \[5\] is invalid for input of size 6/);
  });

  it('view of a non-contiguous tensor', () => {
    expect(() => m23().t().view(6)).toThrow(/^view: the tensor of shape \[3, 2\] is not contiguous; use reshape\(\) or call contiguous\(\) first$/);
  });

  it('expand to an impossible shape', () => {
    expect(() => m23().expand(4, 3)).toThrow(/^expand: cannot expand shape \[2, 3\] to \[4, 3\]$/);
    expect(() => m23().expand(3)).toThrow(/^expand: cannot expand shape \[2, 3\] to \[3\]$/);
  });

  it('cat and stack of mismatched shapes name the tensor at fault', () => {
    expect(() => cat([m23(), zeros([2, 4])])).toThrow(/^cat: tensor 1 has shape \[2, 4\] but tensor 0 has \[2, 3\]; sizes must match except in dim 0$/);
    expect(() => cat([m23(), zeros([3])], 1)).toThrow(/^cat: tensor 1 has shape \[3\] but tensor 0 has \[2, 3\]/);
    expect(() => cat([])).toThrow(/^cat: expects a non-empty array of tensors$/);
    expect(() => stack([m23(), zeros([3, 2])])).toThrow(/^stack: tensor 1 has shape \[3, 2\] but tensor 0 has \[2, 3\]; all must be equal$/);
  });

  it('backward with a gradient of the wrong shape', () => {
    const x = ones([2], { requiresGrad: true });
    expect(() => x.mul(2).backward(ones([3]))).toThrow(/^backward: gradient shape \[3\] does not match the output shape \[2\]$/);
  });
});

describe('bad dims and indices name the op, the dim and the valid range', () => {
  it('sum over dim 5 of a 2-D tensor', () => {
    expect(() => m23().sum(5)).toThrow(/^sum: dim 5 is out of range for a tensor with 2 dimension\(s\) \(expected -2\.\.1\)$/);
    expect(() => m23().mean([0, -3])).toThrow(/^mean: dim -3 is out of range/);
    expect(() => m23().sum([0, -2])).toThrow(/^sum: dim \[0,-2\] names the same dimension twice$/);
  });

  it('other dim-taking ops report the same way', () => {
    expect(() => m23().softmax(2)).toThrow(/^softmax: dim 2 is out of range/);
    expect(() => m23().max(3)).toThrow(/^max: dim 3 is out of range/);
    expect(() => m23().argmax(-3)).toThrow(/^argmax: dim -3 is out of range/);
    expect(() => m23().transpose(0, 2)).toThrow(/^transpose: dim 2 is out of range/);
    expect(() => m23().squeeze(3)).toThrow(/^squeeze: dim 3 is out of range/);
    expect(() => m23().unsqueeze(4)).toThrow(/^unsqueeze: dim 4 is out of range .*\(expected -3\.\.2\)$/);
    expect(() => m23().flatten(1, 0)).toThrow(/^flatten: startDim 1 comes after endDim 0$/);
  });

  it('permute with dims that are not a permutation', () => {
    expect(() => m23().permute(0, 0)).toThrow(/^permute: dims \[0, 0\] are not a permutation of the 2 dims of shape \[2, 3\]$/);
    expect(() => m23().permute(0)).toThrow(/^permute: dims \[0\] are not a permutation/);
  });

  it('select, split and chunk with bad arguments', () => {
    expect(() => m23().select(0, 5)).toThrow(/^select: index 5 is out of range for dim 0 of size 2 \(shape \[2, 3\]\)$/);
    expect(() => m23().split(0)).toThrow(/^split: size must be a positive integer \(got 0\)$/);
    expect(() => m23().chunk(0)).toThrow(/^chunk: chunks must be a positive integer \(got 0\)$/);
    expect(() => arange(5).slice(0, 0, 5, 0)).toThrow(/^slice: step must be a positive integer \(got 0\)$/);
  });

  it('gather and indexSelect with an out-of-range index name the index value', () => {
    expect(() => m23().gather(1, tensor([[0], [3]]))).toThrow(
      /^gather: index 3 \(element 1 of the index\) is out of range for dim 1 of size 3 \(input shape \[2, 3\]\)$/,
    );
    expect(() => indexSelect(m23(), 0, tensor([-3]))).toThrow(/^indexSelect: index -3 \(element 0 of the index\) is out of range for dim 0 of size 2/);
  });

  it('gather and indexSelect with index tensors of the wrong rank', () => {
    expect(() => m23().gather(1, tensor([0]))).toThrow(/^gather: index must have as many dims as the input \(index \[1\], input \[2, 3\]\)$/);
    expect(() => m23().indexSelect(0, tensor([[0]]))).toThrow(/^indexSelect: index must be 0-D or 1-D \(got shape \[1, 1\]\)$/);
  });
});

describe('wrong dtypes name the op and the dtype', () => {
  it('gather and indexSelect refuse float indices', () => {
    expect(() => gather(m23(), 1, tensor([[0.0], [1.0]], { dtype: 'float32' }))).toThrow(/^gather: index must have dtype int32 \(got float32\)$/);
    expect(() => m23().indexSelect(0, tensor([0.5]))).toThrow(/^indexSelect: index must have dtype int32 \(got float32\)$/);
  });

  it('requiresGrad on an int tensor', () => {
    expect(() => tensor([1, 2]).requiresGrad_()).toThrow(/^requiresGrad_: only floating point tensors can require gradients \(this one is int32\)$/);
    expect(() => zeros([2], { dtype: 'int32', requiresGrad: true })).toThrow(/only floating point tensors can require gradients \(this one is int32\)/);
    expect(() => {
      arange(3).requiresGrad = true;
    }).toThrow(/this one is int32/);
  });

  it('fractional data for an int32 tensor and NaN for an int fill', () => {
    expect(() => tensor([0.5], { dtype: 'int32' })).toThrow(/^tensor: int32 data must be integers \(element 0 is 0.5\)$/);
    expect(() => full([2], NaN, { dtype: 'int32' })).toThrow(
      /^full: cannot fill an int32 tensor with NaN \(int32 holds integers in -2147483648\.\.2147483647\)$/,
    );
    expect(() => tensor(['a'] as never)).toThrow(/^tensor: data\[0\] is string, expected a number or boolean$/);
  });

  it('operands that are neither tensors nor numbers', () => {
    expect(() => m23().add('1' as never)).toThrow(/^add: the second operand must be a Tensor or a number \(got string\)$/);
  });
});

describe('non-finite scalars are rejected, naming the op and the argument', () => {
  it('add(x, NaN) and mul(x, ±Infinity)', () => {
    expect(() => m23().add(NaN)).toThrow(/^add: the second operand must be a finite number \(got NaN\)$/);
    expect(() => m23().mul(Infinity)).toThrow(/^mul: the second operand must be a finite number \(got Infinity\)$/);
    expect(() => tensor([1.5]).sub(-Infinity)).toThrow(/^sub: the second operand must be a finite number \(got -Infinity\)$/);
    expect(() => m23().pow(NaN)).toThrow(/^pow: the second operand must be a finite number/);
  });

  it('a non-finite scalar on the left is named as the first operand', () => {
    expect(() => mul(-Infinity, m23())).toThrow(/^mul: the first operand must be a finite number \(got -Infinity\)$/);
    expect(() => randn([2]).maximum(NaN)).toThrow(/^maximum: the second operand must be a finite number \(got NaN\)$/);
  });

  it('clamp(NaN) and maskedFill(NaN)', () => {
    expect(() => m23().clamp(NaN)).toThrow(/^clamp: min must be a number \(got NaN\)$/);
    expect(() => m23().clamp(0, NaN)).toThrow(/^clamp: max must be a number \(got NaN\)$/);
    expect(() => m23().clamp()).toThrow(/^clamp: at least one of min and max must be given$/);
    expect(() => m23().maskedFill(tensor([true]), NaN)).toThrow(/^maskedFill: value must be a number \(got NaN\)$/);
  });

  it('factories reject non-finite steps and invalid counts', () => {
    expect(() => arange(0, 5, Infinity)).toThrow(/^arange: step must be a finite number \(got Infinity\)$/);
    expect(() => zeros([-1])).toThrow(/^zeros: size \[-1\] is invalid: element 0 is -1 \(sizes must be non-negative integers\)$/);
  });
});

describe('misuse of values, devices and lifetimes', () => {
  it('item() on a tensor with many elements', () => {
    expect(() => m23().item()).toThrow(/^item: only one-element tensors can be converted to a number \(shape \[2, 3\] has 6\)$/);
  });

  it('mixing the wasm and js devices in one op', () => {
    const js = zeros([2, 3], { device: 'js' });
    expect(() => m23().add(js)).toThrow(/^add: the second operand is on device 'js' but the other operand is on 'wasm'$/);
    expect(() => js.mul(m23())).toThrow(/^mul: the second operand is on device 'wasm' but the other operand is on 'js'$/);
    expect(() => m23().matmul(zeros([3, 2], { device: 'js' }))).toThrow(/^matmul: the second argument is on device 'js'/);
    expect(() => cat([m23(), js])).toThrow(/^cat: tensor 1 is on device 'js' but tensor 0 is on 'wasm'$/);
    expect(() => m23().indexSelect(0, tensor([0], { device: 'js' }))).toThrow(/^indexSelect: index is on device 'js' but the input is on 'wasm'$/);
  });

  it('float64 on the wasm device', () => {
    expect(() => zeros([2], { dtype: 'float64' })).toThrow(/float64 tensors live on the 'js' device only \(got device 'wasm'\)/);
    expect(() => tensor(new Float64Array([1]), { dtype: 'float64', device: 'wasm' })).toThrow(/float64 .*'js' device only/);
    expect(() => m23().to('float64')).toThrow(/float64 .*'js' device only/);
  });

  it('an unknown device', () => {
    expect(() => zeros([2], { device: 'gpu' as never })).toThrow(/^zeros: device must be one of "wasm", "js" \(got "gpu"\)$/);
  });

  it('using a disposed tensor says it was released and suggests keep()', () => {
    const x = ones([2]);
    x.dispose();
    const released = /^add: this float32 tensor of shape \[2\] was released \(dispose\(\) was called on it\)\. Call keep\(\)/;
    expect(() => x.add(1)).toThrow(released);
    expect(() => x.toArray()).toThrow(/^toArray: .*was released.*keep\(\)/);
    expect(() => x.item()).toThrow(/^item: .*was released/);
    expect(() => matmul(x, x)).toThrow(/^matmul: .*was released/);
    expect(() => x.sum()).toThrow(/^sum: .*was released/);
    expect(() => x.reshape(2, 1)).toThrow(/^reshape: .*was released/);
  });

  it('a graph tensor stays readable after a later backward, and a second backward through it says why not', () => {
    const w = ones([2], { requiresGrad: true });
    const loss = w.mul(w).sum();
    loss.backward();
    expect(loss.item()).toBe(2);
    w.mul(3).sum().backward();
    expect(loss.item()).toBe(2);
    expect(() => loss.backward()).toThrow(/^backward: trying to backward through the graph a second time/);
  });
});
