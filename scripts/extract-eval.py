#!/usr/bin/env python3
"""Article-extraction quality and speed of `feedfold extract --batch`, optionally beside trafilatura.

WHAT IT MEASURES
  Readability set: ../shared/corpora/readability/test-pages/*/source.html (Mozilla Readability's
  130 test pages, URL http://fakehost/test/page.html), scored against the text of each case's
  expected.html (Readability.js's reviewed output, not an independent human annotation).
  CAVEAT: feedfold extracts with dom_smoothie, a Rust port of Readability.js whose own test suite
  asserts these very expected.html files, so on this set feedfold's score measures how faithfully it
  follows Readability.js, not extraction quality in general (expect ~1.0). trafilatura's score there
  is its agreement with Readability.js. The GNE pages are the less circular view.
    text      expected.html through html.parser: block elements start new lines, script/style
              dropped, whitespace collapsed.
    tokens    a page whose reference text is mostly CJK (Han/kana/Hangul > 30% of non-space chars)
              is scored on characters (every non-space char); other pages on lowercased \\w+ words.
    shingles  4 consecutive tokens, as a multiset (a text of 1-3 tokens is one shingle).
    P, R, F1  P = |got & want| / |got|, R = |got & want| / |want|; both empty -> 1, one empty -> 0.
  Printed: page count, mean P/R/F1 over all pages, over the CJK-scored pages and over the rest, pages
  with F1 < 0.5, pages with an error, mean/median in-process ms per page (feedfold's "ms": raw bytes
  to article, charset decoding included; it excludes process start), the title match rate against
  expected-metadata.json, and with --worst N the N lowest-F1 pages.

  --peer  runs Python trafilatura (pinned below) in-process in a child program under the venv
          target/extract-eval-venv (created with pip on first use): trafilatura is loaded once,
          one warm-up page is extracted, then each page's raw bytes go through
          trafilatura.extract(raw, url=..., include_comments=False, include_tables=True), timed
          with time.perf_counter (file reading excluded). Its text is scored exactly like
          feedfold's; the tables show both side by side, plus trafilatura mean ms / feedfold mean ms.

  --gne DIR  ../shared/corpora/gne/tests/<site>/*.html (62 Chinese news pages, no human ground
          truth). Writes feedfold's output per page to DIR/<site>-<name>.txt (title line, blank
          line, text) for reading; for the 20 pages in gne/result.txt (GNE's own 2019 output, a weak
          reference only) prints character-shingle P/R/F1 against GNE's content (and trafilatura's
          with --peer); and for every page the number of lines of feedfold's text that match a
          credit/boilerplate pattern (来源, 编辑, 记者, 监制, 原标题, 版权, 声明, 分享到, 相关阅读 ...)
          and the fraction of U+FFFD replacement characters ("no credits, correct characters").
          The pattern count is crude: a body paragraph saying 记者 counts too, so the lines of at
          most 40 characters among them ("short", mostly real credit lines) are counted apart;
          -v lists the lines.

  --sets LIST  which human-gold English sets to score (comma-separated; default "readability"):
          readability (above); l3s (l3s-gn1: 621 Google News 2008 pages, gold = headline + full-text
          blocks; the 3 pages whose html lacks the article are skipped); dragnet (1,381 news/blog
          pages, gold = hand-copied main content, comments excluded; R237/R427 skipped); cleaneval
          (395 general web pages, inclusive gold: rewards recall; empty-gold pages and dev-47
          skipped); "all" = the four. Gzipped pages are unpacked once into target/extract-eval-cache.
          Scored like the readability set (word 4-shingles).

  --pages FILE.jsonl  a set of pages as JSON lines {"id","html","url",...} with the truth beside it
          (FILE.truth.jsonl, {"id","article"}), e.g. the dedup dev set's en-pages: each page's html is
          written once into target/extract-eval-cache/pages/<set>-<path hash>/ (rewritten if it changed), and feedfold's text is scored against
          "article" by word 3-shingle sets (the dedup view): mean recall / precision, and the pages
          with recall < 0.8 (a wrong block was chosen) and precision < 0.8 (chrome kept); with
          --worst N the N lowest-recall and N lowest-precision pages.

  --titles  per set, feedfold's title against a reference title: exact match after case and
          space folding, token F1 >= 0.8 (lowercased words; letters one by one for CJK) and mean
          token F1; -v lists every page not matched exactly. References: readability =
          expected-metadata.json "title" (Readability.js's choice); l3s = the blocks labelled
          Headline in blocks.jsonl.gz (the first is shown; matching any of them counts); dragnet =
          the gold's first line (past datelines) when the page states it as a heading (h1-h6, same
          words) or as a run
          of three or more words of its <title> or og:/twitter:title (other pages start with a date
          or the lead and have none); gne (with --gne) = GNE's own titles in result.txt (20 pages,
          weak); cleaneval has none (its index title is the page's <title>).

RUNNING (from anywhere; paths are resolved against the repo root)
    python3 scripts/extract-eval.py                                   # readability set, feedfold only
    python3 scripts/extract-eval.py --peer --gne /tmp/gne-out --worst 15
    python3 scripts/extract-eval.py --bin target/release/feedfold --json /tmp/run-a.jsonl
    python3 scripts/extract-eval.py --sets all --gne /tmp/gne-out           # every corpus
    python3 scripts/extract-eval.py --sets none --pages /tmp/my6/en-pages.jsonl --worst 10
    python3 scripts/extract-eval.py --sets readability,l3s,dragnet --gne /tmp/gne-out --titles -v
  The binary is --bin, else $FEEDFOLD_BIN, else target/release/feedfold, else target/debug/feedfold.
  --corpora DIR overrides ../shared/corpora (read at run time; nothing from it is copied into the
  repo). --json OUT writes one row per page (id, P, R, F1, ms, strategy, cjk; peer_* with --peer),
  sorted and rounded so that `diff` of two runs shows what changed.
  Scoring needs only the standard library; --peer needs PyPI (trafilatura, lxml_html_clean).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = "../shared/corpora"
READABILITY_URL = "http://fakehost/test/page.html"
GNE_URL = "http://fakehost/gne/{site}/{name}"
VENV = REPO / "target" / "extract-eval-venv"
CACHE = REPO / "target" / "extract-eval-cache"
SETS = ("readability", "l3s", "dragnet", "cleaneval")
SKIP = {"dragnet": {"R237", "R427"}, "cleaneval": {"dev-47"}}
# What pip resolved on 2026-11-28 when this script was written (trafilatura 2.3.1 pulled lxml 6.1.3,
# whose lxml.html.clean moved out to lxml_html_clean, which justext needs).
PEER_REQUIREMENTS = ["trafilatura==2.3.1", "lxml_html_clean==0.4.6"]
SHINGLE = 4
SITE_TEMPLATES = False  # --site-templates
CJK_SHARE = 0.30
LOW_F1 = 0.5
SHORT_LINE = 40  # a credit line ("责任编辑：霍琦") is short; a body paragraph quoting 记者 is not

BLOCK_TAGS = {
    "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "blockquote", "pre", "tr",
    "section", "article", "figure", "figcaption", "table", "ul", "ol", "dd", "dt", "hr",
}
DROPPED_TAGS = {"script", "style"}
CJK_RE = re.compile(
    "[\u1100-\u11ff\u3040-\u309f\u30a0-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]"
)
WORD_RE = re.compile(r"\w+", re.UNICODE)
CREDIT_RE = re.compile(
    "来源|编辑|记者|监制|新闻监督热线|原标题|版权|声明|扫一扫|分享到|相关阅读|相关新闻|推荐阅读"
)
GNE_RESULT_HEAD = re.compile(r"^>{5,}(tests/\S+?)>{5,}\s*$")


# ---------------------------------------------------------------- text and scoring

class _BlockText(HTMLParser):
    """Collects text, starting a new line at every block element's start and end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED_TAGS:
            self.dropping += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in DROPPED_TAGS:
            self.dropping = max(0, self.dropping - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.dropping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: one block per line, whitespace collapsed, no empty lines."""
    parser = _BlockText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def is_cjk(text: str) -> bool:
    """True when CJK characters are more than 30% of the text's non-space characters."""
    chars = [c for c in text if not c.isspace()]
    return bool(chars) and len(CJK_RE.findall(text)) > CJK_SHARE * len(chars)


def tokens(text: str, cjk: bool) -> list[str]:
    if cjk:
        return [c for c in text if not c.isspace()]
    return WORD_RE.findall(text.lower())


def shingles(toks: list[str], k: int = SHINGLE) -> Counter:
    if 0 < len(toks) < k:
        return Counter([tuple(toks)])
    return Counter(tuple(toks[i:i + k]) for i in range(len(toks) - k + 1))


def prf(got: Counter, want: Counter) -> tuple[float, float, float]:
    if not got and not want:
        return 1.0, 1.0, 1.0
    if not got or not want:
        return 0.0, 0.0, 0.0
    common = sum((got & want).values())
    p, r = common / sum(got.values()), common / sum(want.values())
    return p, r, (2 * p * r / (p + r) if common else 0.0)


def score(got_text: str, want_text: str, cjk: bool) -> tuple[float, float, float]:
    return prf(shingles(tokens(got_text, cjk)), shingles(tokens(want_text, cjk)))


def normalise_title(title: str) -> str:
    return " ".join(title.split()).casefold()


# ---------------------------------------------------------------- corpora

@dataclass
class Page:
    id: str
    path: Path
    url: str
    want: str | None = None  # reference text (None: no reference)
    title: str | None = None  # reference title
    cjk: bool = False
    other_titles: tuple[str, ...] = ()  # further titles the reference accepts (l3s: every headline)


def readability_pages(corpora: Path) -> list[Page]:
    pages = []
    for case in sorted((corpora / "readability" / "test-pages").iterdir()):
        source = case / "source.html"
        if not source.is_file():
            continue
        want = html_to_text((case / "expected.html").read_text(encoding="utf-8"))
        meta_path = case / "expected-metadata.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        pages.append(Page(case.name, source, READABILITY_URL, want, meta.get("title"), is_cjk(want)))
    return pages


def gne_results(corpora: Path, field: str = "content") -> dict[str, str]:
    """GNE's own content (or other field) per page id ("<site>/<name>") from gne/result.txt."""
    results, key, block = {}, None, []
    for line in (corpora / "gne" / "result.txt").read_text(encoding="utf-8").splitlines():
        head = GNE_RESULT_HEAD.match(line)
        if head:
            key, block = head.group(1).removeprefix("tests/"), []
        elif line.startswith("<<<<<") and key:
            results[key.removesuffix(".html")] = json.loads("\n".join(block))[field]
            key = None
        elif key:
            block.append(line)
    return results


def gne_pages(corpora: Path) -> list[Page]:
    reference = gne_results(corpora)
    titles = gne_results(corpora, "title")
    pages = []
    for path in sorted((corpora / "gne" / "tests").glob("*/*.html")):
        pid = f"{path.parent.name}/{path.stem}"
        url = GNE_URL.format(site=path.parent.name, name=path.name)
        pages.append(Page(pid, path, url, reference.get(pid), titles.get(pid), True))
    return pages


def unpacked(path: Path, set_name: str) -> Path:
    """A gzipped page unpacked once into the cache (feedfold reads raw bytes)."""
    if path.suffix != ".gz":
        return path
    out = CACHE / set_name / path.name.removesuffix(".gz")
    if not out.is_file() or out.stat().st_mtime < path.stat().st_mtime:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(gzip.decompress(path.read_bytes()))
    return out


def gold_pages(corpora: Path, set_name: str, folder: str, urls: dict[str, str]) -> list[Page]:
    """Pages html/<id>.html.gz with gold/<id>.txt (non-empty), less the known-broken ones."""
    root = corpora / folder
    pages = []
    for gold in sorted((root / "gold").glob("*.txt")):
        pid = gold.stem
        html = root / "html" / f"{pid}.html.gz"
        want = gold.read_text(encoding="utf-8")
        if pid in SKIP.get(set_name, ()) or not want.strip() or not html.is_file():
            continue
        pages.append(Page(pid, unpacked(html, set_name), urls.get(pid, ""), want, None,
                          is_cjk(want)))
    return pages


def tsv_urls(path: Path, column: int = 1) -> dict[str, str]:
    urls = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if len(fields) > column and fields[column].startswith("http"):
                urls[fields[0]] = fields[column]
    return urls


STATED_URL = [re.compile(p, re.I) for p in (
    r'''<link[^>]*rel=["']?canonical["']?[^>]*href=["']?(https?://[^"' >]+)''',
    r'''<link[^>]*href=["']?(https?://[^"' >]+)["']?[^>]*rel=["']?canonical''',
    r'''<meta[^>]*property=["']og:url["'][^>]*content=["'](https?://[^"']+)''',
    r'''<meta[^>]*content=["'](https?://[^"']+)["'][^>]*property=["']og:url''',
)]


def with_stated_urls(pages: list[Page]) -> list[Page]:
    """Pages without a URL get the one they state (canonical link, og:url), if any: dragnet lists
    none, and `--site-templates` groups pages by their URL's host."""
    for page in pages:
        if page.url:
            continue
        text = page.path.read_text(encoding="utf-8", errors="replace")
        for pattern in STATED_URL:
            found = pattern.search(text)
            if found:
                page.url = found.group(1)
                break
    return pages


def l3s_pages(corpora: Path) -> list[Page]:
    # Pages whose html lacks the annotated article: their gold cannot be reached.
    pages = gold_pages(corpora, "l3s", "l3s-gn1", tsv_urls(corpora / "l3s-gn1" / "urls.tsv"))
    headlines = l3s_headlines(corpora)
    for page in pages:
        found = headlines.get(page.id, [])
        page.title, page.other_titles = (found[0], tuple(found[1:])) if found else (None, ())
    return [p for p in pages if _reachable(p)]


def l3s_headlines(corpora: Path) -> dict[str, list[str]]:
    """Every block the assessors labelled Headline (label 1), per page, in page order."""
    path = corpora / "l3s-gn1" / "blocks.jsonl.gz"
    out = {}
    if path.is_file():
        for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines():
            row = json.loads(line)
            out[row["id"]] = [text for label, text in row["blocks"] if label == 1 and text.strip()]
    return out


class _Headings(HTMLParser):
    """The texts a page states as its title: <title>, h1-h6, og:/twitter: title metas."""

    TAGS = {"title", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.open: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.TAGS:
            self.open.append([])
        elif tag == "meta":
            a = dict(attrs)
            key = (a.get("property") or a.get("name") or "").lower()
            if key in ("og:title", "twitter:title") and a.get("content"):
                self.texts.append(a["content"])

    def handle_endtag(self, tag):
        if tag in self.TAGS and self.open:
            self.texts.append("".join(self.open.pop()))

    def handle_data(self, data):
        for part in self.open:
            part.append(data)


DATE_WORDS = set(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may "
    "june july august september october november december jan feb mar apr jun jul aug sep sept "
    "oct nov dec am pm at on posted updated last by".split()
)


def is_date_line(line: str) -> bool:
    """A dateline ("Thursday, August 09, 2012", "24 July 2012 Last updated at 12:01")."""
    words = tokens(line, False)
    return bool(words) and all(w.isdigit() or w in DATE_WORDS for w in words)


def dragnet_title(page: Page) -> str | None:
    """The gold's first line after any datelines, when the page states it as a heading (its words
    exactly) or as a run of three or more words of its <title> or a meta title: annotators copied
    the headline first on most pages (a blog's date header above it), but some begin with a byline
    or the lead, and those pages have no title reference."""
    lines = [line.strip() for line in (page.want or "").splitlines() if line.strip()][:3]
    first = next((line for line in lines if not is_date_line(line)), "")
    words = tokens(first, False)
    if not words or len(first) > 300:
        return None
    parser = _Headings()
    try:
        parser.feed(page.path.read_text(encoding="utf-8", errors="replace"))
    except Exception:  # a malformed page has no usable headings
        return None
    for text in parser.texts:
        stated = tokens(text, False)
        if stated == words or (len(words) >= 3 and _contains_run(stated, words)):
            return first
    return None


def _contains_run(haystack: list[str], run: list[str]) -> bool:
    return any(haystack[i:i + len(run)] == run for i in range(len(haystack) - len(run) + 1))


def _reachable(page: Page) -> bool:
    """Whether most of the gold's word 4-shingles occur in the page's text at all."""
    text = html_to_text(page.path.read_text(encoding="utf-8", errors="replace"))
    got, want = shingles(tokens(text, False)), shingles(tokens(page.want or "", False))
    return not want or sum((got & want).values()) / sum(want.values()) >= 0.5


def set_pages(corpora: Path, name: str) -> list[Page]:
    if name == "readability":
        return readability_pages(corpora)
    if name == "l3s":
        return l3s_pages(corpora)
    if name == "dragnet":
        pages = with_stated_urls(gold_pages(corpora, name, "dragnet", {}))
        for page in pages:
            page.title = dragnet_title(page)
        return pages
    return gold_pages(corpora, name, "cleaneval", tsv_urls(corpora / "cleaneval" / "index.tsv"))


def json_pages(path: Path) -> list[Page]:
    """--pages: html written once into the cache, truth "article" beside it."""
    truth_path = path.with_name(path.name.removesuffix(".jsonl") + ".truth.jsonl")
    truth = {}
    for line in truth_path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        truth[row["id"]] = row.get("article")
    # Keyed by the set's own path, not just its name: sets built with other
    # seeds share names and ids.
    import hashlib
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    outdir = CACHE / "pages" / f"{path.stem}-{key}"
    outdir.mkdir(parents=True, exist_ok=True)
    pages = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not row.get("html") or row["id"] not in truth:
            continue
        html = outdir / f"{row['id']}.html"
        if not html.is_file() or html.read_text(encoding="utf-8") != row["html"]:
            html.write_text(row["html"], encoding="utf-8")
        pages.append(Page(row["id"], html, row.get("url") or "", truth[row["id"]], None,
                          is_cjk(truth[row["id"]] or "")))
    return pages


# ---------------------------------------------------------------- extractors

def resolve_bin(arg: str | None) -> Path:
    """--bin (relative to the working directory), else $FEEDFOLD_BIN, else the repo's builds."""
    if arg:
        candidates = [Path(arg).resolve()]
    elif os.environ.get("FEEDFOLD_BIN"):
        candidates = [Path(os.environ["FEEDFOLD_BIN"]).resolve()]
    else:
        candidates = [REPO / "target" / "release" / "feedfold", REPO / "target" / "debug" / "feedfold"]
    for path in candidates:
        if path.is_file():
            return path
    sys.exit(f"feedfold binary not found (tried {', '.join(map(str, candidates))}); "
             "build it or pass --bin")


def run_feedfold(binary: Path, pages: list[Page], extra: tuple[str, ...] = ()) -> tuple[dict[str, dict], float]:
    """One `feedfold extract --batch -` (plus `extra` flags) over the pages; rows by id, and the
    process's wall seconds."""
    listing = "".join(f"{p.id}\t{p.path.resolve()}\t{p.url}\n" for p in pages)
    # Readability's test pages all say they are http://fakehost/: one "site" of unrelated pages
    # (and variants of one article), which templates must not be learnt across.
    templates = SITE_TEMPLATES and any(p.url and p.url != READABILITY_URL for p in pages)
    cmd = [str(binary), "extract", "--batch", "-", *extra] + (["--site-templates"] if templates else [])
    print("$", " ".join(cmd), f"< ({len(pages)} lines)", file=sys.stderr)
    start = time.perf_counter()
    proc = subprocess.run(cmd, input=listing.encode(), capture_output=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"feedfold exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-2000:]}")
    rows = {}
    for line in proc.stdout.decode("utf-8").splitlines():
        row = json.loads(line)
        rows[row["id"]] = row
    missing = [p.id for p in pages if p.id not in rows]
    if missing:
        sys.exit(f"feedfold wrote no row for {len(missing)} pages, e.g. {missing[:3]}")
    return rows, wall


PEER_CHILD = r"""
import json, sys, time
from importlib.metadata import version
import trafilatura

def extract(page):
    with open(page["path"], "rb") as f:
        raw = f.read()
    start = time.perf_counter()
    try:
        text = trafilatura.extract(raw, url=page["url"], include_comments=False, include_tables=True)
        err = ""
    except Exception as e:  # one bad page must not end the run
        text, err = None, repr(e)
    return text or "", (time.perf_counter() - start) * 1000.0, err

pages = json.load(sys.stdin)
print(json.dumps({"version": version("trafilatura")}), flush=True)
if pages:
    extract(pages[0])  # warm-up: first-call imports and caches
for page in pages:
    text, ms, err = extract(page)
    print(json.dumps({"id": page["id"], "text": text, "ms": ms, "err": err}), flush=True)
"""


def venv_python() -> Path:
    """The peer venv's python, creating the venv and installing trafilatura on first use."""
    python = VENV / "bin" / "python"
    if python.is_file() and subprocess.run(
        [str(python), "-c", "import trafilatura"], capture_output=True
    ).returncode == 0:
        return python
    for cmd in (
        [sys.executable, "-m", "venv", str(VENV)],
        [str(python), "-m", "pip", "install", "-q", *PEER_REQUIREMENTS],
    ):
        print("$", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True)
    return python


def run_trafilatura(pages: list[Page]) -> tuple[dict[str, dict], str]:
    """trafilatura over the pages in one child process; rows by id, and its version."""
    python = venv_python()
    listing = json.dumps([{"id": p.id, "path": str(p.path.resolve()), "url": p.url} for p in pages])
    print("$", python, "-c <peer child>", f"< ({len(pages)} pages)", file=sys.stderr)
    proc = subprocess.run([str(python), "-c", PEER_CHILD], input=listing.encode(),
                          capture_output=True)
    if proc.returncode != 0:
        sys.exit(f"trafilatura child exited {proc.returncode}: "
                 f"{proc.stderr.decode(errors='replace')[-2000:]}")
    lines = proc.stdout.decode("utf-8").splitlines()
    version = json.loads(lines[0])["version"]
    rows = {row["id"]: row for row in map(json.loads, lines[1:])}
    return rows, version


# ---------------------------------------------------------------- scoring runs

def score_rows(pages: list[Page], out: dict[str, dict]) -> list[dict]:
    """Per page: P, R, F1 (None without a reference), ms, strategy, error, cjk flag."""
    rows = []
    for page in pages:
        got = out[page.id]
        p = r = f = None
        if page.want is not None:
            p, r, f = score(got.get("text") or "", page.want, page.cjk)
        rows.append({"id": page.id, "P": p, "R": r, "F1": f, "ms": got.get("ms"),
                     "strategy": got.get("strategy"), "err": got.get("err") or "",
                     "cjk": page.cjk, "title": got.get("title") or ""})
    return rows


def summarise(rows: list[dict]) -> dict:
    """Means over all / CJK / other pages, low-F1 and error counts, mean and median ms."""
    def means(sub):
        if not sub:
            return None
        return tuple(statistics.fmean(r[k] for r in sub) for k in ("P", "R", "F1"))

    scored = [r for r in rows if r["F1"] is not None]
    ms = [r["ms"] for r in rows if r["ms"] is not None]
    return {
        "n": len(scored),
        "all": means(scored),
        "cjk": means([r for r in scored if r["cjk"]]),
        "other": means([r for r in scored if not r["cjk"]]),
        "n_cjk": sum(r["cjk"] for r in scored),
        "low": sum(r["F1"] < LOW_F1 for r in scored),
        "errors": sum(bool(r["err"]) for r in rows),
        "ms_mean": statistics.fmean(ms) if ms else float("nan"),
        "ms_median": statistics.median(ms) if ms else float("nan"),
    }


TITLE_F1 = 0.8


def title_tokens(text: str, cjk: bool) -> Counter:
    """A title's words (lowercased \\w+), or its letters and digits one by one when it is CJK."""
    if cjk:
        return Counter(c for c in text if c.isalnum())
    return Counter(WORD_RE.findall(text.casefold()))


def title_f1(got: str, want: str) -> float:
    cjk = is_cjk(want)
    return prf(title_tokens(got, cjk), title_tokens(want, cjk))[2]


def title_rows(pages: list[Page], out: dict[str, dict]) -> list[dict]:
    """Per page with a reference title: feedfold's title, exact (case/space-folded) match with any
    accepted reference, and the best token F1."""
    rows = []
    for page in pages:
        if not page.title:
            continue
        got = out[page.id].get("title") or ""
        wanted = (page.title, *page.other_titles)
        exact = any(normalise_title(got) == normalise_title(w) for w in wanted)
        rows.append({"id": page.id, "got": got, "want": page.title, "exact": exact,
                     "f1": max(title_f1(got, w) for w in wanted)})
    return rows


def print_titles(name: str, pages: list[Page], out: dict[str, dict], verbose: bool) -> None:
    """--titles: exact and token-F1 >= 0.8 rates; with -v every page not matched exactly."""
    rows = title_rows(pages, out)
    n = len(rows)
    if not n:
        print(f"\n== {name} titles: no page has a reference title ==")
        return
    exact = sum(r["exact"] for r in rows)
    soft = sum(r["f1"] >= TITLE_F1 for r in rows)
    print(f"\n== {name} titles: {n} of {len(pages)} pages have a reference title ==")
    print(f"exact (case/space-folded) {exact}/{n} = {exact / n:.3f}   "
          f"token F1 >= {TITLE_F1} {soft}/{n} = {soft / n:.3f}   "
          f"mean token F1 {statistics.fmean(r['f1'] for r in rows):.3f}")
    if verbose:
        for r in sorted((r for r in rows if not r["exact"]), key=lambda r: (r["f1"], r["id"])):
            print(f"  {r['id'][:24]:24} F1 {r['f1']:.2f}\n      got:  {r['got'][:150]!r}"
                  f"\n      want: {r['want'][:150]!r}")


def title_match_rate(pages: list[Page], out: dict[str, dict]) -> tuple[int, int]:
    with_title = [p for p in pages if p.title]
    hits = sum(normalise_title(out[p.id].get("title") or "") == normalise_title(p.title)
               for p in with_title)
    return hits, len(with_title)


# ---------------------------------------------------------------- reports

def fmt_prf(t) -> str:
    return "    -     -     -" if t is None else "{:.3f} {:.3f} {:.3f}".format(*t)


def print_summary(name: str, columns: list[tuple[str, dict]]) -> None:
    """A side-by-side table of summaries (one column per extractor)."""
    first = columns[0][1]
    print(f"\n== {name}: {first['n']} pages ({first['n_cjk']} CJK-scored), "
          f"{SHINGLE}-shingle P / R / F1 ==")
    print(f"{'':22}" + "".join(f"{label:>22}" for label, _ in columns))
    lines = [
        ("all  P R F1", lambda s: fmt_prf(s["all"])),
        (f"CJK ({first['n_cjk']})  P R F1", lambda s: fmt_prf(s["cjk"])),
        (f"other ({first['n'] - first['n_cjk']})  P R F1", lambda s: fmt_prf(s["other"])),
        (f"pages F1 < {LOW_F1}", lambda s: str(s["low"])),
        ("pages with error", lambda s: str(s["errors"])),
        ("ms/page mean", lambda s: f"{s['ms_mean']:.2f}"),
        ("ms/page median", lambda s: f"{s['ms_median']:.2f}"),
    ]
    for label, cell in lines:
        print(f"{label:22}" + "".join(f"{cell(s):>22}" for _, s in columns))
    if len(columns) > 1:
        base, peer = columns[0][1], columns[1][1]
        print(f"speed ratio (trafilatura mean ms / feedfold mean ms): "
              f"{peer['ms_mean'] / base['ms_mean']:.2f}x  "
              f"(medians: {peer['ms_median'] / base['ms_median']:.2f}x)")


def print_worst(rows: list[dict], peer_rows: list[dict] | None, n: int) -> None:
    peer = {r["id"]: r for r in peer_rows or []}
    scored = [r for r in rows if r["F1"] is not None]
    worst = sorted(scored, key=lambda r: (r["F1"], r["id"]))[:n]
    imperfect = sum(r["F1"] < 0.9995 for r in scored)
    print(f"\n== {len(worst)} worst pages for feedfold (by F1; {imperfect} of {len(scored)} "
          f"pages below 1.000) ==")
    print((f"{'page':40} {'P':>5} {'R':>5} {'F1':>5} {'ms':>8}  {'strategy':14}"
           + ("  traf.F1" if peer else "")).rstrip())
    for r in worst:
        extra = f"  {peer[r['id']]['F1']:7.3f}" if peer else ""
        err = f"  err: {r['err'][:60]}" if r["err"] else ""
        print(f"{r['id'][:40]:40} {r['P']:5.3f} {r['R']:5.3f} {r['F1']:5.3f} {r['ms']:8.2f}  "
              f"{(r['strategy'] or '')[:14]:14}{extra}{err}".rstrip())


def write_json(path: Path, rows: list[dict], peer_rows: list[dict] | None) -> None:
    """One JSON line per page, keys sorted and numbers rounded, so two runs diff cleanly."""
    def rnd(x, places):
        return None if x is None else round(x, places)

    peer = {r["id"]: r for r in peer_rows or []}
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            out = {"id": r["id"], "P": rnd(r["P"], 4), "R": rnd(r["R"], 4), "F1": rnd(r["F1"], 4),
                   "ms": rnd(r["ms"], 2), "strategy": r["strategy"], "cjk": r["cjk"],
                   "title": r.get("title", "")}
            if r["err"]:
                out["err"] = r["err"]
            if r["id"] in peer:
                q = peer[r["id"]]
                out.update(peer_P=rnd(q["P"], 4), peer_R=rnd(q["R"], 4), peer_F1=rnd(q["F1"], 4),
                           peer_ms=rnd(q["ms"], 2))
            f.write(json.dumps(out, sort_keys=True, ensure_ascii=False) + "\n")


def write_gne_texts(outdir: Path, pages: list[Page], out: dict[str, dict]) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    for page in pages:
        row = out[page.id]
        body = row.get("text") or ""
        if row.get("err"):
            body = f"[error: {row['err']}]\n{body}"
        name = page.id.replace("/", "-") + ".txt"
        (outdir / name).write_text(f"{row.get('title') or ''}\n\n{body}\n", encoding="utf-8")


def credit_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if CREDIT_RE.search(line)]


def fffd_share(text: str) -> float:
    return text.count("\ufffd") / len(text) if text else 0.0


def print_gne_reference(rows: list[dict], peer_rows: list[dict] | None) -> None:
    """Character-shingle scores against GNE's own output (pages in result.txt only)."""
    peer = {r["id"]: r for r in peer_rows or []}
    scored = [r for r in rows if r["F1"] is not None]
    print(f"\n== GNE: {len(scored)} pages with GNE's own output (weak reference), "
          f"char {SHINGLE}-shingle P / R / F1 ==")
    print(f"{'page':22} {'feedfold P R F1':>17}" + (f"  {'trafilatura P R F1':>18}" if peer else ""))
    for r in scored:
        extra = f"  {fmt_prf((peer[r['id']]['P'], peer[r['id']]['R'], peer[r['id']]['F1'])):>18}" \
            if peer else ""
        print(f"{r['id']:22} {fmt_prf((r['P'], r['R'], r['F1'])):>17}{extra}")
    mean = summarise(rows)["all"]
    extra = f"  {fmt_prf(summarise(peer_rows)['all']):>18}" if peer else ""
    print(f"{'mean':22} {fmt_prf(mean):>17}{extra}")


def print_gne_checks(pages: list[Page], out: dict[str, dict], peer_out: dict[str, dict] | None,
                     verbose: bool) -> None:
    """Per page: feedfold's line count, credit/boilerplate-pattern lines and U+FFFD share."""
    print(f"\n== GNE: credit/boilerplate-pattern lines and U+FFFD share, {len(pages)} pages ==")
    print(f"{'page':22} {'chars':>6} {'lines':>5} {'credit':>6} {'short':>5} {'fffd':>7} {'ms':>7}"
          "  strategy" + ("   | traf: chars credit short fffd" if peer_out else ""))
    totals = Counter()
    for page in pages:
        row = out[page.id]
        text = row.get("text") or ""
        credits = credit_lines(text)
        short = [line for line in credits if len(line) <= SHORT_LINE]
        totals.update(credits=len(credits), short=len(short), pages_short=bool(short),
                      pages_fffd=fffd_share(text) > 0, empty=not text.strip())
        extra = ""
        if peer_out:
            ptext = peer_out[page.id]["text"]
            pcredits = credit_lines(ptext)
            pshort = sum(len(line) <= SHORT_LINE for line in pcredits)
            totals.update(peer_credits=len(pcredits), peer_short=pshort, peer_pages_short=bool(pshort),
                          peer_pages_fffd=fffd_share(ptext) > 0, peer_empty=not ptext.strip())
            extra = f"   | {len(ptext):11} {len(pcredits):6} {pshort:5} {fffd_share(ptext):.4f}"
        print(f"{page.id:22} {len(text):6} {len(text.splitlines()):5} {len(credits):6} "
              f"{len(short):5} {fffd_share(text):7.4f} {row.get('ms') or 0:7.2f}  "
              f"{row.get('strategy') or ''}"
              f"{' err: ' + row['err'][:50] if row.get('err') else ''}{extra}")
        if verbose:
            for line in credits:
                print(f"{'':24}| {line[:100]}")
    print(f"feedfold: {totals['credits']} pattern lines, {totals['short']} of them short, on "
          f"{totals['pages_short']} pages; U+FFFD on {totals['pages_fffd']} pages; empty text on "
          f"{totals['empty']} pages")
    if peer_out:
        print(f"trafilatura: {totals['peer_credits']} pattern lines, {totals['peer_short']} of them "
              f"short, on {totals['peer_pages_short']} pages; U+FFFD on "
              f"{totals['peer_pages_fffd']} pages; empty text on {totals['peer_empty']} pages")


# ---------------------------------------------------------------- main

def evaluate_readability(args, binary: Path, corpora: Path) -> None:
    pages = readability_pages(corpora)
    out, wall = run_feedfold(binary, pages)
    rows = score_rows(pages, out)
    columns = [("feedfold", summarise(rows))]
    peer_rows = None
    if args.peer:
        peer_out, version = run_trafilatura(pages)
        peer_rows = score_rows(pages, peer_out)
        columns.append((f"trafilatura {version}", summarise(peer_rows)))
    print_summary("readability", columns)
    print("note: the expected texts are Readability.js's output, which keeps bylines, captions, "
          "link lists and the headline that feedfold's cleanup drops on purpose; "
          "`--only readability` with the cleanup's losses in mind, and the GNE pages, say more")
    hits, total = title_match_rate(pages, out)
    print(f"feedfold title == expected-metadata title (case/space-folded): {hits}/{total}")
    if args.titles:
        print_titles("readability", pages, out, args.verbose)
    print(f"feedfold batch process wall time: {wall:.2f} s for {len(pages)} pages "
          f"(includes process start and JSON output)")
    if args.worst:
        print_worst(rows, peer_rows, args.worst)
    if args.json:
        write_json(Path(args.json), rows, peer_rows)
        print(f"per-page rows written to {args.json}")


def evaluate_set(args, binary: Path, corpora: Path, name: str) -> None:
    pages = set_pages(corpora, name)
    out, wall = run_feedfold(binary, pages)
    rows = score_rows(pages, out)
    columns = [("feedfold", summarise(rows))]
    peer_rows = None
    if args.peer:
        peer_out, version = run_trafilatura(pages)
        peer_rows = score_rows(pages, peer_out)
        columns.append((f"trafilatura {version}", summarise(peer_rows)))
    print_summary(name, columns)
    if args.titles:
        print_titles(name, pages, out, args.verbose)
    if args.worst:
        print_worst(rows, peer_rows, args.worst)
    if args.json:
        path = Path(args.json)
        path = path.with_name(f"{path.stem}-{name}{path.suffix}")
        write_json(path, rows, peer_rows)
        print(f"per-page rows written to {path}")


def shingle_set(text: str, k: int = 3) -> set:
    words = tokens(text, False)
    return {tuple(words[i:i + k]) for i in range(len(words) - k + 1)}


def evaluate_json_pages(args, binary: Path) -> None:
    """--pages: word 3-shingle set recall / precision against the truth's article."""
    pages = json_pages(Path(args.pages))
    out, wall = run_feedfold(binary, pages)
    rows = []
    for page in pages:
        got, want = shingle_set(out[page.id].get("text") or ""), shingle_set(page.want or "")
        common = len(got & want)
        rows.append({"id": page.id, "R": common / len(want) if want else 1.0,
                     "P": common / len(got) if got else 0.0, "ms": out[page.id].get("ms") or 0.0,
                     "strategy": out[page.id].get("strategy")})
    n = len(rows)
    print(f"\n== {args.pages}: {n} pages, word 3-shingle sets against the truth's article ==")
    print(f"mean recall {statistics.fmean(r['R'] for r in rows):.4f}  "
          f"mean precision {statistics.fmean(r['P'] for r in rows):.4f}  "
          f"recall < 0.8: {sum(r['R'] < 0.8 for r in rows)}  "
          f"precision < 0.8: {sum(r['P'] < 0.8 for r in rows)}  "
          f"ms/page mean {statistics.fmean(r['ms'] for r in rows):.2f}")
    if args.worst:
        for key in ("R", "P"):
            print(f"-- {args.worst} lowest {key}:")
            for r in sorted(rows, key=lambda r: (r[key], r["id"]))[:args.worst]:
                print(f"{r['id']:14} R {r['R']:.3f} P {r['P']:.3f} {r['strategy']}")
    if args.json:
        path = Path(args.json)
        path = path.with_name(f"{path.stem}-pages{path.suffix}")
        with open(path, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps({"id": r["id"], "R": round(r["R"], 4), "P": round(r["P"], 4),
                                    "strategy": r["strategy"]}) + "\n")
        print(f"per-page rows written to {path}")


def evaluate_gne(args, binary: Path, corpora: Path) -> None:
    pages = gne_pages(corpora)
    out, wall = run_feedfold(binary, pages)
    write_gne_texts(Path(args.gne), pages, out)
    rows = score_rows(pages, out)
    peer_out = peer_rows = None
    columns = [("feedfold", summarise(rows))]
    if args.peer:
        peer_out, version = run_trafilatura(pages)
        peer_rows = score_rows(pages, peer_out)
        columns.append((f"trafilatura {version}", summarise(peer_rows)))
    print_gne_reference(rows, peer_rows)
    ms_line = ", ".join(f"{label} {s['ms_mean']:.2f} / {s['ms_median']:.2f}" for label, s in columns)
    print(f"GNE ms/page mean / median over {len(pages)} pages: {ms_line}")
    print_gne_checks(pages, out, peer_out, args.verbose)
    if args.titles:
        print_titles("gne (GNE's own titles, 20 pages)", pages, out, args.verbose)
    print(f"feedfold's text per page written to {args.gne}/<site>-<name>.txt")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", help="feedfold binary (default: $FEEDFOLD_BIN, target/release, "
                                  "target/debug)")
    ap.add_argument("--corpora", help=f"corpora directory (default: {DEFAULT_CORPORA} from the "
                                      "repo root)")
    ap.add_argument("--peer", action="store_true", help="also run Python trafilatura (venv "
                                                        "target/extract-eval-venv)")
    ap.add_argument("--gne", metavar="DIR", help="also run the GNE Chinese pages; write feedfold's "
                                                 "texts into DIR")
    ap.add_argument("--worst", type=int, default=0, metavar="N", help="print the N worst pages")
    ap.add_argument("--json", metavar="OUT", help="write per-page rows (JSON lines) to OUT")
    ap.add_argument("--sets", default="readability",
                    help=f"comma-separated English sets: {', '.join(SETS)}, all, none "
                         "(default: readability)")
    ap.add_argument("--pages", metavar="FILE.jsonl", help="also score a JSON-lines page set "
                                                          "against FILE.truth.jsonl's article")
    ap.add_argument("--site-templates", action="store_true",
                    help="pass --site-templates to feedfold: each page leaves out the paragraphs "
                         "other pages of its site (URL host) in the set carry, as published bodies do")
    ap.add_argument("--titles", action="store_true", help="per set, feedfold's titles against the "
                    "reference titles: exact (case/space-folded) and token F1 >= 0.8 rates")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the GNE pattern lines and, "
                    "with --titles, every title not matched exactly")
    return ap.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    global SITE_TEMPLATES
    SITE_TEMPLATES = args.site_templates
    corpora = Path(args.corpora) if args.corpora else REPO / DEFAULT_CORPORA
    if not (corpora / "readability" / "test-pages").is_dir():
        sys.exit(f"no readability corpus under {corpora}; pass --corpora DIR")
    binary = resolve_bin(args.bin)
    print(f"feedfold: {binary}", file=sys.stderr)
    names = SETS if args.sets == "all" else [n for n in args.sets.split(",") if n and n != "none"]
    for name in names:
        if name not in SETS:
            sys.exit(f"unknown set {name!r}; choose from {', '.join(SETS)}")
        if name == "readability":
            evaluate_readability(args, binary, corpora)
        else:
            evaluate_set(args, binary, corpora, name)
    if args.pages:
        evaluate_json_pages(args, binary)
    if args.gne:
        evaluate_gne(args, binary, corpora)


if __name__ == "__main__":
    main()
