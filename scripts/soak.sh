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
cargo build --release --quiet
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
feeds_port=$(free_port)
port=$(free_port)
python3 scripts/fixture-feeds.py "$work/feeds" --feeds 200 --items 20
(cd "$work/feeds" && exec python3 -m http.server "$feeds_port" --bind 127.0.0.1 >/dev/null 2>&1) &
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$feeds_port/feed-0.xml" >/dev/null 2>&1 && break; sleep 0.1; done
{
  printf '[daemon]\nlisten = "127.0.0.1:%d"\ndatabase = "sqlite://%s/soak.db"\nschedule = "* * * * * *"\nconcurrency = 16\n\n' "$port" "$work"
  printf '[fetch]\nallow_networks = ["127.0.0.1"]\nper_domain_concurrency = 16\nper_domain_delay = "0s"\nscrape = false\n\n'
  printf '[output]\nitems = 50\nwindow = "3650d"\n\n'
  for i in $(seq 0 199); do
    printf '[[source]]\nname = "f%d"\nurl = "http://127.0.0.1:%d/feed-%d.xml"\n\n' "$i" "$feeds_port" "$i"
  done
} > "$work/soak.toml"

FEEDFOLD_LOG=warn target/release/feedfold run -c "$work/soak.toml" 2>"$work/daemon.log" &
daemon=$!
rss() { awk '/VmRSS/{print $2}' "/proc/$daemon/status"; }
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM entries').fetchone()[0])" "$work/soak.db" 2>/dev/null || echo 0; }
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
