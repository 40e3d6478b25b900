import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runWorkload, type WorkloadResult } from './workload.js';
import type * as Loops from './memory-loop.js';
import { expectBounded } from '../helpers.js';
import { serveStatic } from '../../scripts/static-server.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const distEntry = `${root}dist/index.js`;
const notBuilt = `${distEntry} not found: build the package first with \`npm run build\` (\`npm test\` does it)`;
const chromiumPath = CHROMIUM_PATH;
const chromiumArgs = CHROMIUM_ARGS;
const noChromium = `${chromiumPath} not found (install it with \`apt-get install -y chromium\`)`;
// Outside CI a machine without Chromium skips, loudly; in CI a missing browser is a failure.
const skipReason = !existsSync(chromiumPath) && !process.env.CI ? noChromium : '';
if (skipReason) console.warn(`browser test skipped: ${skipReason}`);

it('runs against the built package in dist/', () => {
  expect(existsSync(distEntry), notBuilt).toBe(true);
});

describe.skipIf(skipReason)(`the built package in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let browser: Browser | undefined;
  let page: Page | undefined;
  let server: Awaited<ReturnType<typeof serveStatic>> | undefined;
  let inBrowser: WorkloadResult & { error?: string };
  let inNode: WorkloadResult;
  let onReference: WorkloadResult;
  const consoleErrors: string[] = [];

  // A failure here is recorded and rethrown by the first test, so it counts as a failed test
  // (a throwing beforeAll would only skip the tests, leaving "0 failed" in the summary).
  let setupError: unknown;
  beforeAll(async () => {
    try {
      if (!existsSync(distEntry)) throw new Error(notBuilt);
      if (!existsSync(chromiumPath)) throw new Error(`${noChromium}; CI is set, so this fails instead of skipping`);
      server = await serveStatic({ folders: ['dist', 'tests/browser'] });
      browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 90_000 });
      page = await browser.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      await page.goto(`${server.origin}/tests/browser/index.html`);
      // A string, not a function: vitest would rewrite a dynamic import inside a function before it reaches the page.
      inBrowser = await page.evaluate('window.workloadResult');

      const T: typeof import('../../src/index.js') = await import(pathToFileURL(distEntry).href);
      inNode = runWorkload(T, 'wasm');
      onReference = runWorkload(T, 'js');
    } catch (error) {
      setupError = error;
    }
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('imports dist/index.js and runs forward + backward on the wasm device', () => {
    if (setupError) throw setupError;
    expect(inBrowser.error).toBeUndefined();
    expect(inBrowser.device).toBe('wasm');
    expect(Number.isFinite(inBrowser.loss) && inBrowser.loss > 0).toBe(true);
  });

  it('gives the same loss, logits and gradients as Node: bit-identical on the same kernel build, ≤1e-6 apart otherwise', ({ skip }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    const got = { loss: [inBrowser.loss], logits: inBrowser.logits, ...inBrowser.grads };
    const want = { loss: [inNode.loss], logits: inNode.logits, ...inNode.grads };
    if (inBrowser.relaxedSimd === inNode.relaxedSimd) {
      expect(got).toEqual(want);
      return;
    }
    for (const [name, values] of Object.entries(want)) {
      const actual = got[name as keyof typeof got];
      expect(actual, name).toHaveLength(values.length);
      const worst = Math.max(...values.map((v, i) => Math.abs(actual[i] - v)));
      expect(worst, `${name}: largest |browser − node| (browser relaxedSimd=${inBrowser.relaxedSimd}, node ${inNode.relaxedSimd})`).toBeLessThanOrEqual(1e-6);
    }
  });

  it('agrees with the plain-TypeScript reference backend, so the shared numbers are right', ({ skip }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    expect(inNode.loss).toBeCloseTo(onReference.loss, 6);
    for (const name of ['w1', 'b1', 'w2', 'b2', 'lstm', 'attention', 'gru', 'decoder'] as const) {
      expect(inNode.grads[name].some((g) => g !== 0)).toBe(true);
      inNode.grads[name].forEach((g, i) => expect(g).toBeCloseTo(onReference.grads[name][i], 6));
    }
  });

  it('tokenizes with a trained BPE, takes top-k and draws seeded samples as Node does', ({ skip }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    expect(inBrowser.text.decoded).toBe('the rat sat');
    expect(inBrowser.text.ids.length).toBeLessThan('the rat sat'.length);
    expect(inBrowser.text).toEqual(inNode.text);
    expect(onReference.text).toEqual(inNode.text);
  });

  it('runs int8 Linear with 7-bit activations on the relaxed int8 dot product there, bit-identical to Node and the reference backend', ({ skip }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    expect(inBrowser.relaxedSimd, 'Chromium validates relaxed SIMD, so the int8 GEMM on its dot product ran').toBe(true);
    expect(inBrowser.int8.length).toBe(1 * 20 + 6 * 20 + 9 * 27 + 2 * 27);
    expect(inBrowser.int8).toEqual(onReference.int8);
    expect(inNode.int8).toEqual(onReference.int8);
  });

  it('runs int8 Conv2d with 7-bit activations on the relaxed int8 dot product there (padded, strided, dilated), bit-identical to Node and the reference backend', ({
    skip,
  }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    expect(inBrowser.relaxedSimd).toBe(true);
    expect(inBrowser.int8Conv.length).toBe(2 * (6 * 9 * 10 + 5 * 5 * 5 + 9 * 5 * 6));
    expect(inBrowser.int8Conv).toEqual(onReference.int8Conv);
    expect(inNode.int8Conv).toEqual(onReference.int8Conv);
  });

  it('reports memoryStats() there as in Node', ({ skip }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    const { wasmBytes, ...counts } = inBrowser.memory;
    const { wasmBytes: _, ...nodeCounts } = inNode.memory;
    expect(counts.liveTensors).toBeGreaterThan(0);
    expect(wasmBytes).toBeGreaterThan(0);
    // Same allocator, same op sequence: the counts agree exactly whichever kernel build ran.
    expect(counts).toEqual(nodeCounts);
  });

  /** Runs one of memory-loop.js's loops in the page, as one page job (its own task), and returns its result. */
  const inPage = <K extends 'runMnistLoop' | 'runEvalLoop' | 'runInferenceLoop' | 'runAsyncLoop'>(
    loop: K,
    steps: number,
  ): Promise<Awaited<ReturnType<(typeof Loops)[K]>>> =>
    page!.evaluate(`import('/tests/browser/memory-loop.js').then(async (m) => m.${loop}(await import('/dist/index.js'), ${steps}))`);

  it('runs the MNIST-shaped loop (a fresh 256 × 784 batch / 255 each step, 10,000 steps) synchronously in bounded memory', async ({ skip }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    // One page job with no await inside the loop: the page's synchronous-loop case of docs/memory.md.
    // The suite's slowest test: a page step takes 10–29 ms on the shared 2-core machine, nearly all
    // of it page faults on the fresh JS memory the copies of the dropped batches land in
    // (docs/memory.md, "Node, a page's synchronous loop, an async loop").
    const result = await inPage('runMnistLoop', 10_000);
    expectBounded(result);
    expect(result.wasmBytes).toBeLessThan(512 * 2 ** 20);
    expect(result.lastLoss).toBeLessThan(result.firstLoss);
    // The JS copies of the 20,000 dropped 800 KB batches (16 GB) were collected inside that one job.
    const cdp = await page!.context().newCDPSession(page!);
    const { backingStorageSize } = (await cdp.send('Runtime.getHeapUsage')) as { backingStorageSize: number };
    expect(backingStorageSize).toBeLessThan(512 * 2 ** 20);
  }, 900_000);

  // The other loop shapes of tests/memory-loops.test.ts whose memory a page handles differently
  // (no FinalizationRegistry callback inside one job; a task between steps in the async one), with
  // Node's 10,000 steps (≈ 0.1–0.4 ms a step in the page).
  it('runs a noGrad evaluation loop (argmax, .item()) 10,000 steps in bounded memory, counting what one batched pass counts', async ({ skip }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    const result = await inPage('runEvalLoop', 10_000);
    expectBounded(result);
    expect(result.wasmBytes).toBeLessThan(512 * 2 ** 20);
    expect(result.accuracy).toBe(result.wholeSet);
  }, 120_000);

  it('runs inference with grad mode on, results dropped, 10,000 steps in bounded memory', async ({ skip }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    const result = await inPage('runInferenceLoop', 10_000);
    expectBounded(result);
    expect(result.wasmBytes).toBeLessThan(512 * 2 ** 20);
  }, 120_000);

  it('runs a for await training loop that yields a task every step, 10,000 steps in bounded memory', async ({ skip }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    const result = await inPage('runAsyncLoop', 10_000);
    expect(result.steps).toBe(10_000);
    expectBounded(result);
    expect(result.wasmBytes).toBeLessThan(512 * 2 ** 20);
    expect(result.lastLoss).toBeLessThan(result.firstLoss * 0.5);
  }, 120_000);

  it('logs no console errors', ({ skip }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    expect(consoleErrors).toEqual([]);
  });
});
