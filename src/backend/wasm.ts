/**
 * The wasm backend: storages are blocks of one WebAssembly linear memory, float32 kernels run as
 * f32x4 SIMD loops compiled from `assembly/`. The modules' bytes are inlined (`wasm-builds.ts`), so Node,
 * browsers and bundlers load it with no fs and no fetch. int32/bool work, which no training loop
 * spends time on, runs the reference loops over views of the same memory.
 */
import type { DType, TypedArray } from '../dtype.js';
import { arrayTypeOf, bytesPerElement } from '../dtype.js';
import { CachingAllocator } from './allocator.js';
import type {
  AdaptiveWindow2d,
  ArithOp,
  AttentionDims,
  AvgWindow2d,
  Backend,
  BinaryOp,
  Block,
  FixedBGemm,
  GemmArgs,
  GemmInt8Args,
  MemoryStats,
  QuantizeArgs,
  QuantizeBytesArgs,
  ReduceOp,
  ScanOp,
  Storage,
  Strided,
  UnaryOp,
  Window2d,
} from './backend.js';
import type { AdagradHyper, AdamHyper, OptimTarget, RmspropHyper, SgdHyper } from './backend.js';
import { blockGemm } from './backend.js';
import type { KernelExports } from './kernel-exports.js';
import { ADD, DIV, MAXIMUM, MINIMUM, MUL, POW, SUB } from './op-codes.js';
import { instantiateKernels, kernelsMemory, relaxedSimdSupported, workerGemmBytes } from './wasm-builds.js';
import { loops } from './reference.js';
import { availableCores, GemmThreads, threadsUnavailableReason, type GemmCall } from './threads.js';
import { ELEMENTWISE, threadKernels } from './gemm-worker.js';
import { now } from './version.js';

type Ptr = number;
/** The kernels' exports, typed from the build (scripts/build-wasm.mjs): a misspelt kernel is a type error. */
type Kernels = KernelExports;

/** A Window2d as the conv kernels take it: inH, inW, outH, outW, kH, kW, stride, padding, dilation (H then W). */
type WindowArgs = [number, number, number, number, number, number, number, number, number, number, number, number];
/** An AvgWindow2d as the avg-pool kernels take it: no dilation, then countIncludePad and divisor. */
type AvgWindowArgs = [number, number, number, number, number, number, number, number, number, number, number, number];

const windowArgs = (w: Window2d): WindowArgs => [w.inH, w.inW, w.outH, w.outW, w.kH, w.kW, w.strideH, w.strideW, w.padH, w.padW, w.dilationH, w.dilationW];
const avgWindowArgs = (w: AvgWindow2d): AvgWindowArgs => [
  w.inH,
  w.inW,
  w.outH,
  w.outW,
  w.kH,
  w.kW,
  w.strideH,
  w.strideW,
  w.padH,
  w.padW,
  +w.countIncludePad,
  w.divisor,
];

const SIMD_UNARY_OPS = [
  'neg',
  'abs',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'relu',
  'gelu',
  'floor',
  'ceil',
  'round',
  'log1p',
  'expm1',
  'erf',
  'geluTanh',
  'geluGrad',
  'geluTanhGrad',
] as const satisfies readonly UnaryOp[];
type SimdUnaryOp = (typeof SIMD_UNARY_OPS)[number];
const SIMD_UNARY = new Set<UnaryOp>(SIMD_UNARY_OPS);
const ARITH_CODES: Record<ArithOp, number> = { add: ADD, sub: SUB, mul: MUL, div: DIV, pow: POW, maximum: MAXIMUM, minimum: MINIMUM };
const MAX_NDIM = 64;
/** Rows of the strided kernels' meta block: the shape and up to three operands' strides. */
const META_ROWS = 4;
/** scatter32's modes (assembly/indexing.ts). */
const SCATTER_WRITE = 0;
const SCATTER_ADD_F32 = 1;
const SCATTER_ADD_I32 = 2;

/**
 * Ticks at every reclaim pass and every step boundary; a storage's `stamp` is its value when a
 * kernel last touched it, so one store in `ptr` serves both the per-pass and the per-step rule.
 */
let clock = 1;
/** A pass keeps what was touched since the third-last step boundary: a whole training step, even with two optimizers. */
const STEP_MARKS = 3;
/** The most passes a storage that keeps coming back may go untouched before a pass spills it again. */
const MAX_TENURE = 16;

/**
 * A tensor's memory on this device: a block of WASM memory while resident, or a JS copy once a
 * reclaim pass spilled it (docs/memory.md). Every kernel reaches the block through `ptr`, which
 * copies a spilled storage back first, so no kernel ever reads a spilled block.
 */
class WasmStorage implements Storage {
  readonly array = null;
  refs = 0;
  version = 0;
  readonly born = now();
  released = false;
  /** Index in the backend's resident list; -1 while spilled. */
  slot = -1;
  stamp = clock;
  /** The bytes while spilled. V8 counts a typed array's memory, so it collects a dropped tensor's copy. */
  copy: Uint8Array | null = null;
  /** Whether a reclaim pass (not a step boundary) made the copy: restoring it does not bring the next pass nearer. */
  passSpilled = false;
  /**
   * How many passes this storage may go untouched before a pass spills it: 1, doubled each time a
   * pass's spill of it comes back. A tensor used once a forward, with passes firing more often than
   * that (an inference loop's weights and input), stops being copied out and back every call.
   */
  tenure = 1;

  constructor(
    readonly backend: WasmBackend,
    readonly dtype: Exclude<DType, 'bool'>,
    readonly length: number,
    readonly bytes: number,
    /** The block's address while resident. */
    public addr: Ptr,
  ) {}

  get ptr(): Ptr {
    if (this.copy !== null) this.backend.restore(this);
    this.stamp = clock;
    return this.addr;
  }
}

export class WasmBackend implements Backend {
  readonly device = 'wasm' as const;
  /** True when the runtime accepted the relaxed-SIMD build (fused multiply-add in GEMM). */
  readonly relaxedSimd: boolean;
  /**
   * gemmInt8U7 runs on the relaxed int8 dot product where the relaxed build loads and gives exact
   * sums on a probe: Node 20's baseline compiler (behind --experimental-wasm-relaxed-simd) returns
   * wrong ones, and int8 layers must not run on it there.
   */
  get int8RelaxedDot(): boolean {
    this.int8Dot ??= this.relaxedSimd && this.probeInt8Dot();
    return this.int8Dot;
  }
  private int8Dot: boolean | null = null;
  private readonly k: Kernels;
  private readonly allocator: CachingAllocator;
  private readonly meta: Ptr;
  private metaView: Int32Array;
  private readonly work: Ptr;
  /** Storages whose block is in WASM memory (a reclaim pass may spill them). */
  private resident: WasmStorage[] = [];
  /** The clock after each of the last MAX_TENURE passes, oldest first (0: none yet); the last is the previous pass. */
  private readonly passMarks: number[] = new Array<number>(MAX_TENURE).fill(0);
  /** The clock after each of the last STEP_MARKS step boundaries, oldest first (0: none yet). */
  private readonly stepMarks: number[] = new Array<number>(STEP_MARKS).fill(0);
  /** The allocator's allocatedBytes at each of those boundaries: how much a step allocates. */
  private readonly stepAllocated: number[] = new Array<number>(STEP_MARKS).fill(0);
  private spills = 0;
  private restores = 0;
  /** GEMM workers on the shared memory; null when this runtime has no shared memory (one thread). */
  private readonly threads: GemmThreads | null;
  /** Why GEMM runs on one thread whatever setNumThreads asks, or null. */
  readonly singleThreadReason: string | null;

  constructor() {
    this.relaxedSimd = relaxedSimdSupported();
    const shared = this.instantiateShared();
    this.singleThreadReason = shared.reason;
    if (shared.kernels) {
      this.k = shared.kernels;
    } else {
      this.k = instantiateKernels(kernelsMemory(false), false, this.relaxedSimd);
      // Said once, and only where a second core would have been used.
      if (availableCores() > 1) console.warn(`tessera: GEMM runs on one thread: ${shared.reason}`);
    }
    this.allocator = new CachingAllocator(this.k.memory, this.k.heapBase() >>> 0);
    this.allocator.onPressure = () => this.reclaim();
    this.meta = this.allocator.alloc(META_ROWS * MAX_NDIM * 4);
    this.metaView = new Int32Array(this.k.memory.buffer, this.meta, META_ROWS * MAX_NDIM);
    this.work = this.allocator.alloc(this.k.gemmWorkBytes());
    this.allocator.pinAllocated();
    this.threads = shared.kernels
      ? new GemmThreads(
          this.k.memory,
          workerGemmBytes(this.relaxedSimd),
          this.k.gemmWorkBytes(),
          this.allocator,
          { ...threadKernels(this.k), work: this.work },
          availableCores(),
        )
      : null;
  }

  /**
   * The kernels on a shared memory (what GEMM workers need), or why not. The memory's maximum is the
   * build's (4 GiB, reserved as address space); a runtime that cannot reserve it falls back to one thread.
   */
  private instantiateShared(): { kernels: Kernels | null; reason: string | null } {
    const reason = threadsUnavailableReason();
    if (reason) return { kernels: null, reason };
    try {
      return { kernels: instantiateKernels(kernelsMemory(true), true, this.relaxedSimd), reason: null };
    } catch (error) {
      return { kernels: null, reason: `a shared WebAssembly.Memory could not be created (${String(error)})` };
    }
  }

  /** Whether gemmI8U7 (its first calls, on its 4 × 8 tile and GEMV paths) gives the exact sums of a 4 × 8 × 8 product. */
  private probeInt8Dot(): boolean {
    const [n, kPad] = [8, 8];
    const [b, scale, out, bytes] = [32, 96, 128, 256];
    const p = this.allocator.alloc(bytes);
    try {
      const x = (r: number, c: number) => (r * 37 + c * 11 + 5) % 128;
      const w = (j: number, c: number) => ((j * 29 + c * 53 + 7) % 256) - 128;
      const mem = new Int8Array(this.k.memory.buffer, p, bytes);
      for (let c = 0; c < kPad; c++) {
        for (let r = 0; r < 4; r++) mem[(c >> 2) * 16 + r * 4 + (c & 3)] = x(r, c);
        for (let j = 0; j < n; j++) mem[b + (c >> 2) * 32 + j * 4 + (c & 3)] = w(j, c);
      }
      new Float32Array(this.k.memory.buffer, p + scale, n).fill(1);
      for (const rows of [4, 1]) {
        this.k.gemmI8U7(rows, n, kPad, p, p + b, 1, p + scale, 0, 0, 0, p + out, n);
        const got = new Float32Array(this.k.memory.buffer, p + out, rows * n);
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < n; j++) {
            let sum = 0;
            for (let c = 0; c < kPad; c++) sum += x(r, c) * w(j, c);
            if (got[r * n + j] !== sum) {
              console.warn('tessera: this runtime computes the relaxed int8 dot product wrongly; int8 layers use the baseline int8 GEMM');
              return false;
            }
          }
        }
      }
      return true;
    } finally {
      this.allocator.free(p, bytes);
    }
  }

  /** The threads GEMM uses: the setting, or 1 where threads cannot run. */
  get numThreads(): number {
    return this.threads ? this.threads.threads : 1;
  }
  /** Sets the GEMM thread count; resolves with the threads running once the workers have started. */
  setNumThreads(n: number): Promise<number> {
    return this.threads ? this.threads.setThreads(n) : Promise.resolve(1);
  }
  /** GEMM and fused attention calls split across threads so far. */
  get parallelGemmCalls(): number {
    return this.threads ? this.threads.parallelCalls : 0;
  }

  alloc(dtype: Exclude<DType, 'bool'>, length: number, zeroed = false): Storage {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`alloc: invalid tensor length ${length} (must be a non-negative integer)`);
    const bytes = Math.max(length, 1) * bytesPerElement(dtype);
    const addr = this.allocator.alloc(bytes, true);
    // WASM memory nobody used yet is zero: zeros([9e8]) then touches none of its 3.6 GB.
    if (zeroed && !this.allocator.lastFresh) new Uint8Array(this.k.memory.buffer, addr, bytes).fill(0);
    const storage = new WasmStorage(this, dtype, length, bytes, addr);
    this.enlist(storage);
    return storage;
  }
  free(storage: Storage): void {
    const s = storage as WasmStorage;
    if (s.copy !== null) s.copy = null;
    else {
      this.delist(s);
      this.allocator.free(s.addr, s.bytes);
    }
  }
  /** Copies a resident storage out to JS and frees its block; the next `ptr` copies it back. */
  spill(storage: Storage): void {
    const s = storage as WasmStorage;
    if (s.copy !== null || s.released) return;
    this.delist(s);
    this.spillOut(s);
    s.passSpilled = false;
  }
  private spillOut(s: WasmStorage): void {
    this.spills++;
    s.copy = new Uint8Array(this.k.memory.buffer, s.addr, s.bytes).slice();
    this.allocator.free(s.addr, s.bytes);
    s.addr = -1;
  }
  /** @internal Gives a spilled storage a block again (never runs a reclaim pass: a kernel may be resolving operands). */
  restore(s: WasmStorage): void {
    this.restores++;
    if (s.passSpilled) s.tenure = Math.min(2 * s.tenure, MAX_TENURE);
    const addr = s.passSpilled ? this.allocator.allocRestored(s.bytes) : this.allocator.alloc(s.bytes);
    new Uint8Array(this.k.memory.buffer, addr, s.bytes).set(s.copy!);
    s.copy = null;
    s.addr = addr;
    this.enlist(s);
  }
  /**
   * The reclaim pass: spills every resident storage no kernel touched since the previous pass and,
   * in a loop with step boundaries, since the third-last one, so a step's weights, optimizer state
   * and saved activations stay put (docs/memory.md).
   */
  private reclaim(): void {
    // A step that has allocated more than twice what the last two did is no step: a loop with no
    // step boundaries (inference, evaluation), which the per-pass rule alone keeps bounded. Two,
    // so a loop whose steps alternate in size (a GAN's D and G steps) stays in step.
    const last = this.stepAllocated[STEP_MARKS - 1];
    const inStep = this.allocator.allocatedBytes - last <= 2 * (last - this.stepAllocated[0]);
    const marks = this.passMarks;
    const lastPass = marks[MAX_TENURE - 1];
    const before = inStep ? Math.min(lastPass, this.stepMarks[0]) : lastPass;
    const kept: WasmStorage[] = [];
    for (const s of this.resident) {
      if (s.stamp < (s.tenure === 1 ? before : Math.min(before, marks[MAX_TENURE - s.tenure]))) {
        s.slot = -1;
        this.spillOut(s);
        s.passSpilled = true;
      } else {
        s.slot = kept.length;
        kept.push(s);
      }
    }
    this.resident = kept;
    marks.shift();
    marks.push(++clock);
  }
  stepBoundary(): void {
    this.stepMarks.shift();
    this.stepMarks.push(++clock);
    this.stepAllocated.shift();
    this.stepAllocated.push(this.allocator.allocatedBytes);
  }
  private enlist(s: WasmStorage): void {
    s.slot = this.resident.length;
    this.resident.push(s);
  }
  private delist(s: WasmStorage): void {
    const last = this.resident.pop()!;
    if (last !== s) {
      this.resident[s.slot] = last;
      last.slot = s.slot;
    }
    s.slot = -1;
  }
  view(storage: Storage): TypedArray {
    // Resolve the address first: copying a spilled storage back may grow (and replace) the buffer.
    const ptr = storage.ptr;
    return new (arrayTypeOf(storage.dtype))(this.k.memory.buffer, ptr, storage.length);
  }
  /** Views of several storages: all are made resident before the first view, which a later restore's grow would detach. */
  private views(...storages: Storage[]): TypedArray[] {
    for (const s of storages) void s.ptr;
    return storages.map((s) => this.view(s));
  }

  private byteAddr(s: Storage, offset: number): Ptr {
    return s.ptr + offset * 4;
  }
  /** Writes a strided kernel's shape and strides (a 0-d shape as [1]); the kernel merges contiguous dims itself. */
  private writeMeta(op: string, shape: readonly number[], ...strides: (readonly number[])[]): void {
    if (shape.length > MAX_NDIM) throw new RangeError(`${op}: at most ${MAX_NDIM} dimensions are supported (got ${shape.length})`);
    // memory.grow detaches a view over non-shared memory (length 0); a shared memory's old views stay valid.
    if (this.metaView.length === 0) this.metaView = new Int32Array(this.k.memory.buffer, this.meta, META_ROWS * MAX_NDIM);
    const view = this.metaView;
    const nd = shape.length;
    if (nd === 0) {
      view[0] = 1;
      for (let r = 0; r < strides.length; r++) view[r + 1] = 0;
      return;
    }
    for (let i = 0; i < nd; i++) view[i] = shape[i];
    for (let r = 0; r < strides.length; r++) {
      const row = strides[r];
      for (let i = 0; i < nd; i++) view[(r + 1) * nd + i] = row[i];
    }
  }

  unary(op: UnaryOp, x: Storage, xOffset: number, out: Storage, n: number): void {
    const float = x.dtype === 'float32' && out.dtype === 'float32';
    if (float && this.threads && (op === 'gelu' || op === 'geluTanh')) {
      this.threads.elementwise({ kernel: ELEMENTWISE[op], a: this.byteAddr(x, xOffset), b: 0, c: 0, out: out.ptr, n, option: 0 });
    } else if (float && SIMD_UNARY.has(op)) {
      this.k[`${op as SimdUnaryOp}F32`](this.byteAddr(x, xOffset), out.ptr, n);
    } else {
      const [xv, ov] = this.views(x, out);
      loops.unary(op, xv, xOffset, ov, n);
    }
  }
  clamp(x: Storage, xOffset: number, out: Storage, n: number, lo: number, hi: number): void {
    if (x.dtype === 'float32') this.k.clampF32(this.byteAddr(x, xOffset), out.ptr, n, lo, hi);
    else {
      const [xv, ov] = this.views(x, out);
      loops.clamp(xv, xOffset, ov, n, lo, hi);
    }
  }
  binary(op: BinaryOp, a: Strided, b: Strided, out: Storage, shape: readonly number[], outOffset = 0): void {
    const simd = op in ARITH_CODES && a.storage.dtype === 'float32' && b.storage.dtype === 'float32' && out.dtype === 'float32';
    if (!simd) {
      const [av, bv, ov] = this.views(a.storage, b.storage, out);
      loops.binary(op, av, a, bv, b, ov, shape, outOffset);
      return;
    }
    this.writeMeta(op, shape, a.strides, b.strides);
    this.k.binaryF32(
      ARITH_CODES[op as ArithOp],
      this.byteAddr(a.storage, a.offset),
      this.byteAddr(b.storage, b.offset),
      this.byteAddr(out, outOffset),
      Math.max(shape.length, 1),
      this.meta,
    );
  }
  copy(x: Strided, out: Storage, outOffset: number, shape: readonly number[]): void {
    if (x.storage.dtype === 'float64' || out.dtype !== x.storage.dtype) {
      const [xv, ov] = this.views(x.storage, out);
      loops.copy(xv, x, ov, outOffset, shape);
      return;
    }
    this.writeMeta('copy', shape, x.strides);
    this.k.copy32(this.byteAddr(x.storage, x.offset), this.byteAddr(out, outOffset), Math.max(shape.length, 1), this.meta);
  }
  assign(x: Strided, out: Strided, shape: readonly number[]): void {
    if (x.storage.dtype === 'float64' || out.storage.dtype !== x.storage.dtype) {
      const [xv, ov] = this.views(x.storage, out.storage);
      loops.assign(xv, x, ov, out, shape);
      return;
    }
    this.writeMeta('assign', shape, out.strides, x.strides);
    this.k.assign32(this.byteAddr(x.storage, x.offset), this.byteAddr(out.storage, out.offset), Math.max(shape.length, 1), this.meta);
  }
  where(cond: Strided, a: Strided, b: Strided, out: Storage, shape: readonly number[]): void {
    const word = out.dtype !== 'float64' && a.storage.dtype === out.dtype && b.storage.dtype === out.dtype;
    if (!word || cond.storage.dtype !== 'int32') {
      const [cv, av, bv, ov] = this.views(cond.storage, a.storage, b.storage, out);
      loops.where(cv, cond, av, a, bv, b, ov, shape);
      return;
    }
    this.writeMeta('where', shape, cond.strides, a.strides, b.strides);
    const at = (s: Strided) => this.byteAddr(s.storage, s.offset);
    this.k.where32(at(cond), at(a), at(b), out.ptr, Math.max(shape.length, 1), this.meta);
  }
  gather(x: Strided, index: Strided, step: number, out: Storage, shape: readonly number[]): void {
    if (out.dtype === 'float64' || x.storage.dtype !== out.dtype) {
      const [xv, iv, ov] = this.views(x.storage, index.storage, out);
      loops.gather(xv, x, iv, index, step, ov, shape);
      return;
    }
    this.writeMeta('gather', shape, x.strides, index.strides);
    this.k.gather32(this.byteAddr(x.storage, x.offset), this.byteAddr(index.storage, index.offset), step, out.ptr, Math.max(shape.length, 1), this.meta);
  }
  indexBounds(index: Storage, offset: number, n: number, bound: number): number {
    return this.k.indexBoundsI32(this.byteAddr(index, offset), n, bound);
  }
  scatter(src: Strided, index: Strided, step: number, out: Strided, shape: readonly number[], accumulate: boolean): void {
    const dtype = out.storage.dtype;
    if (dtype === 'float64' || src.storage.dtype !== dtype) {
      const [sv, iv, ov] = this.views(src.storage, index.storage, out.storage);
      loops.scatter(sv, src, iv, index, step, ov, out, shape, accumulate);
      return;
    }
    this.writeMeta('scatter', shape, out.strides, index.strides, src.strides);
    const mode = !accumulate ? SCATTER_WRITE : dtype === 'float32' ? SCATTER_ADD_F32 : SCATTER_ADD_I32;
    const at = (s: Strided) => this.byteAddr(s.storage, s.offset);
    this.k.scatter32(at(src), at(index), step, at(out), Math.max(shape.length, 1), this.meta, mode);
  }
  // The scans and sorts run the reference loops over views: no training step spends its time there.
  scan(op: ScanOp, x: Storage, xOffset: number, out: Storage, outer: number, len: number, inner: number): void {
    const [xv, ov] = this.views(x, out);
    loops.scan(op, xv, xOffset, ov, outer, len, inner);
  }
  cumprodBackward(x: Storage, xOffset: number, gradOut: Storage, gradOutOffset: number, gradIn: Storage, outer: number, len: number, inner: number): void {
    const [xv, gv, ov] = this.views(x, gradOut, gradIn);
    loops.cumprodBackward(xv, xOffset, gv, gradOutOffset, ov, outer, len, inner);
  }
  argsort(x: Storage, xOffset: number, out: Storage, outer: number, len: number, inner: number, descending: boolean): void {
    const [xv, ov] = this.views(x, out);
    loops.argsort(xv, xOffset, ov, outer, len, inner, descending);
  }
  reduce(op: ReduceOp, x: Storage, xOffset: number, out: Storage, outer: number, len: number, inner: number): void {
    if (x.dtype === 'float32' && len > 0) {
      this.k[`${op}AxisF32`](this.byteAddr(x, xOffset), out.ptr, outer, len, inner);
    } else {
      const [xv, ov] = this.views(x, out);
      loops.reduce(op, xv, xOffset, ov, outer, len, inner);
    }
  }
  softmax(log: boolean, x: Storage, xOffset: number, out: Storage, rows: number, cols: number): void {
    const kernel = log ? this.k.logSoftmaxF32 : this.k.softmaxF32;
    kernel(this.byteAddr(x, xOffset), out.ptr, rows, cols);
  }
  geluBackward(tanhForm: boolean, x: Storage, xOffset: number, y: Storage, gradOut: Storage, gradOutOffset: number, gradIn: Storage, n: number): void {
    const [xp, yp, gp] = [this.byteAddr(x, xOffset), y.ptr, this.byteAddr(gradOut, gradOutOffset)];
    if (this.threads) this.threads.elementwise({ kernel: ELEMENTWISE.geluBackward, a: xp, b: yp, c: gp, out: gradIn.ptr, n, option: +tanhForm });
    else this.k.geluBackwardF32(xp, yp, gp, gradIn.ptr, n, +tanhForm);
  }
  softmaxBackward(log: boolean, y: Storage, gradOut: Storage, gradIn: Storage, rows: number, cols: number): void {
    this.k.softmaxBackwardF32(y.ptr, gradOut.ptr, gradIn.ptr, rows, cols, +log);
  }
  // Absent weight, bias or gradient buffers are passed as address 0 (see assembly/fused.ts).
  layerNorm(
    x: Storage,
    xOffset: number,
    weight: Storage | null,
    bias: Storage | null,
    out: Storage,
    mean: Storage,
    rstd: Storage,
    rows: number,
    cols: number,
    eps: number,
  ): void {
    this.k.layerNormF32(this.byteAddr(x, xOffset), weight?.ptr ?? 0, bias?.ptr ?? 0, out.ptr, mean.ptr, rstd.ptr, rows, cols, eps);
  }
  layerNormBackward(
    x: Storage,
    gradOut: Storage,
    weight: Storage | null,
    mean: Storage,
    rstd: Storage,
    gradIn: Storage,
    gradWeight: Storage | null,
    gradBias: Storage | null,
    rows: number,
    cols: number,
  ): void {
    this.k.layerNormBackwardF32(x.ptr, gradOut.ptr, weight?.ptr ?? 0, mean.ptr, rstd.ptr, gradIn.ptr, gradWeight?.ptr ?? 0, gradBias?.ptr ?? 0, rows, cols);
  }
  reluBackward(x: Storage, xOffset: number, gradOut: Storage, gradOutOffset: number, gradIn: Storage, n: number): void {
    this.k.reluBackwardF32(this.byteAddr(x, xOffset), this.byteAddr(gradOut, gradOutOffset), gradIn.ptr, n);
  }
  crossEntropy(x: Storage, xOffset: number, target: Storage, probs: Storage, loss: Storage, rows: number, cols: number): void {
    this.k.crossEntropyF32(this.byteAddr(x, xOffset), target.ptr, probs.ptr, loss.ptr, rows, cols);
  }
  crossEntropyBackward(probs: Storage, target: Storage, scale: Storage, gradIn: Storage, rows: number, cols: number): void {
    this.k.crossEntropyBackwardF32(probs.ptr, target.ptr, scale.ptr, gradIn.ptr, rows, cols);
  }
  gemm(g: GemmArgs): void {
    // One row: a matrix-vector product streams B once, where GEMM would pack all of it (gemvF32, beside gemmF32 in assembly/gemm.ts).
    if (g.m === 1 && !g.transA)
      return this.k.gemvF32(
        +g.transB,
        g.n,
        g.k,
        g.alpha,
        this.byteAddr(g.a, g.aOffset),
        this.byteAddr(g.b, g.bOffset),
        g.ldb,
        g.beta,
        this.byteAddr(g.c, g.cOffset),
      );
    const call: GemmCall = {
      tA: +g.transA,
      tB: +g.transB,
      m: g.m,
      n: g.n,
      k: g.k,
      alpha: g.alpha,
      a: this.byteAddr(g.a, g.aOffset),
      lda: g.lda,
      b: this.byteAddr(g.b, g.bOffset),
      ldb: g.ldb,
      beta: g.beta,
      c: this.byteAddr(g.c, g.cOffset),
      ldc: g.ldc,
    };
    if (this.threads) this.threads.gemm(call);
    else this.k.gemmF32(call.tA, call.tB, call.m, call.n, call.k, call.alpha, call.a, call.lda, call.b, call.ldb, call.beta, call.c, call.ldc, this.work);
  }
  withFixedB(transB: boolean, n: number, k: number, b: Block, ldb: number, fn: (gemm: FixedBGemm) => void): void {
    const bytes = this.k.gemmPackedBBytes(n, k);
    // Packed at the first call that uses it: a GEMM of one row goes by gemv, which streams B once anyway.
    let packed: Ptr = 0;
    try {
      fn((transA, m, a, lda, beta, c, ldc) => {
        if ((m === 1 && !transA) || bytes === 0) return this.gemm(blockGemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc));
        if (packed === 0) {
          packed = this.allocator.alloc(bytes);
          this.k.gemmPackB(+transB, n, k, this.at(b), ldb, packed);
        }
        const call: GemmCall = { tA: +transA, tB: +transB, m, n, k, alpha: 1, a: this.at(a), lda, b: packed, ldb: 0, beta, c: this.at(c), ldc };
        if (this.threads) this.threads.gemmPacked(call);
        else this.k.gemmPackedF32(call.tA, m, n, k, 1, call.a, lda, packed, beta, call.c, ldc, this.work);
      });
    } finally {
      if (packed !== 0) this.allocator.free(packed, bytes);
    }
  }
  minMax(x: Storage, xOffset: number, n: number): [number, number] {
    this.k.minMaxF32(this.byteAddr(x, xOffset), n, this.meta);
    const v = new Float32Array(this.k.memory.buffer, this.meta, 2);
    return [v[0], v[1]];
  }
  quantizeInt8A(q: QuantizeArgs): void {
    const { rows, cols, rowStride, colStride, invScale, zeroPoint, qmin, qmax, kPad } = q;
    this.k.quantizeA(this.byteAddr(q.x, q.xOffset), rows, cols, rowStride, colStride, invScale, zeroPoint, qmin, qmax, q.out.ptr, kPad);
  }
  quantizeInt8(q: QuantizeBytesArgs): void {
    this.k.quantizeI8(this.byteAddr(q.x, q.xOffset), q.n, q.invScale, q.zeroPoint, q.qmin, q.qmax, q.out.ptr);
  }
  im2colInt8(xq: Storage, xByteOffset: number, scratch: Storage, out: Storage, channels: number, w: Window2d, fill: number, kPad: number, u7A = false): void {
    this.k.im2colPackI8(xq.ptr + xByteOffset, channels, ...windowArgs(w), fill, scratch.ptr, out.ptr, kPad, +u7A);
  }
  gemmInt8(g: GemmInt8Args): void {
    this.k.gemmI8(
      g.m,
      g.n,
      g.kPad,
      g.a.ptr,
      g.b.ptr,
      g.scaleA,
      g.scaleB.ptr,
      g.corr?.ptr ?? 0,
      g.corrMul,
      g.bias?.ptr ?? 0,
      this.byteAddr(g.out, g.outOffset),
      g.ldc,
      +g.perRowScale,
    );
  }
  quantizeInt8U7A(q: QuantizeArgs): void {
    const { rows, cols, rowStride, colStride, invScale, zeroPoint, qmin, qmax, kPad } = q;
    if (qmin < 0 || qmax > 127) throw new RangeError(`quantizeInt8U7A: [qmin, qmax] = [${qmin}, ${qmax}] is not within the relaxed dot product's [0, 127]`);
    this.k.quantizeU7A(this.byteAddr(q.x, q.xOffset), rows, cols, rowStride, colStride, invScale, zeroPoint, qmin, qmax, q.out.ptr, kPad);
  }
  gemmInt8U7(g: GemmInt8Args): void {
    if (g.perRowScale) throw new Error('gemmInt8U7: the relaxed int8 GEMM has a per-column epilogue only');
    if (this.relaxedSimd && !this.int8RelaxedDot)
      throw new Error('gemmInt8U7: this runtime computes the relaxed int8 dot product wrongly (int8 layers use gemmInt8 here)');
    this.k.gemmI8U7(
      g.m,
      g.n,
      g.kPad,
      g.a.ptr,
      g.b.ptr,
      g.scaleA,
      g.scaleB.ptr,
      g.corr?.ptr ?? 0,
      g.corrMul,
      g.bias?.ptr ?? 0,
      this.byteAddr(g.out, g.outOffset),
      g.ldc,
    );
  }
  // The recurrent-cell kernels take byte addresses, 0 for an absent operand (assembly/rnn.ts).
  private at(b: Block | null): Ptr {
    return b ? this.byteAddr(b.storage, b.offset) : 0;
  }
  lstmCell(gates: Block, cPrev: Block, c: Block, h: Block, rows: number, hidden: number): void {
    this.k.lstmCellF32(this.at(gates), this.at(cPrev), this.at(c), this.at(h), rows, hidden);
  }
  lstmCellBackward(
    gates: Block,
    cPrev: Block,
    c: Block,
    dhOut: Block | null,
    dh: Block,
    dc: Block,
    dGates: Block,
    dcPrev: Block,
    rows: number,
    hidden: number,
  ): void {
    const a = (b: Block | null) => this.at(b);
    this.k.lstmCellBackwardF32(a(gates), a(cPrev), a(c), a(dhOut), a(dh), a(dc), a(dGates), a(dcPrev), rows, hidden);
  }
  gruCell(xp: Block, hp: Block, bHh: Block | null, hPrev: Block, h: Block, saved: Block, rows: number, hidden: number): void {
    const a = (b: Block | null) => this.at(b);
    this.k.gruCellF32(a(xp), a(hp), a(bHh), a(hPrev), a(h), a(saved), rows, hidden);
  }
  gruCellBackward(saved: Block, hPrev: Block, dhOut: Block | null, dh: Block, dxp: Block, dhp: Block, dhPrev: Block, rows: number, hidden: number): void {
    const a = (b: Block | null) => this.at(b);
    this.k.gruCellBackwardF32(a(saved), a(hPrev), a(dhOut), a(dh), a(dxp), a(dhp), a(dhPrev), rows, hidden);
  }
  attention(q: Block, k: Block, v: Block, mask: Block | null, out: Block, lse: Block, d: AttentionDims): void {
    this.runAttention(false, [q, k, v, mask, out, lse, null, null, null, null], d);
  }
  attentionBackward(
    q: Block,
    k: Block,
    v: Block,
    mask: Block | null,
    out: Block,
    lse: Block,
    dOut: Block,
    dq: Block,
    dk: Block,
    dv: Block,
    d: AttentionDims,
  ): void {
    this.runAttention(true, [q, k, v, mask, out, lse, dOut, dq, dk, dv], d);
  }
  /** The fused attention forward or backward, its batch·head entries split across threads when they pay off. */
  private runAttention(backward: boolean, blocks: (Block | null)[], d: AttentionDims): void {
    const bytes = this.k.attentionScratchBytes(d.L, d.S, d.E, d.Ev);
    this.withScratch(bytes / 4, (scratch) => {
      // Addresses taken after the scratch is allocated: an allocation may move spilled storages back.
      const [q, k, v, mask, out, lse, dOut, dq, dk, dv] = blocks.map((b) => this.at(b));
      const { batch, L, S, E, Ev, scale, causal, maskStride } = d;
      if (this.threads) {
        const call = { backward, q, k, v, mask, maskStride, out, lse, dOut, dq, dk, dv, batch, L, S, E, Ev, scale, causal };
        this.threads.attention(call, scratch, Math.max(bytes, 4));
      } else if (backward) this.k.attentionBackwardF32(q, k, v, mask, maskStride, out, lse, dOut, dq, dk, dv, batch, L, S, E, Ev, scale, +causal, scratch);
      else this.k.attentionF32(q, k, v, mask, maskStride, out, lse, batch, L, S, E, Ev, scale, +causal, scratch);
    });
  }
  /** Runs fn with a scratch block of `floats` float32s from the allocator. */
  private withScratch(floats: number, fn: (ptr: Ptr) => void): void {
    const bytes = Math.max(floats, 1) * 4;
    const ptr = this.allocator.alloc(bytes);
    try {
      fn(ptr);
    } finally {
      this.allocator.free(ptr, bytes);
    }
  }
  // Optimizer kernels take 0 for an absent buffer, and `1 - beta` computed here in double (see assembly/optim.ts).
  sgdStep(t: OptimTarget, momentumBuffer: Storage | null, h: SgdHyper): void {
    this.k.sgdF32(
      t.param.ptr,
      this.byteAddr(t.grad, t.gradOffset),
      momentumBuffer?.ptr ?? 0,
      t.n,
      h.lr,
      h.momentum,
      1 - h.dampening,
      h.weightDecay,
      h.nesterov,
      h.maximize,
      h.initBuffer,
    );
  }
  adamStep(t: OptimTarget, expAvg: Storage, expAvgSq: Storage, maxExpAvgSq: Storage | null, h: AdamHyper): void {
    this.k.adamF32(
      t.param.ptr,
      this.byteAddr(t.grad, t.gradOffset),
      expAvg.ptr,
      expAvgSq.ptr,
      maxExpAvgSq?.ptr ?? 0,
      t.n,
      h.beta1,
      1 - h.beta1,
      h.beta2,
      1 - h.beta2,
      h.eps,
      h.weightDecay,
      h.paramScale,
      h.stepSize,
      h.bias2Sqrt,
      h.maximize,
    );
  }
  rmspropStep(t: OptimTarget, squareAvg: Storage, gradAvg: Storage | null, momentumBuffer: Storage | null, h: RmspropHyper): void {
    this.k.rmspropF32(
      t.param.ptr,
      this.byteAddr(t.grad, t.gradOffset),
      squareAvg.ptr,
      gradAvg?.ptr ?? 0,
      momentumBuffer?.ptr ?? 0,
      t.n,
      h.lr,
      h.alpha,
      1 - h.alpha,
      h.eps,
      h.weightDecay,
      h.momentum,
      h.maximize,
    );
  }
  adagradStep(t: OptimTarget, sum: Storage, h: AdagradHyper): void {
    this.k.adagradF32(t.param.ptr, this.byteAddr(t.grad, t.gradOffset), sum.ptr, t.n, h.clr, h.eps, h.weightDecay, h.maximize);
  }
  fill(out: Storage, offset: number, n: number, value: number): void {
    if (out.dtype === 'float32') this.k.fillF32(this.byteAddr(out, offset), n, value);
    else if (out.dtype === 'int32') this.k.fillI32(this.byteAddr(out, offset), n, value);
    else loops.fill(this.view(out), offset, n, value);
  }
  cast(x: Storage, xOffset: number, out: Storage, n: number): void {
    if (x.dtype === 'int32' && out.dtype === 'float32') this.k.castI32F32(this.byteAddr(x, xOffset), out.ptr, n);
    else if (x.dtype === 'float32' && out.dtype === 'int32') this.k.castF32I32(this.byteAddr(x, xOffset), out.ptr, n);
    else {
      const [xv, ov] = this.views(x, out);
      loops.cast(xv, xOffset, ov, n);
    }
  }
  // Conv and pooling tensors are float32 on this device (float64 lives on 'js'), so every call is a kernel.
  im2col(x: Storage, xOffset: number, cols: Storage, channels: number, w: Window2d, colsOffset = 0): void {
    this.k.im2colF32(this.byteAddr(x, xOffset), this.byteAddr(cols, colsOffset), channels, ...windowArgs(w));
  }
  col2im(cols: Storage, out: Storage, outOffset: number, channels: number, w: Window2d): void {
    this.k.col2imF32(cols.ptr, this.byteAddr(out, outOffset), channels, ...windowArgs(w));
  }
  maxPool2d(x: Storage, xOffset: number, out: Storage, indices: Storage | null, planes: number, w: Window2d): void {
    this.k.maxPool2dF32(this.byteAddr(x, xOffset), out.ptr, indices?.ptr ?? 0, planes, ...windowArgs(w));
  }
  maxPool2dBackward(gradOut: Storage, gradOutOffset: number, indices: Storage, gradIn: Storage, planes: number, w: Window2d): void {
    this.k.maxPool2dBackwardF32(this.byteAddr(gradOut, gradOutOffset), indices.ptr, gradIn.ptr, planes, w.inH * w.inW, w.outH * w.outW);
  }
  avgPool2d(x: Storage, xOffset: number, out: Storage, planes: number, w: AvgWindow2d): void {
    this.k.avgPool2dF32(this.byteAddr(x, xOffset), out.ptr, planes, ...avgWindowArgs(w));
  }
  avgPool2dBackward(gradOut: Storage, gradOutOffset: number, gradIn: Storage, planes: number, w: AvgWindow2d): void {
    this.k.avgPool2dBackwardF32(this.byteAddr(gradOut, gradOutOffset), gradIn.ptr, planes, ...avgWindowArgs(w));
  }
  adaptiveAvgPool2d(x: Storage, xOffset: number, out: Storage, planes: number, w: AdaptiveWindow2d): void {
    this.k.adaptiveAvgPool2dF32(this.byteAddr(x, xOffset), out.ptr, planes, w.inH, w.inW, w.outH, w.outW);
  }
  adaptiveAvgPool2dBackward(gradOut: Storage, gradOutOffset: number, gradIn: Storage, planes: number, w: AdaptiveWindow2d): void {
    this.k.adaptiveAvgPool2dBackwardF32(this.byteAddr(gradOut, gradOutOffset), gradIn.ptr, planes, w.inH, w.inW, w.outH, w.outW);
  }
  stats(): MemoryStats {
    const a = this.allocator;
    return {
      liveTensors: this.resident.length,
      liveBytes: a.liveBytes,
      cachedBytes: a.cachedBytes,
      wasmBytes: this.k.memory.buffer.byteLength,
      peakBytes: a.peakBytes,
      spills: this.spills,
      restores: this.restores,
    };
  }
}
