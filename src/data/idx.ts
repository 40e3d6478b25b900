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
import { options as checkOptions, show } from '../validate.js';

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

/** The header of an IDX file: element type, shape, and where the data starts and ends. */
interface IdxHeader {
  type: (typeof TYPES)[keyof typeof TYPES];
  shape: number[];
  dataStart: number;
  /** The file's whole length: header plus shape's elements. */
  expected: number;
}

/**
 * The elements an IDX file may declare: tensors index with int32, and the largest typed array
 * Node allocates holds fewer bytes than 2³² float64s anyway.
 */
const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * Reads the header from the first bytes of a file, or returns null when more bytes are needed;
 * a malformed header throws naming `where` (the file, or 'bytes') and the byte offset.
 */
function readHeader(fn: string, where: string, bytes: Uint8Array): IdxHeader | null {
  const at = (offset: number, what: string) => `${fn}: ${where}: byte ${offset}: ${what}`;
  if (bytes.length >= 2 && (bytes[0] !== 0 || bytes[1] !== 0)) {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (this is gzip data: use readIdx, which decompresses)' : '';
    throw new RangeError(at(0, `not an IDX file: the magic number must start with two zero bytes, got 0x${hex(bytes[0])} 0x${hex(bytes[1])}${gz}`));
  }
  if (bytes.length < 4) return null;
  const type = TYPES[bytes[2] as keyof typeof TYPES];
  if (!type) throw new RangeError(at(2, `unknown element type 0x${hex(bytes[2])}; IDX defines 0x08 0x09 0x0b 0x0c 0x0d 0x0e`));
  const ndim = bytes[3];
  if (ndim === 0) throw new RangeError(at(3, 'the header declares 0 dimensions'));
  const dataStart = 4 + 4 * ndim;
  if (bytes.length < dataStart) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, dataStart);
  const shape = Array.from({ length: ndim }, (_, d) => view.getUint32(4 + 4 * d, false));
  const count = numel(shape);
  if (count > MAX_ELEMENTS) {
    throw new RangeError(at(4, `the header declares shape ${fmtShape(shape)}: ${count} elements, more than the ${MAX_ELEMENTS} a tensor can hold`));
  }
  return { type, shape, dataStart, expected: dataStart + count * type.size };
}

/**
 * Parses an uncompressed IDX file; a malformed header or a length that disagrees with it throws
 * an error naming the file (`name`, default 'bytes') and the byte offset.
 * @example const { shape, data } = parseIdx(bytes); // shape [60000, 28, 28], data Uint8Array
 */
export function parseIdx(bytes: Uint8Array, name = 'bytes'): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`parseIdx: bytes must be a Uint8Array (got ${show(bytes)})`);
  const header = readHeader('parseIdx', name, bytes);
  if (!header) {
    const need = bytes.length < 4 ? 4 : 4 + 4 * bytes[3];
    throw new RangeError(`parseIdx: ${name}: byte ${bytes.length}: the file ends inside its ${need}-byte header`);
  }
  const { type, shape, dataStart, expected } = header;
  if (bytes.length !== expected) {
    throw new RangeError(
      `parseIdx: ${name}: byte ${Math.min(bytes.length, expected)}: shape ${fmtShape(shape)} of ${type.name} needs ${expected - dataStart} data bytes after the ${dataStart}-byte header (${expected} in all) but the file has ${bytes.length}`,
    );
  }
  const count = (expected - dataStart) / type.size;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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

/**
 * The bytes of a source, gunzipped when they start with the gzip magic 1f 8b. Inflation stops as
 * soon as the header is malformed or the output passes the length the header declares, so a
 * small archive that inflates to gigabytes fails after reading its header.
 */
async function bytesOf(source: IdxSource): Promise<[Uint8Array, string]> {
  let bytes: Uint8Array;
  let name = 'bytes';
  if (typeof source === 'string') {
    const { readFile } = await nodeFs('readIdx');
    bytes = await readFile(source);
    name = source;
  } else if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  } else throw new TypeError(`readIdx: source must be a path, a Uint8Array or an ArrayBuffer (got ${show(source)})`);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return [bytes, name];
  const reader = new Blob([bytes.slice()]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  let header: IdxHeader | null = null;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
      header ??= readHeader('readIdx', `${name} (inflated)`, chunks.length === 1 ? value : concat(chunks, length));
      if (header && length > header.expected) {
        throw new RangeError(
          `readIdx: ${name} (inflated): byte ${header.expected}: the data runs past the ${header.expected} bytes its header declares (shape ${fmtShape(header.shape)} of ${header.type.name})`,
        );
      }
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    if (e instanceof RangeError) throw e;
    throw new Error(`readIdx: ${name}: gzip data is corrupt or truncated (after ${length} inflated bytes): ${(e as Error).message}`);
  }
  return [concat(chunks, length), name];
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Reads an IDX file, gzipped or not, from a path (Node) or from bytes.
 * @example const labels = await readIdx('data/fashion/train-labels-idx1-ubyte.gz');
 */
export async function readIdx(source: IdxSource): Promise<IdxArray> {
  const [bytes, name] = await bytesOf(source);
  return parseIdx(bytes, name);
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
  checkOptions('readIdxDataset', options, ['scale', 'device']);
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
