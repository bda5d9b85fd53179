#!/usr/bin/env python3
"""What the events pass (related coverage, issue 20) adds to ingest, on real article text.

SETUP: the venv of scripts/dedup-eval.py (its page loaders read the corpora; the Chinese GNE pages need
trafilatura). Without the packages the script re-executes itself under /tmp/evalvenv/bin/python.

RUNNING (from the repo root)
    scripts/bench-events.py --bin target/release/feedfold [--stored 80000] [--new 20000] [--keep DIR]

WHAT IT DOES
  Articles: the pages scripts/events-eval.py loads from ../shared/corpora (English: l3s-gn1, dragnet,
  Readability; Chinese: GNE, Readability), title + article paragraphs. To reach store sizes the corpora do not
  hold, the set is repeated, each repetition ("replica") with its own vocabulary: every Latin word gets a
  replica suffix and every Han character is moved by a replica offset inside the CJK block. A replica thus
  reads like the corpus (same lengths, term counts, term frequencies, the same share of stories that share
  terms), but shares no term with another, as unrelated news does.
  Feeds: local RSS files of 100 items each (`kind = "feed"` sources, no network). "Old" items are dated 11 to
  30 days back (outside what an events pass reads with the default windows), "new" ones within the last 48 h.
  Runs, each on a fresh SQLite file: `feedfold fetch` of the old feeds (events off, not timed), then the
  timed `feedfold fetch` of the new feeds under /usr/bin/time -v, once with `[events] enabled = false` and
  once with the defaults (the events pass runs after the fetch pass). Prints wall, CPU and peak RSS of both,
  the ratio, and the pass's own line (stories read, time per phase).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

SCRIPT = Path(__file__).resolve()
REPO = SCRIPT.parent.parent
SHARED = REPO.parent / "shared"


def ensure_deps():
    try:
        import lxml.html  # noqa: F401
        import trafilatura  # noqa: F401
    except ImportError:
        venv = Path("/tmp/evalvenv/bin/python")
        if venv.exists() and Path(sys.executable) != venv:
            os.execv(str(venv), [str(venv), *sys.argv])
        sys.exit("needs lxml and trafilatura: see SETUP in " + SCRIPT.name)


def load_pages() -> list[tuple[str, str]]:
    spec = importlib.util.spec_from_file_location("events_eval", SCRIPT.parent / "events-eval.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    pages = mod.load_pages(SHARED)
    return [(title, text) for lang in ("en", "zh") for (_site, title, text) in pages[lang].values() if text.strip()]


LATIN = re.compile(r"[A-Za-z]{3,}")
HAN_START, HAN_SIZE = 0x4E00, 0x9FFF - 0x4E00 + 1


def tag(replica: int) -> str:
    letters = ""
    n = replica
    while n:
        n, d = divmod(n, 26)
        letters += chr(ord("a") + d)
    return letters


def in_replica(text: str, replica: int) -> str:
    if replica == 0:
        return text
    suffix = "q" + tag(replica)
    shift = replica * 7919

    def han(c: str) -> str:
        o = ord(c)
        if HAN_START <= o < HAN_START + HAN_SIZE:
            return chr(HAN_START + (o - HAN_START + shift) % HAN_SIZE)
        return c

    text = LATIN.sub(lambda m: m.group(0) + suffix, text)
    return "".join(han(c) for c in text)


def items(pages, count: int, newest_hours: float, span_hours: float, rng: random.Random, now: datetime):
    for n in range(count):
        replica, page = divmod(n, len(pages))
        title, text = pages[page]
        at = now - timedelta(hours=newest_hours + rng.random() * span_hours)
        yield (f"r{replica}-p{page}", in_replica(title, replica), in_replica(text, replica), at)


def write_feeds(directory: Path, prefix: str, stream, per_feed: int = 100) -> list[str]:
    names, batch = [], []

    def flush():
        name = f"{prefix}-{len(names)}"
        body = "".join(
            f"<item><guid>{guid}</guid><title>{escape(title)}</title>"
            f"<link>https://{name}.example.org/{guid}</link>"
            f"<description>{escape(''.join(f'<p>{escape(p)}</p>' for p in text.splitlines() if p.strip()))}</description>"
            f"<pubDate>{at.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>\n"
            for guid, title, text, at in batch
        )
        (directory / f"{name}.xml").write_text(
            f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{name}</title>'
            f"<link>https://{name}.example.org/</link><description>d</description>\n{body}</channel></rss>\n",
            encoding="utf-8",
        )
        names.append(name)
        batch.clear()

    for item in stream:
        batch.append(item)
        if len(batch) == per_feed:
            flush()
    if batch:
        flush()
    return names


def config(directory: Path, name: str, feeds: list[str], events: bool) -> Path:
    head = (
        f'[daemon]\ndatabase = "sqlite://{directory}/bench.db"\nschedule = "0 0 1 1 *"\nconcurrency = 16\n'
        'listen = "127.0.0.1:0"\n\n[fetch]\nscrape = false\n\n'
    )
    if not events:
        head += "[events]\nenabled = false\n\n"
    sources = "".join(f'[[source]]\nname = "{f}"\nurl = "feeds/{f}.xml"\nkind = "feed"\n\n' for f in feeds)
    path = directory / name
    path.write_text(head + sources, encoding="utf-8")
    return path


def fetch(binary: str, cfg: Path, timed: bool) -> dict:
    cmd = [binary, "fetch", "-c", str(cfg)]
    if timed:
        cmd = ["/usr/bin/time", "-v", *cmd]
    run = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "FEEDFOLD_LOG": "warn"})
    if run.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({run.returncode}):\n{run.stderr[-2000:]}")
    out = {"lines": [l for l in run.stderr.splitlines() if l.startswith("feedfold:")]}
    for key, pattern in (("wall", r"Elapsed \(wall clock\) time.*: (\S+)"), ("user", r"User time \(seconds\): (\S+)"),
                         ("sys", r"System time \(seconds\): (\S+)"), ("rss", r"Maximum resident set size \(kbytes\): (\d+)")):
        m = re.search(pattern, run.stderr)
        if m:
            out[key] = m.group(1)
    if "wall" in out:
        parts = [float(p) for p in out["wall"].split(":")]
        out["wall_s"] = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
        out["cpu_s"] = float(out["user"]) + float(out["sys"])
        out["rss_mib"] = int(out["rss"]) / 1024
    return out


def main():
    ensure_deps()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=str(REPO / "target/release/feedfold"))
    ap.add_argument("--stored", type=int, default=80_000, help="old items stored before the timed pass")
    ap.add_argument("--new", type=int, default=20_000, help="new items the timed pass ingests")
    ap.add_argument("--keep", help="build the feeds here and keep them (default: a temp dir)")
    args = ap.parse_args()
    pages = load_pages()
    rng = random.Random(20)
    now = datetime.now(timezone.utc)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="feedfold-bench-events-"))
    feeds_dir = work / "feeds"
    shutil.rmtree(feeds_dir, ignore_errors=True)
    feeds_dir.mkdir(parents=True)
    # Old items come from the replicas after the new ones', so no old item is a copy of a new one.
    first_old = args.new + len(pages) - args.new % len(pages)
    old_stream = (it for n, it in enumerate(items(pages, first_old + args.stored, 11 * 24, 19 * 24, rng, now)) if n >= first_old)
    old = write_feeds(feeds_dir, "old", old_stream)
    new = write_feeds(feeds_dir, "new", items(pages, args.new, 0.5, 47.5, rng, now))
    print(f"{len(pages)} corpus articles; {args.stored} old items in {len(old)} feeds, {args.new} new items in "
          f"{len(new)} feeds ({work})")
    print(f"$ {args.bin} fetch (old feeds, then the new ones timed), each mode on a fresh SQLite file")
    results = {}
    for mode in ("off", "on"):
        for f in work.glob("bench.db*"):
            f.unlink()
        fetch(args.bin, config(work, "old.toml", old, False), timed=False)
        results[mode] = fetch(args.bin, config(work, f"new-{mode}.toml", new, mode == "on"), timed=True)
        r = results[mode]
        print(f"events {mode:<3}  wall {r['wall_s']:7.2f}s  cpu {r['cpu_s']:7.2f}s  peak RSS {r['rss_mib']:6.1f} MiB")
        for line in r["lines"]:
            print(f"    {line}")
    off, on = results["off"], results["on"]
    print(f"the events pass adds {100 * (on['wall_s'] / off['wall_s'] - 1):+.0f}% wall, "
          f"{100 * (on['cpu_s'] / off['cpu_s'] - 1):+.0f}% CPU, {on['rss_mib'] - off['rss_mib']:+.1f} MiB peak RSS")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
