// Regenerates the course's figures (docs/course/figures/*.svg) with Tessera's own plotting:
// `npm run build && node docs/course/figures.mjs`.
import { writeFileSync } from 'node:fs';
import { manualSeed, nn, plotHistograms, randn } from 'tessera';

/** Six tanh layers of width 256, their weights drawn by `init`, with hooks recording each tanh's output and input gradient. */
function probe(init) {
  const layers = Array.from({ length: 6 }, () => new nn.Linear(256, 256));
  for (const layer of layers) init(layer.weight);
  const model = new nn.Sequential(...layers.flatMap((layer) => [layer, new nn.Tanh()]));
  const activations = {};
  const gradients = {};
  [...model].forEach((module, i) => {
    if (!(module instanceof nn.Tanh)) return;
    const name = `layer ${(i + 1) / 2}`;
    module.registerForwardHook((_m, _args, out) => void (activations[name] = out.toArray()));
    module.registerFullBackwardHook((_m, gradInput) => void (gradients[name] = gradInput[0].toArray()));
  });
  model(randn([64, 256], { requiresGrad: true }))
    .sum()
    .backward();
  return { activations, gradients };
}

manualSeed(0);
const figures = new URL('./figures/', import.meta.url);
for (const [file, title, init] of [
  ['init-normal-1', 'tanh outputs, weights N(0, 1): saturated', (w) => nn.init.normal_(w, 0, 1)],
  ['init-xavier', 'tanh outputs, Xavier uniform with gain 5/3', (w) => nn.init.xavierUniform_(w, 5 / 3)],
]) {
  const { activations } = probe(init);
  writeFileSync(new URL(`${file}.svg`, figures), plotHistograms(activations, { title, range: [-1, 1], bins: 40, panelWidth: 200, panelHeight: 160 }));
}
