//! Ingest throughput end to end: one cold `feedfold fetch` pass over N feeds
//! × M items served from loopback, reported as entries stored per second of
//! wall time, on SQLite and (when configured) PostgreSQL, one process and K
//! concurrent processes.
//!
//! Every fourth feed carries copies of the same wire stories under its own
//! title prefix, half of those under the wire's own link (the same-URL rule)
//! and half under the feed's own link (the near-duplicate rule), so
//! clustering has real work. Items are dated 90 minutes apart back from
//! now (a feed's 25 span 36 hours), so each looks for matches in a window
//! of its own, as real feeds' items do.
//!
//! Each setup runs on a store already holding `BENCH_STORED` entries (a
//! comma list, default `0,10000,100000,1000000`), pre-filled through SQL in
//! bulk (see `prefill`): one story each, dated 50,000 a day back from an hour
//! ago, with fingerprints, sketches and decisions like the real
//! ones. Only the pass after it is timed, and it goes through the real
//! ingest path. Each line also gives the database's bytes per stored entry.
//!
//! `cargo bench --bench ingest`. Settings: `BENCH_FEEDS` (default 2000),
//! `BENCH_ITEMS` items per feed (default 25), `BENCH_STORED`,
//! `FEEDFOLD_BENCH_POSTGRES` an admin URL
//! (`postgres://postgres@127.0.0.1:5432/test`) to also measure PostgreSQL in
//! a scratch database, `BENCH_DAEMONS` concurrent processes on PostgreSQL
//! (default 3), `BENCH_BINARY` another `feedfold` build to run,
//! `BENCH_EVENTS=compare` to run each SQLite setup twice, with
//! `[events] enabled = false` and with the default (the events pass after
//! the fetch pass), and print what the events pass adds.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

mod support;
use sqlx::{AnyConnection, Connection};
use support::{Rng, env_usize, serve_loopback};

/// Wire stories are shared by groups of feeds: this many groups.
const WIRE_GROUPS: usize = 20;

/// The documents served, and how many requests were answered.
struct Corpus {
    feeds: Vec<Arc<String>>,
    requests: AtomicUsize,
}

/// A title and a 60-word body from a seed.
fn text(seed: u64) -> (String, String) {
    let mut rng = Rng::new(seed);
    let title = format!(
        "{} {} {} after {} {} talks",
        rng.word(),
        rng.word(),
        rng.word(),
        rng.word(),
        rng.word()
    );
    let body: Vec<&str> = (0..60).map(|_| rng.word()).collect();
    (title, body.join(" "))
}

/// Item `n` of feed `feed`: its own story, or a copy of a wire story.
fn item(feed: usize, n: usize, items: usize, now: i64) -> String {
    let published = chrono::DateTime::from_timestamp(now - 5400 * n as i64, 0)
        .unwrap_or_default()
        .to_rfc2822();
    let (title, body, link) = if feed.is_multiple_of(4) {
        let wire = (feed / 4 % WIRE_GROUPS) * items + n;
        let (title, body) = text(1 << 40 | wire as u64);
        let link = if feed.is_multiple_of(8) {
            format!("https://wire.example.org/story/{wire}?utm_source=feed{feed}")
        } else {
            format!("https://site{}.example.org/{feed}/{n}", feed % 97)
        };
        (format!("Feed {feed}: {title}"), body, link)
    } else {
        let (title, body) = text((feed as u64) << 20 | n as u64);
        let link = format!("https://site{}.example.org/{feed}/{n}", feed % 97);
        (format!("{title} {feed}-{n}"), body, link)
    };
    format!(
        "<item><guid>f{feed}-{n}</guid><title>{title}</title><link>{link}</link>\
         <description>{body}</description><pubDate>{published}</pubDate></item>"
    )
}

fn document(feed: usize, items: usize, now: i64) -> Arc<String> {
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
         <title>Feed {feed}</title><link>https://site{feed}.example.org/</link><description>d</description>"
    );
    for n in 0..items {
        body.push_str(&item(feed, n, items, now));
    }
    body.push_str("</channel></rss>");
    Arc::new(body)
}

async fn serve(State(corpus): State<Arc<Corpus>>, UrlPath(name): UrlPath<String>) -> Response {
    let index = name.trim_end_matches(".xml").parse::<usize>().ok();
    let Some(feed) = index.and_then(|i| corpus.feeds.get(i).cloned()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    corpus.requests.fetch_add(1, Ordering::Relaxed);
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        feed.as_str().to_owned(),
    )
        .into_response()
}

/// What one setup measured.
struct Measured {
    /// Entries stored by the timed pass (not the pre-filled ones).
    entries: i64,
    /// Entries in the database after it.
    stored: i64,
    stories: i64,
    /// The database's size after the pass.
    bytes: i64,
    requests: usize,
    wall: f64,
    /// The longest any process spent loading its in-memory copy of
    /// fingerprints (part of `wall`): a daemon does it at start and once a
    /// day, not on every pass.
    copy_load: f64,
    /// Each process's closing line, or why it failed.
    summaries: Vec<String>,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.entries as f64 / self.wall
    }

    fn bytes_per_entry(&self) -> f64 {
        self.bytes as f64 / self.stored.max(1) as f64
    }
}

/// Runs `processes` copies of `feedfold fetch` at once on `database`, which
/// holds `prefilled` entries, then counts what they stored.
fn run_setup(
    runtime: &tokio::runtime::Runtime,
    corpus: &Corpus,
    dir: &Path,
    sources: &str,
    database: &str,
    processes: usize,
    prefilled: i64,
) -> Measured {
    let config = dir.join("feedfold.toml");
    let head = format!(
        "[daemon]\ndatabase = \"{database}\"\nschedule = \"0 0 1 1 *\"\nconcurrency = 64\n\
         listen = \"127.0.0.1:0\"\n\n[fetch]\nscrape = false\nallow_networks = [\"127.0.0.1\"]\n\
         per_domain_concurrency = 64\nper_domain_delay = \"0s\"\n\n"
    );
    std::fs::write(&config, head + sources).expect("write config");
    corpus.requests.store(0, Ordering::Relaxed);
    // BENCH_BINARY compares another build (say, the previous commit's).
    let binary = std::env::var("BENCH_BINARY").unwrap_or(env!("CARGO_BIN_EXE_feedfold").to_owned());
    let started = Instant::now();
    let children: Vec<_> = (0..processes)
        .map(|p| {
            let log = std::fs::File::create(dir.join(format!("fetch-{p}.log"))).expect("log file");
            Command::new(&binary)
                .arg("fetch")
                .arg("-c")
                .arg(&config)
                .env("FEEDFOLD_LOG", "warn,feedfold::store::candidates=info")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start feedfold fetch")
        })
        .collect();
    let statuses: Vec<_> = children
        .into_iter()
        .map(|mut child| child.wait().expect("wait for feedfold fetch"))
        .collect();
    let wall = started.elapsed().as_secs_f64();
    let mut summaries = Vec::new();
    let mut copy_load = 0f64;
    for (p, status) in statuses.iter().enumerate() {
        let log = std::fs::read_to_string(dir.join(format!("fetch-{p}.log"))).unwrap_or_default();
        // A process loads again after a rolled-back transaction.
        let loads: f64 = log.lines().filter_map(copy_load_secs).sum();
        copy_load = copy_load.max(loads);
        match log.lines().rfind(|l| l.starts_with("feedfold:")) {
            Some(summary) if status.success() => summaries.push(summary.to_owned()),
            _ => {
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                summaries.push(format!("{status}; last log lines: {tail:?}"));
            }
        }
    }
    let (stored, stories, bytes) = runtime.block_on(count(database));
    Measured {
        entries: stored - prefilled,
        stored,
        stories,
        bytes,
        requests: corpus.requests.load(Ordering::Relaxed),
        wall,
        copy_load,
        summaries,
    }
}

/// Seconds a process took to load its in-memory copy of fingerprints, from
/// its log line (see `store::candidates`).
fn copy_load_secs(line: &str) -> Option<f64> {
    let (_, fields) = line.split_once("in-memory copy of fingerprints loaded")?;
    let (_, ms) = fields.split_once("ms=")?;
    let ms: f64 = ms.split_whitespace().next()?.parse().ok()?;
    Some(ms / 1000.0)
}

/// Entries, stories and the database's size in bytes.
async fn count(database: &str) -> (i64, i64, i64) {
    let mut conn = AnyConnection::connect(database)
        .await
        .expect("open the bench database");
    let size = if database.starts_with("sqlite:") {
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
    } else {
        "SELECT CAST(pg_database_size(current_database()) AS BIGINT)"
    };
    let mut rows = [0i64; 3];
    for (n, sql) in [
        "SELECT COUNT(*) FROM entries",
        "SELECT COUNT(*) FROM stories",
        size,
    ]
    .into_iter()
    .enumerate()
    {
        rows[n] = sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect("count rows");
    }
    conn.close().await.ok();
    rows.into()
}

/// Fills a new database with `count` entries in bulk, through SQL: each its
/// own story with one `new` decision, a 60-word summary, a
/// 512-byte sketch and 64 bytes of sketch keys (random, so they match
/// nothing), dated 50,000 a day back from an hour ago (1,000,000 reach back
/// 20 days). PostgreSQL is then analysed, as autovacuum would have done for
/// tables grown over days.
async fn prefill(database: &str, count: i64, now: i64) {
    let store = feedfold::store::Store::open(database)
        .await
        .expect("create the bench database");
    store.close().await;
    if count == 0 {
        return;
    }
    let mut conn = AnyConnection::connect(database)
        .await
        .expect("open the bench database");
    let sqlite = database.starts_with("sqlite:");
    // Per-row values that look random, in each dialect.
    let (fingerprint, title_key, summary, sketch, keys) = if sqlite {
        (
            "random()",
            "random()",
            "hex(randomblob(225))",
            "randomblob(512)",
            "randomblob(64)",
        )
    } else {
        (
            "('x' || md5(i::text))::bit(64)::bigint",
            "('x' || md5((i + 7)::text))::bit(64)::bigint",
            "repeat(md5(i::text), 14)",
            "decode(repeat(md5(i::text), 32), 'hex')",
            "decode(repeat(md5((i + 3)::text), 4), 'hex')",
        )
    };
    let series = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})"
    );
    let at = format!("({now} - 3600 - i * 1728 / 1000)");
    let statements = [
        "INSERT INTO sources (id, name, url) VALUES (1000000, 'prefill', 'http://127.0.0.1:9/prefill.xml')"
            .to_owned(),
        format!(
            "{series} INSERT INTO stories (id, story_key, published, updated)
             SELECT i, 'prefill-' || i, {at}, {at} FROM n"
        ),
        format!(
            "{series} INSERT INTO entries (id, source_id, guid, url, canonical_url, title, summary,
                 published, first_seen, updated, story_id, fingerprint, sketch, sketch_keys, title_key)
             SELECT i, 1000000, 'p' || i, 'https://prefill.example.org/' || i,
                 'https://prefill.example.org/' || i, 'prefill story ' || i, {summary},
                 {at}, {at}, {at}, i, {fingerprint}, {sketch}, {keys}, {title_key} FROM n"
        ),
        "INSERT INTO decisions (entry_id, story_id, rule, decided_at)
         SELECT id, story_id, 'new', first_seen FROM entries"
            .to_owned(),
    ];
    let analyse = [
        "SELECT setval(pg_get_serial_sequence('stories', 'id'), (SELECT MAX(id) FROM stories))",
        "SELECT setval(pg_get_serial_sequence('entries', 'id'), (SELECT MAX(id) FROM entries))",
        "SELECT setval(pg_get_serial_sequence('sources', 'id'), (SELECT MAX(id) FROM sources))",
        "ANALYZE",
    ];
    let after: &[&str] = if sqlite { &[] } else { &analyse };
    let statements = statements
        .into_iter()
        .chain(after.iter().map(|s| (*s).to_owned()));
    for sql in statements {
        // Every statement is built from our own numbers, never input.
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .expect("pre-fill the bench database");
    }
    conn.close().await.ok();
}

/// A scratch PostgreSQL database, dropped with this value.
struct Scratch {
    admin: String,
    name: String,
    url: String,
}

impl Scratch {
    fn create(admin: &str, suffix: &str) -> Scratch {
        let name = format!("feedfold_bench_{}{suffix}", std::process::id());
        admin_sql(
            admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
        admin_sql(admin, &format!("CREATE DATABASE {name}"));
        let mut url = url::Url::parse(admin).expect("FEEDFOLD_BENCH_POSTGRES is a URL");
        url.set_path(&name);
        Scratch {
            admin: admin.to_owned(),
            name,
            url: url.to_string(),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let name = &self.name;
        admin_sql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
    }
}

/// Runs one statement on the admin connection, on a runtime of its own (so
/// it also works from `Drop`).
fn admin_sql(admin: &str, sql: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let mut conn = AnyConnection::connect(admin)
            .await
            .expect("connect to FEEDFOLD_BENCH_POSTGRES");
        // The statement names a database built from our process id, not input.
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .expect("administer the scratch database");
        conn.close().await.ok();
    });
}

fn report(label: &str, m: &Measured, baseline: Option<f64>) {
    let ratio = baseline.map_or(String::new(), |b| format!("  x{:.2} first", m.rate() / b));
    println!(
        "{label:<30} {:>8} stored {:>6} new entries {:>7} stories {:>5} requests {:>7.2}s wall \
         {:>6.0} entries/s {:>5.0} B/entry{ratio}",
        m.stored,
        m.entries,
        m.stories,
        m.requests,
        m.wall,
        m.rate(),
        m.bytes_per_entry()
    );
    if m.copy_load >= 0.01 {
        println!(
            "    copy of fingerprints loaded in {:.2}s (at start; a daemon then once a day): \
             {:.0} entries/s in the rest of the pass",
            m.copy_load,
            m.entries as f64 / (m.wall - m.copy_load).max(1e-3)
        );
    }
    for (p, summary) in m.summaries.iter().enumerate() {
        println!("    process {p}: {summary}");
    }
}

/// Sizes of the store before the timed pass, from `BENCH_STORED`.
fn stored_sizes() -> Vec<i64> {
    std::env::var("BENCH_STORED")
        .unwrap_or_else(|_| "0,10000,100000,1000000".to_owned())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

/// One timed pass of `processes` on a new database of `stored` entries.
#[derive(Clone, Copy)]
struct Setup<'a> {
    runtime: &'a tokio::runtime::Runtime,
    corpus: &'a Corpus,
    dir: &'a Path,
    sources: &'a str,
    now: i64,
}

impl Setup<'_> {
    fn run(&self, database: &str, stored: i64, processes: usize) -> Measured {
        let started = Instant::now();
        self.runtime.block_on(prefill(database, stored, self.now));
        eprintln!(
            "(pre-filled {stored} entries in {:.1}s)",
            started.elapsed().as_secs_f64()
        );
        run_setup(
            self.runtime,
            self.corpus,
            self.dir,
            self.sources,
            database,
            processes,
            stored,
        )
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not run us.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let feeds = env_usize("BENCH_FEEDS", 2000);
    let items = env_usize("BENCH_ITEMS", 25);
    let daemons = env_usize("BENCH_DAEMONS", 3).max(1);
    let sizes = stored_sizes();
    let now = chrono::Utc::now().timestamp();
    let corpus = Arc::new(Corpus {
        feeds: (0..feeds).map(|f| document(f, items, now)).collect(),
        requests: AtomicUsize::new(0),
    });
    sqlx::any::install_default_drivers();
    let app = Router::new()
        .route("/{name}", get(serve))
        .with_state(corpus.clone());
    let (runtime, addr) = serve_loopback(app);

    let sources: String = (0..feeds)
        .map(|f| format!("[[source]]\nname = \"feed-{f}\"\nurl = \"http://{addr}/{f}.xml\"\n\n"))
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let setup = Setup {
        runtime: &runtime,
        corpus: &corpus,
        dir: dir.path(),
        sources: &sources,
        now,
    };
    println!(
        "{feeds} feeds x {items} items from http://{addr}/ (one cold pass per setup, on a store \
         pre-filled with {sizes:?} entries)"
    );

    let mut first = None;
    let compare = std::env::var("BENCH_EVENTS").is_ok_and(|v| v == "compare");
    for &stored in &sizes {
        let file = dir.path().join(format!("bench-{stored}.db"));
        let sqlite = format!("sqlite://{}", file.display());
        if compare {
            let off_sources = format!("{sources}[events]\nenabled = false\n");
            let off = Setup {
                sources: &off_sources,
                ..setup
            };
            let without = off.run(&sqlite, stored, 1);
            report(&format!("sqlite, {stored}, events off"), &without, None);
            std::fs::remove_file(&file).ok();
            let with = setup.run(&sqlite, stored, 1);
            report(&format!("sqlite, {stored}, events on"), &with, None);
            println!(
                "    the events pass adds {:+.0}% to the pass's wall time",
                (with.wall / without.wall - 1.0) * 100.0
            );
        } else {
            let measured = setup.run(&sqlite, stored, 1);
            report(&format!("sqlite, {stored} stored"), &measured, first);
            first.get_or_insert(measured.rate());
        }
        std::fs::remove_file(&file).ok();
    }

    let Ok(admin) = std::env::var("FEEDFOLD_BENCH_POSTGRES") else {
        println!("(set FEEDFOLD_BENCH_POSTGRES to also measure PostgreSQL)");
        return;
    };
    for processes in [1, daemons] {
        let mut first = None;
        for &stored in &sizes {
            let scratch = Scratch::create(&admin, &format!("_{processes}_{stored}"));
            let measured = setup.run(&scratch.url, stored, processes);
            let label = format!("postgres x{processes}, {stored} stored");
            report(&label, &measured, first);
            first.get_or_insert(measured.rate());
        }
    }
}
