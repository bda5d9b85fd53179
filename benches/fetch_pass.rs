//! One `feedfold fetch` pass over 5,000 feeds served from loopback, measured
//! with `/usr/bin/time -v`: wall time, CPU time and peak RSS, for a cold pass
//! (every feed new) and a steady pass (80% answer 304 Not Modified, 20% carry
//! one new item).
//!
//! `cargo bench --bench fetch_pass` (or `scripts/bench-fetch.sh`). Settings:
//! `BENCH_FEEDS` (default 5000), `BENCH_ITEMS` items per feed (default 10),
//! `BENCH_DISTANCE` (default: feedfold's default `dedup.distance`),
//! `BENCH_KEEP=1` keeps the database and config for a closer look.

use std::process::Command;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

mod support;
use support::{Rng, env_usize, serve_loopback};

/// One feed's current document and its ETag.
#[derive(Clone)]
struct Feed {
    etag: String,
    body: Arc<String>,
}

struct Corpus {
    feeds: Vec<Feed>,
    items: usize,
}

fn item(feed: usize, n: usize) -> String {
    let mut rng = Rng::new((feed as u64) << 20 | n as u64);
    let title = format!(
        "{} {} {} after {} {} talks",
        rng.word(),
        rng.word(),
        rng.word(),
        rng.word(),
        rng.word()
    );
    let body: Vec<&str> = (0..60).map(|_| rng.word()).collect();
    format!(
        "<item><guid>f{feed}-{n}</guid><title>{title} {feed}-{n}</title>\
         <link>https://site{}.example.org/{feed}/{n}</link>\
         <description>{}</description>\
         <pubDate>Sat, 28 Nov 2026 08:{:02}:00 +0000</pubDate></item>",
        feed % 97,
        body.join(" "),
        n % 60
    )
}

fn document(feed: usize, first: usize, items: usize) -> Feed {
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
         <title>Feed {feed}</title><link>https://site{feed}.example.org/</link><description>d</description>"
    );
    for n in (first..first + items).rev() {
        body.push_str(&item(feed, n));
    }
    body.push_str("</channel></rss>");
    Feed {
        etag: format!("\"{feed}-{first}\""),
        body: Arc::new(body),
    }
}

async fn serve(
    State(corpus): State<Arc<RwLock<Corpus>>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let index = name.trim_end_matches(".xml").parse::<usize>().ok();
    let feed = index.and_then(|i| corpus.read().ok()?.feeds.get(i).cloned());
    let Some(feed) = feed else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(feed.etag.as_str());
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, feed.etag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml".to_owned()),
            (header::ETAG, feed.etag),
        ],
        feed.body.as_str().to_owned(),
    )
        .into_response()
}

/// `/usr/bin/time -v` figures of one run.
#[derive(Debug)]
struct Measured {
    wall: String,
    user: f64,
    system: f64,
    max_rss_kib: u64,
    summary: String,
    /// The most common failure reasons, with counts.
    failures: Vec<(usize, String)>,
}

fn run_pass(binary: &str, config: &std::path::Path) -> Measured {
    // BENCH_WRAP="perf record -g -o /tmp/perf.data --" profiles the passes.
    let wrap = std::env::var("BENCH_WRAP").unwrap_or_default();
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .args(wrap.split_whitespace())
        .arg(binary)
        .arg("fetch")
        .arg("-c")
        .arg(config)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run /usr/bin/time (Debian package `time`)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let field = |name: &str| {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_owned()))
            .unwrap_or_default()
    };
    Measured {
        wall: field("Elapsed (wall clock) time (h:mm:ss or m:ss):"),
        user: field("User time (seconds):").parse().unwrap_or(0.0),
        system: field("System time (seconds):").parse().unwrap_or(0.0),
        max_rss_kib: field("Maximum resident set size (kbytes):")
            .parse()
            .unwrap_or(0),
        summary: stderr
            .lines()
            .find(|l| l.starts_with("feedfold:"))
            .unwrap_or("")
            .to_owned(),
        failures: failure_reasons(&stderr),
    }
}

fn failure_reasons(log: &str) -> Vec<(usize, String)> {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for line in log.lines().filter(|l| l.contains("fetch failed")) {
        let reason = line.split_once("error=").map_or(line, |(_, rest)| {
            rest.split(" not_before=").next().unwrap_or(rest)
        });
        *counts.entry(reason.to_owned()).or_default() += 1;
    }
    let mut sorted: Vec<(usize, String)> = counts.into_iter().map(|(r, n)| (n, r)).collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.truncate(5);
    sorted
}

fn report(label: &str, m: &Measured) {
    println!(
        "{label:<8} wall {:>8}  cpu {:>6.2}s (user {:.2} + sys {:.2})  peak RSS {:>6.1} MiB  | {}",
        m.wall,
        m.user + m.system,
        m.user,
        m.system,
        m.max_rss_kib as f64 / 1024.0,
        m.summary
    );
    for (count, reason) in &m.failures {
        println!("         {count:>6} x {reason}");
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not run us.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let feeds = env_usize("BENCH_FEEDS", 5000);
    let items = env_usize("BENCH_ITEMS", 10);
    let distance = env_usize("BENCH_DISTANCE", feedfold::dedup::DEFAULT_DISTANCE as usize);
    let corpus = Arc::new(RwLock::new(Corpus {
        feeds: (0..feeds).map(|f| document(f, 0, items)).collect(),
        items,
    }));
    let app = Router::new()
        .route("/{name}", get(serve))
        .with_state(corpus.clone());
    let (_runtime, addr) = serve_loopback(app);

    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = format!(
        "[daemon]\ndatabase = \"sqlite://{}\"\nschedule = \"* * * * * *\"\nconcurrency = 64\n\
         listen = \"127.0.0.1:0\"\n\n[fetch]\nallow_networks = [\"127.0.0.1\"]\n\
         per_domain_concurrency = 64\nper_domain_delay = \"0s\"\n# Article pages live on example.org, which is unreachable here.\nscrape = false\n\n[dedup]\ndistance = {distance}\n\n",
        dir.path().join("bench.db").display()
    );
    for f in 0..feeds {
        config.push_str(&format!(
            "[[source]]\nname = \"feed-{f}\"\nurl = \"http://{addr}/{f}.xml\"\n\n"
        ));
    }
    let config_path = dir.path().join("feedfold.toml");
    std::fs::write(&config_path, config).expect("write config");
    let binary = env!("CARGO_BIN_EXE_feedfold");

    println!("{feeds} feeds x {items} items from http://{addr}/ (SQLite, one pass each)");
    let cold = run_pass(binary, &config_path);
    report("cold", &cold);
    // Every fifth feed gets one new item; the rest answer 304.
    if let Ok(mut corpus) = corpus.write() {
        let items = corpus.items;
        for f in (0..feeds).step_by(5) {
            corpus.feeds[f] = document(f, 1, items);
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let steady = run_pass(binary, &config_path);
    report("steady", &steady);
    if std::env::var_os("BENCH_KEEP").is_some() {
        println!("kept {}", dir.keep().display());
    }
}
