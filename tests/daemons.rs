//! Three `feedfold run` processes sharing one database, against 300 loopback
//! feeds whose stories overlap: every feed is fetched exactly once per
//! scheduled time (checked once the first, slow runs that store everything
//! are over), all three daemons do some of the work, the stories fold into
//! the same clusters as a single `feedfold fetch` makes, and every daemon
//! serves the same feed under the same ETag.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::daemon::Daemon;
use common::{Fixture, FixtureServer, TestDb, rss, source, story_text, write_config};

const FEEDS: usize = 300;
const ITEMS: usize = 4;
/// Each story runs in `FEEDS * ITEMS / STORIES` = 10 feeds.
const STORIES: usize = 120;
/// The schedule's period, seconds.
const PERIOD: u64 = 10;
/// Scheduled times checked once the first fetch of everything is stored.
const SLOTS: u64 = 2;

/// The stories feed `f` carries.
fn stories_of(f: usize) -> impl Iterator<Item = usize> {
    (0..ITEMS).map(move |i| (f * ITEMS + i * 37) % STORIES)
}

/// Serves every feed; with `late`, feed 0 also carries a story of its own.
fn serve(server: &FixtureServer, late: bool) {
    for f in 0..FEEDS {
        let extra = (late && f == 0).then_some(STORIES);
        let items: Vec<(String, String, String, String)> = stories_of(f)
            .chain(extra)
            .map(|s| {
                (
                    format!("f{f}-s{s}"),
                    format!("Story {s} as every wire ran it"),
                    format!("https://site{f}.example.org/{s}"),
                    story_text(s as u64),
                )
            })
            .collect();
        let items: Vec<(&str, &str, &str, &str)> = items
            .iter()
            .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
            .collect();
        let body = rss(&format!("Feed {f}"), &items);
        server.set(
            &format!("f{f}.xml"),
            Fixture::feed(body).with_etag(&format!("\"f{f}-{late}\"")),
        );
    }
}

fn config(dir: &Path, server: &FixtureServer, database_url: &str, schedule: &str) -> String {
    let sources: String = (0..FEEDS)
        .map(|f| source(&format!("f{f}"), &server.url(&format!("f{f}.xml")), ""))
        .collect();
    let path = write_config(dir, database_url, &sources);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(
            "schedule = \"0 0 1 1 *\"",
            &format!("schedule = \"{schedule}\""),
        )
        .replace("concurrency = 4", "concurrency = 16")
        .replace("[output]", "[output]\nitems = 1000\nrefresh = \"1s\"");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Each story's copies, as `source/guid` sets: the clustering, whatever the
/// story ids.
async fn clusters(database_url: &str) -> BTreeSet<BTreeSet<String>> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(database_url).await.unwrap();
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT e.story_id, s.name, e.guid FROM entries e JOIN sources s ON s.id = e.source_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    let mut by_story: HashMap<i64, BTreeSet<String>> = HashMap::new();
    for (story, name, guid) in rows {
        by_story
            .entry(story)
            .or_default()
            .insert(format!("{name}/{guid}"));
    }
    by_story.into_values().collect()
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Waits until every feed's entries are stored (the first runs are slow:
/// they write everything), then returns the first scheduled time at least
/// three seconds later: from there on every run is a quick 304.
async fn settled(database_url: &str) -> u64 {
    let pool = sqlx::AnyPool::connect(database_url).await.unwrap();
    for _ in 0..600 {
        let stored: Result<i64, _> = sqlx::query_scalar("SELECT COUNT(*) FROM entries")
            .fetch_one(&pool)
            .await;
        if stored.is_ok_and(|n| n == (FEEDS * ITEMS) as i64) {
            pool.close().await;
            let ready = unix(SystemTime::now()) + 3;
            return ready + PERIOD - ready % PERIOD;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the daemons never stored every entry");
}

/// `feedfold_fetches_total` over every result, from a daemon's `/metrics`.
async fn fetches(daemon: &Daemon) -> Option<u64> {
    let url = daemon.feed_url.replace("feed.atom", "metrics");
    let text = reqwest::get(&url).await.ok()?.text().await.ok()?;
    let total = text
        .lines()
        .filter(|l| l.starts_with("feedfold_fetches_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>();
    Some(total as u64)
}

/// Requests on every feed since the single pass's first one.
fn requests(server: &FixtureServer) -> u64 {
    (0..FEEDS)
        .map(|f| server.request_times(&format!("f{f}.xml")).len() as u64 - 1)
        .sum()
}

/// Waits until every feed has been requested at or after `slot` (60 s at
/// most): the daemons have started that scheduled run everywhere.
async fn every_feed_fetched_in(server: &FixtureServer, slot: u64) {
    let started = Instant::now();
    loop {
        let waiting = (0..FEEDS)
            .filter(|f| {
                let times = server.request_times(&format!("f{f}.xml"));
                times.last().is_none_or(|t| unix(*t) < slot)
            })
            .count();
        if waiting == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{waiting} feeds never fetched in the slot at {slot}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until every daemon serves every story once, under one ETag (30 s at
/// most: each notices the others' writes on its next refresh); returns the
/// ETags served.
async fn one_feed_everywhere(daemons: &[Daemon], label: &str) -> BTreeSet<String> {
    let started = Instant::now();
    loop {
        let mut served = BTreeSet::new();
        let mut complete = true;
        for daemon in daemons {
            let response = reqwest::get(&daemon.feed_url).await.unwrap();
            let etag = response.headers()[reqwest::header::ETAG]
                .to_str()
                .unwrap()
                .to_owned();
            let feed = feed_rs::parser::parse(&response.bytes().await.unwrap()[..]).unwrap();
            complete &= feed.entries.len() == STORIES + 1;
            served.insert(etag);
        }
        if (complete && served.len() == 1) || started.elapsed() > Duration::from_secs(30) {
            assert!(complete, "{label}: every story, once, from every daemon");
            return served;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Fetches per daemon, once their sum is the requests the server answered
/// (30 s at most: a request is counted when its fetch is done): each request
/// was made by exactly one daemon.
async fn work_done(server: &FixtureServer, daemons: &[Daemon], label: &str) -> Vec<u64> {
    let started = Instant::now();
    loop {
        let asked = requests(server);
        let mut work = Vec::new();
        for daemon in daemons {
            let fetched = fetches(daemon).await;
            work.push(
                fetched.unwrap_or_else(|| panic!("{label}: a daemon died:\n{}", daemon.log())),
            );
        }
        if work.iter().sum::<u64>() == asked && requests(server) == asked {
            return work;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{label}: the daemons counted {work:?} fetches for {asked} requests"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_daemons_share_the_work_and_fold_like_one() {
    for db in TestDb::all().await {
        let label = db.label;
        let server = FixtureServer::start().await;
        serve(&server, false);

        // One process, one pass: the clustering to match.
        let single = tempfile::tempdir().unwrap();
        let single_db = format!("sqlite://{}", single.path().join("one.db").display());
        let path = config(single.path(), &server, &single_db, "0 0 1 1 *");
        let fetched = Command::new(env!("CARGO_BIN_EXE_feedfold"))
            .args(["fetch", "-c", &path])
            .env("FEEDFOLD_LOG", "error")
            .output()
            .unwrap();
        assert!(fetched.status.success(), "{fetched:?}");
        let expected = clusters(&single_db).await;
        assert_eq!(
            expected.len(),
            STORIES,
            "the single pass folds each story once"
        );
        let baseline: u64 = (0..FEEDS).map(|f| server.hits(&format!("f{f}.xml"))).sum();
        assert_eq!(baseline, FEEDS as u64);

        let shared = tempfile::tempdir().unwrap();
        let schedule = format!("*/{PERIOD} * * * * *");
        let path = config(shared.path(), &server, &db.url, &schedule);
        let daemons: Vec<Daemon> = (0..3).map(|_| Daemon::start(Path::new(&path))).collect();
        let first = settled(&db.url).await;
        // Between the two checked slots, one feed gains a story: one daemon
        // stores it, and the others must notice and publish it too.
        every_feed_fetched_in(&server, first).await;
        serve(&server, true);
        every_feed_fetched_in(&server, first + PERIOD).await;
        // Whichever daemon ingested what, each serves the same merged feed.
        let served = one_feed_everywhere(&daemons, label).await;
        assert_eq!(
            served.len(),
            1,
            "{label}: one ETag for one content: {served:?}"
        );
        let work = work_done(&server, &daemons, label).await;
        for daemon in daemons {
            assert!(daemon.stop().success(), "{label}: clean exit");
        }

        // The daemons ran on until they were stopped: only the checked slots
        // are complete.
        let end = first + SLOTS * PERIOD;
        let slots: Vec<u64> = (0..SLOTS).map(|i| first + i * PERIOD).collect();
        for f in 0..FEEDS {
            let runs: Vec<u64> = server
                .request_times(&format!("f{f}.xml"))
                .iter()
                .map(|t| unix(*t))
                .filter(|&t| first <= t && t < end)
                .map(|t| t - t % PERIOD)
                .collect();
            assert_eq!(runs, slots, "{label}: f{f} fetched once per scheduled time");
        }
        assert!(
            work.iter().all(|&n| n > 0),
            "{label}: every daemon took some of the work: {work:?}"
        );
        let mut expected = expected;
        expected.insert(BTreeSet::from([format!("f0/f0-s{STORIES}")]));
        assert_eq!(
            clusters(&db.url).await,
            expected,
            "{label}: the same clusters as one process makes"
        );
        eprintln!("{label}: fetches per daemon {work:?}");
        db.cleanup().await;
    }
}
