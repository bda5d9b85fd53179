#!/usr/bin/env bash
# The poll cycle measured from outside (issue 17): ../shared/tools/feedfarm.py
# serves 5,000 feeds x 10 items (seed 3, 80% never change); one cold
# `feedfold fetch` pass with SQLite, `POST /tick`, one warm pass (80% answer
# 304), each under /usr/bin/time -v: wall, CPU (user + sys), peak RSS.
#   scripts/bench-poll.sh                      # the dist build of this tree (as installed)
#   FEEDS=5000 ITEMS=10 BINARY=path/to/feedfold PERF=1 scripts/bench-poll.sh
#   CONCURRENCY=128 scripts/bench-poll.sh      # sources fetched at once (default 64)
# PERF=1 records each pass with `perf record -g` into target/bench-poll/.
set -euo pipefail
cd "$(dirname "$0")/.."
FEEDS=${FEEDS:-5000}
ITEMS=${ITEMS:-10}
FARM=${FARM:-../shared/tools/feedfarm.py}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
[ -f "$FARM" ] || { echo "no feedfarm at $FARM (set FARM=)" >&2; exit 1; }
if [ -z "${BINARY:-}" ]; then
    cargo build --profile dist --quiet
    BINARY=target/dist/feedfold
fi
out=target/bench-poll
rm -rf "$out" && mkdir -p "$out"

python3 "$FARM" --port 0 --feeds "$FEEDS" --items "$ITEMS" --unchanged 0.8 --seed 3 --change-every 0 \
    --max-seconds 900 >"$out/farm.out" 2>"$out/farm.err" &
farm=$!
trap 'kill $farm 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q LISTEN "$out/farm.out" 2>/dev/null && break
    sleep 0.1
done
addr=$(sed -n 's/^LISTEN //p' "$out/farm.out")
[ -n "$addr" ] || { echo "feedfarm did not start: $(cat "$out/farm.err")" >&2; exit 1; }

{
    printf '[daemon]\ndatabase = "sqlite://%s/bench.db"\nschedule = "* * * * * *"\n' "$PWD/$out"
    printf 'concurrency = %s\nlisten = "127.0.0.1:0"\n\n[fetch]\nscrape = false\n' "${CONCURRENCY:-64}"
    printf 'allow_networks = ["127.0.0.1"]\nper_domain_concurrency = 64\nper_domain_delay = "0s"\n\n'
    curl -sf "http://$addr/feeds.txt" | awk '{ printf "[[source]]\nname = \"farm-%d\"\nurl = \"%s\"\n\n", NR - 1, $0 }'
} >"$out/feedfold.toml"

pass() {
    [ -n "${ONLY_COLD:-}" ] && [ "$1" = warm ] && return 0
    local name=$1 wrap=()
    [ -n "${PERF:-}" ] && wrap=(perf record -F ${PERF_FREQ:-499} ${PERF_CG:--g} -o "$out/$name.perf" --)
    /usr/bin/time -v "${wrap[@]}" "$BINARY" fetch -c "$out/feedfold.toml" \
        >/dev/null 2>"$out/$name.log" || { tail -5 "$out/$name.log" >&2; exit 2; }
    awk -v name="$name" '
        /^feedfold: .*sources fetched/ { summary = $0 }
        /^feedfold: related coverage/ { sub(/^feedfold: /, ""); summary = summary "; " $0 }
        /Elapsed \(wall clock\)/ { wall = $NF }
        /User time/ { user = $NF }
        /System time/ { sys = $NF }
        /Maximum resident set size/ { rss = $NF }
        END { printf "%-5s wall %8s  cpu %6.2fs (user %.2f + sys %.2f)  peak RSS %6.1f MiB  | %s\n",
                     name, wall, user + sys, user, sys, rss / 1024, summary }' "$out/$name.log"
}

echo "$FEEDS feeds x $ITEMS items from feedfarm http://$addr/ (seed 3, 80% unchanged, SQLite, no scraping)"
pass cold
curl -sf -X POST "http://$addr/tick" >/dev/null
sleep 1.1 # every source is due again on the next second
pass warm
echo "entries $(sqlite3 "$out/bench.db" 'SELECT COUNT(*) FROM entries' 2>/dev/null || echo '?')," \
    "database $(du -k "$out/bench.db" | cut -f1) KiB"
