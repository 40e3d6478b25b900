import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const docsDir = new URL('../docs/', import.meta.url);
const dist = new URL('../dist/index.js', import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), 'tessera-docs-'));

/** Every ```js block of every docs page, with `from 'tessera'` pointed at the built package. */
const blocks = readdirSync(docsDir)
  .filter((f) => f.endsWith('.md'))
  .flatMap((file) => {
    const text = readFileSync(new URL(file, docsDir), 'utf8');
    return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m, i) => [`${file} example ${i + 1}`, m[1]] as const);
  });

describe('docs examples run against the built package', () => {
  it('dist/ exists (npm test builds it first)', () => {
    expect(existsSync(dist), 'run `npm run build` before the docs tests').toBe(true);
  });

  it.each(blocks)('%s runs without throwing', async (name, code) => {
    const file = join(scratch, `${name.replace(/\W+/g, '-')}.mjs`);
    writeFileSync(file, code.replaceAll("from 'tessera'", `from '${dist.href}'`));
    const log: unknown[][] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void log.push(args);
    try {
      await import(pathToFileURL(file).href);
    } finally {
      console.log = original;
    }
    // The comments after console.log calls state the output; check those that are literal values.
    const expected = [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.+)$/gm)].map((m) => m[1].split(':')[0].trim());
    expected.forEach((text, i) => {
      if (/^[[\d'tf-]/.test(text)) expect(log[i]?.map((v) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v))).join(' ')).toBe(text.replace(/ +/g, ' ').replace(/, /g, ','));
    });
  });
});
