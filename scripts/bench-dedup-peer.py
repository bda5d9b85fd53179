#!/usr/bin/env python3
"""The peer side of `scripts/bench-dedup.sh`: Python's `simhash` package
(`pip install simhash`) on exactly the documents and fingerprints that
`cargo bench --bench dedup` wrote to DIR.

    bench-simhash-peer.py DIR
"""
import json
import sys
import time
from pathlib import Path

from simhash import Simhash, SimhashIndex


def rate(docs, seconds=3.0):
    for d in docs:  # warm-up
        Simhash(d)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for d in docs:
            Simhash(d)
        done += len(docs)
    elapsed = time.perf_counter() - start
    return done / elapsed, elapsed * 1e6 / done


def main():
    out = Path(sys.argv[1])
    for lang in ("en", "zh"):
        docs = json.loads((out / f"docs-{lang}.json").read_text())
        r, per = rate(docs)
        print(f"peer fingerprint {lang}: {len(docs)} docs, {r:.0f} docs/s, {per:.1f} µs/doc")
    data = json.loads((out / "index-100k.json").read_text())
    items = [(str(i), Simhash(int(fp))) for i, fp in enumerate(data["items"])]
    start = time.perf_counter()
    index = SimhashIndex(items, k=data["k"])
    build = time.perf_counter() - start
    queries = [Simhash(int(q)) for q in data["queries"]]
    start = time.perf_counter()
    found = sum(len(index.get_near_dups(q)) for q in queries)
    secs = time.perf_counter() - start
    print(
        f"peer index n={len(items)} k={data['k']}: build {build * 1e3:.1f} ms, "
        f"{len(queries) / secs:.0f} queries/s ({secs * 1e6 / len(queries):.2f} µs/query, {found} matches)"
    )


if __name__ == "__main__":
    main()
