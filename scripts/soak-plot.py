#!/usr/bin/env python3
"""Plots scripts/soak.sh's CSV: the daemon's RSS, and the database file and
its WAL, over time, with the entries stored on a second axis.

    soak-plot.py target/soak/soak.csv target/soak/soak.png
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = list(csv.DictReader(open(sys.argv[1])))
    if not rows:
        sys.exit(f"{sys.argv[1]}: no samples")
    minutes = [int(r["t_s"]) / 60 for r in rows]
    mib = lambda key, scale=1048576: [int(r[key]) / scale for r in rows]
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6.5))
    top.plot(minutes, mib("rss_kib", 1024), color="tab:red", label="RSS")
    top.set_ylabel("daemon RSS (MiB)")
    top.set_ylim(bottom=0)
    top.grid(alpha=0.3)
    top.legend(loc="upper left")
    bottom.plot(minutes, mib("db_bytes"), color="tab:blue", label="database file")
    bottom.plot(minutes, mib("wal_bytes"), color="tab:cyan", label="WAL file")
    bottom.set_ylabel("size (MiB)")
    bottom.set_xlabel("minutes")
    bottom.set_ylim(bottom=0)
    bottom.grid(alpha=0.3)
    entries = bottom.twinx()
    entries.plot(minutes, [int(r["entries"]) for r in rows], color="tab:gray",
                 linestyle="--", label="entries stored")
    entries.set_ylabel("entries stored")
    entries.set_ylim(bottom=0)
    lines = bottom.get_legend_handles_labels()
    more = entries.get_legend_handles_labels()
    bottom.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left")
    fig.suptitle("feedfold soak: 200 feeds, 20 new entries/s, retention keep on")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)


if __name__ == "__main__":
    main()
