#!/usr/bin/env bash
# Dedup benchmarks, feedfold against Python's `simhash` and `datasketch` in
# one run, on the same data, one core each:
#   - fingerprint + sketch throughput on ~5,000-character English and Chinese
#     articles (from ../shared/corpora) vs simhash alone and simhash + MinHash;
#   - verification cost per candidate (sketch evidence vs MinHash.jaccard);
#   - band-index build/query speed at k = 3 vs simhash's SimhashIndex;
#   - `feedfold dedup` end to end over 100,000 synthetic items (built from the
#     same corpus sentences, see scripts/bench-dedup-peer.py) vs the datasketch
#     recipe (5-shingle MinHash(128), MinHashLSH(0.5), connected components).
# Prints both sides and the ratios. Times are CPU time (the machine may be
# busy); the end-to-end runs show wall time too. Needs ../shared/corpora and PyPI access
# the first time (it makes a venv for the peer). Data goes to target/bench-dedup.
#   BENCH_ITEMS=N     items for the end-to-end run (default 100000)
#   BENCH_SKIP_E2E=1  skip the end-to-end run (it takes a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${BENCH_VENV:-/tmp/feedfold-bench-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import simhash, datasketch' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet simhash datasketch
fi
export BENCH_OUT="${BENCH_OUT:-$PWD/target/bench-dedup}"
mkdir -p "$BENCH_OUT"
n="${BENCH_ITEMS:-100000}"
cargo bench --bench dedup 2>/dev/null | tee "$BENCH_OUT/feedfold.txt"
"$venv/bin/python" scripts/bench-dedup-peer.py fingerprint "$BENCH_OUT" | tee "$BENCH_OUT/peer.txt"
if [ -z "${BENCH_SKIP_E2E:-}" ]; then
  cargo build --release --quiet
  "$venv/bin/python" scripts/bench-dedup-peer.py items "$BENCH_OUT" "$n"
  items="$BENCH_OUT/items-$n.jsonl"
  "$venv/bin/python" scripts/bench-dedup-peer.py ours target/release/feedfold "$items" |
    tee -a "$BENCH_OUT/feedfold.txt"
  "$venv/bin/python" scripts/bench-dedup-peer.py dedup "$items" | tee -a "$BENCH_OUT/peer.txt"
fi
python3 - "$BENCH_OUT" <<'PY'
import re, sys
out = sys.argv[1]
ours = open(f"{out}/feedfold.txt").read()
peer = open(f"{out}/peer.txt").read()
def num(pattern, text):
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None
print("\nratios (feedfold vs python, same data, one core each):")
for lang in ("en", "zh"):
    a = num(rf"fingerprint\+sketch {lang}: .*?, (\d+) docs/s", ours)
    b = num(rf"peer fingerprint {lang}: .*?, (\d+) docs/s", peer)
    c = num(rf"peer fingerprint\+sketch {lang}: .*?, (\d+) docs/s", peer)
    print(f"  fingerprint+sketch {lang}: {a:.0f} docs/s vs simhash alone {b:.0f} = {a / b:.0f}x,"
          f" vs simhash + MinHash {c:.0f} = {a / c:.0f}x")
a = num(r"verify: .*?, (\d+) ns/candidate", ours)
b = num(r"peer verify: .*?, (\d+) ns/candidate", peer)
print(f"  verification: {a:.0f} vs {b:.0f} ns/candidate = {b / a:.1f}x faster")
a = num(r"index n=100000 k=3: build .*?, (\d+) queries/s", ours)
b = num(r"peer index n=\d+ k=3: build .*?, (\d+) queries/s", peer)
print(f"  index queries (n=100,000, k=3): {a:.0f} vs {b:.0f} queries/s = {a / b:.0f}x")
a = num(r"index n=100000 k=3: build ([\d.]+) ms", ours)
b = num(r"peer index n=\d+ k=3: build ([\d.]+) ms", peer)
print(f"  index build (n=100,000): {a:.1f} vs {b:.1f} ms = {b / a:.0f}x faster")
a = num(r"dedup n=\d+: ([\d.]+) s", ours)
b = num(r"peer dedup n=\d+: ([\d.]+) s", peer)
if a and b:
    print(f"  dedup end to end: {a:.1f} vs {b:.1f} s = {b / a:.1f}x faster")
PY
