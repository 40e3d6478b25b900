// The playground page: controls, the live chart, the drawing pad and the two training workers.
// Everything heavy runs in the workers; this thread only draws, so the page stays responsive.
const $ = (id) => document.getElementById(id);

/** What the page has seen, for people poking at it in the console and for the browser test. */
const state = {
  ready: false,
  isolated: false,
  threads: 1,
  steps: [],
  losses: [],
  accuracies: [],
  prediction: null,
  testDigit: null,
  names: { losses: [], samples: [] },
  errors: [],
};
window.playground = state;

const digits = new Worker(new URL('./digits-worker.js', import.meta.url), { type: 'module' });
const namesWorker = new Worker(new URL('./names-worker.js', import.meta.url), { type: 'module' });

// ---- tabs and sliders
for (const button of document.querySelectorAll('nav button')) {
  button.onclick = () => {
    for (const b of document.querySelectorAll('nav button')) b.classList.toggle('active', b === button);
    for (const tab of document.querySelectorAll('.tab')) tab.hidden = tab.id !== button.dataset.tab;
  };
}
const learningRate = () => 10 ** Number($('lr').value);
function showSliders() {
  $('lr-value').textContent = learningRate().toPrecision(2);
  $('batch-value').textContent = $('batch').value;
  $('width-value').textContent = $('width').value;
  $('temperature-value').textContent = $('temperature').value;
}
for (const id of ['lr', 'batch', 'width', 'temperature']) $(id).oninput = showSliders;
showSliders();

// ---- the chart: loss on its own scale, accuracy on [0, 1]
function drawChart() {
  const canvas = $('chart');
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  ctx.strokeStyle = '#ddd';
  for (let i = 0; i <= 4; i++) {
    const y = 10 + ((height - 20) * i) / 4;
    ctx.beginPath();
    ctx.moveTo(30, y);
    ctx.lineTo(width - 10, y);
    ctx.stroke();
  }
  const total = Math.max(1, Number($('steps').value), state.steps.at(-1) ?? 1);
  const x = (step) => 30 + ((width - 40) * step) / total;
  const line = (points, color, max) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach(([step, value], i) => {
      const y = 10 + (height - 20) * (1 - value / max);
      if (i === 0) ctx.moveTo(x(step), y);
      else ctx.lineTo(x(step), y);
    });
    ctx.stroke();
  };
  const maxLoss = Math.max(...state.losses, 1e-9);
  line(
    state.losses.map((l, i) => [state.steps[i], l]),
    '#1f77b4',
    maxLoss,
  );
  line(state.accuracies, '#ff7f0e', 1);
  ctx.fillStyle = '#222';
  ctx.fillText(maxLoss.toFixed(2), 2, 14);
  ctx.fillText('0', 2, height - 8);
}

// ---- the drawing pad, read back as the 8×8 image the model takes
const pad = $('pad');
const pen = pad.getContext('2d');
function clearPad() {
  pen.fillStyle = '#000';
  pen.fillRect(0, 0, pad.width, pad.height);
  $('probabilities').replaceChildren();
}
clearPad();
let drawing = false;
const at = (event) => {
  const box = pad.getBoundingClientRect();
  return [((event.clientX - box.left) * pad.width) / box.width, ((event.clientY - box.top) * pad.height) / box.height];
};
pad.onpointerdown = (event) => {
  drawing = true;
  pen.strokeStyle = '#fff';
  pen.lineWidth = 16;
  pen.lineCap = 'round';
  pen.beginPath();
  pen.moveTo(...at(event));
};
pad.onpointermove = (event) => {
  if (!drawing) return;
  pen.lineTo(...at(event));
  pen.stroke();
};
pad.onpointerup = () => {
  drawing = false;
  predict();
};

/** The pad averaged into 8×8 cells, as brightness in [0, 1] (the bundled digits' scale). */
function padPixels() {
  const { data } = pen.getImageData(0, 0, pad.width, pad.height);
  const cell = pad.width / 8;
  const pixels = new Array(64).fill(0);
  for (let y = 0; y < pad.height; y++) {
    for (let x = 0; x < pad.width; x++) pixels[Math.floor(y / cell) * 8 + Math.floor(x / cell)] += data[(y * pad.width + x) * 4] / 255;
  }
  return pixels.map((p) => p / (cell * cell));
}

function paintPixels(pixels) {
  const cell = pad.width / 8;
  pixels.forEach((p, i) => {
    const v = Math.round(p * 255);
    pen.fillStyle = `rgb(${v},${v},${v})`;
    pen.fillRect((i % 8) * cell, Math.floor(i / 8) * cell, cell, cell);
  });
}

function predict() {
  digits.postMessage({ type: 'predict', pixels: padPixels() });
}

function showPrediction(probabilities) {
  state.prediction = probabilities;
  if (!probabilities) {
    $('probabilities').replaceChildren(Object.assign(document.createElement('li'), { textContent: 'train or load a model first' }));
    return;
  }
  const best = probabilities.indexOf(Math.max(...probabilities));
  $('probabilities').replaceChildren(
    ...probabilities.map((p, digit) => {
      const li = document.createElement('li');
      li.textContent = `${(100 * p).toFixed(1).padStart(5)}%`;
      if (digit === best) li.style.fontWeight = 'bold';
      const bar = document.createElement('span');
      bar.style.width = `${Math.round(p * 120)}px`;
      li.append(bar);
      return li;
    }),
  );
}

// ---- digits worker
digits.onmessage = ({ data: message }) => {
  if (message.type === 'ready') {
    Object.assign(state, { ready: true, isolated: message.isolated, threads: message.threads });
    $('status').textContent = `ready · ${message.isolated ? 'cross-origin isolated' : 'not isolated (one thread)'}`;
  } else if (message.type === 'started') {
    Object.assign(state, { steps: [], losses: [], accuracies: [] });
    $('status').textContent = `training a CNN with ${message.parameters} parameters…`;
  } else if (message.type === 'progress') {
    state.steps.push(message.step);
    state.losses.push(message.loss);
    if (message.testAccuracy !== undefined) state.accuracies.push([message.step, message.testAccuracy]);
    const accuracy = state.accuracies.at(-1)?.[1];
    $('status').textContent =
      `step ${message.step} · loss ${message.loss.toFixed(3)}${accuracy === undefined ? '' : ` · test accuracy ${(100 * accuracy).toFixed(1)}%`}`;
    drawChart();
  } else if (message.type === 'done') {
    $('status').textContent += ' · done';
    predict();
  } else if (message.type === 'prediction') showPrediction(message.probabilities);
  else if (message.type === 'weights') {
    const link = Object.assign(document.createElement('a'), {
      href: URL.createObjectURL(new Blob([message.bytes], { type: 'application/octet-stream' })),
      download: `digits-cnn-width${message.width}.safetensors`,
    });
    link.click();
    URL.revokeObjectURL(link.href);
  } else if (message.type === 'loaded') $('status').textContent = `weights loaded · test accuracy ${(100 * message.testAccuracy).toFixed(1)}%`;
  else if (message.type === 'testDigit') {
    state.testDigit = message;
    paintPixels(message.pixels);
    predict();
  } else if (message.type === 'error') {
    state.errors.push(message.message);
    $('status').textContent = `error: ${message.message}`;
  }
};

$('train').onclick = () =>
  digits.postMessage({
    type: 'train',
    lr: learningRate(),
    batchSize: Number($('batch').value),
    width: Number($('width').value),
    steps: Number($('steps').value),
  });
$('stop').onclick = () => digits.postMessage({ type: 'stop' });
$('save').onclick = () => digits.postMessage({ type: 'save' });
$('load').onchange = async () => {
  const file = $('load').files[0];
  if (file) digits.postMessage({ type: 'load', bytes: await file.arrayBuffer() });
};
$('clear').onclick = clearPad;
let testIndex = 0;
$('sample').onclick = () => digits.postMessage({ type: 'testDigit', index: testIndex++ });

// ---- names worker
namesWorker.onmessage = ({ data: message }) => {
  if (message.type === 'progress') {
    state.names.losses.push(message.loss);
    $('names-loss').textContent = `step ${message.step} · loss ${message.loss.toFixed(3)}`;
    if (message.samples) {
      state.names.samples.push(...message.samples);
      $('samples').replaceChildren(...message.samples.map((name) => Object.assign(document.createElement('li'), { textContent: name || '(empty)' })));
    }
  } else if (message.type === 'ready') $('names-loss').textContent = `${message.names} names, ${message.vocabulary} characters`;
};
$('train-names').onclick = () => namesWorker.postMessage({ type: 'train', steps: Number($('name-steps').value), temperature: Number($('temperature').value) });
$('stop-names').onclick = () => namesWorker.postMessage({ type: 'stop' });
