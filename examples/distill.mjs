// Knowledge distillation on Fashion-MNIST: a teacher CNN, and a student a quarter its size trained
// twice from the same initial weights on the same images — once alone on the labels, once from the
// teacher's softened probabilities (nn.KLDivLoss at temperature T, scaled by T², plus 30% label
// cross-entropy) at T = 1 and T = 4. One table of test accuracy.
// Run after `npm run build`:
//   node examples/distill.mjs [/usr/share/datasets/fashion-mnist] [--full] [--smoke] [--epochs N]
// Fashion-MNIST comes from Debian: `sudo apt-get install dataset-fashion-mnist`; without it the
// example prints that hint and stops (the smoke setting, for the test suite, uses the bundled digits).
import { manualSeed } from '../dist/index.js';
import { accuracy, countParameters, distill, loadImages, makeCnn, parseArgs, pick, table, train } from './fashion.mjs';

const { smoke, full, option, dir } = parseArgs();
const started = performance.now();
const images = await loadImages(dir, smoke);
if (!images) process.exit(0);
const { name, side } = images;
const sizes = smoke ? { perClass: 40, epochs: 2, test: 40 } : full ? { perClass: 6000, epochs: 8, test: 1000 } : { perClass: 1000, epochs: 4, test: 1000 };
sizes.epochs = option('epochs', sizes.epochs);
const classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const trainSet = pick(images.train, classes, sizes.perClass);
const testSet = pick(images.test, classes, sizes.test);
console.log(`${name}: ${trainSet.labels.shape[0]} training and ${testSet.labels.shape[0]} test images, ${sizes.epochs} epochs per model\n`);

const teacherSize = { channels: 16, hidden: 128 };
const studentSize = { channels: 8, hidden: 64 };
manualSeed(0);
const teacher = makeCnn(side, teacherSize);
const rows = [];
const row = (label, model, seconds) =>
  rows.push([label, countParameters(model.parameters()).toLocaleString('en-US'), (100 * accuracy(model, testSet)).toFixed(2), seconds.toFixed(1)]);
row('teacher', teacher, train(teacher, trainSet, { epochs: sizes.epochs }));

manualSeed(1);
const alone = makeCnn(side, studentSize);
row('student alone (labels only)', alone, train(alone, trainSet, { epochs: sizes.epochs }));
for (const temperature of [1, 4]) {
  manualSeed(1); // the same initial weights and batch order as the student alone
  const student = makeCnn(side, studentSize);
  row(`student distilled, T = ${temperature}`, student, distill(student, teacher, trainSet, { epochs: sizes.epochs, temperature }));
}
console.log(table(['model', 'parameters', 'test accuracy %', 'training s'], rows));
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
