//! Hostile servers: every way a web server can misbehave must cost one
//! recorded error on one source, bounded in time and memory, while a healthy
//! source in the same pass is stored as usual.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::hostile::HostileServer;
use common::{source, write_config};
use feedfold::config::Config;
use feedfold::daemon::{self, PassOutcome, Pipeline};
use feedfold::fetch::{FetchOptions, Fetcher, Validators};

/// The test config's `fetch.timeout`, and what a pass may take beyond it.
const TIMEOUT: Duration = Duration::from_secs(2);
const SLACK: Duration = Duration::from_millis(1500);

const PAGE: &str = "kind = \"page\"\n[source.page]\nitem = \"ul.news li\"\n";

/// (source name, path, extra source keys)
const SOURCES: &[(&str, &str, &str)] = &[
    ("good", "/good", ""),
    ("hang", "/hang", ""),
    ("trickle", "/trickle", ""),
    ("endless", "/endless", ""),
    ("huge-length", "/huge-length", ""),
    ("gzip-bomb", "/gzip-bomb", ""),
    ("reset", "/reset", ""),
    ("redirect-loop", "/redirect-loop", ""),
    ("to-loopback", "/to-loopback", ""),
    ("to-ipv6-loopback", "/to-ipv6-loopback", ""),
    ("to-metadata", "/to-metadata", ""),
    ("to-file", "/to-file", ""),
    ("too-many", "/429", ""),
    ("broken", "/500", ""),
    ("gone", "/gone", ""),
    ("moved", "/moved", ""),
    ("html", "/html", ""),
    ("image", "/image", ""),
    ("laughs", "/laughs", ""),
    ("cached", "/cached", ""),
    ("gbk-page", "/gbk-page", PAGE),
    ("robots-page", "/private/list", PAGE),
    ("robots-feed", "/private/feed", ""),
];

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn error_of(outcomes: &[PassOutcome], name: &str) -> String {
    let outcome = outcomes.iter().find(|o| o.source == name).unwrap();
    match &outcome.result {
        Ok(report) => panic!("{name} should have failed, stored {report:?}"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_server_costs_one_error_on_its_own_source() {
    let server = HostileServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = common::TestDb::sqlite();
    // The 429 holds back its whole site, so it gets a site of its own.
    let busy = HostileServer::start().await;
    let sources: String = SOURCES
        .iter()
        .map(|(name, path, extra)| {
            let site = if *name == "too-many" { &busy } else { &server };
            source(name, &site.url(path), extra)
        })
        .collect();
    let path = write_config(dir.path(), &db.url, &sources);
    let config = Arc::new(Config::load(&path).unwrap());
    let pipeline = Pipeline::new(config).await.unwrap();

    let started = Instant::now();
    let outcomes = daemon::fetch_pass(&pipeline, None).await.unwrap();
    let pass = started.elapsed();
    let now = Utc::now().timestamp();
    assert_eq!(outcomes.len(), SOURCES.len());
    for outcome in &outcomes {
        // The table in the closing note: `cargo test --test hostile -- --nocapture`.
        let result = outcome
            .result
            .as_ref()
            .map(|r| r.new)
            .map_err(|e| e.to_string());
        eprintln!(
            "{:<18} {:>6.0?} {result:?}",
            outcome.source, outcome.elapsed
        );
        assert!(
            outcome.elapsed <= TIMEOUT + SLACK,
            "{} took {:?}",
            outcome.source,
            outcome.elapsed
        );
    }
    assert!(pass <= 2 * (TIMEOUT + SLACK), "the pass took {pass:?}");
    // Nothing was read whole: a 10 GB body, an endless one or a 32 MiB
    // bomb would each show here.
    let peak = peak_rss_kib();
    assert!(peak < 256 * 1024, "peak RSS {peak} KiB");

    let e = |name| error_of(&outcomes, name);
    assert_eq!(e("hang"), "timed out");
    assert_eq!(e("trickle"), "timed out");
    for name in ["endless", "huge-length", "gzip-bomb"] {
        assert_eq!(e(name), "body larger than 1048576 bytes", "{name}");
    }
    assert!(
        !e("reset").is_empty() && e("reset") != "timed out",
        "{}",
        e("reset")
    );
    assert!(
        e("redirect-loop").contains("redirect loop"),
        "{}",
        e("redirect-loop")
    );
    assert!(e("to-loopback").contains("127.0.0.2") && e("to-loopback").contains("loopback"));
    assert!(
        e("to-ipv6-loopback").contains("loopback"),
        "{}",
        e("to-ipv6-loopback")
    );
    assert!(
        e("to-metadata").contains("169.254.169.254") && e("to-metadata").contains("link-local")
    );
    assert!(e("to-file").contains("non-HTTP"), "{}", e("to-file"));
    assert_eq!(e("too-many"), "HTTP 429 (Retry-After 7200s)");
    assert_eq!(e("broken"), "HTTP 500");
    assert_eq!(e("gone"), "HTTP 410");
    assert!(
        e("robots-page").contains("robots.txt disallows"),
        "{}",
        e("robots-page")
    );
    assert!(e("html").contains("looks like HTML"), "{}", e("html"));
    assert!(
        e("image").contains("binary data (image/png?)"),
        "{}",
        e("image")
    );
    // Entity expansion never happens: the document reads without it (feed-rs
    // ignores a DOCTYPE's entities), so its one item is stored, quickly.
    let laughs = outcomes.iter().find(|o| o.source == "laughs").unwrap();
    assert!(
        laughs.elapsed < TIMEOUT,
        "billion laughs took {:?}",
        laughs.elapsed
    );
    assert_eq!(
        laughs
            .result
            .as_ref()
            .map(|r| r.new)
            .map_err(|e| e.to_string()),
        Ok(1),
        "billion laughs"
    );

    let store = pipeline.store();
    let state = |name: &'static str| async move { store.source_state(name).await.unwrap() };
    for name in ["good", "moved", "cached", "robots-feed", "gbk-page"] {
        assert_eq!(state(name).await.entries, 2, "{name} is stored");
        assert_eq!(state(name).await.error_count, 0, "{name}");
    }
    let laughs = state("laughs").await;
    assert_eq!((laughs.entries, laughs.error_count), (1, 0), "laughs");
    // Every failure is recorded on its own source, with a retry time.
    for (name, _, _) in SOURCES.iter().filter(|(n, _, _)| {
        ![
            "good",
            "moved",
            "cached",
            "robots-feed",
            "gbk-page",
            "laughs",
        ]
        .contains(n)
    }) {
        let s = state(name).await;
        assert_eq!(s.error_count, 1, "{name}");
        assert!(s.last_error.is_some(), "{name}");
        assert!(
            s.retry_at.is_some_and(|t| t >= now + 290),
            "{name}: {:?}",
            s.retry_at
        );
    }
    assert!(
        state("too-many")
            .await
            .retry_at
            .is_some_and(|t| t >= now + 7190)
    );
    assert!(state("gone").await.gone_at.is_some());
    assert!(outcomes.iter().any(|o| o.source == "gone" && o.gone));
    assert_eq!(state("moved").await.moved_to, Some(server.url("/good")));
    let cached = state("cached").await.fresh_until;
    assert!(
        cached.is_some_and(|t| (now + 7190..=now + 7210).contains(&t)),
        "{cached:?}"
    );

    let titles = store
        .recent_stories(0, 100, None)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|s| s.copies.into_iter().map(|c| c.title))
        .collect::<Vec<_>>();
    assert!(
        titles.iter().any(|t| t == "国务院常务会议部署稳就业工作"),
        "GBK page decoded: {titles:?}"
    );
    assert!(
        titles.iter().all(|t| !t.contains("lollol")),
        "an entity was expanded: {titles:?}"
    );
    store.close().await;
}

#[tokio::test]
async fn names_and_literals_on_loopback_are_refused_without_an_allowlist() {
    let server = HostileServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("local.xml"), common::hostile::good_feed()).unwrap();
    let db = common::TestDb::sqlite();
    let port = server.addr.port();
    let text = format!(
        "[daemon]\ndatabase = \"{}\"\nschedule = \"0 0 1 1 *\"\n[fetch]\ntimeout = \"2s\"\n\n{}{}{}",
        db.url,
        source("by-name", &format!("http://localhost:{port}/good"), ""),
        source("by-ip", &format!("http://127.0.0.1:{port}/good"), ""),
        source("local-file", "local.xml", ""),
    );
    let path = dir.path().join("feedfold.toml");
    std::fs::write(&path, text).unwrap();
    let pipeline = Pipeline::new(Arc::new(Config::load(&path).unwrap()))
        .await
        .unwrap();
    let outcomes = daemon::fetch_pass(&pipeline, None).await.unwrap();
    let by_name = error_of(&outcomes, "by-name");
    assert!(
        by_name.contains("refusing to connect to localhost") && by_name.contains("loopback"),
        "{by_name}"
    );
    assert!(error_of(&outcomes, "by-ip").contains("refusing to connect to 127.0.0.1"));
    let local = pipeline.store().source_state("local-file").await.unwrap();
    assert_eq!(local.entries, 2, "configured local files still work");
    pipeline.store().close().await;
}

#[tokio::test]
async fn retry_after_holds_back_the_whole_domain() {
    let server = HostileServer::start().await;
    let config = Config::parse(
        "[fetch]\nallow_networks = [\"127.0.0.1\"]\nper_domain_delay = \"0s\"\n",
        std::path::Path::new("test.toml"),
        std::path::Path::new("."),
    )
    .unwrap();
    let fetcher = Fetcher::new(&FetchOptions::from_config(&config)).unwrap();
    let url = |p: &str| url::Url::parse(&server.url(p)).unwrap();
    let first = fetcher
        .get(&url("/429-short"), &Validators::default())
        .await;
    assert_eq!(
        first.unwrap_err().retry_after(),
        Some(Duration::from_secs(1))
    );
    let started = Instant::now();
    let second = fetcher.get(&url("/good"), &Validators::default()).await;
    assert!(second.is_ok());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the next request to the domain waited {:?}",
        started.elapsed()
    );
}
