//! Markup nested absurdly deep, in every place a feed or a page can carry it
//! (item bodies, summaries, titles, list pages, article pages), costs that
//! item its layout, never the process: the real binary fetches, stores and
//! publishes, and the healthy item beside it is untouched. Before the depth
//! guard, one item of 10,000 nested `<div>`s overflowed the stack (exit 134)
//! on every start.

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{Fixture, FixtureServer, TestDb, source, write_config};

fn feedfold(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_feedfold"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn nested(tag: &str, levels: usize, inner: &str) -> String {
    format!(
        "{}{inner}{}",
        format!("<{tag}>").repeat(levels),
        format!("</{tag}>").repeat(levels)
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A feed whose first items nest their body, summary or title deep, and
/// whose last item is ordinary.
fn hostile_feed(base: &str) -> String {
    let body = nested("div", 10_000, "<p>Deep body words survive.</p>");
    let summary = nested("address", 60_000, "Deep summary words survive.");
    let title = nested("span", 20_000, "Deep title");
    let items = [
        ("body", "Body item".to_owned(), escape(&body)),
        ("summary", "Summary item".to_owned(), escape(&summary)),
        ("title", escape(&title), "A plain body.".to_owned()),
        ("scraped", "Scraped item".to_owned(), "Teaser…".to_owned()),
        (
            "ok",
            "Healthy item".to_owned(),
            "Healthy body text.".to_owned(),
        ),
    ];
    let mut out =
        String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title>");
    for (id, title, description) in items {
        let link = if id == "scraped" {
            format!("{base}/article")
        } else {
            format!("https://example.org/{id}")
        };
        out.push_str(&format!(
            "<item><guid>{id}</guid><title>{title}</title><link>{link}</link>\
             <description>{description}</description></item>"
        ));
    }
    out + "</channel></rss>"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_markup_costs_its_layout_not_the_process() {
    let server = FixtureServer::start().await;
    let base = server.url("").trim_end_matches('/').to_owned();
    server.set("feed.xml", Fixture::feed(hostile_feed(&base)));
    let article = format!(
        "<html><body>{}</body></html>",
        nested("dl", 100_000, "<p>Article</p>")
    );
    server.set(
        "article",
        Fixture::feed(article).with_header("content-type", "text/html"),
    );
    let list = format!(
        "<html><body><ul class=news>{}</ul></body></html>",
        nested("menu", 200_000, "<li><a href='/a'>A</a></li>")
    );
    server.set(
        "list",
        Fixture::feed(list).with_header("content-type", "text/html"),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let sources = source("deep", &server.url("feed.xml"), "scrape = true")
        + &source(
            "deep-list",
            &server.url("list"),
            "kind = \"page\"\n[source.page]\nitem = \"ul.news li\"\n",
        );
    let path = write_config(dir.path(), &db.url, &sources);
    // Hostile pages come close to the default 15 MiB cap, not the tests' 1.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("max_body = \"1MiB\"", "max_body = \"15MiB\""),
    )
    .unwrap();
    let config = path.to_str().unwrap();

    let started = Instant::now();
    let fetch = feedfold(&["fetch", "-c", config]);
    let log = String::from_utf8_lossy(&fetch.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    // The list page fails on its own source, with the reason; the feed is
    // stored whole.
    assert_eq!(fetch.status.code(), Some(2), "{log}");
    assert!(
        log.contains("deep-list") && log.contains("deeper than"),
        "{log}"
    );
    assert!(log.contains("1 failed"), "{log}");

    let feed = feedfold(&["feed", "-c", config, "--format", "json"]);
    assert!(feed.status.success());
    let feed: serde_json::Value = serde_json::from_slice(&feed.stdout).unwrap();
    let items = feed["items"].as_array().unwrap();
    let find = |title: &str| {
        items
            .iter()
            .find(|i| i["title"].as_str().unwrap_or("").contains(title))
            .unwrap_or_else(|| panic!("no {title:?} in {items:#?}"))
    };
    assert_eq!(items.len(), 5, "{items:#?}");
    assert!(
        find("Body item")["content_html"]
            .as_str()
            .unwrap()
            .contains("Deep body words survive.")
    );
    assert!(
        find("Summary item")["content_html"]
            .as_str()
            .unwrap()
            .contains("Deep summary words survive.")
    );
    assert_eq!(find("Deep title")["title"], "Deep title");
    // The article page was refused with a reason; the item keeps the feed's
    // own text.
    assert!(
        find("Scraped item")["content_html"]
            .as_str()
            .unwrap()
            .contains("Teaser")
    );
    assert!(
        find("Healthy item")["content_html"]
            .as_str()
            .unwrap()
            .contains("Healthy body text.")
    );

    // A second pass over the same items (what a restart under systemd does)
    // is as healthy as the first.
    let again = feedfold(&["fetch", "-c", config, "--source", "deep"]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn extract_refuses_deep_pages_quickly_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    for tag in [
        "div",
        "address",
        "dl",
        "dir",
        "menu",
        "hgroup",
        "figcaption",
        "dialog",
        "summary",
        "pre",
    ] {
        let path = dir.path().join(format!("{tag}.html"));
        let page = format!(
            "<html><body>{}</body></html>",
            nested(tag, 100_000, "<p>x</p>")
        );
        std::fs::write(&path, page).unwrap();
        let started = Instant::now();
        let out = feedfold(&["extract", "--format", "json", path.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{tag}: {:?}",
            started.elapsed()
        );
        let article: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(article["text"], "", "{tag}");
    }
}
