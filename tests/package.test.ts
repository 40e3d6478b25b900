// The package as users get it: readable errors, require(), browser-only types, license, links (issue 11 §4).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** A scratch project with this package installed as node_modules/tessera (a symlink, as `npm link`). */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pkg-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'tessera'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the built package (npm test builds dist/ first)', () => {
  it('an uncaught error prints a few short lines: the message and where the user called', () => {
    const dir = project({ 'main.mjs': "import { tensor } from 'tessera';\n\nconst x = tensor([1, 2, 3]);\nx.reshape(2, 2);\n" });
    const run = spawnSync(process.execPath, ['main.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(run.status).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.length).toBeLessThan(20);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(200);
    expect(run.stderr).toContain('RangeError: reshape: shape [2, 2] is invalid for input of size 3 (shape [3])');
    expect(run.stderr).toMatch(/main\.mjs:4:\d+/);
  });

  it(`require('tessera') works on the Node versions engines allows (${pkg.engines.node})`, () => {
    const dir = project({ 'main.cjs': "const { tensor } = require('tessera');\nconsole.log(String(tensor([1.5, 2]).mul(2)));\n" });
    expect(execFileSync(process.execPath, ['main.cjs'], { cwd: dir, encoding: 'utf8' })).toBe('tensor([3., 4.])\n');
    const [major, minor] = process.versions.node.split('.').map(Number);
    expect(pkg.engines.node).toBe('>=20.19'); // require(esm) is on by default from 20.19 (22.12 on 22)
    expect(major > 20 || minor >= 19).toBe(true);
  });

  it('the type declarations compile in a browser-only TypeScript project (lib dom + es2022, no @types/node, skipLibCheck false)', () => {
    const dir = project({
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'esnext',
          moduleResolution: 'bundler',
          lib: ['dom', 'es2022'],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['main.ts'],
      }),
      'main.ts':
        "import { nn, optim, summary, tensor, scope, type Tensor } from 'tessera';\n" +
        'const model = new nn.Linear(2, 3);\n' +
        'const y: Tensor = model(tensor([[1, 2]]));\n' +
        'new optim.Adam(model.parameters()).step();\n' +
        '{ using s = scope(); console.log(String(y), s, summary(model, [1, 2]).totalParams); }\n',
    });
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: dir, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 60_000);

  it('ships a LICENSE (MIT, as package.json says), the README and docs it links to', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as [
      { files: { path: string }[] },
    ];
    const files = new Set(packed[0].files.map((f) => f.path));
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']) expect(files, f).toContain(f);
    expect([...files].filter((f) => /\.(wat|wasm)$/.test(f) || f.startsWith('out/'))).toEqual([]);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(0);
    const packs = (link: string) => {
      const path = link.replace(/^\.\//, '');
      return path.endsWith('/') ? [...files].some((f) => f.startsWith(path)) : files.has(path);
    };
    expect(links.filter((l) => !packs(l))).toEqual([]);
  }, 60_000);

  it('dist/ exists', () => {
    expect(existsSync(join(root, 'dist/index.js'))).toBe(true);
  });
});
