//! Issue 14, item 3: the same set of entries gives the same stories, the
//! same story times and the same representative copies whatever order they
//! arrive in, through the real store on SQLite and (with
//! `FEEDFOLD_TEST_POSTGRES`) PostgreSQL.
//!
//! The fixture holds the cases that made arrival order matter: a chain
//! whose ends are too far apart to match but are bridged by the middle
//! copy, a bridge through a shared link on one side and a fingerprint on
//! the other, an entry equidistant from two stories, copies that tie on
//! every representative rule, and copies whose earliest one arrives last.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::DateTime;
use common::TestDb;
use feedfold::dedup::{DEFAULT_RULES, Fingerprint, MatchOptions, Simhash};
use feedfold::publish::Item;
use feedfold::source::Entry;
use feedfold::store::{Incoming, SourceRecord, Store};

const NOW: i64 = 1_795_300_000;
const T0: i64 = NOW - 86_400;

/// One entry of the fixture: source, GUID, link, fingerprint, published
/// (offset from `T0`), body length.
struct Spec {
    source: &'static str,
    guid: &'static str,
    url: &'static str,
    fingerprint: u64,
    published: i64,
    body: usize,
}

const X: u64 = 0x0123_4567_89ab_cdef;
const Y: u64 = 0xfedc_ba98_7654_3210;
const Z: u64 = 0x5555_5555_5555_5555;
const K: u64 = 0x3333_3333_3333_3333;
const W: u64 = 0x0f0f_0f0f_0f0f_0f0f;

#[rustfmt::skip]
const FIXTURE: &[Spec] = &[
    // A chain: a–b 8 bits, b–c 8 bits, a–c 16 bits (> the distance of 10).
    Spec { source: "s1", guid: "a", url: "https://one.example/a", fingerprint: 0, published: 10, body: 300 },
    Spec { source: "s2", guid: "b", url: "https://two.example/b", fingerprint: 0xff, published: 20, body: 300 },
    Spec { source: "s3", guid: "c", url: "https://three.example/c", fingerprint: 0xffff, published: 30, body: 300 },
    // Unrelated.
    Spec { source: "s1", guid: "d", url: "https://one.example/d", fingerprint: 0xffff_0000_0000, published: 40, body: 200 },
    // e and g share a link but not their text; f is a copy of g's text under another link.
    Spec { source: "s2", guid: "e", url: "https://wire.example/story?utm_source=x", fingerprint: X, published: 50, body: 400 },
    Spec { source: "s3", guid: "f", url: "https://three.example/f", fingerprint: Y ^ 0b111, published: 60, body: 410 },
    Spec { source: "s4", guid: "g", url: "https://wire.example/story", fingerprint: Y, published: 70, body: 390 },
    // Three copies that tie on priority, length and time.
    Spec { source: "s4", guid: "h", url: "https://four.example/h", fingerprint: Z, published: 80, body: 500 },
    Spec { source: "s2", guid: "i", url: "https://two.example/i", fingerprint: Z ^ 1, published: 80, body: 500 },
    Spec { source: "s3", guid: "j", url: "https://three.example/j", fingerprint: Z ^ 2, published: 80, body: 500 },
    // The earliest copy may arrive last: the story starts at its time.
    Spec { source: "s1", guid: "k", url: "https://one.example/k", fingerprint: K, published: 500, body: 100 },
    Spec { source: "s4", guid: "l", url: "https://four.example/l", fingerprint: K ^ 0b1011, published: 90, body: 100 },
    // q is 7 bits from r and from s, which are 14 bits apart.
    Spec { source: "s2", guid: "q", url: "https://two.example/q", fingerprint: W ^ 0x7f, published: 100, body: 250 },
    Spec { source: "s1", guid: "r", url: "https://one.example/r", fingerprint: W, published: 110, body: 250 },
    Spec { source: "s3", guid: "s", url: "https://three.example/s", fingerprint: W ^ 0x3fff, published: 120, body: 250 },
];

/// The stories every order must end with.
const EXPECTED: &[&[&str]] = &[
    &["s1:a", "s2:b", "s3:c"],
    &["s1:d"],
    &["s2:e", "s3:f", "s4:g"],
    &["s2:i", "s3:j", "s4:h"],
    &["s1:k", "s4:l"],
    &["s1:r", "s2:q", "s3:s"],
];

fn incoming(spec: &Spec) -> Incoming {
    let text = "x".repeat(spec.body);
    Incoming {
        entry: Entry {
            id: spec.guid.into(),
            url: Some(spec.url.into()),
            title: format!("Title {}", spec.guid),
            author: None,
            published: DateTime::from_timestamp(T0 + spec.published, 0),
            summary: None,
            content: Some(text),
            enclosures: Vec::new(),
            categories: Vec::new(),
        },
        simhash: Some(Simhash {
            fingerprint: Fingerprint(spec.fingerprint),
            features: 100,
        }),
        traits: Default::default(),
        held: false,
    }
}

/// A small deterministic generator (xorshift64*), so a failing order can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// What must not depend on arrival order: each story as its members, with
/// its time and its representative copy.
type Outcome = BTreeMap<BTreeSet<String>, (i64, String)>;

/// Sources s1 to s4, by name.
async fn four_sources(store: &Store) -> std::collections::HashMap<String, i64> {
    let sources: Vec<SourceRecord> = ["s1", "s2", "s3", "s4"]
        .iter()
        .map(|name| SourceRecord {
            name: (*name).into(),
            url: format!("https://{name}.example.org/feed"),
            priority: 0,
            groups: Vec::new(),
            enabled: true,
        })
        .collect();
    store.sync_sources(&sources).await.unwrap()
}

/// Ingests the fixture in the order `seed` gives: one entry per ingest for
/// even seeds, one batch per source (in order of first appearance) for odd
/// ones, so both the stored and the in-batch paths are taken.
async fn run(store: &Store, seed: u64) -> Outcome {
    let ids = four_sources(store).await;
    let mut order: Vec<&Spec> = FIXTURE.iter().collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x1000_0001));
    rng.shuffle(&mut order);
    let mut batches: Vec<(&str, Vec<Incoming>)> = Vec::new();
    for spec in order {
        match batches.iter_mut().find(|(s, _)| *s == spec.source) {
            Some((_, items)) if seed % 2 == 1 => items.push(incoming(spec)),
            _ => batches.push((spec.source, vec![incoming(spec)])),
        }
    }
    for (step, (source, items)) in batches.iter().enumerate() {
        store
            .ingest(
                ids[*source],
                source,
                items,
                NOW + step as i64,
                MatchOptions::default(),
            )
            .await
            .unwrap();
    }
    let stories = store.recent_stories(0, 1000, None).await.unwrap();
    stories
        .iter()
        .map(|story| {
            let members = story
                .copies
                .iter()
                .map(|c| format!("{}:{}", c.source, c.guid))
                .collect();
            let item = Item::from_story(story, DEFAULT_RULES).unwrap();
            (members, (story.published, item.title))
        })
        .collect()
}

#[tokio::test]
async fn arrival_order_does_not_change_stories_or_representatives() {
    let mut failures = Vec::new();
    for seed in 0..8u64 {
        for db in TestDb::all().await {
            let store = Store::open(&db.url)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", db.label));
            let outcome = run(&store, seed).await;
            let label = db.label;
            store.close().await;
            db.cleanup().await;

            let stories: BTreeSet<BTreeSet<String>> = outcome.keys().cloned().collect();
            let expected: BTreeSet<BTreeSet<String>> = EXPECTED
                .iter()
                .map(|s| s.iter().map(|m| m.to_string()).collect())
                .collect();
            if stories != expected {
                failures.push(format!("{label}, order {seed}: stories {stories:?}"));
            }
            let summary: BTreeMap<String, (i64, String)> = outcome
                .iter()
                .map(|(members, v)| (members.iter().next().unwrap().clone(), v.clone()))
                .collect();
            // Ties on every rule go to the smallest (source, GUID); a story
            // starts when its earliest copy was published.
            let want = |first: &str, published: i64, title: &str| {
                (first.to_string(), (T0 + published, title.to_string()))
            };
            let expected: BTreeMap<String, (i64, String)> = [
                want("s1:a", 10, "Title a"),
                want("s1:d", 40, "Title d"),
                want("s2:e", 50, "Title f"),
                want("s2:i", 80, "Title i"),
                want("s1:k", 90, "Title l"),
                want("s1:r", 100, "Title q"),
            ]
            .into_iter()
            .collect();
            if summary != expected {
                failures.push(format!(
                    "{label}, order {seed}: story times and representatives {summary:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The stories as sets of `source:guid`, by key.
async fn stories(store: &Store) -> BTreeMap<String, BTreeSet<String>> {
    let stories = store.recent_stories(0, 1000, None).await.unwrap();
    stories
        .into_iter()
        .map(|s| {
            let members = s
                .copies
                .iter()
                .map(|c| format!("{}:{}", c.source, c.guid))
                .collect();
            (s.key, members)
        })
        .collect()
}

#[tokio::test]
async fn a_bridge_merges_into_the_older_story_and_explain_says_so() {
    for db in TestDb::all().await {
        let store = Store::open(&db.url).await.unwrap();
        let label = db.label;
        let record = |name: &str| SourceRecord {
            name: name.into(),
            url: format!("https://{name}.example.org/feed"),
            priority: 0,
            groups: Vec::new(),
            enabled: true,
        };
        let ids = store
            .sync_sources(&[record("s1"), record("s2"), record("s3")])
            .await
            .unwrap();
        let by_guid = |guid: &str| FIXTURE.iter().find(|s| s.guid == guid).unwrap();
        let ingest = |source: &'static str, guid: &'static str, step: i64| {
            let store = store.clone();
            let id = ids[source];
            async move {
                store
                    .ingest(
                        id,
                        source,
                        &[incoming(by_guid(guid))],
                        NOW + step,
                        MatchOptions::default(),
                    )
                    .await
                    .unwrap()
            }
        };
        // c (published at 30) arrives before a (at 10): two stories.
        ingest("s3", "c", 0).await;
        ingest("s1", "a", 1).await;
        let before = stories(&store).await;
        assert_eq!(before.len(), 2, "{label}");
        let key_of = |map: &BTreeMap<String, BTreeSet<String>>, member: &str| {
            map.iter()
                .find(|(_, m)| m.contains(member))
                .map(|(k, _)| k.clone())
                .unwrap()
        };
        let (a_key, c_key) = (key_of(&before, "s1:a"), key_of(&before, "s3:c"));
        // b bridges them: one story, under the key of a's, which started first.
        let report = ingest("s2", "b", 2).await;
        assert_eq!((report.new, report.merged_stories), (1, 1), "{label}");
        let after = stories(&store).await;
        let all: BTreeSet<String> = ["s1:a", "s2:b", "s3:c"].map(String::from).into();
        assert_eq!(after, BTreeMap::from([(a_key.clone(), all)]), "{label}");
        // The absorbed story's empty row takes no place in a feed's limit.
        let newest = store.recent_stories(0, 1, None).await.unwrap();
        assert_eq!(newest.len(), 1, "{label}");
        assert_eq!(newest[0].copies.len(), 3, "{label}");
        // c's old key still finds the story, and explain shows the merge.
        let found = store
            .find_entries(&format!("tag:feedfold,2026:story/{c_key}"))
            .await
            .unwrap();
        assert_eq!(found.len(), 3, "{label}");
        let c = store.find_entries("s3:c").await.unwrap()[0];
        let explained = store.explain(c).await.unwrap();
        assert_eq!(explained.story, a_key, "{label}");
        let rules: Vec<&str> = explained
            .decisions
            .iter()
            .map(|d| d.rule.as_str())
            .collect();
        assert_eq!(rules, ["new", "merge"], "{label}");
        let bridge = explained.decisions[1].matched.as_ref().unwrap();
        assert_eq!(bridge.title, "Title b", "{label}");

        // A story the user split out is never merged back.
        store.split(c, NOW + 3).await.unwrap();
        ingest("s3", "s", 4).await;
        ingest("s1", "r", 5).await;
        let r = store.find_entries("s1:r").await.unwrap()[0];
        store.split(r, NOW + 6).await.unwrap();
        ingest("s2", "q", 7).await;
        let last = stories(&store).await;
        let sets: BTreeSet<BTreeSet<String>> = last.into_values().collect();
        let want: BTreeSet<BTreeSet<String>> = [
            vec!["s1:a", "s2:b"],
            vec!["s3:c"],
            vec!["s1:r"],
            vec!["s2:q", "s3:s"],
        ]
        .into_iter()
        .map(|s| s.into_iter().map(String::from).collect())
        .collect();
        assert_eq!(sets, want, "{label}");
        store.close().await;
        db.cleanup().await;
    }
}

/// Real texts, fingerprinted and sketched as the daemon does, so both
/// stages decide: wire copies with edits, a teaser, a copy inside a site's
/// chrome, a Traditional-script conversion, and unrelated stories.
const TEXTS: &[(&str, &str, &str, &str)] = &[
    ("s1", "port-1", "Port strike ends after 12 days", PORT),
    (
        "s2",
        "port-2",
        "UPDATE: Port strike ends after 12 days - Harbour Wire",
        PORT_EDITED,
    ),
    ("s3", "port-3", "Port strike ends", PORT_TEASER),
    (
        "s4",
        "port-4",
        "Port strike ends after 12 days | Coast News",
        PORT_IN_CHROME,
    ),
    (
        "s1",
        "zh-1",
        "人力资源社会保障部：切实关心激励表彰一线人员",
        ZH,
    ),
    (
        "s2",
        "zh-2",
        "人力資源社會保障部：切實關心激勵表彰一線人員",
        ZH_TRADITIONAL,
    ),
    (
        "s3",
        "ferry",
        "Ferry services suspended as storm brings gales",
        FERRY,
    ),
    ("s4", "library", "Library to open late on weekends", LIBRARY),
];

const PORT: &str = "Dock workers voted on Sunday night to accept a revised pay offer, ending a twelve-day strike that had left more than forty ships anchored offshore.\n\
    The union said the deal raises wages by six percent over two years and limits night shifts for crane drivers over fifty-five.\n\
    Exporters had warned that perishable cargo was spoiling in the summer heat, and supermarkets reported gaps on their shelves.\n\
    The port operator said the first ships would berth on Monday morning and that the backlog should clear within ten days.\n\
    Officials from the transport ministry, who brokered the final round of talks, welcomed the agreement and thanked both sides.";
const PORT_EDITED: &str = "HARBOUR CITY (Wire) - Dock workers voted on Sunday night to accept a revised pay offer, ending a twelve-day strike that had left more than forty ships anchored offshore.\n\
    The union said the deal raises wages by six percent over two years and limits night shifts for crane drivers over fifty-five.\n\
    Exporters had warned that perishable cargo was spoiling in the summer heat, and supermarkets reported gaps on their shelves.\n\
    The port operator said the first ships would dock on Monday morning and that the backlog should clear within ten days.\n\
    (Reporting by Sarah Young; Editing by David Milliken)";
const PORT_TEASER: &str = "Dock workers voted on Sunday night to accept a revised pay offer, ending a twelve-day strike that had left more than forty ships anchored offshore.\n\
    The union said the deal raises wages by six percent over two years and limits night shifts for crane drivers over fifty-five. Read more";
const PORT_IN_CHROME: &str = "Home | News | Sport | Weather | Business\n\
    Dock workers voted on Sunday night to accept a revised pay offer, ending a twelve-day strike that had left more than forty ships anchored offshore.\n\
    The union said the deal raises wages by six percent over two years and limits night shifts for crane drivers over fifty-five.\n\
    Exporters had warned that perishable cargo was spoiling in the summer heat, and supermarkets reported gaps on their shelves.\n\
    The port operator said the first ships would berth on Monday morning and that the backlog should clear within ten days.\n\
    Officials from the transport ministry, who brokered the final round of talks, welcomed the agreement and thanked both sides.\n\
    Most read: Council votes on bus lanes; Festival returns to the harbour; Weekend weather";
const ZH: &str = "人力资源社会保障部日前印发通知，要求各地人力资源社会保障部门切实关心关爱奋战在一线的医务人员和基层工作人员。\n\
    通知提出，要及时足额发放临时性工作补助，合理安排轮换休息，对表现突出的人员及时给予表彰奖励。\n\
    各地要加强督促检查，确保各项政策措施落到实处，让一线人员切实感受到关心关爱。";
const ZH_TRADITIONAL: &str = "人力資源社會保障部日前印發通知，要求各地人力資源社會保障部門切實關心關愛奮戰在一線的醫務人員和基層工作人員。\n\
    通知提出，要及時足額發放臨時性工作補助，合理安排輪換休息，對表現突出的人員及時給予表彰獎勵。\n\
    各地要加強督促檢查，確保各項政策措施落到實處，讓一線人員切實感受到關心關愛。";
const FERRY: &str = "All ferry crossings to the islands were cancelled on Tuesday as gales reached the coast, stranding hundreds of travellers.\n\
    Islanders were told to stock up on fuel and food before the weekend, and a hospital transfer was made by helicopter instead of the morning boat.\n\
    The operator said its vessels would stay in harbour until the swell eased, which forecasters expect by Sunday evening.";
const LIBRARY: &str = "The central library will stay open until ten at night on Saturdays and Sundays from next month, the council said.\n\
    Students had petitioned for longer hours during the exam season, and extra staff will be paid from a community services grant.\n\
    A review of visitor numbers is planned after six months, and the reading rooms on the second floor will become quiet study areas.";

#[tokio::test]
async fn verified_copies_fold_the_same_whatever_the_order() {
    let expected: BTreeSet<BTreeSet<String>> = [
        &["s1:port-1", "s2:port-2", "s3:port-3", "s4:port-4"][..],
        &["s1:zh-1", "s2:zh-2"],
        &["s3:ferry"],
        &["s4:library"],
    ]
    .iter()
    .map(|s| s.iter().map(|m| m.to_string()).collect())
    .collect();
    let mut failures = Vec::new();
    for seed in 0..8u64 {
        for db in TestDb::all().await {
            let store = Store::open(&db.url).await.unwrap();
            let ids = four_sources(&store).await;
            let mut order: Vec<usize> = (0..TEXTS.len()).collect();
            Rng(0x2545_f491_4f6c_dd1d ^ seed.wrapping_mul(0x1000_0001)).shuffle(&mut order);
            for (step, &i) in order.iter().enumerate() {
                let (source, guid, title, text) = TEXTS[i];
                let entry = Entry {
                    id: guid.into(),
                    url: Some(format!("https://{source}.example.org/{guid}")),
                    title: title.into(),
                    author: None,
                    published: DateTime::from_timestamp(T0 + 60 * i as i64, 0),
                    enclosures: Vec::new(),
                    categories: Vec::new(),
                    summary: None,
                    content: Some(text.replace('\n', "<br>")),
                };
                let items = feedfold::daemon::fingerprint_entries(vec![entry], Default::default());
                let now = NOW + step as i64;
                let options = MatchOptions::default();
                store
                    .ingest(ids[source], source, &items, now, options)
                    .await
                    .unwrap();
            }
            let found: BTreeSet<BTreeSet<String>> = stories(&store).await.into_values().collect();
            if found != expected {
                failures.push(format!("{}, order {seed}: {found:?}", db.label));
            }
            store.close().await;
            db.cleanup().await;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
