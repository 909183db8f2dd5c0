#!/usr/bin/env python3
"""Writes the folder `tools/bench-scan` measures: an A1111-layout install whose
models/Stable-diffusion holds N synthetic SD1.x checkpoints of about MIB MiB each.

Usage: tools/bench-scan-gen.py DIR [--count N] [--mib MIB] [--ckpt-every K]

Each checkpoint holds the first UNet tensors of the SD1.x layout (tools/sd1_layout.py,
real names and shapes, F16) until MIB MiB are filled: a truncated UNet, so pedigree's
fingerprint builder sketches every tensor as it would in a real file (the estimate then
reads `unknown`: coverage). Values are random normal * 0.02, drawn once (seed 1) for all
files, except the first tensor, drawn per file (seed 1000 + i), so every file has its own
SHA-256 while generating 200 files stays cheap. Every K-th file is a PyTorch zip .ckpt (torch.save), the others
safetensors (layout from the safetensors README: u64 LE header size, JSON header padded
to 8 bytes, data). Files already present with the expected size are kept.
"""
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sd1_layout import sd1_tensors  # noqa: E402
import safetensors_file  # noqa: E402


def tensors_for(mib):
    out, total = [], 0
    for name, shape in sd1_tensors():
        if not name.startswith("model.diffusion_model."):
            continue
        n = int(np.prod(shape)) * 2
        if total + n > mib << 20:
            break
        out.append((name, shape))
        total += n
    return out


def values(layout, i):
    """The F16 arrays of file i: shared ones (seed 1) but the first, drawn per file."""
    global _shared
    if _shared is None:
        rng = np.random.default_rng(1)
        _shared = [(rng.standard_normal(int(np.prod(s)), dtype=np.float32) * 0.02).astype("<f2")
                   for _, s in layout]
    own = np.random.default_rng(1000 + i)
    first = (own.standard_normal(_shared[0].size, dtype=np.float32) * 0.02).astype("<f2")
    return [first] + _shared[1:]


_shared = None


def write_safetensors(path, layout, arrays):
    tmp = path + ".tmp"
    safetensors_file.write_safetensors(
        tmp, [(name, "F16", shape, array.tobytes()) for (name, shape), array in zip(layout, arrays)])
    os.replace(tmp, path)


def write_ckpt(path, layout, arrays):
    import torch
    sd = {name: torch.from_numpy(array.reshape(shape).copy())
          for (name, shape), array in zip(layout, arrays)}
    tmp = path + ".tmp"
    torch.save({"state_dict": sd}, tmp)
    os.replace(tmp, path)


def main():
    args = sys.argv[1:]
    opt = lambda k, d: int(args[args.index(k) + 1]) if k in args else d
    root = args[0]
    count, mib, every = opt("--count", 200), opt("--mib", 16), opt("--ckpt-every", 10)
    sd = os.path.join(root, "models", "Stable-diffusion")
    os.makedirs(sd, exist_ok=True)
    layout = tensors_for(mib)
    for i in range(count):
        ckpt = every > 0 and i % every == every - 1
        path = os.path.join(sd, f"model_{i:03d}" + (".ckpt" if ckpt else ".safetensors"))
        if os.path.exists(path) and os.path.getsize(path) > (mib << 20) // 2:
            continue
        (write_ckpt if ckpt else write_safetensors)(path, layout, values(layout, i))
    total = sum(os.path.getsize(os.path.join(sd, f)) for f in os.listdir(sd))
    print(f"bench-scan-gen: {count} files, {len(layout)} UNet tensors each, {total / 2**20:.0f} MiB in {sd}")


if __name__ == "__main__":
    main()
