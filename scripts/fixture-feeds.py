#!/usr/bin/env python3
"""Writes N RSS feeds of M items each into DIR (feed-0.xml ...), for the load
and soak scripts; with --generation G the feeds carry items G..G+M of their
story sequence, so a later generation adds new entries and drops old ones.
Stories overlap between feeds (every story is carried by three feeds) so the
daemon clusters as it ingests. Stdlib only; nothing here reads the corpora.

    python3 scripts/fixture-feeds.py DIR --feeds 200 --items 20 [--generation 0]
"""
import argparse
import os
import random
from email.utils import formatdate

WORDS = ("harbour council budget ferry strike glacier orchard festival bridge election hospital "
         "museum railway drought vaccine satellite library tunnel wildfire stadium airport refinery "
         "vineyard lighthouse canal tariff pension reactor monsoon census opera mine quarry telescope "
         "marathon cathedral border subway dam orchestra garrison harvest").split()


def story_text(story):
    rnd = random.Random(story)
    title = " ".join(rnd.choice(WORDS) for _ in range(7)).capitalize()
    body = ". ".join(" ".join(rnd.choice(WORDS) for _ in range(14)) for _ in range(4)) + "."
    return title, body


def feed(index, items, generation):
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
             f"<title>Feed {index}</title><link>https://feeds.example.org/{index}</link>"
             f"<description>fixture</description>"]
    for n in range(generation, generation + items):
        story = (index // 3) * 100_000 + n  # three feeds share each story
        title, body = story_text(story)
        when = formatdate(1_790_000_000 + story % 100_000 * 60, usegmt=True)
        parts.append(f"<item><guid>f{index}-{story}</guid><title>{title}</title>"
                     f"<link>https://news.example.org/{story}</link>"
                     f"<description>{body}</description><pubDate>{when}</pubDate></item>")
    parts.append("</channel></rss>\n")
    return "".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--generation", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    for i in range(args.feeds):
        path = os.path.join(args.dir, f"feed-{i}.xml")
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(feed(i, args.items, args.generation))
        os.replace(tmp, path)  # a reader never sees half a file


if __name__ == "__main__":
    main()
