"""The tensor names and shapes of a Stable Diffusion 1.x checkpoint (LDM layout),
derived from the model definitions (CompVis/stable-diffusion configs/stable-diffusion/
v1-inference.yaml: UNet model_channels 320, channel_mult 1,2,4,4, 2 res blocks, attention
at 4,2,1, context 768; CLIP ViT-L/14 text encoder; AutoencoderKL ch 128, ch_mult 1,2,4,4).
SD1_PARAMS are the published parameter counts the layout must reproduce."""

SD1_PARAMS = {"unet": 859_520_964, "te": 123_060_557, "vae": 83_653_863}


def _unet():
    p = "model.diffusion_model."
    out = []

    def add(name, *shape):
        out.append((p + name, tuple(shape)))

    def res(pre, cin, cout):
        add(pre + "in_layers.0.weight", cin); add(pre + "in_layers.0.bias", cin)
        add(pre + "in_layers.2.weight", cout, cin, 3, 3); add(pre + "in_layers.2.bias", cout)
        add(pre + "emb_layers.1.weight", cout, 1280); add(pre + "emb_layers.1.bias", cout)
        add(pre + "out_layers.0.weight", cout); add(pre + "out_layers.0.bias", cout)
        add(pre + "out_layers.3.weight", cout, cout, 3, 3); add(pre + "out_layers.3.bias", cout)
        if cin != cout:
            add(pre + "skip_connection.weight", cout, cin, 1, 1)
            add(pre + "skip_connection.bias", cout)

    def attn(pre, c):
        add(pre + "norm.weight", c); add(pre + "norm.bias", c)
        add(pre + "proj_in.weight", c, c, 1, 1); add(pre + "proj_in.bias", c)
        t = pre + "transformer_blocks.0."
        for a, ctx in (("attn1", c), ("attn2", 768)):
            add(t + a + ".to_q.weight", c, c)
            add(t + a + ".to_k.weight", c, ctx)
            add(t + a + ".to_v.weight", c, ctx)
            add(t + a + ".to_out.0.weight", c, c); add(t + a + ".to_out.0.bias", c)
            if a == "attn1":
                add(t + "ff.net.0.proj.weight", 8 * c, c); add(t + "ff.net.0.proj.bias", 8 * c)
                add(t + "ff.net.2.weight", c, 4 * c); add(t + "ff.net.2.bias", c)
        for n in (1, 2, 3):
            add(t + f"norm{n}.weight", c); add(t + f"norm{n}.bias", c)
        add(pre + "proj_out.weight", c, c, 1, 1); add(pre + "proj_out.bias", c)

    add("time_embed.0.weight", 1280, 320); add("time_embed.0.bias", 1280)
    add("time_embed.2.weight", 1280, 1280); add("time_embed.2.bias", 1280)
    add("input_blocks.0.0.weight", 320, 4, 3, 3); add("input_blocks.0.0.bias", 320)
    skips, ch, block = [320], 320, 1
    for level, mult in enumerate((1, 2, 4, 4)):
        for _ in range(2):
            res(f"input_blocks.{block}.0.", ch, 320 * mult)
            ch = 320 * mult
            if level < 3:
                attn(f"input_blocks.{block}.1.", ch)
            skips.append(ch)
            block += 1
        if level < 3:
            add(f"input_blocks.{block}.0.op.weight", ch, ch, 3, 3)
            add(f"input_blocks.{block}.0.op.bias", ch)
            skips.append(ch)
            block += 1
    res("middle_block.0.", 1280, 1280); attn("middle_block.1.", 1280); res("middle_block.2.", 1280, 1280)
    block = 0
    for level, mult in reversed(list(enumerate((1, 2, 4, 4)))):
        for i in range(3):
            res(f"output_blocks.{block}.0.", ch + skips.pop(), 320 * mult)
            ch = 320 * mult
            sub = 1
            if level < 3:
                attn(f"output_blocks.{block}.1.", ch)
                sub = 2
            if level > 0 and i == 2:
                add(f"output_blocks.{block}.{sub}.conv.weight", ch, ch, 3, 3)
                add(f"output_blocks.{block}.{sub}.conv.bias", ch)
            block += 1
    add("out.0.weight", 320); add("out.0.bias", 320)
    add("out.2.weight", 4, 320, 3, 3); add("out.2.bias", 4)
    return out


def _text_encoder():
    p = "cond_stage_model.transformer.text_model."
    out = [(p + "embeddings.token_embedding.weight", (49408, 768)),
           (p + "embeddings.position_embedding.weight", (77, 768)),
           (p + "embeddings.position_ids", (1, 77))]
    for i in range(12):
        layer = p + f"encoder.layers.{i}."
        for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
            out += [(layer + f"self_attn.{proj}.weight", (768, 768)),
                    (layer + f"self_attn.{proj}.bias", (768,))]
        out += [(layer + "layer_norm1.weight", (768,)), (layer + "layer_norm1.bias", (768,)),
                (layer + "mlp.fc1.weight", (3072, 768)), (layer + "mlp.fc1.bias", (3072,)),
                (layer + "mlp.fc2.weight", (768, 3072)), (layer + "mlp.fc2.bias", (768,)),
                (layer + "layer_norm2.weight", (768,)), (layer + "layer_norm2.bias", (768,))]
    out += [(p + "final_layer_norm.weight", (768,)), (p + "final_layer_norm.bias", (768,))]
    return out


def _vae():
    p = "first_stage_model."
    out = []

    def add(name, *shape):
        out.append((p + name, tuple(shape)))

    def res(pre, cin, cout):
        add(pre + "norm1.weight", cin); add(pre + "norm1.bias", cin)
        add(pre + "conv1.weight", cout, cin, 3, 3); add(pre + "conv1.bias", cout)
        add(pre + "norm2.weight", cout); add(pre + "norm2.bias", cout)
        add(pre + "conv2.weight", cout, cout, 3, 3); add(pre + "conv2.bias", cout)
        if cin != cout:
            add(pre + "nin_shortcut.weight", cout, cin, 1, 1); add(pre + "nin_shortcut.bias", cout)

    def mid(pre):
        res(pre + "mid.block_1.", 512, 512)
        add(pre + "mid.attn_1.norm.weight", 512); add(pre + "mid.attn_1.norm.bias", 512)
        for n in ("q", "k", "v", "proj_out"):
            add(pre + f"mid.attn_1.{n}.weight", 512, 512, 1, 1)
            add(pre + f"mid.attn_1.{n}.bias", 512)
        res(pre + "mid.block_2.", 512, 512)

    mults = (1, 2, 4, 4)
    add("encoder.conv_in.weight", 128, 3, 3, 3); add("encoder.conv_in.bias", 128)
    ch = 128
    for level, mult in enumerate(mults):
        for b in range(2):
            res(f"encoder.down.{level}.block.{b}.", ch, 128 * mult)
            ch = 128 * mult
        if level < 3:
            add(f"encoder.down.{level}.downsample.conv.weight", ch, ch, 3, 3)
            add(f"encoder.down.{level}.downsample.conv.bias", ch)
    mid("encoder.")
    add("encoder.norm_out.weight", 512); add("encoder.norm_out.bias", 512)
    add("encoder.conv_out.weight", 8, 512, 3, 3); add("encoder.conv_out.bias", 8)
    add("decoder.conv_in.weight", 512, 4, 3, 3); add("decoder.conv_in.bias", 512)
    mid("decoder.")
    ch = 512
    for level in reversed(range(4)):
        for b in range(3):
            res(f"decoder.up.{level}.block.{b}.", ch, 128 * mults[level])
            ch = 128 * mults[level]
        if level > 0:
            add(f"decoder.up.{level}.upsample.conv.weight", ch, ch, 3, 3)
            add(f"decoder.up.{level}.upsample.conv.bias", ch)
    add("decoder.norm_out.weight", 128); add("decoder.norm_out.bias", 128)
    add("decoder.conv_out.weight", 3, 128, 3, 3); add("decoder.conv_out.bias", 3)
    add("quant_conv.weight", 8, 8, 1, 1); add("quant_conv.bias", 8)
    add("post_quant_conv.weight", 4, 4, 1, 1); add("post_quant_conv.bias", 4)
    return out


def sd1_tensors():
    """[(name, shape)] of every UNet, text encoder and VAE tensor, in LDM layout."""
    return _unet() + _text_encoder() + _vae()
