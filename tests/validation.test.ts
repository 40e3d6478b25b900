// Issue 8: every argument a plain-JavaScript caller can pass gets a right answer or a clear error.
// Each reproduction from the issue is a test here; it failed (silently wrong) before the fix.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  arange,
  cat,
  data,
  deserialize,
  eye,
  fit,
  full,
  load,
  memoryStats,
  nn,
  ones,
  optim,
  rand,
  randint,
  randn,
  SafetensorsError,
  sum,
  type MetricSpec,
  type Tensor,
  tensor,
  where,
  zeros,
} from '../src/index.js';

const F = nn.functional;

/** The allocator is sound: a fresh tensor holds its own values. */
function expectAllocatorSound(): void {
  expect(
    tensor([1, 2, 3])
      .add(tensor([100, 200, 300]))
      .tolist(),
  ).toEqual([101, 202, 303]);
  expect(Number.isFinite(memoryStats().liveBytes)).toBe(true);
}

/** Calls a plain-JS call with arguments TypeScript would refuse. */
const js = (f: (...a: never[]) => unknown, ...args: unknown[]): unknown => f(...(args as never[]));

describe('corruption: bad sizes never reach the allocator', () => {
  it('arange with NaN, Infinity or an options object where end goes', () => {
    expect(() => arange(0, NaN)).toThrow(/^arange: end must be a finite number \(got NaN\)$/);
    expect(() => arange(NaN)).toThrow(/^arange: end must be a finite number \(got NaN\)$/);
    expect(() => arange(0, Infinity)).toThrow(/^arange: end must be a finite number \(got Infinity\)$/);
    expectAllocatorSound();
    const a = arange(16, { dtype: 'float32' });
    expect(a.dtype).toBe('float32');
    expect(a.tolist()).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(arange(2, 8, 3, { dtype: 'int32' }).tolist()).toEqual([2, 5]);
    expect(arange(1, 4, { dtype: 'float32' }).tolist()).toEqual([1, 2, 3]);
    expect(() => arange(5, 0)).toThrow(/^arange: end 0 cannot be reached from start 5 with step 1/);
    expectAllocatorSound();
  });

  it('expand, reshape and view refuse non-integer sizes', () => {
    expect(() => ones([1]).expand(Number('12px'), 1)).toThrow(/^expand: size \[NaN, 1\] element 0 must be an integer \(got NaN\)$/);
    expect(() => ones([1]).expand(2.5)).toThrow(/^expand: .* must be an integer \(got 2.5\)$/);
    expect(() => ones([6]).reshape(2.5, -1)).toThrow(/^reshape: .* must be an integer \(got 2.5\)$/);
    expect(() => ones([6]).view([NaN])).toThrow(/^view: .* must be an integer \(got NaN\)$/);
    expect(() => js(ones([6]).reshape.bind(ones([6])), '6')).toThrow(/^reshape: .* must be an integer \(got "6"\)$/);
    expectAllocatorSound();
  });

  it('the allocator itself refuses NaN, fractional and negative sizes', () => {
    const b = ones([1]).backend;
    for (const n of [NaN, 2.5, -4, Infinity]) expect(() => b.alloc('float32', n)).toThrow(/^alloc: invalid/);
    const j = ones([1], { device: 'js' }).backend;
    for (const n of [NaN, 2.5, -4]) expect(() => j.alloc('float32', n)).toThrow(/^alloc: invalid/);
    expectAllocatorSound();
  });

  it('slice positions must be integers; narrow past the end or with a negative length raises', () => {
    const x = tensor([1, 2, 3, 4]);
    expect(() => x.slice(0, 0.5, 3)).toThrow(/^slice: start must be an integer \(got 0.5\)$/);
    expect(() => x.slice(0, 0, 2.5)).toThrow(/^slice: end must be an integer \(got 2.5\)$/);
    expect(() => x.narrow(0, 2, 3)).toThrow(/^narrow: start \(2\) \+ length \(3\) exceeds dimension 0 of size 4/);
    expect(() => x.narrow(0, 1, -1)).toThrow(/^narrow: length must be an integer ≥ 0 \(got -1\)$/);
    expect(() => x.narrow(0, 0.5, 1)).toThrow(/^narrow: start must be an integer in -4\.\.4 \(got 0.5\)$/);
    expect(x.narrow(0, -2, 2).tolist()).toEqual([3, 4]);
    expect(x.narrow(0, 4, 0).tolist()).toEqual([]);
    expectAllocatorSound();
  });

  it('copy_ refuses partly overlapping views as PyTorch does, and copies a tensor onto itself', () => {
    const x = tensor([1, 2, 3, 4]);
    expect(() => x.slice(0, 1).copy_(x.slice(0, 0, 3))).toThrow(
      /^copy_: unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location/,
    );
    expect(x.tolist()).toEqual([1, 2, 3, 4]);
    const m = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(() => m.copy_(m.t())).toThrow(/^copy_: unsupported operation: some elements/);
    // Arithmetic in place reads its overlapping argument before writing (tests/elementwise.test.ts): right, so allowed.
    x.slice(0, 1).add_(x.slice(0, 0, 3));
    expect(x.tolist()).toEqual([1, 3, 5, 7]);
    expect(m.copy_(m).tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    // Interleaved views with gaps share memory but no element: PyTorch allows it, and so do we.
    const y = arange(6, { dtype: 'float32' });
    y.slice(0, 0, null, 2).copy_(y.slice(0, 1, null, 2));
    expect(y.tolist()).toEqual([1, 1, 3, 3, 5, 5]);
    expect(() => zeros([1]).expand(3).add_(1)).toThrow(/^add_: unsupported operation: more than one element of the written-to tensor/);
    expectAllocatorSound();
  });

  it('fractional, negative and non-numeric sizes in factories raise naming the factory', () => {
    expect(() => zeros([2.5])).toThrow(/^zeros: size \[2.5\] is invalid: element 0 is 2.5/);
    expect(zeros(3).shape).toEqual([3]);
    expect(zeros(2, 3).shape).toEqual([2, 3]);
    expect(randn(2, 3, { dtype: 'float32' }).shape).toEqual([2, 3]);
    expect(() => js(zeros, '3')).toThrow(/^zeros: size \["3"\] is invalid: element 0 is "3"/);
    expect(() => eye(-2, 2)).toThrow(/^eye: n must be an integer ≥ 0 \(got -2\)$/);
    expect(eye(2, { dtype: 'int32' }).tolist()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(() => full([2], NaN, { dtype: 'int32' })).toThrow(/^full: cannot fill an int32 tensor with NaN/);
    expectAllocatorSound();
  });

  it('a size too large for memory fails before sampling', () => {
    const start = Date.now();
    expect(() => randn([2e9])).toThrow(/out of memory/);
    expect(() => rand([2 ** 40])).toThrow(/out of memory|more than any tensor/);
    expect(Date.now() - start).toBeLessThan(5000);
    expectAllocatorSound();
  });
});

describe('dtypes and options are checked', () => {
  it("PyTorch's positional pool stride (max_pool2d(x, 2, 1)) is refused, not ignored: ignoring it changed the output shape", () => {
    const x = randn([1, 1, 4, 4]);
    expect(() => js(F.maxPool2d, x, 2, 1)).toThrow(
      /^maxPool2d: pass stride, padding and the rest in an options object, e\.g\. maxPool2d\(x, \{ kernelSize: 2, stride: 1 \}\) \(got 3 arguments\)$/,
    );
    expect(() => js(F.avgPool2d, x, 2, 1)).toThrow(/^avgPool2d: pass stride/);
    expect(F.maxPool2d(x, { kernelSize: 2, stride: 1 }).shape).toEqual([1, 1, 3, 3]);
  });

  it('unknown dtype and device strings list the valid ones', () => {
    expect(() => js(tensor, [0.5, 1.5], { dtype: 'float16' })).toThrow(
      /^tensor: dtype must be one of "float32", "float64", "int32", "bool" \(got "float16"\)$/,
    );
    expect(() => js(zeros, [2], { dtype: 'int64' })).toThrow(/^zeros: dtype must be one of/);
    expect(() => js(ones, [2], { device: 'gpu' })).toThrow(/^ones: device must be one of "wasm", "js" \(got "gpu"\)$/);
    expect(() => js(zeros, [2], { dtyp: 'int32' })).toThrow(/^zeros: unknown option "dtyp" in options; valid options are 'dtype', 'device', 'requiresGrad'$/);
    expect(() => js(tensor([1]).to.bind(tensor([1])), 'float16')).toThrow(/^to: expected a dtype/);
  });

  it('int32 values that do not fit raise instead of wrapping', () => {
    expect(() => tensor([3e9], { dtype: 'int32' })).toThrow(/^tensor: int32 data must lie in -2147483648\.\.2147483647 \(element 0 is 3000000000\)/);
    expect(() => arange(2 ** 31 - 1, 2 ** 31 + 2)).toThrow(/^arange: values 2147483647\.\.2147483649 do not fit in int32/);
    expect(arange(2 ** 31 - 1, 2 ** 31 + 2, { dtype: 'float64', device: 'js' }).tolist()).toEqual([2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1]);
    expect(() => randint(0, 2 ** 32, [3])).toThrow(/^randint: high must be an integer in -2147483648\.\.2147483648 \(got 4294967296\)$/);
    const r = randint(-(2 ** 31), 2 ** 31, [100]).toArray();
    expect(r.every((v) => Number.isInteger(v))).toBe(true);
  });

  it('in-place ops refuse results their dtype cannot hold, as PyTorch does', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(() => i.mul_(1.5)).toThrow(/^mul_: the result type float32 cannot be stored in this int32 tensor in place/);
    expect(() => i.div_(2)).toThrow(/^div_: the result type float32 cannot be stored/);
    expect(() => tensor([true, false]).add_(1)).toThrow(/^add_: the result type int32 cannot be stored in this bool tensor/);
    expect(i.mul_(3).tolist()).toEqual([3, 6]);
    expect(i.copy_(tensor([1.7, -2.7])).tolist()).toEqual([1, -2]);
  });
});

describe('wrong gradients: tensors a backward reads are version-checked', () => {
  it('where and maskedFill raise when the mask changes between forward and backward', () => {
    const x = ones([4], { requiresGrad: true });
    const mask = tensor([true, false, true, false]);
    const y = where(mask, x, 0).sum();
    mask.fill_(1);
    expect(() => y.backward()).toThrow(
      /^backward: a tensor where saved for its backward \(a bool tensor of shape \[4\]\) was modified by an in-place operation/,
    );
    const x2 = ones([4], { requiresGrad: true });
    const m2 = tensor([false, true, false, true]);
    const z = x2.maskedFill(m2, 0).sum();
    m2.zero_();
    expect(() => z.backward()).toThrow(/was modified by an in-place operation/);
    // Unchanged, the gradient is the mask's complement.
    const x3 = ones([4], { requiresGrad: true });
    x3.maskedFill(tensor([false, true, false, true]), 0)
      .sum()
      .backward();
    expect(x3.grad!.tolist()).toEqual([1, 0, 1, 0]);
  });

  it('crossEntropy copies its class targets at the forward, so changing them before backward leaves the gradient right', () => {
    // More cases, one per kind of backward: tests/saved-tensors.test.ts.
    const logits = randn([3, 4], { requiresGrad: true });
    const target = tensor([0, 1, 2]);
    F.crossEntropy(logits, target).backward();
    const expected = logits.grad!.tolist();
    logits.grad = null;
    const loss = F.crossEntropy(logits, target);
    target.fill_(3);
    loss.backward();
    expect(logits.grad!.tolist()).toEqual(expected);
  });
});

describe('wrong values: indices and int32 sums', () => {
  it('negative indices raise in embedding, gather and indexSelect, as in PyTorch', () => {
    const w = tensor([
      [1, 1],
      [2, 2],
      [3, 3],
    ]).float();
    expect(() => F.embedding(tensor([0, -1]), w)).toThrow(
      /^embedding: index -1 \(element 1 of the input\) is out of range for 3 embeddings \(indices must lie in 0\.\.2\)$/,
    );
    expect(() => w.gather(0, tensor([[-1, 0]]))).toThrow(/^gather: index -1 \(element 0 of the index\) is out of range for dim 0 of size 3/);
    expect(() => w.indexSelect(0, tensor([-1]))).toThrow(
      /^indexSelect: index -1 \(element 0 of the index\) is out of range for dim 0 of size 3 \(input shape \[3, 2\]\)$/,
    );
    expect(() => js(w.gather.bind(w), 0, [[0]])).toThrow(/^gather: index must be an int32 Tensor \(got \[\[0\]\]\)$/);
    // padding_idx -1 still means the last row, as in PyTorch.
    expect(F.embedding(tensor([2]), w, -1).tolist()).toEqual([[3, 3]]);
  });

  it('an int32 sum that leaves int32 raises; a mean of ints needs .float() first, and cannot wrap', () => {
    const big = tensor([2e9, 2e9], { dtype: 'int32' });
    expect(() => big.sum()).toThrow(/^sum: the int32 sum 4000000000 overflows int32/);
    expect(() => big.to('js').sum()).toThrow(/^sum: the int32 sum 4000000000 overflows int32/);
    expect(() => big.mean()).toThrow(/^mean: the input is int32; mean needs a floating point input/);
    expect(big.float().mean().item()).toBe(2e9);
    expect(big.to('float32').sum().item()).toBe(4e9);
    expect(tensor([2e9, -2e9, 5], { dtype: 'int32' }).sum().item()).toBe(5);
  });

  it('toString and util.inspect of a 5,000-dim tensor, and of one showing 280,000 values, do not overflow the stack', () => {
    const deep = ones(new Array(5000).fill(1));
    const text = deep.toString();
    expect(text).toBe(`tensor(${'['.repeat(5000)}1.${']'.repeat(5000)})`);
    expect(inspect(deep)).toBe(text);
    // 7 per dim is past the summary threshold: 6 shown per dim, 6^7 values in all.
    const wide = ones(new Array(7).fill(7));
    expect(wide.toString().split('1.').length - 1).toBe(6 ** 7);
  });

  it('errors name the op the caller called: zero_, an empty binaryCrossEntropy', () => {
    const x = tensor([1.5]);
    x.dispose();
    expect(() => x.zero_()).toThrow(/^zero_: this float32 tensor of shape \[1\] was released/);
    expect(F.binaryCrossEntropy(zeros([0]), zeros([0]), { reduction: 'sum' }).item()).toBe(0);
    expect(Number.isNaN(F.binaryCrossEntropy(zeros([0]), zeros([0])).item())).toBe(true);
  });

  it('errors name the op the caller called', () => {
    expect(() => js(cat, [1, 2])).toThrow(/^cat: tensors\[0\] must be a Tensor \(got 1\)$/);
    expect(() => js(tensor([1.5]).maskedFill.bind(tensor([1.5])), tensor([1]), 0)).toThrow(/^maskedFill: mask must have dtype bool \(got int32\)/);
    expect(() => tensor([1.5]).maskedFill(tensor([true, false]), 0)).toThrow(/^maskedFill: /);
    expect(() => js(sum, [1, 2])).toThrow(/^sum: input must be a Tensor \(got \[1, 2\]\)$/);
  });
});

/** A safetensors file with this header text and no data. */
function safetensorsBytes(header: string): Uint8Array {
  const text = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + text.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  return out;
}

describe('files: limits checked before the work, errors naming the file and byte', () => {
  it('a shape nested 10,000 deep is a SafetensorsError naming the byte, not a stack overflow', () => {
    const deep = `{"a":{"dtype":"F32","shape":${'['.repeat(10000)}${']'.repeat(10000)},"data_offsets":[0,0]}}`;
    expect(() => deserialize(safetensorsBytes(deep))).toThrow(SafetensorsError);
    expect(() => deserialize(safetensorsBytes(deep))).toThrow(/^safetensors: header nests deeper than 64 levels at byte 98$/);
  });

  it('a header listing more than 100,000 tensors is refused before any tensor is made', () => {
    const entries = Array.from({ length: 100_001 }, (_, i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
    const before = memoryStats().liveBytes;
    expect(() => deserialize(safetensorsBytes(`{${entries.join(',')}}`))).toThrow(/^safetensors: header lists more than 100000 tensors \(at byte \d+\)/);
    expect(memoryStats().liveBytes).toBe(before);
  });

  it('load(path) names the file in its error', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tessera-')), 'bad.safetensors');
    writeFileSync(path, safetensorsBytes('{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{}}'));
    await expect(load(path)).rejects.toThrow(`safetensors: ${path}: header has the key 'a' twice (byte 62)`);
  });
});

describe('fit metrics with float targets: right values or a clear error, never dropped', () => {
  const X = randn([16, 3]);
  /** One epoch at lr 0, so the metrics are those of the model as made. */
  const run = (target: Tensor, loss: (o: Tensor, t: Tensor) => Tensor, metrics: MetricSpec[]) => {
    const model = new nn.Linear(3, target.shape[1]);
    const loader = new data.DataLoader(new data.TensorDataset(X, target), { batchSize: 4 });
    const history = fit(model, loader, { epochs: 1, optimizer: new optim.SGD(model.parameters(), { lr: 0 }), loss, metrics, verbose: false });
    return { history, model };
  };

  it('a regression target with a classification metric raises naming the metric; regression metrics are computed', () => {
    const y = X.sum(1, true);
    expect(() => run(y, (o, t) => F.mseLoss(o, t), ['accuracy'])).toThrow(/^accuracy: targets must be class labels .* use 'mse', 'mae', 'rmse' or 'r2'$/);
    const { history, model } = run(y, (o, t) => F.mseLoss(o, t), ['mse', 'mae']);
    const out = model.forward(X);
    expect(history.mse).toHaveLength(1);
    expect(history.mse[0]).toBeCloseTo(out.sub(y).square().mean().item(), 4);
    expect(history.mae[0]).toBeCloseTo(out.sub(y).abs().mean().item(), 4);
  });

  it('0/1 float targets of a binary classifier give the accuracy of outputs thresholded at 0.5', () => {
    const y = X.sum(1, true).gt(0).float();
    const { history, model } = run(y, (o, t) => F.binaryCrossEntropyWithLogits(o, t), ['accuracy']);
    const expected = model.forward(X).ge(0.5).float().eq(y).float().mean().item();
    expect(history.accuracy).toEqual([expected]);
  });
});
