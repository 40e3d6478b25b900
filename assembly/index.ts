// Tessera WebAssembly SIMD kernels: module entry point.
// Memory model: the TS backend owns everything above heapBase() and grows
// memory itself; kernels never allocate, never grow memory and import nothing.
// All pointers are byte offsets into this module's memory, counts are i32.
export * from "./elementwise";
export * from "./reduce";
export * from "./gemm";
export * from "./conv";
export * from "./optim";
export * from "./fused";
export * from "./int8";
export * from "./rnn";
export * from "./attention";
export * from "./indexing";

// Static data (scratch for strided kernels) lives below __heap_base; round
// up so the TS allocator can hand out 16-byte aligned blocks from here.
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}
