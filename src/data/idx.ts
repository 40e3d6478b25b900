/**
 * The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a 4-byte magic
 * number [0, 0, element type, number of dims], one big-endian u32 per dim, then the elements
 * big-endian in row-major order. Files may be gzipped (`.gz`); gunzipping uses the standard
 * DecompressionStream, and paths are read through a dynamic `node:fs` import, so this module
 * loads in browsers too (pass bytes there).
 */
import { tensor } from '../creation.js';
import type { Device } from '../dtype.js';
import { nodeFs } from '../io/node-fs.js';
import { fmtShape, numel } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** The element types IDX defines, by their type byte. */
const TYPES = {
  0x08: { name: 'uint8', size: 1 },
  0x09: { name: 'int8', size: 1 },
  0x0b: { name: 'int16', size: 2 },
  0x0c: { name: 'int32', size: 4 },
  0x0d: { name: 'float32', size: 4 },
  0x0e: { name: 'float64', size: 8 },
} as const;

/** The element type an IDX file's header names: uint8, int8, int16, int32, float32 or float64. */
export type IdxType = (typeof TYPES)[keyof typeof TYPES]['name'];

/** An IDX file's contents: its shape, element type and elements (row-major). */
export interface IdxArray {
  shape: number[];
  type: IdxType;
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Where IDX bytes come from: a file path (Node only) or the bytes themselves. */
export type IdxSource = string | Uint8Array | ArrayBuffer;

/**
 * Parses an uncompressed IDX file; malformed headers and lengths throw an error naming the problem.
 * @example const { shape, data } = parseIdx(bytes); // shape [60000, 28, 28], data Uint8Array
 */
export function parseIdx(bytes: Uint8Array): IdxArray {
  if (bytes.length < 4) throw new RangeError(`parseIdx: ${bytes.length} bytes is too short for the 4-byte IDX magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (this is gzip data: use readIdx, which decompresses)' : '';
    throw new RangeError(`parseIdx: not an IDX file: the magic number must start with two zero bytes, got 0x${hex(bytes[0])} 0x${hex(bytes[1])}${gz}`);
  }
  const type = TYPES[bytes[2] as keyof typeof TYPES];
  if (!type) throw new RangeError(`parseIdx: unknown element type 0x${hex(bytes[2])} (byte 2); IDX defines 0x08 0x09 0x0b 0x0c 0x0d 0x0e`);
  const ndim = bytes[3];
  if (ndim === 0) throw new RangeError('parseIdx: the header declares 0 dimensions (byte 3)');
  const dataStart = 4 + 4 * ndim;
  if (bytes.length < dataStart)
    throw new RangeError(`parseIdx: the header declares ${ndim} dimensions, which need ${dataStart} header bytes, but the file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, d) => view.getUint32(4 + 4 * d, false));
  const count = numel(shape);
  const expected = dataStart + count * type.size;
  if (bytes.length !== expected) {
    throw new RangeError(
      `parseIdx: shape ${fmtShape(shape)} of ${type.name} needs ${count * type.size} data bytes after the ${dataStart}-byte header (${expected} in all) but the file has ${bytes.length}`,
    );
  }
  const get: Record<IdxType, [new (n: number) => IdxArray['data'], (at: number) => number]> = {
    uint8: [Uint8Array, (at) => view.getUint8(at)],
    int8: [Int8Array, (at) => view.getInt8(at)],
    int16: [Int16Array, (at) => view.getInt16(at, false)],
    int32: [Int32Array, (at) => view.getInt32(at, false)],
    float32: [Float32Array, (at) => view.getFloat32(at, false)],
    float64: [Float64Array, (at) => view.getFloat64(at, false)],
  };
  const [ArrayType, read] = get[type.name];
  const data = type.name === 'uint8' ? bytes.slice(dataStart) : new ArrayType(count);
  if (type.name !== 'uint8') for (let i = 0; i < count; i++) data[i] = read(dataStart + i * type.size);
  return { shape, type: type.name, data };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

/** The bytes of a source, gunzipped when they start with the gzip magic 1f 8b. */
async function bytesOf(source: IdxSource): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    const { readFile } = await nodeFs('readIdx');
    bytes = await readFile(source);
  } else bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    const stream = new Blob([bytes.slice()]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    const where = typeof source === 'string' ? ` ${source}` : '';
    throw new Error(`readIdx: gzip data${where} is corrupt or truncated: ${(e as Error).message}`);
  }
}

/**
 * Reads an IDX file, gzipped or not, from a path (Node) or from bytes.
 * @example const labels = await readIdx('data/fashion/train-labels-idx1-ubyte.gz');
 */
export async function readIdx(source: IdxSource): Promise<IdxArray> {
  return parseIdx(await bytesOf(source));
}

/** Options of readIdxDataset. */
export interface IdxDatasetOptions {
  /** Multiplies the pixels (default 1/255, mapping uint8 to [0, 1]). */
  scale?: number;
  device?: Device;
}

/**
 * Reads an MNIST-style pair of IDX files: images [N, H, W] uint8 and labels [N], returning
 * `images` as a float32 tensor [N, 1, H, W] scaled by `scale` (pixel / 255 by default) and
 * `labels` as int32 [N].
 * @example const train = await readIdxDataset('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz');
 */
export async function readIdxDataset(images: IdxSource, labels: IdxSource, options: IdxDatasetOptions = {}): Promise<{ images: Tensor; labels: Tensor }> {
  const [x, y] = await Promise.all([readIdx(images), readIdx(labels)]);
  if (x.shape.length !== 3) throw new RangeError(`readIdxDataset: images must be [N, H, W], got shape ${fmtShape(x.shape)}`);
  if (y.shape.length !== 1) throw new RangeError(`readIdxDataset: labels must be [N], got shape ${fmtShape(y.shape)}`);
  if (x.shape[0] !== y.shape[0]) throw new RangeError(`readIdxDataset: ${x.shape[0]} images but ${y.shape[0]} labels`);
  if (y.type === 'float32' || y.type === 'float64') throw new TypeError(`readIdxDataset: labels must be integers, got ${y.type}`);
  const scale = options.scale ?? 1 / 255;
  // NOTE: a plain loop; Float32Array.from(data, fn) is orders of magnitude slower on 47M pixels.
  const pixels = new Float32Array(x.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = x.data[i] * scale;
  const [n, h, w] = x.shape;
  return {
    images: tensor(pixels, { shape: [n, 1, h, w], device: options.device }),
    labels: tensor(new Int32Array(y.data), { device: options.device }),
  };
}
