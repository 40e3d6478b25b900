"""An independent safetensors reader and writer, written from the format's description
(https://github.com/huggingface/safetensors#format) with the standard library only (json, struct),
to cross-check Tessera's src/io/safetensors.ts.

    python3 scripts/safetensors_reader.py dump FILE           # prints the file as JSON
    python3 scripts/safetensors_reader.py write-fixture FILE  # writes tests/fixtures/python-written.safetensors

The format: 8 bytes little-endian u64 N, then N bytes of JSON header, then the data buffer. The
header maps names to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the data
buffer) plus an optional "__metadata__" map of strings. The tensors must cover the data buffer
exactly, without overlaps or holes.
"""
import json
import struct
import sys

# dtype -> (struct format character, size in bytes); BF16 is handled apart (no struct code).
FORMATS = {
    "BOOL": ("?", 1), "U8": ("B", 1), "I8": ("b", 1), "I16": ("h", 2), "U16": ("H", 2),
    "F16": ("e", 2), "BF16": (None, 2), "I32": ("i", 4), "U32": ("I", 4), "F32": ("f", 4),
    "F64": ("d", 8), "I64": ("q", 8), "U64": ("Q", 8),
}


class FormatError(Exception):
    pass


def count(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    for k in keys:
        if keys.count(k) > 1:
            raise FormatError(f"duplicate key {k!r} in the header")
    return dict(pairs)


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise FormatError("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise FormatError(f"header length {n} runs past the end of the file")
    header = json.loads(raw[8 : 8 + n].decode("utf-8"), object_pairs_hook=no_duplicates)
    if not isinstance(header, dict):
        raise FormatError("header is not a JSON object")
    data = raw[8 + n :]
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not all(isinstance(v, str) for v in metadata.values()):
        raise FormatError("__metadata__ values must be strings")
    spans = []
    tensors = {}
    for name, info in header.items():
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in FORMATS:
            raise FormatError(f"{name}: unknown dtype {dtype}")
        code, size = FORMATS[dtype]
        if end - begin != count(shape) * size:
            raise FormatError(f"{name}: shape {shape} does not match {end - begin} bytes")
        if end > len(data):
            raise FormatError(f"{name}: offsets past the end of the data")
        spans.append((begin, end, name))
        chunk = data[begin:end]
        if code is None:
            values = [struct.unpack("<f", b"\0\0" + chunk[i : i + 2])[0] for i in range(0, len(chunk), 2)]
        else:
            values = list(struct.unpack(f"<{count(shape)}{code}", chunk))
        tensors[name] = {"dtype": dtype, "shape": shape, "data_offsets": [begin, end], "values": values}
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise FormatError(f"{name}: starts at {begin}, expected {position} (overlap or hole)")
        position = end
    if position != len(data):
        raise FormatError("the tensors do not cover the data buffer")
    return {"metadata": metadata, "tensors": tensors}


def write(path, tensors, metadata=None):
    """tensors: name -> (dtype, shape, flat values). Orders tensors by name (any order is valid)."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name in sorted(tensors):
        dtype, shape, values = tensors[name]
        code, _ = FORMATS[dtype]
        if code is None:
            blob = b"".join(struct.pack("<f", v)[2:] for v in values)
        else:
            blob = struct.pack(f"<{len(values)}{code}", *values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


FIXTURE = {
    "linear.weight": ("F32", [2, 3], [0.5, -1.25, 3.0, 1e-3, -0.0, 65504.0]),
    "linear.bias": ("F32", [2], [0.25, -8.0]),
    "double": ("F64", [3], [0.1, -2.5, 1e100]),
    "counts": ("I32", [2, 2], [1, -2, 2147483647, -2147483648]),
    "steps": ("I64", [], [123456789]),
    "mask": ("BOOL", [4], [True, False, False, True]),
    "pixels": ("U8", [2, 2], [0, 17, 128, 255]),
    "half": ("F16", [3], [1.5, -0.0009765625, 65504.0]),
    "brain": ("BF16", [2], [1.0, -3.140625]),
    "empty": ("F32", [0, 4], []),
}

if __name__ == "__main__":
    command, target = sys.argv[1], sys.argv[2]
    if command == "dump":
        try:
            print(json.dumps(read(target), indent=1, sort_keys=True))
        except (FormatError, ValueError, KeyError, TypeError, struct.error) as e:
            print(f"invalid safetensors file: {e}", file=sys.stderr)
            sys.exit(1)
    elif command == "write-fixture":
        write(target, FIXTURE, {"format": "pt", "written_by": "scripts/safetensors_reader.py"})
    else:
        sys.exit(f"unknown command {command}")
