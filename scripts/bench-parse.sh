#!/usr/bin/env bash
# Feed parse speed, feedfold against Python's feedparser in one run, on the
# same bytes, one core each:
#   - podcast: a generated 1.6 MB podcast RSS feed;
#   - zh-news: a generated Chinese news RSS feed (dates without a zone);
#   - feedparser-suite: feedparser's own well-formed test documents
#     (../shared/corpora/feedparser, read in place), each parsed on its own.
# feedfold's side is `cargo bench --bench parse` (in-process
# source::feed::parse: decoding, fixes, feed-rs, normalising into entries);
# the peer is feedparser.parse() on the bytes the bench wrote. Both report
# MB/s of thread CPU time, so other work on the machine counts less; the
# figures are still noisy on a shared machine.
# Needs PyPI the first time (a venv with feedparser under target/).
#   BENCH_OUT=DIR    where the inputs and outputs go (default target/bench-parse)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${BENCH_OUT:-$PWD/target/bench-parse}"
export BENCH_OUT="$out"
venv="$PWD/target/bench-parse-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import feedparser' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet feedparser
fi
mkdir -p "$out"
cargo bench --bench parse 2>/dev/null | tee "$out/feedfold.txt"
"$venv/bin/python" - "$out" <<'PY' | tee "$out/peer.txt"
import sys, time, feedparser
out = sys.argv[1]

def report(name, docs):
    size = sum(len(d) for d in docs)
    items = sum(len(feedparser.parse(d).entries) for d in docs)  # warm-up
    start, rounds = time.thread_time(), 0
    while time.thread_time() - start < 3.0:
        for d in docs:
            feedparser.parse(d)
        rounds += 1
    secs = time.thread_time() - start
    print(f"peer {name}: {len(docs)} docs, {size} bytes, {items} items, {rounds} rounds, "
          f"{size * rounds / secs / 1e6:.2f} MB/s, {secs * 1e3 / rounds:.3f} ms/round")

print(f"peer: feedparser {feedparser.__version__}")
for name in ("podcast", "zh-news"):
    report(name, [open(f"{out}/{name}.xml", "rb").read()])
paths = [p for p in open(f"{out}/feedparser-suite.txt").read().splitlines() if p]
if paths:
    report("feedparser-suite", [open(p, "rb").read() for p in paths])
PY
python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
ours, peer = open(f"{out}/feedfold.txt").read(), open(f"{out}/peer.txt").read()
def rate(prefix, text):
    m = re.search(rf"^{prefix}: .*?, ([\d.]+) MB/s", text, re.M)
    return float(m.group(1)) if m else None
print("\nratios (feedfold vs feedparser, same bytes, thread CPU time):")
for name in ("podcast", "zh-news", "feedparser-suite"):
    a, b = rate(re.escape(name), ours), rate("peer " + re.escape(name), peer)
    if a and b:
        print(f"  {name}: {a:.1f} MB/s vs {b:.2f} MB/s = {a / b:.0f}x")
PY
