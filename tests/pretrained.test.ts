// The files scripts/torch_pretrained_digits.py wrote with PyTorch 1.13 (examples/pretrained/): the
// state_dict loads into the same architecture written with Tessera's nn with no key map, the
// torch.onnx.export file loads through onnx.load, and both reproduce PyTorch's committed logits.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { data, deserialize, nn, noGrad, onnx, type Tensor } from '../src/index.js';

const file = (name: string) => readFileSync(new URL(`../examples/pretrained/${name}`, import.meta.url));

class DigitsNet extends nn.Module {
  conv1 = new nn.Conv2d(1, 8, 3, { padding: 1 });
  bn1 = new nn.BatchNorm2d(8);
  conv2 = new nn.Conv2d(8, 16, 3, { padding: 1 });
  fc = new nn.Linear(16 * 4 * 4, 10);
  forward(x: Tensor): Tensor {
    const h = this.bn1(this.conv1(x)).relu();
    return this.fc(nn.functional.maxPool2d(this.conv2(h).relu(), 2).flatten(1));
  }
}

const { images } = data.loadDigits();
const testImages = images.narrow(0, 1400, 397);
const torchLogits = deserialize(file('torch-digits-outputs.safetensors')).tensors.logits;

function worst(model: (x: Tensor) => Tensor): number {
  return noGrad(() => model(testImages).sub(torchLogits).abs().max().item());
}

describe('PyTorch-written model files', () => {
  it('the safetensors state_dict loads strictly under PyTorch keys (num_batches_tracked included) and gives PyTorch logits', () => {
    const model = new DigitsNet();
    const tensors = deserialize(file('torch-digits-cnn.safetensors')).tensors;
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(model.stateDict()).sort());
    model.loadStateDict(tensors);
    model.eval();
    expect(torchLogits.shape).toEqual([397, 10]);
    expect(worst(model)).toBeLessThan(1e-4);
  });

  it('the torch.onnx.export file loads from a Node Buffer (whose slice() shares memory) and gives PyTorch logits', () => {
    const bytes = file('torch-digits-cnn.onnx');
    // Inside a larger buffer at an odd offset, as a Buffer from a pooled read can be.
    const padded = Buffer.alloc(bytes.length + 7);
    bytes.copy(padded, 3);
    const model = onnx.load(padded.subarray(3, 3 + bytes.length));
    model.eval();
    expect(model.namedParameters().map(([k]) => k)).toContain('fc.weight');
    expect(worst(model)).toBeLessThan(1e-4);
  });
});
