"""Merge recipes for tools/gen-family. Each merge is a Model whose per-block atom coefficients are the
exact ground truth (linear merges), or whose weights are computed explicitly (TIES, DARE) with a nominal
share and flags["nonlinear"] = True."""
import numpy as np



def make(models, fam, rng, anime, photos, count, negatives=1):
    import __main__ as g
    Model, ALL, BLOCKS = g.Model, g.ALL_GROUPS, g.BLOCKS
    counter = [0]

    def add(kind, model_coef, recipe, split="test", weights=None, **flags):
        counter[0] += 1
        name = "m%03d_%s" % (counter[0], kind)
        m = Model(model_coef, "merge", recipe=recipe, merge=kind, **flags)
        m.flags["split"] = split
        if weights is not None:
            m.flags["weights"] = weights
        models[name] = m
        return name

    def alpha():  # shares from 1% to 100%, half of them below 20%
        return float(np.round(np.exp(rng.uniform(np.log(0.01), np.log(1.0))), 3))

    def ws(a, b, x): return Model.atom_sum([(1 - x, models[a]), (x, models[b])])
    def add_diff(a, b, c, x): return Model.atom_sum([(1.0, models[a]), (x, models[b]), (-x, models[c])])

    def mbw(a, b, alphas, base_alpha):
        wa = {blk: 1 - alphas[i] for i, blk in enumerate(BLOCKS)}
        wb = {blk: alphas[i] for i, blk in enumerate(BLOCKS)}
        wa.update(TE=1 - base_alpha, VAE=1 - base_alpha)
        wb.update(TE=base_alpha, VAE=base_alpha)
        return Model.atom_sum([(wa, models[a]), (wb, models[b])])

    def trained(coef, strength=0.3):
        counter[0] += 0
        atom = "t%d" % len(fam.atoms)
        fam.add_delta(atom, g.UNET_GROUPS, "anime", strength)
        for blk in g.UNET_GROUPS:
            coef[blk][atom] = coef[blk].get(atom, 0.0) + 1.0
        return coef

    def mbw_alphas(kind):
        if kind == 0: return [float(np.round(rng.uniform(0, 1), 2)) for _ in BLOCKS]
        if kind == 1:
            picks = set(rng.choice(len(BLOCKS), size=int(rng.integers(1, 5)), replace=False).tolist())
            return [1.0 if i in picks else 0.0 for i in range(len(BLOCKS))]
        cut = {"IN05", "IN06", "IN07", "IN08", "OUT10", "OUT11"}  # the AOM3 pattern
        return [0.0 if b in cut else 1.0 for b in BLOCKS]

    def nonlinear_weights(kind, parents, x):
        base = fam.atoms["sd14"]
        vectors = [fam.weights(models[p]) for p in parents]
        out = []
        for t in range(len(base)):
            taus = [v[t] - base[t] for v in vectors]
            if kind == "dare":  # A + x * DARE(B - sd14): drop 90%, rescale by 10
                keep = rng.random(taus[1].shape) >= 0.9
                out.append(vectors[0][t] + np.float32(x) * taus[1] * keep / np.float32(0.1))
                continue
            trimmed = []  # TIES: keep the top 20% magnitudes, elect signs, disjoint mean
            for tau in taus:
                cut = np.quantile(np.abs(tau), 0.8) if tau.size > 4 else 0
                trimmed.append(np.where(np.abs(tau) >= cut, tau, 0))
            stack = np.stack(trimmed)
            sign = np.sign(stack.sum(0))
            agree = (np.sign(stack) == sign) & (stack != 0)
            mean = (stack * agree).sum(0) / np.maximum(agree.sum(0), 1)
            out.append(base[t] + np.float32(x) * mean)
        return out

    cal_photos = len(photos) // 3
    test_indep = anime["test"] + photos[cal_photos:]
    cal_indep = anime["calibration"] + photos[:cal_photos]
    partners = ["sd15", "sd14"] + anime["known"] + test_indep
    pick = lambda pool: str(rng.choice(pool))
    per = max(1, count // 110)
    for _ in range(18 * per):  # weighted sum with NAI
        x, p = alpha(), pick(partners)
        add("ws", ws(p, "nai", x), "(1-%g)*%s + %g*nai" % (x, p, x), linear=True)
    for _ in range(12 * per):  # add difference
        x, p, c = alpha(), pick(partners[2:] + ["sd15"]), str(rng.choice(["sd14", "sd15"]))
        add("adddiff", add_diff(p, "nai", c, x), "%s + %g*(nai - %s)" % (p, x, c), linear=True)
    for _ in range(10 * per):  # triple sum
        x, y = alpha() * 0.6, float(np.round(rng.uniform(0.05, 0.4), 3))
        a, b = rng.choice(partners, size=2, replace=False)
        coef = Model.atom_sum([(1 - x - y, models[a]), (x, models["nai"]), (y, models[b])])
        add("triple", coef, "(1-%g-%g)*%s + %g*nai + %g*%s" % (x, y, a, x, y, b), linear=True)
    for i in range(14 * per):  # block-weighted (MBW)
        alphas, p = mbw_alphas(i % 3), pick(partners)
        base_alpha = float(np.round(rng.uniform(0, 1), 2))
        add("mbw", mbw(p, "nai", alphas, base_alpha), "MBW(%s, nai, %s)" % (p, alphas), linear=True)
    for _ in range(12 * per):  # chains of depth 3 or 4
        x = alpha()
        prev = add("chain1", ws(pick(partners), "nai", x), "ws", split="chain-step", linear=True)
        depth = int(rng.integers(3, 5))
        for d in range(2, depth + 1):
            y = float(np.round(rng.uniform(0.2, 0.8), 2))
            if d % 2:
                coef = add_diff(prev, pick(partners[2:]), "sd14", y)
            else:
                coef = ws(prev, pick(partners), y)
            prev = add("chain%d" % d, coef, "step %d of a chain" % d,
                       split="test" if d == depth else "chain-step", linear=True)
    for _ in range(8 * per):  # post-merge training
        x, p = alpha(), pick(partners)
        add("trained", trained(ws(p, "nai", x)), "(1-%g)*%s + %g*nai, then trained" % (x, p, x),
            linear=False, trained=True)
    for i in range(8 * per):  # non-linear: TIES and DARE
        x, p = float(np.round(rng.uniform(0.2, 1.0), 2)), pick(partners[2:])
        if i % 2:
            w = nonlinear_weights("dare", [p, "nai"], x)
            add("dare", ws(p, "nai", x) if False else add_diff(p, "nai", "sd14", x),
                "%s + %g*DARE(nai - sd14, drop 0.9)" % (p, x), weights=w, linear=False, nonlinear=True)
        else:
            w = nonlinear_weights("ties", [p, "nai"], x)
            coef = Model.atom_sum([(1.0, models["sd14"]), (x / 2, models["nai"]), (-x / 2, models["sd14"]),
                                   (x / 2, models[p]), (-x / 2, models["sd14"])])
            add("ties", coef, "TIES(%s, nai, lambda %g)" % (p, x), weights=w, linear=False, nonlinear=True)
    for split, pool, n in (("test", test_indep, 16), ("calibration", cal_indep, 10)):
        for i in range(n * per * negatives):  # merges without NAI: they must not be flagged
            a, b = rng.choice(pool + ["sd15"], size=2, replace=False)
            x = float(np.round(rng.uniform(0.1, 0.9), 2))
            if i % 4 == 0:
                coef = mbw(a, b, mbw_alphas(0), x)
            elif i % 4 == 1:
                coef = add_diff(a, pick(pool), "sd14", x)
            else:
                coef = ws(a, b, x)
            if i % 5 == 4:
                coef = trained(coef)
            name = add("indep", coef, "merge of %s and %s" % (a, b), split=split, linear=i % 5 != 4)
            models[name].kind = "independent"
