//! Related coverage in the store (issue 20): after `feedfold fetch`, two
//! write-ups of one earthquake on two sites list each other in every feed
//! format, another earthquake and unrelated stories do not; `explain` says
//! why; `split --event` undoes it for good; `events.enabled = false` turns
//! it off everywhere. A loopback server, the real binary, real SQLite files
//! and real PostgreSQL.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Fixture, FixtureServer, TestDb, output_text, source, write_config};

const QUAKE_A: &str = "A magnitude 6.4 earthquake struck the coastal province of Banten early on \
    Tuesday, collapsing dozens of houses in the town of Pandeglang and killing at least seven \
    people, the national disaster agency said. Rescuers searched rubble through the morning \
    while aftershocks rattled the region and schools stayed closed.";
const QUAKE_B: &str = "Rescue teams in Pandeglang dug through collapsed houses after Tuesday's \
    magnitude 6.4 earthquake in Banten province, which the disaster agency said killed seven \
    people. Aftershocks kept residents outdoors and the province closed its schools for the day \
    while engineers inspected bridges.";
const QUAKE_C: &str = "A magnitude 5.1 earthquake shook the mountain district of Sumedang in West \
    Java on Monday, damaging a mosque and a market, officials said. No deaths were reported and \
    residents returned home by evening after the district government inspected damaged roads and \
    cleared landslides near the reservoir.";
const PORT: &str = "Dock workers at the container port voted to end their twelve-day strike after \
    the operator raised its pay offer. Ships waiting offshore began unloading on Thursday and \
    exporters said perishable cargo had spoiled during the stoppage at the terminal.";
const FILLER: [&str; 6] = [
    "The city council approved a budget that raises spending on libraries and parks next year, after a long debate about the cost of repairs to the old town hall and its roof.",
    "A new bridge across the river opened to traffic after three years of construction work, cutting the drive between the two market towns to a quarter of an hour.",
    "The football club confirmed the signing of a midfielder on a four-year contract, its third arrival of the summer before the league season starts in August.",
    "Heavy snow closed mountain passes and delayed trains across the northern region, and forecasters warned of more drifts and icy roads through the weekend.",
    "The central bank kept interest rates unchanged and said inflation was easing slowly, though food and energy prices remained well above last year's levels.",
    "A museum exhibition of medieval manuscripts drew record crowds over the holiday weekend, with queues stretching around the square on both days.",
];

/// An RSS document whose items were all published an hour ago.
fn feed(site: &str, items: &[(&str, &str, &str)]) -> Fixture {
    let date = (chrono::Utc::now() - chrono::TimeDelta::hours(1)).to_rfc2822();
    let mut out = format!(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>{site}</title><link>https://{site}.example/</link><description>d</description>\n"
    );
    for (guid, title, text) in items {
        out.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>https://{site}.example/{guid}</link><description>{text}</description><pubDate>{date}</pubDate></item>\n"
        ));
    }
    out.push_str("</channel></rss>\n");
    Fixture::feed(out)
}

async fn server() -> FixtureServer {
    let server = FixtureServer::start().await;
    // Each filler's first clause is its title.
    let filler = |prefix: &str, texts: &[&str]| -> Vec<(String, String, String)> {
        texts
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let title = f.split(',').next().unwrap_or(f);
                (format!("{prefix}{i}"), title.to_owned(), (*f).to_owned())
            })
            .collect()
    };
    let owned = |g: &str, t: &str, x: &str| (g.to_owned(), t.to_owned(), x.to_owned());
    let mut wire = vec![
        owned("quake", "Banten earthquake kills seven", QUAKE_A),
        owned("port", "Port strike ends", PORT),
    ];
    wire.extend(filler("f", &FILLER[..3]));
    let mut daily = vec![
        owned("banten", "Seven dead as quake hits Banten", QUAKE_B),
        owned("sumedang", "Quake damages mosque in Sumedang", QUAKE_C),
    ];
    daily.extend(filler("g", &FILLER[3..]));
    server.set("/wire.xml", feed_owned("wire", &wire));
    server.set("/daily.xml", feed_owned("daily", &daily));
    server
}

fn feed_owned(site: &str, items: &[(String, String, String)]) -> Fixture {
    let refs: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    feed(site, &refs)
}

fn feedfold(config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_feedfold"))
        .args(args)
        .arg("-c")
        .arg(config)
        .output()
        .unwrap()
}

/// `_feedfold.related` titles of the JSON Feed item titled `title`.
fn related_of(config: &Path, title: &str) -> Vec<String> {
    let out = feedfold(config, &["feed", "--format", "json"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let feed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let item = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == title)
        .unwrap_or_else(|| panic!("no item {title:?} in {feed}"));
    item["_feedfold"]["related"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|x| x["title"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn config(db: &TestDb, dir: &Path, server: &FixtureServer, extra: &str) -> PathBuf {
    let sources = format!(
        "{}{}{extra}",
        source("wire", &server.url("/wire.xml"), ""),
        source("daily", &server.url("/daily.xml"), "")
    );
    write_config(dir, &db.url, &sources)
}

/// The fixture feeds served, and a config for `db` reading them, in a
/// temp dir of its own.
struct Setup {
    server: FixtureServer,
    dir: tempfile::TempDir,
    config: PathBuf,
}

async fn setup(db: &TestDb) -> Setup {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let config = config(db, dir.path(), &server, "");
    Setup {
        server,
        dir,
        config,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_write_ups_of_one_event_list_each_other_and_split_undoes_it() {
    for db in TestDb::all().await {
        let fixture = setup(&db).await;
        let (server, config) = (&fixture.server, fixture.config.clone());
        let out = feedfold(&config, &["fetch"]);
        assert!(out.status.success(), "{}: {}", db.label, output_text(&out));
        assert!(
            output_text(&out).contains("related coverage: 2 of 10 recent stories in 1 event"),
            "{}: {}",
            db.label,
            output_text(&out)
        );
        let a = "Banten earthquake kills seven";
        let b = "Seven dead as quake hits Banten";
        assert_eq!(related_of(&config, a), vec![b.to_owned()], "{}", db.label);
        assert_eq!(related_of(&config, b), vec![a.to_owned()], "{}", db.label);
        for alone in ["Quake damages mosque in Sumedang", "Port strike ends"] {
            assert!(
                related_of(&config, alone).is_empty(),
                "{}: {alone}",
                db.label
            );
        }
        // Atom links it, RSS says it at the end of the description.
        let atom = output_text(&feedfold(&config, &["feed", "--format", "atom"]));
        assert!(
            atom.contains(r#"rel="related""#) && atom.contains("https://daily.example/banten"),
            "{}: {atom}",
            db.label
        );
        let rss = output_text(&feedfold(&config, &["feed", "--format", "rss"]));
        assert!(rss.contains("Related coverage:"), "{}: {rss}", db.label);

        // Why: the link, its figures and the shared terms, by name.
        let why = output_text(&feedfold(&config, &["explain", "wire:quake"]));
        assert!(why.contains("with 1 other story"), "{}: {why}", db.label);
        assert!(why.contains("shared terms: "), "{}: {why}", db.label);
        assert!(why.contains("banten 0."), "{}: {why}", db.label);
        let alone = output_text(&feedfold(&config, &["explain", "daily:sumedang"]));
        assert!(alone.contains("in no event"), "{}: {alone}", db.label);

        // Split: out for good, also after later passes.
        let out = feedfold(&config, &["split", "--event", "daily:banten"]);
        assert!(out.status.success(), "{}: {}", db.label, output_text(&out));
        assert!(
            output_text(&out).contains("was in an event with 1 other story"),
            "{}",
            output_text(&out)
        );
        assert!(related_of(&config, a).is_empty(), "{}", db.label);
        server.set(
            "/daily.xml",
            feed(
                "daily",
                &[
                    ("banten", b, QUAKE_B),
                    ("extra", "Trains delayed", FILLER[3]),
                ],
            ),
        );
        assert!(feedfold(&config, &["fetch"]).status.success());
        assert!(related_of(&config, a).is_empty(), "{}", db.label);
        let why = output_text(&feedfold(&config, &["explain", "daily:banten"]));
        assert!(why.contains("split out of events"), "{}: {why}", db.label);
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_off_switch_shows_no_related_coverage() {
    for db in TestDb::all().await {
        let fixture = setup(&db).await;
        let (server, dir, on) = (&fixture.server, fixture.dir.path(), fixture.config.clone());
        assert!(feedfold(&on, &["fetch"]).status.success());
        let a = "Banten earthquake kills seven";
        assert_eq!(related_of(&on, a).len(), 1, "{}", db.label);
        // The same store, events turned off: no feed lists what was found.
        let off = config(&db, dir, server, "\n[events]\nenabled = false\n");
        assert!(related_of(&off, a).is_empty(), "{}", db.label);
        let why = output_text(&feedfold(&off, &["explain", "wire:quake"]));
        assert!(why.contains("events are off"), "{}: {why}", db.label);
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_finds_events_by_itself_and_serves_them() {
    for db in TestDb::all().await {
        let fixture = setup(&db).await;
        let config = fixture.config.clone();
        let daemon = common::daemon::Daemon::start(&config);
        let related = |entry: &feed_rs::model::Entry| {
            entry
                .links
                .iter()
                .filter(|l| l.rel.as_deref() == Some("related"))
                .map(|l| l.href.clone())
                .collect::<Vec<_>>()
        };
        let feed = daemon
            .feed_when(|f| f.entries.iter().any(|e| !related(e).is_empty()))
            .await;
        let linked: std::collections::BTreeMap<String, Vec<String>> = feed
            .entries
            .iter()
            .map(|e| {
                let title = e.title.as_ref().map(|t| t.content.clone());
                (title.unwrap_or_default(), related(e))
            })
            .filter(|(_, r)| !r.is_empty())
            .collect();
        let expected = [
            (
                "Seven dead as quake hits Banten",
                "https://wire.example/quake",
            ),
            (
                "Banten earthquake kills seven",
                "https://daily.example/banten",
            ),
        ]
        .map(|(t, u)| (t.to_owned(), vec![u.to_owned()]));
        assert_eq!(linked, expected.into_iter().collect(), "{}", db.label);
        // The page lists the second write-up under the first, not again.
        let page_url = daemon.feed_url.trim_end_matches("feed.atom").to_owned();
        let page = common::get_text(&page_url).await;
        assert!(page.contains("1 more report: "), "{}: {page}", db.label);
        let items = page.matches("<li>").count() + page.matches("<li ").count();
        assert_eq!(items, 9, "{}: {page}", db.label);
        let metrics = common::get_text(&format!("{page_url}metrics")).await;
        for line in [
            "feedfold_event_passes_total{result=\"ok\"}",
            "feedfold_stories_in_events 2",
        ] {
            assert!(metrics.contains(line), "{}: {line}: {metrics}", db.label);
        }
        daemon.stop();
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_a_story_takes_it_out_of_its_event() {
    for db in TestDb::all().await {
        let fixture = setup(&db).await;
        let config = fixture.config.clone();
        assert!(feedfold(&config, &["fetch"]).status.success());
        let a = "Banten earthquake kills seven";
        assert_eq!(related_of(&config, a).len(), 1, "{}", db.label);
        let out = feedfold(&config, &["prune", "--source", "daily"]);
        assert!(out.status.success(), "{}: {}", db.label, output_text(&out));
        // The row of the pruned story went with it; the story left behind
        // lists nothing and says it is in no event once a pass has run.
        assert!(related_of(&config, a).is_empty(), "{}", db.label);
        let why = output_text(&feedfold(&config, &["explain", "wire:quake"]));
        assert!(why.contains("in no event"), "{}: {why}", db.label);
        db.cleanup().await;
    }
}
