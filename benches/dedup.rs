//! Dedup speed: fingerprint + sketch throughput on ~5,000-character articles
//! (English and Chinese, from ../shared/corpora), as the daemon computes
//! them for each entry; verification cost per candidate (comparing two
//! sketches); band-index build and query speed on random fingerprints. One
//! thread. Run through `scripts/bench-dedup.sh`, which runs Python's
//! `simhash` and `datasketch` on the same inputs and prints ratios.
//!
//! Times are CPU time of the benchmark's thread, so a busy machine slows
//! them less than wall time would.
//!
//! Writes the documents, compared pairs and fingerprints it used to
//! `$BENCH_OUT` (default `target/bench-dedup/`) so the peer measures exactly
//! the same data.
//!
//! `BENCH_LANG=en|zh` runs one language's loops, `BENCH_ROUNDS=N` runs them
//! for N rounds of the corpus, `BENCH_SKIP_TERMS` leaves out the events
//! pass's term counting and `BENCH_SKIP_INDEX` the index part.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod support;
use support::Clock;

use feedfold::dedup::{BandIndex, Evidence, Fingerprinter, Traits};
use feedfold::extract::{article, html_to_text};
use feedfold::text::charset::decode;

const DOC_CHARS: usize = 5000;

fn main() {
    let corpora = std::env::var_os("FEEDFOLD_CORPORA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"));
    let out = std::env::var_os("BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-dedup"));
    std::fs::create_dir_all(&out).expect("bench output dir");

    let english = chunks(&english_texts(&corpora), DOC_CHARS);
    let chinese = chunks(&chinese_texts(&corpora), DOC_CHARS);
    let only = std::env::var("BENCH_LANG").ok();
    for (lang, docs) in [("en", &english), ("zh", &chinese)] {
        if only.as_deref().is_some_and(|l| l != lang) {
            continue;
        }
        assert!(
            !docs.is_empty(),
            "no {lang} documents found under {}",
            corpora.display()
        );
        let json = serde_json::to_string(docs).expect("serialise docs");
        std::fs::write(out.join(format!("docs-{lang}.json")), json).expect("write docs");
        if std::env::var_os("BENCH_PARTS").is_some() {
            parts(docs);
        }
        let (rate, per_doc) = fingerprint_rate(docs);
        println!(
            "fingerprint+sketch {lang}: {} docs of {DOC_CHARS} chars, {rate:.0} docs/s, {per_doc:.1} µs/doc, outputs {:016x}",
            docs.len(),
            outputs_digest(docs)
        );
        if std::env::var_os("BENCH_SKIP_TERMS").is_some() {
            continue;
        }
        let (rate, per_doc, digest) = event_terms_rate(docs);
        println!(
            "event terms {lang}: {rate:.0} docs/s, {per_doc:.1} µs/doc, outputs {digest:016x}"
        );
    }
    if only.is_none() {
        verify_bench(&english, &chinese, &out);
    }

    if std::env::var_os("BENCH_SKIP_INDEX").is_some() {
        return;
    }
    for n in [100_000usize, 1_000_000] {
        index_bench(n, 3, &out);
    }
    // The daemon's default distance, for the record.
    index_bench(100_000, feedfold::dedup::DEFAULT_DISTANCE, &out);
}

/// Article texts of Mozilla Readability's test pages (their expected output).
fn english_texts(corpora: &Path) -> Vec<String> {
    let mut dirs = list(&corpora.join("readability/test-pages"));
    dirs.sort();
    dirs.iter()
        .filter_map(|d| std::fs::read_to_string(d.join("expected.html")).ok())
        .map(|html| html_to_text(&html))
        .filter(|t| {
            t.is_ascii() || t.chars().filter(char::is_ascii).count() * 10 > t.chars().count() * 9
        })
        .collect()
}

/// Article texts of the GNE Chinese news pages, extracted by feedfold.
fn chinese_texts(corpora: &Path) -> Vec<String> {
    let mut pages: Vec<PathBuf> = list(&corpora.join("gne/tests"))
        .iter()
        .flat_map(|d| list(d))
        .collect();
    pages.sort();
    pages
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|bytes| article(&decode(&bytes, None, None), None).text)
        .collect()
}

fn list(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

/// The texts joined and cut into documents of `size` characters.
fn chunks(texts: &[String], size: usize) -> Vec<String> {
    let all: Vec<char> = texts.join("\n").chars().collect();
    all.chunks(size)
        .filter(|c| c.len() == size)
        .map(|c| c.iter().collect())
        .collect()
}

/// The rounds of the corpus the fingerprint and event-terms loops run:
/// `$BENCH_ROUNDS` when set above zero (a fixed amount of work, to compare
/// builds on a busy machine; the other parts stay timed), else as many as
/// three seconds take.
fn fixed_rounds() -> Option<usize> {
    let rounds = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok());
    rounds.filter(|&n: &usize| n > 0)
}

/// Whether a loop goes on after `rounds` rounds (see [`fixed_rounds`]).
fn keep_going(fixed: Option<usize>, started: &Clock, rounds: usize) -> bool {
    match fixed {
        Some(fixed) => rounds < fixed,
        None => started.elapsed() < Duration::from_secs(3),
    }
}

/// Documents per second on one thread, and microseconds per document: the
/// fingerprint and the sketch (taken out, as the daemon stores it).
fn fingerprint_rate(docs: &[String]) -> (f64, f64) {
    let mut f = Fingerprinter::default();
    let mut sink = 0u64;
    let one = |f: &mut Fingerprinter, d: &str| {
        let fp = f.text(d).fingerprint.0;
        fp ^ u64::from(f.sketch().hashes().first().copied().unwrap_or(0))
    };
    for d in docs {
        sink ^= one(&mut f, d); // warm-up
    }
    let fixed = fixed_rounds();
    let started = Clock::start();
    let mut done = 0usize;
    while keep_going(fixed, &started, done / docs.len()) {
        for d in docs {
            sink ^= one(&mut f, d);
        }
        done += docs.len();
    }
    let secs = started.elapsed().as_secs_f64();
    std::hint::black_box(sink);
    (done as f64 / secs, secs * 1e6 / done as f64)
}

/// Documents per second and µs per document through the events pass's
/// term counting (`events::terms::terms`, the pass's largest read cost),
/// and a digest of every count, equal before and after a speed change
/// that changes nothing.
fn event_terms_rate(docs: &[String]) -> (f64, f64, u64) {
    use feedfold::events::terms::terms;
    let mut digest = 0u64;
    for d in docs {
        let mut terms = terms("", d);
        // In term order, whatever order counting left them in.
        terms.counts.sort_unstable();
        for (term, count) in terms.counts {
            digest = digest.rotate_left(7) ^ term ^ u64::from(count);
        }
        digest ^= u64::from(terms.digit_share.to_bits());
    }
    let fixed = fixed_rounds();
    let started = Clock::start();
    let mut done = 0usize;
    while keep_going(fixed, &started, done / docs.len()) {
        for d in docs {
            std::hint::black_box(terms("", d));
        }
        done += docs.len();
    }
    let secs = started.elapsed().as_secs_f64();
    (done as f64 / secs, secs * 1e6 / done as f64, digest)
}

/// A digest of everything the benchmark computed (fingerprint, feature
/// count, sketch, title key of every document, as a story with its first
/// line for title): equal before and after a speed change means the same
/// output, bit for bit, on the whole benchmark corpus.
fn outputs_digest(docs: &[String]) -> u64 {
    let mut f = Fingerprinter::default();
    let mut digest = 0u64;
    let mut mix = |v: u64| {
        digest = (digest ^ v)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(31);
    };
    for d in docs {
        let title = d.lines().next().unwrap_or("");
        let s = f.story(title, d);
        mix(s.fingerprint.0);
        mix(s.features as u64);
        mix(f.title_key().unwrap_or(0));
        f.sketch().hashes().iter().for_each(|&h| mix(u64::from(h)));
        let t = f.text(d);
        mix(t.fingerprint.0 ^ t.features as u64);
    }
    digest
}

/// Verification cost per candidate: the second-stage evidence between two
/// entries (sketch comparison and title keys), on pairs of the benchmark
/// documents: neighbours in the corpus (often the same article) and random
/// pairs of one language. The pairs go to `pairs.json` (indexes into the
/// English documents followed by the Chinese ones) for the peer.
fn verify_bench(english: &[String], chinese: &[String], out: &Path) {
    let mut f = Fingerprinter::default();
    let traits: Vec<Traits> = english
        .iter()
        .chain(chinese)
        .map(|d| {
            f.story("", d);
            f.traits()
        })
        .collect();
    let mut rng = SplitMix(7);
    let mut pairs = Vec::new();
    for (from, len) in [(0, english.len()), (english.len(), chinese.len())] {
        for i in 0..len.saturating_sub(1) {
            pairs.push((from + i, from + i + 1));
            pairs.push((from + i, from + (rng.next() % len as u64) as usize));
        }
    }
    let mut sink = 0u32;
    let started = Clock::start();
    let mut rounds = 0usize;
    while started.elapsed() < Duration::from_secs(3) {
        for &(a, b) in &pairs {
            if let Some(e) = Evidence::between(&traits[a], &traits[b], false) {
                sink = sink.wrapping_add(u32::from(e.resemblance) + e.sample);
            }
        }
        rounds += 1;
    }
    let ns = started.elapsed().as_secs_f64() * 1e9 / (rounds * pairs.len()) as f64;
    std::hint::black_box(sink);
    println!(
        "verify: {} pairs, {ns:.0} ns/candidate (bottom-{} sketch evidence)",
        pairs.len(),
        feedfold::dedup::sketch::K
    );
    // The decision alone, as the daemon's copy and `feedfold dedup` take it
    // for each candidate: the comparison stops once the bars are out of reach
    // (an accepted candidate's is whole; the pairs here are mostly rejected).
    let options = feedfold::dedup::MatchOptions::default();
    let mut accepted = 0usize;
    let started = Clock::start();
    let mut rounds = 0usize;
    let d = options.distance;
    while started.elapsed() < Duration::from_secs(3) {
        for &(a, b) in &pairs {
            let found = Evidence::accepted(&traits[a], &traits[b], false, d, &options);
            accepted += usize::from(found.is_some());
        }
        rounds += 1;
    }
    let ns = started.elapsed().as_secs_f64() * 1e9 / (rounds * pairs.len()) as f64;
    println!(
        "verify, decision only: {ns:.0} ns/candidate ({} of {} pairs accepted)",
        accepted / rounds,
        pairs.len()
    );
    let json = serde_json::to_string(&pairs).expect("serialise pairs");
    std::fs::write(out.join("pairs.json"), json).expect("write pairs");
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Build time and query rate for `n` random fingerprints at distance `k`;
/// half the queries are near (≤ 3 bits) stored fingerprints. Recall is checked against
/// brute force on a sample.
fn index_bench(n: usize, k: u32, out: &Path) {
    let mut rng = SplitMix(2026);
    let items: Vec<(u64, u32)> = (0..n as u32).map(|i| (rng.next(), i)).collect();
    let queries: Vec<u64> = (0..200_000)
        .map(|i| {
            if i % 2 == 0 {
                rng.next()
            } else {
                let base = items[(rng.next() % n as u64) as usize].0;
                (0..(rng.next() % 4)).fold(base, |acc, _| acc ^ (1 << (rng.next() % 64)))
            }
        })
        .collect();
    // Wall time: a build takes milliseconds, finer than the CPU clock ticks.
    let started = Instant::now();
    let index = BandIndex::from_items(k, items.iter().copied());
    let build = started.elapsed();

    // `query` returns each match once, nearest first, like the peer's
    // `get_near_dups`; the daemon's path (`for_each_match`) is cheaper still.
    let started = Clock::start();
    let mut found = 0usize;
    for &q in &queries {
        found += index.query(q).len();
    }
    let secs = started.elapsed().as_secs_f64();

    let sample = &queries[..200];
    let (mut expected, mut got) = (0usize, 0usize);
    for &q in sample {
        expected += items
            .iter()
            .filter(|(fp, _)| (fp ^ q).count_ones() <= k)
            .count();
        got += index.query(q).len();
    }
    println!(
        "index n={n} k={k}: build {:.1} ms, {:.0} queries/s ({:.2} µs/query, {found} matches), recall vs brute force {got}/{expected}",
        build.as_secs_f64() * 1e3,
        queries.len() as f64 / secs,
        secs * 1e6 / queries.len() as f64,
    );
    if n == 100_000 && k == 3 {
        let data = serde_json::json!({
            "k": 3,
            "items": items.iter().map(|(fp, _)| fp.to_string()).collect::<Vec<_>>(),
            "queries": queries[..20_000].iter().map(u64::to_string).collect::<Vec<_>>(),
        });
        std::fs::write(out.join("index-100k.json"), data.to_string()).expect("write index data");
    }
}

/// Where fingerprinting time goes: folding, cutting features, hashing them.
fn parts(docs: &[String]) {
    use feedfold::dedup::normalize::fold_into;
    use feedfold::dedup::{FeatureOptions, for_each_feature};
    let time = |label: &str, f: &mut dyn FnMut(&str) -> u64| {
        let started = Clock::start();
        let mut sink = 0u64;
        for _ in 0..20 {
            for d in docs {
                sink = sink.wrapping_add(f(d));
            }
        }
        let per = started.elapsed().as_secs_f64() * 1e6 / (20 * docs.len()) as f64;
        println!("  {label}: {per:.1} µs/doc ({sink})");
    };
    let mut buf = String::new();
    time("fold", &mut |d| {
        buf.clear();
        fold_into(d, &mut buf);
        buf.len() as u64
    });
    let folded: Vec<String> = docs
        .iter()
        .map(|d| feedfold::dedup::normalize::fold(d))
        .collect();
    let mut i = 0;
    time("features", &mut |_| {
        i = (i + 1) % folded.len();
        for_each_feature(&folded[i], FeatureOptions::default(), |f| {
            std::hint::black_box(f.len());
        }) as u64
    });
    let mut i = 0;
    time("features+xxh3", &mut |_| {
        i = (i + 1) % folded.len();
        let mut acc = 0u64;
        for_each_feature(&folded[i], FeatureOptions::default(), |f| {
            acc ^= xxhash_rust::xxh3::xxh3_64_with_seed(f, 7)
        });
        acc
    });
}
