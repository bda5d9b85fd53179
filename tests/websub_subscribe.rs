//! WebSub subscribing through the real daemon: a source's feed names a hub
//! stub on loopback, the daemon subscribes, the stub verifies the intent
//! against the daemon's callback (a wrong topic first, which must get 404)
//! and pushes signed content, which must be published without a poll; a
//! push with a bad signature is discarded. Hubs that fail (500, a timeout,
//! an address the SSRF guard refuses) leave their sources polled normally,
//! with a warning naming each.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};

use common::daemon::Daemon;
use common::{Fixture, FixtureServer, TestDb, source, story_text, write_config};

/// What the hub stub saw and did.
#[derive(Default)]
struct HubLog {
    /// Form fields of each request, in order.
    requests: Vec<Vec<(String, String)>>,
    /// Status of each verification GET with a wrong topic.
    wrong_topic: Vec<u16>,
    /// Status and body of each real verification GET.
    verified: Vec<(u16, String)>,
}

type Hub = Arc<Mutex<HubLog>>;

const CHALLENGE: &str = "challenge-5d1f0c";

/// A hub that accepts subscriptions (202) and then verifies them, as a
/// real one does, from another task.
async fn hub_stub() -> (String, Hub) {
    let hub: Hub = Arc::default();
    let app = Router::new()
        .route("/hub", post(accept))
        .with_state(hub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hub"), hub)
}

async fn accept(State(hub): State<Hub>, body: String) -> StatusCode {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    hub.lock().unwrap().requests.push(fields.clone());
    tokio::spawn(verify(hub, fields));
    StatusCode::ACCEPTED
}

/// The hub's side of intent verification: first with a topic that is not
/// the subscription's, then with the right one.
async fn verify(hub: Hub, fields: Vec<(String, String)>) {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let get = |topic: String| {
        let mut url = url::Url::parse(&field("hub.callback")).unwrap();
        url.query_pairs_mut()
            .append_pair("hub.mode", &field("hub.mode"))
            .append_pair("hub.topic", &topic)
            .append_pair("hub.challenge", CHALLENGE)
            .append_pair("hub.lease_seconds", "600");
        async move {
            let response = reqwest::get(url).await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let (wrong, _) = get("https://elsewhere.example/feed".to_owned()).await;
    hub.lock().unwrap().wrong_topic.push(wrong);
    let verified = get(field("hub.topic")).await;
    hub.lock().unwrap().verified.push(verified);
}

/// An RSS feed naming `hub` and `topic` with the Atom namespace; each
/// item's body is a different story, so none fold together.
fn feed_with_hub(hub: &str, topic: &str, items: &[(&str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(guid, title)| {
            let seed = xxhash_rust::xxh3::xxh3_64(guid.as_bytes());
            let body = story_text(seed);
            format!(
                "<item><guid>{guid}</guid><title>{title}</title>\
                 <link>https://example.org/{guid}</link>\
                 <description>{body}</description></item>"
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>Wire</title><link>https://example.org/</link><description>d</description>
<atom:link rel="hub" href="{hub}"/><atom:link rel="self" href="{topic}"/>
{items}</channel></rss>"#
    )
}

/// A free loopback port for the daemon, so `base_url` (the callback the
/// hub calls) can name it before the daemon starts.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The config with subscribing on and the daemon at `port`.
fn subscribing_config(dir: &Path, db: &str, sources: &str, port: u16) -> std::path::PathBuf {
    let config = write_config(dir, db, sources);
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(
            "listen = \"127.0.0.1:0\"",
            &format!("listen = \"127.0.0.1:{port}\""),
        )
        .replace(
            "base_url = \"http://127.0.0.1:8080/\"",
            &format!("base_url = \"http://127.0.0.1:{port}/\"\nwebsub_subscribe = true"),
        );
    assert!(text.contains("websub_subscribe") && text.contains(&format!(":{port}\"")));
    std::fs::write(&config, text).unwrap();
    config
}

async fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let started = std::time::Instant::now();
    while !ready() {
        assert!(started.elapsed().as_secs() < 20, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
        .collect()
}

/// The daemon's `/sources` page.
async fn sources_page(port: u16) -> String {
    let url = format!("http://127.0.0.1:{port}/sources");
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

/// POSTs `body` to the callback as the hub would, signed with `signature`.
async fn push(callback: &str, body: &str, signature: &str) -> u16 {
    reqwest::Client::new()
        .post(callback)
        .header("content-type", "application/rss+xml")
        .header("x-hub-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hub_is_subscribed_verified_and_its_signed_pushes_published_without_polling() {
    for db in TestDb::all().await {
        round_trip(&db.url, db.label).await;
        db.cleanup().await;
    }
}

async fn round_trip(db: &str, label: &str) {
    let server = FixtureServer::start().await;
    let (hub_url, hub) = hub_stub().await;
    let topic = server.url("wire.xml");
    let first = feed_with_hub(&hub_url, &topic, &[("g1", "First story")]);
    server.set("wire.xml", Fixture::feed(first));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The write_config schedule is once a year: after the first fetch at
    // start, only a push can bring anything new.
    let config = subscribing_config(dir.path(), db, &source("wire", &topic, ""), port);
    let daemon = Daemon::start(Path::new(&config));
    daemon
        .feed_when(|f| titles(f).contains(&"First story".to_owned()))
        .await;

    wait_until("the hub verified the subscription", || {
        !hub.lock().unwrap().verified.is_empty()
    })
    .await;
    let (request, wrong_topic, verified) = {
        let log = hub.lock().unwrap();
        (
            log.requests[0].clone(),
            log.wrong_topic[0],
            log.verified[0].clone(),
        )
    };
    let field = |name: &str| {
        request
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{label}: no {name} in {request:?}"))
    };
    assert_eq!(field("hub.mode"), "subscribe", "{label}");
    assert_eq!(field("hub.topic"), topic, "{label}");
    let callback = field("hub.callback");
    let prefix = format!("http://127.0.0.1:{port}/websub/");
    assert!(callback.starts_with(&prefix), "{label}: {callback}");
    let secret = field("hub.secret");
    assert!(
        (16..=200).contains(&secret.len()),
        "{label}: secret of {} bytes",
        secret.len()
    );
    assert!(field("hub.lease_seconds").parse::<u64>().unwrap() > 0);
    assert_eq!(wrong_topic, 404, "{label}: a wrong topic must get 404");
    assert_eq!(verified, (200, CHALLENGE.to_owned()), "{label}");
    // A callback id nobody was given is not ours.
    let unknown = format!("{prefix}not-an-id?hub.mode=subscribe&hub.topic={topic}&hub.challenge=x");
    assert_eq!(reqwest::get(unknown).await.unwrap().status().as_u16(), 404);

    // A push with a bad signature is answered 2xx and discarded.
    let forged = feed_with_hub(&hub_url, &topic, &[("g9", "Forged story")]);
    let bad = format!("sha256={}", "00".repeat(32));
    assert_eq!(push(&callback, &forged, &bad).await, 202, "{label}");
    assert_eq!(push(&callback, &forged, "").await, 202, "{label}");
    // A signed one is published; the fixture is not asked again.
    let pushed = feed_with_hub(&hub_url, &topic, &[("g2", "Pushed story")]);
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(pushed.as_bytes());
    let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(push(&callback, &pushed, &good).await, 202, "{label}");
    let feed = daemon
        .feed_when(|f| titles(f).contains(&"Pushed story".to_owned()))
        .await;
    assert!(
        !titles(&feed).contains(&"Forged story".to_owned()),
        "{label}"
    );
    assert_eq!(server.hits("wire.xml"), 1, "{label}: a poll fetched it");

    let metrics_url = format!("http://127.0.0.1:{port}/metrics");
    let metrics = reqwest::get(metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("feedfold_websub_pushes_total{result=\"bad_signature\"} 2"),
        "{label}: {metrics}"
    );
    assert!(
        metrics.contains("feedfold_websub_pushes_total{result=\"accepted\"} 1"),
        "{label}: {metrics}"
    );
    let log = daemon.wait_for_log("WebSub push discarded", 2).await;
    assert!(
        log.lines()
            .filter(|l| l.contains("WebSub push discarded"))
            .all(|l| l.contains("wire")),
        "{label}: {log}"
    );

    // `status` shows where the subscription stands.
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_feedfold"))
        .args(["status", "-c", config.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("\"websub\":\"active\""), "{label}: {text}");
    // So does the sources page.
    let page = sources_page(port).await;
    assert!(page.contains("pushed by its hub until"), "{label}: {page}");

    // The source opts out: the hub is asked to unsubscribe and verifies
    // it; pushes are then refused with 410 Gone.
    let opted_out = std::fs::read_to_string(&config)
        .unwrap()
        .replace("name = \"wire\"", "name = \"wire\"\nwebsub = false");
    std::fs::write(&config, opted_out).unwrap();
    daemon.signal("HUP");
    wait_until("the hub verified the unsubscription", || {
        hub.lock().unwrap().verified.len() == 2
    })
    .await;
    {
        let log = hub.lock().unwrap();
        let unsubscribe = ("hub.mode".to_owned(), "unsubscribe".to_owned());
        assert!(
            log.requests[1].contains(&unsubscribe),
            "{label}: {:?}",
            log.requests
        );
        assert_eq!(log.wrong_topic[1], 404, "{label}");
        assert_eq!(log.verified[1], (200, CHALLENGE.to_owned()), "{label}");
    }
    assert_eq!(push(&callback, &pushed, &good).await, 410, "{label}");
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn hubs_that_fail_leave_their_sources_polled_with_a_warning_naming_each() {
    async fn refuse() -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
    async fn stall() -> StatusCode {
        tokio::time::sleep(Duration::from_secs(30)).await;
        StatusCode::ACCEPTED
    }
    let app = Router::new()
        .route("/refusing", post(refuse))
        .route("/stalling", post(stall));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hubs = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let server = FixtureServer::start().await;
    let cases = [
        ("hub-500", format!("{hubs}/refusing"), "HTTP 500"),
        ("hub-timeout", format!("{hubs}/stalling"), "timed out"),
        // Loopback, but not in allow_networks: the SSRF guard applies to hubs.
        (
            "hub-guarded",
            "http://127.0.0.2:9/hub".to_owned(),
            "refusing to connect",
        ),
    ];
    let mut sources = String::new();
    for (name, hub, _) in &cases {
        let topic = server.url(&format!("{name}.xml"));
        let feed = feed_with_hub(hub, &topic, &[(name, &format!("Story of {name}"))]);
        server.set(&format!("{name}.xml"), Fixture::feed(feed));
        sources.push_str(&source(name, &topic, ""));
    }
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("feedfold.db").display());
    let port = free_port();
    let config = subscribing_config(dir.path(), &db, &sources, port);
    let daemon = Daemon::start(Path::new(&config));
    daemon
        .feed_when(|f| {
            let titles = titles(f);
            cases
                .iter()
                .all(|(name, ..)| titles.contains(&format!("Story of {name}")))
        })
        .await;
    let log = daemon
        .wait_for_log("WebSub subscription failed", cases.len())
        .await;
    for (name, hub, why) in &cases {
        let line = log
            .lines()
            .find(|l| l.contains("WebSub subscription failed") && l.contains(name))
            .unwrap_or_else(|| panic!("no warning for {name}:\n{log}"));
        assert!(line.contains(why) && line.contains(hub.as_str()), "{line}");
        assert!(line.contains("polled as usual"), "{line}");
    }
    // The sources page says why each is polled without pushes.
    let page = sources_page(port).await;
    assert_eq!(page.matches("hub failed (").count(), cases.len(), "{page}");
    assert!(page.contains("HTTP 500"), "{page}");
    daemon.stop();
}
