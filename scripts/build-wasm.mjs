// Compiles assembly/index.ts to WebAssembly (SIMD, -O3, stub runtime, no
// imports) and inlines the bytes as base64 in src/backend/kernels-wasm.ts so
// the library needs no fs/fetch at runtime. Also leaves out/kernels.wasm
// (gitignored) and out/kernels.wat for inspection.
// Threads: a second set of builds imports a shared memory (env.memory) for the
// main thread, and a GEMM-only build is what each worker instantiates on that
// same memory (see src/backend/threads.ts).
import asc from "assemblyscript/asc";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outTs = join(root, "src/backend/kernels-wasm.ts");
const buildDir = join(root, "out"); // gitignored

const t0 = performance.now();

/** Compiles `entry` with the given extra features and flags; fails the build loudly on any error. */
async function compile(variant, features, { entry = "assembly/index.ts", flags = [] } = {}) {
  let wasm = null;
  let wat = null;
  const { error, stderr } = await asc.main(
    [
      entry,
      "-O3",
      "--runtime", "stub",
      "--enable", ["simd", ...features].join(","),
      "--noAssert",
      // Drop the env.abort import: the module must instantiate with {}.
      "--use", "abort=",
      ...flags,
      "--outFile", `${variant}.wasm`,
      "--textFile", `${variant}.wat`,
    ],
    {
      writeFile(name, contents) {
        if (name.endsWith(".wasm")) wasm = contents;
        else if (name.endsWith(".wat")) wat = contents;
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
  await mkdir(buildDir, { recursive: true });
  await writeFile(join(buildDir, `${variant}.wasm`), wasm);
  if (wat) await writeFile(join(buildDir, `${variant}.wat`), wat);
  return wasm;
}

const wasm = await compile("kernels", []);
// The relaxed-SIMD build (FMA in the GEMM micro-kernel) is picked at load time where the runtime
// validates it (Chromium, Node 22; Node 20 only with --experimental-wasm-relaxed-simd).
const relaxed = await compile("kernels-relaxed", ["relaxed-simd"]);

// Fail loudly if the module ever grows an import or loses its memory export.
const mod = new WebAssembly.Module(wasm);
const imports = WebAssembly.Module.imports(mod);
if (imports.length > 0) {
  console.error(`build-wasm: module must import nothing, got ${JSON.stringify(imports)}`);
  process.exit(1);
}
if (!WebAssembly.Module.exports(mod).some((e) => e.name === "memory" && e.kind === "memory")) {
  console.error("build-wasm: module does not export `memory`");
  process.exit(1);
}

// The shared builds: every thread sees one memory of at most 4 GiB (wasm32's limit, and what the
// unshared build may grow to), reserved as address space, committed only as the allocator grows it.
const sharedFlags = ["--importMemory", "--sharedMemory", "--maximumMemory", "65536"];
const shared = await compile("kernels-shared", ["threads"], { flags: sharedFlags });
const relaxedShared = await compile("kernels-relaxed-shared", ["threads", "relaxed-simd"], { flags: sharedFlags });
const gemmShared = await compile("gemm-shared", ["threads"], { entry: "assembly/gemm.ts", flags: sharedFlags });
const gemmRelaxedShared = await compile("gemm-relaxed-shared", ["threads", "relaxed-simd"], { entry: "assembly/gemm.ts", flags: sharedFlags });

// A worker instantiates its GEMM module on memory the main thread is already using: an active data
// segment would be written again there (over live static data), so the worker build must have none.
// (The relaxed builds share the source; Node 20 cannot compile them, so only the baseline is inspected.)
const gemmModule = new WebAssembly.Module(gemmShared);
const gemmExports = WebAssembly.Module.exports(gemmModule).map((e) => e.name);
const gemmImports = WebAssembly.Module.imports(gemmModule).map((i) => `${i.module}.${i.name}`);
if (!gemmExports.includes("gemmF32") || !gemmExports.includes("gemmWorkBytes") || gemmImports.join() !== "env.memory") {
  console.error(`build-wasm: gemm-shared must export gemmF32 and gemmWorkBytes and import only env.memory (exports ${gemmExports}, imports ${gemmImports})`);
  process.exit(1);
}
for (const [name, bytes] of [["gemm-shared", gemmShared], ["gemm-relaxed-shared", gemmRelaxedShared]]) {
  if (dataSegmentCount(bytes) > 0) {
    console.error(`build-wasm: ${name} has data segments (static data in assembly/gemm.ts?); a worker instantiating it would overwrite the main thread's static data`);
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

const b64 = Buffer.from(wasm).toString("base64");
await mkdir(dirname(outTs), { recursive: true });
await writeFile(
  outTs,
  "// Generated by scripts/build-wasm.mjs from assembly/*.ts; do not edit.\n" +
    `export const kernelsWasmBase64 = "${b64}";\n` +
    `export const kernelsRelaxedWasmBase64 = "${Buffer.from(relaxed).toString("base64")}";\n` +
    `export const kernelsSharedWasmBase64 = "${Buffer.from(shared).toString("base64")}";\n` +
    `export const kernelsRelaxedSharedWasmBase64 = "${Buffer.from(relaxedShared).toString("base64")}";\n` +
    `export const gemmSharedWasmBase64 = "${Buffer.from(gemmShared).toString("base64")}";\n` +
    `export const gemmRelaxedSharedWasmBase64 = "${Buffer.from(gemmRelaxedShared).toString("base64")}";\n`,
);
console.log(
  `build-wasm: ${wasm.length} + ${relaxed.length} (relaxed) bytes, shared-memory builds ${shared.length} + ${relaxedShared.length}, ` +
    `worker GEMM ${gemmShared.length} + ${gemmRelaxedShared.length} -> ${outTs.slice(root.length + 1)} in ${Math.round(performance.now() - t0)} ms`,
);
