// A model defined and trained in PyTorch, brought into Tessera two ways and fine-tuned here.
// scripts/torch_pretrained_digits.py (python3-torch 1.13) trained a small CNN on the first 600 of
// the 8×8 digits for two epochs and wrote, in examples/pretrained/, its state_dict as safetensors,
// the same model through torch.onnx.export, and its logits on the test images (1400–1796).
// 1. The same architecture written with Tessera's nn loads the state_dict as PyTorch wrote it:
//    no key map, BatchNorm's running statistics and num_batches_tracked included.
// 2. onnx.load reads the ONNX file into a Module whose weight initializers are parameters.
// Both give PyTorch's logits; then both are fine-tuned on images 600–1399, which PyTorch never saw,
// and the fine-tuned state_dict goes back to PyTorch:
//   /usr/bin/python3 scripts/torch_pretrained_digits.py check out/from-pytorch-finetuned.safetensors
// Run after `npm run build`:  node examples/from-pytorch.mjs [--epochs N]
import { mkdir, readFile } from 'node:fs/promises';
import { data, deserialize, fit, load, manualSeed, nn, noGrad, onnx, optim, save } from '../dist/index.js';

const args = process.argv.slice(2);
const epochs = Number(args[args.indexOf('--epochs') + 1] || 0) || 5;
const file = (name) => new URL(`pretrained/${name}`, import.meta.url).pathname;
manualSeed(0);

// PyTorch's DigitsNet (scripts/torch_pretrained_digits.py), line for line: the field names are the state-dict keys.
class DigitsNet extends nn.Module {
  conv1 = new nn.Conv2d(1, 8, 3, { padding: 1 });
  bn1 = new nn.BatchNorm2d(8);
  conv2 = new nn.Conv2d(8, 16, 3, { padding: 1 });
  fc = new nn.Linear(16 * 4 * 4, 10);
  forward(x) {
    x = this.bn1(this.conv1(x)).relu();
    x = nn.functional.maxPool2d(this.conv2(x).relu(), 2);
    return this.fc(x.flatten(1));
  }
}

const { images, labels } = data.loadDigits();
const tuneSet = new data.TensorDataset(images.narrow(0, 600, 800), labels.narrow(0, 600, 800));
const testImages = images.narrow(0, 1400, 397);
const testLabels = labels.narrow(0, 1400, 397);
const accuracy = (model) => noGrad(() => model.eval()(testImages).argmax(1).eq(testLabels).float().mean().item());

const reference = deserialize(await readFile(file('torch-digits-outputs.safetensors')));
const torchLogits = reference.tensors.logits;
const torchAccuracy = Number(reference.metadata.test_accuracy);
const worstDiff = (model) => noGrad(() => model.eval()(testImages).sub(torchLogits).abs().max().item());

const fromSafetensors = new DigitsNet();
fromSafetensors.loadStateDict(await load(file('torch-digits-cnn.safetensors'))); // strict: every key must match
const fromOnnx = onnx.load(await readFile(file('torch-digits-cnn.onnx')));
console.log(`state_dict keys as PyTorch wrote them: ${Object.keys(fromSafetensors.stateDict()).join(', ')}`);
console.log(`ONNX graph: ${fromOnnx.parameters().length} initializers as parameters`);

const rows = [];
for (const [name, model] of [
  ['safetensors → nn.Module', fromSafetensors],
  ['ONNX → onnx.load', fromOnnx],
]) {
  const diff = worstDiff(model);
  const before = accuracy(model);
  const started = performance.now();
  model.train();
  const optimizer = new optim.Adam(model.parameters(), { lr: 3e-3 });
  const loader = new data.DataLoader(tuneSet, { batchSize: 32, shuffle: true });
  fit(model, loader, { epochs, optimizer, loss: new nn.CrossEntropyLoss(), verbose: false });
  rows.push([name, diff.toExponential(1), (100 * before).toFixed(2), (100 * accuracy(model)).toFixed(2), ((performance.now() - started) / 1000).toFixed(1)]);
}

const header = ['model', 'max |logit − PyTorch|', 'test acc. as loaded %', `after ${epochs} epochs in Tessera %`, 'fine-tune s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`\nPyTorch's own test accuracy: ${(100 * torchAccuracy).toFixed(2)}% (397 test images)\n`);
console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));

const outDir = new URL('../out/', import.meta.url);
await mkdir(outDir, { recursive: true });
const finetuned = new URL('from-pytorch-finetuned.safetensors', outDir).pathname;
await save(fromSafetensors.stateDict(), finetuned);
console.log(`\nfine-tuned state_dict saved to ${finetuned} (test accuracy ${(100 * accuracy(fromSafetensors)).toFixed(2)}%); load it back in PyTorch with`);
console.log(`  /usr/bin/python3 scripts/torch_pretrained_digits.py check ${finetuned}`);
