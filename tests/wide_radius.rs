//! Near-duplicate lookups at wide radii (`dedup.distance` up to 24), on
//! SQLite and PostgreSQL, for both kinds of item: those the in-memory copy
//! of recent fingerprints reaches, and older ones, whose windows' spans are
//! loaded into it first.
//!
//! `cargo test --release --test wide_radius -- --ignored --nocapture` prints
//! the cost of one lookup per distance and backend.

mod common;

use std::time::Instant;

use chrono::DateTime;
use common::TestDb;
use feedfold::dedup::{Fingerprint, Fingerprinter, MatchOptions, Simhash, Traits};
use feedfold::source::Entry;
use feedfold::store::{Incoming, SourceRecord, Store};

const NOW: i64 = 1_795_300_000;
const DAY: i64 = 86_400;
/// Far older than the in-memory copy reaches (two windows and a day).
const OLD: i64 = NOW - 60 * DAY;

fn record(name: &str) -> SourceRecord {
    SourceRecord {
        name: name.into(),
        url: format!("https://{name}.example.org/feed"),
        priority: 0,
        groups: Vec::new(),
        enabled: true,
    }
}

/// An entry with the given fingerprint whose sketch is that of `text`: the
/// fingerprint finds candidates, the texts verify them.
fn item(guid: &str, fingerprint: u64, published: i64, text: &str) -> Incoming {
    let mut fingerprinter = Fingerprinter::default();
    fingerprinter.story("", text);
    Incoming {
        entry: Entry {
            id: guid.into(),
            url: Some(format!("https://example.org/{guid}")),
            title: guid.into(),
            author: None,
            published: DateTime::from_timestamp(published, 0),
            summary: Some(format!("<p>{guid}</p>")),
            content: None,
            enclosures: Vec::new(),
            categories: Vec::new(),
        },
        simhash: Some(Simhash {
            fingerprint: Fingerprint(fingerprint),
            features: 100,
        }),
        traits: Traits {
            sketch: Some(fingerprinter.sketch()),
            title_key: None,
        },
        held: false,
    }
}

/// A text of its own for each `seed`: 60 words drawn from a 5,000-word
/// vocabulary, so two seeds share no shingles and one seed's copies verify.
fn text(seed: u64) -> String {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5851_f42d_4c95_7f2d);
    (0..60)
        .map(|_| format!("w{}", rng.next() % 5000))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `bits` flipped bits, spread evenly over the four 16-bit blocks so that no
/// block is closer than a quarter of them (the hardest case for the bands).
fn spread(bits: u32) -> u64 {
    (0..bits).fold(0, |mask, i| mask | 1 << ((i % 4) * 16 + i / 4))
}

async fn stores() -> Vec<(TestDb, Store)> {
    let mut out = Vec::new();
    for db in TestDb::all().await {
        let store = Store::open(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.label));
        out.push((db, store));
    }
    out
}

#[tokio::test]
async fn wide_radii_fold_old_and_recent_copies_on_both_backends() {
    for (db, store) in stores().await {
        let label = db.label;
        let ids = store
            .sync_sources(&[record("wire"), record("copy")])
            .await
            .unwrap();
        for (round, distance) in [20u32, 24].into_iter().enumerate() {
            let options = MatchOptions {
                distance,
                window_secs: 7 * DAY,
                ..MatchOptions::default()
            };
            let base = 0x9e37_79b9_7f4a_7c15_u64.rotate_left(round as u32 * 17);
            let near = base ^ spread(distance);
            // Texts of this round only: a copy must fold by its own story.
            let (story, other) = (
                text(2 * u64::from(distance)),
                text(2 * u64::from(distance) + 1),
            );
            let (old, recent) = (OLD - round as i64 * 30 * DAY, NOW);
            let originals = [
                item(&format!("old-{distance}"), base, old, &story),
                item(&format!("new-{distance}"), base, recent, &story),
                // Unrelated: 64 bits from the base, 64 - distance from the copy.
                item(&format!("other-{distance}"), !base, recent, &other),
            ];
            let report = store
                .ingest(ids["wire"], "wire", &originals, NOW, options)
                .await
                .unwrap_or_else(|e| panic!("{label} at {distance}: {e}"));
            assert_eq!((report.new, report.merged), (3, 0), "{label} at {distance}");
            let copies = [
                item(&format!("old-copy-{distance}"), near, old + 3600, &story),
                item(&format!("new-copy-{distance}"), near, recent - 3600, &story),
            ];
            let report = store
                .ingest(ids["copy"], "copy", &copies, NOW + 1, options)
                .await
                .unwrap_or_else(|e| panic!("{label} at {distance}: {e}"));
            assert_eq!(
                (report.new, report.merged),
                (2, 2),
                "{label} at {distance}: both copies fold"
            );
            for guid in ["old", "new"] {
                let copy = store
                    .find_entries(&format!("copy:{guid}-copy-{distance}"))
                    .await
                    .unwrap();
                let why = store.explain(copy[0]).await.unwrap();
                let decision = &why.decisions[0];
                assert_eq!(decision.rule, "verified", "{label} {guid} at {distance}");
                assert_eq!(
                    decision.distance,
                    Some(i64::from(distance)),
                    "{label} {guid} at {distance}"
                );
            }
        }
        store.close().await;
        db.cleanup().await;
    }
}

/// splitmix64, for reproducible fingerprints.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Stored entries spread over the last `days`: the in-memory copy holds the
/// recent ones, the old lookups reach back into the rest.
const STORED: usize = 20_000;
const SPREAD_DAYS: i64 = 90;
const PROBES: usize = 20;

#[tokio::test]
#[ignore = "benchmark: cargo test --release --test wide_radius -- --ignored --nocapture"]
async fn lookup_cost_per_distance_and_backend() {
    for (db, store) in stores().await {
        let ids = store
            .sync_sources(&[record("bulk"), record("probe")])
            .await
            .unwrap();
        let mut rng = Rng(7);
        let quiet = MatchOptions {
            distance: 0,
            window_secs: 7 * DAY,
            ..MatchOptions::default()
        };
        let bulk: Vec<Incoming> = (0..STORED)
            .map(|i| {
                let at = NOW - (rng.next() % (SPREAD_DAYS * DAY) as u64) as i64;
                item(
                    &format!("b{i}"),
                    rng.next(),
                    at,
                    &text(1_000_000 + i as u64),
                )
            })
            .collect();
        for chunk in bulk.chunks(1000) {
            store
                .ingest(ids["bulk"], "bulk", chunk, NOW, quiet)
                .await
                .unwrap();
        }
        println!("{}: {STORED} entries over {SPREAD_DAYS} days", db.label);
        for distance in [0u32, 3, 10, 16, 20, 24] {
            let options = MatchOptions {
                distance,
                window_secs: 7 * DAY,
                ..MatchOptions::default()
            };
            let mut line = format!("  distance {distance:>2}:");
            for (path, at) in [
                ("recent (in memory)", NOW - DAY),
                ("old (database)", NOW - 45 * DAY),
            ] {
                // One probe per ingest, so each pays for its own lookup.
                let started = Instant::now();
                let mut failed = None;
                for p in 0..PROBES {
                    let guid = format!("p{distance}-{p}-{}", at);
                    let probe = [item(&guid, rng.next(), at, &text(p as u64))];
                    let result = store
                        .ingest(ids["probe"], "probe", &probe, NOW, options)
                        .await;
                    if let Err(error) = result {
                        failed = Some(error);
                        break;
                    }
                }
                let ms = started.elapsed().as_secs_f64() * 1000.0 / PROBES as f64;
                match failed {
                    Some(error) => line.push_str(&format!("  {path} FAILED: {error}")),
                    None => line.push_str(&format!("  {path} {ms:>8.2} ms/entry")),
                }
            }
            println!("{line}");
        }
        store.close().await;
        db.cleanup().await;
    }
}
