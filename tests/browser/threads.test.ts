// Threaded GEMM in headless Chromium: with cross-origin isolation the page runs a 512×512 matmul
// on two Web Workers and gets Node's numbers; without it, it says why once and runs on one thread.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { runThreadsWorkload, type ThreadsResult } from './threads-workload.js';
import { ISOLATION_HEADERS, serveStatic } from '../../scripts/static-server.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const distEntry = `${root}dist/index.js`;
const chromiumPath = CHROMIUM_PATH;
const chromiumArgs = CHROMIUM_ARGS;
const skipReason = !existsSync(distEntry)
  ? `${distEntry} not found (run \`npm run build\`)`
  : !existsSync(chromiumPath) && !process.env.CI
    ? `${chromiumPath} not found`
    : '';
if (skipReason) console.warn(`browser threads test skipped: ${skipReason}`);

interface PageRun {
  result: ThreadsResult & { error?: string };
  warnings: string[];
  errors: string[];
}

const floats = (base64: string) => {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
};

/** Exactly Node's bits on the same kernel build; within float32 rounding of the FMA build otherwise. */
function expectNodeNumbers(got: string, gotRelaxed: boolean, want: ThreadsResult): void {
  if (gotRelaxed === want.relaxedSimd) {
    expect(got === want.one).toBe(true);
    return;
  }
  const x = floats(got);
  const y = floats(want.one);
  expect(x.length).toBe(512 * 512);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
  expect(worst).toBeLessThanOrEqual(1e-5);
}

describe.skipIf(skipReason)(`threaded GEMM in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let browser: Browser | undefined;
  const servers: Awaited<ReturnType<typeof serveStatic>>[] = [];
  let isolated: PageRun;
  let plain: PageRun;
  let inNode: ThreadsResult;
  let setupError: unknown;

  async function visit(headers: Record<string, string>): Promise<PageRun> {
    const server = await serveStatic({ folders: ['dist', 'tests/browser'], headers });
    servers.push(server);
    const page = await browser!.newPage();
    const run: PageRun = { result: undefined as unknown as PageRun['result'], warnings: [], errors: [] };
    page.on('console', (message) => {
      if (message.type() === 'warning') run.warnings.push(message.text());
      if (message.type() === 'error') run.errors.push(message.text());
    });
    page.on('pageerror', (error) => run.errors.push(error.message));
    await page.goto(`${server.origin}/tests/browser/threads.html`);
    run.result = await page.evaluate('window.threadsResult');
    return run;
  }

  beforeAll(async () => {
    try {
      browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 90_000 });
      [isolated, plain] = await Promise.all([visit(ISOLATION_HEADERS), visit({})]);
      const T: typeof import('../../src/index.js') = await import(pathToFileURL(distEntry).href);
      inNode = await runThreadsWorkload(T);
    } catch (error) {
      setupError = error;
    }
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('splits the matmul and the fused attention across two threads in Node, with the same bits as one', () => {
    if (setupError) throw setupError;
    expect(inNode.running).toBe(2);
    expect(inNode.splitCalls).toBe(1);
    expect(inNode.two === inNode.one).toBe(true);
    expect(inNode.attentionSplitCalls).toBe(2);
    expect(inNode.attentionTwo === inNode.attentionOne).toBe(true);
  });

  it('runs both on two Web Workers in a cross-origin isolated page and matches Node', ({ skip }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    const r = isolated.result;
    expect(r.error).toBeUndefined();
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.running).toBe(2);
    expect(r.threads).toBe(2);
    expect(r.splitCalls).toBe(1);
    expect(r.two === r.one).toBe(true);
    expect(r.attentionSplitCalls).toBe(2);
    expect(r.attentionTwo === r.attentionOne).toBe(true);
    if (r.relaxedSimd === inNode.relaxedSimd) expect(r.attentionTwo === inNode.attentionTwo).toBe(true);
    expectNodeNumbers(r.two, r.relaxedSimd, inNode);
    expect(isolated.warnings).toEqual([]);
    expect(isolated.errors).toEqual([]);
  });

  it('falls back to one thread without isolation, says why once (on a multi-core machine), and still matches Node', ({ skip }) => {
    skip(setupError !== undefined, 'setup failed (see the first test)');
    const r = plain.result;
    expect(r.error).toBeUndefined();
    expect(r.crossOriginIsolated).toBe(false);
    expect([r.defaultThreads, r.running, r.threads, r.splitCalls, r.attentionSplitCalls]).toEqual([1, 1, 1, 0, 0]);
    expect(r.two === r.one).toBe(true);
    expect(r.attentionTwo === r.attentionOne).toBe(true);
    expectNodeNumbers(r.two, r.relaxedSimd, inNode);
    // The warning is for a machine where a second core goes unused.
    expect(plain.warnings).toHaveLength((r.cores ?? 1) > 1 ? 1 : 0);
    if (plain.warnings.length > 0) {
      expect(plain.warnings[0]).toContain('GEMM runs on one thread');
      expect(plain.warnings[0]).toContain('Cross-Origin-Embedder-Policy: require-corp');
    }
    expect(plain.errors).toEqual([]);
  });
});
