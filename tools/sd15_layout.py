#!/usr/bin/python3
"""The tensor names and shapes of an SD1.5 checkpoint (LDM layout), generated from the architecture.

UNet (v1-inference.yaml: 320 channels, mult 1,2,4,4, 2 res blocks, attention at levels 0-2, context 768),
CLIP ViT-L/14 text encoder (transformers names under cond_stage_model.transformer.text_model.) and the
KL-f8 VAE (128 channels, mult 1,2,4,4, 2 res blocks, z 4). Parameter counts are checked against
domain.md §4: 859,520,964 + 123,060,557 + 83,653,863 = 1,066,235,384.
"""

def _resblock(p, cin, cout, emb=True):
    out = [(p + "in_layers.0.weight", [cin]), (p + "in_layers.0.bias", [cin]),
           (p + "in_layers.2.weight", [cout, cin, 3, 3]), (p + "in_layers.2.bias", [cout])]
    if emb:
        out += [(p + "emb_layers.1.weight", [cout, 1280]), (p + "emb_layers.1.bias", [cout])]
    out += [(p + "out_layers.0.weight", [cout]), (p + "out_layers.0.bias", [cout]),
            (p + "out_layers.3.weight", [cout, cout, 3, 3]), (p + "out_layers.3.bias", [cout])]
    if cin != cout:
        out += [(p + "skip_connection.weight", [cout, cin, 1, 1]), (p + "skip_connection.bias", [cout])]
    return out

def _transformer(p, c):
    t = p + "transformer_blocks.0."
    out = [(p + "norm.weight", [c]), (p + "norm.bias", [c]),
           (p + "proj_in.weight", [c, c, 1, 1]), (p + "proj_in.bias", [c])]
    for a, ctx in (("attn1", c), ("attn2", 768)):
        out += [(t + a + ".to_q.weight", [c, c]), (t + a + ".to_k.weight", [c, ctx]),
                (t + a + ".to_v.weight", [c, ctx]), (t + a + ".to_out.0.weight", [c, c]),
                (t + a + ".to_out.0.bias", [c])]
    out += [(t + "ff.net.0.proj.weight", [c * 8, c]), (t + "ff.net.0.proj.bias", [c * 8]),
            (t + "ff.net.2.weight", [c, c * 4]), (t + "ff.net.2.bias", [c])]
    for n in ("norm1", "norm2", "norm3"):
        out += [(t + n + ".weight", [c]), (t + n + ".bias", [c])]
    out += [(p + "proj_out.weight", [c, c, 1, 1]), (p + "proj_out.bias", [c])]
    return out

def unet(prefix="model.diffusion_model."):
    p, mult, out = prefix, [1, 2, 4, 4], []
    out += [(p + "time_embed.0.weight", [1280, 320]), (p + "time_embed.0.bias", [1280]),
            (p + "time_embed.2.weight", [1280, 1280]), (p + "time_embed.2.bias", [1280])]
    out += [(p + "input_blocks.0.0.weight", [320, 4, 3, 3]), (p + "input_blocks.0.0.bias", [320])]
    skips, ch, i = [320], 320, 1
    for level, m in enumerate(mult):
        for _ in range(2):
            b = p + "input_blocks.%d." % i
            out += _resblock(b + "0.", ch, 320 * m)
            ch = 320 * m
            if level < 3:
                out += _transformer(b + "1.", ch)
            skips.append(ch)
            i += 1
        if level < 3:
            out += [(p + "input_blocks.%d.0.op.weight" % i, [ch, ch, 3, 3]), (p + "input_blocks.%d.0.op.bias" % i, [ch])]
            skips.append(ch)
            i += 1
    out += _resblock(p + "middle_block.0.", ch, ch) + _transformer(p + "middle_block.1.", ch) + _resblock(p + "middle_block.2.", ch, ch)
    i = 0
    for level in reversed(range(4)):
        for k in range(3):
            b = p + "output_blocks.%d." % i
            cout = 320 * mult[level]
            out += _resblock(b + "0.", ch + skips.pop(), cout)
            ch, sub = cout, 1
            if level < 3:
                out += _transformer(b + "1.", ch)
                sub = 2
            if level > 0 and k == 2:
                out += [(b + "%d.conv.weight" % sub, [ch, ch, 3, 3]), (b + "%d.conv.bias" % sub, [ch])]
            i += 1
    out += [(p + "out.0.weight", [320]), (p + "out.0.bias", [320]), (p + "out.2.weight", [4, 320, 3, 3]), (p + "out.2.bias", [4])]
    return out

def text_encoder(prefix="cond_stage_model.transformer.text_model."):
    p = prefix
    out = [(p + "embeddings.token_embedding.weight", [49408, 768]),
           (p + "embeddings.position_embedding.weight", [77, 768]),
           (p + "embeddings.position_ids", [1, 77])]
    for l in range(12):
        b = p + "encoder.layers.%d." % l
        for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
            out += [(b + "self_attn.%s.weight" % proj, [768, 768]), (b + "self_attn.%s.bias" % proj, [768])]
        out += [(b + "layer_norm1.weight", [768]), (b + "layer_norm1.bias", [768]),
                (b + "mlp.fc1.weight", [3072, 768]), (b + "mlp.fc1.bias", [3072]),
                (b + "mlp.fc2.weight", [768, 3072]), (b + "mlp.fc2.bias", [768]),
                (b + "layer_norm2.weight", [768]), (b + "layer_norm2.bias", [768])]
    out += [(p + "final_layer_norm.weight", [768]), (p + "final_layer_norm.bias", [768])]
    return out

def _vae_res(p, cin, cout):
    out = [(p + "norm1.weight", [cin]), (p + "norm1.bias", [cin]), (p + "conv1.weight", [cout, cin, 3, 3]), (p + "conv1.bias", [cout]),
           (p + "norm2.weight", [cout]), (p + "norm2.bias", [cout]), (p + "conv2.weight", [cout, cout, 3, 3]), (p + "conv2.bias", [cout])]
    if cin != cout:
        out += [(p + "nin_shortcut.weight", [cout, cin, 1, 1]), (p + "nin_shortcut.bias", [cout])]
    return out

def _vae_mid(p, c):
    out = _vae_res(p + "mid.block_1.", c, c)
    out += [(p + "mid.attn_1.norm.weight", [c]), (p + "mid.attn_1.norm.bias", [c])]
    for n in ("q", "k", "v", "proj_out"):
        out += [(p + "mid.attn_1.%s.weight" % n, [c, c, 1, 1]), (p + "mid.attn_1.%s.bias" % n, [c])]
    return out + _vae_res(p + "mid.block_2.", c, c)

def vae(prefix="first_stage_model."):
    p, mult, out = prefix, [1, 2, 4, 4], []
    e = p + "encoder."
    out += [(e + "conv_in.weight", [128, 3, 3, 3]), (e + "conv_in.bias", [128])]
    ch = 128
    for i, m in enumerate(mult):
        for j in range(2):
            out += _vae_res(e + "down.%d.block.%d." % (i, j), ch, 128 * m)
            ch = 128 * m
        if i < 3:
            out += [(e + "down.%d.downsample.conv.weight" % i, [ch, ch, 3, 3]), (e + "down.%d.downsample.conv.bias" % i, [ch])]
    out += _vae_mid(e, ch)
    out += [(e + "norm_out.weight", [ch]), (e + "norm_out.bias", [ch]), (e + "conv_out.weight", [8, ch, 3, 3]), (e + "conv_out.bias", [8])]
    d = p + "decoder."
    out += [(d + "conv_in.weight", [512, 4, 3, 3]), (d + "conv_in.bias", [512])]
    out += _vae_mid(d, 512)
    ch = 512
    for i in reversed(range(4)):
        for j in range(3):
            out += _vae_res(d + "up.%d.block.%d." % (i, j), ch, 128 * mult[i])
            ch = 128 * mult[i]
        if i > 0:
            out += [(d + "up.%d.upsample.conv.weight" % i, [ch, ch, 3, 3]), (d + "up.%d.upsample.conv.bias" % i, [ch])]
    out += [(d + "norm_out.weight", [128]), (d + "norm_out.bias", [128]), (d + "conv_out.weight", [3, 128, 3, 3]), (d + "conv_out.bias", [3])]
    out += [(p + "quant_conv.weight", [8, 8, 1, 1]), (p + "quant_conv.bias", [8]),
            (p + "post_quant_conv.weight", [4, 4, 1, 1]), (p + "post_quant_conv.bias", [4])]
    return out

def sd15():
    return unet() + text_encoder() + vae()

def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n

if __name__ == "__main__":
    for name, part, expected, tensors in (("unet", unet(), 859520964, 686), ("text_encoder", text_encoder(), 123060557, None),
                                          ("vae", vae(), 83653863, None)):
        total = sum(numel(s) for _, s in part)
        print(name, len(part), total, "ok" if total == expected and (tensors is None or tensors == len(part)) else "MISMATCH")
