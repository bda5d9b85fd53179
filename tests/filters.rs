//! Issue 18 items 1, 4 and 6 through the whole pipeline: `keep`/`drop`
//! rules on sources, groups and the output, on English and Chinese feeds
//! served from loopback, stored in SQLite and PostgreSQL, published in all
//! three formats; display names; cleaned titles; `explain`, `status`, OPML.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::{Fixture, FixtureServer, TestDb, source, write_config};
use feedfold::config::Config;
use feedfold::daemon::Pipeline;
use feedfold::publish::{FeedMeta, Format, load_items, render};

/// An RSS item: guid, title, link, description, categories.
type Item<'a> = (&'a str, &'a str, &'a str, &'a str, &'a [&'a str]);

fn rss(title: &str, items: &[Item<'_>]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>{title}</title><link>https://example.org/</link><description>d</description>\n"
    );
    for (guid, title, link, description, categories) in items {
        let categories: String = categories
            .iter()
            .map(|c| format!("<category>{c}</category>"))
            .collect();
        out.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>{link}</link><description>{description}</description>{categories}<pubDate>Sat, 21 Nov 2026 08:00:00 +0000</pubDate></item>\n"
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

const FINAL: &str = "https://sport.example.org/cup-final";

fn serve_feeds(server: &FixtureServer) {
    server.set(
        "en.xml",
        Fixture::feed(rss(
            "Harbour Wire",
            &[
                (
                    "en-1",
                    "BREAKING: Port strike ends after 12 days - Reuters",
                    "https://en.example.org/port-strike",
                    "Dock workers voted to accept the offer on Sunday night.",
                    &["World"],
                ),
                (
                    "en-2",
                    "Cup final goes to penalties",
                    FINAL,
                    "The cup final went to penalties after a goalless draw.",
                    &["Sport"],
                ),
                (
                    "en-3",
                    "Sponsored: the best ferry deals",
                    "https://en.example.org/ad",
                    "Book now.",
                    &[],
                ),
            ],
        )),
    );
    // Another site carrying the cup final under the same link: its copy
    // must not fold with en's held one.
    server.set(
        "copy.xml",
        Fixture::feed(rss(
            "Copy Desk",
            &[(
                "c-1",
                "Cup final goes to penalties",
                FINAL,
                "The cup final went to penalties after a goalless draw.",
                &[],
            )],
        )),
    );
    server.set(
        "zh.xml",
        Fixture::feed(rss(
            "新华网",
            &[
                (
                    "zh-1",
                    "(聚焦疫情防控)人力资源社会保障部：切实关心激励表彰疫情防控人员",
                    "https://zh.example.org/1",
                    "人力资源社会保障部近日印发通知，要求切实关心激励表彰疫情防控一线人员。",
                    &[],
                ),
                (
                    "zh-2",
                    "温州足球联赛开幕",
                    "https://zh.example.org/2",
                    "温州市足球联赛今日开幕，共有十六支球队参赛。",
                    &[],
                ),
                (
                    "zh-3",
                    "铝产业高质量发展实施方案发布",
                    "https://zh.example.org/3",
                    "工业和信息化部等部门联合印发铝产业高质量发展实施方案。",
                    &[],
                ),
            ],
        )),
    );
}

/// The group table and the sources; `en_drop` and `zh_drop` are the
/// sources' drop lists.
fn sources(server: &FixtureServer, en_drop: &str, zh_drop: &str) -> String {
    "[group.zh]\nkeep = [\"疫情\", \"铝\"]\n\n".to_owned()
        + &source(
            "en",
            &server.url("en.xml"),
            &format!("title = \"Harbour Wire English\"\ngroups = [\"en\"]\ndrop = [{en_drop}]"),
        )
        + &source("copy", &server.url("copy.xml"), "groups = [\"en\"]")
        + &source(
            "zh",
            &server.url("zh.xml"),
            &format!("groups = [\"zh\"]\ndrop = [{zh_drop}]"),
        )
}

/// The config file, with the output's rules and `clean_titles` put into
/// its `[output]` table.
fn config_file(
    dir: &Path,
    db: &TestDb,
    server: &FixtureServer,
    en_drop: &str,
    zh_drop: &str,
    clean: bool,
) -> Config {
    let path = write_config(dir, &db.url, &sources(server, en_drop, zh_drop));
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "window = \"3650d\"",
        &format!("window = \"3650d\"\ndrop = [\"title:^sponsored\"]\nclean_titles = {clean}"),
    );
    std::fs::write(&path, text).unwrap();
    Config::load(&path).unwrap()
}

/// Every feed (merged, `en`, `zh`) in every format, parsed back: titles
/// per (group, format), and the raw bodies.
async fn render_all(
    pipeline: &Pipeline,
    config: &Config,
) -> Vec<(Option<&'static str>, Format, Vec<String>, String)> {
    let mut out = Vec::new();
    for group in [None, Some("en"), Some("zh")] {
        let items = load_items(pipeline.store(), config, group, chrono::Utc::now())
            .await
            .unwrap();
        let meta = FeedMeta {
            title: "t".into(),
            base_url: url::Url::parse("http://127.0.0.1:8080/").unwrap(),
            group: group.map(Into::into),
            hub: None,
        };
        for format in Format::ALL {
            let body = render(format, &meta, &items).unwrap().body;
            let feed = feed_rs::parser::parse(body.as_bytes()).unwrap();
            let mut titles: Vec<String> = feed
                .entries
                .iter()
                .map(|e| e.title.as_ref().unwrap().content.clone())
                .collect();
            titles.sort();
            out.push((group, format, titles, body));
        }
    }
    out
}

fn titles_of<'a>(
    feeds: &'a [(Option<&'static str>, Format, Vec<String>, String)],
    group: Option<&str>,
) -> &'a [String] {
    let mut all = feeds.iter().filter(|(g, ..)| *g == group);
    let (_, _, first, _) = all.next().unwrap();
    for (_, format, titles, _) in all {
        assert_eq!(
            titles, first,
            "{group:?} {format:?}: same items in every format"
        );
    }
    first
}

fn feedfold(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_feedfold"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn run_all(pipeline: &Pipeline) {
    for name in ["en", "copy", "zh"] {
        pipeline.run_source(name).await.result.unwrap();
    }
}

#[tokio::test]
async fn filters_apply_at_every_scope_on_both_backends_and_follow_config_changes() {
    let server = FixtureServer::start().await;
    serve_feeds(&server);
    for db in TestDb::all().await {
        let dir = tempfile::tempdir().unwrap();
        let label = db.label;
        let config = config_file(
            dir.path(),
            &db,
            &server,
            "\"category:^sport$\"",
            "\"足球\"",
            true,
        );
        let path = dir.path().join("feedfold.toml");
        let pipeline = Pipeline::new(Arc::new(config.clone())).await.unwrap();
        run_all(&pipeline).await;
        let feeds = render_all(&pipeline, &config).await;

        // Merged: en's sport story held back by its source, the ad by the
        // output, 足球 by zh's source; titles cleaned.
        let merged = titles_of(&feeds, None);
        assert_eq!(
            merged,
            [
                "Cup final goes to penalties",
                "Port strike ends after 12 days",
                "人力资源社会保障部：切实关心激励表彰疫情防控人员",
                "铝产业高质量发展实施方案发布",
            ],
            "{label}"
        );
        // The group's own keep rules apply to its feed only.
        assert_eq!(
            titles_of(&feeds, Some("zh")),
            [
                "人力资源社会保障部：切实关心激励表彰疫情防控人员",
                "铝产业高质量发展实施方案发布",
            ],
            "{label}"
        );
        assert_eq!(
            titles_of(&feeds, Some("en")),
            [
                "Cup final goes to penalties",
                "Port strike ends after 12 days"
            ],
            "{label}"
        );
        // The cup final shown is copy's alone: en's held copy was not folded
        // into it, so it names no other source; display names and original
        // titles ride along.
        for (group, format, _, body) in &feeds {
            assert!(
                !body.contains("Sponsored") && !body.contains("足球"),
                "{label} {group:?} {format:?}"
            );
            if group.is_none() {
                assert!(
                    body.contains("BREAKING: Port strike ends after 12 days - Reuters"),
                    "{label} {format:?}: the original title is kept in metadata"
                );
                assert!(
                    body.contains("Harbour Wire English") && body.contains("Copy Desk"),
                    "{label} {format:?}: display names"
                );
            }
        }
        let json = &feeds
            .iter()
            .find(|(g, f, ..)| g.is_none() && *f == Format::Json)
            .unwrap()
            .3;
        let json: serde_json::Value = serde_json::from_str(json).unwrap();
        let cup = json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"] == "Cup final goes to penalties")
            .unwrap();
        assert_eq!(cup["_feedfold"]["source"], "copy", "{label}");
        assert_eq!(cup["_feedfold"]["source_title"], "Copy Desk", "{label}");
        assert_eq!(
            cup["_feedfold"]["also_reported_by"],
            serde_json::json!([]),
            "{label}"
        );

        // explain names the rule, for the merged feed and for a group.
        let cfg = path.to_str().unwrap();
        let (code, out, err) = feedfold(&["explain", "-c", cfg, "en:en-2"]);
        assert_eq!(code, 0, "{label}: {err}");
        assert!(
            out.contains("filters: not in any feed: dropped by source \"en\": drop rule \"category:^sport$\" matched its category"),
            "{label}: {out}"
        );
        let (_, out, _) = feedfold(&["explain", "-c", cfg, "en:en-3"]);
        assert!(
            out.contains("dropped by output: drop rule \"title:^sponsored\" matched its title"),
            "{label}: {out}"
        );
        let (_, out, _) = feedfold(&["explain", "-c", cfg, "zh:zh-1"]);
        assert!(out.contains("filters: shown"), "{label}: {out}");
        let (_, out, _) = feedfold(&["explain", "-c", cfg, "zh:zh-2"]);
        assert!(
            out.contains("drop rule \"足球\" matched its title"),
            "{label}: {out}"
        );

        // status and OPML show display names: the config's title, else the
        // feed's own (stored on fetch), else the name.
        let (_, status, err) = feedfold(&["status", "-c", cfg, "--json"]);
        let titles: Vec<(String, String)> = status
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|v| {
                (
                    v["source"].as_str().unwrap().into(),
                    v["title"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            titles,
            [
                ("copy".into(), "Copy Desk".into()),
                ("en".into(), "Harbour Wire English".into()),
                ("zh".into(), "新华网".into()),
            ],
            "{label}: {err}"
        );
        let (_, opml, _) = feedfold(&["opml", "export", "-c", cfg]);
        assert!(
            opml.contains("text=\"新华网\"") && opml.contains("feedfold:name=\"zh\""),
            "{label}: {opml}"
        );

        // Rules changed: en's sport rule gone, zh now drops 铝, titles not
        // cleaned. Old entries follow without a new fetch.
        let changed = config_file(dir.path(), &db, &server, "", "\"铝\"", false);
        let feeds = render_all(&pipeline, &changed).await;
        let merged = titles_of(&feeds, None);
        assert_eq!(
            merged,
            [
                "(聚焦疫情防控)人力资源社会保障部：切实关心激励表彰疫情防控人员",
                "BREAKING: Port strike ends after 12 days - Reuters",
                // en's copy, let through now: a story of its own, as it was
                // never compared with copy's.
                "Cup final goes to penalties",
                "Cup final goes to penalties",
                "温州足球联赛开幕",
            ],
            "{label}"
        );
        for (_, format, _, body) in &feeds {
            assert!(
                !body.contains("original-title") && !body.contains("original_title"),
                "{label} {format:?}"
            );
        }
        // A re-fetch keeps them so.
        let pipeline = Pipeline::new(Arc::new(changed.clone())).await.unwrap();
        run_all(&pipeline).await;
        assert_eq!(
            titles_of(&render_all(&pipeline, &changed).await, None),
            merged,
            "{label}"
        );
        pipeline.store().close().await;
        db.cleanup().await;
    }
}

#[test]
fn check_and_run_refuse_a_bad_regex_with_its_source_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let sources = source(
        "hn",
        "https://example.org/hn.xml",
        "title = \"Hacker News\"\ndrop = [\"ok\", \"title:(体育\"]",
    );
    let path = write_config(dir.path(), &db.url, &sources);
    let cfg = path.to_str().unwrap();
    let line = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("drop = "))
        .unwrap()
        + 1;
    let expected = format!(
        "{cfg}:{line}:15: source \"hn\": drop rule: bad regular expression \"title:(体育\": "
    );
    for args in [vec!["check", "-c", cfg], vec!["run", "-c", cfg]] {
        let (code, out, err) = feedfold(&args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(err.contains(&expected), "{args:?}: {err}");
        assert!(err.contains("unclosed group"), "{args:?}: {err}");
    }
}
