//! Site templates in the daemon (issue 14): feed bodies that carry each
//! site's chrome (navigation rows, footers) fold by their stories, not by
//! their chromes; what is learnt is stored, so a new pipeline on the same
//! database (a restart, or another daemon) strips a lone new page at once.
//! A loopback server, real SQLite files and real PostgreSQL.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{Fixture, FixtureServer, TestDb, rss, source, story_text, write_config};
use feedfold::config::Config;
use feedfold::daemon::Pipeline;
use feedfold::dedup::template::Templates;
use feedfold::store::Store;

/// A site's chrome: two short navigation rows and six long footer lines
/// (prose-length, so they must be seen on three pages), about as many
/// words as a story.
fn chrome(site: u64) -> (Vec<String>, Vec<String>) {
    let words: Vec<String> = story_text(1_000 + site)
        .split(' ')
        .map(str::to_owned)
        .collect();
    let header = vec![
        format!("Home | World | Business | {}", words[0]),
        format!("Sign in | Subscribe | {} {}", words[1], words[2]),
    ];
    let footer = words[3..3 + 6 * 18]
        .chunks(18)
        .map(|c| c.join(" "))
        .collect();
    (header, footer)
}

/// A story's body on `site`: its chrome around the story's text, a line
/// (paragraph) per twenty words.
fn body(site: u64, story: u64) -> String {
    let (header, footer) = chrome(site);
    let text = story_text(story);
    let words: Vec<&str> = text.split(' ').collect();
    let story_lines: Vec<String> = words.chunks(20).map(|c| c.join(" ")).collect();
    let lines = header.iter().chain(&story_lines).chain(&footer);
    let html: String = lines.map(|l| format!("<p>{l}</p>")).collect();
    format!("<![CDATA[{html}]]>")
}

/// `(guid, title, link, body)` of story `story` on `site`.
fn item(site: u64, story: u64) -> (String, String, String, String) {
    (
        format!("s{site}-{story}"),
        format!("Story number {story}"),
        format!("https://site{site}.example.org/{story}"),
        body(site, story),
    )
}

fn feed(items: &[(String, String, String, String)]) -> Fixture {
    let items: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|(g, t, l, b)| (g.as_str(), t.as_str(), l.as_str(), b.as_str()))
        .collect();
    Fixture::feed(rss("site", &items))
}

async fn pipeline(dir: &std::path::Path, db: &TestDb, server: &FixtureServer) -> Pipeline {
    let sources =
        source("site1", &server.url("one.xml"), "") + &source("site2", &server.url("two.xml"), "");
    let config = Arc::new(Config::load(&write_config(dir, &db.url, &sources)).unwrap());
    Pipeline::new(config).await.unwrap()
}

async fn fetch_both(pipeline: &Pipeline) {
    for name in ["site1", "site2"] {
        let outcome = pipeline.run_source(name).await;
        outcome.result.unwrap();
    }
}

/// Stories as sets of `source:guid`.
async fn stories(store: &Store) -> BTreeSet<BTreeSet<String>> {
    store
        .recent_stories(0, 1000, None)
        .await
        .unwrap()
        .into_iter()
        .map(|s| {
            s.copies
                .iter()
                .map(|c| format!("{}:{}", c.source, c.guid))
                .collect()
        })
        .filter(|members: &BTreeSet<String>| !members.is_empty())
        .collect()
}

fn set(members: &[&str]) -> BTreeSet<String> {
    members.iter().map(|m| (*m).to_owned()).collect()
}

/// Pages the store counted for the first footer line of `site`'s chrome.
async fn footer_pages(store: &Store, site: u64, name: &str) -> u32 {
    let (_, footer) = chrome(site);
    let key = Templates::default().page_keys(&footer[0])[0];
    let now = chrono::Utc::now().timestamp();
    let learnt = store.site_template(name, now).await.unwrap();
    learnt
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(0, |&(_, pages)| pages)
}

#[tokio::test]
async fn chrome_leaves_the_fingerprint_and_the_template_survives_a_restart() {
    let server = FixtureServer::start().await;
    for db in TestDb::all().await {
        let label = db.label;
        let dir = tempfile::tempdir().unwrap();
        // Story 7 on both sites; 11 and 12 only on site 1, 21 and 22 only on site 2.
        let mut one = vec![item(1, 7), item(1, 11), item(1, 12)];
        let mut two = vec![item(2, 7), item(2, 21), item(2, 22)];
        server.set("one.xml", feed(&one));
        server.set("two.xml", feed(&two));

        let first = pipeline(dir.path(), &db, &server).await;
        fetch_both(&first).await;
        let expected: BTreeSet<_> = [
            set(&["site1:s1-7", "site2:s2-7"]),
            set(&["site1:s1-11"]),
            set(&["site1:s1-12"]),
            set(&["site2:s2-21"]),
            set(&["site2:s2-22"]),
        ]
        .into();
        assert_eq!(
            stories(first.store()).await,
            expected,
            "{label}: first pass"
        );
        assert_eq!(footer_pages(first.store(), 1, "site1").await, 3, "{label}");
        assert_eq!(footer_pages(first.store(), 2, "site2").await, 3, "{label}");
        // Fetching the same items again counts nothing again.
        fetch_both(&first).await;
        assert_eq!(footer_pages(first.store(), 1, "site1").await, 3, "{label}");
        assert_eq!(stories(first.store()).await, expected, "{label}: re-fetch");
        first.store().close().await;
        drop(first);

        // A restart: a new pipeline on the same database. Story 30 comes to
        // each site alone; its one new page per site learns its chrome on
        // one page only, so only the stored template can strip it.
        one.push(item(1, 30));
        two.push(item(2, 30));
        server.set("one.xml", feed(&one));
        server.set("two.xml", feed(&two));
        let second = pipeline(dir.path(), &db, &server).await;
        fetch_both(&second).await;
        let mut expected = expected;
        expected.insert(set(&["site1:s1-30", "site2:s2-30"]));
        assert_eq!(
            stories(second.store()).await,
            expected,
            "{label}: after restart"
        );
        // `explain` says how many lines left the text before fingerprinting:
        // the two navigation rows and six footer lines.
        for member in ["site1:s1-30", "site2:s2-30", "site1:s1-11"] {
            let entry = second.store().find_entries(member).await.unwrap()[0];
            let explained = second.store().explain(entry).await.unwrap();
            assert_eq!(
                explained.decisions[0].template_lines,
                Some(8),
                "{label}: {member}"
            );
        }
        // The new page was counted once, the stored ones not again.
        assert_eq!(footer_pages(second.store(), 1, "site1").await, 4, "{label}");
        assert_eq!(footer_pages(second.store(), 2, "site2").await, 4, "{label}");
        second.store().close().await;
        drop(second);
        db.cleanup().await;
    }
}

/// The published body of each story, by source.
async fn published(store: &Store, config: &Config) -> Vec<(String, String)> {
    feedfold::publish::load_items(store, config, None, chrono::Utc::now())
        .await
        .unwrap()
        .into_iter()
        .map(|item| (item.source, item.content_html))
        .collect()
}

#[tokio::test]
async fn published_bodies_leave_the_site_chrome_out_and_stored_text_keeps_it() {
    let server = FixtureServer::start().await;
    for db in TestDb::all().await {
        let label = db.label;
        let dir = tempfile::tempdir().unwrap();
        // Four pages of site 1 teach its chrome (published bodies need a
        // short line on three, a prose-length one on four); site 2's two
        // pages are too few: one story run twice must not lose anything.
        let one = [item(1, 11), item(1, 12), item(1, 13), item(1, 14)];
        server.set("one.xml", feed(&one));
        server.set("two.xml", feed(&[item(2, 21), item(2, 22)]));
        let pipeline = pipeline(dir.path(), &db, &server).await;
        fetch_both(&pipeline).await;
        let config = pipeline.config();
        let bodies = published(pipeline.store(), config).await;
        assert_eq!(bodies.len(), 6, "{label}");
        for (source, html) in &bodies {
            let site = if source == "site1" { 1 } else { 2 };
            let (header, footer) = chrome(site);
            for line in header.iter().chain(&footer) {
                assert_eq!(
                    html.contains(line.as_str()),
                    site == 2,
                    "{label}: {source} {line}"
                );
            }
            // The story's own paragraphs all stay.
            assert_eq!(
                html.matches("<p>").count(),
                if site == 1 { 6 } else { 14 },
                "{label}: {html}"
            );
        }
        // The stored copy keeps what it came with.
        let stored = pipeline.store().recent_stories(0, 100, None).await.unwrap();
        let (_, footer) = chrome(1);
        let kept = stored
            .iter()
            .flat_map(|s| &s.copies)
            .filter(|c| c.source == "site1")
            .all(|c| {
                let body = c.content.as_deref().or(c.summary.as_deref());
                body.is_some_and(|b| b.contains(&footer[5]))
            });
        assert!(kept, "{label}: stored text lost its chrome");
        // Turned off, the chrome is published as it came.
        let mut off = (**config).clone();
        off.output.cut_site_templates = false;
        for (_, html) in published(pipeline.store(), &off).await {
            assert!(html.contains("Home | World | Business"), "{label}: {html}");
        }
        pipeline.store().close().await;
        drop(pipeline);
        db.cleanup().await;
    }
}
