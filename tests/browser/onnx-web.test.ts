// Tessera's exported ONNX files run in onnxruntime-web's wasm build inside headless Chromium (the
// files served from node_modules, nothing downloaded) and give Tessera's outputs; the same models
// run in Node's onnxruntime-web too, and the page's Tessera agrees with Node's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import * as ortWeb from 'onnxruntime-web';
import { runOnnxWeb, type OnnxWebResult } from './onnx-web.js';
import { serveStatic } from '../../scripts/static-server.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const distEntry = `${root}dist/index.js`;
const noChromium = `${CHROMIUM_PATH} not found (install it with \`apt-get install -y chromium\`)`;
const skipReason = !existsSync(distEntry)
  ? `${distEntry} not found: build the package first with \`npm run build\``
  : !existsSync(CHROMIUM_PATH) && !process.env.CI
    ? noChromium
    : '';
if (skipReason) console.warn(`onnxruntime-web browser test skipped: ${skipReason}`);

function worst(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i])), 0);
}

describe.skipIf(skipReason)(`exported models in onnxruntime-web's wasm backend${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof serveStatic>> | undefined;
  let inPage: OnnxWebResult[] | { error: string } = { error: 'setup did not run' };
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    try {
      server = await serveStatic({ folders: ['dist', 'tests/browser', 'node_modules/onnxruntime-web/dist'] });
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 90_000 });
      const page = await browser.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      await page.goto(`${server.origin}/tests/browser/onnx-web.html`);
      inPage = await page.evaluate('window.onnxWebResult');
    } catch (error) {
      inPage = { error: String(error) };
    }
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('in Chromium, onnxruntime-web gives Tessera’s outputs within 1e-4 at a batch size other than the export’s', () => {
    expect('error' in inPage ? inPage.error : undefined).toBeUndefined();
    const results = inPage as OnnxWebResult[];
    expect(results.map((r) => [r.name, r.dims])).toEqual([
      ['cnn', [5, 10]],
      ['lstm+transformer', [4, 3]],
    ]);
    for (const r of results) expect(worst(r.ort, r.tessera), r.name).toBeLessThan(1e-4);
    expect(consoleErrors).toEqual([]);
  });

  it('in Node, onnxruntime-web agrees too, and the page’s Tessera outputs match Node’s', async () => {
    const T: typeof import('../../src/index.js') = await import(pathToFileURL(distEntry).href);
    const inNode = await runOnnxWeb(T, ortWeb);
    for (const r of inNode) expect(worst(r.ort, r.tessera), r.name).toBeLessThan(1e-4);
    if ('error' in inPage) return;
    inNode.forEach((r, k) => expect(worst(r.tessera, (inPage as OnnxWebResult[])[k].tessera), r.name).toBeLessThanOrEqual(1e-5));
  });
});
