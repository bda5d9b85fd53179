#!/usr/bin/env bash
# Dedup benchmarks, feedfold against Python's `simhash` package in one run:
# fingerprint throughput on ~5,000-character English and Chinese articles
# (from ../shared/corpora), and band-index build/query speed at k = 3.
# Prints both sides and the ratios. Needs ../shared/corpora and PyPI access
# the first time (it makes a venv for the peer).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${BENCH_VENV:-/tmp/feedfold-bench-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import simhash' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet simhash
fi
export BENCH_OUT="${BENCH_OUT:-$PWD/target/bench-dedup}"
mkdir -p "$BENCH_OUT"
cargo bench --bench dedup 2>/dev/null | tee "$BENCH_OUT/feedfold.txt"
"$venv/bin/python" scripts/bench-simhash-peer.py "$BENCH_OUT" | tee "$BENCH_OUT/peer.txt"
python3 - "$BENCH_OUT" <<'PY'
import re, sys
out = sys.argv[1]
ours = open(f"{out}/feedfold.txt").read()
peer = open(f"{out}/peer.txt").read()
def num(pattern, text):
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None
print("\nratios (feedfold / python simhash, same data, one core each):")
for lang in ("en", "zh"):
    a = num(rf"fingerprint {lang}: .*?, (\d+) docs/s", ours)
    b = num(rf"peer fingerprint {lang}: .*?, (\d+) docs/s", peer)
    print(f"  fingerprint {lang}: {a:.0f} vs {b:.0f} docs/s = {a / b:.0f}x")
a = num(r"index n=100000 k=3: build .*?, (\d+) queries/s", ours)
b = num(r"peer index n=\d+ k=3: build .*?, (\d+) queries/s", peer)
print(f"  index queries (n=100,000, k=3): {a:.0f} vs {b:.0f} queries/s = {a / b:.0f}x")
a = num(r"index n=100000 k=3: build ([\d.]+) ms", ours)
b = num(r"peer index n=\d+ k=3: build ([\d.]+) ms", peer)
print(f"  index build (n=100,000): {a:.1f} vs {b:.1f} ms = {b / a:.0f}x faster")
PY
