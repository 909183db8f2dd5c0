#!/usr/bin/python3
"""Independent implementation of pedigree's weights hash (docs/formats/weights-hash.md, v1).

Usage: tools/weights-hash.py FILE.safetensors   -> prints {"weights": hex, "components": {...}}
Reads a safetensors file whose tensor names are already canonical (LDM layout, no wrappers);
BLAKE3 is implemented here in pure Python from its specification (slow: for small test files).
"""
import json, struct, sys

IV = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19]
PERM = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8]
M32 = 0xFFFFFFFF

def compress(cv, block, counter, block_len, flags):
    m = list(struct.unpack("<16I", block.ljust(64, b"\0")))
    v = cv[:] + IV[:4] + [counter & M32, counter >> 32, block_len, flags]
    def g(a, b, c, d, x, y):
        v[a] = (v[a] + v[b] + x) & M32; v[d] = ((v[d] ^ v[a]) >> 16 | (v[d] ^ v[a]) << 16) & M32
        v[c] = (v[c] + v[d]) & M32; v[b] = ((v[b] ^ v[c]) >> 12 | (v[b] ^ v[c]) << 20) & M32
        v[a] = (v[a] + v[b] + y) & M32; v[d] = ((v[d] ^ v[a]) >> 8 | (v[d] ^ v[a]) << 24) & M32
        v[c] = (v[c] + v[d]) & M32; v[b] = ((v[b] ^ v[c]) >> 7 | (v[b] ^ v[c]) << 25) & M32
    for r in range(7):
        g(0, 4, 8, 12, m[0], m[1]); g(1, 5, 9, 13, m[2], m[3]); g(2, 6, 10, 14, m[4], m[5]); g(3, 7, 11, 15, m[6], m[7])
        g(0, 5, 10, 15, m[8], m[9]); g(1, 6, 11, 12, m[10], m[11]); g(2, 7, 8, 13, m[12], m[13]); g(3, 4, 9, 14, m[14], m[15])
        m = [m[i] for i in PERM]
    return [v[i] ^ v[i + 8] for i in range(8)]

def blake3(data):
    """32-byte BLAKE3 hash: chunk chaining values, then parents merged left to right pairwise."""
    chunks = [data[i:i + 1024] for i in range(0, len(data), 1024)] or [b""]
    def chunk_cv(index, chunk, root):
        cv, blocks = IV[:], [chunk[i:i + 64] for i in range(0, len(chunk), 64)] or [b""]
        for j, b in enumerate(blocks):
            flags = (1 if j == 0 else 0) | (2 if j == len(blocks) - 1 else 0) | (8 if root and j == len(blocks) - 1 else 0)
            cv = compress(cv, b, index, len(b), flags)
        return cv
    if len(chunks) == 1:
        return struct.pack("<8I", *chunk_cv(0, chunks[0], True))
    def subtree(lo, hi, root):  # left subtree holds the largest power of two chunks < hi - lo
        if hi - lo == 1:
            return chunk_cv(lo, chunks[lo], False)
        split = 1 << ((hi - lo - 1).bit_length() - 1)
        left, right = subtree(lo, lo + split, False), subtree(lo + split, hi, False)
        return compress(IV, struct.pack("<16I", *(left + right)), 0, 64, 4 | (8 if root else 0))
    return struct.pack("<8I", *subtree(0, len(chunks), True))

def component(name):
    for prefix, comp in (("model.diffusion_model.", "unet"), ("model_ema.diffusion_model", "unet_ema"),
                         ("cond_stage_model.", "text_encoder"), ("conditioner.embedders.", "text_encoder"),
                         ("first_stage_model.", "vae")):
        if name.startswith(prefix):
            return comp
    return None

def record(name, dtype, shape, data):
    n, d = name.encode(), dtype.encode()
    return (struct.pack("<I", len(n)) + n + bytes([len(d)]) + d + struct.pack("<I", len(shape))
            + b"".join(struct.pack("<Q", x) for x in shape) + blake3(data))

def final(records):
    return blake3(b"pedigree-weights-v1\0" + b"".join(r for _, r in sorted(records))).hex()

def main(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header, base = json.loads(raw[8:8 + n]), 8 + n
    records, by_comp = [], {}
    for name, t in header.items():
        comp = component(name) if name != "__metadata__" else None
        if comp is None:
            continue
        begin, end = t["data_offsets"]
        r = (name.encode(), record(name, t["dtype"], t["shape"], raw[base + begin:base + end]))
        records.append(r)
        by_comp.setdefault(comp, []).append(r)
    print(json.dumps({"weights": final(records), "components": {c: final(rs) for c, rs in by_comp.items()}}))

if __name__ == "__main__":
    main(sys.argv[1])
