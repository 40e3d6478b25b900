// Bundles src/ into one ESM file, dist/index.js, with its source map; `npm run build` then has tsc
// type-check src/ and write the declarations (tsconfig.build.json: emitDeclarationOnly).
//
// One file because loading was dominated by the module graph: a fresh Node process resolved, read
// and compiled the 57 modules tsc emits one by one (~85% of import + first op; one file takes
// ~0.37x the time, docs/performance.md). A bundler does this, and the rewriting of imports and
// namespaces it needs, better than hand-written concatenation. Not minified: an uncaught error
// prints the line it was thrown from, and a minified bundle is one 500 KB line (users' bundlers
// minify anyway; gzip takes most of the difference). Function and class names are kept
// (Module.toString() and error messages print class names). The GEMM worker's body travels as
// source text (gemm-worker.ts), so it needs no file of its own.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rolldown } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

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
  const files = output.map((o) => `${o.fileName} (${((o.type === 'chunk' ? o.code : o.source).length / 1024).toFixed(0)} KB)`);
  console.log(`bundle: ${files.join(', ')} in ${(performance.now() - start).toFixed(0)} ms`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
