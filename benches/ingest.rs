//! Ingest throughput end to end: one cold `feedfold fetch` pass over N feeds
//! × M items served from loopback, reported as entries stored per second of
//! wall time, on SQLite and (when configured) PostgreSQL, one process and K
//! concurrent processes.
//!
//! Every fourth feed carries copies of the same wire stories under its own
//! title prefix, half of those under the wire's own link (the same-URL rule)
//! and half under the feed's own link (the near-duplicate rule), so
//! clustering has real work. Items are dated 90 minutes apart back from
//! now, so a feed's items older than a day (a third of them) reach past the
//! in-memory candidate copy and take the band-row lookup, as real feeds do.
//!
//! `cargo bench --bench ingest`. Settings: `BENCH_FEEDS` (default 2000),
//! `BENCH_ITEMS` items per feed (default 25), `FEEDFOLD_BENCH_POSTGRES` an
//! admin URL (`postgres://postgres@127.0.0.1:5432/test`) to also measure
//! PostgreSQL in a scratch database, `BENCH_DAEMONS` concurrent processes on
//! PostgreSQL (default 3), `BENCH_BINARY` another `feedfold` build to run.

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
    entries: i64,
    stories: i64,
    requests: usize,
    wall: f64,
    /// Each process's closing line, or why it failed.
    summaries: Vec<String>,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.entries as f64 / self.wall
    }
}

/// Runs `processes` copies of `feedfold fetch` at once on `database`, then
/// counts what they stored.
fn run_setup(
    runtime: &tokio::runtime::Runtime,
    corpus: &Corpus,
    dir: &Path,
    sources: &str,
    database: &str,
    processes: usize,
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
                .env("RUST_LOG", "warn")
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
    for (p, status) in statuses.iter().enumerate() {
        let log = std::fs::read_to_string(dir.join(format!("fetch-{p}.log"))).unwrap_or_default();
        match log.lines().rfind(|l| l.starts_with("feedfold:")) {
            Some(summary) if status.success() => summaries.push(summary.to_owned()),
            _ => {
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                summaries.push(format!("{status}; last log lines: {tail:?}"));
            }
        }
    }
    let (entries, stories) = runtime.block_on(count(database));
    Measured {
        entries,
        stories,
        requests: corpus.requests.load(Ordering::Relaxed),
        wall,
        summaries,
    }
}

async fn count(database: &str) -> (i64, i64) {
    let mut conn = AnyConnection::connect(database)
        .await
        .expect("open the bench database");
    let mut rows = [0i64; 2];
    for (n, table) in [
        "SELECT COUNT(*) FROM entries",
        "SELECT COUNT(*) FROM stories",
    ]
    .into_iter()
    .enumerate()
    {
        rows[n] = sqlx::query_scalar(table)
            .fetch_one(&mut conn)
            .await
            .expect("count rows");
    }
    conn.close().await.ok();
    rows.into()
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
    let ratio = baseline.map_or(String::new(), |b| format!("  x{:.2} SQLite", m.rate() / b));
    println!(
        "{label:<22} {:>7} entries {:>7} stories {:>6} requests {:>7.2}s wall {:>8.0} entries/s{ratio}",
        m.entries,
        m.stories,
        m.requests,
        m.wall,
        m.rate()
    );
    for (p, summary) in m.summaries.iter().enumerate() {
        println!("    process {p}: {summary}");
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
    println!("{feeds} feeds x {items} items from http://{addr}/ (one cold pass per setup)");

    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    let base = run_setup(&runtime, &corpus, dir.path(), &sources, &sqlite, 1);
    report("sqlite", &base, None);

    let Ok(admin) = std::env::var("FEEDFOLD_BENCH_POSTGRES") else {
        println!("(set FEEDFOLD_BENCH_POSTGRES to also measure PostgreSQL)");
        return;
    };
    let one = Scratch::create(&admin, "");
    let measured = run_setup(&runtime, &corpus, dir.path(), &sources, &one.url, 1);
    report("postgres", &measured, Some(base.rate()));
    drop(one);

    let many = Scratch::create(&admin, "_k");
    let measured = run_setup(&runtime, &corpus, dir.path(), &sources, &many.url, daemons);
    report(
        &format!("postgres x{daemons} processes"),
        &measured,
        Some(base.rate()),
    );
}
