//! Storage behaviour, run against SQLite and PostgreSQL alike.

mod common;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use common::TestDb;
use feedfold::dedup::MatchOptions;
use feedfold::fetch::Validators;
use feedfold::source::Entry;
use feedfold::store::{Batch, Failure, Incoming, SourceRecord, Store, Success};

fn record(name: &str, priority: i64, groups: &[&str]) -> SourceRecord {
    SourceRecord {
        name: name.into(),
        url: format!("https://{name}.example.org/feed"),
        priority,
        groups: groups.iter().map(|g| g.to_string()).collect(),
        enabled: true,
    }
}

/// Entries without fingerprints: only URL matching applies.
fn plain(entries: &[Entry]) -> Vec<Incoming> {
    entries
        .iter()
        .map(|e| Incoming {
            entry: e.clone(),
            simhash: None,
            traits: Default::default(),
            held: false,
        })
        .collect()
}

fn entry(id: &str, title: &str, url: &str, published: i64) -> Entry {
    Entry {
        id: id.into(),
        url: Some(url.into()),
        title: title.into(),
        author: None,
        published: DateTime::from_timestamp(published, 0),
        summary: Some(format!("<p>{title}</p>")),
        content: None,
        enclosures: Vec::new(),
        categories: Vec::new(),
    }
}

const NOW: i64 = 1_795_300_000;

async fn with_each_backend<F, Fut>(test: F)
where
    F: Fn(Store, &'static str) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in TestDb::all().await {
        let store = Store::open(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.label));
        test(store.clone(), db.label).await;
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn ingest_is_idempotent_and_updates_in_place() {
    with_each_backend(|store, label| async move {
        let ids = store.sync_sources(&[record("a", 0, &[])]).await.unwrap();
        let a = ids["a"];
        let entries = vec![
            entry("1", "One", "https://x.example.org/1", NOW - 50),
            entry("2", "Two", "https://x.example.org/2", NOW - 40),
        ];
        let first = store
            .ingest(a, "a", &plain(&entries), NOW, MatchOptions::default())
            .await
            .unwrap();
        assert_eq!(
            (first.new, first.updated, first.unchanged),
            (2, 0, 0),
            "{label}"
        );
        let again = store
            .ingest(a, "a", &plain(&entries), NOW + 10, MatchOptions::default())
            .await
            .unwrap();
        assert_eq!(
            (again.new, again.updated, again.unchanged),
            (0, 0, 2),
            "{label}"
        );
        assert!(!again.changed());

        let mut edited = entries.clone();
        edited[1].title = "Two (corrected)".into();
        let third = store
            .ingest(a, "a", &plain(&edited), NOW + 20, MatchOptions::default())
            .await
            .unwrap();
        assert_eq!((third.new, third.updated), (0, 1), "{label}");

        let stories = store.recent_stories(0, 10, None).await.unwrap();
        assert_eq!(stories.len(), 2, "{label}");
        assert_eq!(
            stories[0].copies[0].title, "Two (corrected)",
            "{label}: newest first"
        );
        assert_eq!(stories[0].updated, NOW + 20, "{label}");
        assert_eq!(store.source_state("a").await.unwrap().entries, 2, "{label}");
    })
    .await;
}

#[tokio::test]
async fn same_canonical_url_across_sources_is_one_story() {
    with_each_backend(|store, label| async move {
        let ids = store
            .sync_sources(&[record("a", 1, &["en"]), record("b", 5, &["zh"])])
            .await
            .unwrap();
        store
            .ingest(
                ids["a"],
                "a",
                &plain(&[entry(
                    "a1",
                    "Port strike ends",
                    "https://News.Example.org/p?utm_source=rss#top",
                    NOW - 100,
                )]),
                NOW,
                MatchOptions::default(),
            )
            .await
            .unwrap();
        store
            .ingest(
                ids["b"],
                "b",
                &plain(&[entry(
                    "b1",
                    "UPDATE: port strike over",
                    "https://news.example.org/p",
                    NOW - 90,
                )]),
                NOW,
                MatchOptions::default(),
            )
            .await
            .unwrap();
        store
            .ingest(
                ids["b"],
                "b",
                &plain(&[entry("b2", "Other", "https://news.example.org/q", NOW - 80)]),
                NOW,
                MatchOptions::default(),
            )
            .await
            .unwrap();

        let stories = store.recent_stories(0, 10, None).await.unwrap();
        assert_eq!(stories.len(), 2, "{label}");
        let port = stories
            .iter()
            .find(|s| s.copies.len() == 2)
            .unwrap_or_else(|| panic!("{label}: folded story"));
        assert_eq!(
            port.copies[0].source, "a",
            "{label}: copies in arrival order"
        );
        assert_eq!(port.copies[1].priority, 5, "{label}");
        // The story keeps the founding entry's time, clamped to arrival.
        assert_eq!(port.published, NOW - 100, "{label}");

        let en = store.recent_stories(0, 10, Some("en")).await.unwrap();
        assert_eq!(en.len(), 1, "{label}: group filter");
        assert_eq!(
            en[0].copies.len(),
            1,
            "{label}: a group feed shows only its sources' copies"
        );
        assert_eq!(en[0].copies[0].source, "a", "{label}");
        assert_eq!(
            store
                .recent_stories(0, 10, Some("none"))
                .await
                .unwrap()
                .len(),
            0,
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn window_limit_and_future_dates() {
    with_each_backend(|store, label| async move {
        let ids = store.sync_sources(&[record("a", 0, &[])]).await.unwrap();
        let entries: Vec<Entry> = (0..5)
            .map(|i| {
                entry(
                    &format!("g{i}"),
                    &format!("T{i}"),
                    &format!("https://x.example.org/{i}"),
                    NOW - 1000 * i,
                )
            })
            .chain([entry(
                "future",
                "From the future",
                "https://x.example.org/f",
                NOW + 86_400,
            )])
            .collect();
        store
            .ingest(
                ids["a"],
                "a",
                &plain(&entries),
                NOW,
                MatchOptions::default(),
            )
            .await
            .unwrap();
        let recent = store.recent_stories(NOW - 2500, 10, None).await.unwrap();
        let titles: Vec<&str> = recent.iter().map(|s| s.copies[0].title.as_str()).collect();
        assert_eq!(titles, ["From the future", "T0", "T1", "T2"], "{label}");
        assert_eq!(
            recent[0].published, NOW,
            "{label}: future dates are clamped to arrival"
        );
        assert_eq!(
            store.recent_stories(0, 2, None).await.unwrap().len(),
            2,
            "{label}"
        );
    })
    .await;
}

fn success(at: i64, status: u16, validators: &Validators) -> Success<'_> {
    Success {
        at,
        status,
        validators,
        fresh_until: None,
        moved_to: None,
        feed_title: None,
    }
}

fn failure(at: i64, status: Option<u16>, error: &str) -> Failure<'_> {
    Failure {
        at,
        status,
        error,
        retry_at: None,
        gone: false,
        counts: true,
    }
}

#[tokio::test]
async fn sources_sync_by_name_and_keep_fetch_state() {
    with_each_backend(|store, label| async move {
        let ids = store
            .sync_sources(&[record("a", 0, &["x"]), record("b", 0, &[])])
            .await
            .unwrap();
        let validators = Validators {
            etag: Some("\"v1\"".into()),
            last_modified: Some("Sat, 21 Nov 2026 08:00:00 GMT".into()),
        };
        store
            .record_success(ids["a"], &success(NOW, 200, &validators))
            .await
            .unwrap();
        store
            .record_failure(ids["b"], &failure(NOW, Some(500), "HTTP 500"))
            .await
            .unwrap();
        store
            .record_failure(ids["b"], &failure(NOW + 1, None, "timed out"))
            .await
            .unwrap();
        // A deferral (nothing tried) moves the retry time but not the count.
        let deferred = Failure {
            retry_at: Some(NOW + 900),
            counts: false,
            ..failure(NOW + 1, None, "timed out")
        };
        store.record_failure(ids["b"], &deferred).await.unwrap();

        // A new config drops b and renames nothing: a keeps its id and state.
        let again = store.sync_sources(&[record("a", 3, &["y"])]).await.unwrap();
        assert_eq!(again["a"], ids["a"], "{label}");
        let a = store.source_state("a").await.unwrap();
        assert_eq!(a.validators, validators, "{label}");
        assert_eq!(
            (a.last_fetch_at, a.last_success_at, a.last_status),
            (Some(NOW), Some(NOW), Some(200)),
            "{label}"
        );
        let b = store.source_state("b").await.unwrap();
        assert!(
            !b.enabled,
            "{label}: removed sources are disabled, not deleted"
        );
        assert_eq!(
            (b.error_count, b.last_error.as_deref(), b.last_status),
            (2, Some("timed out"), None),
            "{label}"
        );
        assert_eq!(b.not_before(), Some(NOW + 900), "{label}");
        let none = Validators::default();
        let moved = Success {
            fresh_until: Some(NOW + 60),
            moved_to: Some("https://new.example/feed"),
            ..success(NOW + 2, 304, &none)
        };
        store.record_success(ids["b"], &moved).await.unwrap();
        let b = store.source_state("b").await.unwrap();
        assert_eq!(
            (b.error_count, b.last_error, b.retry_at, b.fresh_until),
            (0, None, None, Some(NOW + 60)),
            "{label}: success resets the failure count and the backoff"
        );
        assert_eq!(b.moved_to.as_deref(), Some("https://new.example/feed"));

        // 410 Gone marks the source; a new URL in the config clears it.
        let gone = Failure {
            gone: true,
            ..failure(NOW + 3, Some(410), "HTTP 410")
        };
        store.record_failure(ids["a"], &gone).await.unwrap();
        assert_eq!(
            store.source_state("a").await.unwrap().gone_at,
            Some(NOW + 3)
        );
        let mut renamed = record("a", 3, &["y"]);
        renamed.url = "https://elsewhere.example/a.xml".into();
        store.sync_sources(&[renamed]).await.unwrap();
        let a = store.source_state("a").await.unwrap();
        assert_eq!(
            (a.gone_at, a.error_count, a.validators),
            (None, 0, Validators::default()),
            "{label}: a new url starts afresh"
        );
        assert!(store.source_state("zzz").await.is_err(), "{label}");
    })
    .await;
}

#[tokio::test]
async fn syncing_an_unchanged_config_writes_nothing() {
    with_each_backend(|store, label| async move {
        let config = [record("a", 1, &["x", "y"]), record("b", 0, &[])];
        let ids = store.sync_sources(&config).await.unwrap();
        let before = store.version().await.unwrap();
        // The same sources, groups in another order: nothing to write, so
        // the served feeds are not rendered again.
        let same = [record("a", 1, &["y", "x"]), record("b", 0, &[])];
        assert_eq!(store.sync_sources(&same).await.unwrap(), ids, "{label}");
        assert_eq!(store.version().await.unwrap(), before, "{label}");

        // A changed group is written; a dropped source is disabled and
        // comes back enabled with its id.
        store.sync_sources(&[record("a", 1, &["x"])]).await.unwrap();
        let after = store.version().await.unwrap();
        assert!(after > before, "{label}");
        assert!(!store.source_state("b").await.unwrap().enabled, "{label}");
        let back = store.sync_sources(&config).await.unwrap();
        assert_eq!(back, ids, "{label}");
        assert!(store.source_state("b").await.unwrap().enabled, "{label}");
        assert!(store.version().await.unwrap() > after, "{label}");
    })
    .await;
}

#[tokio::test]
async fn many_sources_are_written_in_chunks_each_with_its_own_id_and_groups() {
    with_each_backend(|store, label| async move {
        // More than one statement's worth (200 a statement), with groups.
        let names: Vec<String> = (0..450).map(|i| format!("src-{i:03}")).collect();
        let group = |i: usize| {
            if i.is_multiple_of(3) {
                vec!["third"]
            } else {
                vec!["en", "wire"]
            }
        };
        let config: Vec<SourceRecord> = names
            .iter()
            .enumerate()
            .map(|(i, name)| record(name, i as i64, &group(i)))
            .collect();
        let ids = store.sync_sources(&config).await.unwrap();
        assert_eq!(ids.len(), 450, "{label}");
        let distinct: HashSet<i64> = ids.values().copied().collect();
        assert_eq!(distinct.len(), 450, "{label}: one id per source");
        for name in ["src-000", "src-199", "src-200", "src-449"] {
            assert_eq!(
                store.source_state(name).await.unwrap().id,
                ids[name],
                "{label}"
            );
        }
        // Stored as configured, groups included: syncing again writes nothing.
        let before = store.version().await.unwrap();
        assert_eq!(store.sync_sources(&config).await.unwrap(), ids, "{label}");
        assert_eq!(store.version().await.unwrap(), before, "{label}");

        // New and changed sources in one sync: the changed keep their ids,
        // their groups are replaced, not added to.
        let mut next = config.clone();
        for source in next.iter_mut().step_by(2) {
            source.groups = vec!["moved".into()];
        }
        next.push(record("src-new", 0, &["en"]));
        let again = store.sync_sources(&next).await.unwrap();
        assert_eq!(again.len(), 451, "{label}");
        assert!(names.iter().all(|n| again[n] == ids[n]), "{label}");
        assert!(!distinct.contains(&again["src-new"]), "{label}");
        let before = store.version().await.unwrap();
        store.sync_sources(&next).await.unwrap();
        assert_eq!(
            store.version().await.unwrap(),
            before,
            "{label}: groups as written"
        );
    })
    .await;
}

#[tokio::test]
async fn reopening_the_database_keeps_everything() {
    let db = TestDb::sqlite();
    let store = Store::open(&db.url).await.unwrap();
    let ids = store.sync_sources(&[record("a", 0, &[])]).await.unwrap();
    store
        .ingest(
            ids["a"],
            "a",
            &plain(&[entry("1", "One", "https://x.example.org/1", NOW)]),
            NOW,
            MatchOptions::default(),
        )
        .await
        .unwrap();
    let before = store.recent_stories(0, 10, None).await.unwrap();
    store.close().await;
    let reopened = Store::open(&db.url).await.unwrap();
    assert_eq!(reopened.recent_stories(0, 10, None).await.unwrap(), before);
    reopened.close().await;
}

#[tokio::test]
async fn unusable_database_urls_are_one_clear_error() {
    let e = Store::open("sqlite:///nonexistent-dir/sub/feedfold.db")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("cannot open database sqlite:///nonexistent-dir/sub/feedfold.db"),
        "{e}"
    );
    let e = Store::open("mysql://localhost/x")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected a sqlite:// or postgres:// URL"), "{e}");
    let e = Store::open("postgres://user:secret@127.0.0.1:1/db")
        .await
        .unwrap_err()
        .to_string();
    assert!(!e.contains("secret"), "passwords are not printed: {e}");
}

#[tokio::test]
async fn timestamps_are_seconds_in_both_backends() {
    // Guards the Any driver mapping: BIGINT columns round-trip as i64.
    with_each_backend(|store, label| async move {
        let ids = store.sync_sources(&[record("a", 0, &[])]).await.unwrap();
        let t: DateTime<Utc> = DateTime::from_timestamp(NOW - 5, 0).unwrap();
        let mut e = entry("1", "One", "https://x.example.org/1", 0);
        e.published = Some(t);
        store
            .ingest(ids["a"], "a", &plain(&[e]), NOW, MatchOptions::default())
            .await
            .unwrap();
        let stories = store.recent_stories(0, 1, None).await.unwrap();
        assert_eq!(stories[0].copies[0].published, NOW - 5, "{label}");
    })
    .await;
}

const FERRY: &str = "All ferry crossings to the northern islands were cancelled on Wednesday afternoon as Storm Brenna brought gusts of up to 110 km/h to exposed stretches of the coast, operators said. The national weather service issued an amber wind warning running from 15:00 on Wednesday until 09:00 on Thursday and said waves of six to eight metres were likely off the western headlands. Coastguard crews were put on standby and harbour masters told small boats to remain in port. Island Link Ferries said passengers booked on cancelled sailings could travel on any service up to Sunday free of charge.";

fn with_body(id: &str, title: &str, url: &str, body: &str) -> Entry {
    Entry {
        content: Some(format!("<p>{body}</p>")),
        ..entry(id, title, url, NOW - 60)
    }
}

#[tokio::test]
async fn near_duplicates_fold_and_decisions_explain_why() {
    use feedfold::daemon::fingerprint_entries;
    use feedfold::dedup::TitleRules;
    with_each_backend(|store, label| async move {
        let ids = store.sync_sources(&[record("wire", 5, &[]), record("coast", 1, &[])]).await.unwrap();
        let options = MatchOptions::default();
        let a = fingerprint_entries(
            vec![with_body("w1", "BREAKING: Ferry services suspended as Storm Brenna brings gales", "https://wire.example.org/ferry", FERRY)],
            TitleRules::default(),
        );
        // Same wire text, a credit line added, different headline decorations.
        let edited = format!("{FERRY} (Reporting by Coastal Times staff)");
        let b = fingerprint_entries(
            vec![
                with_body("c1", "Ferry services suspended as Storm Brenna brings gales - Coastal Times", "https://coast.example.net/storm", &edited),
                with_body("c2", "Lighthouse wins heritage grant", "https://coast.example.net/lighthouse", "The Gull Point Lighthouse Trust has been awarded a heritage grant to repair the lantern room, replace corroded railings and re-roof the keeper's cottage, with the tower reopening to visitors in 2028."),
            ],
            TitleRules::default(),
        );
        store.ingest(ids["wire"], "wire", &a, NOW, options).await.unwrap();
        let report = store.ingest(ids["coast"], "coast", &b, NOW + 5, options).await.unwrap();
        assert_eq!((report.new, report.merged), (2, 1), "{label}");
        let stories = store.recent_stories(0, 10, None).await.unwrap();
        assert_eq!(stories.len(), 2, "{label}");

        let coast_copy = store.find_entries("coast:c1").await.unwrap();
        assert_eq!(coast_copy.len(), 1, "{label}");
        let why = store.explain(coast_copy[0]).await.unwrap();
        assert_eq!(why.decisions.len(), 1, "{label}");
        assert_eq!(why.decisions[0].rule, "verified", "{label}");
        assert!(why.decisions[0].distance.unwrap() <= 3, "{label}");
        assert_eq!(why.decisions[0].matched.as_ref().unwrap().source, "wire", "{label}");
        let members = store.find_entries(&format!("tag:feedfold,2026:story/{}", why.story)).await.unwrap();
        assert_eq!(members.len(), 2, "{label}: a story key finds all its members");

        // Split it out: its own story, and re-fetching does not fold it back.
        let key = store.split(coast_copy[0], NOW + 10).await.unwrap();
        assert_ne!(key, why.story, "{label}");
        store.ingest(ids["coast"], "coast", &b, NOW + 20, options).await.unwrap();
        assert_eq!(store.recent_stories(0, 10, None).await.unwrap().len(), 3, "{label}");
        let after = store.explain(coast_copy[0]).await.unwrap();
        assert_eq!(after.story, key, "{label}");
        assert_eq!(after.decisions.last().unwrap().rule, "split", "{label}");
        assert!(store.explain(999_999).await.is_err(), "{label}");

        // Stored fingerprints serve any distance: a stricter one still finds the exact copy.
        let options = MatchOptions { distance: 3, ..options };
        let c = fingerprint_entries(
            vec![with_body("w2", "Ferry services suspended as Storm Brenna brings gales", "https://wire.example.org/ferry-2", FERRY)],
            TitleRules::default(),
        );
        let report = store.ingest(ids["wire"], "wire", &c, NOW + 30, options).await.unwrap();
        assert_eq!(report.merged, 1, "{label}: a narrower radius still finds the story");
    })
    .await;
}

#[tokio::test]
async fn a_second_process_sees_the_first_ones_stories() {
    use feedfold::daemon::fingerprint_entries;
    use feedfold::dedup::TitleRules;
    for db in TestDb::all().await {
        let label = db.label;
        let first = Store::open(&db.url).await.unwrap();
        let second = Store::open(&db.url).await.unwrap();
        let ids = first
            .sync_sources(&[record("wire", 5, &[]), record("coast", 1, &[])])
            .await
            .unwrap();
        let options = MatchOptions::default();
        let fp = |id: &str, title: &str, url: &str, body: &str| {
            fingerprint_entries(vec![with_body(id, title, url, body)], TitleRules::default())
        };
        // The second process loads its fingerprint copy before the story exists.
        let other = fp(
            "c0",
            "Lighthouse wins heritage grant",
            "https://coast.example.net/l",
            "The Gull Point Lighthouse Trust has been awarded a heritage grant to repair the lantern room and re-roof the keeper's cottage.",
        );
        second
            .ingest(ids["coast"], "coast", &other, NOW, options)
            .await
            .unwrap();
        let wire = fp(
            "w1",
            "Ferry services suspended as Storm Brenna brings gales",
            "https://wire.example.org/ferry",
            FERRY,
        );
        first
            .ingest(ids["wire"], "wire", &wire, NOW + 1, options)
            .await
            .unwrap();
        let copy = fp(
            "c1",
            "Ferry services suspended as Storm Brenna brings gales - Coastal Times",
            "https://coast.example.net/storm",
            &format!("{FERRY} (Reporting by Coastal Times staff)"),
        );
        let report = second
            .ingest(ids["coast"], "coast", &copy, NOW + 2, options)
            .await
            .unwrap();
        assert_eq!(
            (report.new, report.merged),
            (1, 1),
            "{label}: folded into the first process's story"
        );

        // The first process edits its story into another one; the second
        // must match the new text, not the old.
        const BRIDGE: &str = "The Harbour Bridge will close for six weeks from Monday while engineers replace expansion joints and resurface the deck, the city council said, with buses diverted through the old town and a free shuttle ferry running every fifteen minutes during the works.";
        let edited = fp(
            "w1",
            "Harbour Bridge to close for six weeks of repairs",
            "https://wire.example.org/ferry",
            BRIDGE,
        );
        let report = first
            .ingest(ids["wire"], "wire", &edited, NOW + 3, options)
            .await
            .unwrap();
        assert_eq!(report.updated, 1, "{label}");
        let bridge = fp(
            "c2",
            "Harbour Bridge to close for six weeks of repairs - Coastal Times",
            "https://coast.example.net/bridge",
            &format!("{BRIDGE} (Coastal Times)"),
        );
        let report = second
            .ingest(ids["coast"], "coast", &bridge, NOW + 4, options)
            .await
            .unwrap();
        assert_eq!(
            (report.new, report.merged),
            (1, 1),
            "{label}: the edit is seen"
        );
        first.close().await;
        second.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn one_batch_folds_its_own_copies() {
    use feedfold::daemon::fingerprint_entries;
    use feedfold::dedup::TitleRules;
    with_each_backend(|store, label| async move {
        let ids = store.sync_sources(&[record("wire", 0, &[])]).await.unwrap();
        let title = "Ferry services suspended as Storm Brenna brings gales";
        let credited = format!("{FERRY} (Reporting by Coastal Times staff)");
        // Within one call: a same-URL copy and a near-duplicate of the first
        // item, an unrelated item, and the first item again, corrected.
        let batch = fingerprint_entries(
            vec![
                with_body("w1", title, "https://wire.example.org/ferry", FERRY),
                with_body("w2", title, "https://wire.example.org/ferry?utm_source=rss", "Ferries cancelled."),
                with_body("w3", &format!("{title} - Coastal Times"), "https://wire.example.org/storm", &credited),
                with_body("w4", "Lighthouse wins heritage grant", "https://wire.example.org/lighthouse", "The Gull Point Lighthouse Trust has been awarded a heritage grant to repair the lantern room, replace corroded railings and re-roof the keeper's cottage, with the tower reopening to visitors in 2028."),
                with_body("w1", &format!("{title} (corrected)"), "https://wire.example.org/ferry", FERRY),
            ],
            TitleRules::default(),
        );
        let options = MatchOptions::default();
        let report = store.ingest(ids["wire"], "wire", &batch, NOW, options).await.unwrap();
        assert_eq!((report.new, report.merged, report.updated), (4, 2, 1), "{label}");

        let rule = |guid: &'static str| {
            let store = store.clone();
            async move {
                let entry = store.find_entries(&format!("wire:{guid}")).await.unwrap();
                let why = store.explain(entry[0]).await.unwrap();
                let matched = why.decisions[0].matched.as_ref().map(|m| m.title.clone());
                (why.decisions[0].rule.clone(), matched, why.story)
            }
        };
        let (first, _, story) = rule("w1").await;
        assert_eq!(first, "new", "{label}");
        let corrected = format!("{title} (corrected)");
        for guid in ["w2", "w3"] {
            let (rule, matched, joined) = rule(guid).await;
            let expected = if guid == "w2" { "same-url" } else { "verified" };
            assert_eq!(rule, expected, "{label}: {guid}");
            assert_eq!(matched.as_deref(), Some(corrected.as_str()), "{label}: {guid}");
            assert_eq!(joined, story, "{label}: {guid}");
        }
        let stories = store.recent_stories(0, 10, None).await.unwrap();
        assert_eq!(stories.len(), 2, "{label}");

        let again = store.ingest(ids["wire"], "wire", &batch[1..], NOW + 5, options).await.unwrap();
        assert_eq!((again.new, again.unchanged), (0, 4), "{label}");
    })
    .await;
}

#[tokio::test]
async fn batches_larger_than_one_statement_store_every_entry() {
    with_each_backend(|store, label| async move {
        let ids = store.sync_sources(&[record("big", 0, &[])]).await.unwrap();
        // Pairs share a URL, so half the entries join an earlier one's story.
        let entries: Vec<Entry> = (0..1500)
            .map(|i| {
                let url = format!("https://big.example.org/{}", i % 750);
                entry(&format!("g{i}"), &format!("Item {i}"), &url, NOW - i)
            })
            .collect();
        let options = MatchOptions::default();
        let report = store
            .ingest(ids["big"], "big", &plain(&entries), NOW, options)
            .await
            .unwrap();
        assert_eq!((report.new, report.merged), (1500, 750), "{label}");
        assert_eq!(
            store.recent_stories(0, 2000, None).await.unwrap().len(),
            750,
            "{label}"
        );
        let again = store
            .ingest(ids["big"], "big", &plain(&entries), NOW + 1, options)
            .await
            .unwrap();
        assert_eq!(again.unchanged, 1500, "{label}");
    })
    .await;
}

/// Batches waiting for the write turn are stored in one transaction (group
/// commit): one that fails is rolled back alone and told why, the others
/// are stored, and later batches match against what was committed, the
/// failed batch's entries not among it.
#[tokio::test]
async fn waiting_batches_commit_together_and_a_failing_one_alone() {
    with_each_backend(|store, label| async move {
        let names: Vec<String> = (0..12).map(|i| format!("s{i}")).collect();
        let records: Vec<SourceRecord> = names.iter().map(|n| record(n, 0, &[])).collect();
        let ids = store.sync_sources(&records).await.unwrap();
        let batch = |source_id: i64, name: &str, guid: &str| Batch {
            source_id,
            source_name: name.into(),
            items: plain(&[entry(
                guid,
                &format!("Story {guid}"),
                &format!("https://x.example.org/{guid}"),
                NOW,
            )]),
            now: NOW,
            options: MatchOptions::default(),
            template: None,
        };
        // Polled in turn on one thread: the first takes the turn alone, the
        // rest queue behind it and are stored by one writer, the one whose
        // source does not exist (a foreign key refuses it) among them.
        let mut batches: Vec<Batch> = names
            .iter()
            .enumerate()
            .map(|(i, n)| batch(ids[n], n, &format!("g{i}")))
            .collect();
        batches.insert(6, batch(i64::MAX, "gone", "orphan"));
        let results =
            futures_util::future::join_all(batches.into_iter().map(|b| store.ingest_batch(b)))
                .await;
        for (i, result) in results.iter().enumerate() {
            match i {
                6 => assert!(result.is_err(), "{label}: the orphan batch was stored"),
                _ => assert_eq!(result.as_ref().unwrap().new, 1, "{label}: batch {i}"),
            }
        }
        assert_eq!(
            store.recent_stories(0, 100, None).await.unwrap().len(),
            12,
            "{label}"
        );
        assert!(
            store
                .find_entries("gone:orphan")
                .await
                .unwrap_or_default()
                .is_empty()
        );
        // A copy of a stored entry (same URL) from another source joins its
        // story; a copy of the orphan starts one.
        let copies = vec![
            entry("c3", "Story g3", "https://x.example.org/g3", NOW),
            entry("c9", "Story orphan", "https://x.example.org/orphan", NOW),
        ];
        let report = store
            .ingest(
                ids["s0"],
                "s0",
                &plain(&copies),
                NOW + 5,
                MatchOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!((report.new, report.merged), (2, 1), "{label}");
    })
    .await;
}

/// Pages each of `keys` is counted on in `site`'s stored template (0: none).
async fn template_pages(store: &Store, site: &str, now: i64, keys: &[u64]) -> Vec<u32> {
    let learnt: std::collections::HashMap<u64, u32> = store
        .site_template(site, now)
        .await
        .unwrap()
        .into_iter()
        .collect();
    keys.iter()
        .map(|k| learnt.get(k).copied().unwrap_or(0))
        .collect()
}

#[tokio::test]
async fn site_templates_count_new_pages_once_and_stay_bounded() {
    use feedfold::store::{FORGET_AFTER_SECS, MAX_LINES_PER_SITE, PageLines};
    with_each_backend(|store, label| async move {
        let ids = store.sync_sources(&[record("a", 0, &[])]).await.unwrap();
        let a = ids["a"];
        let options = MatchOptions::default();
        // Keys as the daemon makes them, including ones above i64::MAX.
        let common: Vec<u64> = (0..10).map(|i| u64::MAX - i).collect();
        let old: Vec<u64> = (1_000..6_000).collect();
        let new: Vec<u64> = (100_000..116_000).collect();
        let page = |guid: &str, own: &[u64]| PageLines {
            guid: guid.into(),
            keys: common.iter().chain(own).copied().collect(),
            removed: 0,
        };
        let first = entry("1", "One", "https://x.example.org/1", NOW);
        let pages = [page("1", &old)];
        learn(
            &store,
            a,
            &plain(std::slice::from_ref(&first)),
            NOW,
            options,
            &pages,
        )
        .await;
        assert_eq!(
            template_pages(&store, "a", NOW, &common[..1]).await,
            [1],
            "{label}"
        );
        // The same entry again (re-fetched) is not counted again.
        learn(&store, a, &plain(&[first]), NOW + 5, options, &pages).await;
        assert_eq!(
            template_pages(&store, "a", NOW, &common[..1]).await,
            [1],
            "{label}"
        );
        // A second page passes the bound: single-page lines go, oldest first;
        // lines on two pages stay.
        let second = entry("2", "Two", "https://x.example.org/2", NOW);
        let pages = [page("2", &new)];
        learn(&store, a, &plain(&[second]), NOW + 10, options, &pages).await;
        let learnt = store.site_template("a", NOW + 10).await.unwrap();
        assert_eq!(learnt.len() as i64, MAX_LINES_PER_SITE, "{label}");
        assert_eq!(
            template_pages(&store, "a", NOW + 10, &common).await,
            [2; 10],
            "{label}"
        );
        assert!(
            template_pages(&store, "a", NOW + 10, &new)
                .await
                .iter()
                .all(|&p| p == 1),
            "{label}: the newest single-page lines stay"
        );
        let kept_old = template_pages(&store, "a", NOW + 10, &old).await;
        assert_eq!(
            kept_old.iter().filter(|&&p| p == 1).count(),
            5_000 - 1_010,
            "{label}"
        );
        // Another site's lines are its own.
        assert!(
            store.site_template("b", NOW + 10).await.unwrap().is_empty(),
            "{label}"
        );
        // Ninety days later, lines not seen since are forgotten.
        let later = NOW + 10 + FORGET_AFTER_SECS + 1;
        assert!(
            store.site_template("a", later).await.unwrap().is_empty(),
            "{label}"
        );
        let third = entry("3", "Three", "https://x.example.org/3", later);
        let pages = [PageLines {
            guid: "3".into(),
            keys: vec![42],
            removed: 0,
        }];
        learn(&store, a, &plain(&[third]), later, options, &pages).await;
        assert_eq!(
            store.site_template("a", NOW + 10).await.unwrap(),
            [(42, 1)],
            "{label}"
        );
    })
    .await;
}

/// Stores `items` for source "a", counting `pages` into site "a"'s template.
async fn learn(
    store: &Store,
    a: i64,
    items: &[Incoming],
    now: i64,
    options: MatchOptions,
    pages: &[feedfold::store::PageLines],
) {
    let batch = Batch {
        source_id: a,
        source_name: "a".into(),
        items: items.to_vec(),
        now,
        options,
        template: Some(("a".into(), pages.to_vec())),
    };
    store.ingest_batch(batch).await.unwrap();
}

/// WebSub subscriptions: a hub noted once is due once; two daemons sharing
/// the database (two pools here) claim it, and one wins; a change of hub
/// starts over with a new callback id and secret; an update written against a state that
/// changed meanwhile is not applied.
#[tokio::test]
async fn websub_subscriptions_are_noted_once_and_claimed_by_one_daemon() {
    use feedfold::store::{Advertised, SubState, SubUpdate};
    for db in TestDb::all().await {
        let label = db.label;
        let one = Store::open(&db.url).await.unwrap();
        let two = Store::open(&db.url).await.unwrap();
        let ids = one.sync_sources(&[record("a", 0, &[])]).await.unwrap();
        let id = ids["a"];
        let ad = |hub: &'static str, secret: &'static str| Advertised {
            hub,
            topic: "https://a.example.org/feed",
            callback_id: if secret == "s3" { "cb2" } else { "cb1" },
            secret,
        };
        assert!(
            one.note_hub(id, &ad("https://hub.one/", "s1"), NOW)
                .await
                .unwrap()
        );
        // The same hub again is nothing new, whoever notes it.
        assert!(
            !two.note_hub(id, &ad("https://hub.one/", "s2"), NOW)
                .await
                .unwrap()
        );
        let sub = one.subscription_by_callback("cb1").await.unwrap().unwrap();
        assert_eq!(
            (sub.state, sub.secret.as_str(), sub.source.as_deref()),
            (SubState::New, "s1", Some("a")),
            "{label}"
        );
        let claims = futures_util::future::join(
            one.claim_subscription(id, sub.next_attempt, NOW, NOW + 120),
            two.claim_subscription(id, sub.next_attempt, NOW, NOW + 120),
        )
        .await;
        assert_eq!(
            [claims.0.unwrap(), claims.1.unwrap()]
                .iter()
                .filter(|won| **won)
                .count(),
            1,
            "{label}: exactly one daemon asks the hub"
        );
        let pending = SubUpdate {
            state: SubState::Pending,
            lease_until: None,
            next_attempt: NOW + 3600,
            failures: 0,
            last_error: None,
        };
        assert!(one.update_subscription(&sub, &pending, NOW).await.unwrap());
        // Written against the old state ("new"): the row moved on, so not applied.
        let failed = SubUpdate {
            state: SubState::Failed,
            ..pending.clone()
        };
        assert!(!two.update_subscription(&sub, &failed, NOW).await.unwrap());
        assert_eq!(
            one.subscription_of(id).await.unwrap().unwrap().state,
            SubState::Pending,
            "{label}"
        );
        // Another hub: a new subscription, due now, with the new secret.
        assert!(
            one.note_hub(id, &ad("https://hub.two/", "s3"), NOW + 5)
                .await
                .unwrap()
        );
        let moved = one.subscription_of(id).await.unwrap().unwrap();
        assert_eq!(
            (
                moved.state,
                moved.hub.as_str(),
                moved.secret.as_str(),
                moved.next_attempt
            ),
            (SubState::New, "https://hub.two/", "s3", NOW + 5),
            "{label}"
        );
        // The old hub's pushes reach an id nobody has any more (410 Gone).
        assert!(one.subscription_by_callback("cb1").await.unwrap().is_none());
        assert!(one.subscription_by_callback("cb2").await.unwrap().is_some());
        one.delete_subscription(id).await.unwrap();
        assert!(one.subscriptions().await.unwrap().is_empty(), "{label}");
        one.close().await;
        two.close().await;
        db.cleanup().await;
    }
}

/// A batch stored in the same transaction as an earlier one that edited an
/// entry matches against the edited text: the copy of fingerprints is not
/// read back between the batches of one group, so what a batch writes, edits
/// included, must reach the copy as it is written.
#[tokio::test]
async fn a_later_batch_of_one_group_sees_an_entry_an_earlier_one_edited() {
    use feedfold::daemon::fingerprint_entries;
    use feedfold::dedup::TitleRules;
    with_each_backend(|store, label| async move {
        let names = ["wire", "coast", "other"];
        let records: Vec<SourceRecord> = names.iter().map(|n| record(n, 0, &[])).collect();
        let ids = store.sync_sources(&records).await.unwrap();
        let fp = |id: &str, title: &str, url: &str, body: &str| {
            fingerprint_entries(vec![with_body(id, title, url, body)], TitleRules::default())
        };
        let batch = |name: &str, items| Batch {
            source_id: ids[name],
            source_name: name.into(),
            items,
            now: NOW,
            options: MatchOptions::default(),
            template: None,
        };
        let first = fp(
            "w1",
            "Lighthouse wins heritage grant",
            "https://wire.example.org/w1",
            "The Gull Point Lighthouse Trust has been awarded a heritage grant to repair the lantern room and re-roof the keeper's cottage.",
        );
        store.ingest_batch(batch("wire", first)).await.unwrap();
        // The wire reuses the GUID for another story; a copy of that story
        // arrives from another site right behind it.
        let edited = fp(
            "w1",
            "Ferry services suspended as Storm Brenna brings gales",
            "https://wire.example.org/w1",
            FERRY,
        );
        let copy = fp(
            "c1",
            "Ferry services suspended as Storm Brenna brings gales - Coastal Times",
            "https://coast.example.net/storm",
            &format!("{FERRY} (Reporting by Coastal Times staff)"),
        );
        let unrelated = plain(&[entry("o1", "Council meets", "https://o.example.org/1", NOW)]);
        // Polled in turn on one thread: the first takes the turn alone, the
        // other two are stored together by one writer, in this order.
        let batches = [
            batch("other", unrelated),
            batch("wire", edited),
            batch("coast", copy),
        ];
        let reports =
            futures_util::future::join_all(batches.into_iter().map(|b| store.ingest_batch(b)))
                .await;
        let reports: Vec<_> = reports.into_iter().map(Result::unwrap).collect();
        assert_eq!(reports[1].updated, 1, "{label}: the wire's entry was edited");
        assert_eq!(
            (reports[2].new, reports[2].merged),
            (1, 1),
            "{label}: the copy folds into the edited entry's story"
        );
    })
    .await;
}
