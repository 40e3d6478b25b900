/**
 * 1 vs N threads: GEMM (and the MLP step) in Node, and GEMM in headless Chromium on a page served
 * cross-origin isolated. The thread counts alternate over several rounds, so a burst of load from
 * another process on this shared machine hits both sides; each figure is the median over rounds
 * of each round's median, with the range of the round medians, and the speed-up is the median of
 * the per-round ratios with their range. Outputs are checked before timing (harness.mjs in Node;
 * in the browser, N threads must reproduce one thread's bits and float64 samples).
 * Run alone: `node bench/threads.mjs` (after `npm run build`); `npm run bench` includes it.
 */
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, runCase, UNITS } from './harness.mjs';
import { machine, mdTable, median, progress, sig } from './lib.mjs';
import { loadTessera, tesseraAdapter } from './tessera.mjs';
import { gemmCase, mlpCase } from './workloads.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.mjs';

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 300);
const ROUNDS = Number(process.env.BENCH_THREAD_ROUNDS ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));

const span = (xs) => `${sig(median(xs))} [${sig(Math.min(...xs))}–${sig(Math.max(...xs))}]`;

/**
 * The speed-up of one workload from per-round figures at 1 and N threads: each round times both
 * back to back, so its ratio compares like with like; the median of the rounds' ratios, with their range.
 */
function speedup(id, ones, manys) {
  const ratios = ones.map((o, i) => manys[i] / o);
  return { id, r: median(ratios), lo: Math.min(...ratios), hi: Math.max(...ratios) };
}

/** One table row from per-round figures at 1 and N threads (and, in Node, the other processes' load). */
function row(id, unit, ones, manys, others) {
  const s = speedup(id, ones, manys);
  return [id, unit, span(ones), span(manys), `${sig(s.r)} [${sig(s.lo)}–${sig(s.hi)}]×`, ...(others ? [others[0] === '—' ? '—' : span(others)] : [])];
}

/** CPU time (ms) all processes have spent busy since boot, from /proc/stat; null where there is none. */
function machineBusyMs() {
  try {
    const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    return ((user + nice + system + irq + softirq + steal) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** The Node workloads: GEMM 256³…1024³ (as in the browser), a wide one, the transposed cases, and the MLP step. */
function nodeCases() {
  return [
    gemmCase(256, 256, 256),
    gemmCase(512, 512, 512),
    gemmCase(1024, 1024, 1024),
    gemmCase(256, 1024, 1024),
    gemmCase(256, 256, 256, 'TN'),
    gemmCase(256, 256, 256, 'NT'),
    gemmCase(256, 256, 256, 'TT'),
    gemmCase(512, 512, 512, 'TN'),
    { ...mlpCase(64), kind: 'mlp', id: 'MLP train step b64' },
  ];
}

/**
 * Node: every workload of nodeCases at 1 vs n threads in alternating rounds; `speedups` are the
 * GEMMs' (what the ≥ 1.7× target is judged on).
 */
export async function nodeThreads(tess, n = machine().cores, rounds = ROUNDS) {
  if (!tess.setNumThreads) return { skipped: 'threads: not implemented' };
  const cases = nodeCases();
  const rows = [];
  const speedups = [];
  const loadBefore = os.loadavg()[0];
  for (const c of cases) {
    const figs = { 1: [], [n]: [] };
    // Cores other processes kept busy during the N-thread runs: on a busy shared machine this, not the
    // code, is what caps the speed-up. (This process's own CPU time would not tell: waiting threads spin.)
    const others = [];
    let failed = null;
    for (let r = 0; r < rounds && !failed; r++) {
      for (const th of [1, n]) {
        await tess.setNumThreads(th);
        progress(`  ${c.id} @ ${th} thread(s), round ${r + 1}/${rounds}`);
        const busy0 = machineBusyMs();
        const cpu0 = process.cpuUsage();
        const wall0 = performance.now();
        const result = await runCase(tesseraAdapter(tess), c, { timeMs: TIME_MS });
        const cpu = process.cpuUsage(cpu0);
        const busy = machineBusyMs();
        if (th === n && busy !== null) others.push(Math.max(0, busy - busy0 - (cpu.user + cpu.system) / 1000) / (performance.now() - wall0));
        if (!result.figure) failed = describe(result);
        else figs[th].push(result.figure.median);
      }
    }
    rows.push(failed ? [c.id, UNITS[c.kind], failed, '', '', ''] : row(c.id, UNITS[c.kind], figs[1], figs[n], others.length ? others : ['—']));
    if (!failed && c.kind === 'gemm') speedups.push(speedup(c.id, figs[1], figs[n]));
  }
  await tess.setNumThreads(n);
  return { rows, speedups, n, load: `${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after` };
}

/** Serves dist/ and bench/ with the cross-origin isolation headers SharedArrayBuffer needs. */
async function isolatedServer() {
  const allowed = [resolve(root, 'dist') + sep, resolve(root, 'bench') + sep];
  const server = createServer(async (req, res) => {
    const path = resolve(root, '.' + decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!allowed.some((dir) => path.startsWith(dir))) return void res.writeHead(404).end();
    try {
      const body = await readFile(path);
      res
        .writeHead(200, {
          'content-type': extname(path) === '.html' ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8',
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-embedder-policy': 'require-corp',
        })
        .end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((done) => server.close(done)) };
}

/** Headless Chromium (Debian's /usr/bin/chromium): GEMM 256³…1024³ at 1 vs n threads in a page. */
export async function browserThreads(n = machine().cores, rounds = ROUNDS) {
  const executablePath = CHROMIUM_PATH;
  if (!existsSync(executablePath)) return { skipped: `skipped: ${executablePath} not found` };
  const { chromium } = await import('playwright-core');
  const server = await isolatedServer();
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 20_000 });
  try {
    const page = await browser.newPage();
    const warnings = [];
    page.on('console', (m) => {
      if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text());
    });
    await page.goto(`${server.origin}/bench/threads-page.html?threads=${n}&rounds=${rounds}&timeMs=${TIME_MS}`);
    const result = await page.evaluate('window.threadBench');
    if (result.error) return { skipped: `failed: ${result.error.split('\n')[0]}` };
    const rows = result.cases.map((c) => (c.wrong ? [c.id, 'GFLOP/s', c.wrong, '', ''] : row(c.id, 'GFLOP/s', c[1], c[n])));
    const speedups = result.cases.filter((c) => !c.wrong).map((c) => speedup(c.id, c[1], c[n]));
    // One thread's GFLOP/s per GEMM (median over rounds): with relaxed SIMD, the FMA build's figure.
    const oneThread = Object.fromEntries(result.cases.filter((c) => !c.wrong).map((c) => [c.id, median(c[1])]));
    return { rows, speedups, oneThread, n, browser: `Chromium ${browser.version()}`, relaxedSimd: result.relaxedSimd, running: result.running, warnings };
  } finally {
    await browser.close();
    await server.close();
  }
}

/** The "1 vs N threads" report section, Node then browser. */
export async function threadsSection(tess) {
  const node = await nodeThreads(tess);
  progress('  browser');
  const web = await browserThreads(node.n ?? machine().cores).catch((e) => ({ skipped: `failed: ${e.message.split('\n')[0]}` }));
  const header = (n) => ['workload', 'unit', '1 thread', `${n} threads`, 'speed-up'];
  const lines = [
    `Each cell: median over ${ROUNDS} alternating rounds of the round's median [lowest–highest round]; speed-up: median [range] of the per-round ratios.`,
    '',
    `### Node (worker_threads)${node.load ? ` — load average ${node.load}` : ''}`,
    '',
    node.skipped ?? mdTable([...header(node.n), `other processes' load at ${node.n} threads (cores)`], node.rows),
    '',
    `### Headless Chromium (Web Workers, cross-origin isolated page)${web.browser ? ` — ${web.browser}, relaxed SIMD ${web.relaxedSimd}, ${web.running} threads running` : ''}`,
    '',
    web.skipped ?? mdTable(header(web.n), web.rows),
  ];
  if (web.warnings?.length) lines.push('', `Page console: ${web.warnings.join(' | ')}`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const m = machine();
  const tess = await loadTessera();
  console.log(`## 1 vs N threads\n`);
  console.log(`${m.cpu}, ${m.cores} cores; Node ${m.node}; ${m.date}; load average ${m.load}\n`);
  console.log(await threadsSection(tess));
}
