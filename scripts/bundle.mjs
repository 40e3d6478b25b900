// Bundles src/ into one ESM file, dist/index.js, with its source map, beside the declarations of
// src/ that `tsc -p tsconfig.build.json` (run first by `npm run build`) type-checked and wrote.
// tsc writes them incrementally into node_modules/.cache/tessera/types (an unchanged src/ is not
// checked again: ~11 s of CPU per build); this script copies those of the current src/ files into
// dist/, so a deleted module's stale declaration does not ship.
//
// One file because loading was dominated by the module graph: a fresh Node process resolved, read
// and compiled the 57 modules tsc emits one by one (~85% of import + first op; one file takes
// ~0.37x the time, docs/performance.md). A bundler does this, and the rewriting of imports and
// namespaces it needs, better than hand-written concatenation. Not minified: an uncaught error
// prints the line it was thrown from, and a minified bundle is one 500 KB line (users' bundlers
// minify anyway; gzip takes most of the difference). Function and class names are kept
// (Module.toString() and error messages print class names). The GEMM worker's body travels as
// source text (gemm-worker.ts), so it needs no file of its own.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rolldown } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const src = join(root, 'src');
const types = join(root, 'node_modules/.cache/tessera/types'); // tsconfig.build.json's declarationDir

/** Copies the declaration tsc wrote for every .ts file under src/ into dist/. */
function copyDeclarations(dir = src) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copyDeclarations(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const rel = relative(src, path).replace(/\.ts$/, '.d.ts');
      if (!existsSync(join(types, rel)))
        throw new Error(`bundle: no declaration ${rel} in ${relative(root, types)}: run \`tsc -p tsconfig.build.json\` first (npm run build does)`);
      mkdirSync(dirname(join(dist, rel)), { recursive: true });
      copyFileSync(join(types, rel), join(dist, rel));
    }
  }
}

/** The package's rolldown input options (the bench rebuilds with them to size variants). */
export const inputOptions = {
  input: join(root, 'src/index.ts'),
  tsconfig: join(root, 'tsconfig.build.json'),
  // Node and browsers alike: Node's builtins are reached only at run time (process.getBuiltinModule,
  // import('node:fs/promises')), so they stay imports.
  platform: 'neutral',
  external: /^node:/,
  transform: { target: 'es2022' },
  onLog(level, log) {
    throw new Error(`bundle: ${level}: ${log.message}`);
  },
};

/** The package's rolldown output options. */
export const outputOptions = { format: 'esm', minify: false, keepNames: true, sourcemap: true };

async function main() {
  const start = performance.now();
  // Stale per-module files of an older layout would otherwise ship alongside the bundle.
  rmSync(dist, { recursive: true, force: true });
  const bundle = await rolldown(inputOptions);
  const { output } = await bundle.write({ ...outputOptions, file: join(dist, 'index.js') });
  await bundle.close();
  copyDeclarations();
  const files = output.map((o) => `${o.fileName} (${((o.type === 'chunk' ? o.code : o.source).length / 1024).toFixed(0)} KB)`);
  console.log(`bundle: ${files.join(', ')} in ${(performance.now() - start).toFixed(0)} ms`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
