// A content-hash build cache for the generation steps of `npm run build` (the kernels, ~10-40 s, and
// the bundled data): a step is skipped when the hash of its inputs (source files, tool versions, its
// own script, which holds the flags) is the one recorded when its outputs were last written and the
// outputs still hash to what was recorded then. Timestamps are not trusted: a checkout or a copy
// changes them without changing content, and a hand-edited output keeps an old one.
//
// The cache lives in node_modules/.cache/tessera (gitignored with node_modules, dropped by `npm ci`,
// the usual home of tools' caches), with the build artefacts worth inspecting (.wasm, .wat).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where build artefacts and the cache's stamps go. */
export const cacheDir = join(root, 'node_modules/.cache/tessera');
/** Where scripts/build-wasm.mjs leaves each kernel build as .wasm and .wat. */
export const wasmDir = join(cacheDir, 'wasm');

/** Every file under `path` (or `path` itself when it is a file), sorted, as absolute paths. */
function filesUnder(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => filesUnder(join(path, entry.name)));
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * The cache key of a step: a hash over the relative path and content of every file under `paths`
 * (files or directories) and the `extra` strings (tool versions, flags), in a fixed order.
 */
export function cacheKey(paths, extra = [], base = root) {
  const hash = createHash('sha256');
  for (const file of paths.flatMap((p) => filesUnder(p)))
    hash
      .update(`${relative(base, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  for (const s of extra) hash.update(`${s}\0`);
  return hash.digest('hex');
}

/** The hash of each output file, keyed by its path relative to `base`; null when one is missing. */
function outputHashes(outputs, base) {
  const hashes = {};
  for (const file of outputs) {
    if (!existsSync(file)) return null;
    hashes[relative(base, file)] = sha256(readFileSync(file));
  }
  return hashes;
}

/** A step's stamp file in `dir`. */
const stampPath = (step, dir) => join(dir, `${step}.stamp.json`);

/**
 * True when `step` last wrote `outputs` from inputs with this `key` and every output is still there,
 * unchanged since.
 */
export function isUpToDate(step, key, outputs, { dir = cacheDir, base = root } = {}) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath(step, dir), 'utf8'));
  } catch {
    return false;
  }
  if (stamp.key !== key) return false;
  const now = outputHashes(outputs, base);
  return now !== null && JSON.stringify(now) === JSON.stringify(stamp.outputs);
}

/** Records that `step` wrote `outputs` from inputs with this `key`. */
export function recordBuild(step, key, outputs, { dir = cacheDir, base = root } = {}) {
  const hashes = outputHashes(outputs, base);
  if (hashes === null) throw new Error(`build cache: ${step}: an output is missing after the build (${outputs.join(', ')})`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(stampPath(step, dir), `${JSON.stringify({ key, outputs: hashes }, null, 1)}\n`);
}

/** The version field of an installed package (part of a key: a new compiler may emit other bytes). */
export function packageVersion(name) {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
}
