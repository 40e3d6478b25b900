// Prints the call stack from `loss.backward()` to the backend's GEMM call for one nn.Linear, as
// docs/architecture.md quotes it (tests/docs.test.ts checks the quote against this output). Run after `npm run build`: node --enable-source-maps scripts/backward-stack.mjs
import * as T from '../dist/index.js';

Error.stackTraceLimit = 100;
const layer = new T.nn.Linear(8, 4);
const x = T.randn([16, 8]);
const loss = layer.forward(x).sum();
const backend = x.backend;
const gemm = backend.gemm;
let stack = null;
backend.gemm = function (args) {
  stack ??= new Error().stack;
  return gemm.call(this, args);
};
loss.backward();
backend.gemm = gemm;
const frames = stack
  .split('\n')
  .slice(2)
  .map((line) => line.trim().replace(/^at /, ''))
  .filter((line) => line.includes('/src/'))
  .reverse()
  .map((line) => line.replace(/\(.*\/src\//, '(src/').replace(/:\d+\)$/, ')'));
// The wrapper above replaced the backend's own gemm frame; it would sit here, then the kernel.
frames.push(`${backend.constructor.name}.gemm (src/backend/${backend.constructor.name === 'WasmBackend' ? 'wasm' : 'reference'}.ts)`);
frames.forEach((f, i) => console.log(`${String(i + 1).padStart(2)}. ${f}`));
