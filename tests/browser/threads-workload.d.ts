import type * as Tessera from '../../src/index.js';

/** What one run of the threaded workload produces, as plain values. */
export interface ThreadsResult {
  crossOriginIsolated: boolean | null;
  /** navigator.hardwareConcurrency where there is one. */
  cores: number | null;
  relaxedSimd: boolean;
  defaultThreads: number;
  running: number;
  threads: number;
  splitCalls: number;
  /** base64 of the float32 bits of the 512×512 product on one thread, then on two. */
  one: string;
  two: string;
  /** base64 of the float32 bits of causal attention's output and input gradients on one thread, then on two. */
  attentionOne: string;
  attentionTwo: string;
  /** Attention calls (forward, backward) split across threads. */
  attentionSplitCalls: number;
}

/** A 512×512 matmul and causal attention forward + backward, each on one thread and on two. */
export function runThreadsWorkload(T: typeof Tessera): Promise<ThreadsResult>;
