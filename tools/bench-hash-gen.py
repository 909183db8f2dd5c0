#!/usr/bin/python3
"""Writes the `pedigree hash` benchmark inputs (see tools/bench-hash):
  sd15-fp16.safetensors  SD1.5-shaped, 1,066,235,384 params, F16 (position_ids I64), ~2.0 GiB
  sd15-fp32.ckpt         the same layout in F32 under "state_dict", PyTorch zip, ~4.0 GiB
Values are random (hashing cost does not depend on them). Usage: bench-hash-gen.py DIR"""
import json, os, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sd1_layout  # noqa: E402
import safetensors_file  # noqa: E402

def write_safetensors(path, layout):
    """Random F16 values (int64 0..76 for position_ids), generated tensor by tensor."""
    def tensor(name, shape):
        if name.endswith("position_ids"):
            return (name, "I64", shape, b"".join(struct.pack("<q", i) for i in range(77)))
        return (name, "F16", shape, lambda: os.urandom(sd1_layout.numel(shape) * 2))
    safetensors_file.write_safetensors(path, [tensor(n, s) for n, s in layout], {"format": "pt"})

def write_ckpt(path, layout):
    import torch
    sd = {}
    for name, shape in layout:
        if name.endswith("position_ids"):
            sd[name] = torch.arange(77, dtype=torch.int64).reshape(1, 77)
        else:
            sd[name] = torch.empty(shape, dtype=torch.float32).uniform_(-1, 1)
    torch.save({"state_dict": sd}, path)

if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    layout = sd1_layout.sd1_tensors()
    st, ck = os.path.join(out, "sd15-fp16.safetensors"), os.path.join(out, "sd15-fp32.ckpt")
    if not os.path.exists(st):
        write_safetensors(st, layout)
    if not os.path.exists(ck):
        write_ckpt(ck, layout)
    print(st, os.path.getsize(st))
    print(ck, os.path.getsize(ck))
