#!/usr/bin/env python3
"""How well `feedfold extract` chooses between its candidates, against the best choice and a fitted score.

WHAT IT DOES
  Runs `feedfold extract --batch --candidates` over the human-gold sets of extract-eval.py (l3s,
  dragnet, cleaneval; readability and the 20 GNE pages with a reference as further checks), scores
  every candidate's cleaned text against the page's gold exactly as extract-eval.py does (word
  4-shingles, characters for CJK), and prints per set the mean F1 of
    chosen   the candidate feedfold chose (its text as written, site templates not cut),
    score    with --fit: the candidate a fitted linear score picks,
    oracle   the best candidate of each page (what a perfect choice would reach),
  plus how many pages each choice loses against the oracle by more than 0.1.

  --fit    fits a linear score by pairwise logistic regression (Newton's method): every two
           candidates of a page whose F1 differ by 0.05 or more form a pair, weighted by that
           difference, so the fit cares about the choices that cost most; L2 penalty --l2. The
           training sets are dragnet's upstream training split (split.tsv), l3s and cleaneval; each
           is scored with weights fitted on the other two (leave one set out), and dragnet's test
           split, readability and GNE with weights fitted on all three, never on themselves.

  The features are the measures of src/extract/features.rs that the binary reports, put on one
  scale in `vector()` (shares of the page's largest candidate, indicators for strategies).

RUNNING
    python3 scripts/extract-choice.py --bin target/release/feedfold            # chosen vs oracle
    python3 scripts/extract-choice.py --bin target/release/feedfold --fit      # fit, then score
  Candidate rows are cached per binary in target/extract-eval-cache/choice-<set>.jsonl (--fresh
  reruns the binary). Standard library only.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("extract_eval", REPO / "scripts" / "extract-eval.py")
ev = importlib.util.module_from_spec(spec)
sys.modules["extract_eval"] = ev
spec.loader.exec_module(ev)

# Names of the score's inputs, in the order `vector()` gives them.
NAMES = ["prose_share", "prose_rel", "chars_rel", "link_density", "punctuation", "headline",
         "opening", "teasers", "holds", "held", "short", "own_prose", "own_other", "own_links",
         "readability", "anchored"]
MIN_STORY = 100
MIN_PAIR_GAP = 0.05


def vector(c: dict, page: list[dict]) -> list[float]:
    """The score's inputs for candidate `c` among its page's candidates."""
    most_prose = max(x["prose"] for x in page)
    most_chars = max(x["chars"] for x in page)
    chars = max(c["chars"], 1)
    return [
        c["prose"] / chars,
        math.log((c["prose"] + 1) / (most_prose + 1)),
        math.log((c["chars"] + 1) / (most_chars + 1)),
        c["link_density"],
        min(c["punctuation"], 5.0) / 5.0,
        c["headline"],
        c["opening"] if c.get("opening") is not None else 0.0,
        1.0 if c["teasers"] else 0.0,
        c["holds"],
        c["held"],
        1.0 if c["prose"] < MIN_STORY else 0.0,
        c["own_prose"] / chars,
        (c["own_chars"] - c["own_prose"]) / chars,
        c["own_links"] / chars,
        1.0 if c["strategy"] == "readability" else 0.0,
        1.0 if c["strategy"] == "anchored" else 0.0,
    ]


def candidate_rows(binary: Path, name: str, pages: list, fresh: bool) -> list[dict]:
    """Per page: id, chosen F1, and each candidate's strategy, F1 and features."""
    cache = ev.CACHE / f"choice-{name}.jsonl"
    stamp = f"{binary.resolve()}:{binary.stat().st_mtime_ns}"
    if cache.is_file() and not fresh:
        lines = cache.read_text(encoding="utf-8").splitlines()
        if lines and json.loads(lines[0]).get("stamp") == stamp:
            return [json.loads(line) for line in lines[1:]]
    out, _ = ev.run_feedfold(binary, pages, ("--candidates",))
    rows = []
    for page in pages:
        got = out.get(page.id)
        if got is None or page.want is None:
            continue
        cands = []
        for c in got.get("candidates", []):
            f1 = ev.score(c.pop("text"), page.want, page.cjk)[2]
            cands.append({**c, "F1": f1})
        chosen = ev.score(got.get("text") or "", page.want, page.cjk)[2]
        rows.append({"id": page.id, "chosen": chosen, "strategy": got.get("strategy"),
                     "reason": got.get("reason"),
                     "candidates": cands})
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache, "w", encoding="utf-8") as f:
        f.write(json.dumps({"stamp": stamp}) + "\n")
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return rows


def choosable(row: dict) -> list[dict]:
    """The candidates the score chooses between (the site's selector and body text never compete)."""
    return [c for c in row["candidates"] if c["strategy"] not in ("selector", "body") and c["chars"] > 0]


def pick(row: dict, weights: list[float]) -> dict | None:
    cands = choosable(row)
    if not cands:
        return None
    return max(cands, key=lambda c: sum(w * x for w, x in zip(weights, vector(c, cands))))


def report(name: str, rows: list[dict], weights: list[float] | None) -> None:
    chosen = [r["chosen"] for r in rows]
    oracle, scored = [], []
    for r in rows:
        cands = choosable(r)
        best = max((c["F1"] for c in cands), default=r["chosen"])
        oracle.append(max(best, r["chosen"]))
        if weights is not None:
            p = pick(r, weights)
            scored.append(r["chosen"] if p is None else p["F1"])
    several = sum(len(choosable(r)) > 1 for r in rows)
    line = (f"{name:18} {len(rows):5} pages ({several} with a choice)  chosen {statistics.fmean(chosen):.4f}"
            f" (−0.1: {sum(o - c > 0.1 for o, c in zip(oracle, chosen))})")
    if weights is not None:
        line += (f"  score {statistics.fmean(scored):.4f}"
                 f" (−0.1: {sum(o - s > 0.1 for o, s in zip(oracle, scored))})")
    line += f"  oracle {statistics.fmean(oracle):.4f}"
    print(line)


def pairs(rows: list[dict]) -> list[tuple[list[float], float]]:
    """(features of the better minus the worse, F1 gap) for every pair of a page's candidates."""
    out = []
    for r in rows:
        cands = choosable(r)
        vecs = [vector(c, cands) for c in cands]
        for i, a in enumerate(cands):
            for j, b in enumerate(cands):
                gap = a["F1"] - b["F1"]
                if gap >= MIN_PAIR_GAP:
                    out.append(([x - y for x, y in zip(vecs[i], vecs[j])], gap))
    return out


def fit(train: list[tuple[list[float], float]], l2: float, steps: int = 30) -> list[float]:
    """Weighted pairwise logistic regression (no intercept: a pair's order is arbitrary), by Newton's
    method: a handful of steps, each solving the penalised Hessian's system."""
    n = len(NAMES)
    w = [0.0] * n
    total = sum(g for _, g in train) or 1.0
    for _ in range(steps):
        grad = [l2 * x for x in w]
        hess = [[l2 if i == j else 0.0 for j in range(n)] for i in range(n)]
        for diff, gap in train:
            margin = sum(a * b for a, b in zip(w, diff))
            p = 1.0 / (1.0 + math.exp(-max(min(margin, 50.0), -50.0)))
            weight = gap / total
            for i in range(n):
                grad[i] += weight * (p - 1.0) * diff[i]
                row = hess[i]
                for j in range(n):
                    row[j] += weight * p * (1.0 - p) * diff[i] * diff[j]
        step = solve(hess, grad)
        w = [a - b for a, b in zip(w, step)]
        if max(abs(x) for x in step) < 1e-6:
            break
    return w


def solve(a: list[list[float]], b: list[float]) -> list[float]:
    """x with a·x = b, by Gaussian elimination with partial pivoting (a is small and positive definite)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def split_ids(corpora: Path) -> dict[str, str]:
    split = {}
    for line in (corpora / "dragnet" / "split.tsv").read_text().splitlines()[1:]:
        pid, part = line.split("\t")
        split[pid] = part
    return split


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", help="feedfold binary (default as extract-eval.py)")
    ap.add_argument("--corpora", help="corpora directory (default ../shared/corpora)")
    ap.add_argument("--fit", action="store_true", help="fit the weights on dragnet's training split")
    ap.add_argument("--l2", type=float, default=1e-3, help="L2 penalty of the fit (default 0.001)")
    ap.add_argument("--fresh", action="store_true", help="rerun the binary even if cached")
    args = ap.parse_args()
    corpora = Path(args.corpora) if args.corpora else REPO / ev.DEFAULT_CORPORA
    binary = ev.resolve_bin(args.bin)
    sets = {name: candidate_rows(binary, name, ev.set_pages(corpora, name), args.fresh)
            for name in ("dragnet", "l3s", "cleaneval", "readability")}
    sets["gne"] = candidate_rows(binary, "gne", ev.gne_pages(corpora), args.fresh)
    split = split_ids(corpora)
    train = [r for r in sets["dragnet"] if split.get(r["id"]) == "training"]
    test = [r for r in sets["dragnet"] if split.get(r["id"]) == "test"]
    weights = None
    training = {"dragnet training": train, "l3s": sets["l3s"], "cleaneval": sets["cleaneval"]}
    checks = [("dragnet test", test), ("readability", sets["readability"]), ("gne (20 refs)", sets["gne"])]
    if args.fit:
        everything = [r for rows in training.values() for r in rows]
        weights = fit(pairs(everything), args.l2)
        print(f"weights fitted on {', '.join(training)} ({len(everything)} pages, "
              f"{len(pairs(everything))} pairs):")
        for name, w in zip(NAMES, weights):
            print(f'    ("{name}", {w:.3f}),')
        print("each training set, scored with weights fitted on the other two (leave one set out):")
        for name, rows in training.items():
            others = [r for other, rs in training.items() if other != name for r in rs]
            report(name, rows, fit(pairs(others), args.l2))
        print("the other sets, scored with the weights fitted on all three:")
    else:
        for name, rows in training.items():
            report(name, rows, weights)
    for name, rows in checks:
        report(name, rows, weights)


if __name__ == "__main__":
    main()
