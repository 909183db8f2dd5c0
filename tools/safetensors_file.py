"""The one safetensors writer of tools/ (format: the huggingface/safetensors README: u64 LE header
length, a JSON header padded with spaces to a multiple of 8, then the data buffer in header order).

write_safetensors(path, tensors, metadata=None, separators=(",", ":")):
  tensors: (name, dtype, shape, data) in file order; data is the little-endian bytes, or a function
  returning them (called once, in order, so a multi-GB file is never held in memory whole).
  separators: json.dumps's; None for json.dumps's default (", ", ": ").
"""
import json
import struct

DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
               "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def header_bytes(tensors, metadata=None, separators=(",", ":")):
    """The u64 length and the padded JSON header for `tensors` (as write_safetensors takes them)."""
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        nbytes = len(data) if isinstance(data, (bytes, bytearray)) else numel(shape) * DTYPE_BYTES[dtype]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(header, separators=separators).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text


def write_safetensors(path, tensors, metadata=None, separators=(",", ":")):
    tensors = list(tensors)
    with open(path, "wb") as f:
        f.write(header_bytes(tensors, metadata, separators))
        for _, _, _, data in tensors:
            f.write(data if isinstance(data, (bytes, bytearray)) else data())
