//! Feed parse speed: `source::feed::parse` (charset decoding, the date and
//! Atom 0.3 fixes, feed-rs, and normalising every item into an `Entry`:
//! plain-text titles, links, ids, xml:base, enclosures, categories) on
//!   - `podcast`: a generated 1.6 MB podcast RSS feed (iTunes tags, HTML show
//!     notes in both `description` and `content:encoded`, enclosures);
//!   - `zh-news`: a generated Chinese news RSS feed whose dates name no zone
//!     (so the date fix rewrites every one);
//!   - `feedparser-suite`: every well-formed document of feedparser's test
//!     suite in `../shared/corpora/feedparser` (when present), each parsed on
//!     its own, so per-document costs count.
//!
//! For the podcast feed it also times the parts alone: decoding, and
//! feed-rs's own parse of the decoded bytes, which bound the whole.
//! One thread; times are its CPU time (`support::Clock`), so a busy machine
//! slows them less than wall time would. The generated feeds and the list
//! of suite files go to `$BENCH_OUT` (default `target/bench-parse/`), where
//! `scripts/bench-parse.sh` has Python's feedparser read the same bytes.
//! `BENCH_ONLY=podcast` runs one measurement, for a profiler.

use std::path::{Path, PathBuf};
use std::time::Duration;

mod support;
use support::{Clock, Rng};

/// How long each measurement runs, in CPU seconds.
const MEASURE: Duration = Duration::from_secs(3);

fn main() {
    let out = std::env::var_os("BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-parse"));
    std::fs::create_dir_all(&out).expect("bench output dir");
    let corpora = std::env::var_os("FEEDFOLD_CORPORA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"));

    let podcast = podcast_feed(1_600_000);
    let chinese = chinese_feed(1_000_000);
    std::fs::write(out.join("podcast.xml"), &podcast).expect("write podcast.xml");
    std::fs::write(out.join("zh-news.xml"), &chinese).expect("write zh-news.xml");
    let suite = suite_files(&corpora.join("feedparser/wellformed"));
    let list: String = suite
        .iter()
        .map(|(p, _)| format!("{}\n", p.display()))
        .collect();
    std::fs::write(out.join("feedparser-suite.txt"), list).expect("write the suite list");

    let base = "https://podcast.example.org/feed.xml";
    let ct = Some("application/rss+xml");
    report("podcast", &[podcast.as_slice()], |doc| {
        entries(doc, ct, base)
    });
    let text = feedfold::text::charset::decode_xml(&podcast, ct, Some(base));
    report("podcast decode only", &[podcast.as_slice()], |doc| {
        feedfold::text::charset::decode_xml(doc, ct, Some(base)).len()
    });
    report("podcast feed-rs only", &[text.as_bytes()], |doc| {
        feed_rs::parser::Builder::new()
            .base_uri(Some(base))
            .build()
            .parse(doc)
            .map_or(0, |f| f.entries.len())
    });
    let base = "https://news.example.cn/rss.xml";
    report("zh-news", &[chinese.as_slice()], |doc| {
        entries(doc, ct, base)
    });
    if suite.is_empty() {
        println!(
            "feedparser-suite: skipped, no {}",
            corpora.join("feedparser").display()
        );
    } else {
        let docs: Vec<&[u8]> = suite.iter().map(|(_, b)| b.as_slice()).collect();
        report("feedparser-suite", &docs, |doc| {
            entries(doc, None, "https://example.org/feed")
        });
    }
}

/// Entries `feed::parse` reads from one document (0 when it refuses it).
fn entries(doc: &[u8], content_type: Option<&str>, base: &str) -> usize {
    feedfold::source::feed::parse(doc, content_type, base).map_or(0, |e| e.len())
}

/// Runs `parse` over every document, round after round, for [`MEASURE`] of
/// CPU time, and prints the throughput. `BENCH_ONLY=NAME` runs only the
/// measurements whose name is NAME (for a profiler).
fn report(name: &str, docs: &[&[u8]], parse: impl Fn(&[u8]) -> usize) {
    if std::env::var("BENCH_ONLY").is_ok_and(|only| only != name) {
        return;
    }
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    let mut items = 0;
    for doc in docs {
        items += parse(doc); // warm-up, and the item count
    }
    let clock = Clock::start();
    let mut rounds = 0usize;
    while clock.elapsed() < MEASURE {
        for doc in docs {
            std::hint::black_box(parse(doc));
        }
        rounds += 1;
    }
    let secs = clock.elapsed().as_secs_f64();
    let mb_s = (bytes * rounds) as f64 / secs / 1e6;
    println!(
        "{name}: {} docs, {bytes} bytes, {items} items, {rounds} rounds, {mb_s:.1} MB/s, {:.3} ms/round",
        docs.len(),
        secs * 1e3 / rounds as f64
    );
}

/// Every RSS/Atom/RDF document (`.xml`, `.rdf`) under `dir`, in path order.
fn suite_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "xml" || e == "rdf")
                && let Ok(bytes) = std::fs::read(&path)
            {
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    files
}

/// A sentence of `n` words from the support vocabulary.
fn sentence(rng: &mut Rng, n: usize) -> String {
    let words: Vec<&str> = (0..n).map(|_| rng.word()).collect();
    let mut s = words.join(" ");
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    s.push('.');
    s
}

/// Show notes as podcasts write them: paragraphs, a list of links with
/// timestamps, an `&amp;` or two.
fn show_notes(rng: &mut Rng, n: u64) -> String {
    let mut html = String::new();
    for _ in 0..4 {
        html.push_str(&format!(
            "<p>{} {}</p>\n",
            sentence(rng, 24),
            sentence(rng, 18)
        ));
    }
    html.push_str("<p><strong>In this episode:</strong></p>\n<ul>\n");
    for minute in 0..6 {
        html.push_str(&format!(
            "<li>({minute:02}:{:02}) <a href=\"https://podcast.example.org/notes/{n}/{minute}\">{} &amp; {}</a></li>\n",
            rng.next() % 60,
            rng.word(),
            rng.word()
        ));
    }
    html.push_str("</ul>\n<p>Support the show at <a href=\"https://podcast.example.org/support\">podcast.example.org/support</a>.</p>");
    html
}

/// A podcast RSS feed of at least `size` bytes.
fn podcast_feed(size: usize) -> Vec<u8> {
    let mut rng = Rng::new(16);
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>The Harbour Hour</title>
<link>https://podcast.example.org/</link>
<atom:link href="https://podcast.example.org/feed.xml" rel="self" type="application/rss+xml"/>
<description>Weekly news from the harbour, the council and the market.</description>
<language>en-us</language>
<itunes:author>Harbour Radio</itunes:author>
<itunes:image href="https://podcast.example.org/cover.jpg"/>
<itunes:category text="News"><itunes:category text="Politics"/></itunes:category>
<itunes:explicit>false</itunes:explicit>
"#,
    );
    let mut n = 0u64;
    while xml.len() < size {
        n += 1;
        let notes = show_notes(&mut rng, n);
        let day = 1 + n % 28;
        xml.push_str(&format!(
            r#"<item>
<title>Episode {n}: {}</title>
<link>https://podcast.example.org/episodes/{n}</link>
<guid isPermaLink="false">harbour-hour-episode-{n}</guid>
<pubDate>Tue, {day:02} Dec 2026 10:30:00 +0000</pubDate>
<description><![CDATA[{notes}]]></description>
<content:encoded><![CDATA[{notes}<p>{}</p>]]></content:encoded>
<enclosure url="https://cdn.example.org/harbour-hour/{n}.mp3" length="{}" type="audio/mpeg"/>
<itunes:author>Harbour Radio</itunes:author>
<itunes:duration>{:02}:{:02}:{:02}</itunes:duration>
<itunes:episode>{n}</itunes:episode>
<itunes:explicit>false</itunes:explicit>
<itunes:summary>{}</itunes:summary>
<category>News</category>
<category>{}</category>
</item>
"#,
            sentence(&mut rng, 6),
            sentence(&mut rng, 30),
            20_000_000 + rng.next() % 60_000_000,
            rng.next() % 2,
            rng.next() % 60,
            rng.next() % 60,
            sentence(&mut rng, 30),
            rng.word(),
        ));
    }
    xml.push_str("</channel>\n</rss>\n");
    xml.into_bytes()
}

/// Words of Chinese news text, for a generated feed in Chinese.
const ZH_WORDS: &[&str] = &[
    "人力资源",
    "社会保障部",
    "疫情防控",
    "表彰",
    "温州市",
    "铝产业",
    "政策",
    "发布会",
    "经济",
    "增长",
    "市场",
    "企业",
    "地方",
    "政府",
    "工作",
    "人员",
    "会议",
    "记者",
    "报道",
    "新闻",
    "发展",
    "改革",
    "教育",
    "医疗",
    "交通",
    "城市",
    "农村",
    "科技",
];

fn zh_sentence(rng: &mut Rng, n: usize) -> String {
    let mut s: String = (0..n)
        .map(|_| ZH_WORDS[(rng.next() % ZH_WORDS.len() as u64) as usize])
        .collect();
    s.push('。');
    s
}

/// A Chinese news RSS feed of at least `size` bytes, its dates without a zone.
fn chinese_feed(size: usize) -> Vec<u8> {
    let mut rng = Rng::new(8);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>新闻中心</title><link>https://news.example.cn/</link>\
         <description>要闻</description><language>zh-cn</language>\n",
    );
    let mut n = 0u64;
    while xml.len() < size {
        n += 1;
        let paragraphs: String = (0..5)
            .map(|_| {
                format!(
                    "<p>{}{}</p>",
                    zh_sentence(&mut rng, 12),
                    zh_sentence(&mut rng, 9)
                )
            })
            .collect();
        xml.push_str(&format!(
            "<item><title>(聚焦{}){}</title><link>https://news.example.cn/2026/12/{n}.html</link>\
             <pubDate>2026-12-{:02} {:02}:{:02}:00</pubDate><author>新华社</author>\
             <description><![CDATA[{paragraphs}]]></description></item>\n",
            ZH_WORDS[(n % ZH_WORDS.len() as u64) as usize],
            zh_sentence(&mut rng, 5).trim_end_matches('。'),
            1 + n % 28,
            rng.next() % 24,
            rng.next() % 60,
        ));
    }
    xml.push_str("</channel></rss>\n");
    xml.into_bytes()
}
