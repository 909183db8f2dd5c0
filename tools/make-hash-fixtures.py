#!/usr/bin/python3
"""Writes tests/data/hash/: the same small SD-like tensors in every container pedigree reads.

  good_weights_a.safetensors        LDM names, layout order, no metadata
  good_weights_b.safetensors        reversed order, __metadata__ present, schedule buffer dropped
  good_weights.ckpt                 torch.save zip: {"state_dict": ...} with NAI's old CLIP prefix,
                                    a dotless EMA key, schedule buffer, epoch/global_step
  good_weights_legacy.ckpt          the same through torch's legacy (pre-1.6) serialization
  good_weights_changed.safetensors  as _a with one VAE element changed
All five but the last must have the same `weights` and component hashes (tests/hash/*_test.cpp).
Usage: /usr/bin/python3 tools/make-hash-fixtures.py [OUT_DIR]"""
import json, os, struct, sys
import torch

import safetensors_file

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data", "hash")
DT = {torch.float16: ("F16", 2), torch.float32: ("F32", 4), torch.bfloat16: ("BF16", 2), torch.int64: ("I64", 8)}

def tensors():
    g = torch.Generator().manual_seed(1234)
    r = lambda *s: torch.randn(*s, generator=g)
    return {
        "model.diffusion_model.input_blocks.0.0.weight": r(8, 4, 3, 3).half(),
        "model.diffusion_model.input_blocks.0.0.bias": r(8).half(),
        "model.diffusion_model.out.2.bias": r(4),
        "cond_stage_model.transformer.text_model.embeddings.position_ids": torch.arange(77).reshape(1, 77),
        "cond_stage_model.transformer.text_model.final_layer_norm.weight": r(16),
        "first_stage_model.decoder.conv_in.weight": r(4, 2, 3, 3).bfloat16(),
        "model_ema.diffusion_model.out.2.bias": r(4),
        "alphas_cumprod": r(10),
    }

def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()

def write_safetensors(path, items, metadata=None):
    """json.dumps's default separators: the committed fixtures were written so."""
    safetensors_file.write_safetensors(
        path, [(name, DT[t.dtype][0], t.shape, raw_bytes(t)) for name, t in items], metadata,
        separators=None)

def torch_names(d):
    out = {}
    for name, t in d.items():
        if name.startswith("cond_stage_model.transformer.text_model."):
            name = "cond_stage_model.transformer." + name[len("cond_stage_model.transformer.text_model."):]
        if name.startswith("model_ema.diffusion_model."):
            name = "model_ema.diffusion_model" + name[len("model_ema.diffusion_model."):].replace(".", "")
        out[name] = t
    return out

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    d = tensors()
    items = list(d.items())
    write_safetensors(os.path.join(OUT, "good_weights_a.safetensors"), items)
    write_safetensors(os.path.join(OUT, "good_weights_b.safetensors"),
                      [it for it in reversed(items) if it[0] != "alphas_cumprod"], {"title": "reordered"})
    ck = {"state_dict": torch_names(d), "epoch": 3, "global_step": 1234}
    torch.save(ck, os.path.join(OUT, "good_weights.ckpt"))
    torch.save(ck, os.path.join(OUT, "good_weights_legacy.ckpt"), _use_new_zipfile_serialization=False)
    changed = dict(d)
    v = changed["first_stage_model.decoder.conv_in.weight"].clone()
    v[0, 0, 0, 0] += 1
    changed["first_stage_model.decoder.conv_in.weight"] = v
    write_safetensors(os.path.join(OUT, "good_weights_changed.safetensors"), list(changed.items()))
