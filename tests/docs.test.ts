import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';

const docsDir = new URL('../docs/', import.meta.url);
const dist = new URL('../dist/index.js', import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), 'tessera-docs-'));

/** Every ```js block of every docs page, with `from 'tessera'` pointed at the built package. */
const blocks = readdirSync(docsDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.md'))
  .sort()
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
    // A comment after a console.log states what it prints; each literal one (numbers, arrays,
    // quoted strings, booleans) must be among the printed lines, ignoring white space.
    const squash = (text: string) => text.replace(/\s+/g, '');
    const printed = new Set(log.map((args) => squash(args.map((v) => (typeof v === 'string' ? `'${v}'` : inspect(v, { depth: Infinity }))).join(' '))));
    const stated = [...code.matchAll(/console\.log\(.*\);[ \t]*\/\/ (.+)$/gm)].map((m) => m[1].split(/: |;/)[0].trim());
    for (const text of stated.filter((t) => /^([[\d'-]|true|false)/.test(t))) {
      expect([...printed], `stated output ${text}`).toContain(squash(text));
    }
  });
});

describe('docs/architecture.md matches the code', () => {
  const doc = readFileSync(new URL('architecture.md', docsDir), 'utf8');

  it('the Backend surface table names exactly the methods of the Backend interface', () => {
    const source = readFileSync(new URL('../src/backend/backend.ts', import.meta.url), 'utf8');
    const body = source.slice(source.indexOf('export interface Backend '));
    const declared = [...body.slice(0, body.indexOf('\n}')).matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]).sort();
    const table = doc.slice(doc.indexOf('## The Backend surface'), doc.indexOf('## Memory'));
    const rows = table.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| group'));
    const listed = rows.flatMap((row) => [...row.split('|')[2].matchAll(/`(\w+)`/g)].map((m) => m[1])).sort();
    expect(listed, 'add a new Backend method to the table under "The Backend surface" in docs/architecture.md').toEqual(declared);
  });

  it('the quoted stack from loss.backward() to the GEMM passes through the files scripts/backward-stack.mjs records', () => {
    const script = new URL('../scripts/backward-stack.mjs', import.meta.url);
    const out = execFileSync(process.execPath, ['--enable-source-maps', script.pathname], { encoding: 'utf8' });
    const recorded = [...out.matchAll(/^ *\d+\. .*\((src\/[^:)]+)/gm)].map((m) => m[1]);
    const section = doc.slice(doc.indexOf('## From `loss.backward()`'));
    const listing = section.slice(0, section.indexOf('\n```\n', section.indexOf('```') + 3));
    const quoted = [...listing.matchAll(/^ *\d+\. .*?((?:src|assembly)\/\S+)/gm)].map((m) => m[1]);
    // The files a reader opens, in order; mode, scope and guard wrappers may come and go.
    const wrappers = new Set(['src/autograd/grad-mode.ts', 'src/memory.ts', 'src/autograd/composite.ts', 'src/backend/version.ts']);
    const hops = (files: string[]) => files.filter((f) => !wrappers.has(f)).filter((f, i, a) => f !== a[i - 1]);
    expect(hops(quoted.slice(0, -1)), 'rerun scripts/backward-stack.mjs and update the stack in docs/architecture.md').toEqual(hops(recorded));
    expect(quoted.at(-1)).toBe('assembly/gemm.ts');
  });
});
