import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsError, deserialize, load, save, serialize, tensor, tidy, type Tensor } from '../src/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const PYTHON = '/usr/bin/python3';
const tmp = mkdtempSync(join(tmpdir(), 'tessera-safetensors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Dumped {
  metadata: Record<string, string> | null;
  tensors: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number]; values: (number | boolean)[] }>;
}

/** A file whose header is `header` (as given, padded to 8) and whose data buffer is `data`. */
function fileWith(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + data.length).fill(0x20, 8, 8 + n);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.set(data, 8 + n);
  return out;
}

function headerOf(bytes: Uint8Array): Record<string, unknown> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

/** Values, shape and dtype of every tensor, for comparing two reads. */
function snapshot(tensors: Record<string, Tensor>) {
  return Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], values: Array.from(t.toArray()) }]));
}

const f32 = (values: number[], shape = [values.length]) => tensor(values, { shape, dtype: 'float32' });
const i32 = (values: number[], shape = [values.length]) => tensor(values, { shape, dtype: 'int32' });

describe('safetensors: writing matches the reference implementation', () => {
  it('writes the bytes of the reference test_serialization case', () => {
    // safetensors/src/tensor.rs, test_serialization: "attn.0" F32 [1, 2, 3] holding 0..5.
    const bytes = serialize({ 'attn.0': f32([0, 1, 2, 3, 4, 5], [1, 2, 3]) });
    expect(Array.from(bytes)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97,
      112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125,
      0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  it('pads the header with spaces to a multiple of 8 (reference test_empty)', () => {
    expect(Array.from(serialize({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(serialize({}, { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34,
      58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  it('orders tensors by dtype alignment (largest first), then by name, with __metadata__ first', () => {
    const bytes = serialize(
      { b: tensor([true, false]), '10': f32([1]), a: i32([7]), '2': f32([2]), c: tensor([0.5], { dtype: 'float64', device: 'js' }) },
      { z: '1', a: '2' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd();
    expect(text).toBe(
      '{"__metadata__":{"a":"2","z":"1"},' +
        '"c":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' +
        '"10":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
        '"2":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},' +
        '"a":{"dtype":"I32","shape":[1],"data_offsets":[16,20]},' +
        '"b":{"dtype":"BOOL","shape":[2],"data_offsets":[20,22]}}',
    );
    expect((8 + n) % 8).toBe(0);
  });

  it('refuses to write a tensor named __metadata__ or non-string metadata', () => {
    expect(() => serialize({ __metadata__: f32([1]) })).toThrow(/'__metadata__' is reserved/);
    expect(() => serialize({}, { epoch: 3 as unknown as string })).toThrow(/'epoch' is number/);
  });
});

describe('safetensors: round trips', () => {
  it('keeps names, shapes, dtypes, values and metadata (float32, int32, bool, 0-d, empty)', () => {
    tidy(() => {
      const state = {
        'layer.0.weight': f32([1.5, -2.25, 3e-8, 65504, -0, 1e30], [2, 3]),
        'layer.0.bias': f32([0.1, 0.2]),
        count: i32([2147483647, -2147483648, 0]),
        mask: tensor([
          [true, false],
          [false, true],
        ]),
        scalar: tensor(4.5),
        empty: tensor(new Float32Array(0), { shape: [0, 5] }),
        ['__proto__']: i32([9]),
        'naïve ✓': f32([1]),
      };
      const { tensors, metadata } = deserialize(serialize(state, { format: 'pt', note: 'ünïcode' }));
      expect(metadata).toEqual({ format: 'pt', note: 'ünïcode' });
      expect(Object.keys(tensors).sort()).toEqual(Object.keys(state).sort());
      expect(snapshot(tensors)).toEqual(snapshot(state));
      expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    });
  });

  it('writes a non-contiguous view in its logical row-major order', () => {
    const view = f32([1, 2, 3, 4, 5, 6], [2, 3]).t();
    expect(deserialize(serialize({ view })).tensors.view.tolist()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
  });

  it('reads F64 as float64 on the js device and as float32 on wasm', () => {
    const bytes = serialize({ x: tensor([0.1, 1e100], { dtype: 'float64', device: 'js' }) });
    const onJs = deserialize(bytes, { device: 'js' }).tensors.x;
    expect(onJs.dtype).toBe('float64');
    expect(Array.from(onJs.toArray())).toEqual([0.1, 1e100]);
    const onWasm = deserialize(bytes, { device: 'wasm' }).tensors.x;
    expect(onWasm.dtype).toBe('float32');
    expect(Array.from(onWasm.toArray())).toEqual([Math.fround(0.1), Infinity]);
  });

  it('save() writes a file and load() reads it back (from a path or from bytes)', async () => {
    const path = join(tmp, 'model.safetensors');
    await save({ w: f32([1, 2, 3, 4], [2, 2]), steps: i32([10]) }, path, { epoch: '3' });
    const loaded = await load(path);
    expect(loaded.w.tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(loaded.steps.tolist()).toEqual([10]);
    expect(Object.keys(await load(readFileSync(path)))).toEqual(['w', 'steps']);
    expect(deserialize(readFileSync(path)).metadata).toEqual({ epoch: '3' });
  });
});

describe('safetensors: interoperability with an independent reader (scripts/safetensors_reader.py)', () => {
  it('reads the file the Python writer wrote (all dtypes it uses, 0-d and empty tensors, metadata)', () => {
    const dump: Dumped = JSON.parse(readFileSync(join(FIXTURES, 'python-written.json'), 'utf8'));
    const { tensors, metadata } = deserialize(readFileSync(join(FIXTURES, 'python-written.safetensors')));
    expect(metadata).toEqual(dump.metadata);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(dump.tensors).sort());
    const expectedDtype: Record<string, string> = {
      F32: 'float32',
      F64: 'float32',
      F16: 'float32',
      BF16: 'float32',
      I32: 'int32',
      I64: 'int32',
      U8: 'int32',
      BOOL: 'bool',
    };
    for (const [name, info] of Object.entries(dump.tensors)) {
      const t = tensors[name];
      expect(t.shape, name).toEqual(info.shape);
      expect(t.dtype, name).toBe(expectedDtype[info.dtype]);
      const expected = info.values.map((v) => (info.dtype === 'F64' ? Math.fround(v as number) : +v));
      expect(Array.from(t.toArray()), name).toEqual(expected);
    }
    expect(tensors.steps.item()).toBe(123456789);
    expect(tensors.half.tolist()).toEqual([1.5, -0.0009765625, 65504]);
  });

  const tesseraState = () => ({
    'fc.weight': f32([0.5, -1.5, 2.25, 1e-7, -3.75, 100], [3, 2]),
    'fc.bias': f32([0.125, -0.25, 4]),
    'bn.num_batches_tracked': i32([42], []),
    ids: i32([-5, 0, 5, 2147483647]),
    mask: tensor([true, false, true]),
    empty: tensor(new Float32Array(0), { shape: [2, 0] }),
  });

  it('writes the committed tessera-written.safetensors byte for byte, and the Python dump of it agrees', () => {
    const bytes = serialize(tesseraState(), { format: 'pt', written_by: 'tessera' });
    // To regenerate: TESSERA_UPDATE_FIXTURES=1 npx vitest run tests/safetensors.test.ts, then
    // /usr/bin/python3 scripts/safetensors_reader.py dump tests/fixtures/tessera-written.safetensors > tests/fixtures/tessera-written.json
    if (process.env.TESSERA_UPDATE_FIXTURES) writeFileSync(join(FIXTURES, 'tessera-written.safetensors'), bytes);
    expect(Buffer.from(bytes).equals(readFileSync(join(FIXTURES, 'tessera-written.safetensors')))).toBe(true);
    const dump: Dumped = JSON.parse(readFileSync(join(FIXTURES, 'tessera-written.json'), 'utf8'));
    expectDumpMatches(dump, bytes);
  });

  it.skipIf(!existsSync(PYTHON))(`the Python reader reads a file Tessera writes now${existsSync(PYTHON) ? '' : ' (skipped: no /usr/bin/python3)'}`, () => {
    const path = join(tmp, 'for-python.safetensors');
    const bytes = serialize({ ...tesseraState(), extra: f32([Math.PI, -Math.E]) }, { k: 'v' });
    writeFileSync(path, bytes);
    const dump: Dumped = JSON.parse(execFileSync(PYTHON, [join(import.meta.dirname, '../scripts/safetensors_reader.py'), 'dump', path], { encoding: 'utf8' }));
    expectDumpMatches(dump, bytes);
  });
});

function expectDumpMatches(dump: Dumped, bytes: Uint8Array): void {
  const header = headerOf(bytes) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const { tensors, metadata } = deserialize(bytes);
  expect(dump.metadata).toEqual(metadata);
  expect(Object.keys(dump.tensors).sort()).toEqual(Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    const d = dump.tensors[name];
    expect(d.dtype, name).toBe(header[name].dtype);
    expect(d.shape, name).toEqual([...t.shape]);
    expect(d.data_offsets, name).toEqual(header[name].data_offsets);
    expect(d.values.map(Number), name).toEqual(Array.from(t.toArray()));
  }
}

describe('safetensors: malformed files are rejected with an error naming the problem', () => {
  const good = () => serialize({ a: f32([1, 2]), b: i32([3]) });
  const bad: [string, () => Uint8Array, RegExp][] = [
    ['a file shorter than the length prefix', () => new Uint8Array(5), /5 bytes, too short/],
    [
      'a header length past the end of the file',
      () => {
        const b = good();
        b[0] = 200;
        return b;
      },
      /header length 200 .* runs past the end/,
    ],
    [
      'a header length over the 100 MB limit',
      () => {
        const b = good();
        b[7] = 1;
        return b;
      },
      /over the 100000000-byte limit/,
    ],
    ['a header that is not UTF-8', () => fileWith('{"a":"xx"}').map((v, i) => (i === 14 ? 0xff : v)), /not valid UTF-8/],
    ['a header that is not JSON', () => fileWith('{"a": {'), /not valid JSON/],
    ['a header that is a JSON array', () => fileWith('[1, 2]'), /must be a JSON object, got an array/],
    ['a header that is null', () => fileWith('null'), /must be a JSON object, got null/],
    ['an unknown dtype', () => fileWith({ a: { dtype: 'F31', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'a': unknown dtype "F31"/],
    ['an unsupported dtype', () => fileWith({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /F8_E4M3 is not supported/],
    [
      'a shape that disagrees with the byte count',
      () => fileWith({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, new Uint8Array(20)),
      /shape \[2, 3\] of F32 needs 24 bytes but data_offsets \[0, 20\] span 20/,
    ],
    ['a negative dimension', () => fileWith({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }), /shape must be an array of non-negative integers/],
    [
      'offsets with begin after end',
      () => fileWith({ a: { dtype: 'U8', shape: [0], data_offsets: [4, 2] } }, new Uint8Array(4)),
      /data_offsets must be \[begin, end\]/,
    ],
    [
      'offsets past the end of the data',
      () => fileWith({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)),
      /tensor 'a': data_offsets \[0, 8\] run past the end of the 4-byte data buffer/,
    ],
    [
      'overlapping tensors',
      () => fileWith({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
      /tensors 'a' and 'b' overlap/,
    ],
    [
      'a hole between tensors',
      () => fileWith({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12)),
      /bytes 4-8 of the data buffer .* belong to no tensor/,
    ],
    [
      'trailing bytes after the last tensor',
      () => fileWith({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(6)),
      /2 bytes after the last tensor/,
    ],
    [
      'a key given twice',
      () => fileWith('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1)),
      /the key 'a' twice/,
    ],
    ['non-string metadata', () => fileWith({ __metadata__: { epoch: 3 } }), /'epoch' is number/],
    ['an entry that is not an object', () => fileWith({ a: [1, 2] }), /tensor 'a': expected \{ dtype, shape, data_offsets \}, got an array/],
    [
      'an I64 value outside int32',
      () => fileWith({ a: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])),
      /tensor 'a' \(I64\): element 1 is 4294967296, outside the int32 range/,
    ],
    [
      'a BOOL byte other than 0 or 1',
      () => fileWith({ a: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }, new Uint8Array([1, 7])),
      /element 1 is the byte 7, not 0 or 1/,
    ],
  ];
  for (const [what, make, message] of bad) {
    it(`rejects ${what}`, () => {
      let error: unknown;
      try {
        deserialize(make());
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SafetensorsError);
      expect((error as Error).message).toMatch(message);
    });
  }

  it('reads I64 and U8 values that fit into int32', () => {
    const data = new Uint8Array(18);
    new DataView(data.buffer).setBigInt64(0, -2147483648n, true);
    new DataView(data.buffer).setBigInt64(8, 2147483647n, true);
    data.set([0, 255], 16);
    const { tensors } = deserialize(
      fileWith({ a: { dtype: 'I64', shape: [2], data_offsets: [0, 16] }, u: { dtype: 'U8', shape: [2], data_offsets: [16, 18] } }, data),
    );
    expect(tensors.a.tolist()).toEqual([-2147483648, 2147483647]);
    expect(tensors.u.tolist()).toEqual([0, 255]);
  });
});

describe('safetensors: generated corruptions', () => {
  const arbTensor = fc.oneof(
    fc.record({ kind: fc.constant('F32' as const), shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }) }),
    fc.record({ kind: fc.constant('I32' as const), shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }) }),
    fc.record({ kind: fc.constant('BOOL' as const), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 2 }) }),
  );
  const arbState = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '__metadata__'),
    arbTensor,
    { minKeys: 1, maxKeys: 4 },
  );
  const arbMeta = fc.option(fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 6 }), { maxKeys: 2 }), { nil: undefined });

  function build(spec: Record<string, { kind: 'F32' | 'I32' | 'BOOL'; shape: number[] }>, seed: number): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    let k = seed;
    for (const [name, { kind, shape }] of Object.entries(spec)) {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: n }, () => (k = (k * 1103515245 + 12345) % 2147483648));
      const t =
        kind === 'F32'
          ? f32(
              values.map((v) => v / 1e6 - 1000),
              shape,
            )
          : kind === 'I32'
            ? i32(
                values.map((v) => v - 1e9),
                shape,
              )
            : tensor(
                values.map((v) => v % 2),
                { shape, dtype: 'bool' },
              );
      Object.defineProperty(out, name, { value: t, enumerable: true });
    }
    return out;
  }

  /** A corrupted file must either be rejected with a SafetensorsError or read consistently. */
  function checkOutcome(bytes: Uint8Array): 'rejected' | 'accepted' {
    return tidy(() => {
      let read: ReturnType<typeof deserialize>;
      try {
        read = deserialize(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(SafetensorsError);
        return 'rejected';
      }
      // Accepted: every tensor is exactly what its header entry and bytes say, and re-writing
      // then re-reading gives the same tensors.
      const header = headerOf(bytes) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
      const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      for (const [name, t] of Object.entries(read.tensors)) {
        const info = header[name];
        expect([...t.shape]).toEqual(info.shape);
        const raw = bytes.subarray(8 + n + info.data_offsets[0], 8 + n + info.data_offsets[1]);
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        const expected = Array.from({ length: t.numel() }, (_, i) =>
          info.dtype === 'F32' ? view.getFloat32(4 * i, true) : info.dtype === 'I32' ? view.getInt32(4 * i, true) : raw[i],
        );
        expect(Array.from(t.toArray())).toEqual(expected);
      }
      const again = deserialize(serialize(read.tensors, read.metadata));
      expect(snapshot(again.tensors)).toEqual(snapshot(read.tensors));
      expect(again.metadata).toEqual(read.metadata);
      return 'accepted';
    });
  }

  it('a file cut short anywhere is rejected', () => {
    fc.assert(
      fc.property(arbState, fc.nat(), fc.nat(), (spec, seed, cut) => {
        const bytes = tidy(() => serialize(build(spec, seed)));
        expect(checkOutcome(bytes.slice(0, cut % bytes.length))).toBe('rejected');
      }),
      { numRuns: 150 },
    );
  });

  it('flipped bytes anywhere are rejected or read consistently', () => {
    fc.assert(
      fc.property(
        arbState,
        arbMeta,
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        (spec, meta, seed, flips) => {
          const bytes = tidy(() => serialize(build(spec, seed), meta));
          for (const [at, mask] of flips) bytes[at % bytes.length] ^= mask;
          checkOutcome(bytes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a random header length is rejected unless it is the true one', () => {
    fc.assert(
      fc.property(arbState, fc.nat(), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (spec, seed, length) => {
        const bytes = tidy(() => serialize(build(spec, seed)));
        const view = new DataView(bytes.buffer);
        const truth = view.getBigUint64(0, true);
        view.setBigUint64(0, length, true);
        expect(checkOutcome(bytes)).toBe(length === truth ? 'accepted' : 'rejected');
      }),
      { numRuns: 150 },
    );
  });

  it('random data_offsets, shapes and dtypes in the header are rejected or read consistently', () => {
    const mutation = fc.oneof(
      fc.record({ field: fc.constant('data_offsets' as const), value: fc.tuple(fc.integer({ min: -2, max: 60 }), fc.integer({ min: -2, max: 60 })) }),
      fc.record({ field: fc.constant('shape' as const), value: fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 3 }) }),
      fc.record({ field: fc.constant('dtype' as const), value: fc.constantFrom('F32', 'I32', 'BOOL', 'U8', 'F16', 'I64', 'F64', 'X', 'f32', '') }),
    );
    let accepted = 0;
    fc.assert(
      fc.property(arbState, fc.nat(), fc.nat(), mutation, (spec, seed, which, { field, value }) => {
        const bytes = tidy(() => serialize(build(spec, seed)));
        const header = headerOf(bytes) as Record<string, Record<string, unknown>>;
        const names = Object.keys(header);
        header[names[which % names.length]][field] = value;
        const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        if (checkOutcome(fileWith(header, bytes.subarray(8 + n))) === 'accepted') accepted++;
      }),
      { numRuns: 300 },
    );
    // Some mutations are harmless (e.g. an offset left as it was); the property covers both outcomes.
    expect(accepted).toBeGreaterThan(0);
  });
});
