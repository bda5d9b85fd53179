//! `feedfold add` against loopback sites: a page announcing feeds with
//! relative links, a page without links whose site serves /feed.xml, a
//! page with nothing, a feed URL given directly, a duplicate, and the
//! config file's comments kept.

mod common;

use std::process::Output;

use common::{Fixture, FixtureServer, rss, source, write_config};

async fn feedfold(args: &[&str]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_feedfold"));
    command.args(args).env("FEEDFOLD_LOG", "warn");
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(output: &Output) -> String {
    common::output_text(output)
}

fn feed(title: &str, items: usize) -> Fixture {
    let items: Vec<(String, String)> = (0..items)
        .map(|i| (format!("g{i}"), format!("https://example.org/{i}")))
        .collect();
    let items: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|(g, l)| (g.as_str(), "A story", l.as_str(), "text"))
        .collect();
    Fixture::feed(rss(title, &items))
}

fn page(head: &str) -> Fixture {
    let html = format!(
        "<!DOCTYPE html><html><head><title>Site</title>{head}</head><body><p>Hello</p></body></html>"
    );
    let mut fixture = Fixture::feed(html);
    fixture.content_type = "text/html; charset=utf-8";
    fixture
}

/// A config with a comment to keep, one source, in a temp dir.
fn config_in(dir: &std::path::Path) -> String {
    let db = format!("sqlite://{}", dir.join("feedfold.db").display());
    let existing = format!(
        "# my sources, by hand\n{}",
        source(
            "kept",
            "https://example.com/feed.xml",
            "priority = 3   # keep this comment"
        )
    );
    write_config(dir, &db, &existing)
        .to_str()
        .unwrap()
        .to_owned()
}

fn parsed(path: &str) -> feedfold::config::Config {
    feedfold::config::Config::load(std::path::Path::new(path)).unwrap()
}

#[tokio::test]
async fn announced_feeds_are_listed_and_the_first_added_with_yes() {
    let site = FixtureServer::start().await;
    site.set(
        "blog/index.html",
        page(
            "<base href=\"/feeds/\">\
             <link rel=\"alternate\" type=\"application/rss+xml\" title=\"All\" href=\"all.xml\">\
             <link rel=\"alternate\" type=\"application/atom+xml\" href=\"../comments.atom\">\
             <link rel=\"alternate\" type=\"text/html\" hreflang=\"de\" href=\"/de/\">",
        ),
    );
    site.set("feeds/all.xml", feed("All posts", 3));
    site.set("comments.atom", {
        let atom = "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Comments</title><id>urn:x</id><updated>2026-11-21T08:00:00Z</updated></feed>";
        let mut f = Fixture::feed(atom);
        f.content_type = "application/atom+xml";
        f
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path());
    let before = std::fs::read_to_string(&config).unwrap();
    let page_url = site.url("blog/index.html");

    let listed = feedfold(&["add", "-c", &config, &page_url]).await;
    assert_eq!(listed.status.code(), Some(1), "{}", text(&listed));
    let shown = text(&listed);
    assert!(shown.contains("2 feeds found"), "{shown}");
    assert!(shown.contains("All posts (RSS, 3 items)"), "{shown}");
    assert!(shown.contains("Comments (Atom, 0 items)"), "{shown}");
    assert!(shown.contains(&site.url("feeds/all.xml")), "{shown}");
    assert!(
        shown.contains("feedfold add -c") && shown.contains("--yes"),
        "{shown}"
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        before,
        "nothing added"
    );

    let added = feedfold(&["add", "-c", &config, &page_url, "--yes", "--group", "blogs"]).await;
    assert!(added.status.success(), "{}", text(&added));
    let after = std::fs::read_to_string(&config).unwrap();
    assert!(
        after.starts_with(before.trim_end()),
        "comments and layout kept:\n{after}"
    );
    assert!(after.contains("# keep this comment") && after.contains("# my sources, by hand"));
    let config_now = parsed(&config);
    let new = config_now.source("127-0-0-1").unwrap();
    assert_eq!(
        config_now.source_url(new).unwrap().as_str(),
        site.url("feeds/all.xml")
    );
    assert_eq!(new.groups, ["blogs"]);
    assert_eq!(
        new.title, None,
        "the feed's own title shows until one is given"
    );
}

#[tokio::test]
async fn a_page_without_links_finds_the_feed_at_a_common_path() {
    let site = FixtureServer::start().await;
    site.set("index.html", page(""));
    site.set("feed.xml", feed("Site news", 2));
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path());
    let added = feedfold(&["add", "-c", &config, &site.url("index.html")]).await;
    assert!(added.status.success(), "{}", text(&added));
    assert!(text(&added).contains("1 feed found"), "{}", text(&added));
    // Tried in order: /feed, /rss and /atom.xml are not there.
    assert_eq!(site.hits("feed"), 1);
    assert_eq!(
        site.hits("index.xml"),
        0,
        "the search stops at the first feed"
    );
    let config_now = parsed(&config);
    let urls: Vec<String> = config_now
        .sources
        .iter()
        .map(|s| config_now.source_url(s).unwrap().to_string())
        .collect();
    assert!(urls.contains(&site.url("feed.xml")), "{urls:?}");
}

#[tokio::test]
async fn a_page_with_no_feed_is_a_clear_error() {
    let site = FixtureServer::start().await;
    site.set(
        "index.html",
        page("<link rel=\"stylesheet\" href=\"/s.css\">"),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path());
    let before = std::fs::read_to_string(&config).unwrap();
    let out = feedfold(&["add", "-c", &config, &site.url("index.html")]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let message = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        message.starts_with(&format!("no feed found at {}: ", site.url("index.html"))),
        "{message}"
    );
    assert!(message.contains("/feeds/posts/default"), "{message}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
    // A page that does not exist is the user's error too, named.
    let out = feedfold(&["add", "-c", &config, &site.url("missing.html")]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("HTTP 404"), "{}", text(&out));
}

#[tokio::test]
async fn a_feed_url_is_added_directly_and_only_once() {
    let site = FixtureServer::start().await;
    site.set("news.rss", feed("Direct", 4));
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path());
    let url = site.url("news.rss");
    let args = [
        "add",
        "-c",
        &config,
        &url,
        "--name",
        "direct",
        "--title",
        "Direct News",
        "--group",
        "a",
        "--group",
        "b",
    ];
    let added = feedfold(&args).await;
    assert!(added.status.success(), "{}", text(&added));
    assert!(
        text(&added).contains("Direct (RSS, 4 items)"),
        "{}",
        text(&added)
    );
    assert_eq!(site.hits("feed"), 0, "no guessing for a feed");
    let config_now = parsed(&config);
    let direct = config_now.source("direct").unwrap();
    assert_eq!(direct.title.as_deref(), Some("Direct News"));
    assert_eq!(direct.groups, ["a", "b"]);

    let again = feedfold(&["add", "-c", &config, &url]).await;
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(
        text(&again).contains(&format!(
            "{url} is already in {config} as source \"direct\""
        )),
        "{}",
        text(&again)
    );
    let taken = feedfold(&[
        "add",
        "-c",
        &config,
        &site.url("other.rss"),
        "--name",
        "kept",
    ])
    .await;
    assert_eq!(taken.status.code(), Some(1), "{}", text(&taken));
    assert!(text(&taken).contains("already"), "{}", text(&taken));
}
