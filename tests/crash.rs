//! Crash consistency: `feedfold run` over a loopback server with a few
//! hundred feeds is killed with SIGKILL at random moments (mid-fetch,
//! mid-transaction, mid-publish) and restarted, again and again, while the
//! feeds keep growing. Afterwards every entry the server ever served is
//! stored exactly once, every published story id still means the story it
//! first meant, no story holds an item twice, and SQLite's integrity check
//! passes. The feeds carry ETags, so a feed whose validator was recorded is
//! never downloaded again: what a kill lost stays lost, and the checks see it.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::{Fixture, FixtureServer, rss, source, write_config};

const FEEDS: usize = 200;
const STORIES: usize = 90;
const ROUNDS: usize = 20;

/// The stories feed `feed` carries at `generation`: every feed grows by a
/// few stories per round, and each story is carried by several feeds.
fn stories(feed: usize, generation: usize) -> Vec<usize> {
    (0..STORIES)
        .filter(|s| (s + feed) % 7 < 2 && *s < 20 + generation * 4)
        .collect()
}

/// Words for stories that do not look alike (copies of one story fold
/// together; different stories must not).
const WORDS: &[&str] = &[
    "harbour",
    "council",
    "budget",
    "ferry",
    "strike",
    "glacier",
    "orchard",
    "festival",
    "bridge",
    "election",
    "hospital",
    "museum",
    "railway",
    "drought",
    "vaccine",
    "satellite",
    "library",
    "tunnel",
    "wildfire",
    "stadium",
    "airport",
    "refinery",
    "vineyard",
    "lighthouse",
    "canal",
    "tariff",
    "pension",
    "reactor",
    "monsoon",
    "census",
    "opera",
    "mine",
    "quarry",
    "telescope",
    "marathon",
    "cathedral",
    "border",
    "subway",
    "dam",
    "orchestra",
    "garrison",
    "harvest",
];

/// `n` words chosen by `story`: different stories share few word pairs.
fn words(story: usize, n: usize, salt: u64) -> String {
    let mut random = Lcg(story as u64 * 7919 + salt);
    (0..n)
        .map(|_| WORDS[random.below(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

fn title(story: usize) -> String {
    format!("Story {story}: {}", words(story, 6, 1))
}

fn description(story: usize) -> String {
    format!("{}. {}.", words(story, 25, 2), words(story, 25, 3))
}

/// One feed at one generation, as the server serves it.
fn feed_document(feed: usize, generation: usize) -> String {
    let items: Vec<(String, String, String, String)> = stories(feed, generation)
        .into_iter()
        .map(|s| {
            (
                format!("f{feed}-s{s}"),
                title(s),
                format!("https://news.example.org/story/{s}"),
                description(s),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|(g, t, l, d)| (g.as_str(), t.as_str(), l.as_str(), d.as_str()))
        .collect();
    rss(&format!("Feed {feed}"), &borrowed)
}

/// The validator feed `feed` carries at `generation`.
fn etag(feed: usize, generation: usize) -> String {
    format!("\"f{feed}-g{generation}\"")
}

/// Serves every feed at `generation`, with an ETag, so a daemon that stored
/// the validator answers the next request for the same document with a 304
/// and never sees its entries again.
fn serve_generation(server: &FixtureServer, generation: usize) {
    for feed in 0..FEEDS {
        server.set(
            &format!("f{feed}.xml"),
            Fixture::feed(feed_document(feed, generation)).with_etag(&etag(feed, generation)),
        );
    }
}

/// Per source: its stored ETag and its stored GUIDs.
async fn stored_by_source(
    database_url: &str,
) -> HashMap<String, (Option<String>, HashSet<String>)> {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect(database_url)
        .await
        .unwrap();
    let sources: Vec<(String, Option<String>)> = sqlx::query_as("SELECT name, etag FROM sources")
        .fetch_all(&pool)
        .await
        .unwrap();
    let entries: Vec<(String, String)> =
        sqlx::query_as("SELECT s.name, e.guid FROM entries e JOIN sources s ON s.id = e.source_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    let mut by_source: HashMap<String, (Option<String>, HashSet<String>)> = sources
        .into_iter()
        .map(|(name, etag)| (name, (etag, HashSet::new())))
        .collect();
    for (name, guid) in entries {
        by_source.entry(name).or_default().1.insert(guid);
    }
    by_source
}

/// Feeds whose validator for `generation` is stored.
async fn recorded(database_url: &str, generation: usize) -> usize {
    let stored = stored_by_source(database_url).await;
    (0..FEEDS)
        .filter(|&f| {
            stored.get(&format!("f{f}")).and_then(|(e, _)| e.as_deref())
                == Some(etag(f, generation).as_str())
        })
        .count()
}

/// The GUIDs feed `feed` serves at `generation`.
fn guids(feed: usize, generation: usize) -> HashSet<String> {
    stories(feed, generation)
        .into_iter()
        .map(|s| format!("f{feed}-s{s}"))
        .collect()
}

/// A small deterministic generator, so a failing run can be repeated.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Entries stored so far (0 before the first migration).
async fn count_entries(database_url: &str) -> usize {
    let Ok(pool) = sqlx::sqlite::SqlitePoolOptions::new()
        .connect(database_url)
        .await
    else {
        return 0;
    };
    let count: Result<(i64,), _> = sqlx::query_as("SELECT COUNT(*) FROM entries")
        .fetch_one(&pool)
        .await;
    pool.close().await;
    count.map_or(0, |(n,)| n as usize)
}

/// Story number of a published item, from its title.
fn story_of(title: &str) -> Option<usize> {
    title
        .strip_prefix("Story ")?
        .split(':')
        .next()?
        .parse()
        .ok()
}

/// Published item ids and the story each means, from an Atom document.
fn published(body: &[u8]) -> Option<HashMap<String, usize>> {
    let feed = feed_rs::parser::parse(body).ok()?;
    Some(
        feed.entries
            .iter()
            .filter_map(|e| Some((e.id.clone(), story_of(&e.title.as_ref()?.content)?)))
            .collect(),
    )
}

/// Checks that every id seen before still means the same story.
fn remember(seen: &mut HashMap<String, usize>, now: &HashMap<String, usize>, when: &str) {
    for (id, story) in now {
        let first = *seen.entry(id.clone()).or_insert(*story);
        assert_eq!(first, *story, "{when}: published id {id} changed meaning");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_twenty_times_loses_and_duplicates_nothing() {
    let server = FixtureServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("crash.db");
    let database_url = format!("sqlite://{}", database.display());
    let sources: String = (0..FEEDS)
        .map(|f| source(&format!("f{f}"), &server.url(&format!("f{f}.xml")), ""))
        .collect();
    let path = write_config(dir.path(), &database_url, &sources);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("schedule = \"0 0 1 1 *\"", "schedule = \"* * * * * *\"")
        .replace("concurrency = 4", "concurrency = 16")
        .replace("[output]", "[output]\nitems = 5000");
    std::fs::write(&path, text).unwrap();

    let seed = 0x5eed_f00d;
    let mut random = Lcg(seed);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut generation = 0;
    // Rounds killed before the daemon had stored all it was served.
    let mut mid_ingest = 0;
    let mut tally = Vec::new();
    for round in 0..ROUNDS {
        // Feeds change every other round: in between, a restarted daemon
        // gets 304s for what it recorded before the kill.
        generation = round / 2;
        serve_generation(&server, generation);
        let daemon = Daemon::start(&path);
        let started = Instant::now();
        let until = started + Duration::from_millis(150 + random.below(1500));
        // The last kill waits until some feeds have recorded the last
        // generation too, so the checks before the clean pass have work to
        // look at however slow the machine is.
        let last = round + 1 == ROUNDS;
        while Instant::now() < until
            || (last && recorded(&database_url, generation).await < FEEDS / 10)
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "round {round}: the daemon recorded too little"
            );
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            if let Ok(response) = client.get(&daemon.feed_url).send().await
                && let Ok(body) = response.bytes().await
                && let Some(now) = published(&body)
            {
                remember(&mut seen, &now, &format!("round {round} (seed {seed:#x})"));
            }
            tokio::time::sleep(Duration::from_millis(random.below(200))).await;
        }
        drop(daemon); // SIGKILL
        let stored = count_entries(&database_url).await;
        let served: usize = (0..FEEDS).map(|f| stories(f, generation).len()).sum();
        if stored < served {
            mid_ingest += 1;
        }
        tally.push(format!("{stored}/{served}"));
    }

    // Before the clean pass: a source whose ETag for the last generation is
    // stored gets a 304 from here on, so its entries must all be stored
    // already; the clean pass cannot make up for a kill that lost them.
    let before = stored_by_source(&database_url).await;
    let mut validated = 0;
    for feed in 0..FEEDS {
        let (stored_etag, stored) = before.get(&format!("f{feed}")).cloned().unwrap_or_default();
        if stored_etag.as_deref() == Some(etag(feed, generation).as_str()) {
            validated += 1;
            assert_eq!(
                stored,
                guids(feed, generation),
                "f{feed}: the validator was stored without all of its entries"
            );
        }
    }
    assert!(
        validated > 0,
        "no feed's last generation was recorded before the clean pass; the test proves nothing"
    );
    let counts = |f: usize| {
        let path = format!("f{f}.xml");
        (server.hits(&path), server.not_modified(&path))
    };
    let counts_before: Vec<(u64, u64)> = (0..FEEDS).map(counts).collect();

    // One clean pass over the last generation, then the checks.
    let fetched = Command::new(env!("CARGO_BIN_EXE_feedfold"))
        .args(["fetch", "-c", path.to_str().unwrap()])
        .env("FEEDFOLD_LOG", "error")
        .output()
        .unwrap();
    assert!(fetched.status.success(), "{fetched:?}");
    // What a recorded validator covers is not downloaded again (a source
    // whose lease the killed daemon still held is skipped altogether).
    let mut answered_304 = 0;
    for (feed, (hits_before, not_modified_before)) in counts_before.into_iter().enumerate() {
        let (hits, not_modified) = counts(feed);
        let recorded = before
            .get(&format!("f{feed}"))
            .and_then(|(e, _)| e.as_deref())
            == Some(etag(feed, generation).as_str());
        let downloads = (hits - hits_before) - (not_modified - not_modified_before);
        if recorded {
            assert_eq!(downloads, 0, "f{feed} was downloaded again");
        }
        answered_304 += not_modified - not_modified_before;
    }
    let printed = Command::new(env!("CARGO_BIN_EXE_feedfold"))
        .args(["feed", "-c", path.to_str().unwrap()])
        .output()
        .unwrap();
    let last = published(&printed.stdout).expect("the final feed parses");
    remember(&mut seen, &last, "after the last restart");
    for id in seen.keys() {
        assert!(last.contains_key(id), "published id {id} disappeared");
    }
    let stories_served: HashSet<usize> = (0..FEEDS).flat_map(|f| stories(f, generation)).collect();
    let stories_published: HashSet<usize> = last.values().copied().collect();
    assert_eq!(stories_published, stories_served, "each story published");
    assert_eq!(
        last.len(),
        stories_served.len(),
        "each story published once"
    );

    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect(&database_url)
        .await
        .unwrap();
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT s.name, e.guid, e.story_id FROM entries e JOIN sources s ON s.id = e.source_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let served: HashSet<(String, String)> = (0..FEEDS)
        .flat_map(|f| {
            stories(f, generation)
                .into_iter()
                .map(move |s| (format!("f{f}"), format!("f{f}-s{s}")))
        })
        .collect();
    let stored: Vec<(String, String)> = rows
        .iter()
        .map(|(n, g, _)| (n.clone(), g.clone()))
        .collect();
    let unique: HashSet<(String, String)> = stored.iter().cloned().collect();
    assert_eq!(unique.len(), stored.len(), "an entry stored twice");
    assert_eq!(unique, served, "every served entry stored, nothing else");
    let mut per_story: HashMap<i64, HashSet<String>> = HashMap::new();
    for (_, guid, story) in &rows {
        assert!(
            per_story.entry(*story).or_default().insert(guid.clone()),
            "story {story} holds {guid} twice"
        );
    }
    let story_of_guid = |guid: &str| {
        guid.split("-s")
            .nth(1)
            .and_then(|s| s.parse::<usize>().ok())
    };
    for (story, guids) in &per_story {
        let meanings: HashSet<Option<usize>> = guids.iter().map(|g| story_of_guid(g)).collect();
        assert_eq!(
            meanings.len(),
            1,
            "story row {story} mixes stories: {guids:?}"
        );
    }
    let integrity: (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity.0, "ok");
    eprintln!(
        "{ROUNDS} kills (seed {seed:#x}), {mid_ingest} of them before the round's entries were all stored \
         (stored/served after each kill: {}); {validated} of {FEEDS} feeds recorded before the clean pass, \
         {answered_304} answered 304 in it: \
         {} entries in {} stories, {} published ids tracked",
        tally.join(" "),
        rows.len(),
        per_story.len(),
        seen.len()
    );
    assert!(
        mid_ingest > 0,
        "no kill landed mid-ingest; the test proves nothing"
    );
}
