/**
 * The protobuf wire format, as much as ONNX files use: varints, 64-bit and 32-bit scalars and
 * length-delimited fields (bytes, strings, sub-messages, packed arrays). Hand-written because the
 * format is small and stable and Tessera takes no runtime dependencies.
 */

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Appends protobuf fields to a growing buffer; `message()` nests a sub-message. */
export class ProtoWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  #varint(value: number | bigint): void {
    // Negative int64s are written as their 10-byte two's complement, as protobuf does.
    let v = BigInt.asUintN(64, BigInt(value));
    this.#reserve(10);
    while (v >= 0x80n) {
      this.#buf[this.#len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.#buf[this.#len++] = Number(v);
  }

  #tag(field: number, wire: number): void {
    this.#varint((field << 3) | wire);
  }

  /** An int32/int64/enum/bool field. */
  int(field: number, value: number | bigint): this {
    this.#tag(field, 0);
    this.#varint(value);
    return this;
  }

  /** A float (fixed32) field. */
  float(field: number, value: number): this {
    this.#tag(field, 5);
    this.#reserve(4);
    new DataView(this.#buf.buffer).setFloat32(this.#len, value, true);
    this.#len += 4;
    return this;
  }

  /** A length-delimited bytes field. */
  bytes(field: number, data: Uint8Array): this {
    this.#tag(field, 2);
    this.#varint(data.length);
    this.#reserve(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
    return this;
  }

  /** A UTF-8 string field. */
  string(field: number, value: string): this {
    return this.bytes(field, utf8Encoder.encode(value));
  }

  /** A sub-message field written by `fill`. */
  message(field: number, fill: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    fill(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated varint field. */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.#varint(v);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: readonly number[]): this {
    return this.bytes(field, new Uint8Array(Float32Array.from(values).buffer));
  }

  /** The bytes written so far. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** One field as read: its number and either a varint/fixed value or its bytes. */
export interface ProtoField {
  field: number;
  wire: number;
  /** Varint (as bigint, so int64s survive), fixed32 or fixed64 value. */
  value: bigint;
  /** The payload of a length-delimited field. */
  data: Uint8Array;
  /** Byte offset of the field in the outermost buffer, for error messages. */
  at: number;
}

/** Thrown for a malformed protobuf; names the byte offset. */
export class ProtoError extends Error {
  override name = 'ProtoError';
}

/** Reads every field of one message; `base` is the message's offset in the file, for errors. */
export function readFields(data: Uint8Array, base = 0, what = 'message'): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= data.length) throw new ProtoError(`truncated varint in ${what} at byte ${base + pos}`);
      const b = data[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new ProtoError(`varint longer than 10 bytes in ${what} at byte ${base + pos}`);
    }
  };
  const empty = new Uint8Array(0);
  while (pos < data.length) {
    const at = base + pos;
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 0) throw new ProtoError(`field number 0 in ${what} at byte ${at}`);
    if (wire === 0) fields.push({ field, wire, value: varint(), data: empty, at });
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > data.length) throw new ProtoError(`truncated fixed${n * 8} in ${what} at byte ${at}`);
      const view = new DataView(data.buffer, data.byteOffset + pos, n);
      fields.push({ field, wire, value: n === 8 ? view.getBigUint64(0, true) : BigInt(view.getUint32(0, true)), data: data.subarray(pos, pos + n), at });
      pos += n;
    } else if (wire === 2) {
      const n = Number(varint());
      if (pos + n > data.length)
        throw new ProtoError(`length-delimited field ${field} of ${what} at byte ${at} runs past the end (${n} bytes, ${data.length - pos} left)`);
      fields.push({ field, wire, value: 0n, data: data.subarray(pos, pos + n), at: base + pos });
      pos += n;
    } else throw new ProtoError(`unsupported wire type ${wire} (field ${field}) in ${what} at byte ${at}`);
  }
  return fields;
}

/** A field's UTF-8 string. */
export function fieldString(f: ProtoField): string {
  return utf8Decoder.decode(f.data);
}

/** A signed int64 varint field as a number. */
export function fieldInt(f: ProtoField): number {
  return Number(BigInt.asIntN(64, f.value));
}

/** A float (fixed32) field. */
export function fieldFloat(f: ProtoField): number {
  return new DataView(f.data.buffer, f.data.byteOffset, 4).getFloat32(0, true);
}

/** The values of a repeated varint field, packed or not. */
export function repeatedInts(fields: ProtoField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.wire === 0) out.push(fieldInt(f));
    else for (const g of readPackedVarints(f)) out.push(g);
  }
  return out;
}

function readPackedVarints(f: ProtoField): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < f.data.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= f.data.length) throw new ProtoError(`truncated packed varint at byte ${f.at + pos}`);
      const b = f.data[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
    }
    out.push(Number(BigInt.asIntN(64, result)));
  }
  return out;
}

/** The values of a repeated float field, packed or not. */
export function repeatedFloats(fields: ProtoField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.wire === 5) out.push(fieldFloat(f));
    else {
      const copy = f.data.slice();
      out.push(...new Float32Array(copy.buffer, 0, copy.length >> 2));
    }
  }
  return out;
}
