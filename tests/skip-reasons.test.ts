// Skipped tests say why: every conditional or unconditional skip in the suites names its reason in
// the title ("… (skipped: no Chromium at /usr/bin/chromium)"), which tests/skip-reporter.ts lists
// after the run.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const SKIP = /\b(?:it|test|describe)\.(?:skip|skipIf|runIf|todo)\b|\b(?:ctx|context|t)\.skip\(/g;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : /\.test\.ts$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Each skip in `source` whose next 400 characters (condition, then title or note) never say "skipped". */
function skipsWithoutReason(source: string): string[] {
  return [...source.matchAll(SKIP)]
    .filter((m) => !/skipped/.test(source.slice(m.index, m.index + 400)))
    .map((m) => {
      const line = source.slice(0, m.index).split('\n').length;
      return `line ${line}: ${source.slice(m.index, m.index + 60).split('\n')[0]}`;
    });
}

describe('skipped tests say why', () => {
  it('finds a skip without a reason, and accepts one with', () => {
    expect(skipsWithoutReason("it.skipIf(!ok)('reads the file', () => {});")).toEqual(["line 1: it.skipIf(!ok)('reads the file', () => {});"]);
    expect(skipsWithoutReason("it.skipIf(!ok)(title + (ok ? '' : ' (skipped: no file)'), () => {});")).toEqual([]);
    expect(skipsWithoutReason('describe.skip("old", () => {});\ncontext.skip();')).toHaveLength(2);
  });

  it('every skip, skipIf, runIf, todo and ctx.skip in tests/ and property-tests/ names its reason ("skipped: …")', () => {
    const found = [...testFiles(join(root, 'tests')), ...testFiles(join(root, 'property-tests'))]
      .filter((f) => !f.endsWith('skip-reasons.test.ts'))
      .flatMap((f) => skipsWithoutReason(readFileSync(f, 'utf8')).map((s) => `${relative(root, f)} ${s}`));
    expect(found).toEqual([]);
  });
});
