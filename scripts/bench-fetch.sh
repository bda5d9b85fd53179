#!/usr/bin/env bash
# One `feedfold fetch` pass over 5,000 loopback feeds with SQLite, cold and
# steady (80% answer 304), measured with /usr/bin/time -v (wall, CPU, peak RSS).
#   BENCH_FEEDS=5000 BENCH_ITEMS=10 scripts/bench-fetch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
cargo bench --bench fetch_pass
