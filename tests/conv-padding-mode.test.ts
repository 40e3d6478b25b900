// nn.Conv2d's paddingMode against PyTorch 1.13 (tests/fixtures/torch-conv-padding-mode.json,
// regenerate with /usr/bin/python3 scripts/torch_conv_padding_mode_fixtures.py): outputs and the
// input, weight and bias gradients on both devices, and the errors a JavaScript caller can meet
// (tests/onnx-export.test.ts runs the modes in ONNX Runtime).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nn, noGrad, randn, tensor, type Device } from '../src/index.js';

interface Rec {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  args: nn.Conv2dLayerOptions;
  inChannels: number;
  outChannels: number;
  kernelSize: number | [number, number];
  weight: Rec;
  bias: Rec | null;
  input: Rec;
  gradOut: Rec;
  out: Rec;
  grads: { input: Rec; weight: Rec; bias: Rec | null };
}

const cases: Case[] = JSON.parse(readFileSync(new URL('./fixtures/torch-conv-padding-mode.json', import.meta.url), 'utf8'));

function expectClose(got: ArrayLike<number>, want: Rec, what: string): void {
  const bad = want.data.filter((w, i) => !(Math.abs(got[i] - w) <= 1e-4 + 1e-4 * Math.abs(w)));
  expect(bad.length, `${what}: ${bad.length} of ${want.data.length} entries off`).toBe(0);
}

describe('nn.Conv2d paddingMode matches PyTorch 1.13', () => {
  for (const device of ['wasm', 'js'] as Device[]) {
    for (const c of cases) {
      it(`${c.name} (${device})`, () => {
        const conv = new nn.Conv2d(c.inChannels, c.outChannels, c.kernelSize, { ...c.args, device });
        noGrad(() => {
          conv.weight.copy_(tensor(c.weight.data, { shape: c.weight.shape, device }));
          if (c.bias) conv.bias!.copy_(tensor(c.bias.data, { shape: c.bias.shape, device }));
        });
        const x = tensor(c.input.data, { shape: c.input.shape, device, requiresGrad: true });
        const out = conv(x);
        expect(out.shape).toEqual(c.out.shape);
        expectClose(out.toArray(), c.out, 'output');
        out.backward(tensor(c.gradOut.data, { shape: c.gradOut.shape, device }));
        expectClose(x.grad!.toArray(), c.grads.input, 'input grad');
        expectClose(conv.weight.grad!.toArray(), c.grads.weight, 'weight grad');
        if (c.grads.bias) expectClose(conv.bias!.grad!.toArray(), c.grads.bias, 'bias grad');
      });
    }
  }

  it('keeps the state-dict keys of a zero-padded Conv2d and shows the mode', () => {
    const conv = new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: 'reflect' });
    expect(Object.keys(conv.stateDict())).toEqual(['weight', 'bias']);
    expect(String(conv)).toContain("paddingMode='reflect'");
  });

  it('refuses an unknown mode, and a reflection wider than the input, naming both', () => {
    expect(() => new nn.Conv2d(2, 3, 3, { paddingMode: 'reflection' as never })).toThrow(
      /Conv2d: paddingMode must be one of 'zeros', 'reflect', 'replicate', 'circular' \(got "reflection"\)/,
    );
    const conv = new nn.Conv2d(1, 1, 3, { padding: 4, paddingMode: 'reflect' });
    expect(() => conv(randn([1, 1, 3, 3]))).toThrow(/pad/);
  });
});
