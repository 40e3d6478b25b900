// The playground (npm run playground) in headless Chromium, served with and without cross-origin
// isolation: it loads, trains the digits CNN in a worker with test accuracy rising while the page
// keeps handling timers, classifies a drawn digit and test-set digits, and the name generator
// samples names as it learns. Screenshots go to out/.
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';
// @ts-expect-error plain-JS script without types
import { servePlayground } from '../../scripts/playground.mjs';

const skip = !existsSync(CHROMIUM_PATH) && !process.env.CI;
const outDir = new URL('../../out/', import.meta.url).pathname;

interface PlaygroundState {
  ready: boolean;
  isolated: boolean;
  steps: number[];
  losses: number[];
  accuracies: [number, number][];
  prediction: number[] | null;
  testDigit: { label: number } | null;
  names: { losses: number[]; samples: string[] };
  errors: string[];
}
const read = (page: Page) => page.evaluate(() => (window as unknown as { playground: PlaygroundState }).playground);

describe.skipIf(skip)(`the playground in headless Chromium${skip ? ` (skipped: no Chromium at ${CHROMIUM_PATH})` : ''}`, () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(outDir, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 90_000 });
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const isolation of [true, false]) {
    it(`${isolation ? 'cross-origin isolated' : 'without isolation'}: trains, stays responsive and classifies digits`, async () => {
      const server = await servePlayground({ isolation, port: 0 });
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      try {
        await page.goto(`${server.origin}/`);
        await page.waitForFunction(() => (window as unknown as { playground?: PlaygroundState }).playground?.ready === true, null, { timeout: 60_000 });
        expect((await read(page)).isolated).toBe(isolation);

        // A 10 ms timer in the page counts ticks and the longest gap while the worker trains.
        await page.evaluate(() => {
          const w = window as unknown as { ticks: number; maxGap: number };
          w.ticks = 0;
          w.maxGap = 0;
          let last = performance.now();
          setInterval(() => {
            const now = performance.now();
            w.maxGap = Math.max(w.maxGap, now - last);
            last = now;
            w.ticks++;
          }, 10);
        });
        await page.fill('#steps', '200');
        const started = Date.now();
        await page.click('#train');
        await page.waitForFunction(() => (window as unknown as { playground: PlaygroundState }).playground.steps.at(-1) === 200, null, { timeout: 120_000 });
        const trainingMs = Date.now() - started;
        const trained = await read(page);
        const accuracies = trained.accuracies.map(([, a]) => a);
        expect(accuracies.length).toBe(20);
        expect(accuracies.at(-1)!).toBeGreaterThan(accuracies[0]);
        expect(accuracies.at(-1)!).toBeGreaterThan(0.85);
        expect(trained.losses.at(-1)!).toBeLessThan(trained.losses[0]);
        const { ticks, maxGap } = await page.evaluate(() => {
          const w = window as unknown as { ticks: number; maxGap: number };
          return { ticks: w.ticks, maxGap: w.maxGap };
        });
        // The timer keeps firing throughout (a page blocked by training would tick once, at the end).
        expect(ticks).toBeGreaterThan(20);
        // The page never freezes for long (training blocking it would give one gap as long as the run).
        expect(maxGap).toBeLessThan(Math.max(1000, trainingMs / 4));

        // A stroke drawn with the mouse gets a probability for each digit.
        await page.click('#clear');
        const box = (await page.locator('#pad').boundingBox())!;
        await page.mouse.move(box.x + 80, box.y + 25);
        await page.mouse.down();
        await page.mouse.move(box.x + 82, box.y + 80, { steps: 8 });
        await page.mouse.move(box.x + 80, box.y + 135, { steps: 8 });
        await page.mouse.up();
        await page.waitForFunction(() => (window as unknown as { playground: PlaygroundState }).playground.prediction !== null, null, { timeout: 30_000 });
        const drawn = (await read(page)).prediction!;
        expect(drawn).toHaveLength(10);
        expect(drawn.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);

        // Held-out digits painted on the pad and read back through it are classified.
        let correct = 0;
        for (let i = 0; i < 10; i++) {
          await page.evaluate(() => {
            (window as unknown as { playground: PlaygroundState }).playground.prediction = null;
          });
          await page.click('#sample');
          await page.waitForFunction(() => (window as unknown as { playground: PlaygroundState }).playground.prediction !== null, null, { timeout: 30_000 });
          const { prediction, testDigit } = await read(page);
          if (prediction!.indexOf(Math.max(...prediction!)) === testDigit!.label) correct++;
        }
        expect(correct).toBeGreaterThanOrEqual(8);
        await page.screenshot({ path: `${outDir}playground-${isolation ? 'isolated' : 'plain'}.png` });

        // The weights download as safetensors and load back with the same test accuracy.
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
        expect(download.suggestedFilename()).toBe('digits-cnn-width8.safetensors');
        const file = `${outDir}playground-weights.safetensors`;
        await download.saveAs(file);
        await page.setInputFiles('#load', file);
        await page.waitForFunction(() => /^(weights loaded|error)/.test(document.getElementById('status')!.textContent!), null, { timeout: 30_000 });
        expect(await page.textContent('#status')).toMatch(/^weights loaded/);
        const loadedAccuracy = Number((await page.textContent('#status'))!.match(/([\d.]+)%/)![1]) / 100;
        expect(loadedAccuracy).toBeCloseTo(accuracies.at(-1)!, 3);
        expect((await read(page)).errors).toEqual([]);
        expect(pageErrors).toEqual([]);
      } finally {
        await page.close();
        await server.close();
      }
    }, 240_000);
  }

  it('the name generator trains in its tab and samples names', async () => {
    const server = await servePlayground({ isolation: true, port: 0 });
    const page = await browser.newPage();
    try {
      await page.goto(`${server.origin}/`);
      await page.click('nav button[data-tab="names"]');
      await page.fill('#name-steps', '100');
      await page.click('#train-names');
      await page.waitForFunction(() => (window as unknown as { playground: PlaygroundState }).playground.names.losses.length === 100, null, {
        timeout: 180_000,
      });
      const { names } = await read(page);
      expect(names.samples.length).toBe(20);
      expect(names.samples.every((s) => /^[a-z]*$/.test(s))).toBe(true);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(names.losses.slice(-10))).toBeLessThan(mean(names.losses.slice(0, 10)));
      await page.screenshot({ path: `${outDir}playground-names.png` });
    } finally {
      await page.close();
      await server.close();
    }
  }, 240_000);
});
