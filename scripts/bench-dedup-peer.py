#!/usr/bin/env python3
"""The peer side of `scripts/bench-dedup.sh`, on exactly the data that
`cargo bench --bench dedup` wrote to DIR:

    bench-dedup-peer.py fingerprint DIR   Python `simhash` alone, and simhash +
                                          datasketch MinHash (the peer of
                                          feedfold's fingerprint + sketch), on the
                                          ~5,000-character en and zh documents;
                                          MinHash.jaccard per candidate pair;
                                          simhash's SimhashIndex on 100,000
                                          random fingerprints
    bench-dedup-peer.py items DIR N       writes DIR/items-N.jsonl: N synthetic
                                          news items for `feedfold dedup` (stdlib
                                          only, deterministic)
    bench-dedup-peer.py dedup FILE        the datasketch recipe end to end on
                                          FILE: 5-shingle MinHash(128),
                                          MinHashLSH(0.5), connected components
    bench-dedup-peer.py ours BIN FILE     `BIN dedup` on FILE, timed the same way

Times are CPU time (of the thread, or of the process for the end-to-end
runs), so other work on a busy machine counts little; wall time is shown
beside the end-to-end figures.

The items are built from the sentences of the benchmark documents (which
come from ../shared/corpora): stories of 4 to 40 sentences, half English and
half Chinese, each run by 1 to 4 of 200 sites over 90 days, copies within two
days of the first and lightly edited (a sentence dropped or added, a word
changed, a credit line, a title prefix, a teaser cut). Nothing is written
into the repository.
"""
import json
import random
import re
import sys
import time
import unicodedata
from pathlib import Path

PERMS, THRESHOLD, SHINGLE = 128, 0.5, 5
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def shingles(text):
    """5-character shingles of the space-free text when >= 20% of it is CJK,
    else 5-word shingles of its lower-cased \\w+ words (as scripts/dedup-eval.py's peer)."""
    t = unicodedata.normalize("NFKC", text or "")
    flat = "".join(t.split())
    if not flat:
        return set()
    if len(CJK_RE.findall(flat)) >= 0.2 * len(flat):
        return {flat[i:i + SHINGLE] for i in range(max(1, len(flat) - SHINGLE + 1))}
    w = re.findall(r"\w+", t.lower())
    return {" ".join(w[i:i + SHINGLE]) for i in range(max(1, len(w) - SHINGLE + 1))} if w else set()


def minhash(text):
    from datasketch import MinHash
    m = MinHash(num_perm=PERMS, seed=1)
    # The vectorised update: the fastest way the library offers.
    m.update_batch([s.encode("utf-8") for s in shingles(text)])
    return m


def rate(docs, work, seconds=3.0):
    for d in docs:  # warm-up
        work(d)
    done, start = 0, time.thread_time()
    while time.thread_time() - start < seconds:
        for d in docs:
            work(d)
        done += len(docs)
    elapsed = time.thread_time() - start
    return done / elapsed, elapsed * 1e6 / done


def fingerprint(out):
    from simhash import Simhash, SimhashIndex
    sketches = []
    for lang in ("en", "zh"):
        docs = json.loads((out / f"docs-{lang}.json").read_text())
        r, per = rate(docs, Simhash)
        print(f"peer fingerprint {lang}: {len(docs)} docs, {r:.0f} docs/s, {per:.1f} µs/doc")
        r, per = rate(docs, lambda d: (Simhash(d), minhash(d)))
        print(f"peer fingerprint+sketch {lang}: {len(docs)} docs, {r:.0f} docs/s, {per:.1f} µs/doc")
        sketches += [minhash(d) for d in docs]
    verification(out, sketches)
    data = json.loads((out / "index-100k.json").read_text())
    items = [(str(i), Simhash(int(fp))) for i, fp in enumerate(data["items"])]
    start = time.thread_time()
    index = SimhashIndex(items, k=data["k"])
    build = time.thread_time() - start
    queries = [Simhash(int(q)) for q in data["queries"]]
    start = time.thread_time()
    found = sum(len(index.get_near_dups(q)) for q in queries)
    secs = time.thread_time() - start
    print(
        f"peer index n={len(items)} k={data['k']}: build {build * 1e3:.1f} ms, "
        f"{len(queries) / secs:.0f} queries/s ({secs * 1e6 / len(queries):.2f} µs/query, {found} matches)"
    )


def verification(out, sketches):
    """MinHash.jaccard on the pairs feedfold's bench compared (pairs.json: document indexes)."""
    pairs = json.loads((out / "pairs.json").read_text())
    pairs = [(sketches[a], sketches[b]) for a, b in pairs]
    rounds, start, sink = 0, time.thread_time(), 0.0
    while time.thread_time() - start < 3.0:
        for a, b in pairs:
            sink += a.jaccard(b)
        rounds += 1
    ns = (time.thread_time() - start) * 1e9 / (rounds * len(pairs))
    print(f"peer verify: {len(pairs)} pairs, {ns:.0f} ns/candidate (MinHash.jaccard, {PERMS} perms)")


def sentences(out):
    """Sentences of the benchmark documents, by language."""
    pools = {}
    for lang, cut, least in (("en", r"(?<=[.!?])\s+", 30), ("zh", r"(?<=[。！？])", 10)):
        docs = json.loads((out / f"docs-{lang}.json").read_text())
        found = (s.strip() for d in docs for s in re.split(cut, d.replace("\n", " ")))
        pools[lang] = sorted({s for s in found if len(s) >= least})
    return pools


def edit(paras, lang, rng, pool):
    """A copy of a story's paragraphs with 0 to 2 light edits."""
    paras = [list(p) for p in paras]
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        kind = rng.randrange(5)
        p = rng.randrange(len(paras))
        if kind == 0 and len(paras[p]) > 1:
            paras[p].pop(rng.randrange(len(paras[p])))
        elif kind == 1:
            paras[p].insert(rng.randrange(len(paras[p]) + 1), rng.choice(pool))
        elif kind == 2:
            s = rng.randrange(len(paras[p]))
            words = paras[p][s].split(" ") if lang == "en" else list(paras[p][s])
            words[rng.randrange(len(words))] = "said" if lang == "en" else "称"
            paras[p][s] = (" " if lang == "en" else "").join(words)
        elif kind == 3:
            paras.append(["(Reporting by staff; editing by the desk)" if lang == "en" else "（记者 张明 编辑 李华）"])
        elif len(paras) > 2:
            paras = paras[: max(1, len(paras) // 3)]
    return paras


def items(out, n):
    pools = sentences(out)
    rng = random.Random(2026)
    start = 1_767_225_600  # 2026-01-01T00:00:00Z
    rows = []
    story = 0
    while len(rows) < n:
        lang = "en" if story % 2 == 0 else "zh"
        pool = pools[lang]
        picked = [rng.choice(pool) for _ in range(rng.randint(4, 40))]
        paras = [picked[i:i + 3] for i in range(0, len(picked), 3)]
        title = " ".join(picked[0].split(" ")[:10]) if lang == "en" else picked[0][:24]
        first = start + rng.randrange(90 * 86_400)
        for copy, site in enumerate(rng.sample(range(200), rng.choice((1, 1, 2, 2, 2, 3, 3, 4)))):
            body = paras if copy == 0 else edit(paras, lang, rng, pool)
            joiner = " " if lang == "en" else ""
            text = "\n\n".join(joiner.join(p) for p in body)
            head = title if copy == 0 or rng.random() < 0.7 else ("UPDATE: " if lang == "en" else "【独家】") + title
            when = first + (0 if copy == 0 else rng.randrange(2 * 86_400))
            rows.append((when, {
                "id": f"{lang}-{story}-{copy}",
                "title": head,
                "text": text,
                "published": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
                "source": f"site{site}.example",
            }))
        story += 1
    rows = sorted(rows[:n], key=lambda r: r[0])
    path = out / f"items-{n}.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for _, row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {path}: {n} items, {story} stories")


def dedup(path):
    from datasketch import MinHashLSH
    start, wall = time.process_time(), time.perf_counter()
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=PERMS)
    hashes = {}
    for row in rows:
        text = f"{row.get('title', '')}\n{row.get('text', '')}"
        if not shingles(text):
            continue
        m = minhash(text)
        hashes[row["id"]] = m
        lsh.insert(row["id"], m)
    parent = {row["id"]: row["id"] for row in rows}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in hashes.items():
        for j in lsh.query(m):
            a, b = find(i), find(j)
            if a != b:
                parent[a] = b
    clusters = len({find(row["id"]) for row in rows})
    secs, wall = time.process_time() - start, time.perf_counter() - wall
    print(f"peer dedup n={len(rows)}: {secs:.1f} s CPU ({wall:.1f} s wall), {clusters} clusters "
          f"(datasketch MinHash({PERMS}) + MinHashLSH({THRESHOLD}), {SHINGLE}-shingles)")


def ours(binary, path):
    """`feedfold dedup` on FILE, timed like the peer: CPU seconds (user + system) and wall."""
    import resource
    import subprocess
    wall = time.perf_counter()
    with path.open("rb") as given, (path.parent / (path.stem + ".out.jsonl")).open("wb") as out:
        subprocess.run([binary, "dedup"], stdin=given, stdout=out, check=True)
    wall = time.perf_counter() - wall
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [json.loads(line) for line in (path.parent / (path.stem + ".out.jsonl")).open()]
    clusters = len({line["cluster"] for line in lines})
    print(f"dedup n={len(lines)}: {usage.ru_utime + usage.ru_stime:.1f} s CPU ({wall:.1f} s wall), "
          f"{clusters} clusters (feedfold dedup, defaults)")


def main():
    mode, arg = sys.argv[1], Path(sys.argv[2])
    if mode == "fingerprint":
        fingerprint(arg)
    elif mode == "items":
        items(arg, int(sys.argv[3]))
    elif mode == "dedup":
        dedup(arg)
    elif mode == "ours":
        ours(sys.argv[2], Path(sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
