//! Several processes sharing one database: leases split the scheduled runs,
//! and stories copied on many sites end in one cluster however the ingests
//! interleave. Each test runs on SQLite and, when configured, PostgreSQL,
//! with a separate `Store` (its own pool and lease holder name) per process.

mod common;

use std::collections::{HashMap, HashSet};

use common::TestDb;
use feedfold::daemon::fingerprint_entries;
use feedfold::dedup::{MatchOptions, TitleRules};
use feedfold::fetch::Validators;
use feedfold::source::Entry;
use feedfold::store::{Claim, LeaseRequest, SourceRecord, Store, Success};

const NOW: i64 = 1_795_300_000;
const TTL: i64 = 120;

fn record(name: &str) -> SourceRecord {
    SourceRecord {
        name: name.into(),
        url: format!("https://{name}.example.org/feed.xml"),
        priority: 0,
        groups: Vec::new(),
        enabled: true,
    }
}

fn lease(source_id: i64, slot: i64, now: i64) -> LeaseRequest {
    LeaseRequest {
        source_id,
        slot,
        now,
        ttl: TTL,
    }
}

/// Two handles on one database, as two processes would hold them: each its
/// own pool and lease holder name.
async fn two_processes(url: &str) -> (Store, Store) {
    let a = Store::open(url).await.unwrap();
    let b = Store::open(url).await.unwrap();
    (a, b)
}

async fn finish(store: &Store, source_id: i64, at: i64) {
    finish_with(store, source_id, at, &Validators::default(), None).await;
}

/// Records a 200 at `at` that brought these validators and feed title.
async fn finish_with(
    store: &Store,
    source_id: i64,
    at: i64,
    validators: &Validators,
    feed_title: Option<&str>,
) {
    let ok = Success {
        at,
        status: 200,
        validators,
        fresh_until: None,
        moved_to: None,
        feed_title,
    };
    store.record_success(source_id, &ok).await.unwrap();
}

#[tokio::test]
async fn a_won_claim_brings_the_fetch_state_a_lost_one_does_not() {
    for db in TestDb::all().await {
        let label = db.label;
        let (a, b) = two_processes(&db.url).await;
        let wire = a.sync_sources(&[record("wire")]).await.unwrap()["wire"];
        let validators = Validators {
            etag: Some("\"v7\"".into()),
            last_modified: Some("Mon, 07 Dec 2026 05:00:00 GMT".into()),
        };
        finish_with(&a, wire, NOW - 100, &validators, Some("Wire desk")).await;
        let claimed = a.claim_for_fetch(lease(wire, NOW, NOW)).await.unwrap();
        let state = claimed.expect("a won claim reads the row");
        assert_eq!(state, a.fetch_state("wire").await.unwrap(), "{label}");
        assert_eq!(state.validators, validators, "{label}");
        assert_eq!(state.feed_title.as_deref(), Some("Wire desk"), "{label}");
        assert_eq!(state.error_count, 0, "{label}");
        let claimed = b.claim_for_fetch(lease(wire, NOW, NOW + 1)).await.unwrap();
        assert!(
            matches!(claimed, Err(Claim::Held { .. })),
            "{label}: {claimed:?}"
        );
        assert!(b.fetch_state("nowhere").await.is_err(), "{label}");
    }
}

#[tokio::test]
async fn one_claim_per_slot_and_a_lapsed_lease_is_taken_over() {
    for db in TestDb::all().await {
        let label = db.label;
        let (a, b) = two_processes(&db.url).await;
        assert_ne!(a.holder(), b.holder(), "{label}");
        let ids = a.sync_sources(&[record("wire")]).await.unwrap();
        let wire = ids["wire"];
        let slot = NOW - 5;

        assert_eq!(a.claim(lease(wire, slot, NOW)).await.unwrap(), Claim::Won);
        assert_eq!(
            b.claim(lease(wire, slot, NOW + 1)).await.unwrap(),
            Claim::Held { until: NOW + TTL },
            "{label}: the other daemon waits while the lease lives"
        );
        let running = b.source_state("wire").await.unwrap().lease;
        assert_eq!(running, Some((a.holder().to_owned(), NOW + TTL)), "{label}");
        finish(&a, wire, NOW + 2).await;
        assert_eq!(b.source_state("wire").await.unwrap().lease, None, "{label}");
        assert_eq!(
            b.claim(lease(wire, slot, NOW + 3)).await.unwrap(),
            Claim::Done {
                not_before: None,
                gone: false
            },
            "{label}: a finished slot is not run again"
        );
        assert_eq!(
            a.claim(lease(wire, slot, NOW + 4)).await.unwrap(),
            Claim::Done {
                not_before: None,
                gone: false
            },
            "{label}: not even by the daemon that ran it"
        );

        // The next slot: b wins it, then stalls without finishing.
        let next = slot + 60;
        assert_eq!(b.claim(lease(wire, next, next)).await.unwrap(), Claim::Won);
        assert!(b.renew(wire, next + 30 + TTL).await.unwrap(), "{label}");
        assert_eq!(
            a.claim(lease(wire, next, next + TTL)).await.unwrap(),
            Claim::Held {
                until: next + 30 + TTL
            },
            "{label}: a renewed lease holds"
        );
        let lapsed = next + 31 + TTL;
        assert_eq!(
            a.claim(lease(wire, next, lapsed)).await.unwrap(),
            Claim::Won,
            "{label}: the same slot is taken over once the lease lapses"
        );
        assert!(
            !b.renew(wire, lapsed + TTL).await.unwrap(),
            "{label}: the stalled daemon learns it lost the lease"
        );
        // The stalled daemon's late result must not end the new holder's lease.
        finish(&b, wire, lapsed + 1).await;
        assert_eq!(
            b.claim(lease(wire, next, lapsed + 2)).await.unwrap(),
            Claim::Held {
                until: lapsed + TTL
            },
            "{label}"
        );
        a.close().await;
        b.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn backoff_and_gone_hold_a_source_for_every_daemon() {
    use feedfold::store::Failure;
    for db in TestDb::all().await {
        let label = db.label;
        let (a, b) = two_processes(&db.url).await;
        let ids = a
            .sync_sources(&[record("flaky"), record("dead")])
            .await
            .unwrap();
        for (name, retry_at, gone) in [("flaky", Some(NOW + 600), false), ("dead", None, true)] {
            let id = ids[name];
            assert_eq!(a.claim(lease(id, NOW, NOW)).await.unwrap(), Claim::Won);
            let failed = Failure {
                at: NOW + 1,
                status: Some(if gone { 410 } else { 503 }),
                error: "failed",
                retry_at,
                gone,
                counts: true,
            };
            a.record_failure(id, &failed).await.unwrap();
            assert_eq!(
                b.claim(lease(id, NOW + 60, NOW + 60)).await.unwrap(),
                Claim::Done {
                    not_before: retry_at,
                    gone
                },
                "{label}: {name}"
            );
        }
        assert_eq!(
            b.claim(lease(ids["flaky"], NOW + 600, NOW + 600))
                .await
                .unwrap(),
            Claim::Won,
            "{label}: once the backoff is over"
        );
        a.close().await;
        b.close().await;
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_daemons_win_each_slot_exactly_once() {
    const SOURCES: usize = 60;
    for db in TestDb::all().await {
        let label = db.label;
        let mut stores = Vec::new();
        for _ in 0..3 {
            stores.push(Store::open(&db.url).await.unwrap());
        }
        let records: Vec<SourceRecord> = (0..SOURCES).map(|i| record(&format!("s{i}"))).collect();
        let ids = stores[0].sync_sources(&records).await.unwrap();
        let mut ids: Vec<i64> = ids.values().copied().collect();
        ids.sort_unstable();
        for slot in [NOW, NOW + 60] {
            // Each daemon walks every source, starting a third of the way
            // round from the last, and waits after its first claim until all
            // have made theirs: all three then race for every source left.
            let started = std::sync::Arc::new(tokio::sync::Barrier::new(stores.len()));
            let mut tasks = tokio::task::JoinSet::new();
            for (n, store) in stores.iter().enumerate() {
                let store = store.clone();
                let mut ids = ids.clone();
                ids.rotate_left(n * SOURCES / stores.len());
                let started = started.clone();
                tasks.spawn(async move {
                    let mut won = Vec::new();
                    for (i, id) in ids.into_iter().enumerate() {
                        if i == 1 {
                            started.wait().await;
                        }
                        // Busy only means "try again": the row was locked.
                        loop {
                            match store.claim(lease(id, slot, slot)).await.unwrap() {
                                Claim::Won => {
                                    won.push(id);
                                    finish(&store, id, slot + 1).await;
                                    break;
                                }
                                Claim::Busy => tokio::task::yield_now().await,
                                _ => break,
                            }
                        }
                    }
                    (n, won)
                });
            }
            let mut runs: HashMap<i64, usize> = HashMap::new();
            let mut daemons = HashSet::new();
            while let Some(done) = tasks.join_next().await {
                let (n, won) = done.unwrap();
                if !won.is_empty() {
                    daemons.insert(n);
                }
                for id in won {
                    *runs.entry(id).or_default() += 1;
                }
            }
            assert_eq!(runs.len(), SOURCES, "{label}: every source ran");
            assert_eq!(
                daemons.len(),
                stores.len(),
                "{label}: every daemon won a claim in slot {slot}"
            );
            assert!(
                runs.values().all(|&n| n == 1),
                "{label}: each exactly once in slot {slot}"
            );
        }
        for store in &stores {
            store.close().await;
        }
        db.cleanup().await;
    }
}

/// Wire copies of `stories` stories, one per site: the same headline and
/// text under each site's own URL and GUID.
fn copies(site: usize, stories: usize) -> Vec<Entry> {
    (0..stories)
        .map(|s| {
            // Words drawn per story (splitmix64 of story and position), so
            // two stories share no run of words.
            let words: Vec<String> = (0..300u64)
                .map(|w| {
                    let mut z = (s as u64) << 32 ^ w;
                    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
                    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                    format!("w{}", (z ^ (z >> 31)) % 5000)
                })
                .collect();
            Entry {
                id: format!("site{site}-story{s}"),
                url: Some(format!("https://site{site}.example.org/{s}")),
                title: format!("Story {s} headline words here"),
                author: None,
                published: chrono::DateTime::from_timestamp(NOW - 60, 0),
                summary: None,
                content: Some(format!("<p>{}</p>", words.join(" "))),
                enclosures: Vec::new(),
                categories: Vec::new(),
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_copies_of_a_story_end_in_one_cluster() {
    const SITES: usize = 6;
    const STORIES: usize = 25;
    for db in TestDb::all().await {
        let label = db.label;
        let mut stores = Vec::new();
        for _ in 0..3 {
            stores.push(Store::open(&db.url).await.unwrap());
        }
        let records: Vec<SourceRecord> = (0..SITES).map(|i| record(&format!("site{i}"))).collect();
        let ids = stores[0].sync_sources(&records).await.unwrap();
        // Clustering online is order-dependent when copies straddle the
        // distance limit; these do not, so one cluster per story is the only
        // right answer whatever the order.
        let options = MatchOptions::default();
        let fingerprints = |site| fingerprint_entries(copies(site, STORIES), TitleRules::default());
        let all: Vec<_> = (0..SITES).map(fingerprints).collect();
        for (s, t, site) in (0..STORIES)
            .flat_map(|s| (0..STORIES).flat_map(move |t| (1..SITES).map(move |site| (s, t, site))))
        {
            {
                let (a, b) = (&all[0][s], &all[site][t]);
                let fingerprint = |i: &feedfold::store::Incoming| i.simhash.unwrap().fingerprint;
                let d = fingerprint(a).distance(fingerprint(b));
                let evidence = feedfold::dedup::Evidence::between(&a.traits, &b.traits, false);
                let near = d <= options.distance / 2 && options.bridges(d, evidence.as_ref());
                let far = !options.accepts(d, evidence.as_ref());
                assert!(
                    if s == t { near } else { far },
                    "stories {s}, {t}: {d} bits"
                );
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        for site in 0..SITES {
            // Two sites per process, all ingesting at once, one story per
            // transaction so the ingests interleave as much as they can.
            let store = stores[site % stores.len()].clone();
            let id = ids[&format!("site{site}")];
            tasks.spawn(async move {
                let items = fingerprint_entries(copies(site, STORIES), TitleRules::default());
                for item in items {
                    let name = format!("site{site}");
                    store
                        .ingest(id, &name, &[item], NOW, MatchOptions::default())
                        .await
                        .unwrap();
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
        let stories = stores[0]
            .recent_stories(NOW - 3600, 1000, None)
            .await
            .unwrap();
        assert_eq!(stories.len(), STORIES, "{label}: one cluster per story");
        for story in &stories {
            assert_eq!(story.copies.len(), SITES, "{label}: every site's copy");
        }
        for store in &stores {
            store.close().await;
        }
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn daemons_starting_together_migrate_once() {
    for round in 0..5 {
        for db in TestDb::all().await {
            let label = db.label;
            let mut opening = tokio::task::JoinSet::new();
            for _ in 0..4 {
                let url = db.url.clone();
                opening.spawn(async move { Store::open(&url).await });
            }
            while let Some(opened) = opening.join_next().await {
                let store = opened
                    .unwrap()
                    .unwrap_or_else(|e| panic!("{label}, round {round}: {e}"));
                store.close().await;
            }
            let schema = Schema::read(&db.url, label).await;
            let expected = Schema::expected(label);
            assert_eq!(
                schema.versions, expected.versions,
                "{label}, round {round}: each migration recorded once, all successful"
            );
            assert!(
                expected.tables.is_subset(&schema.tables),
                "{label}, round {round}: tables missing: {:?}",
                expected.tables.difference(&schema.tables)
            );
            // 0006 seeds one row: run twice it would have failed or left two.
            assert_eq!(schema.changes, vec![(1, 0)], "{label}, round {round}");
            db.cleanup().await;
        }
    }
}

/// What the migrations left in a database: applied versions (with their
/// success flag, in order), tables, and the rows of the seeded `changes` table.
#[derive(Debug, PartialEq)]
struct Schema {
    versions: Vec<(i64, bool)>,
    tables: HashSet<String>,
    changes: Vec<(i64, i64)>,
}

impl Schema {
    async fn read(url: &str, label: &str) -> Schema {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url).await.unwrap();
        // `Any` decodes neither backend's boolean: compare as an integer.
        let versions: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT version, CASE WHEN success THEN 1 ELSE 0 END FROM _sqlx_migrations ORDER BY version",
        )
                .fetch_all(&pool)
                .await
                .unwrap();
        let tables_sql = if label == "sqlite" {
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        } else {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'"
        };
        let tables: Vec<(String,)> = sqlx::query_as(tables_sql).fetch_all(&pool).await.unwrap();
        let changes: Vec<(i64, i64)> = sqlx::query_as("SELECT id, version FROM changes")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        Schema {
            versions: versions.into_iter().map(|(v, ok)| (v, ok == 1)).collect(),
            tables: tables.into_iter().map(|(t,)| t).collect(),
            changes,
        }
    }

    /// Read from `migrations/<backend>/`: every file's version, applied once
    /// and successfully, and every table they create and do not drop again.
    fn expected(label: &str) -> Schema {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(label);
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|file| file.unwrap().path())
            .collect();
        paths.sort_unstable();
        let mut versions = Vec::new();
        let mut tables = HashSet::new();
        let table = |rest: &str| {
            let name = rest.trim_start_matches("IF NOT EXISTS ");
            name.split([' ', '(', ';']).next().unwrap().to_owned()
        };
        for path in paths {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            versions.push((name[..4].parse::<i64>().unwrap(), true));
            let sql = std::fs::read_to_string(&path).unwrap();
            for line in sql.lines() {
                if let Some(rest) = line.trim().strip_prefix("CREATE TABLE ") {
                    tables.insert(table(rest));
                } else if let Some(rest) = line.trim().strip_prefix("DROP TABLE ") {
                    tables.remove(&table(rest));
                }
            }
        }
        Schema {
            versions,
            tables,
            changes: vec![(1, 0)],
        }
    }
}

/// Claims and recorded outcomes that wait for the turn to write are made
/// together, several sources to a statement: each caller still hears about
/// its own source, and each row ends as if they had been made one by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_and_outcomes_made_together_answer_each_caller() {
    const N: usize = 90;
    for db in TestDb::all().await {
        let label = db.label;
        let store = Store::open(&db.url).await.unwrap();
        let names: Vec<String> = (0..N).map(|n| format!("feed-{n}")).collect();
        let records: Vec<_> = names.iter().map(|n| record(n)).collect();
        let ids = store.sync_sources(&records).await.unwrap();
        let id = |n: usize| ids[&names[n]];
        // Every third source is fresh for a while yet; the others failed
        // once or (every third plus one) twice.
        let failures = |n: usize| 1 + i64::from(n % 3 == 1);
        for n in 0..N {
            if n % 3 == 0 {
                let ok = Success {
                    at: NOW - 10,
                    status: 200,
                    validators: &Validators::default(),
                    fresh_until: Some(NOW + 1000),
                    moved_to: None,
                    feed_title: None,
                };
                store.record_success(id(n), &ok).await.unwrap();
                continue;
            }
            for _ in 0..failures(n) {
                let failure = failed(NOW - 10, "HTTP 500", false);
                store.record_failure(id(n), &failure).await.unwrap();
            }
        }

        let claims = (0..N).map(|n| {
            let store = store.clone();
            let request = lease(id(n), NOW, NOW);
            tokio::spawn(async move { store.claim_for_fetch(request).await })
        });
        let claims = futures_util::future::join_all(claims).await;
        for (n, claim) in claims.into_iter().enumerate() {
            match claim.unwrap().unwrap() {
                Ok(state) => {
                    assert!(n % 3 != 0, "{label}: feed-{n} is fresh, yet won");
                    assert_eq!(state.error_count, failures(n), "{label}: feed-{n}");
                }
                Err(claim) => assert_eq!(
                    (n % 3, claim),
                    (
                        0,
                        Claim::Done {
                            not_before: Some(NOW + 1000),
                            gone: false
                        }
                    ),
                    "{label}: feed-{n}"
                ),
            }
        }

        // The won ones end: odd ones well, each with its own validators
        // (feed-1 with a new title), even ones failed, feed-2 gone.
        let outcomes = (0..N).filter(|n| n % 3 != 0).map(|n| {
            let store = store.clone();
            let source = id(n);
            tokio::spawn(async move {
                if n % 2 == 1 {
                    let validators = Validators {
                        etag: Some(format!("\"e{n}\"")),
                        last_modified: None,
                    };
                    let title = (n == 1).then_some("Feed one");
                    finish_with(&store, source, NOW + 1, &validators, title).await;
                } else {
                    let error = format!("HTTP 503 at {n}");
                    let failure = failed(NOW + 1, &error, n == 2);
                    store.record_failure(source, &failure).await.unwrap();
                }
            })
        });
        for outcome in futures_util::future::join_all(outcomes).await {
            outcome.unwrap();
        }
        for n in (0..N).filter(|n| n % 3 != 0) {
            let state = store.source_state(&names[n]).await.unwrap();
            assert_eq!(state.lease, None, "{label}: feed-{n}'s lease ended");
            if n % 2 == 1 {
                let etag = format!("\"e{n}\"");
                assert_eq!(state.validators.etag.as_deref(), Some(&*etag), "{label}");
                assert_eq!((state.error_count, state.last_error), (0, None), "{label}");
                let title = (n == 1).then(|| "Feed one".to_owned());
                assert_eq!(state.feed_title, title, "{label}: feed-{n}");
            } else {
                let error = format!("HTTP 503 at {n}");
                assert_eq!(state.last_error.as_deref(), Some(&*error), "{label}");
                assert_eq!(state.error_count, failures(n) + 1, "{label}: feed-{n}");
                assert_eq!(state.gone_at.is_some(), n == 2, "{label}: feed-{n}");
            }
        }
    }
}

fn failed(at: i64, error: &str, gone: bool) -> feedfold::store::Failure<'_> {
    feedfold::store::Failure {
        at,
        status: Some(if gone { 410 } else { 500 }),
        error,
        retry_at: None,
        gone,
        counts: true,
    }
}
