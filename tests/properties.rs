//! Property tests (issue 8, "lose nothing, crash on nothing"): laws that must
//! hold for every input, checked on generated ones. Case counts are kept
//! moderate so `cargo test` stays fast; `PROPTEST_CASES=10000 cargo test
//! --test properties` runs a longer sweep.

mod common;

use std::collections::BTreeSet;

use feedfold::dedup::normalize::fold;
use feedfold::dedup::{BandIndex, Fingerprint, Fingerprinter, TitleRules, canonical_url};
use feedfold::publish::{FeedMeta, Format, Item, render};
use feedfold::source::{Enclosure, strip_control};
use feedfold::store::{StoryCopy, StoryRecord};
use proptest::prelude::*;

/// `default` cases, or `PROPTEST_CASES` when set (for a longer sweep of the
/// slower properties too).
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

// ---------------------------------------------------------------- strategies

/// Characters that stress text handling: ASCII (punctuation included), CJK
/// ideographs, kana, Hangul syllables and conjoining jamo (which compose under
/// NFKC), full-width forms, combining marks, general punctuation, C0/C1
/// controls, and anything at all.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range(' ', '~'),
        2 => proptest::char::range('\u{4e00}', '\u{9fff}'),
        1 => proptest::char::range('\u{3040}', '\u{30ff}'),
        1 => proptest::char::range('\u{ac00}', '\u{d7a3}'),
        1 => proptest::char::range('\u{1100}', '\u{11ff}'),
        1 => proptest::char::range('\u{ff01}', '\u{ffef}'),
        1 => proptest::char::range('\u{0300}', '\u{036f}'),
        1 => proptest::char::range('\u{2000}', '\u{206f}'),
        1 => proptest::char::range('\u{3000}', '\u{303f}'),
        1 => proptest::char::range('\u{0}', '\u{1f}'),
        1 => proptest::char::range('\u{80}', '\u{9f}'),
        1 => Just('\u{fffe}'),
        2 => any::<char>(),
    ]
}

fn tricky_string(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(tricky_char(), 0..max).prop_map(|c| c.into_iter().collect())
}

/// Long English-like text: `n` words from a small vocabulary, so shingles
/// repeat as they do in prose.
fn prose(words: std::ops::Range<usize>) -> impl Strategy<Value = Vec<String>> {
    const VOCAB: &[&str] = &[
        "the",
        "storm",
        "ferry",
        "minister",
        "said",
        "on",
        "Wednesday",
        "port",
        "strike",
        "ends",
        "council",
        "vote",
        "北京",
        "疫情防控",
        "人员",
        "表彰",
        "workers",
        "coast",
        "warning",
        "amber",
        "wind",
        "islands",
        "cancelled",
        "Reuters",
        "report",
        "城市",
        "新闻",
    ];
    proptest::collection::vec(proptest::sample::select(VOCAB), words)
        .prop_map(|w| w.into_iter().map(str::to_owned).collect())
}

/// Host names: ASCII labels in mixed case, IDN labels, IPv4 addresses.
fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        // A label starting `xn--` is punycode, which random letters are not:
        // such a host is invalid, and every URL parser rejects it.
        4 => proptest::collection::vec("[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?", 1..4)
            .prop_filter("not a punycode label", |labels| {
                labels.iter().all(|l| !l.to_ascii_lowercase().starts_with("xn--"))
            })
            .prop_map(|labels| format!("{}.{}", labels.join("."), "Example.ORG")),
        1 => "[新闻例子]{1,4}".prop_map(|l| format!("{l}.example.cn")),
        1 => (any::<u8>(), any::<u8>(), any::<u8>(), 1u8..255)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
    ]
}

/// Query parameters, tracking ones (`utm_*`, `fbclid`, …) included, with
/// characters that need percent-encoding.
fn query_param() -> impl Strategy<Value = (String, String)> {
    let key = prop_oneof![
        3 => "[a-zA-Z][a-zA-Z0-9_]{0,6}",
        2 => "(utm|UTM|Utm)_[a-z]{1,8}",
        1 => proptest::sample::select(vec!["fbclid", "gclid", "SPM", "mc_cid", "igshid"])
            .prop_map(str::to_owned),
        1 => "[a-z%+ 中]{1,6}",
    ];
    let value = "[a-zA-Z0-9 %+&=中/?.-]{0,8}";
    (key, value)
}

/// Absolute http(s) URLs: scheme in any case, optional userinfo-free port,
/// paths with dot segments and non-ASCII, queries, fragments.
fn http_url() -> impl Strategy<Value = String> {
    // Spelled out: `(?i:…)` also matches the long s (ſ), which is no scheme.
    let scheme = "[hH][tT][tT][pP][sS]?";
    let port = prop_oneof![
        3 => Just(String::new()),
        1 => Just(":80".to_owned()),
        1 => Just(":443".to_owned()),
        1 => (1u16..65535).prop_map(|p| format!(":{p}")),
    ];
    let path = proptest::collection::vec(
        "([a-zA-Z0-9_.~-]{1,8}|\\.|\\.\\.|新闻|%[0-9A-F]{2}| )",
        0..5,
    )
    .prop_map(|segments| format!("/{}", segments.join("/")));
    let query = proptest::option::of(proptest::collection::vec(query_param(), 0..5));
    let fragment = proptest::option::of("[a-zA-Z0-9#?中 ]{0,6}");
    (scheme, host(), port, path, query, fragment).prop_map(
        |(scheme, host, port, path, query, fragment)| {
            let mut url = format!("{scheme}://{host}{port}{path}");
            if let Some(params) = query {
                let pairs: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                url.push('?');
                url.push_str(&pairs.join("&"));
            }
            if let Some(fragment) = fragment {
                url.push('#');
                url.push_str(&fragment);
            }
            url
        },
    )
}

// ---------------------------------------------------------------- 1. simhash

proptest! {
    #[test]
    fn distance_is_a_metric(a in any::<u64>(), b in any::<u64>(), c in any::<u64>()) {
        let (a, b, c) = (Fingerprint(a), Fingerprint(b), Fingerprint(c));
        prop_assert_eq!(a.distance(a), 0);
        prop_assert_eq!(a.distance(b), b.distance(a));
        prop_assert!(a.distance(b) <= 64);
        prop_assert_eq!(a.distance(b) == 0, a == b);
        prop_assert!(a.distance(c) <= a.distance(b) + b.distance(c));
        prop_assert_eq!(Fingerprint::from_i64(a.to_i64()), a);
    }

    #[test]
    fn fingerprints_are_stable(
        title in tricky_string(40),
        body in tricky_string(300),
        other in tricky_string(100),
    ) {
        // Two instances, and one instance whose buffers were used before:
        // stored fingerprints must not depend on either.
        let mut fresh = Fingerprinter::default();
        let mut used = Fingerprinter::default();
        used.story(&other, &other);
        prop_assert_eq!(fresh.story(&title, &body), used.story(&title, &body));
        prop_assert_eq!(fresh.text(&body), used.text(&body));
        // Longer text grows the buffers; what they held must not leak into
        // the next, shorter one.
        used.text(&format!("{other} {body} {other}"));
        prop_assert_eq!(used.text(&body), Fingerprinter::default().text(&body));
    }

    #[test]
    fn fingerprints_ignore_case_spacing_and_punctuation(words in prose(0..200)) {
        // Folding maps these to one form, so the fingerprint cannot differ.
        let plain = words.join(" ");
        let noisy = words
            .iter()
            .enumerate()
            .map(|(i, w)| if i % 3 == 0 { w.to_uppercase() } else { w.clone() })
            .collect::<Vec<_>>()
            .join(" ,  — \n");
        let mut f = Fingerprinter::default();
        prop_assert_eq!(f.text(&plain), f.text(&noisy));
        // A story without a title is its body.
        prop_assert_eq!(f.story("", &plain), f.text(&plain));
    }
}

// ---------------------------------------------------------------- 2. band index

/// A set of fingerprints near a few centres (uniform random ones would never
/// be within `k` of each other), and queries near the same centres.
fn clustered(max: usize) -> impl Strategy<Value = (u32, Vec<u64>, Vec<u64>)> {
    (0u32..=31, proptest::collection::vec(any::<u64>(), 1..4)).prop_flat_map(move |(k, centres)| {
        let near = {
            let centres = centres.clone();
            move || {
                (
                    proptest::sample::select(centres.clone()),
                    proptest::collection::vec(0u32..64, 0..(k as usize + 4)),
                )
                    .prop_map(|(c, bits)| bits.iter().fold(c, |fp, b| fp ^ (1 << b)))
            }
        };
        let fps = prop_oneof![
            3 => near(),
            1 => any::<u64>(),
        ];
        (
            Just(k),
            proptest::collection::vec(fps, 0..max),
            proptest::collection::vec(near(), 1..8),
        )
    })
}

fn brute_force(items: &[(u64, u32)], query: u64, k: u32) -> BTreeSet<(u32, u32)> {
    items
        .iter()
        .map(|&(fp, id)| (id, (fp ^ query).count_ones()))
        .filter(|&(_, d)| d <= k)
        .collect()
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn band_index_finds_exactly_what_brute_force_finds(
        (k, fps, queries) in clustered(1500),
        split in 0usize..1500,
    ) {
        let items: Vec<(u64, u32)> = fps.iter().enumerate().map(|(i, &fp)| (fp, i as u32)).collect();
        // Part built in one pass, part inserted (pending, or rebuilt once
        // more than 1024 wait), so both lookup paths are exercised.
        let split = split.min(items.len());
        let mut index = BandIndex::from_items(k, items[..split].iter().copied());
        for &(fp, id) in &items[split..] {
            index.insert(fp, id);
        }
        prop_assert_eq!(index.len(), items.len());
        for &q in &queries {
            let expected = brute_force(&items, q, k);
            let found = index.query(q);
            let found_set: BTreeSet<(u32, u32)> = found.iter().copied().collect();
            prop_assert_eq!(found.len(), found_set.len(), "each id once");
            prop_assert_eq!(&found_set, &expected);
            let nearest = expected.iter().map(|&(id, d)| (d, id)).min().map(|(d, id)| (id, d));
            prop_assert_eq!(index.nearest(q), nearest);
        }
        // Dropping entries keeps the rest findable.
        index.retain(|_, id| id % 2 == 0);
        let kept: Vec<(u64, u32)> = items.iter().copied().filter(|&(_, id)| id % 2 == 0).collect();
        for &q in &queries {
            let found: BTreeSet<(u32, u32)> = index.query(q).into_iter().collect();
            prop_assert_eq!(found, brute_force(&kept, q, k));
        }
    }
}

/// Like [`clustered`], at the distances a config is likely to use (the
/// default is 10), with fewer fingerprints (each case fills a database), and
/// with planted neighbours at the edge of the distance.
fn clustered_at_usual_distances() -> impl Strategy<Value = (u32, Vec<u64>, Vec<u64>)> {
    (
        proptest::sample::select(vec![1u32, 3, 6, 10]),
        proptest::collection::vec(any::<u64>(), 1..4),
    )
        .prop_flat_map(|(k, centres)| {
            let near = move || {
                (
                    proptest::sample::select(centres.clone()),
                    proptest::collection::vec(0u32..64, 0..(k as usize + 4)),
                )
                    .prop_map(|(c, bits)| bits.iter().fold(c, |fp, b| fp ^ (1 << b)))
            };
            let fps = prop_oneof![3 => near(), 1 => any::<u64>()];
            (
                Just(k),
                proptest::collection::vec(fps, 0..200),
                proptest::collection::vec((near(), any::<bool>()), 1..6),
            )
        })
        .prop_map(|(k, mut stored, queries)| {
            // Some queries get a neighbour at exactly `k` bits, spread evenly
            // over the four blocks: the hardest case for a band lookup,
            // which finds it only through a block within the probe radius.
            let spread = (0..k).fold(0u64, |m, j| m | 1 << ((j % 4) * 16 + j / 4));
            stored.extend(
                queries
                    .iter()
                    .filter(|(_, plant)| *plant)
                    .map(|(q, _)| q ^ spread),
            );
            (k, stored, queries.into_iter().map(|(q, _)| q).collect())
        })
}

/// An entry whose only evidence is its fingerprint: no link, so nothing but
/// the band lookup can match it. Its title is its number, so a decision's
/// matched entry leads back to the fingerprint.
fn fingerprinted(n: usize, fingerprint: u64, at: i64) -> feedfold::store::Incoming {
    feedfold::store::Incoming {
        entry: feedfold::source::Entry {
            id: format!("e{n}"),
            url: None,
            title: n.to_string(),
            author: None,
            published: chrono::DateTime::from_timestamp(at, 0),
            summary: None,
            content: Some("x".into()),
            enclosures: Vec::new(),
            categories: Vec::new(),
        },
        simhash: Some(feedfold::dedup::Simhash {
            fingerprint: Fingerprint(fingerprint),
            features: 1000,
        }),
        traits: same_text(),
        held: false,
    }
}

/// One text's sketch for every entry: each candidate verifies, so what is
/// tested is that the lookup finds every candidate within the radius. The
/// text has a single shingle, fewer keys than shared-shingle candidates
/// need, so the radius alone offers candidates.
fn same_text() -> feedfold::dedup::Traits {
    let mut fingerprinter = feedfold::dedup::Fingerprinter::default();
    fingerprinter.story("", "same text here");
    let traits = fingerprinter.traits();
    assert_eq!(traits.sketch.as_ref().map(|s| s.hashes().len()), Some(1));
    traits
}

/// Stores `stored` under one source at time `at`, then each query alone as
/// the next entry, and checks each query's decision against brute force over
/// everything stored before it: joined the nearest within `k` (at that
/// distance), or started a story when nothing is within `k`.
async fn lookup_agrees_with_brute_force(
    store: &feedfold::store::Store,
    source: &str,
    (k, stored, queries): (u32, &[u64], &[u64]),
    at: i64,
    now: i64,
) -> Result<(), TestCaseError> {
    let fail = |e: feedfold::store::StoreError| TestCaseError::fail(e.to_string());
    let options = feedfold::dedup::MatchOptions {
        distance: k,
        ..Default::default()
    };
    let id = store.source_state(source).await.map_err(fail)?.id;
    let mut fps: Vec<u64> = stored.to_vec();
    let items: Vec<_> = fps
        .iter()
        .enumerate()
        .map(|(n, &fp)| fingerprinted(n, fp, at))
        .collect();
    store
        .ingest(id, source, &items, now, options)
        .await
        .map_err(fail)?;
    for &query in queries {
        let n = fps.len();
        let items = [fingerprinted(n, query, at)];
        store
            .ingest(id, source, &items, now, options)
            .await
            .map_err(fail)?;
        let entry = store
            .find_entries(&format!("{source}:e{n}"))
            .await
            .map_err(fail)?;
        let decision = store
            .explain(entry[0])
            .await
            .map_err(fail)?
            .decisions
            .remove(0);
        let nearest = fps
            .iter()
            .map(|fp| (fp ^ query).count_ones())
            .filter(|&d| d <= k)
            .min();
        let context = format!("{source}: query {query:016x} at k={k}, {n} stored");
        match nearest {
            None => prop_assert_eq!(decision.rule.as_str(), "new", "{}", context),
            Some(d) => {
                prop_assert_eq!(decision.rule.as_str(), "verified", "{}", context);
                prop_assert_eq!(decision.distance, Some(i64::from(d)), "{}", context);
                let matched: usize = decision.matched.expect("a match").title.parse().unwrap();
                prop_assert_eq!((fps[matched] ^ query).count_ones(), d, "{}", context);
            }
        }
        fps.push(query);
    }
    Ok(())
}

/// The law on a fresh store at `url`, both ways the store answers: for
/// items older than the in-memory copy reaches back (their window loaded
/// into it) and for recent items.
async fn store_agrees_with_brute_force(
    url: &str,
    (k, stored, queries): &(u32, Vec<u64>, Vec<u64>),
) -> Result<(), TestCaseError> {
    let store = feedfold::store::Store::open(url).await.unwrap();
    let record = |name: &str| feedfold::store::SourceRecord {
        name: name.into(),
        url: format!("https://{name}.example.org/feed.xml"),
        priority: 0,
        groups: Vec::new(),
        enabled: true,
    };
    store
        .sync_sources(&[record("old"), record("recent")])
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    let case = (*k, &stored[..], &queries[..]);
    // 30 days back is beyond the copy's reach (two 7-day windows and a day),
    // and beyond one window of the recent items.
    let old = lookup_agrees_with_brute_force(&store, "old", case, now - 30 * 86_400, now).await;
    let recent = lookup_agrees_with_brute_force(&store, "recent", case, now - 60, now).await;
    store.close().await;
    old.and(recent)
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

proptest! {
    #![proptest_config(cases(24))]

    #[test]
    fn the_stores_lookup_finds_what_brute_force_finds(case in clustered_at_usual_distances()) {
        block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("law.db").display());
            store_agrees_with_brute_force(&url, &case).await
        })?;
    }
}

/// The same law on PostgreSQL, each case in a fresh database (fewer cases:
/// each creates and drops one).
#[test]
fn the_stores_lookup_finds_what_brute_force_finds_on_postgres() {
    if std::env::var("FEEDFOLD_TEST_POSTGRES").is_err() {
        common::postgres_skipped();
        return;
    }
    let mut runner = proptest::test_runner::TestRunner::new(cases(8));
    let result = runner.run(&clustered_at_usual_distances(), |case| {
        block_on(async {
            let db = common::TestDb::postgres().await.expect("configured");
            let result = store_agrees_with_brute_force(&db.url, &case).await;
            db.cleanup().await;
            result
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------- 3. normalisation

proptest! {
    #[test]
    fn folding_is_idempotent(text in tricky_string(80)) {
        let once = fold(&text);
        prop_assert_eq!(fold(&once), once.clone());
        prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
    }

    #[test]
    fn folding_is_idempotent_on_any_string(text in any::<String>()) {
        let once = fold(&text);
        prop_assert_eq!(fold(&once), once);
    }

    #[test]
    fn title_cleaning_is_idempotent(
        label in proptest::sample::select(vec!["", "(聚焦疫情防控)", "【独家】", "独家|", "UPDATE: ", "BREAKING: "]),
        title in tricky_string(40),
        site in proptest::sample::select(vec!["", " - Reuters", " | 新华网", "_新浪新闻"]),
    ) {
        let rules = TitleRules::default();
        let once = rules.clean(&format!("{label}{title}{site}"));
        prop_assert_eq!(rules.clean(&once), once);
    }
}

// ---------------------------------------------------------------- 4. canonical URLs

proptest! {
    #[test]
    fn canonical_urls_are_idempotent(raw in http_url()) {
        // The generator makes absolute http(s) URLs only: each has a
        // canonical form.
        let once = canonical_url(&raw)
            .ok_or_else(|| TestCaseError::fail(format!("{raw} rejected")))?;
        prop_assert_eq!(canonical_url(&once), Some(once.clone()), "from {}", raw);
        let parsed = url::Url::parse(&once).expect("canonical form parses");
        prop_assert!(parsed.fragment().is_none());
        for (key, _) in parsed.query_pairs() {
            let key = key.to_ascii_lowercase();
            prop_assert!(!key.starts_with("utm_") && key != "fbclid" && key != "gclid", "{}", once);
        }
    }

    #[test]
    fn scheme_and_host_case_do_not_matter(raw in http_url()) {
        let once = canonical_url(&raw)
            .ok_or_else(|| TestCaseError::fail(format!("{raw} rejected")))?;
        let parsed = url::Url::parse(&once).expect("canonical form parses");
        let host = parsed.host_str().unwrap_or_default();
        let shouted = once.replacen(host, &host.to_ascii_uppercase(), 1).replacen("http", "HTTP", 1);
        prop_assert_eq!(canonical_url(&shouted), Some(once));
        // And the raw spelling, however it was cased, lands on the same form.
        let (scheme, rest) = raw.split_once("://").expect("generated with a scheme");
        let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
        let lowered = format!("{}://{}{path}", scheme.to_ascii_lowercase(), authority.to_lowercase());
        prop_assert_eq!(canonical_url(&lowered), canonical_url(&raw), "from {}", raw);
    }
}

// ---------------------------------------------------------------- 5. feed round trip

fn copy() -> impl Strategy<Value = StoryCopy> {
    (
        "[a-z]{1,6}",
        0i64..10,
        tricky_string(60),
        proptest::option::of(http_url()),
        proptest::option::of(tricky_string(20)),
        proptest::option::of(tricky_string(120)),
        proptest::option::of(tricky_string(200)),
        0i64..4_000_000_000,
        (
            proptest::collection::vec(http_url(), 0..3),
            proptest::collection::vec(tricky_string(20), 0..3),
        ),
    )
        .prop_map(
            |(source, priority, title, url, author, summary, content, published, (files, tags))| {
                StoryCopy {
                    guid: format!("{source}-{published}"),
                    source_title: None,
                    source,
                    priority,
                    url: url.and_then(|u| canonical_url(&u)),
                    title,
                    author,
                    summary,
                    content,
                    published,
                    enclosures: files
                        .into_iter()
                        .map(|url| Enclosure {
                            url,
                            mime: Some("audio/mpeg".into()),
                            length: Some(1),
                        })
                        .collect(),
                    categories: tags,
                }
            },
        )
}

fn story() -> impl Strategy<Value = StoryRecord> {
    (
        any::<u64>(),
        0i64..4_000_000_000,
        proptest::collection::vec(copy(), 1..3),
    )
        .prop_map(|(key, published, copies)| StoryRecord {
            key: format!("{key:016x}"),
            published,
            updated: published,
            copies,
        })
}

/// What a reader should see as the title: the publisher documents that
/// characters XML cannot carry are dropped; feed readers trim whitespace.
fn expected_title(title: &str) -> String {
    strip_control(title.to_owned()).trim().to_owned()
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn every_item_comes_back_through_feed_rs(stories in proptest::collection::vec(story(), 0..6)) {
        let items: Vec<Item> = stories
            .iter()
            .filter_map(|s| Item::from_story(s, feedfold::dedup::DEFAULT_RULES))
            .collect();
        let meta = FeedMeta {
            title: "merged".into(),
            base_url: url::Url::parse("http://127.0.0.1:8080/").expect("static URL"),
            group: None,
            hub: None,
        };
        for format in Format::ALL {
            let doc = render(format, &meta, &items).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let feed = feed_rs::parser::parse(doc.body.as_bytes())
                .map_err(|e| TestCaseError::fail(format!("{format:?}: {e}\n{}", doc.body)))?;
            prop_assert_eq!(feed.entries.len(), items.len(), "{:?}", format);
            for (entry, item) in feed.entries.iter().zip(&items) {
                prop_assert_eq!(&entry.id, &item.id, "{:?}", format);
                let title = entry.title.as_ref().map(|t| t.content.trim().to_owned()).unwrap_or_default();
                prop_assert_eq!(title, expected_title(&item.title), "{:?}", format);
                let link = entry
                    .links
                    .iter()
                    .find(|l| l.rel.as_deref() != Some("enclosure"))
                    .map(|l| l.href.clone());
                prop_assert_eq!(link, item.url.clone(), "{:?}", format);
                let terms: Vec<String> = entry.categories.iter().map(|c| c.term.clone()).collect();
                prop_assert_eq!(&terms, &item.categories, "{:?}", format);
            }
        }
    }
}
