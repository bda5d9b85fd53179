# Shared by load-test.sh and soak.sh (sourced, not run): a loopback feed
# server over fixture-feeds.py's files and a daemon config reading it.

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# serve_feeds DIR PORT: 200 feeds of 20 items in DIR, served on PORT until
# the calling script exits; returns once the first feed answers.
serve_feeds() {
  python3 scripts/fixture-feeds.py "$1" --feeds 200 --items 20
  (cd "$1" && exec python3 -m http.server "$2" --bind 127.0.0.1 >/dev/null 2>&1) &
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$2/feed-0.xml" >/dev/null 2>&1 && return
    sleep 0.1
  done
}

# daemon_config PORT FEEDS_PORT DATABASE SCHEDULE [KEEP [WINDOW]]: the config
# on stdout; retention keeps KEEP (default ten years) and the feed shows
# WINDOW (default ten years).
daemon_config() {
  printf '[daemon]\nlisten = "127.0.0.1:%d"\ndatabase = "sqlite://%s"\nschedule = "%s"\nconcurrency = 16\nkeep = "%s"\n\n' "$1" "$3" "$4" "${5:-3650d}"
  printf '[fetch]\nallow_networks = ["127.0.0.1"]\nper_domain_concurrency = 16\nper_domain_delay = "0s"\nscrape = false\n\n'
  printf '[output]\nitems = 50\nwindow = "%s"\n\n' "${6:-3650d}"
  for i in $(seq 0 199); do
    printf '[[source]]\nname = "f%d"\nurl = "http://127.0.0.1:%d/feed-%d.xml"\n\n' "$i" "$2" "$i"
  done
}

# entries DATABASE: rows in its entries table (0 before the first migration).
entries() {
  python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM entries').fetchone()[0])" "$1" 2>/dev/null || echo 0
}

# start_loopback NAME SCHEDULE [KEEP [WINDOW]]: builds feedfold, makes $work (removed on
# exit, with every background job), serves the feeds and writes
# $work/NAME.toml for a daemon on $port reading $work/NAME.db.
start_loopback() {
  cargo build --release --quiet
  work=$(mktemp -d)
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
  feeds_port=$(free_port)
  port=$(free_port)
  serve_feeds "$work/feeds" "$feeds_port"
  daemon_config "$port" "$feeds_port" "$work/$1.db" "$2" "${3:-3650d}" "${4:-3650d}" > "$work/$1.toml"
}
