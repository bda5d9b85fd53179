#!/usr/bin/env python3
"""Each Chinese original of the dedup dev set (copy 0) beside its own Traditional conversions (OpenCC
s2t, s2hk, s2tw, s2twp), nothing else changed: how many conversions fold with their original, and
whether any two different stories fold.

    /tmp/evalvenv/bin/python scripts/dedup-eval.py --build-only      # the set, in /tmp/feedfold-dedup-eval
    /tmp/evalvenv/bin/python scripts/dedup-traditional-pairs.py target/release/feedfold [text|html]
"""
import json, subprocess, sys, itertools
from opencc import OpenCC
bin_, variant = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "text")
name = "zh-text" if variant == "text" else "zh-html"
items = [json.loads(l) for l in open(f"/tmp/feedfold-dedup-eval/{name}.jsonl")]
truth = {t["id"]: t for t in map(json.loads, open(f"/tmp/feedfold-dedup-eval/{name}.truth.jsonl"))}
origs = [i for i in items if truth[i["id"]]["copy"] == 0 and not truth[i["id"]]["group"].startswith("short:")]
out, group = [], {}
for o in origs:
    out.append(o); group[o["id"]] = o["id"]
    for cfg in ("s2t", "s2hk", "s2tw", "s2twp"):
        cc = OpenCC(cfg)
        c = dict(o); c["id"] = f'{o["id"]}-{cfg}'; c["title"] = cc.convert(o["title"])
        field = "text" if variant == "text" else "html"
        c[field] = cc.convert(o[field]); c["source"] = o["source"] + "-" + cfg
        if "url" in c: c["url"] = o["url"] + "?" + cfg
        out.append(c); group[c["id"]] = o["id"]
inp = "\n".join(json.dumps(x, ensure_ascii=False) for x in out)
res = subprocess.run([bin_, "dedup", "-"], input=inp.encode(), capture_output=True, check=True)
cl = {r["id"]: r["cluster"] for r in map(json.loads, res.stdout.decode().splitlines())}
by_cfg = {}
for x in out:
    if x["id"] == group[x["id"]]: continue
    cfg = x["id"].rsplit("-", 1)[1]
    ok = cl[x["id"]] == cl[group[x["id"]]]
    a, b = by_cfg.get(cfg, (0, 0)); by_cfg[cfg] = (a + ok, b + 1)
false = sum(1 for a, b in itertools.combinations(out, 2) if cl[a["id"]] == cl[b["id"]] and group[a["id"]] != group[b["id"]])
tot = sum(a for a, _ in by_cfg.values()), sum(b for _, b in by_cfg.values())
print(f"{name}: {len(origs)} originals; folded with their conversion {tot[0]}/{tot[1]} ({tot[0]/tot[1]:.3f}); " +
      ", ".join(f"{k} {a}/{b}" for k, (a, b) in by_cfg.items()) + f"; pairs of different stories folded: {false}")
