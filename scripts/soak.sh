#!/usr/bin/env bash
# Soak: feedfold run for a bounded time (default one hour) against 200
# loopback feeds on a one-second schedule whose items change every 10 s (20
# new entries a second, each story carried by three feeds), with retention
# on a short `keep` (default 5m; the feed window is 2m), so the daemon
# fetches, ingests, clusters, publishes and prunes all along. Every 10 s it
# samples the daemon's RSS, the database file and its WAL, and the entries
# stored into a CSV; at the end it prints a summary (start / middle / end,
# the second half's growth), the daemon's errors and prune runs, and plots
# the CSV with scripts/soak-plot.py when matplotlib can be had (a venv in
# target/soak-venv).
#
#   scripts/soak.sh [SECONDS [KEEP]]     # CSV and PNG in target/soak/
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-3600}
keep=${2:-5m}
out=target/soak
mkdir -p "$out"
csv="$out/soak.csv"
. scripts/loopback.sh
start_loopback soak "* * * * * *" "$keep" "2m"
# Retention's own lines (feedfold::daemon) at info; per-fetch lines stay out.
FEEDFOLD_LOG=warn,feedfold::daemon=info,feedfold::daemon::pipeline=warn \
  target/release/feedfold run -c "$work/soak.toml" 2>"$work/daemon.log" &
daemon=$!
rss() { awk '/VmRSS/{print $2}' "/proc/$daemon/status"; }
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$daemon/stat"; }
echo "t_s,rss_kib,db_bytes,wal_bytes,entries,cpu_s" > "$csv"
sample() {
  echo "$1,$(rss),$(size "$work/soak.db"),$(size "$work/soak.db-wal"),$(entries "$work/soak.db"),$(cpu)" >> "$csv"
}
# Times are wall-clock seconds since the daemon started: writing the feeds
# and sampling take a while on a loaded machine, so a step is over 10 s.
start=$SECONDS
sleep 5
sample 5
generation=0 shown=0
while ((SECONDS - start < secs)); do
  sleep 10
  t=$((SECONDS - start))
  kill -0 "$daemon" 2>/dev/null || { echo "daemon died at t=${t}s"; tail -20 "$work/daemon.log"; exit 1; }
  generation=$((generation + 1))
  python3 scripts/fixture-feeds.py "$work/feeds" --feeds 200 --items 20 --generation "$generation"
  sample "$t"
  ((t / 300 > shown)) && shown=$((t / 300)) && tail -1 "$csv"
done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && health=ok || health=FAILED
cp "$work/daemon.log" "$out/daemon.log"
python3 - "$csv" "$health" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def at(frac):
    return rows[min(len(rows) - 1, int(len(rows) * frac))]
def mib(r, k):
    return int(r[k]) / 1048576
for name, r in (("start", rows[0]), ("half", at(0.5)), ("end", rows[-1])):
    print(f"{name:>5} t={r['t_s']:>5}s rss={mib(r, 'rss_kib') * 1024:7.1f} MiB "
          f"db={mib(r, 'db_bytes'):7.2f} MiB wal={mib(r, 'wal_bytes'):6.2f} MiB entries={r['entries']:>6} cpu={r['cpu_s']}s")
second = rows[len(rows) // 2:]
peak = lambda k: max(int(r[k]) for r in second)
print(f"second half: rss {min(int(r['rss_kib']) for r in second) / 1024:.1f}-{peak('rss_kib') / 1024:.1f} MiB, "
      f"db {min(int(r['db_bytes']) for r in second) / 1048576:.2f}-{peak('db_bytes') / 1048576:.2f} MiB, "
      f"entries {min(int(r['entries']) for r in second)}-{peak('entries')}; healthz {sys.argv[2]}")
EOF
echo "daemon log: $(grep -c ' ERROR ' "$out/daemon.log" || true) errors, $(grep -c ' WARN ' "$out/daemon.log" || true) warnings, $(grep -c 'retention: pruned' "$out/daemon.log" || true) prune runs"
if [ ! -x target/soak-venv/bin/python ]; then
  python3 -m venv target/soak-venv && target/soak-venv/bin/pip install -q matplotlib || true
fi
if target/soak-venv/bin/python scripts/soak-plot.py "$csv" "$out/soak.png"; then
  echo "plot: $out/soak.png"
else
  echo "no plot (matplotlib unavailable); the figures are in $csv"
fi
