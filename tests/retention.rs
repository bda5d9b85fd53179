//! Retention and backup (issue 17): pruning deletes whole stories past
//! `daemon.keep` and never one in the served window, `--source` removes a
//! source's stories at once, the SQLite file shrinks, a full disk or a
//! read-only database stops a prune cleanly, and a backup of a live
//! database starts a daemon that serves the same feed. On SQLite and
//! PostgreSQL.

mod common;

use std::path::Path;
use std::process::Command;

use common::TestDb;
use feedfold::daemon::fingerprint_entries;
use feedfold::dedup::{MatchOptions, TitleRules};
use feedfold::source::Entry;
use feedfold::store::{ArticleRecord, PruneReport, Retention, Scraped, SourceRecord, Store};
use sqlx::Connection;

const DAY: i64 = 86_400;
const NOW: i64 = 1_795_300_000;
const BIN: &str = env!("CARGO_BIN_EXE_feedfold");

fn record(name: &str) -> SourceRecord {
    SourceRecord {
        name: name.into(),
        url: format!("https://{name}.example.org/feed.xml"),
        priority: 0,
        groups: Vec::new(),
        enabled: true,
    }
}

/// One copy of story `story` as `site` carries it, at `link`.
fn copy(site: &str, story: u64, link: &str, published: i64) -> Entry {
    Entry {
        id: format!("{site}-{story}"),
        url: Some(link.into()),
        title: format!("Story {story} headline"),
        author: None,
        published: chrono::DateTime::from_timestamp(published, 0),
        summary: None,
        content: Some(format!("<p>{}</p>", common::story_text(story))),
        enclosures: Vec::new(),
        categories: Vec::new(),
    }
}

/// Ingests `entries` for `source` as first seen at `at`.
async fn ingest(store: &Store, source: (&str, i64), entries: Vec<Entry>, at: i64) {
    let items = fingerprint_entries(entries, TitleRules::default());
    store
        .ingest(source.1, source.0, &items, at, MatchOptions::default())
        .await
        .unwrap();
}

/// One copy of `story` from `source`, published at `published` and first
/// seen at `at`.
async fn ingest_copy(
    store: &Store,
    source: (&str, i64),
    story: u64,
    link: &str,
    published: i64,
    at: i64,
) {
    ingest(
        store,
        source,
        vec![copy(source.0, story, link, published)],
        at,
    )
    .await;
}

async fn execute(url: &str, sql: &str) {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    // Test fixtures, not outside data.
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

async fn count(url: &str, sql: &'static str) -> i64 {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    n
}

/// Rows per table, in [`PruneReport::tables`] order.
async fn rows(url: &str) -> [i64; 5] {
    [
        count(url, "SELECT COUNT(*) FROM stories").await,
        count(url, "SELECT COUNT(*) FROM entries").await,
        count(url, "SELECT COUNT(*) FROM decisions").await,
        count(url, "SELECT COUNT(*) FROM articles").await,
        count(url, "SELECT COUNT(*) FROM site_templates").await,
    ]
}

/// Stories some but not all of whose entries are gone: there must be none.
/// A story's members all point at it, so a half-deleted story shows as
/// entries whose story row is missing, or decisions of entries that are.
async fn assert_whole(url: &str, label: &str) {
    let orphans = count(
        url,
        "SELECT COUNT(*) FROM entries e WHERE NOT EXISTS (SELECT 1 FROM stories s WHERE s.id = e.story_id)",
    )
    .await;
    let loose = count(
        url,
        "SELECT COUNT(*) FROM decisions d WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = d.entry_id)",
    )
    .await;
    assert_eq!((orphans, loose), (0, 0), "{label}");
}

fn article(url: &str) -> ArticleRecord {
    ArticleRecord {
        url: url.into(),
        fetched_at: NOW - 40 * DAY,
        status: Some(200),
        outcome: Ok(Scraped {
            strategy: "readability".into(),
            reason: "test".into(),
            title: "t".into(),
            text: "text".into(),
            html: "<p>text</p>".into(),
            published: None,
        }),
    }
}

fn report_rows(report: &PruneReport) -> [i64; 5] {
    report.tables().map(|(_, n)| n as i64)
}

#[tokio::test]
async fn prune_deletes_whole_stories_past_keep_and_spares_the_window() {
    for db in TestDb::all().await {
        let label = db.label;
        let store = Store::open(&db.url).await.unwrap();
        let ids = store
            .sync_sources(&[record("a"), record("b")])
            .await
            .unwrap();
        let (a, b) = (("a", ids["a"]), ("b", ids["b"]));
        let old = NOW - 40 * DAY;
        // Story 1: both copies first seen 40 days ago (one link: one story).
        let x = |n: u64| format!("https://x.example.org/{n}");
        ingest_copy(&store, a, 1, &x(1), old, old).await;
        ingest_copy(&store, b, 1, &x(1), old, old).await;
        // Story 2: started 40 days ago, but b's copy arrived yesterday.
        ingest_copy(&store, a, 2, &x(2), old, old).await;
        ingest_copy(&store, b, 2, &x(2), old, NOW - DAY).await;
        // Story 3: two days old, inside the seven-day window.
        let recent = NOW - 2 * DAY;
        ingest_copy(&store, a, 3, &x(3), recent, recent).await;
        for link in [x(1), x(2)] {
            store.save_article(&article(&link)).await.unwrap();
        }
        // Template lines learnt from a's pages: one last seen 40 days ago
        // (only on pages past keep), one yesterday.
        execute(
            &db.url,
            &format!(
                "INSERT INTO site_templates (site, line, pages, last_seen) VALUES ('a', 1, 3, {old}), ('a', 2, 3, {})",
                NOW - DAY
            ),
        )
        .await;
        let before = rows(&db.url).await;
        assert_eq!(before[0..2], [3, 5], "{label}: stories, entries before");

        let retention = Retention {
            now: NOW,
            keep_since: NOW - 30 * DAY,
            window_since: NOW - 7 * DAY,
        };
        let preview = store.prune_preview(retention, 1).await.unwrap();
        assert_eq!(
            rows(&db.url).await,
            before,
            "{label}: a dry run deletes nothing"
        );
        let report = store.prune(retention, 1).await.unwrap();
        assert_eq!(
            report_rows(&preview),
            report_rows(&report),
            "{label}: dry run = run"
        );
        // Story 1 went whole: its story, two entries, two decisions, and
        // its article page.
        assert_eq!(report_rows(&report), [1, 2, 2, 1, 1], "{label}: {report:?}");
        let after = rows(&db.url).await;
        assert_eq!(after, [2, 3, 3, 1, 1], "{label}: rows left");
        assert_whole(&db.url, label).await;

        // With every entry past the keep cutoff, story 2 goes too, but
        // story 3, inside the served window, never does.
        let everything = Retention {
            now: NOW,
            keep_since: NOW + 1,
            window_since: NOW - 7 * DAY,
        };
        let report = store.prune(everything, 200).await.unwrap();
        assert_eq!(report_rows(&report)[0..2], [1, 2], "{label}: {report:?}");
        let left = store.recent_stories(NOW - 7 * DAY, 10, None).await.unwrap();
        assert_eq!(left.len(), 1, "{label}");
        assert_eq!(left[0].copies[0].guid, "a-3", "{label}");
        assert_whole(&db.url, label).await;

        // Ingest goes on after a prune, also for a copy of a deleted story
        // (whose tombstone this prune's cutoff, after now, forgot).
        ingest(
            &store,
            b,
            vec![copy("b", 1, "https://x.example.org/1", NOW)],
            NOW,
        )
        .await;
        assert_eq!(
            count(&db.url, "SELECT COUNT(*) FROM stories").await,
            2,
            "{label}"
        );
        // The prune run then refreshes the planner's statistics.
        store.refresh_statistics().await.unwrap();
        let analysed = if label == "sqlite" {
            "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'entries'"
        } else {
            "SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname = 'entries' AND last_analyze IS NOT NULL"
        };
        assert!(
            count(&db.url, analysed).await > 0,
            "{label}: entries not analysed"
        );
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_item_its_feed_still_lists_stays_out_after_a_prune_until_it_leaves_the_feed() {
    for db in TestDb::all().await {
        let label = db.label;
        let store = Store::open(&db.url).await.unwrap();
        let ids = store.sync_sources(&[record("pod")]).await.unwrap();
        let pod = ("pod", ids["pod"]);
        let x = |n: u64| format!("https://pod.example.org/{n}");
        let old = NOW - 40 * DAY;
        let keep = |now: i64| Retention {
            now,
            keep_since: now - 30 * DAY,
            window_since: now - 7 * DAY,
        };
        // A podcast feed lists every episode: episode 1 since 40 days ago.
        ingest_copy(&store, pod, 1, &x(1), old, old).await;
        let report = store.prune(keep(NOW), 200).await.unwrap();
        assert_eq!(report.entries, 1, "{label}");
        let tombstones = "SELECT COUNT(*) FROM tombstones";
        assert_eq!(count(&db.url, tombstones).await, 1, "{label}");
        // Each fetch still lists it, with a new episode: only that is stored.
        for day in 1..=3 {
            let at = NOW + day * DAY;
            let feed = vec![copy("pod", 1, &x(1), old), copy("pod", 2, &x(2), at)];
            ingest(&store, pod, feed, at).await;
        }
        let entries = "SELECT COUNT(*) FROM entries";
        assert_eq!(count(&db.url, entries).await, 1, "{label}: only episode 2");
        let seen = "SELECT MAX(last_seen) FROM tombstones";
        assert_eq!(count(&db.url, seen).await, NOW + 3 * DAY, "{label}");
        // Listed within `keep`, the tombstone outlives later prunes.
        store.prune(keep(NOW + 20 * DAY), 200).await.unwrap();
        assert_eq!(count(&db.url, tombstones).await, 1, "{label}");
        // Out of the feed for longer than `keep`, it goes: the item would
        // be new again. (Episode 2, now past `keep` too, is buried.)
        store.prune(keep(NOW + 40 * DAY), 200).await.unwrap();
        let first = "SELECT COUNT(*) FROM tombstones WHERE guid = 'pod-1'";
        assert_eq!(count(&db.url, first).await, 0, "{label}");
        assert_eq!(count(&db.url, tombstones).await, 1, "{label}: episode 2's");
        // A source removed at once takes its tombstones along.
        store.prune_source("pod", 200, false).await.unwrap();
        assert_eq!(count(&db.url, tombstones).await, 0, "{label}");
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn prune_source_removes_its_stories_at_once_and_keeps_shared_ones() {
    for db in TestDb::all().await {
        let label = db.label;
        let store = Store::open(&db.url).await.unwrap();
        let ids = store
            .sync_sources(&[record("a"), record("b")])
            .await
            .unwrap();
        let (a, b) = (("a", ids["a"]), ("b", ids["b"]));
        let entries = (0..5)
            .map(|s| copy("a", s, &format!("https://a.example.org/{s}"), NOW))
            .collect();
        ingest(&store, a, entries, NOW).await;
        // b carries story 0 too (same text, its own link), and a story of its own.
        let shared = copy("b", 0, "https://b.example.org/0", NOW);
        let own = copy("b", 9, "https://b.example.org/9", NOW);
        ingest(&store, b, vec![shared, own], NOW).await;
        assert_eq!(
            count(&db.url, "SELECT COUNT(*) FROM stories").await,
            6,
            "{label}"
        );

        execute(
            &db.url,
            &format!("INSERT INTO site_templates (site, line, pages, last_seen) VALUES ('a', 7, 2, {NOW}), ('b', 7, 2, {NOW})"),
        )
        .await;
        let preview = store.prune_source_preview("a", false).await.unwrap();
        let report = store.prune_source("a", 2, false).await.unwrap();
        assert_eq!(report_rows(&preview), report_rows(&report), "{label}");
        assert_eq!(report_rows(&report)[0..2], [4, 5], "{label}: {report:?}");
        assert!(report.batches >= 3, "{label}: batches of two entries");
        assert_eq!(report.site_templates, 1, "{label}: a's template lines went");
        // Inside the window too: --source is an explicit order.
        let left = store.recent_stories(0, 10, None).await.unwrap();
        let mut guids: Vec<_> = left
            .iter()
            .flat_map(|s| &s.copies)
            .map(|c| c.guid.as_str())
            .collect();
        guids.sort_unstable();
        assert_eq!(guids, ["b-0", "b-9"], "{label}");
        let names: Vec<_> = store
            .source_states()
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["b"], "{label}: a's row went with its entries");
        assert_whole(&db.url, label).await;
        let unknown = store.prune_source("nobody", 10, false).await;
        assert!(
            matches!(unknown, Err(feedfold::store::StoreError::UnknownSource(ref n)) if n == "nobody"),
            "{label}: {unknown:?}"
        );
        store.close().await;
        db.cleanup().await;
    }
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

#[tokio::test]
async fn the_sqlite_file_shrinks_after_a_prune_and_old_files_are_converted() {
    let dir = tempfile::tempdir().unwrap();
    // A file made before retention: tables, and auto_vacuum off.
    let path = dir.path().join("old.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE keepsake (x TEXT)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO keepsake VALUES ('still here')")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert_eq!(count(&url, "PRAGMA auto_vacuum").await, 0);
    let store = Store::open(&url).await.unwrap();
    assert_eq!(
        count(&url, "PRAGMA auto_vacuum").await,
        2,
        "converted to incremental"
    );
    assert_eq!(count(&url, "SELECT COUNT(*) FROM keepsake").await, 1);

    let ids = store.sync_sources(&[record("a")]).await.unwrap();
    let old = NOW - 40 * DAY;
    for chunk in 0..10u64 {
        let entries = (chunk * 100..chunk * 100 + 100)
            .map(|s| {
                let mut e = copy("a", s, &format!("https://a.example.org/{s}"), old);
                // Article-sized bodies, as scraped pages make them.
                e.content = Some(format!("<p>{}</p>", common::story_text(s).repeat(8)));
                e
            })
            .collect();
        ingest(&store, ("a", ids["a"]), entries, old).await;
    }
    store.reclaim_space().await.unwrap();
    let full = file_size(&path);
    let retention = Retention {
        now: NOW,
        keep_since: NOW - 30 * DAY,
        window_since: NOW - 7 * DAY,
    };
    let report = store.prune(retention, 200).await.unwrap();
    assert_eq!(report.entries, 1000);
    let freed = store.reclaim_space().await.unwrap();
    let pruned = file_size(&path);
    assert!(freed > 0, "pages freed");
    assert!(
        pruned * 4 < full,
        "the file shrinks: {full} bytes full, {pruned} after pruning"
    );
    store.close().await;
}

/// `feedfold` with `args`, returning (exit code, stdout, stderr).
fn feedfold(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("FEEDFOLD_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A config on `url` keeping `keep`, window seven days.
fn config(dir: &Path, url: &str, keep: &str) -> String {
    let path = common::write_config(
        dir,
        url,
        &common::source("a", "https://a.example.org/feed", ""),
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replace("keep = \"3650d\"", &format!("keep = \"{keep}\""))
        .replace("window = \"3650d\"", "window = \"7d\"");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Stories `stories` of one copy each, first seen `age_days` ago.
async fn old_stories(url: &str, age_days: i64, stories: std::ops::Range<u64>) {
    let store = Store::open(url).await.unwrap();
    let ids = store.sync_sources(&[record("a")]).await.unwrap();
    let at = chrono::Utc::now().timestamp() - age_days * DAY;
    let entries = stories
        .map(|s| copy("a", s, &format!("https://a.example.org/{s}"), at))
        .collect();
    ingest(&store, ("a", ids["a"]), entries, at).await;
    store.close().await;
}

#[tokio::test]
async fn prune_command_prints_counts_and_dry_run_deletes_nothing() {
    for db in TestDb::all().await {
        let label = db.label;
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path(), &db.url, "30d");
        old_stories(&db.url, 40, 0..30).await;
        let (code, dry, err) = feedfold(&["prune", "-c", &cfg, "--dry-run"]);
        assert_eq!(code, 0, "{label}: {err}");
        assert!(
            dry.starts_with(
                "would remove stories first seen over 30d ago and out of the 7d window:"
            ),
            "{label}: {dry}"
        );
        assert!(
            dry.contains("  entries               30\n"),
            "{label}: {dry}"
        );
        assert!(
            dry.contains("  decisions             30\n"),
            "{label}: {dry}"
        );
        // One column of counts, whatever the table names' lengths.
        let rows: Vec<&str> = dry.lines().skip(1).take(5).collect();
        assert!(
            rows.iter().all(|r| r.len() == rows[0].len()),
            "{label}: {dry}"
        );
        assert_eq!(
            count(&db.url, "SELECT COUNT(*) FROM entries").await,
            30,
            "{label}"
        );
        let (code, run, err) = feedfold(&["prune", "-c", &cfg]);
        assert_eq!(code, 0, "{label}: {err}");
        // The run's lines after the dry run's say what space came back.
        assert_eq!(
            run.replacen("removed", "would remove", 1)
                .lines()
                .take(dry.lines().count())
                .collect::<Vec<_>>(),
            dry.lines().collect::<Vec<_>>(),
            "{label}"
        );
        assert_eq!(
            count(&db.url, "SELECT COUNT(*) FROM entries").await,
            0,
            "{label}"
        );
        let (_, again, _) = feedfold(&["prune", "-c", &cfg]);
        assert!(
            again.contains("  stories                0\n"),
            "{label}: {again}"
        );
        // --source for a source the database never had.
        let (code, _, err) = feedfold(&["prune", "-c", &cfg, "--source", "nobody"]);
        assert_eq!(code, 1, "{label}: {err}");
        assert!(err.contains("no source \"nobody\""), "{label}: {err}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn keep_shorter_than_the_window_is_refused_by_check_and_prune() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let cfg = config(dir.path(), &db.url, "3d");
    for command in ["check", "prune"] {
        let (code, _, err) = feedfold(&[command, "-c", &cfg]);
        assert_eq!(code, 1, "{command}: {err}");
        assert!(
            err.contains("feedfold.toml:6:8: daemon.keep (3d) must be at least output.window (7d)"),
            "{command}: {err}"
        );
    }
}

#[tokio::test]
async fn a_full_disk_stops_a_prune_without_cutting_a_story() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let cfg = config(dir.path(), &db.url, "30d");
    old_stories(&db.url, 40, 0..600).await;
    let before = count(&db.url, "SELECT COUNT(*) FROM entries").await;
    // Files may not grow past 64 KiB (the WAL index takes 32): the WAL
    // fills during the first batch, as on a full disk. SIGXFSZ is ignored
    // so the write fails with an error instead of killing the process.
    let limited = Command::new("bash")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 64; exec \"$0\" prune -c \"$1\"",
            BIN,
            &cfg,
        ])
        .env("FEEDFOLD_LOG", "warn")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&limited.stderr);
    assert_eq!(limited.status.code(), Some(2), "{err}");
    assert!(err.contains("feedfold: database error"), "{err}");
    assert_whole(&db.url, "full disk").await;
    assert!(count(&db.url, "SELECT COUNT(*) FROM entries").await <= before);
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert_eq!(check, "ok");
    // With room again the prune finishes.
    let (code, out, err) = feedfold(&["prune", "-c", &cfg]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("removed"), "{out}");
    assert_eq!(count(&db.url, "SELECT COUNT(*) FROM entries").await, 0);
}

#[tokio::test]
async fn a_backup_of_a_live_database_serves_the_same_feed() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let cfg = config(dir.path(), &db.url, "30d");
    let store = Store::open(&db.url).await.unwrap();
    let a = ("a", store.sync_sources(&[record("a")]).await.unwrap()["a"]);
    let now = chrono::Utc::now().timestamp();
    ingest(
        &store,
        a,
        (0..20)
            .map(|s| copy("a", s, &format!("https://a.example.org/{s}"), now))
            .collect(),
        now,
    )
    .await;
    // A writer keeps ingesting while the backup is taken.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for round in 1..30u64 {
                let entries = (round * 20..round * 20 + 20)
                    .map(|s| copy("a", s, &format!("https://a.example.org/{s}"), now))
                    .collect();
                ingest(&store, a, entries, now).await;
            }
        })
    };
    let copy_path = dir.path().join("copy.db");
    let copy_arg = copy_path.display().to_string();
    let backup = tokio::task::spawn_blocking({
        let (cfg, copy_arg) = (cfg.clone(), copy_arg.clone());
        move || feedfold(&["backup", "-c", &cfg, &copy_arg])
    });
    let (code, out, err) = backup.await.unwrap();
    writer.await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("{copy_arg}: ")), "{out}");
    // The copy is one moment of the live database: whole, every entry
    // in it is in the original, and none of its stories half there.
    let copy_url = format!("sqlite://{copy_arg}");
    let copied = count(&copy_url, "SELECT COUNT(*) FROM entries").await;
    assert!((20..=600).contains(&copied), "{copied} entries copied");
    assert_whole(&copy_url, "live copy").await;

    // Refused over an existing file; replaced with --force, now that the
    // writer is done: a daemon's view of the copy is the original's.
    let (code, _, err) = feedfold(&["backup", "-c", &cfg, &copy_arg]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("already exists (use --force to replace it)"),
        "{err}"
    );
    let (code, _, err) = feedfold(&["backup", "-c", &cfg, "--force", &copy_arg]);
    assert_eq!(code, 0, "{err}");
    store.close().await;
    let restored = tempfile::tempdir().unwrap();
    let copy_cfg = config(restored.path(), &copy_url, "30d");
    for format in ["atom", "json"] {
        let (code, original, err) = feedfold(&["feed", "-c", &cfg, "--format", format]);
        assert_eq!(code, 0, "{err}");
        let (code, from_copy, err) = feedfold(&["feed", "-c", &copy_cfg, "--format", format]);
        assert_eq!(code, 0, "{err}");
        assert!(
            original.contains("a-599") || original.contains("Story 599"),
            "{format}"
        );
        assert_eq!(original, from_copy, "{format}");
    }
}

#[tokio::test]
async fn backup_with_postgresql_says_to_use_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "postgres://nobody@127.0.0.1:1/none", "30d");
    let (code, out, err) = feedfold(&["backup", "-c", &cfg, "/tmp/never-written.dump"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("pg_dump --format=custom --file /tmp/never-written.dump 'postgres://nobody@127.0.0.1:1/none'"), "{err}");
    assert!(err.contains("pg_restore"), "{err}");
}

#[tokio::test]
async fn a_read_only_database_is_a_clear_error_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let path = db.url.trim_start_matches("sqlite://").to_owned();
    old_stories(&db.url, 40, 0..30).await;
    let read_only = format!("sqlite://{path}?mode=ro");
    let cfg = config(dir.path(), &read_only, "30d");
    let (code, _, err) = feedfold(&["prune", "-c", &cfg]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("readonly") || err.contains("read-only"),
        "{err}"
    );
    assert_eq!(count(&db.url, "SELECT COUNT(*) FROM entries").await, 30);
    // A dry run only reads, so it works.
    let (code, out, err) = feedfold(&["prune", "-c", &cfg, "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("  entries               30\n"), "{out}");
}
