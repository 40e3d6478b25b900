// What a GEMM worker thread instantiates on the shared memory (src/backend/gemm-worker.ts): the
// GEMM (also against a B packed once, gemmPackedF32), the fused attention kernels built on it, whose
// batch·head entries threads split (src/backend/threads.ts), and GELU forward and backward, whose
// element ranges they split. Compiled twice, baseline and with relaxed-SIMD FMA in the GEMM; where
// the relaxed build runs, the calling thread takes these exports from it too, so every thread runs
// the same code; the int8 GEMM on the relaxed int8 dot product (assembly/int8.ts) rides along for the
// calling thread. It must have no static data: it is also instantiated beside the kernels, on their memory.
export { gemmF32, gemmWorkBytes, gemmPackB, gemmPackedBBytes, gemmPackedF32 } from "./gemm";
export { attentionF32, attentionBackwardF32 } from "./attention";
export { geluF32, geluTanhF32, geluBackwardF32 } from "./fused";
// The int8 GEMM on the relaxed int8 dot product (Linear takes it where the relaxed build runs).
export { gemmI8U7 } from "./int8";
