#!/usr/bin/env bash
# Serving under load: wrk against /feed.atom (plain and with If-None-Match)
# and / while feedfold ingests a few thousand entries from a loopback server.
#
#   scripts/load-test.sh [SECONDS_PER_RUN]      (default 10; needs wrk: apt-get install wrk)
#
# Prints wrk's summary (requests/s, latency percentiles, errors) for each run
# and the number of entries stored meanwhile. Everything listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
. scripts/loopback.sh
start_loopback load "*/5 * * * * *"
FEEDFOLD_LOG=warn target/release/feedfold run -c "$work/load.toml" 2>"$work/daemon.log" &
daemon=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

count() { entries "$work/load.db"; }
echo "entries stored at start: $(count)"
python3 scripts/fixture-feeds.py "$work/feeds" --feeds 200 --items 20 --generation 10 # new entries arrive while wrk runs

echo; echo "== GET /feed.atom (200) =="
wrk -t2 -c32 -d"${secs}s" --latency "$base/feed.atom"
echo "entries stored: $(count)"
etag=$(curl -fsI "$base/feed.atom" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
echo; echo "== GET /feed.atom with If-None-Match: $etag (304) =="
wrk -t2 -c32 -d"${secs}s" --latency -H "If-None-Match: $etag" "$base/feed.atom"
echo "entries stored: $(count)"
echo; echo "== GET / =="
wrk -t2 -c32 -d"${secs}s" --latency "$base/"
echo "entries stored at the end: $(count)"
echo "daemon RSS: $(awk '/VmRSS/{print $2, $3}' /proc/$daemon/status)"
echo "daemon log: $(grep -c ' ERROR ' "$work/daemon.log" || true) errors, $(grep -c ' WARN ' "$work/daemon.log" || true) warnings"
grep -E ' (ERROR|WARN) ' "$work/daemon.log" | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-200 | sort | uniq -c | sort -rn | head -5 || true
