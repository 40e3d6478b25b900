/** Element types a tensor can hold; `float64` lives only on the `js` device (the reference backend). */
export type DType = 'float32' | 'int32' | 'bool' | 'float64';

/** Where a tensor's storage lives: `wasm` (SIMD kernels, the default) or `js` (the plain TypeScript reference). */
export type Device = 'wasm' | 'js';

/** A typed array of any dtype's storage. */
export type TypedArray = Float32Array | Float64Array | Int32Array;

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** bool is stored as int32 0/1 so every kernel that moves 4-byte words serves it. */
export function arrayTypeOf(dtype: DType): Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor {
  if (dtype === 'float32') return Float32Array;
  if (dtype === 'float64') return Float64Array;
  return Int32Array;
}

export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : 4;
}

/** The dtype of `a op b` for arithmetic, following PyTorch's promotion of bool < int < float. */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a === 'bool' ? 'int32' : a;
  if (a === 'float64' || b === 'float64') return 'float64';
  if (a === 'float32' || b === 'float32') return 'float32';
  return 'int32';
}

/** x rounded to the nearest integer, ties to even, as torch.round and Python's round (Math.round sends ties up). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
