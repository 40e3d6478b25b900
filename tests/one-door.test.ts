// "Ops reach memory only through the Backend": a source scan of src/ that fails when a file
// outside the memory door reads or writes tensor storage itself (a typed view of a storage, the
// js backend's owned array, WASM memory, the reference loops as a utility library) instead of
// calling a Backend method. The allowlist is explicit and checked for staleness.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
const src = join(root, 'src');

/** The door: the backends, the memory module, and the host transfers (factories upload, toArray/item download). */
const ALLOWED_DIRS = ['src/backend/'];
const ALLOWED_FILES: Record<string, string> = {
  'src/memory.ts': 'the memory module: lifetimes and release',
  'src/tensor.ts': 'toArray() and item(), the host reads',
  'src/creation.ts': 'the factories, the host writes',
  'src/device.ts': 'creates the two backends',
};

const RAW_ACCESS: [RegExp, string][] = [
  [/\bbackend\.view\(|\.view\([\w.]*\.?storage\)/, 'a typed view of a storage (Backend.view)'],
  [/\.storage\.array\b|\bstorage\.array\b/, "the js backend's owned array"],
  [/memory\.buffer/, 'WASM memory'],
  [/from '[./]*\/?backend\/(reference|wasm|kernels-wasm|wasm-builds)\.js'/, 'a backend implementation imported directly'],
  [/\bloops\.\w+\(/, 'the reference loops used as a utility library'],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Code lines only: doc comments and line comments may name what the code must not do. */
function codeLines(text: string): [number, string][] {
  return text
    .split('\n')
    .map((line, i): [number, string] => [i + 1, line.replace(/\/\/.*$/, '')])
    .filter(([, line]) => !/^\s*(\*|\/\*)/.test(line));
}

describe('one door to tensor memory', () => {
  it('no file outside the backends, the memory module and the host transfers touches storage directly', () => {
    const offences: string[] = [];
    for (const path of sources(src)) {
      const rel = relative(root, path).split('\\').join('/');
      if (ALLOWED_DIRS.some((d) => rel.startsWith(d)) || rel in ALLOWED_FILES) continue;
      for (const [line, code] of codeLines(readFileSync(path, 'utf8'))) {
        for (const [pattern, what] of RAW_ACCESS) if (pattern.test(code)) offences.push(`${rel}:${line}: ${what}: ${code.trim()}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('the scan recognises the patterns it forbids', () => {
    const hits = (code: string) => RAW_ACCESS.filter(([p]) => p.test(code)).map(([, what]) => what);
    expect(hits('const ov = out.backend.view(out.storage);')).toEqual(['a typed view of a storage (Backend.view)']);
    expect(hits('const v = b.view(x.storage);')).toEqual(['a typed view of a storage (Backend.view)']);
    expect(hits('const a = x.storage.array!;')).toEqual(["the js backend's owned array"]);
    expect(hits("import { loops } from '../backend/reference.js';")).toEqual(['a backend implementation imported directly']);
    expect(hits('loops.copy(view, x, out, 0, shape);')).toEqual(['the reference loops used as a utility library']);
    // A tensor's own view() (a reshape) is not storage access.
    expect(hits('const y = x.view([2, 3]);')).toEqual([]);
  });

  it('the allowlist names files that exist', () => {
    for (const file of Object.keys(ALLOWED_FILES)) expect(statSync(join(root, file)).isFile()).toBe(true);
  });
});
