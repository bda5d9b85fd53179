//! The whole pipeline against a loopback server: fetch → store → publish →
//! serve, read back over HTTP and parsed with feed-rs.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Fixture, FixtureServer, TestDb, rss, source, write_config};
use feedfold::config::Config;
use feedfold::daemon::{self, Pipeline};

const PORT_STRIKE_A: (&str, &str, &str, &str) = (
    "a-1",
    "Port strike ends after 12 days",
    "https://News.Example.org/2026/11/port-strike?utm_source=rss#top",
    "Dock workers voted to accept the offer.",
);
const PORT_STRIKE_B: (&str, &str, &str, &str) = (
    "b-7",
    "UPDATE: Dock workers return as port strike ends - Harbour Wire",
    "https://news.example.org/2026/11/port-strike",
    "Dock workers returned on Monday.",
);

fn two_sources_one_story(server: &FixtureServer) {
    server.set(
        "a.xml",
        Fixture::feed(rss(
            "A",
            &[
                PORT_STRIKE_A,
                (
                    "a-2",
                    "Lighthouse grant",
                    "https://a.example.org/lighthouse",
                    "Grant.",
                ),
            ],
        ))
        .with_etag("\"a-v1\""),
    );
    server.set(
        "b.xml",
        Fixture::feed(rss(
            "B",
            &[
                PORT_STRIKE_B,
                (
                    "b-8",
                    "Ferry services suspended",
                    "https://b.example.org/ferry",
                    "Gales.",
                ),
            ],
        )),
    );
}

async fn pipeline_for(dir: &std::path::Path, db: &TestDb, sources: &str) -> Pipeline {
    let path = write_config(dir, &db.url, sources);
    let config = Arc::new(Config::load(&path).unwrap());
    Pipeline::new(config).await.unwrap()
}

async fn get(client: &reqwest::Client, url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = client.get(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.send().await.unwrap()
}

/// Starts the daemon in-process; returns its address and a stop handle.
async fn start_daemon(
    pipeline_config: Arc<Config>,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        daemon::run(pipeline_config, listener, async move {
            let _ = stop_rx.await;
        })
        .await
        .unwrap();
    });
    (addr, stop_tx, handle)
}

/// Sends the stop signal and waits (at most 15 s) for a clean exit.
async fn stop_daemon(stop: tokio::sync::oneshot::Sender<()>, handle: tokio::task::JoinHandle<()>) {
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(15), handle)
        .await
        .expect("daemon stops")
        .unwrap();
}

/// Polls the served Atom feed until it has `n` entries (30 s at most: a
/// deadline in time, not in tries, however slow each request is).
async fn wait_for_entries(client: &reqwest::Client, url: &str, n: usize) -> feed_rs::model::Feed {
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let body = get(client, url, &[]).await.bytes().await.unwrap();
        let feed = feed_rs::parser::parse(&body[..]).unwrap();
        if feed.entries.len() >= n {
            return feed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} never reached {n} entries");
}

#[tokio::test]
async fn daemon_serves_each_story_once_in_every_format() {
    let server = FixtureServer::start().await;
    two_sources_one_story(&server);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let sources = source(
        "wire-a",
        &server.url("a.xml"),
        "priority = 5\ngroups = [\"en\"]",
    ) + &source("wire-b", &server.url("b.xml"), "groups = [\"zh\"]");
    let config = Arc::new(Config::load(&write_config(dir.path(), &db.url, &sources)).unwrap());
    let (addr, stop, handle) = start_daemon(config).await;
    let client = reqwest::Client::new();

    let atom = wait_for_entries(&client, &format!("http://{addr}/feed.atom"), 3).await;
    assert_eq!(atom.entries.len(), 3, "four items, two of them one story");
    for format in ["rss", "json"] {
        let body = get(&client, &format!("http://{addr}/feed.{format}"), &[])
            .await
            .bytes()
            .await
            .unwrap();
        let feed = feed_rs::parser::parse(&body[..]).unwrap();
        let ids: Vec<_> = feed.entries.iter().map(|e| e.id.clone()).collect();
        assert_eq!(
            ids,
            atom.entries
                .iter()
                .map(|e| e.id.clone())
                .collect::<Vec<_>>(),
            "{format}: same items, same ids"
        );
    }
    let strike = atom
        .entries
        .iter()
        .find(|e| e.title.as_ref().unwrap().content.contains("12 days"))
        .unwrap();
    let html = strike
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .unwrap();
    assert!(
        html.contains("Also reported by") && html.contains(">B</a>"),
        "{html}"
    );
    assert!(
        !atom
            .entries
            .iter()
            .any(|e| e.title.as_ref().unwrap().content.starts_with("UPDATE:"))
    );

    // Group feeds: "en" has the story wire-a carried, "zh" the ones wire-b did.
    let en = get(&client, &format!("http://{addr}/feeds/en.atom"), &[])
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(feed_rs::parser::parse(&en[..]).unwrap().entries.len(), 2);
    assert_eq!(
        get(&client, &format!("http://{addr}/feeds/nope.atom"), &[])
            .await
            .status(),
        404
    );
    let metrics = get(&client, &format!("http://{addr}/metrics"), &[])
        .await
        .text()
        .await
        .unwrap();
    for line in [
        "feedfold_fetches_total{result=\"ok\"} 2",
        "feedfold_entries_ingested_total 4",
        "feedfold_items_merged_total 1",
    ] {
        assert!(metrics.contains(line), "{line} missing:\n{metrics}");
    }
    let page = get(&client, &format!("http://{addr}/"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Port strike ends after 12 days") && page.contains("Also reported by"),
        "{page}"
    );
    assert!(page.contains("href=\"feed.atom\""));
    assert_eq!(
        get(&client, &format!("http://{addr}/healthz"), &[])
            .await
            .status(),
        200
    );
    assert_eq!(
        get(&client, &format!("http://{addr}/feed.xml"), &[])
            .await
            .status(),
        404
    );

    stop_daemon(stop, handle).await;
}

#[tokio::test]
async fn served_feeds_answer_conditional_requests_and_gzip() {
    let server = FixtureServer::start().await;
    two_sources_one_story(&server);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let sources = source("wire-a", &server.url("a.xml"), "");
    let config = Arc::new(Config::load(&write_config(dir.path(), &db.url, &sources)).unwrap());
    let (addr, stop, handle) = start_daemon(config).await;
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let url = format!("http://{addr}/feed.atom");
    wait_for_entries(&client, &url, 2).await;

    let first = get(&client, &url, &[]).await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let last_modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();

    let by_etag = get(&client, &url, &[("if-none-match", &etag)]).await;
    assert_eq!(by_etag.status(), 304);
    assert!(by_etag.bytes().await.unwrap().is_empty());
    let listed = get(
        &client,
        &url,
        &[("if-none-match", &format!("\"other\", {etag}"))],
    )
    .await;
    assert_eq!(listed.status(), 304);
    assert_eq!(
        get(&client, &url, &[("if-none-match", "\"stale\"")])
            .await
            .status(),
        200
    );
    assert_eq!(
        get(&client, &url, &[("if-modified-since", &last_modified)])
            .await
            .status(),
        304
    );
    assert_eq!(
        get(
            &client,
            &url,
            &[("if-modified-since", "Thu, 01 Jan 2015 00:00:00 GMT")]
        )
        .await
        .status(),
        200
    );

    let gz = get(&client, &url, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let compressed = gz.bytes().await.unwrap();
    let mut plain = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&compressed[..]),
        &mut plain,
    )
    .unwrap();
    assert!(plain.contains("Port strike ends after 12 days"));

    stop_daemon(stop, handle).await;
}

#[tokio::test]
async fn failing_sources_are_recorded_and_do_not_stop_the_others() {
    let server = FixtureServer::start().await;
    two_sources_one_story(&server);
    server.set("500.xml", Fixture::status(500));
    server.set(
        "html.xml",
        Fixture {
            content_type: "text/html",
            ..Fixture::feed("<html><body>Not a feed</body></html>")
        },
    );
    server.set(
        "slow.xml",
        Fixture::feed(rss("S", &[("s", "late", "https://s.example.org/", "x")]))
            .slow(Duration::from_secs(5)),
    );
    server.set("huge.xml", Fixture::feed(vec![b' '; 2 << 20]));
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let sources = [
        source("good", &server.url("a.xml"), ""),
        source("broken", &server.url("500.xml"), ""),
        source("missing", &server.url("nothing-here.xml"), ""),
        source("not-a-feed", &server.url("html.xml"), ""),
        source("slow", &server.url("slow.xml"), ""),
        source("huge", &server.url("huge.xml"), ""),
        source("refused", "http://127.0.0.1:9/feed.xml", ""),
        source("no-file", "does-not-exist.xml", ""),
    ]
    .concat();
    let pipeline = pipeline_for(dir.path(), &db, &sources).await;
    let outcomes = daemon::fetch_pass(&pipeline, None).await.unwrap();
    let errors: Vec<(String, String)> = outcomes
        .iter()
        .filter_map(|o| {
            o.result
                .as_ref()
                .err()
                .map(|e| (o.source.clone(), e.to_string()))
        })
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| o.result.is_ok()).count(),
        1,
        "{errors:?}"
    );
    let reason = |name: &str| {
        errors
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.clone())
            .unwrap()
    };
    assert_eq!(reason("broken"), "HTTP 500");
    assert_eq!(reason("missing"), "HTTP 404");
    assert_eq!(reason("not-a-feed"), "not a feed: looks like HTML");
    assert_eq!(reason("slow"), "timed out");
    assert_eq!(reason("huge"), "body larger than 1048576 bytes");
    assert!(
        reason("refused").starts_with("cannot connect"),
        "{}",
        reason("refused")
    );
    assert!(
        reason("no-file").contains("does-not-exist.xml"),
        "{}",
        reason("no-file")
    );

    let store = pipeline.store();
    assert_eq!(store.source_state("good").await.unwrap().entries, 2);
    let broken = store.source_state("broken").await.unwrap();
    assert_eq!(
        (
            broken.last_status,
            broken.error_count,
            broken.last_error.as_deref()
        ),
        (Some(500), 1, Some("HTTP 500"))
    );
    store.close().await;
}

#[tokio::test]
async fn restarts_and_refetches_do_not_duplicate_entries() {
    let server = FixtureServer::start().await;
    two_sources_one_story(&server);
    let dir = tempfile::tempdir().unwrap();
    for db in TestDb::all().await {
        let sources = source("wire-a", &server.url("a.xml"), "")
            + &source("wire-b", &server.url("b.xml"), "");
        for round in 0..3 {
            // A new pipeline each round: the daemon restarting.
            let pipeline = pipeline_for(dir.path(), &db, &sources).await;
            daemon::fetch_pass(&pipeline, Some("wire-a")).await.unwrap();
            daemon::fetch_pass(&pipeline, Some("wire-b")).await.unwrap();
            let store = pipeline.store();
            assert_eq!(
                store.source_state("wire-a").await.unwrap().entries,
                2,
                "{} round {round}",
                db.label
            );
            assert_eq!(
                store.source_state("wire-b").await.unwrap().entries,
                2,
                "{} round {round}",
                db.label
            );
            assert_eq!(
                store.recent_stories(0, 100, None).await.unwrap().len(),
                3,
                "{} round {round}",
                db.label
            );
            store.close().await;
        }
        db.cleanup().await;
    }
    // Validators were stored and sent back: later rounds were answered 304.
    assert!(
        server.not_modified("a.xml") >= 2,
        "304s: {}",
        server.not_modified("a.xml")
    );
}

#[tokio::test]
async fn fetch_pass_runs_only_due_sources() {
    let server = FixtureServer::start().await;
    two_sources_one_story(&server);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    // Schedules that are never due again soon after a first run.
    let sources = source("wire-a", &server.url("a.xml"), "")
        + &source("wire-b", &server.url("b.xml"), "enabled = false");
    let pipeline = pipeline_for(dir.path(), &db, &sources).await;
    assert_eq!(
        daemon::fetch_pass(&pipeline, None).await.unwrap().len(),
        1,
        "never-fetched enabled sources are due"
    );
    assert_eq!(
        daemon::fetch_pass(&pipeline, None).await.unwrap().len(),
        0,
        "just fetched: not due"
    );
    assert_eq!(server.hits("b.xml"), 0, "disabled sources are not fetched");
    pipeline.store().close().await;
}

#[tokio::test]
async fn the_daemon_refetches_on_schedule_and_republishes_changes() {
    let server = FixtureServer::start().await;
    server.set("a.xml", Fixture::feed(rss("A", &[PORT_STRIKE_A])));
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    // Six fields: every second.
    let sources = source("wire-a", &server.url("a.xml"), "schedule = \"* * * * * *\"");
    let config = Arc::new(Config::load(&write_config(dir.path(), &db.url, &sources)).unwrap());
    let (addr, stop, handle) = start_daemon(config).await;
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/feed.atom");
    wait_for_entries(&client, &url, 1).await;

    server.set(
        "a.xml",
        Fixture::feed(rss(
            "A",
            &[
                PORT_STRIKE_A,
                ("a-9", "Late news", "https://a.example.org/late", "x"),
            ],
        )),
    );
    let feed = wait_for_entries(&client, &url, 2).await;
    assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "Late news");
    assert!(server.hits("a.xml") >= 2);

    stop_daemon(stop, handle).await;
}

#[tokio::test]
async fn the_daemon_backs_off_failures_and_honours_max_age_and_retry_after() {
    let server = FixtureServer::start().await;
    let feed = |id: &str| {
        Fixture::feed(rss(
            id,
            &[(
                id,
                "Harbour reopens",
                "https://example.org/harbour",
                "Ships sail.",
            )],
        ))
    };
    server.set("healthy.xml", feed("h"));
    server.set("failing.xml", Fixture::status(500));
    server.set(
        "cached.xml",
        feed("c").with_header("cache-control", "public, max-age=3600"),
    );
    // A 429 holds back its whole site, so it lives on a site of its own.
    let busy = FixtureServer::start().await;
    busy.set(
        "limited.xml",
        Fixture::status(429).with_header("retry-after", "60"),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let every_second = "schedule = \"* * * * * *\"";
    let sources = source("healthy", &server.url("healthy.xml"), every_second)
        + &source("failing", &server.url("failing.xml"), every_second)
        + &source("cached", &server.url("cached.xml"), every_second)
        + &source("limited", &busy.url("limited.xml"), every_second);
    let config = Arc::new(Config::load(&write_config(dir.path(), &db.url, &sources)).unwrap());
    let (_, stop, handle) = start_daemon(config).await;
    // The healthy source, due every second, is the clock: once every source
    // ran and the healthy one ran twice more, each held one had two chances
    // to run again.
    let started = std::time::Instant::now();
    while server.hits("healthy.xml") < 3
        || ["failing.xml", "cached.xml"]
            .iter()
            .any(|p| server.hits(p) == 0)
        || busy.hits("limited.xml") == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the sources never ran"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop_daemon(stop, handle).await;

    assert!(server.hits("healthy.xml") >= 3, "healthy runs every second");
    assert_eq!(
        server.hits("failing.xml"),
        1,
        "a failure backs off 5 minutes"
    );
    assert_eq!(server.hits("cached.xml"), 1, "max-age holds it for an hour");
    assert_eq!(busy.hits("limited.xml"), 1, "Retry-After holds it a minute");
}

/// A podcast feed: one episode with a file and categories (one of each
/// unfit to publish), and one plain item.
fn podcast(file: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Pod</title><link>https://pod.example.org/</link><description>d</description>
<item><guid>ep-1</guid><title>Episode 1: the port strike</title><link>https://pod.example.org/ep1</link>
<description>{}</description><pubDate>Sat, 21 Nov 2026 08:00:00 +0000</pubDate>
<enclosure url="javascript:alert(1)" length="1" type="audio/mpeg"/>
<enclosure url="https://cdn.example.org/{file}" length="12345" type="audio/mpeg"/>
<category>Labour</category><category> Labour </category><category>港口</category></item>
<item><guid>ep-0</guid><title>Trailer</title><link>https://pod.example.org/trailer</link>
<description>{}</description><pubDate>Fri, 20 Nov 2026 08:00:00 +0000</pubDate></item>
</channel></rss>"#,
        common::story_text(1),
        common::story_text(2)
    )
}

/// The same episode page from an Atom source: its own categories and file.
fn podcast_mirror() -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Mirror</title><id>urn:mirror</id><updated>2026-11-21T09:00:00Z</updated>
<entry><id>urn:mirror:1</id><title>Episode 1</title><updated>2026-11-21T09:00:00Z</updated>
<link href="https://pod.example.org/ep1"/>
<link rel="enclosure" href="https://mirror.example.org/copy.mp3" type="audio/mpeg" length="99"/>
<category term="Mirrored"/><summary>{}</summary></entry>
</feed>"#,
        common::story_text(1)
    )
}

/// An item's files (URL, length) and category terms.
type Media = (Vec<(String, Option<u64>)>, Vec<String>);

/// Each item's files and category terms in a rendered document, as
/// feed-rs reads them back.
fn files_and_terms(body: &str) -> Vec<Media> {
    let feed = feed_rs::parser::parse(body.as_bytes()).unwrap();
    feed.entries
        .iter()
        .map(|entry| {
            let mut files: Vec<(String, Option<u64>)> = entry
                .links
                .iter()
                .filter(|l| l.rel.as_deref() == Some("enclosure"))
                .map(|l| (l.href.clone(), l.length))
                .collect();
            files.extend(
                entry
                    .media
                    .iter()
                    .flat_map(|m| &m.content)
                    .filter_map(|c| Some((c.url.as_ref()?.to_string(), c.size))),
            );
            let terms = entry.categories.iter().map(|c| c.term.clone()).collect();
            (files, terms)
        })
        .collect()
}

#[tokio::test]
async fn enclosures_and_categories_reach_every_format_and_follow_edits() {
    let server = FixtureServer::start().await;
    server.set("mirror.xml", Fixture::feed(podcast_mirror()));
    let dir = tempfile::tempdir().unwrap();
    for db in TestDb::all().await {
        server.set("pod.xml", Fixture::feed(podcast("ep1.mp3")));
        let sources = source("pod", &server.url("pod.xml"), "priority = 5")
            + &source("mirror", &server.url("mirror.xml"), "");
        let pipeline = pipeline_for(dir.path(), &db, &sources).await;
        daemon::fetch_pass(&pipeline, None).await.unwrap();
        let episode = (
            vec![("https://cdn.example.org/ep1.mp3".to_owned(), Some(12345))],
            vec!["Labour".to_owned(), "港口".to_owned()],
        );
        let plain = (Vec::new(), Vec::new());
        let load = || async {
            let config = pipeline.config();
            let items =
                feedfold::publish::load_items(pipeline.store(), config, None, chrono::Utc::now())
                    .await
                    .unwrap();
            let meta = feedfold::publish::FeedMeta {
                title: "t".into(),
                base_url: config.output.base_url.clone(),
                group: None,
                hub: None,
            };
            feedfold::publish::Format::ALL.map(|format| {
                let doc = feedfold::publish::render(format, &meta, &items).unwrap();
                (format, files_and_terms(&doc.body))
            })
        };
        // Two stories: the episode (folded with the mirror's copy, whose
        // file and category stay out) and the trailer.
        for (format, got) in load().await {
            assert_eq!(
                got,
                [episode.clone(), plain.clone()],
                "{} {format:?}",
                db.label
            );
        }

        server.set("pod.xml", Fixture::feed(podcast("ep1-fixed.mp3")));
        daemon::fetch_pass(&pipeline, Some("pod")).await.unwrap();
        for (format, got) in load().await {
            assert_eq!(
                got[0].0,
                [(
                    "https://cdn.example.org/ep1-fixed.mp3".to_owned(),
                    Some(12345)
                )],
                "{} {format:?}: a changed file is an edit",
                db.label
            );
        }
        pipeline.store().close().await;
        db.cleanup().await;
    }
}
