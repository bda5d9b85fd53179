#!/usr/bin/env bash
# Soak: feedfold run for a bounded time (default 10 minutes) against 200
# loopback feeds on a one-second schedule whose items change every 10 s, so
# the daemon fetches, ingests, clusters and publishes all along. Prints the
# daemon's RSS every 30 s and at start and end, the entries stored, and
# whether the daemon stayed up.
#
#   scripts/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
. scripts/loopback.sh
start_loopback soak "* * * * * *"
FEEDFOLD_LOG=warn target/release/feedfold run -c "$work/soak.toml" 2>"$work/daemon.log" &
daemon=$!
rss() { awk '/VmRSS/{print $2}' "/proc/$daemon/status"; }
count() { entries "$work/soak.db"; }
sleep 5
start_rss=$(rss); max_rss=$start_rss
echo "t=5s rss=${start_rss}kB entries=$(count)"
generation=0
for ((t = 10; t <= secs; t += 10)); do
  sleep 10
  kill -0 "$daemon" 2>/dev/null || { echo "daemon died at t=${t}s"; tail -20 "$work/daemon.log"; exit 1; }
  generation=$((generation + 1))
  python3 scripts/fixture-feeds.py "$work/feeds" --feeds 200 --items 20 --generation "$generation"
  now=$(rss); ((now > max_rss)) && max_rss=$now
  ((t % 30 == 0)) && echo "t=${t}s rss=${now}kB entries=$(count)"
done
end_rss=$(rss)
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && health=ok || health=FAILED
echo "soak ${secs}s: rss start ${start_rss}kB, end ${end_rss}kB, max ${max_rss}kB; entries $(count); healthz $health"
echo "daemon log: $(grep -c ' ERROR ' "$work/daemon.log" || true) errors, $(grep -c ' WARN ' "$work/daemon.log" || true) warnings"
