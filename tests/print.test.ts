// Tensors print as PyTorch prints them; modules print their tree (issue 11 §3).
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type DType, nn, randn, tensor } from '../src/index.js';

// Written by scripts/torch_print_fixtures.py (PyTorch 1.13's repr, in Tessera's spelling).
const cases = JSON.parse(readFileSync(new URL('./fixtures/torch-print.json', import.meta.url), 'utf8')) as {
  name: string;
  shape: number[];
  dtype: DType;
  data: (number | boolean | 'nan' | 'inf' | '-inf')[];
  requires_grad: boolean;
  repr: string;
}[];

describe("tensors print as PyTorch's repr (tests/fixtures/torch-print.json)", () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const device = c.dtype === 'float64' ? 'js' : 'wasm';
    const special = { nan: Number.NaN, inf: Infinity, '-inf': -Infinity };
    const data = c.data.map((v) => (typeof v === 'string' ? special[v] : v)) as number[];
    const t = tensor(data, { shape: c.shape, dtype: c.dtype, device });
    if (c.requires_grad) t.requiresGrad_();
    // float64 lives on the 'js' device only, which the suffix names (PyTorch's CPU is its default).
    expect(t.toString().replace(", device='js'", '')).toBe(c.repr);
    expect(inspect(t)).toBe(t.toString());
  });
});

describe('what printing shows beyond the values', () => {
  it('console.log(t) prints the values, not the internal fields; a 100×100 tensor shows values', () => {
    const printed = inspect(randn(100, 100));
    expect(printed).toMatch(/^tensor\(\[\[ ?-?\d\.\d{4}, /);
    expect(printed).toContain('...');
    expect(printed).not.toContain('storage');
    expect(printed.split('\n')).toHaveLength(7);
  });
  it('gradFn, a non-default device, and a released tensor', () => {
    const x = tensor([1.5, -2]).requiresGrad_();
    expect(String(x.mul(2))).toBe('tensor([ 3., -4.], gradFn=<mul>)');
    expect(String(tensor([0.25], { device: 'js' }))).toBe("tensor([0.2500], device='js')");
    const y = tensor([1, 2]).float();
    y.dispose();
    expect(String(y)).toBe('tensor(<released: dispose() was called on it>, shape=[2], dtype=float32)');
  });
  it('console.log(model) prints the module tree, nested with indentation', () => {
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.Sequential(new nn.ReLU(), new nn.Dropout(0.5)));
    expect(inspect(model)).toBe(
      'Sequential(\n  (0): Linear(inFeatures=2, outFeatures=3, bias=true)\n  (1): Sequential(\n    (0): ReLU()\n    (1): Dropout(p=0.5)\n  )\n)',
    );
  });
});
