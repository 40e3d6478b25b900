// The main job (`npm start`): trains a small CNN on the bundled 8×8 handwritten digits, prints
// progress and a classification report for a held-out test split, saves the weights as
// .safetensors and the training history as an SVG, then reloads the file and checks that the
// reloaded model predicts exactly the same.
import { mkdir, writeFile } from 'node:fs/promises';
import { EarlyStopping, data, evaluate, fit, load, manualSeed, metrics, nn, optim, plotHistory, save } from '../dist/index.js';

const outDir = new URL('../out/', import.meta.url);
const started = performance.now();
manualSeed(0);

const { images, labels } = data.loadDigits();
const [trainSet, valSet, testSet] = data.randomSplit(new data.TensorDataset(images, labels), [0.7, 0.15, 0.15]);
console.log(`digits: ${images.shape[0]} images of 8×8 — ${trainSet.length} train, ${valSet.length} validation, ${testSet.length} test`);
const trainLoader = new data.DataLoader(trainSet, { batchSize: 32, shuffle: true });
const valLoader = new data.DataLoader(valSet, { batchSize: 256 });
const testLoader = new data.DataLoader(testSet, { batchSize: 256 });

function makeModel() {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32 * 4 * 4, 10),
  );
}
const model = makeModel();
console.log(String(model));

const epochs = 12;
const optimizer = new optim.Adam(model.parameters(), { lr: 3e-3 });
const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: epochs });
// Early stopping watches the validation loss and, when training ends, puts back the weights of the best epoch.
const earlyStopping = new EarlyStopping({ monitor: 'valLoss', patience: 3, restoreBestWeights: true });
const history = fit(model, trainLoader, {
  epochs,
  optimizer,
  scheduler,
  loss: new nn.CrossEntropyLoss(),
  metrics: ['accuracy'],
  validation: valLoader,
  callbacks: [earlyStopping],
});
const ran = history.loss.length;
console.log(
  `early stopping: best validation loss ${earlyStopping.best.toFixed(4)} at epoch ${earlyStopping.bestEpoch} of ${ran}${earlyStopping.stoppedEpoch ? ` (stopped at epoch ${earlyStopping.stoppedEpoch})` : ''}; ${earlyStopping.bestEpoch === ran ? 'the last epoch was the best' : `restored epoch ${earlyStopping.bestEpoch}'s weights`}`,
);
const restoredVal = evaluate(model, valLoader, { loss: new nn.CrossEntropyLoss() }).logs.loss;
console.log(`validation loss of the restored model: ${restoredVal.toFixed(4)}`);
if (Math.abs(restoredVal - earlyStopping.best) > 1e-4) process.exitCode = 1;

const test = evaluate(model, testLoader, { loss: new nn.CrossEntropyLoss(), metrics: ['accuracy'] });
console.log(`\ntest loss ${test.logs.loss.toFixed(4)}, test accuracy ${(100 * test.logs.accuracy).toFixed(2)}%\n`);
console.log(metrics.classificationReport(test.predictions, test.targets, { digits: 3 }));

await mkdir(outDir, { recursive: true });
const weightsPath = new URL('digits-cnn.safetensors', outDir).pathname;
const plotPath = new URL('digits-history.svg', outDir).pathname;
await save(model.stateDict(), weightsPath, { model: 'digits-cnn', testAccuracy: test.logs.accuracy.toFixed(4) });
await writeFile(plotPath, plotHistory(history, { title: 'Tessera — digits CNN' }));
console.log(`saved weights to ${weightsPath} and the history plot to ${plotPath}`);

const reloaded = makeModel();
reloaded.loadStateDict(await load(weightsPath));
const again = evaluate(reloaded, testLoader, { metrics: ['accuracy'] });
const same = again.predictions.every((p, i) => p === test.predictions[i]);
console.log(`reloaded model: test accuracy ${(100 * again.logs.accuracy).toFixed(2)}%, predictions ${same ? 'identical' : 'DIFFERENT'} to the trained model's`);
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (!same || test.logs.accuracy < 0.97) process.exitCode = 1;
