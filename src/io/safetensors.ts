/**
 * The safetensors format (https://github.com/huggingface/safetensors), read and written in plain
 * TypeScript so it works in Node and in browsers alike:
 *
 *   [8 bytes: header length N, u64 little-endian][N bytes: JSON header, padded with spaces to a
 *   multiple of 8][data buffer: every tensor's bytes, little-endian, row-major, back to back]
 *
 * The header maps each tensor name to `{ dtype, shape, data_offsets: [begin, end] }` (offsets
 * relative to the data buffer) and may hold `__metadata__`, a map of strings to strings. Writing
 * follows the reference implementation byte for byte: tensors ordered by dtype alignment
 * (largest first) then by name, `__metadata__` first, compact JSON. Reading checks everything the
 * reference checks (and duplicate keys), before any tensor is made.
 *
 * dtypes: float32 ↔ F32, int32 ↔ I32, bool ↔ BOOL, float64 ↔ F64. F64 is read as float64 on the
 * 'js' device and as float32 (rounded) on 'wasm', where float64 does not exist. F16 and BF16 widen
 * to float32 exactly; U8, I8, U16, I16 widen to int32; I64, U64 and U32 are read into int32 and
 * rejected if a value does not fit. The F8 types are refused.
 */
import { tensor } from '../creation.js';
import { getDefaultDevice } from '../device.js';
import type { Device } from '../dtype.js';
import { fmtShape, numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { nodeFs } from './node-fs.js';
import * as V from '../validate.js';

/** A malformed or unsupported safetensors file, or a state dict that cannot be written. */
export class SafetensorsError extends Error {
  /** 'SafetensorsError', for `err.name` checks. */
  override name = 'SafetensorsError';
}

/** Tensors by name, as `Module.stateDict()` returns them (a Map works too). */
export type StateDict = Record<string, Tensor> | Map<string, Tensor>;

/** What `deserialize` returns: the tensors (in file order) and the `__metadata__` strings. */
export interface Safetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Options of `deserialize` and `load`. */
export interface SafetensorsLoadOptions {
  /** Where the tensors go (default: the default device); F64 stays float64 only on 'js'. */
  device?: Device;
}

/** The reference implementation's dtypes, in its order of increasing alignment, with their sizes. */
const DTYPE_SIZES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};
const DTYPE_RANK = Object.keys(DTYPE_SIZES);
const UNSUPPORTED = new Set(['F8_E5M2', 'F8_E4M3']);
/** The reference implementation refuses headers above 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000;
/** Real checkpoints hold thousands of tensors per file; a header of millions of empty ones is an attack, refused before any is made. */
const MAX_TENSORS = 100_000;
/** A valid header nests three deep ({ name: { shape: [...] } }); far deeper nesting is refused before JSON.parse sees it. */
const MAX_DEPTH = 64;

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function fail(message: string): never {
  throw new SafetensorsError(`safetensors: ${message}`);
}

/** Code-point order, which is the byte order of the UTF-8 names the reference sorts. */
function compareNames(a: string, b: string): number {
  const ca = Array.from(a, (c) => c.codePointAt(0)!);
  const cb = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i] - cb[i];
  return ca.length - cb.length;
}

function dtypeOf(t: Tensor): string {
  return { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' }[t.dtype];
}

/** The tensor's elements as little-endian bytes in its safetensors dtype. */
function tensorBytes(t: Tensor, dtype: string): Uint8Array {
  const values = t.toArray();
  const out = new Uint8Array(values.length * DTYPE_SIZES[dtype]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'BOOL') out[i] = values[i] !== 0 ? 1 : 0;
    else if (dtype === 'F32') view.setFloat32(i * 4, values[i], true);
    else if (dtype === 'F64') view.setFloat64(i * 8, values[i], true);
    else if (dtype === 'I8') view.setInt8(i, values[i]);
    else view.setInt32(i * 4, values[i], true);
  }
  return out;
}

/** Options of serialize. */
export interface SerializeOptions {
  /** Names of int32 tensors to store as I8 (quantized weights); their values must fit. */
  int8?: Iterable<string>;
}

/**
 * Encodes tensors (and optional string metadata) as a safetensors file, byte for byte what the
 * reference implementation writes for the same tensors.
 * @example const bytes = serialize(model.stateDict(), { epoch: '3' });
 */
export function serialize(stateDict: StateDict, metadata?: Record<string, string>, options: SerializeOptions = {}): Uint8Array {
  if (!(stateDict instanceof Map) && (typeof stateDict !== 'object' || stateDict === null))
    fail(`serialize: stateDict must be an object or Map of tensors (got ${V.show(stateDict)})`);
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null))
    fail(`serialize: metadata must be an object of strings (got ${V.show(metadata)})`);
  V.options('serialize', options, ['int8']);
  if (options.int8 !== undefined && (typeof options.int8 !== 'object' || options.int8 === null || !(Symbol.iterator in options.int8)))
    fail(`serialize: options.int8 must be an array of tensor names (got ${V.show(options.int8)})`);
  const items = stateDict instanceof Map ? [...stateDict] : Object.entries(stateDict);
  const int8 = new Set(options.int8 ?? []);
  for (const name of int8) {
    const t = items.find(([n]) => n === name)?.[1];
    if (!t) fail(`serialize: options.int8 names '${name}', which is not in the state dict`);
    if (t.dtype !== 'int32') fail(`serialize: options.int8 names '${name}', a ${t.dtype} tensor (only int32 tensors can be stored as I8)`);
    const bad = t.toArray().findIndex((v) => v < -128 || v > 127);
    if (bad >= 0) fail(`serialize: '${name}' element ${bad} is ${t.toArray()[bad]}, outside I8's -128 to 127`);
  }
  for (const [name, t] of items) {
    if (name === '__metadata__') fail(`serialize: '__metadata__' is reserved and cannot name a tensor`);
    if (!(t instanceof Tensor)) fail(`serialize: '${name}' is not a Tensor`);
    t.check(`safetensors serialize ('${name}')`);
  }
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (typeof value !== 'string') fail(`serialize: metadata must map strings to strings ('${key}' is ${typeof value})`);
  }
  // NOTE: the reference sorts by descending alignment so every tensor starts aligned to its dtype.
  const sorted = items
    .map(([name, t]) => ({ name, t, dtype: int8.has(name) ? 'I8' : dtypeOf(t) }))
    .sort((a, b) => DTYPE_RANK.indexOf(b.dtype) - DTYPE_RANK.indexOf(a.dtype) || compareNames(a.name, b.name));
  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareNames);
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const { name, t, dtype } of sorted) {
    const bytes = tensorBytes(t, dtype);
    // Built by hand: a JS object would move integer-like names ("0", "1") to the front.
    parts.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${offset + bytes.length}]}`);
    blobs.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const blob of blobs) {
    out.set(blob, at);
    at += blob.length;
  }
  return out;
}

/** The byte offset in the file of character `i` of the header text (which starts at byte 8). */
function byteOffset(text: string, i: number): number {
  return 8 + new TextEncoder().encode(text.slice(0, i)).length;
}

/**
 * One pass over the header text before JSON.parse: refuses nesting deeper than MAX_DEPTH (JSON.parse
 * and error messages recurse, and would overflow the stack), more than MAX_TENSORS entries, and a
 * key repeated within one object (JSON.parse would silently keep the last). Errors name the byte.
 */
function scanHeader(text: string): void {
  const objects: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      if (objects.length === MAX_DEPTH) fail(`header nests deeper than ${MAX_DEPTH} levels at byte ${byteOffset(text, i)}`);
      objects.push(c === '{' ? new Set() : null);
    } else if (c === '}' || c === ']') objects.pop();
    else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return; // an unterminated string: JSON.parse reports it
      let k = j + 1;
      while (' \t\n\r'.includes(text[k])) k++;
      const keys = objects[objects.length - 1];
      if (keys && text[k] === ':') {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          return; // a malformed string: JSON.parse reports it
        }
        if (keys.has(key)) fail(`header has the key '${key}' twice (byte ${byteOffset(text, i)})`);
        keys.add(key);
        if (objects.length === 1 && keys.size - +keys.has('__metadata__') > MAX_TENSORS)
          fail(`header lists more than ${MAX_TENSORS} tensors (at byte ${byteOffset(text, i)}); no real checkpoint holds that many in one file`);
      }
      i = j;
    }
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses and validates the header; returns the entries sorted by offset and where the data starts. */
function readHeader(bytes: Uint8Array): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short to hold the 8-byte header length`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) fail(`header length ${declared} (bytes 0-7) is over the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(declared);
  if (8 + n > bytes.length) fail(`header length ${n} (bytes 0-7) runs past the end of the file (${bytes.length - 8} bytes follow the length)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail(`header (bytes 8-${8 + n}) is not valid UTF-8`);
  }
  scanHeader(text);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`header (bytes 8-${8 + n}) is not valid JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail(`header must be a JSON object, got ${describe(header)}`);

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (info === null) continue;
      if (typeof info !== 'object' || Array.isArray(info)) fail(`__metadata__ must be an object of strings, got ${describe(info)}`);
      for (const [key, value] of Object.entries(info)) {
        if (typeof value !== 'string') fail(`__metadata__ must map strings to strings ('${key}' is ${describe(value)})`);
        Object.defineProperty(metadata, key, { value, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    if (info === null || typeof info !== 'object' || Array.isArray(info))
      fail(`tensor '${name}': expected { dtype, shape, data_offsets }, got ${describe(info)}`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZES)) fail(`tensor '${name}': unknown dtype ${JSON.stringify(dtype)}`);
    if (UNSUPPORTED.has(dtype)) fail(`tensor '${name}': dtype ${dtype} is not supported by Tessera`);
    if (!Array.isArray(shape) || !shape.every(isIndex)) fail(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) {
      fail(`tensor '${name}': data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    const expected = numel(shape) * DTYPE_SIZES[dtype];
    if (end - begin !== expected) {
      fail(`tensor '${name}': shape ${fmtShape(shape)} of ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | null = null;
  for (const e of entries) {
    if (e.end > dataLength) {
      fail(
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] run past the end of the ${dataLength}-byte data buffer (file offset ${dataStart + e.end} > ${bytes.length})`,
      );
    }
    if (e.begin < covered)
      fail(`tensors '${previous!.name}' and '${e.name}' overlap (data_offsets [${previous!.begin}, ${previous!.end}] and [${e.begin}, ${e.end}])`);
    if (e.begin > covered)
      fail(`bytes ${covered}-${e.begin} of the data buffer (file offset ${dataStart + covered}) belong to no tensor; the tensors must cover it without holes`);
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength)
    fail(
      `${dataLength - covered} bytes after the last tensor (file offset ${dataStart + covered}) belong to no tensor; the tensors must cover the data buffer exactly`,
    );
  return { entries, metadata, dataStart };
}

/** IEEE half precision to a number (exact). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bf16Bits = new Uint32Array(1);
const bf16Value = new Float32Array(bf16Bits.buffer);

/** Decodes one tensor's bytes into the typed array its Tessera dtype stores (bool as int32 0/1). */
function decode(e: Entry, bytes: Uint8Array, float64: boolean): Float32Array | Float64Array | Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = numel(e.shape);
  const read = <A extends Float32Array | Float64Array | Int32Array>(out: A, get: (i: number) => number): A => {
    for (let i = 0; i < n; i++) out[i] = get(i);
    return out;
  };
  const checked = (get: (i: number) => number | bigint): Int32Array =>
    read(new Int32Array(n), (i) => {
      const v = get(i);
      if (v < -2147483648 || v > 2147483647)
        fail(`tensor '${e.name}' (${e.dtype}): element ${i} is ${v}, outside the int32 range of Tessera's integer tensors`);
      return Number(v);
    });
  switch (e.dtype) {
    case 'F32':
      return read(new Float32Array(n), (i) => view.getFloat32(i * 4, true));
    case 'F64':
      return read(float64 ? new Float64Array(n) : new Float32Array(n), (i) => view.getFloat64(i * 8, true));
    case 'F16':
      return read(new Float32Array(n), (i) => halfToNumber(view.getUint16(i * 2, true)));
    case 'BF16':
      return read(new Float32Array(n), (i) => ((bf16Bits[0] = view.getUint16(i * 2, true) << 16), bf16Value[0]));
    case 'I32':
      return read(new Int32Array(n), (i) => view.getInt32(i * 4, true));
    case 'I16':
      return read(new Int32Array(n), (i) => view.getInt16(i * 2, true));
    case 'U16':
      return read(new Int32Array(n), (i) => view.getUint16(i * 2, true));
    case 'I8':
      return read(new Int32Array(n), (i) => view.getInt8(i));
    case 'U8':
      return read(new Int32Array(n), (i) => view.getUint8(i));
    case 'U32':
      return checked((i) => view.getUint32(i * 4, true));
    case 'I64':
      return checked((i) => view.getBigInt64(i * 8, true));
    case 'U64':
      return checked((i) => view.getBigUint64(i * 8, true));
    case 'BOOL':
      return read(new Int32Array(n), (i) => {
        if (bytes[i] > 1) fail(`tensor '${e.name}' (BOOL): element ${i} is the byte ${bytes[i]}, not 0 or 1`);
        return bytes[i];
      });
    default:
      return fail(`tensor '${e.name}': unknown dtype ${e.dtype}`);
  }
}

/**
 * Reads a safetensors file from bytes. Every malformation (truncation, a header length past the
 * end, bad JSON, unknown dtypes, shapes disagreeing with byte counts, offsets out of range,
 * overlapping or leaving holes) throws a SafetensorsError naming it; no tensor is made until the
 * whole file has been checked.
 * @example const { tensors, metadata } = deserialize(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 */
export function deserialize(data: Uint8Array | ArrayBuffer, opts: SafetensorsLoadOptions = {}): Safetensors {
  if (!(data instanceof Uint8Array) && !(data instanceof ArrayBuffer))
    throw new TypeError(`deserialize: expected the file's bytes as a Uint8Array or ArrayBuffer, got ${data === null ? 'null' : typeof data}`);
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  V.options('deserialize', opts, ['device']);
  const device = opts.device === undefined ? getDefaultDevice() : V.device('deserialize', opts.device);
  const { entries, metadata, dataStart } = readHeader(bytes);
  const decoded = entries.map((e) => decode(e, bytes.subarray(dataStart + e.begin, dataStart + e.end), device === 'js'));
  const tensors: Record<string, Tensor> = {};
  entries.forEach((e, i) => {
    const values = decoded[i];
    const dtype = e.dtype === 'BOOL' ? 'bool' : values instanceof Int32Array ? 'int32' : values instanceof Float64Array ? 'float64' : 'float32';
    const t = tensor(values, { shape: e.shape, dtype, device });
    // defineProperty: a tensor named "__proto__" must become a key, not a prototype.
    Object.defineProperty(tensors, e.name, { value: t, enumerable: true, writable: true, configurable: true });
  });
  return { tensors, metadata };
}

/**
 * Writes tensors to a .safetensors file (Node; in browsers use `serialize` and save the bytes).
 * @example await save(model.stateDict(), 'model.safetensors', { epochs: '10' });
 */
export async function save(stateDict: StateDict, path: string, metadata?: Record<string, string>): Promise<void> {
  const bytes = serialize(stateDict, metadata);
  const { writeFile } = await nodeFs('save');
  await writeFile(path, bytes);
}

/**
 * Reads a .safetensors file (a path in Node, or its bytes anywhere) into tensors by name; use
 * `deserialize` to get the `__metadata__` too.
 * @example model.loadStateDict(await load('model.safetensors'));
 */
export async function load(source: string | Uint8Array | ArrayBuffer, opts: SafetensorsLoadOptions = {}): Promise<Record<string, Tensor>> {
  V.options('load', opts, ['device']);
  if (typeof source !== 'string') return deserialize(source, opts).tensors;
  const { readFile } = await nodeFs('load');
  try {
    return deserialize(await readFile(source), opts).tensors;
  } catch (e) {
    // Name the file: a directory of checkpoints needs to know which one is bad.
    if (e instanceof SafetensorsError) e.message = e.message.replace(/^safetensors: /, `safetensors: ${source}: `);
    throw e;
  }
}
