// `npm start`/`npm test` build first: an unchanged kernel source must not be compiled again, and the
// build's artefacts (.wasm, .wat) go to the build cache, not to the user-facing out/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDir, cacheKey, isUpToDate, recordBuild, root, wasmDir } from '../scripts/build-cache.mjs';

describe('the content-hash build cache', () => {
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-cache-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/a.ts'), 'export const a = 1;\n');
    writeFileSync(join(dir, 'src/b.ts'), 'export const b = 2;\n');
    writeFileSync(join(dir, 'out.ts'), 'generated\n');
    return { dir, options: { dir: join(dir, 'cache'), base: dir } };
  };

  it('keys on content, paths and tool versions, not on timestamps', () => {
    const { dir } = fresh();
    const key = cacheKey([join(dir, 'src')], ['asc 1'], dir);
    utimesSync(join(dir, 'src/a.ts'), new Date(0), new Date(0));
    expect(cacheKey([join(dir, 'src')], ['asc 1'], dir)).toBe(key);
    expect(cacheKey([join(dir, 'src')], ['asc 2'], dir)).not.toBe(key);
    writeFileSync(join(dir, 'src/a.ts'), 'export const a = 3;\n');
    expect(cacheKey([join(dir, 'src')], ['asc 1'], dir)).not.toBe(key);
    writeFileSync(join(dir, 'src/a.ts'), 'export const a = 1;\n');
    expect(cacheKey([join(dir, 'src')], ['asc 1'], dir)).toBe(key);
    writeFileSync(join(dir, 'src/c.ts'), '');
    expect(cacheKey([join(dir, 'src')], ['asc 1'], dir), 'a new file').not.toBe(key);
    rmSync(dir, { recursive: true });
  });

  it('is up to date only for the recorded key with every output present and unchanged', () => {
    const { dir, options } = fresh();
    const out = [join(dir, 'out.ts')];
    const key = cacheKey([join(dir, 'src')], [], dir);
    expect(isUpToDate('step', key, out, options), 'never built').toBe(false);
    recordBuild('step', key, out, options);
    expect(isUpToDate('step', key, out, options)).toBe(true);
    expect(isUpToDate('step', `${key}x`, out, options), 'other inputs').toBe(false);
    writeFileSync(join(dir, 'out.ts'), 'edited by hand\n');
    expect(isUpToDate('step', key, out, options), 'output edited').toBe(false);
    rmSync(join(dir, 'out.ts'));
    expect(isUpToDate('step', key, out, options), 'output deleted').toBe(false);
    expect(() => recordBuild('step', key, out, options)).toThrow(/step: an output is missing/);
    rmSync(dir, { recursive: true });
  });
});

describe('npm run build a second time', () => {
  // The suite runs after `npm run build`, so both steps are built and must skip now, touching nothing.
  const step = (script: string, args: string[], outputs: string[]) => {
    const before = outputs.map((f) => statSync(f).mtimeMs);
    const r = spawnSync(process.execPath, [join(root, script), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(outputs.map((f) => statSync(f).mtimeMs)).toEqual(before);
    return r.stdout;
  };

  it('skips compiling the unchanged kernels, and the build leaves .wasm/.wat in the cache, not in out/', () => {
    const outputs = ['src/backend/kernels-wasm.ts', 'src/backend/kernel-exports.ts'].map((f) => join(root, f));
    expect(step('scripts/build-wasm.mjs', [], outputs)).toMatch(/^build-wasm: up to date /);
    const stamp = JSON.parse(readFileSync(join(cacheDir, 'wasm.stamp.json'), 'utf8')) as { outputs: Record<string, string> };
    const artefacts = Object.keys(stamp.outputs).filter((f) => /\.(wasm|wat)$/.test(f));
    expect(artefacts.sort()).toEqual(
      ['gemm-relaxed', 'gemm', 'kernels'].flatMap((v) => [`${v}.wasm`, `${v}.wat`].map((f) => join(wasmDir, f).slice(root.length + 1))).sort(),
    );
    expect(Object.keys(stamp.outputs).filter((f) => f.startsWith('out/'))).toEqual([]);
  }, 120_000);

  it('skips regenerating the unchanged bundled data', () => {
    const outputs = ['digits', 'names'].map((f) => join(root, `src/data/bundled/${f}.ts`));
    expect(step('scripts/vendor-data.mjs', ['--offline'], outputs)).toMatch(/^build-data: up to date /);
  });
});
