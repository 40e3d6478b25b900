import type * as Tessera from '../../src/index.js';

/** What one run of the workload produces, as plain values. */
export interface WorkloadResult {
  device: Tessera.Device;
  relaxedSimd: boolean;
  loss: number;
  logits: number[];
  grads: { w1: number[]; b1: number[]; w2: number[]; b2: number[]; lstm: number[]; attention: number[]; gru: number[]; decoder: number[] };
  text: { ids: number[]; decoded: string; topk: number[]; samples: number[] };
  /** Outputs of int8 Linear layers with 7-bit activations (the relaxed int8 dot product where relaxed SIMD validates). */
  int8: number[];
  /** Outputs of int8 Conv2d layers with 7-bit activations (im2col into the relaxed GEMM's A there). */
  int8Conv: number[];
  memory: Tessera.MemoryStats;
}

/** Forward + backward of the fixed two-layer MLP and the LSTM + Transformer layer on the given device. */
export function runWorkload(T: typeof Tessera, device?: 'wasm' | 'js'): WorkloadResult;
