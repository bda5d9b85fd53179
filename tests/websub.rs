//! WebSub publishing through the real daemon: the feeds name the hub, and a
//! hub stub on loopback records the `hub.mode=publish` pings, refusing the
//! first so that the retry after backoff is seen.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

use common::daemon::Daemon;
use common::{Fixture, FixtureServer, rss, source, write_config};

const BASE: &str = "https://feeds.example.test/";

/// Each ping as (status answered, form fields).
type Pings = Arc<Mutex<Vec<(u16, Vec<(String, String)>)>>>;

async fn hub_stub() -> (String, Pings) {
    let pings: Pings = Arc::default();
    let app = Router::new()
        .route("/hub", post(record))
        .with_state(pings.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hub"), pings)
}

/// Refuses the first ping with 500, accepts the rest with 204.
async fn record(State(pings): State<Pings>, body: String) -> StatusCode {
    let fields = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let mut pings = pings.lock().unwrap();
    let status = if pings.is_empty() {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    };
    pings.push((status.as_u16(), fields));
    status
}

/// Topics pinged with a 204 answer, in order.
fn delivered(pings: &Pings) -> Vec<String> {
    pings
        .lock()
        .unwrap()
        .iter()
        .filter(|(status, _)| *status == 204)
        .map(|(_, fields)| {
            assert!(
                fields.contains(&("hub.mode".into(), "publish".into())),
                "{fields:?}"
            );
            let topic = fields.iter().find(|(k, _)| k == "hub.url").unwrap();
            topic.1.clone()
        })
        .collect()
}

async fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let started = std::time::Instant::now();
    while !ready() {
        assert!(started.elapsed().as_secs() < 20, "never happened: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hub_is_named_in_every_feed_and_pinged_after_changes_with_retries() {
    let server = FixtureServer::start().await;
    let item = |n: &str| {
        (
            n.to_owned(),
            format!("Story {n}"),
            format!("https://example.org/{n}"),
        )
    };
    let feed = |items: &[(String, String, String)]| {
        let items: Vec<(&str, &str, &str, &str)> = items
            .iter()
            .map(|(g, t, l)| (g.as_str(), t.as_str(), l.as_str(), "text"))
            .collect();
        Fixture::feed(rss("Wire", &items))
    };
    server.set("wire.xml", feed(&[item("a")]));
    let (hub, pings) = hub_stub().await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("feedfold.db").display());
    let sources = source(
        "wire",
        &server.url("wire.xml"),
        "schedule = \"* * * * * *\"\ngroups = [\"news\"]",
    );
    let config = write_config(dir.path(), &db, &sources);
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text
        .replace(
            "base_url = \"http://127.0.0.1:8080/\"",
            &format!("base_url = \"{BASE}\"\nwebsub_hub = \"{hub}\""),
        )
        .replace("scrape = false", "scrape = false\nbackoff = \"1s\"");
    assert!(text.contains("websub_hub") && text.contains("backoff"));
    std::fs::write(&config, text).unwrap();

    let daemon = Daemon::start(Path::new(&config));
    // At start every feed is announced; the hub's first refusal is retried.
    let merged = |format: &str| format!("{BASE}feed.{format}");
    let all = [
        merged("atom"),
        merged("json"),
        merged("rss"),
        format!("{BASE}feeds/news.atom"),
        format!("{BASE}feeds/news.json"),
        format!("{BASE}feeds/news.rss"),
    ];
    wait_until("every feed announced", || {
        let done = delivered(&pings);
        all.iter().all(|t| done.contains(t))
    })
    .await;
    let first = pings.lock().unwrap()[0].clone();
    assert_eq!(first.0, 500);
    let log = daemon
        .wait_for_log("WebSub ping failed (HTTP 500)", 1)
        .await;
    assert!(log.contains(&hub), "{log}");

    // Every feed names the hub beside itself.
    let base = daemon.feed_url.trim_end_matches("feed.atom").to_owned();
    let get = |path: &str| {
        let url = format!("{base}{path}");
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let atom = get("feed.atom").await;
    assert!(
        atom.contains(&format!("<link href=\"{hub}\" rel=\"hub\"/>")),
        "{atom}"
    );
    assert!(
        atom.contains(&format!("href=\"{BASE}feed.atom\" rel=\"self\"")),
        "{atom}"
    );
    let rss_doc = get("feeds/news.rss").await;
    assert!(
        rss_doc.contains(&format!("<atom:link href=\"{hub}\" rel=\"hub\"/>")),
        "{rss_doc}"
    );
    let json: serde_json::Value = serde_json::from_str(&get("feed.json").await).unwrap();
    assert_eq!(
        json["hubs"],
        serde_json::json!([{"type": "WebSub", "url": hub}])
    );

    // A change is announced again; nothing else is.
    let before = delivered(&pings).len();
    server.set("wire.xml", feed(&[item("a"), item("b")]));
    wait_until("the change announced", || {
        delivered(&pings)[before..].contains(&merged("atom"))
    })
    .await;
    daemon.stop();
    let after: Vec<String> = delivered(&pings)[before..].to_vec();
    for topic in &after {
        assert!(all.contains(topic), "{topic} is not a feed: {after:?}");
    }
}

/// A hub that does not answer in time: the ping fails with a warning naming
/// the hub, the feeds are served and the sources fetched all the same.
#[tokio::test(flavor = "multi_thread")]
async fn a_hub_that_times_out_is_logged_and_changes_nothing_else() {
    async fn stall() -> StatusCode {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        StatusCode::NO_CONTENT
    }
    let app = Router::new().route("/hub", post(stall));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hub = format!("http://{}/hub", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let server = FixtureServer::start().await;
    let items = [("g1", "Still served", "https://example.org/1", "text")];
    server.set("wire.xml", Fixture::feed(rss("Wire", &items)));
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("feedfold.db").display());
    let config = write_config(
        dir.path(),
        &db,
        &source("wire", &server.url("wire.xml"), ""),
    );
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "base_url = \"http://127.0.0.1:8080/\"",
        &format!("base_url = \"{BASE}\"\nwebsub_hub = \"{hub}\""),
    );
    std::fs::write(&config, text).unwrap();
    let daemon = Daemon::start(Path::new(&config));
    daemon
        .feed_when(|f| {
            f.entries.iter().any(|e| {
                e.title
                    .as_ref()
                    .is_some_and(|t| t.content == "Still served")
            })
        })
        .await;
    let log = daemon
        .wait_for_log("WebSub ping failed (timed out)", 1)
        .await;
    daemon.stop();
    assert!(log.contains(&hub), "{log}");
}
