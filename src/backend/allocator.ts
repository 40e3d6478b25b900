/**
 * A size-class caching allocator over WASM linear memory. Freed blocks go to a free list per
 * class and are handed out again, so a training loop that allocates the same shapes every step
 * stops growing memory after its first step. Classes are 2^k and 1.5·2^k bytes (≤ 33% waste).
 */

const ALIGN = 16;
const PAGE = 65536;
const MIN_BLOCK = 64;
/** wasm32 addresses 4 GiB; no block can end past it. */
const ADDRESS_SPACE = 2 ** 32;

export function sizeClass(bytes: number): number {
  if (bytes <= MIN_BLOCK) return MIN_BLOCK;
  // Integer bit tricks (this runs on every allocation); 2 ** and Math.log2 cost more than the rest.
  const pow = bytes <= 1 << 30 ? 1 << (32 - Math.clz32(bytes - 1)) : 2 ** Math.ceil(Math.log2(bytes));
  const threeQuarters = (pow / 4) * 3;
  return threeQuarters >= bytes && threeQuarters % ALIGN === 0 ? threeQuarters : pow;
}

export class CachingAllocator {
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  liveBytes = 0;
  cachedBytes = 0;
  peakBytes = 0;

  constructor(private readonly memory: WebAssembly.Memory, heapBase: number) {
    this.top = Math.ceil(heapBase / ALIGN) * ALIGN;
  }

  /** Returns a 16-byte aligned block of at least `bytes` bytes (its class size is `sizeClass(bytes)`). */
  alloc(bytes: number): number {
    // A NaN, fractional or negative size would set `top` to a bad address and every later tensor
    // would alias another's memory: refuse it here, whatever the caller checked.
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`alloc: invalid block size ${bytes} bytes (a tensor size must be a non-negative integer)`);
    const size = sizeClass(bytes);
    const list = this.freeLists.get(size);
    let ptr: number;
    if (list && list.length > 0) {
      ptr = list.pop()!;
      this.cachedBytes -= size;
    } else {
      ptr = this.top;
      const end = ptr + size;
      if (end > ADDRESS_SPACE) throw new RangeError(`out of memory: a ${bytes}-byte tensor does not fit in WASM's 4 GiB address space (${ptr} bytes in use)`);
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        // Grow geometrically so a growing model does not pay one grow (and one detach) per tensor.
        const want = Math.max(end, Math.min(have * 2, have + 256 * 1024 * 1024));
        const pages = Math.ceil((want - have) / PAGE);
        try {
          this.memory.grow(pages);
        } catch {
          throw new RangeError(`out of memory: cannot grow WASM memory from ${have} to ${have + pages * PAGE} bytes for a ${bytes}-byte tensor`);
        }
      }
      this.top = end;
    }
    this.liveBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return ptr;
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
