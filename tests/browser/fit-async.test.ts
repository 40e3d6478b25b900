import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';
import { serveStatic } from './static-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const skip = !existsSync(CHROMIUM_PATH) && !process.env.CI;

describe.skipIf(skip)(`fitAsync in headless Chromium${skip ? ` (skipped: no Chromium at ${CHROMIUM_PATH})` : ''}`, () => {
  it('trains 3 epochs of 64 batches while a 5 ms timer keeps firing and onBatchEnd repaints each batch', async () => {
    const server = await serveStatic(root);
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 90_000 });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.origin}/tests/browser/fit-async.html`);
      const r = (await page.evaluate('window.fitResult')) as {
        error?: string;
        ticks: number;
        maxGap: number;
        repaints: number;
        ms: number;
        loss: number[];
        accuracy: number[];
      };
      expect(r.error).toBeUndefined();
      expect(r.repaints).toBe(3 * 64);
      expect(r.loss[2]).toBeLessThan(r.loss[0]);
      expect(r.accuracy[2]).toBeGreaterThan(0.9);
      // The timer fires throughout (a blocking loop would give one tick at the end) and no gap
      // approaches the whole run.
      expect(r.ticks).toBeGreaterThan(20);
      expect(r.maxGap).toBeLessThan(Math.max(250, r.ms / 4));
    } finally {
      await browser.close();
      await server.close();
    }
  }, 60_000);
});
