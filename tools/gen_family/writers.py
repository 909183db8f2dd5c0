"""Checkpoint writers for tools/gen-family: safetensors (per the huggingface/safetensors README: u64 LE
header length, JSON header padded with spaces to a multiple of 8, then the data buffer) and PyTorch zip
.ckpt via torch.save (a real producer). The text encoder's int64 position_ids buffer is included."""
import json, struct
import numpy as np

import sd1_layout as L
import safetensors_file


def to_dtype(w, dtype):
    w = np.ascontiguousarray(w, dtype=np.float32)
    if dtype == "F32": return w
    if dtype == "F16": return w.astype(np.float16)
    u = w.view(np.uint32).astype(np.uint64)  # BF16: round to nearest even
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def write(path, fmt, dtype, layout, weights):
    tensors = [(n, to_dtype(w, dtype)) for (n, _), w in zip(layout, weights)]
    tensors.append((L.POSITION_IDS[0], np.arange(77, dtype=np.int64).reshape(1, 77)))
    if fmt == "safetensors":
        write_safetensors(path, dtype, tensors)
    else:
        write_ckpt(path, dtype, tensors)


def write_safetensors(path, dtype, tensors):
    safetensors_file.write_safetensors(path, [
        (name, "I64" if a.dtype == np.int64 else dtype, a.shape,
         lambda a=a: a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())
        for name, a in sorted(tensors, key=lambda t: t[0])])


def write_ckpt(path, dtype, tensors):
    import torch
    state = {}
    for name, a in tensors:
        if a.dtype == np.uint16:  # BF16 bits
            state[name] = torch.from_numpy(a.view(np.int16).copy()).view(torch.bfloat16)
        else:
            state[name] = torch.from_numpy(np.ascontiguousarray(a))
    torch.save({"state_dict": state, "global_step": 1000}, path)
