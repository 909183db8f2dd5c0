"""SD1.x checkpoint layout (LDM key names and shapes), optionally scaled down: the one layout
generator of tools/ (the fixtures, the benchmarks and the synthetic families all use it; the C++ one,
src/pedigree/formats/names_layout.cpp, is pedigree's own and is checked against the same counts).

Generated from the architecture (ldm v1-inference.yaml: UNet 320 channels, mult 1,2,4,4, 2 res blocks,
attention at levels 0-2, context 768; CLIP ViT-L/14 text encoder, 12 layers of width 768; KL-f8 VAE,
128 channels, mult 1,2,4,4). At scale 1 it gives 686 UNet tensors with 859,520,964 parameters, the
text encoder's 123,060,557 and the VAE's 83,653,863 (checked by `/usr/bin/python3 tools/sd1_layout.py`).
`scale` divides every width (and the CLIP vocabulary) so the synthetic family stays small.
"""

from safetensors_file import numel  # noqa: F401 (callers use sd1_layout.numel)

# The published parameter counts the layout reproduces at scale 1.
SD1_PARAMS = {"unet": 859_520_964, "te": 123_060_557, "vae": 83_653_863}

UNET = "model.diffusion_model."
TE = "cond_stage_model.transformer.text_model."
VAE = "first_stage_model."


def unet_layout(scale=1):
    c, ctx = 320 // scale, 768 // scale
    out = []

    def add(name, *shape):
        out.append((UNET + name, tuple(shape)))

    def resblock(p, cin, cout):
        add(p + "in_layers.0.weight", cin); add(p + "in_layers.0.bias", cin)
        add(p + "in_layers.2.weight", cout, cin, 3, 3); add(p + "in_layers.2.bias", cout)
        add(p + "emb_layers.1.weight", cout, 4 * c); add(p + "emb_layers.1.bias", cout)
        add(p + "out_layers.0.weight", cout); add(p + "out_layers.0.bias", cout)
        add(p + "out_layers.3.weight", cout, cout, 3, 3); add(p + "out_layers.3.bias", cout)
        if cin != cout:
            add(p + "skip_connection.weight", cout, cin, 1, 1); add(p + "skip_connection.bias", cout)

    def transformer(p, ch):
        add(p + "norm.weight", ch); add(p + "norm.bias", ch)
        add(p + "proj_in.weight", ch, ch, 1, 1); add(p + "proj_in.bias", ch)
        b = p + "transformer_blocks.0."
        for a, kv in (("attn1", ch), ("attn2", ctx)):
            add(b + a + ".to_q.weight", ch, ch)
            add(b + a + ".to_k.weight", ch, kv)
            add(b + a + ".to_v.weight", ch, kv)
            add(b + a + ".to_out.0.weight", ch, ch); add(b + a + ".to_out.0.bias", ch)
            if a == "attn1":
                add(b + "ff.net.0.proj.weight", 8 * ch, ch); add(b + "ff.net.0.proj.bias", 8 * ch)
                add(b + "ff.net.2.weight", ch, 4 * ch); add(b + "ff.net.2.bias", ch)
        for n in ("norm1", "norm2", "norm3"):
            add(b + n + ".weight", ch); add(b + n + ".bias", ch)
        add(p + "proj_out.weight", ch, ch, 1, 1); add(p + "proj_out.bias", ch)

    add("time_embed.0.weight", 4 * c, c); add("time_embed.0.bias", 4 * c)
    add("time_embed.2.weight", 4 * c, 4 * c); add("time_embed.2.bias", 4 * c)
    add("input_blocks.0.0.weight", c, 4, 3, 3); add("input_blocks.0.0.bias", c)
    mult = (1, 2, 4, 4)
    chans, ch, i = [c], c, 1
    for level, m in enumerate(mult):
        for _ in range(2):
            resblock("input_blocks.%d.0." % i, ch, m * c)
            ch = m * c
            if level < 3:
                transformer("input_blocks.%d.1." % i, ch)
            chans.append(ch); i += 1
        if level < 3:
            add("input_blocks.%d.0.op.weight" % i, ch, ch, 3, 3); add("input_blocks.%d.0.op.bias" % i, ch)
            chans.append(ch); i += 1
    resblock("middle_block.0.", ch, ch); transformer("middle_block.1.", ch); resblock("middle_block.2.", ch, ch)
    o = 0
    for level in reversed(range(4)):
        m = mult[level]
        for j in range(3):
            resblock("output_blocks.%d.0." % o, ch + chans.pop(), m * c)
            ch = m * c
            k = 1
            if level < 3:
                transformer("output_blocks.%d.1." % o, ch); k = 2
            if level > 0 and j == 2:
                add("output_blocks.%d.%d.conv.weight" % (o, k), ch, ch, 3, 3)
                add("output_blocks.%d.%d.conv.bias" % (o, k), ch)
            o += 1
    add("out.0.weight", c); add("out.0.bias", c)
    add("out.2.weight", 4, c, 3, 3); add("out.2.bias", 4)
    return out


def te_layout(scale=1):
    w, vocab = 768 // scale, 49408 // scale
    out = [(TE + "embeddings.token_embedding.weight", (vocab, w)),
           (TE + "embeddings.position_embedding.weight", (77, w))]
    for i in range(12):
        p = TE + "encoder.layers.%d." % i
        for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
            out += [(p + "self_attn.%s.weight" % proj, (w, w)), (p + "self_attn.%s.bias" % proj, (w,))]
        out += [(p + "layer_norm1.weight", (w,)), (p + "layer_norm1.bias", (w,)),
                (p + "mlp.fc1.weight", (4 * w, w)), (p + "mlp.fc1.bias", (4 * w,)),
                (p + "mlp.fc2.weight", (w, 4 * w)), (p + "mlp.fc2.bias", (w,)),
                (p + "layer_norm2.weight", (w,)), (p + "layer_norm2.bias", (w,))]
    out += [(TE + "final_layer_norm.weight", (w,)), (TE + "final_layer_norm.bias", (w,))]
    return out


POSITION_IDS = (TE + "embeddings.position_ids", (1, 77))


def vae_layout(scale=1):
    ch, mult = 128 // scale, (1, 2, 4, 4)
    out = []

    def add(name, *shape):
        out.append((VAE + name, tuple(shape)))

    def norm(p, n):
        add(p + ".weight", n); add(p + ".bias", n)

    def conv(p, cout, cin, k):
        add(p + ".weight", cout, cin, k, k); add(p + ".bias", cout)

    def resnet(p, cin, cout):
        norm(p + "norm1", cin); conv(p + "conv1", cout, cin, 3)
        norm(p + "norm2", cout); conv(p + "conv2", cout, cout, 3)
        if cin != cout:
            conv(p + "nin_shortcut", cout, cin, 1)

    def attn(p, n):
        norm(p + "norm", n)
        for x in ("q", "k", "v", "proj_out"):
            conv(p + x, n, n, 1)

    def mid(p, n):
        resnet(p + "mid.block_1.", n, n); attn(p + "mid.attn_1.", n); resnet(p + "mid.block_2.", n, n)

    conv("encoder.conv_in", ch, 3, 3)
    cin = ch
    for i, m in enumerate(mult):
        for j in range(2):
            resnet("encoder.down.%d.block.%d." % (i, j), cin, ch * m); cin = ch * m
        if i < 3:
            conv("encoder.down.%d.downsample.conv" % i, cin, cin, 3)
    mid("encoder.", cin)
    norm("encoder.norm_out", cin); conv("encoder.conv_out", 8, cin, 3)
    conv("decoder.conv_in", cin, 4, 3)
    mid("decoder.", cin)
    for i in reversed(range(4)):
        for j in range(3):
            resnet("decoder.up.%d.block.%d." % (i, j), cin, ch * mult[i]); cin = ch * mult[i]
        if i > 0:
            conv("decoder.up.%d.upsample.conv" % i, cin, cin, 3)
    norm("decoder.norm_out", cin); conv("decoder.conv_out", 3, cin, 3)
    conv("quant_conv", 8, 8, 1); conv("post_quant_conv", 4, 4, 1)
    return out


def sd1_tensors(scale=1):
    """[(name, shape)] of every UNet, text encoder (position_ids included) and VAE tensor."""
    return unet_layout(scale) + te_layout(scale) + [POSITION_IDS] + vae_layout(scale)


if __name__ == "__main__":
    for name, layout in (("unet", unet_layout()), ("te", te_layout() + [POSITION_IDS]), ("vae", vae_layout())):
        print(name, len(layout), sum(numel(s) for _, s in layout))
