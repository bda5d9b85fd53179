//! PostgreSQL going away under a running daemon (through a proxy the test
//! cuts and restores): the daemon says so, keeps serving the last feed, and
//! once the database is back stores what it missed, once.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::proxy::Proxy;
use common::{Fixture, FixtureServer, TestDb, rss, source, story_text, write_config};

const FEEDS: usize = 20;

/// Feed `f` with its first `items` items.
fn feed(f: usize, items: usize) -> Fixture {
    let items: Vec<(String, String, String, String)> = (0..items)
        .map(|i| {
            (
                format!("f{f}-{i}"),
                format!("Item {i} of feed {f}"),
                format!("https://site{f}.example.org/{i}"),
                story_text((f * 10 + i) as u64),
            )
        })
        .collect();
    let items: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .collect();
    Fixture::feed(rss(&format!("Feed {f}"), &items))
}

async fn wait_for(what: &str, mut ready: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !ready().await {
        assert!(started.elapsed() < Duration::from_secs(60), "never: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn served(daemon: &Daemon) -> Option<usize> {
    let body = reqwest::get(&daemon.feed_url)
        .await
        .ok()?
        .bytes()
        .await
        .ok()?;
    Some(feed_rs::parser::parse(&body[..]).ok()?.entries.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_rides_out_a_database_outage() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let mut direct = url::Url::parse(&db.url).unwrap();
    let upstream = format!(
        "{}:{}",
        direct.host_str().unwrap(),
        direct.port().unwrap_or(5432)
    );
    let proxy = Proxy::start(upstream.parse().unwrap()).await;
    direct.set_port(Some(proxy.addr.port())).unwrap();
    let through_proxy = direct.to_string();

    let server = FixtureServer::start().await;
    for f in 0..FEEDS {
        server.set(&format!("f{f}.xml"), feed(f, 3));
    }
    let dir = tempfile::tempdir().unwrap();
    let sources: String = (0..FEEDS)
        .map(|f| source(&format!("f{f}"), &server.url(&format!("f{f}.xml")), ""))
        .collect();
    let path = write_config(dir.path(), &through_proxy, &sources);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("schedule = \"0 0 1 1 *\"", "schedule = \"*/2 * * * * *\"")
        .replace("[output]", "[output]\nrefresh = \"1s\"");
    std::fs::write(&path, text).unwrap();

    let daemon = Daemon::start(Path::new(&path));
    wait_for("the first items served", async || {
        served(&daemon).await == Some(FEEDS * 3)
    })
    .await;

    proxy.cut().await;
    for f in 0..FEEDS {
        server.set(&format!("f{f}.xml"), feed(f, 4));
    }
    let health = daemon.feed_url.replace("feed.atom", "healthz");
    wait_for("/healthz to notice", async || {
        reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE)
    })
    .await;
    // Scheduled runs come and go meanwhile; the last feed stays served.
    for _ in 0..5 {
        assert_eq!(served(&daemon).await, Some(FEEDS * 3), "served while down");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    proxy.restore().await;
    wait_for("the missed items served", async || {
        served(&daemon).await == Some(FEEDS * 4)
    })
    .await;
    wait_for("/healthz to recover", async || {
        reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
    })
    .await;
    let log = daemon.log();
    assert!(daemon.stop().success(), "clean exit:\n{log}");
    assert!(log.contains("database unreachable"), "{log}");
    assert!(log.contains("database reachable again"), "{log}");

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT source_id, guid FROM entries")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    let unique: HashSet<&(i64, String)> = rows.iter().collect();
    assert_eq!(rows.len(), FEEDS * 4, "every item stored");
    assert_eq!(unique.len(), rows.len(), "none twice");
    db.cleanup().await;
}
