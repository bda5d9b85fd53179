#!/usr/bin/env python3
"""Dev set and scorer for `feedfold dedup --events` (related coverage: one event, different write-ups).

SETUP: the same venv as scripts/dedup-eval.py (the Chinese GNE pages are read with trafilatura):
    python3 -m venv /tmp/evalvenv && /tmp/evalvenv/bin/pip install trafilatura lxml lxml_html_clean \
        opencc-python-reimplemented==0.1.7
  Without the packages the script re-executes itself under /tmp/evalvenv/bin/python when that exists.

RUNNING (from the repo root)
    scripts/events-eval.py --bin target/release/feedfold              # defaults, dev + holdout + baseline
    scripts/events-eval.py --bin target/release/feedfold --sweep 0.2,0.25,0.3   # --event-threshold grid
    scripts/events-eval.py --candidates en [--min-cos 0.15]           # pairs to annotate next (not labelled yet)
    scripts/events-eval.py --bin ... -v                               # + every wrong pair with its reason

THE SET
  Pages: the pages scripts/dedup-eval.py loads (its loaders are imported, nothing is copied): en = l3s-gn1
  (Google News 2008) + dragnet + English readability pages; zh = GNE + Chinese readability pages. Page text =
  the gold/extracted article paragraphs, title = the page's headline.
  Labels: scripts/events-labels.tsv, a hand-judged list of page-key pairs (lang, key_a, key_b, label, reason):
    same       one event (same happening, place, actors, time) written up differently on two sites;
    topic      hard negative: same topic, different event (two rounds of one golf tournament, two bombings in
               one country, two Facebook launches, two NHL games under one roundup title ...);
    unrelated  labelled unrelated pairs.
  The en candidates were every pair with TF-IDF cosine >= 0.15 (`--candidates en`); each was read and judged,
  ambiguous ones (follow-ups of one incident on different days, opinion pieces on one election) left out.
  Identical copies (near-duplicates) were left out too: the story tier already folds them.
  Plus RANDOM unrelated pairs drawn at run time (seeded): pages of one language with TF-IDF cosine < 0.05 and
  no shared title word, as many as the language's labelled positives (at least 20).
  zh: the corpora hold NO real same-event pair (the one candidate, two Huawei 5G-chip stories, is two events),
  so zh is scored on negatives only: false positives among its topic/unrelated pairs.
  Published times: the corpora carry no reliable dates, so every item is published inside one 24 h span (by a
  hash of its key): time proximity never helps, and hard negatives that were weeks apart in reality are
  judged on text alone (conservative).
  Split: a pair is in the holdout when sha1(key_a|key_b) mod 3 == 0 (~1/3), else dev. Tune on dev only.

SCORING
  One JSONL file per language with every page in a pair, run through `BIN dedup --events [flags]`; a pair is
  predicted "same" when both items get one "event". P/R/F1 over the labelled (+ random) pairs, per language,
  split and pooled. The baseline, in the same run on the same pairs: TF-IDF cosine (sublinear tf, idf over all
  pages of the language, en lowercased words, zh character bigrams), at its best-F1 threshold and at the
  threshold giving the best recall with precision >= 0.85, both chosen on the whole set (an upper bound).
  Every command run is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import os
import random
import re
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

SCRIPT = Path(__file__).resolve()
REPO = SCRIPT.parent.parent
LABELS = SCRIPT.parent / "events-labels.tsv"
VENV_PY = Path("/tmp/evalvenv/bin/python")
DEFAULT_OUT = Path("/tmp/feedfold-events-eval")
BASE_TIME = datetime(2024, 5, 10, tzinfo=timezone.utc)
SEED = 20240510
CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
TITLE_STOP = set("the of and to a in is that for it on was with as by at be this are from have has or an not "
                 "but new says after over up out into".split())


def ensure_deps():
    try:
        import lxml.html  # noqa: F401
        import trafilatura  # noqa: F401
        return
    except ImportError as e:
        err = e
    if VENV_PY.exists() and Path(sys.prefix).resolve() != VENV_PY.parent.parent.resolve() \
            and not os.environ.get("EVENTS_EVAL_REEXEC"):
        print(f"[events-eval] {err}; re-running under {VENV_PY}", file=sys.stderr)
        os.environ["EVENTS_EVAL_REEXEC"] = "1"
        os.execv(str(VENV_PY), [str(VENV_PY), str(SCRIPT), *sys.argv[1:]])
    sys.exit(f"events-eval: needs trafilatura and lxml ({err}); see the docstring for the venv line")


def dedup_eval():
    spec = importlib.util.spec_from_file_location("dedup_eval", SCRIPT.parent / "dedup-eval.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def load_pages(shared: Path) -> dict[str, dict[str, tuple]]:
    """lang -> key -> (site, title, text), through dedup-eval.py's loaders."""
    de = dedup_eval()
    quiet = lambda _m: None  # noqa: E731
    read = de.load_readability(shared, quiet)
    en = de.load_l3s(shared, quiet) + de.load_dragnet(shared, quiet) + [p for p in read if p.lang == "en"]
    zh = de.load_gne(shared, quiet) + [p for p in read if p.lang == "zh"]
    return {lang: {p.key: (p.site, p.title, "\n".join(p.paras)) for p in ps} for lang, ps in (("en", en), ("zh", zh))}


def load_labels() -> list[dict]:
    rows = []
    for n, line in enumerate(LABELS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 5 or parts[3] not in ("same", "topic", "unrelated"):
            sys.exit(f"{LABELS}:{n}: want lang, key_a, key_b, same|topic|unrelated, reason")
        rows.append(dict(zip(("lang", "a", "b", "label", "reason"), parts)))
    return rows


# ---- the baseline and the candidate finder: TF-IDF cosine ----

def terms(text: str, lang: str) -> list[str]:
    t = unicodedata.normalize("NFKC", text).lower()
    if lang == "zh":
        runs = re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+", t)
        return [r[i:i + 2] for r in runs for i in range(len(r) - 1)]
    return WORD_RE.findall(t)


def tfidf(pages: dict[str, tuple], lang: str) -> dict[str, dict[str, float]]:
    tf = {k: Counter(terms(p[1] + "\n" + p[2], lang)) for k, p in pages.items()}
    df = Counter(t for c in tf.values() for t in c)
    n = len(tf)
    out = {}
    for k, c in tf.items():
        v = {t: (1 + math.log(x)) * math.log(n / df[t]) for t, x in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        out[k] = {t: x / norm for t, x in v.items() if x}
    return out


def cosine(a: dict, b: dict) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(t, 0.0) for t, x in a.items())


def title_words(title: str) -> set[str]:
    return {w for w in WORD_RE.findall(title.lower()) if w not in TITLE_STOP and len(w) > 2}


def random_pairs(pages, vecs, lang, labelled: set, n: int, seed: int) -> list[dict]:
    """Seeded unrelated pairs: cosine < 0.05 and no shared title word (zh: no shared title bigram)."""
    rng = random.Random(f"{seed}-{lang}")
    keys = sorted(pages)
    out, tries = [], 0
    while len(out) < n and tries < 200 * n:
        tries += 1
        a, b = sorted(rng.sample(keys, 2))
        if (a, b) in labelled or pages[a][0] == pages[b][0] and lang == "en":
            continue
        if lang == "zh":
            shared = set(terms(pages[a][1], "zh")) & set(terms(pages[b][1], "zh"))
        else:
            shared = title_words(pages[a][1]) & title_words(pages[b][1])
        if shared or cosine(vecs[a], vecs[b]) >= 0.05:
            continue
        labelled.add((a, b))
        out.append({"lang": lang, "a": a, "b": b, "label": "unrelated", "reason": "random pair", "random": True})
    return out


def split_of(p: dict) -> str:
    return "holdout" if int(hashlib.sha1(f"{p['a']}|{p['b']}".encode()).hexdigest(), 16) % 3 == 0 else "dev"


# ---- running feedfold ----

def published(key: str) -> str:
    h = int(hashlib.sha1(key.encode()).hexdigest(), 16) % (24 * 3600)
    return (BASE_TIME + timedelta(seconds=h)).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_items(path: Path, pages: dict[str, tuple], keys: list[str]):
    with path.open("w", encoding="utf-8") as fh:
        for k in keys:
            site, title, text = pages[k]
            fh.write(json.dumps({"id": k, "title": title, "text": text, "published": published(k),
                                 "source": site}, ensure_ascii=False) + "\n")


def run_bin(bin_path: str, flags: list[str], path: Path) -> dict[str, dict]:
    cmd = [bin_path, "dedup", "--events", *flags, str(path)]
    print("$ " + " ".join(cmd), flush=True)
    t = time.time()
    p = subprocess.run(cmd, capture_output=True)
    if p.returncode != 0:
        sys.exit(f"events-eval: exit {p.returncode}: {p.stderr.decode('utf-8', 'replace')[-600:]}")
    out = {}
    for line in p.stdout.decode("utf-8").splitlines():
        if line.strip():
            o = json.loads(line)
            out[str(o["id"])] = o
    print(f"  {len(out)} items in {time.time() - t:.1f} s", flush=True)
    return out


# ---- scoring ----

def prf(pairs: list[dict], pred) -> dict:
    tp = sum(1 for p in pairs if p["label"] == "same" and pred(p))
    fp = sum(1 for p in pairs if p["label"] != "same" and pred(p))
    pos = sum(1 for p in pairs if p["label"] == "same")
    prec = tp / (tp + fp) if tp + fp else float("nan")
    rec = tp / pos if pos else float("nan")
    f1 = 2 * prec * rec / (prec + rec) if pos and tp else 0.0
    neg = len(pairs) - pos
    return {"n": len(pairs), "pos": pos, "neg": neg, "tp": tp, "fp": fp, "P": prec, "R": rec, "F1": f1}


def best_thresholds(pairs: list[dict]) -> tuple:
    """(best-F1 threshold, its scores), (threshold with best recall at P >= 0.85, its scores)."""
    cuts = sorted({round(p["cos"], 4) for p in pairs})
    best_f1, best_r = None, None
    for c in cuts:
        s = prf(pairs, lambda p, c=c: p["cos"] >= c)
        if best_f1 is None or s["F1"] > best_f1[1]["F1"]:
            best_f1 = (c, s)
        if s["P"] == s["P"] and s["P"] >= 0.85 and (best_r is None or s["R"] > best_r[1]["R"]):
            best_r = (c, s)
    return best_f1, best_r


def fmt(s: dict) -> str:
    f = lambda x: "  -  " if x != x else f"{x:.3f}"  # noqa: E731
    return f"{s['n']:5d} {s['pos']:4d} {s['neg']:4d} {s['tp']:4d} {s['fp']:4d}  {f(s['P'])} {f(s['R'])} {f(s['F1'])}"


def report(name: str, pairs: list[dict], pred, verbose: bool, pages):
    print(f"\n{name}")
    print(f"{'rows':22} {'pairs':>5} {'pos':>4} {'neg':>4} {'tp':>4} {'fp':>4}  {'P':>5} {'R':>5} {'F1':>5}")
    for lang in ("en", "zh", "all"):
        for split in ("dev", "holdout", "both"):
            sel = [p for p in pairs if (lang == "all" or p["lang"] == lang) and (split == "both" or p["split"] == split)]
            if sel:
                print(f"{lang + ' ' + split:22} {fmt(prf(sel, pred))}")
    hard = [p for p in pairs if p["label"] != "unrelated" or not p.get("random")]
    print(f"{'all, no random pairs':22} {fmt(prf(hard, pred))}")
    fp_topic = sum(1 for p in pairs if p["label"] == "topic" and pred(p))
    fp_unrel = sum(1 for p in pairs if p["label"] == "unrelated" and pred(p))
    print(f"  false positives: {fp_topic} topic (hard negative), {fp_unrel} unrelated")
    if verbose:
        for p in pairs:
            wrong = (p["label"] == "same") != bool(pred(p))
            if wrong:
                kind = "FN" if p["label"] == "same" else "FP"
                ta, tb = pages[p["lang"]][p["a"]][1], pages[p["lang"]][p["b"]][1]
                print(f"  {kind} [{p['split']}] cos {p['cos']:.2f} {p['reason']}\n      {ta[:70]!r}\n      {tb[:70]!r}")


def candidates(pages, vecs, lang, labelled, min_cos):
    keys = sorted(pages)
    rows = []
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            if (a, b) in labelled:
                continue
            c = cosine(vecs[a], vecs[b])
            if c >= min_cos:
                rows.append((c, a, b))
    for c, a, b in sorted(rows, reverse=True):
        print(f"{c:.2f}\t{a}\t{b}\t{pages[a][0]} | {pages[a][1][:90]}\t{pages[b][0]} | {pages[b][1][:90]}")


def find_bin(arg: str | None) -> str:
    if arg:
        return arg
    for c in (REPO / "target" / "release" / "feedfold", REPO / "target" / "debug" / "feedfold"):
        if c.exists():
            return str(c)
    sys.exit("events-eval: no --bin given and no target/{release,debug}/feedfold")


def main():
    ap = argparse.ArgumentParser(description="Dev set + pair scorer for `feedfold dedup --events` (see the docstring).")
    ap.add_argument("--bin", help="feedfold binary (default target/release/feedfold, else target/debug/feedfold)")
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="shared/ dir (default ../shared)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where the JSONL inputs go (default {DEFAULT_OUT})")
    ap.add_argument("--seed", type=int, default=SEED, help="seed of the random unrelated pairs")
    ap.add_argument("--threshold", type=float, help="pass --event-threshold to the binary")
    ap.add_argument("--sweep", help="comma list of --event-threshold values to score in turn")
    ap.add_argument("--candidates", metavar="LANG", help="print unlabelled pairs with cosine >= --min-cos and stop")
    ap.add_argument("--min-cos", type=float, default=0.15)
    ap.add_argument("-v", "--verbose", action="store_true", help="print every wrong pair")
    args = ap.parse_args()
    ensure_deps()
    pages = load_pages(args.shared.resolve())
    vecs = {lang: tfidf(ps, lang) for lang, ps in pages.items()}
    labels = load_labels()
    for p in labels:
        for k in (p["a"], p["b"]):
            if k not in pages[p["lang"]]:
                sys.exit(f"events-eval: label names {k}, which the loaders did not produce")
    labelled = {(min(p["a"], p["b"]), max(p["a"], p["b"])) for p in labels}
    if args.candidates:
        candidates(pages[args.candidates], vecs[args.candidates], args.candidates, labelled, args.min_cos)
        return
    pairs = list(labels)
    for lang in ("en", "zh"):
        pos = sum(1 for p in labels if p["lang"] == lang and p["label"] == "same")
        pairs += random_pairs(pages[lang], vecs[lang], lang, labelled, max(20, pos), args.seed)
    for p in pairs:
        p["split"] = split_of(p)
        p["cos"] = cosine(vecs[p["lang"]][p["a"]], vecs[p["lang"]][p["b"]])
    counts = Counter((p["lang"], p["label"], p["split"]) for p in pairs)
    print("pairs: " + ", ".join(f"{l} {lab} {s} {n}" for (l, lab, s), n in sorted(counts.items())))

    print("\nbaseline: TF-IDF cosine (thresholds chosen on all pairs of the language: an upper bound)")
    for lang in ("en", "zh"):
        sel = [p for p in pairs if p["lang"] == lang]
        if not any(p["label"] == "same" for p in sel):
            print(f"  {lang}: no positive pairs, baseline threshold undefined")
            continue
        (c1, s1), best_r = best_thresholds(sel)
        print(f"  {lang} best F1     at cos >= {c1:.3f}: {fmt(s1)}")
        if best_r:
            print(f"  {lang} P >= 0.85   at cos >= {best_r[0]:.3f}: {fmt(best_r[1])}")
        for split in ("dev", "holdout"):
            s = prf([p for p in sel if p["split"] == split], lambda p, c=c1: p["cos"] >= c)
            print(f"  {lang} {split:7} at the best-F1 cut: {fmt(s)}")
    if not args.bin and not (REPO / "target").exists():
        return
    bin_path = find_bin(args.bin)
    args.out.mkdir(parents=True, exist_ok=True)
    files = {}
    for lang in ("en", "zh"):
        keys = sorted({k for p in pairs if p["lang"] == lang for k in (p["a"], p["b"])},
                      key=lambda k: (published(k), k))
        files[lang] = args.out / f"{lang}.jsonl"
        write_items(files[lang], pages[lang], keys)
    settings = [None] if not args.sweep else [float(x) for x in args.sweep.split(",")]
    if args.threshold is not None and not args.sweep:
        settings = [args.threshold]
    for th in settings:
        flags = [] if th is None else ["--event-threshold", str(th)]
        got = {lang: run_bin(bin_path, flags, f) for lang, f in files.items()}

        def pred(p, got=got):
            a, b = got[p["lang"]].get(p["a"]), got[p["lang"]].get(p["b"])
            return a is not None and b is not None and a.get("event") == b.get("event")
        report(f"feedfold dedup --events {' '.join(flags) or '(defaults)'}", pairs, pred, args.verbose, pages)


if __name__ == "__main__":
    main()
