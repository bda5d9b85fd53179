#!/usr/bin/env bash
# Check the served merged feed with real clients, against the offline demo:
#   * Python feedparser: /feed.atom, /feed.rss, /feeds/zh.atom (bozo must be 0);
#     /feed.json is checked as JSON Feed 1.1 by a small stdlib validator
#     (feedparser 6.0.x has no JSON Feed support);
#   * newsboat: reloads the Atom and RSS feeds into a temp cache, must list items;
#   * headless Chromium: screenshots of the index page and of /sources to
#     target/check-clients/index.png and sources.png (look at them: Chinese must
#     render as text, not boxes).
# Runs the daemon on a copy of config/demo.toml (+ config/demo/) on a free port in
# a temp dir, and always stops it on exit.
#
# Env: FEEDFOLD_BIN (binary to use; default target/release/feedfold, else
# target/debug/feedfold, else `cargo build`), CHECK_VENV (feedparser venv,
# default /tmp/feedfold-check-venv). Installs newsboat/chromium with apt-get and
# fonts-wqy-zenhei (CJK) with apt-get and feedparser from PyPI when missing.
set -euo pipefail
if [ -n "${FEEDFOLD_BIN:-}" ] && [[ $FEEDFOLD_BIN != /* ]]; then
  FEEDFOLD_BIN=$PWD/$FEEDFOLD_BIN   # relative to the caller's cwd
fi
cd "$(dirname "$0")/.."
repo=$PWD

# --- binary --------------------------------------------------------------------
if [ -n "${FEEDFOLD_BIN:-}" ]; then
  bin=$FEEDFOLD_BIN
elif [ -x target/release/feedfold ]; then
  bin=$repo/target/release/feedfold
elif [ -x target/debug/feedfold ]; then
  bin=$repo/target/debug/feedfold
else
  cargo build
  bin=$repo/target/debug/feedfold
fi
[ -x "$bin" ] || { echo "check-clients: no executable feedfold at $bin" >&2; exit 1; }
if [ -z "${FEEDFOLD_BIN:-}" ] && [ "$bin" = "$repo/target/release/feedfold" ] \
   && [ target/debug/feedfold -nt target/release/feedfold ]; then
  echo "note: target/release/feedfold is older than target/debug/feedfold; set FEEDFOLD_BIN to pick one"
fi
echo "binary: $bin"

# --- tools ---------------------------------------------------------------------
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
command -v curl >/dev/null || apt_install curl
command -v newsboat >/dev/null || apt_install newsboat
command -v sqlite3 >/dev/null || apt_install sqlite3
chromium_bin=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium_bin" ]; then
  apt_install chromium
  chromium_bin=$(command -v chromium)
fi
# The demo has Chinese stories: without a CJK font Chromium draws them as boxes.
if [ -z "$(fc-list :lang=zh 2>/dev/null | head -n1)" ]; then apt_install fonts-wqy-zenhei || true; fi
cjk_font=$(fc-list :lang=zh family 2>/dev/null | head -n1 | cut -d, -f1)
if [ -z "$cjk_font" ]; then
  echo "WARNING: no CJK font (install fonts-wqy-zenhei): Chinese in the screenshots will be boxes" >&2
fi
venv="${CHECK_VENV:-/tmp/feedfold-check-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import feedparser' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet feedparser
fi

# --- daemon --------------------------------------------------------------------
tmp=$(mktemp -d /tmp/feedfold-check.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
cp config/demo.toml "$tmp/demo.toml"
cp -r config/demo "$tmp/demo"
sed -i -e "s|^listen = \"127.0.0.1:8080\"|listen = \"127.0.0.1:$port\"|" \
       -e "s|^base_url = \"http://127.0.0.1:8080/\"|base_url = \"$base/\"|" "$tmp/demo.toml"
# One source that fails, with a Chinese name and group: /sources must list it
# first, with its error, and Chromium must draw its name as text.
cat >>"$tmp/demo.toml" <<'TOML'

[[source]]
name = "新华-失效"
url = "demo/missing.xml"
groups = ["中文"]
TOML
grep -q "127.0.0.1:$port\"" "$tmp/demo.toml" && grep -q "base_url = \"$base/\"" "$tmp/demo.toml" \
  || { echo "check-clients: could not rewrite listen/base_url in demo.toml" >&2; exit 1; }

"$bin" run -c "$tmp/demo.toml" >"$tmp/daemon.out" 2>"$tmp/daemon.log" &
pid=$!
echo "daemon: pid $pid on $base (log $tmp/daemon.log)"
ready=
for _ in $(seq 150); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "check-clients: daemon exited early:" >&2; cat "$tmp/daemon.log" >&2; exit 1
  fi
  if curl -fsS "$base/feed.atom" 2>/dev/null | grep -q '<entry'; then ready=1; break; fi
  sleep 0.2
done
[ -n "$ready" ] || { echo "check-clients: /feed.atom has no entries after 30 s" >&2; cat "$tmp/daemon.log" >&2; exit 1; }

declare -a summary=()
fail=0

# --- feedparser + JSON Feed ------------------------------------------------------
echo
echo "== feedparser =="
if "$venv/bin/python" - "$base" <<'PY'
import json, re, sys, urllib.request
import feedparser

base = sys.argv[1]
ok = True
print(f"feedparser {feedparser.__version__}")
for path in ("/feed.atom", "/feed.rss", "/feeds/zh.atom"):
    d = feedparser.parse(base + path)
    status = d.get("status")
    print(f"  {path}: http {status}, version {d.version or '?'}, bozo {d.bozo}, entries {len(d.entries)}")
    if d.bozo:
        print(f"    bozo_exception: {d.bozo_exception!r}")
        ok = False
    if status != 200 or not d.entries:
        ok = False

# JSON Feed: feedparser 6.0.x cannot parse it; validate as JSON Feed 1.1 here.
path = "/feed.json"
print(f"  {path}: feedparser {feedparser.__version__} has no JSON Feed support; validating as JSON Feed 1.1 (stdlib)")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
errs = []
try:
    with urllib.request.urlopen(base + path) as r:
        ctype = r.headers.get("Content-Type", "")
        feed = json.loads(r.read().decode("utf-8"))
except Exception as e:  # noqa: BLE001
    errs.append(f"fetch/parse: {e!r}")
    feed, ctype = {}, ""
if feed:
    if "json" not in ctype:
        errs.append(f"content-type {ctype!r} is not JSON")
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        errs.append(f"version is {feed.get('version')!r}")
    if not isinstance(feed.get("title"), str) or not feed["title"]:
        errs.append("missing top-level title")
    items = feed.get("items")
    if not isinstance(items, list) or not items:
        errs.append("items missing or empty")
        items = []
    ids = set()
    for i, it in enumerate(items):
        iid = it.get("id")
        if not isinstance(iid, str) or not iid:
            errs.append(f"item {i}: id missing or not a string")
        elif iid in ids:
            errs.append(f"item {i}: duplicate id {iid}")
        else:
            ids.add(iid)
        if not any(isinstance(it.get(k), str) for k in ("content_html", "content_text")):
            errs.append(f"item {i}: neither content_html nor content_text")
        for k in ("date_published", "date_modified"):
            if k in it and not (isinstance(it[k], str) and RFC3339.match(it[k])):
                errs.append(f"item {i}: {k} {it[k]!r} is not RFC 3339")
        if "url" in it and not str(it["url"]).startswith(("http://", "https://")):
            errs.append(f"item {i}: url {it['url']!r} is not absolute")
    print(f"  {path}: version {feed.get('version')}, items {len(items)}, unique ids {len(ids)}, errors {len(errs)}")
for e in errs[:20]:
    print(f"    ERROR {e}")
if errs:
    ok = False
sys.exit(0 if ok else 1)
PY
then
  summary+=("feedparser+jsonfeed: OK (atom/rss/zh.atom bozo 0; feed.json valid JSON Feed 1.1)")
else
  summary+=("feedparser+jsonfeed: FAIL"); fail=1
fi
count_entries() {  # URL TAG -> number of <TAG> elements in the document
  curl -fsS "$1" | python3 -c 'import sys, xml.etree.ElementTree as ET; print(sum(1 for e in ET.fromstring(sys.stdin.buffer.read()).iter() if e.tag.rsplit("}", 1)[-1] == sys.argv[1]))' "$2"
}
atom_count=$(count_entries "$base/feed.atom" entry)
rss_count=$(count_entries "$base/feed.rss" item)

# --- newsboat ------------------------------------------------------------------
# One cache per feed: newsboat keys cached items by GUID across all feeds, and the
# Atom and RSS documents rightly carry the same tag: ids, so with one shared cache
# the second feed's items take over the first one's rows.
echo
echo "== newsboat =="
nb_version=$(newsboat --version | head -n1 | awk '{print $2}')
nb_ok=1
nb_res=()
for fmt in atom rss; do
  url=$base/feed.$fmt
  d=$tmp/newsboat-$fmt
  mkdir -p "$d"
  printf '%s\n' "$url" >"$d/urls"
  : >"$d/config"
  nb() { HOME=$d newsboat -C "$d/config" -u "$d/urls" -c "$d/cache.db" "$@"; }
  if ! nb -x reload >"$d/reload.out" 2>&1; then
    echo "  $url: newsboat reload failed:"; sed 's/^/    /' "$d/reload.out"; nb_ok=0
  fi
  unread=$(nb -x print-unread 2>&1 | tail -n1 || true)
  unread_n=${unread%% *}
  [[ $unread_n =~ ^[0-9]+$ ]] || unread_n=0
  items=$(sqlite3 "$d/cache.db" "SELECT count(*) FROM rss_item WHERE feedurl='$url';" 2>/dev/null || echo 0)
  if [ "$fmt" = atom ]; then want=$atom_count; else want=$rss_count; fi
  echo "  /feed.$fmt: print-unread \"$unread\", cached items $items, feed has $want"
  sqlite3 "$d/cache.db" "SELECT '    - ' || title FROM rss_item WHERE feedurl='$url' ORDER BY pubDate DESC LIMIT 3;" 2>/dev/null || true
  if [ "$items" -eq 0 ] || [ "$unread_n" -ne "$want" ] || [ "$items" -ne "$want" ]; then
    echo "  /feed.$fmt: newsboat lists $unread_n unread / $items cached, expected $want"; nb_ok=0
  fi
  nb_res+=("$fmt $unread_n/$want")
done
if [ "$nb_ok" = 1 ]; then
  summary+=("newsboat $nb_version: OK (unread/entries: ${nb_res[*]})")
else
  summary+=("newsboat $nb_version: FAIL (unread/entries: ${nb_res[*]})"); fail=1
fi

# --- chromium screenshot ---------------------------------------------------------
echo
echo "== chromium =="
out_dir=$repo/target/check-clients
mkdir -p "$out_dir"
shot() {  # URL PNG
  local url=$1 png=$2 headless profile
  rm -f "$png"
  for headless in --headless --headless=new; do
    profile=$(mktemp -d "$tmp/chromium.XXXXXX")
    timeout 90 "$chromium_bin" "$headless" --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --disable-dev-shm-usage --hide-scrollbars \
      --user-data-dir="$profile" --window-size="$3" --screenshot="$png" "$url" \
      >"$tmp/chromium.log" 2>&1 || true
    [ -s "$png" ] && break
  done
  stat -c %s "$png" 2>/dev/null || echo 0
}
png=$out_dir/index.png
size=$(shot "$base/" "$png" 420,900)
chromium_version=$("$chromium_bin" --version 2>/dev/null | awk '{print $2}')
# What the screenshot should show: the index page lists the feed's stories.
index_check=$("$venv/bin/python" - "$base" <<'PY'
import html, sys, urllib.request
import feedparser
base = sys.argv[1]
page = html.unescape(urllib.request.urlopen(base + "/").read().decode("utf-8"))
titles = [e.title for e in feedparser.parse(base + "/feed.atom").entries]
shown = sum(1 for t in titles if t in page)
print(f"{shown} {len(titles)} {page.count('Also reported by')} {page.count('feed.atom')}")
PY
) || index_check="0 0 0 0"
read -r shown ntitles also feedlinks <<<"$index_check"
echo "  index page: $shown/$ntitles story titles, $also \"Also reported by\" lines, $feedlinks links to feed.atom"
if [ "$size" -gt 5000 ] && [ "$shown" -gt 0 ]; then
  echo "  screenshot: $png ($size bytes)"
  summary+=("chromium $chromium_version: OK ($png, $size bytes; page lists $shown/$ntitles stories, $also 'Also reported by')")
else
  echo "  screenshot $size bytes, index lists $shown stories; chromium log:"; tail -n 20 "$tmp/chromium.log"
  summary+=("chromium: FAIL (screenshot $size bytes, index lists $shown/$ntitles stories)"); fail=1
fi

# /sources: linked from /, one row per configured source (what `feedfold status` prints).
png=$out_dir/sources.png
size=$(shot "$base/sources" "$png" 1000,700)
sources_check=$(python3 - "$base" "$tmp/demo.toml" <<'PY'
import html, sys, tomllib, urllib.request
base, config = sys.argv[1], sys.argv[2]
names = [s["name"] for s in tomllib.load(open(config, "rb")).get("source", []) if s.get("enabled", True)]
index = urllib.request.urlopen(base + "/").read().decode("utf-8")
with urllib.request.urlopen(base + "/sources") as r:
    status, page = r.status, html.unescape(r.read().decode("utf-8"))
rows = page.split("<tr")[2:]
listed = sum(1 for n in names if n in page)
# The failing source comes first, with its error.
first_ok = bool(rows) and "新华-失效" in rows[0] and "No such file" in rows[0]
rows = len(rows) if first_ok else -len(rows)
linked = int('href="sources"' in index)
print(f"{status} {rows} {listed} {len(names)} {linked}")
PY
) || sources_check="0 0 0 0 0"
read -r s_status s_rows s_listed s_names s_linked <<<"$sources_check"
echo "  /sources: http $s_status, $s_rows rows, $s_listed/$s_names sources listed, linked from /: $s_linked"
if [ "$size" -gt 5000 ] && [ "$s_status" = 200 ] && [ "$s_listed" = "$s_names" ] \
   && [ "$s_rows" = "$s_names" ] && [ "$s_linked" = 1 ]; then
  echo "  screenshot: $png ($size bytes)"
  summary+=("chromium /sources: OK ($png, $size bytes; $s_listed/$s_names sources, linked from /; CJK font: ${cjk_font:-NONE})")
else
  echo "  /sources screenshot $size bytes; chromium log:"; tail -n 20 "$tmp/chromium.log"
  summary+=("chromium /sources: FAIL (http $s_status, $s_listed/$s_names sources, $s_rows rows, linked $s_linked, screenshot $size bytes)"); fail=1
fi

# --- summary -------------------------------------------------------------------
echo
echo "== summary =="
for line in "${summary[@]}"; do echo "  $line"; done
if [ "$fail" = 0 ]; then echo "all clients OK"; else echo "some clients FAILED"; fi
exit "$fail"
