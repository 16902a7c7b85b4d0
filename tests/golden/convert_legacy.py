"""Converts a resampling suite from the JSON its R script wrote before the case
format (tests/golden/golden.R) into the case format, exactly as the script now
writes it.

Why: bootstrap.R and bootstrap_mods.R take about 15 minutes of CPU each, more
than could be spared when the case format was introduced, so
tests/golden/bootstrap.json and bootstrap_mods.json were made by this
converter from the files the previous scripts wrote. Their values are R's
(set.seed() makes the runs reproducible: the previous bootstrap_mods.R
regenerated its committed JSON byte for byte with R 4.2.2, metafor 3.8.1 and
boot 1.3-28.1), and the current scripts emit the same cases (checked at
R = 300 replicates); `cargo xtask goldens bootstrap bootstrap_mods`
regenerates them with R.

Usage (from the workspace root), for a suite NAME in permutest, bootstrap,
bootstrap_mods:
    git show 04d1507:tests/golden/NAME.json > /tmp/NAME.json
    python3 tests/golden/convert_legacy.py NAME /tmp/NAME.json tests/golden
"""
import json
import sys


def write(path, name, suite, entry, tolerance, gen, cases):
    gen = {"script": f"tests/golden/{name}.R", "r": gen["r"], "metafor": gen["metafor"], "jsonlite": "1.8.4",
           **{k: v for k, v in gen.items() if k not in ("script", "r", "metafor", "jsonlite")}}
    out = {"suite": suite, "entry": entry, "tolerance": tolerance, "generator": gen, "cases": cases}
    with open(f"{path}/{name}.json", "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


def permutest(d):
    cases = []
    for c in d["cases"]:
        for f in c["fits"]:
            pv = f["pval"] if isinstance(f["pval"], list) else [f["pval"]]
            e = {"/permutation/exact": True, "/permutation/iterations": f["iterations"]}
            if c["mods"]:
                for j, p in enumerate(pv):
                    e[f"/coefficients/{j}/pval_perm"] = p
            else:
                e["/pval_perm"] = pv[0]
            e["/permutation/qm_pval"] = f["qm_pval"]
            mods = ("mods = ~ " + " + ".join(c["mods"]) + ", ") if c["mods"] else ""
            spec = {"measure": c["measure"], "method": f["method"], "test": f["test"]}
            if c["mods"]:
                spec["mods"] = c["mods"]
            spec.update({"permutations": "exact", "seed": 1})
            cases.append({"id": f"{c['id']}/{f['method']}/{f['test']}",
                          "source": f'permutest(rma(yi, vi, {mods}method = "{f["method"]}", test = "{f["test"]}"), exact = TRUE)',
                          "csv": c["csv"], "spec": spec, "expect": e,
                          "tolerance": {"/permutation/exact": "exact", "/permutation/iterations": "exact"}})
    return "analyze", "ratio_of_counts", cases


def boot_expect(prefix, s):
    """golden.R's boot_expect()."""
    e, t = {}, {}

    def put(name, v, cls):
        e[prefix + name] = v
        if cls is not None:
            t[prefix + name] = cls

    def res(m, at):
        return {"resampling": {"mcse": m, "mcse_at": prefix + at}}

    put("/observed", s["observed"], "iterative")
    put("/mean", s["mean"], res(s["se"] / s["replicates"] ** 0.5, "/mcse_mean"))
    put("/se", s["se"], "resampling_sd")
    for kind in ("percentile", "bca"):
        b = s.get(kind)
        if not b:
            put("/" + kind, None, None)
            continue
        put(f"/{kind}/lower", b["lower"], res(b["mcse_lower"], f"/{kind}/mcse_lower"))
        put(f"/{kind}/upper", b["upper"], res(b["mcse_upper"], f"/{kind}/mcse_upper"))
    return e, t


def bootstrap(d, mods):
    stats = ({"intrcpt": "/bootstrap/coefficients/0", "ablat": "/bootstrap/coefficients/1"} if mods
             else {"estimate": "/bootstrap/estimate"})
    stats.update({"tau2": "/bootstrap/tau2", "i2": "/bootstrap/i2", "h2": "/bootstrap/h2"})
    cases = []
    for c in d["cases"]:
        e = {"/bootstrap/replicates": 4000, "/bootstrap/seed": 2026, "/bootstrap/type": c["type"]}
        t = {}
        if mods:
            e["/bootstrap/coefficients/0/name"] = "intrcpt"
            e["/bootstrap/coefficients/1/name"] = "ablat"
        for st, p in stats.items():
            a, b = boot_expect(p, c[st])
            e.update(a)
            t.update(b)
        spec = {"measure": "RR", "method": c["method"]}
        if mods:
            spec["mods"] = ["ablat"]
        spec.update({"bootstrap": 4000, "bootstrap_type": c["type"], "seed": 2026})
        modsrc = "mods = ~ ablat, " if mods else ""
        sim = "ordinary" if c["type"] == "nonparametric" else "parametric"
        cases.append({"id": f"{c['method']}/{c['type']}",
                      "source": f'boot(escalc("RR", dat.bcg), function(d, i) rma(yi, vi, {modsrc}data = d[i, ], method = "{c["method"]}"), R = {c["replicates"]}, sim = "{sim}"); boot.ci(type = c("perc", "bca"), L = empinf(type = "jack"))',
                      "csv": "examples/bcg/bcg.csv", "spec": spec, "expect": e, "tolerance": t})
    return "analyze", "exact", cases


def main():
    name, old, out = sys.argv[1:4]
    with open(old) as f:
        d = json.load(f)
    if name == "permutest":
        entry, tol, cases = permutest(d)
    elif name in ("bootstrap", "bootstrap_mods"):
        entry, tol, cases = bootstrap(d, name == "bootstrap_mods")
    else:
        sys.exit(f"no legacy conversion for {name}")
    write(out, name, name, entry, tol, d["generator"], cases)


if __name__ == "__main__":
    main()
