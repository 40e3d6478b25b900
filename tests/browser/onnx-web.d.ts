import type * as Tessera from '../../src/index.js';

/** One exported model's outputs in Tessera and in onnxruntime-web. */
export interface OnnxWebResult {
  name: string;
  dims: number[];
  tessera: number[];
  ort: number[];
}

/** Exports a CNN and an LSTM + Transformer model and runs each in onnxruntime-web's wasm backend. */
export function runOnnxWeb(T: typeof Tessera, ort: unknown): Promise<OnnxWebResult[]>;
