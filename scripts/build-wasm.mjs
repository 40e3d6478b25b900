// Compiles assembly/ to WebAssembly (SIMD, -O3, stub runtime) and inlines the bytes in
// src/backend/kernels-wasm.ts so the library needs no fs/fetch at runtime, and writes the kernels'
// exports as a TypeScript interface to src/backend/kernel-exports.ts (both gitignored). Leaves each build in
// node_modules/.cache/tessera/wasm/ as .wasm and .wat for inspection (bench/limits.mjs names profiled
// functions from the .wat). Skipped when assembly/, this script (its flags) and the compiler's version
// are what they were at the last build and its outputs are untouched (scripts/build-cache.mjs);
// `--force` rebuilds anyway.
//
// Three builds are shipped, every one importing its memory as env.memory (non-shared, limits
// 1..65536 pages); src/backend/wasm-builds.ts flips the import to shared at load time where GEMM
// runs on workers, so one binary serves both cases:
// - kernels: every kernel (assembly/index.ts), baseline SIMD;
// - gemm: the GEMM and the fused attention kernels built on it (assembly/worker.ts), what each
//   worker instantiates on the shared memory;
// - gemm-relaxed: the same with relaxed-SIMD FMA in the micro-kernel and the int8 GEMM on the
//   relaxed int8 dot product (gemmI8U7), instantiated on the main thread's memory beside `kernels`
//   (and in the workers) where the runtime validates it.
// Relaxed SIMD changes only these GEMMs, so the big module exists once.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { cacheKey, isUpToDate, packageVersion, recordBuild, root, wasmDir } from './build-cache.mjs';

const outTs = join(root, 'src/backend/kernels-wasm.ts');
const outExports = join(root, 'src/backend/kernel-exports.ts');
const VARIANTS = ['kernels', 'gemm', 'gemm-relaxed'];
const outputs = [outTs, outExports, ...VARIANTS.flatMap((v) => [join(wasmDir, `${v}.wasm`), join(wasmDir, `${v}.wat`)])];

const t0 = performance.now();
const key = cacheKey([join(root, 'assembly'), fileURLToPath(import.meta.url)], [`assemblyscript ${packageVersion('assemblyscript')}`]);
if (!process.argv.includes('--force') && isUpToDate('wasm', key, outputs)) {
  console.log(
    `build-wasm: up to date (assembly/, flags and compiler unchanged; --force rebuilds) -> ${outTs.slice(root.length + 1)} in ${Math.round(performance.now() - t0)} ms`,
  );
  process.exit(0);
}
// Imported only when compiling: loading the compiler alone takes seconds.
const { default: asc } = await import('assemblyscript/asc');

/** Compiles `entry` with the given extra features; fails the build loudly on any error. */
async function compile(variant, features, entry) {
  let wasm = null;
  let wat = null;
  let dts = null;
  const { error, stderr } = await asc.main(
    [
      entry,
      '-O3',
      '--runtime',
      'stub',
      '--enable',
      ['simd', ...features].join(','),
      '--noAssert',
      // Drop the env.abort import: env.memory must be the only import.
      '--use',
      'abort=',
      // Every thread sees one memory of at most 4 GiB (wasm32's limit), reserved as address space
      // when shared, committed only as the allocator grows it.
      '--importMemory',
      '--maximumMemory',
      '65536',
      '--outFile',
      `${variant}.wasm`,
      '--textFile',
      `${variant}.wat`,
      // Typings of the exports (the bytes are the same with or without them): KernelExports below.
      '--bindings',
      'raw',
    ],
    {
      writeFile(name, contents) {
        if (name.endsWith('.wasm')) wasm = contents;
        else if (name.endsWith('.wat')) wat = contents;
        else if (name.endsWith('.d.ts')) dts = contents;
      },
    },
  );
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: ${variant}: compile failed: ${error.message}`);
    process.exit(1);
  }
  if (!wasm) {
    console.error(`build-wasm: ${variant}: compiler produced no .wasm`);
    process.exit(1);
  }
  await mkdir(wasmDir, { recursive: true });
  await writeFile(join(wasmDir, `${variant}.wasm`), wasm);
  if (wat) await writeFile(join(wasmDir, `${variant}.wat`), wat);
  return { wasm, dts };
}

const { wasm: kernels, dts: kernelsDts } = await compile('kernels', [], 'assembly/index.ts');
const { wasm: gemm } = await compile('gemm', [], 'assembly/worker.ts');
// Picked at load time where the runtime validates it (Chromium, Node 22; Node 20 only with
// --experimental-wasm-relaxed-simd).
const { wasm: gemmRelaxed } = await compile('gemm-relaxed', ['relaxed-simd'], 'assembly/worker.ts');

/** Fails the build unless `bytes` imports exactly env.memory and exports every name in `exports`. */
function checkInterface(name, bytes, exports) {
  const mod = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}:${i.kind}`);
  const have = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
  const missing = exports.filter((e) => !have.has(e));
  if (imports.join() !== 'env.memory:memory' || missing.length > 0) {
    console.error(`build-wasm: ${name} must import only env.memory (got ${imports}) and export ${exports} (missing ${missing})`);
    process.exit(1);
  }
}
checkInterface('kernels', kernels, ['memory', 'heapBase', 'gemmF32', 'gemmWorkBytes']);
// The relaxed build shares gemm's source; Node 20 cannot compile it, so only the baseline is inspected.
checkInterface('gemm', gemm, [
  'gemmF32',
  'gemmWorkBytes',
  'gemmPackB',
  'gemmPackedBBytes',
  'gemmPackedF32',
  'attentionF32',
  'attentionBackwardF32',
  'gemmI8U7',
]);

// A GEMM module is instantiated on memory `kernels` already uses: an active data segment would be
// written again there (over live static data), so the GEMM builds must have none.
for (const [name, bytes] of [
  ['gemm', gemm],
  ['gemm-relaxed', gemmRelaxed],
]) {
  if (dataSegmentCount(bytes) > 0) {
    console.error(
      `build-wasm: ${name} has data segments (static data in assembly/gemm.ts or attention.ts?); instantiating it beside the kernels would overwrite their static data`,
    );
    process.exit(1);
  }
}

/** The number of entries in a module's data section (id 11), 0 when it has none. */
function dataSegmentCount(bytes) {
  const leb = (at) => {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[at.pos++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const at = { pos: 8 };
  while (at.pos < bytes.length) {
    const id = bytes[at.pos++];
    const size = leb(at);
    if (id === 11) return leb(at);
    at.pos += size;
  }
  return 0;
}

/**
 * The bytes as the body of an ASCII JavaScript string literal, one character per byte (code 0–255):
 * printable ASCII as itself, everything else escaped. gzip compresses this ~20% better than base64
 * (whose 6-bit groups hide the wasm's byte-level repetition), and it decodes with charCodeAt, no atob.
 * Only ASCII is emitted, so no bundler or charset re-encodes it.
 */
function byteString(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const next = bytes[i + 1];
    if (b === 0x22) s += '\\"';
    else if (b === 0x5c) s += '\\\\';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else if (b === 0 && !(next >= 0x30 && next <= 0x39))
      s += '\\0'; // \0 followed by a digit would be an octal escape
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x0d) s += '\\r';
    else if (b === 0x09) s += '\\t';
    else s += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return s;
}

await mkdir(dirname(outTs), { recursive: true });
await writeFile(
  outTs,
  '// Generated by scripts/build-wasm.mjs from assembly/*.ts; do not edit.\n' +
    '// Each string holds one .wasm file, a character per byte (decode with charCodeAt).\n' +
    `export const kernelsWasm = "${byteString(kernels)}";\n` +
    `export const gemmWasm = "${byteString(gemm)}";\n` +
    `export const gemmRelaxedWasm = "${byteString(gemmRelaxed)}";\n`,
);
/**
 * The kernels module's exports as a TypeScript interface, from the typings asc writes for its
 * bindings: the wasm backend types its kernel table with it, so a missing or misspelt kernel is a
 * type error, not a run-time `undefined is not a function`.
 */
function kernelExportsInterface(dts) {
  const body = /declare namespace __AdaptedExports \{([\s\S]*?)\n\}/.exec(dts ?? '')?.[1];
  if (!body) {
    console.error('build-wasm: asc wrote no typings for the kernels (expected `declare namespace __AdaptedExports`)');
    process.exit(1);
  }
  const members = [...body.matchAll(/^\s*export (?:const|function) (\w+)(.*);$/gm)].map(([, name, rest]) => `  ${name}${rest};`);
  return (
    "// Generated by scripts/build-wasm.mjs from asc's typings of assembly/index.ts; do not edit.\n" +
    '/** Every export of the kernels module; pointers and counts are numbers (usize, i32). */\n' +
    `export interface KernelExports {\n${members.join('\n')}\n}\n`
  );
}
await writeFile(outExports, kernelExportsInterface(kernelsDts));
recordBuild('wasm', key, outputs);

const gz = (b) => gzipSync(b, { level: 9 }).length;
console.log(
  `build-wasm: kernels ${kernels.length} B (${gz(kernels)} gzip), gemm ${gemm.length} (${gz(gemm)}), gemm-relaxed ${gemmRelaxed.length} (${gz(gemmRelaxed)}) ` +
    `-> ${outTs.slice(root.length + 1)} in ${Math.round(performance.now() - t0)} ms`,
);
