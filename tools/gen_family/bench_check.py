"""The accuracy benchmark of the SHIPPED path: `pedigree check --json FILE` against a real signed ledger.

For every family made by tools/gen-family2, a ledger is built with the real binary and a fresh key
(`pedigree key generate`, `pedigree init`, `pedigree attest model FILE --role ...` for sd14/sd15 (base),
nai (nai-leak), the leaked NAI VAE when the family has one (nai-vae) and the "known" independent
fine-tunes (independent), which also publishes their fingerprint events; the key is trusted with `pedigree trust add --for all,reference`: its roles define the references), once per nuisance configuration (0 or
all known independents). Every target model is then checked with `pedigree check --json`, and estimated
with `pedigree estimate` with the same defaults (the configuration check reported), whose raw shares are
what threshold calibration reads. Nothing here re-implements the presence rule.

Families are split: calibration families (seeds and generator configuration "calibration") choose the
constants of src/pedigree/lineage/fingerprint_calibration.hpp; held-out families (other seeds, generator
configuration "heldout") are only reported.
"""
import json, os, subprocess, sys, concurrent.futures as cf

NAI_VERDICTS = ("nai", "nai-leak", "nai-official")
PUBLISHED = {"sd14": "2022-08-22", "sd15": "2022-10-20", "nai": "2022-10-06"}
ROLES = {"sd14": "base", "sd15": "base", "nai": "nai-leak", "naivae": "nai-vae"}
PUBLISHED["naivae"] = "2022-10-06"


class Env:
    """An isolated HOME/XDG environment with its own key; the user's configuration is never touched."""

    def __init__(self, root, pedigree):
        self.root, self.pedigree = root, pedigree
        self.env = dict(os.environ)
        for k, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                       ("XDG_CACHE_HOME", "cache")):
            self.env[k] = os.path.join(root, sub)
            os.makedirs(self.env[k], exist_ok=True)
        self.env["PEDIGREE_BUNDLED_LEDGER"] = os.path.join(root, "no-bundled-ledger")
        self.env.pop("PEDIGREE_LEDGER", None)
        keyfile = os.path.join(root, "keyid")
        if not os.path.exists(keyfile):
            out = self.run(["key", "generate", "--name", "bench", "--email", "bench@example.org", "--json"])
            j = json.loads(out.stdout)
            with open(keyfile, "w") as f:
                f.write(j["keyid"] if isinstance(j, dict) else j[0]["keyid"])
        self.keyid = open(keyfile).read().strip()

    def run(self, args, ok=(0,)):
        r = subprocess.run([self.pedigree] + args, capture_output=True, text=True, env=self.env)
        if r.returncode not in ok:
            raise RuntimeError("pedigree %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
        return r


def build_ledger(env, family, truth, nuisance):
    """A ledger with the references and `nuisance` known independents (0 = none); returns its path.

    The references are those a real ledger holds: SD1.4 and SD1.5 (base), NAI (nai-leak) and, when the
    family has it (gen-family2 writes `naivae` since 2026-12-07), the leaked NAI VAE (nai-vae) with its
    fingerprint, without which no VAE that differs from the base's can be ruled out (fail closed)."""
    leaked_vae = "naivae" in truth["models"]
    path = os.path.join(env.root, "ledger-n%d%s" % (nuisance, "-vae" if leaked_vae else ""))
    done = os.path.join(path, ".bench-done")
    if os.path.exists(done):
        return path
    if os.path.exists(path):
        import shutil
        shutil.rmtree(path)
    env.run(["init", path, "--name", "bench"])
    known = sorted(n for n, m in truth["models"].items() if m.get("split") == "known")[:nuisance]
    for name in ["sd14", "sd15", "nai"] + (["naivae"] if leaked_vae else []) + known:
        m = truth["models"][name]
        role = ROLES.get(name, "independent")
        env.run(["attest", "model", os.path.join(family, m["file"]), "--title", name, "--role", role,
                 "--published", PUBLISHED.get(name, "2022-11-01"), "--ledger", path, "--json"])
    env.run(["trust", "add", env.keyid, "--for", "all,reference", "--ledger", path])
    # Build the index once before checks run in parallel: two first uses racing to create
    # it fail with "table meta already exists" (seen here; see the report).
    env.run(["index", "rebuild", "--ledger", path])
    open(done, "w").close()
    return path


def check_one(env, ledger, file):
    r = env.run(["check", "--json", "--threads", "1", file, "--ledger", ledger], ok=(0, 10, 11, 12, 13))
    j = json.loads(r.stdout)
    fp = next((e for e in j["evidence"] if e["kind"] == "fingerprint"), None)
    return {"verdict": j["verdict"], "confidence": j["confidence"],
            "share": (j["nai_share"].get("fingerprint") or {}),
            "configuration": j.get("fingerprint_configuration"),
            "fingerprint_counts": bool(fp and fp["counts"]), "fingerprint_says_nai": bool(fp and fp["says_nai"]),
            "evidence_kinds": sorted({e["kind"] for e in j["evidence"]}),
            "realigned": bool(((j.get("fingerprint") or {}).get("alignment") or {}).get("realigned")),
            "notes": j.get("notes", [])}


def fingerprint_file(env, src, out):
    if not os.path.exists(out):
        env.run(["fingerprint", src, "-o", out, "--threads", "1"])
    return out


def estimate_one(env, fps, target, known, rank):
    cmd = ["estimate", fps[target], "--base", "sd14=" + fps["sd14"], "--ref", "nai=" + fps["nai"],
           "--signed-ref", "sd15=" + fps["sd15"], "--json", "--projection-rank", str(rank)]
    for k in known:
        cmd += ["--nuisance", "%s=%s" % (k, fps[k])]
    return json.loads(env.run(cmd).stdout)


def run_family(family, pedigree, nuisance_configs, jobs, with_estimate):
    """Checks (and estimates) every target of one family; returns {config: {model: result}}."""
    truth = json.load(open(os.path.join(family, "truth.json")))
    env = Env(os.path.join(family, "env"), pedigree)
    targets = sorted(n for n, m in truth["models"].items() if m.get("split") == "target")
    out = {}
    fps = {}
    if with_estimate:
        os.makedirs(os.path.join(family, "fp"), exist_ok=True)
        with cf.ThreadPoolExecutor(jobs) as pool:
            names = list(truth["models"])
            paths = pool.map(lambda n: fingerprint_file(env, os.path.join(family, truth["models"][n]["file"]),
                                                        os.path.join(family, "fp", n + ".fp")), names)
            fps = dict(zip(names, paths))
    for n in nuisance_configs:
        ledger = build_ledger(env, family, truth, n)
        with cf.ThreadPoolExecutor(jobs) as pool:
            res = dict(zip(targets, pool.map(
                lambda t: check_one(env, ledger, os.path.join(family, truth["models"][t]["file"])), targets)))
        if with_estimate:
            known = sorted(k for k, m in truth["models"].items() if m.get("split") == "known")[:n]
            ranks = {r["configuration"]["projection_rank"] for r in res.values() if r["configuration"]}
            rank = ranks.pop() if len(ranks) == 1 else 6
            with cf.ThreadPoolExecutor(jobs) as pool:
                ests = dict(zip(targets, pool.map(lambda t: estimate_one(env, fps, t, known, rank), targets)))
            for t in targets:
                res[t]["estimate"] = ests[t]
        out[str(n)] = res
    return truth, out


def score(truth, results):
    """Per-family figures of the issue's targets, from check's verdicts."""
    rows = {"pos": [], "small": [], "free": [], "hard": []}
    for name, r in results.items():
        m = truth["models"][name]
        if m["nai"] >= 0.05: rows["pos"].append((name, r))
        elif m["nai"] > 0: rows["small"].append((name, r))
        else:
            rows["free"].append((name, r))
            if m.get("family") == "anime" or "anime" in m.get("recipe", ""): rows["hard"].append((name, r))
    def count(rs, pred): return sum(1 for _, r in rs if pred(r))
    is_nai = lambda r: r["verdict"] in NAI_VERDICTS
    err = [abs(r["share"]["estimate"] - truth["models"][n]["nai"]) for n, r in rows["pos"] + rows["small"]
           if r["share"] and "estimate" in r["share"] and not truth["models"][n].get("trained")]
    return {
        "recall_at_5pct": (count(rows["pos"], is_nai), len(rows["pos"])),
        "no_nai_found_at_5pct": (count(rows["pos"], lambda r: r["verdict"] == "no-nai-found"), len(rows["pos"])),
        "detected_1_4pct": (count(rows["small"], is_nai), len(rows["small"])),
        "no_nai_found_1_4pct": (count(rows["small"], lambda r: r["verdict"] == "no-nai-found"), len(rows["small"])),
        "false_nai_on_free": (count(rows["free"], is_nai), len(rows["free"])),
        "false_nai_on_similar_data": (count(rows["hard"], is_nai), len(rows["hard"])),
        "unknown_on_free": (count(rows["free"], lambda r: r["verdict"] == "unknown"), len(rows["free"])),
        "share_mae_linear": round(sum(err) / len(err), 4) if err else None,
        "share_max_err_linear": round(max(err), 4) if err else None,
        "missed": sorted(n for n, r in rows["pos"] if not is_nai(r)),
        "false_positives": sorted(n for n, r in rows["free"] if is_nai(r)),
    }


def calibrate(truths_results, z=4.0, margin=1.25):
    """Thresholds from the calibration families' estimates: the smallest overall and block shares that
    flag no NAI-free model there, times a margin (the rule of fingerprint/report.cpp reads them)."""
    worst_overall = worst_block = 0.0
    for truth, res in truths_results:
        for name, r in res.items():
            if truth["models"][name]["nai"] > 0 or "estimate" not in r:
                continue
            s = r["estimate"]["shares"]["nai"]
            if s["share"] > z * s["stderr"]:
                worst_overall = max(worst_overall, s["share"])
            if s["share"] <= 1.0 * s["stderr"]:
                continue
            for b in s["blocks"].values():
                if b["share"] > z * b["stderr"]:
                    worst_block = max(worst_block, b["share"])
    # "Present" means significantly above the detection limit "absent" rules out
    # (lineage/fingerprint_policy.hpp): never a threshold below it.
    floor = policy_constant("k_detection_limit")
    return {"overall_threshold": round(max(floor, margin * worst_overall), 4),
            "block_threshold": round(max(0.05, margin * worst_block), 4),
            "worst_free_overall": round(worst_overall, 4), "worst_free_block": round(worst_block, 4)}


def policy_constant(name):
    """A constant of src/pedigree/lineage/fingerprint_policy.hpp, read from the header itself."""
    import re
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    text = open(os.path.join(root, "src/pedigree/lineage/fingerprint_policy.hpp")).read()
    return float(re.search(r"\b%s = ([0-9.]+);" % name, text).group(1))


def estimate_family_at_ranks(family, pedigree, nuisance, ranks, jobs):
    """`pedigree estimate` on every target of a calibration family at each candidate projection rank,
    with the references check would use for `nuisance` known independents: {rank: {model: estimate}}."""
    truth = json.load(open(os.path.join(family, "truth.json")))
    env = Env(os.path.join(family, "env"), pedigree)
    os.makedirs(os.path.join(family, "fp"), exist_ok=True)
    names = list(truth["models"])
    with cf.ThreadPoolExecutor(jobs) as pool:
        fps = dict(zip(names, pool.map(lambda n: fingerprint_file(
            env, os.path.join(family, truth["models"][n]["file"]), os.path.join(family, "fp", n + ".fp")), names)))
    targets = sorted(n for n, m in truth["models"].items() if m.get("split") == "target")
    known = sorted(k for k, m in truth["models"].items() if m.get("split") == "known")[:nuisance]
    out = {}
    for rank in ranks:
        with cf.ThreadPoolExecutor(jobs) as pool:
            out[rank] = dict(zip(targets, pool.map(lambda t: estimate_one(env, fps, t, known, rank), targets)))
    return truth, out


def choose_rank(truths_by_rank, ranks, z=4.0, margin=1.25):
    """The projection rank for one nuisance configuration, chosen on calibration families only.

    For each candidate rank: thresholds as `calibrate` derives them, then what the estimate would let
    check conclude (presence: the rule of fingerprint/report.cpp on the overall share; "absent": the
    interval rule of lineage/fingerprint_quality.cpp with the constants read from the policy header;
    coverage and alignment hold for every generated model). The thresholds already flag no NAI-free
    calibration target; admissible: no target holding NAI ruled out (a false "clean"). Among those,
    the rank that flags the most NAI >= 5% targets, then the one that rules out the most NAI-free
    targets; ties go to the lower rank (less signal projected away). (Until calibration v2 a rank had
    to flag every >= 5% target; with independents as close to NAI's data as v2 makes them, none does,
    and a missed merge reads `unknown`, never clean.)"""
    half = policy_constant("k_share_interval_z")
    limit = policy_constant("k_detection_limit")
    table = {}
    for rank in ranks:
        pairs = [(t, {n: {"estimate": e} for n, e in by_rank[rank].items()}) for t, by_rank in truths_by_rank]
        th = calibrate(pairs, z, margin)
        counts = {"free_absent": 0, "free": 0, "pos_flagged": 0, "pos": 0, "nai_ruled_out": 0}
        for truth, res in pairs:
            for name, r in res.items():
                s = r["estimate"]["shares"]["nai"]
                share, se, nai = s["share"], s["stderr"], truth["models"][name]["nai"]
                absent = share - half * se <= 0 and share + half * se < limit
                flagged = share >= th["overall_threshold"] and share > z * se
                if nai == 0:
                    counts["free"] += 1
                    counts["free_absent"] += absent
                else:
                    counts["nai_ruled_out"] += absent
                    if nai >= 0.05:
                        counts["pos"] += 1
                        counts["pos_flagged"] += flagged
        table[rank] = {"thresholds": th, **counts, "admissible": counts["nai_ruled_out"] == 0}
    admissible = [r for r in ranks if table[r]["admissible"]]
    best = (max(admissible, key=lambda r: (table[r]["pos_flagged"], table[r]["free_absent"], -r))
            if admissible else None)
    return best, table


def reliability(truths_results, bins=(0.5, 0.7, 0.8, 0.9, 0.95, 1.0001)):
    """How often check's fingerprint-decided verdicts are right, by verdict and configuration."""
    table = {}
    for truth, by_config in truths_results:
        for config, res in by_config.items():
            for name, r in res.items():
                if not r["fingerprint_counts"]:
                    continue
                has_nai = truth["models"][name]["nai"] > 0
                kind = "present" if r["fingerprint_says_nai"] else "absent"
                right = has_nai if kind == "present" else not has_nai
                key = "%s/%s" % (kind, "nuisance-0" if config == "0" else "nuisance")
                k, n = table.get(key, (0, 0))
                table[key] = (k + int(right), n + 1)
    return table
