/**
 * A size-class caching allocator over WASM linear memory. Freed blocks go to a free list per
 * class and are handed out again, so a training loop that allocates the same shapes every step
 * stops growing memory after its first step. Classes are 2^k and 1.5·2^k bytes (≤ 33% waste);
 * blocks above 256 MiB are rounded to whole pages only, so a 3.6 GB tensor fits under the 4 GiB
 * limit instead of asking for a 4 GiB class.
 *
 * An allocation for a new tensor may first run a reclaim pass (`onPressure`, docs/memory.md): when
 * it would grow WASM memory, or when the tensor bytes live pass 1.5× those left after the previous
 * pass (plus 64 KiB, so a tiny model does not run a pass every step).
 */

const ALIGN = 16;
const PAGE = 65536;
const MIN_BLOCK = 64;
const PAGE_ROUNDED = 1 << 28;
/** Live bytes may grow by this much past the last pass before the next, however small the model. */
const RECLAIM_SLACK = 64 * 1024;
/** The wasm32 address space: 65,536 pages of 64 KiB. */
export const MAX_WASM_BYTES = 65536 * PAGE;

export function sizeClass(bytes: number): number {
  if (bytes <= MIN_BLOCK) return MIN_BLOCK;
  if (bytes > PAGE_ROUNDED) return Math.ceil(bytes / PAGE) * PAGE;
  // Integer bit tricks (this runs on every allocation); 2 ** and Math.log2 cost more than the rest.
  const pow = 1 << (32 - Math.clz32(bytes - 1));
  const threeQuarters = (pow / 4) * 3;
  return threeQuarters >= bytes && threeQuarters % ALIGN === 0 ? threeQuarters : pow;
}

export class CachingAllocator {
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  liveBytes = 0;
  cachedBytes = 0;
  peakBytes = 0;
  /** Bytes of every block handed out so far: how much a stretch of a loop allocates. */
  allocatedBytes = 0;
  /** Whether the last alloc came from memory no block ever used (WASM memory is zero there). */
  lastFresh = false;
  /** Reclaims blocks of tensors nobody used since the last call; set by the backend. */
  onPressure: (() => void) | null = null;
  private reclaimAt = RECLAIM_SLACK;
  /** Bytes of the backend's own fixed blocks (kernel metadata, GEMM scratch), left out of the 1.5× rule. */
  private pinnedBytes = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    heapBase: number,
  ) {
    this.top = Math.ceil(heapBase / ALIGN) * ALIGN;
  }

  /**
   * Returns a 16-byte aligned block of at least `bytes` bytes (its class size is `sizeClass(bytes)`).
   * `mayReclaim` allows a reclaim pass first (never while a kernel's operands are being resolved).
   */
  alloc(bytes: number, mayReclaim = false): number {
    // A NaN, fractional or negative size would set `top` to a bad address and every later tensor
    // would alias another's memory: refuse it here, whatever the caller checked.
    if (!Number.isSafeInteger(bytes) || bytes < 0)
      throw new RangeError(`alloc: invalid block size ${bytes} bytes (a tensor size must be a non-negative integer)`);
    const size = sizeClass(bytes);
    let list = this.freeLists.get(size);
    if (
      mayReclaim &&
      this.onPressure !== null &&
      (this.liveBytes + size > this.reclaimAt || ((list === undefined || list.length === 0) && this.top + size > this.memory.buffer.byteLength))
    ) {
      this.onPressure();
      this.reclaimAt = this.liveBytes + Math.max((this.liveBytes - this.pinnedBytes) / 2, RECLAIM_SLACK);
      list = this.freeLists.get(size);
    }
    let ptr: number;
    this.lastFresh = !(list && list.length > 0);
    if (!this.lastFresh) {
      ptr = list!.pop()!;
      this.cachedBytes -= size;
    } else {
      ptr = this.top;
      const end = ptr + size;
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        if (end > MAX_WASM_BYTES) {
          throw new RangeError(
            `out of memory: a ${fmtBytes(bytes)} tensor does not fit in WASM's 4 GiB address space (${fmtBytes(this.liveBytes)} live, ${fmtBytes(this.cachedBytes)} cached for reuse)`,
          );
        }
        // Grow geometrically so a growing model does not pay one grow (and one detach) per tensor.
        const want = Math.min(Math.max(end, Math.min(have * 2, have + 256 * 1024 * 1024)), MAX_WASM_BYTES);
        if (!this.grow(Math.ceil((want - have) / PAGE)) && !this.grow(Math.ceil((end - have) / PAGE))) {
          throw new RangeError(
            `out of memory: the runtime refused to grow WASM memory from ${fmtBytes(have)} to ${fmtBytes(end)} for a ${fmtBytes(bytes)} tensor`,
          );
        }
      }
      this.top = end;
    }
    this.liveBytes += size;
    this.allocatedBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return ptr;
  }

  /**
   * A block for a tensor a reclaim pass spilled, coming back. That restore only undoes the pass's
   * spill, so it moves the next pass as far: counted as growth, restoring an untouched model's
   * weights triggered pass after pass, each spilling the weights the forward had not reached yet.
   * (Bounded: each pass resets the threshold, and only held tensors can come back.)
   */
  allocRestored(bytes: number): number {
    const ptr = this.alloc(bytes);
    this.reclaimAt += sizeClass(bytes);
    return ptr;
  }

  /** Marks the blocks allocated so far as the backend's own: tensors' reclaim passes leave them out of their sums. */
  pinAllocated(): void {
    this.pinnedBytes = this.liveBytes;
    this.reclaimAt = this.liveBytes + RECLAIM_SLACK;
  }

  private grow(pages: number): boolean {
    try {
      this.memory.grow(pages);
      return true;
    } catch {
      return false;
    }
  }

  free(ptr: number, bytes: number): void {
    const size = sizeClass(bytes);
    let list = this.freeLists.get(size);
    if (!list) this.freeLists.set(size, (list = []));
    list.push(ptr);
    this.liveBytes -= size;
    this.cachedBytes += size;
  }
}

/** Bytes for an error message: 3.60 GB, 12.0 MB, 512 B. */
export function fmtBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}
