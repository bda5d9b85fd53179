//! The `feedfold dedup` contract: JSON lines of items in, JSON lines of
//! `{"id","cluster"}` out, in input order, through the same normalise →
//! extract → fingerprint → cluster code the daemon runs.

use std::collections::HashMap;
use std::io::{BufRead, Read, Write};

use chrono::DateTime;
use serde::Deserialize;
use serde_json::Value;

use super::batch::Explanation;
use super::cluster::{Decision, Evidence};
use super::template::{Templates, page_keys_of};
use super::{
    BatchClusterer, FeatureOptions, Fingerprinter, MatchOptions, Simhash, TitleRules, Traits,
    canonical_url,
};
use crate::extract;

/// One input line.
#[derive(Debug, Deserialize)]
struct Item {
    id: Value,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    html: Option<String>,
    /// The feed's summary of the page, a hint for extraction as in the
    /// daemon.
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    published: Option<String>,
    /// The site, whose recurring lines are its template.
    #[serde(default)]
    source: Option<String>,
}

/// The longest input line read, in bytes. A 10 MB article as HTML, with
/// JSON escaping, fits; a longer line is reported and skipped without
/// being held in memory.
pub const MAX_LINE: usize = 32 * 1024 * 1024;

/// A line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

/// Why the run stopped.
#[derive(Debug, thiserror::Error)]
pub enum JsonlError {
    /// Reading input or writing output failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Clusters the items read from `input` and writes one result line per
/// usable item to `output`. Unusable lines (not JSON, not UTF-8, longer
/// than [`MAX_LINE`]) are skipped and returned. With `explain`, each line
/// also says why (see `why` below).
pub fn run(
    input: impl BufRead,
    output: impl Write,
    options: MatchOptions,
    features: FeatureOptions,
    explain: bool,
) -> Result<Vec<LineError>, JsonlError> {
    run_capped(input, output, options, features, explain, MAX_LINE)
}

fn run_capped(
    mut input: impl BufRead,
    output: impl Write,
    options: MatchOptions,
    features: FeatureOptions,
    explain: bool,
    max_line: usize,
) -> Result<Vec<LineError>, JsonlError> {
    let clustered = cluster_capped(&mut input, options, features, explain, max_line)?;
    write(output, &clustered.items, |_| Vec::new())?;
    Ok(clustered.errors)
}

/// One usable input item after clustering, in input order.
#[derive(Debug, Clone)]
pub struct ClusteredItem {
    /// The item's `id`, as given.
    pub id: Value,
    /// Index (in input order) of the first item of its cluster, which names
    /// the cluster.
    pub cluster: usize,
    /// The title as compared (given, or extracted from the page).
    pub title: String,
    /// The body with the site's learnt template lines left out.
    pub body: String,
    /// Published time (Unix seconds); undated items arrive now.
    pub time: i64,
    /// The item's `source`, else its URL's host.
    pub site: Option<String>,
    /// With `explain`: why the item is in its cluster.
    pub why: Option<Value>,
}

/// What [`cluster`] read and decided.
#[derive(Debug, Default)]
pub struct Clustered {
    /// Every usable item, in input order.
    pub items: Vec<ClusteredItem>,
    /// Lines that could not be used.
    pub errors: Vec<LineError>,
}

/// Reads and clusters every item of `input`, as [`run`] does, and returns
/// them (with their compared text) instead of writing them, for stages that
/// work above stories.
pub fn cluster(
    mut input: impl BufRead,
    options: MatchOptions,
    features: FeatureOptions,
    explain: bool,
) -> Result<Clustered, JsonlError> {
    cluster_capped(&mut input, options, features, explain, MAX_LINE)
}

fn cluster_capped(
    input: &mut impl BufRead,
    options: MatchOptions,
    features: FeatureOptions,
    explain: bool,
    max_line: usize,
) -> Result<Clustered, JsonlError> {
    let (items, errors) = read_items(input, max_line)?;
    let mut clusterer = if explain {
        BatchClusterer::explaining(options)
    } else {
        BatchClusterer::new(options)
    };
    let fingerprints = fingerprint_all(&items, features);
    let mut bodies = Vec::with_capacity(items.len());
    for (item, (simhash, traits, body)) in items.iter().zip(fingerprints) {
        let (site, url) = (item.site.as_deref(), item.canonical.as_deref());
        clusterer.add(simhash, traits, site, url, Some(item.time));
        bodies.push(body);
    }
    // Named when the input ends, since a later item can merge two earlier
    // clusters; a cluster is named by its first item in the input.
    let ids: Vec<Value> = items.iter().map(|item| item.id.clone()).collect();
    let mut names: HashMap<usize, usize> = HashMap::new();
    let clustered = items
        .into_iter()
        .zip(bodies)
        .enumerate()
        .map(|(at, (item, body))| ClusteredItem {
            cluster: *names.entry(clusterer.cluster_of(at)).or_insert(at),
            why: clusterer.explanation(at).map(|e| why(e, &ids)),
            id: item.id,
            title: item.title,
            body,
            time: item.time,
            site: item.site,
        })
        .collect();
    Ok(Clustered {
        items: clustered,
        errors,
    })
}

/// Writes one `{"id","cluster"}` line per item (with `"why"` when
/// explained), plus the fields `extra` gives for the item at that index.
pub fn write(
    mut output: impl Write,
    items: &[ClusteredItem],
    extra: impl Fn(usize) -> Vec<(&'static str, Value)>,
) -> std::io::Result<()> {
    for (at, item) in items.iter().enumerate() {
        let name = items.get(item.cluster).map_or(&item.id, |first| &first.id);
        let mut result = serde_json::json!({ "id": item.id, "cluster": name });
        if let Some(why) = &item.why {
            result["why"] = why.clone();
        }
        for (key, value) in extra(at) {
            result[key] = value;
        }
        writeln!(output, "{result}")?;
    }
    output.flush()
}

/// An item's explanation as JSON: the rule (`same-url`, `verified`,
/// `simhash`, `new`), the item matched (by input id) with the distance in
/// bits and the second stage's figures (resemblance, containment and its
/// sample, equal titles, same site), or for a new cluster the candidate that
/// came nearest (`nearest_rejected`), and how many candidates there were.
fn why(explanation: &Explanation, ids: &[Value]) -> Value {
    let id = |item: i64| {
        usize::try_from(item)
            .ok()
            .and_then(|i| ids.get(i))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let stage = |item: i64, distance: Option<u32>, evidence: Option<Evidence>| {
        let mut v = serde_json::json!({ "item": id(item), "distance": distance });
        if let Some(e) = evidence {
            v["resemblance"] = (f64::from(e.resemblance) / 1000.0).into();
            v["containment"] = (f64::from(e.containment) / 1000.0).into();
            v["sample"] = e.sample.into();
            v["same_title"] = e.same_title.into();
            v["same_site"] = e.same_site.into();
        }
        v
    };
    let decision = explanation.decision;
    let mut v = serde_json::json!({
        "rule": decision.rule(),
        "candidates": explanation.candidates,
    });
    match decision {
        Decision::SameUrl { matched, .. } => v["matched"] = stage(matched, None, None),
        Decision::NearDuplicate {
            matched,
            distance,
            evidence,
            ..
        } => v["matched"] = stage(matched, Some(distance), evidence),
        Decision::New => {
            if let Some((item, distance, evidence)) = explanation.nearest_rejected {
                v["nearest_rejected"] = stage(item, Some(distance), evidence);
            }
        }
    }
    v
}

/// Each item's fingerprint, sketch and title key, and the body without its
/// site's template. Every site's template is learnt from all its pages
/// before any page is fingerprinted, as a daemon that has seen the site
/// before would know it.
fn fingerprint_all(items: &[Prepared], features: FeatureOptions) -> Vec<(Simhash, Traits, String)> {
    let mut templates = Templates::default();
    // Each body is folded once for its line keys, which serve both passes.
    let keys: Vec<Vec<Option<u64>>> = items
        .iter()
        .map(|item| match &item.site {
            Some(site) => {
                let lines = templates.line_keys(&item.body);
                templates.learn_keys(site, &page_keys_of(&lines));
                lines
            }
            None => Vec::new(),
        })
        .collect();
    let mut fingerprinter = Fingerprinter::new(TitleRules::default(), features);
    items
        .iter()
        .zip(keys)
        .map(|(item, keys)| {
            let body = match &item.site {
                Some(site) => templates.strip_keyed(site, &item.body, &keys).0,
                None => item.body.clone(),
            };
            let simhash = fingerprinter.story(&item.title, &body);
            (simhash, fingerprinter.traits(), body)
        })
        .collect()
}

/// An input item as clustering needs it.
struct Prepared {
    id: Value,
    title: String,
    body: String,
    time: i64,
    canonical: Option<String>,
    /// The site whose template the body may carry: the item's `source`,
    /// else its URL's host.
    site: Option<String>,
}

/// Reads every usable item, extracting pages; unusable lines are returned
/// with their numbers.
fn read_items(
    input: &mut impl BufRead,
    max_line: usize,
) -> Result<(Vec<Prepared>, Vec<LineError>), JsonlError> {
    let now = chrono::Utc::now().timestamp();
    let (mut items, mut errors) = (Vec::new(), Vec::new());
    let mut buffer = Vec::new();
    for n in 1.. {
        let item = match next_line(input, &mut buffer, max_line)? {
            Line::End => break,
            Line::Text(line) if line.trim().is_empty() => continue,
            Line::Text(line) => serde_json::from_str::<Item>(line).map_err(|e| e.to_string()),
            Line::Unusable(message) => Err(message),
        };
        match item {
            Ok(item) => items.push(prepare(item, now)),
            Err(message) => errors.push(LineError { line: n, message }),
        }
    }
    Ok((items, errors))
}

fn prepare(item: Item, now: i64) -> Prepared {
    let (title, body) = item_text(&item);
    let site = item.source.clone().or_else(|| {
        item.url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_owned))
    });
    Prepared {
        title,
        body,
        // Undated items arrive now, as in the daemon.
        time: item
            .published
            .as_deref()
            .and_then(parse_time)
            .unwrap_or(now),
        canonical: item.url.as_deref().and_then(canonical_url),
        site,
        id: item.id,
    }
}

/// One input line, as read.
enum Line<'a> {
    /// The line's text, without its line break.
    Text(&'a str),
    /// Why the line cannot be used (it was read past, not kept).
    Unusable(String),
    /// No more input.
    End,
}

/// Reads the next line into `buffer`, keeping at most `max_line` bytes of it.
fn next_line<'a>(
    input: &mut impl BufRead,
    buffer: &'a mut Vec<u8>,
    max_line: usize,
) -> std::io::Result<Line<'a>> {
    buffer.clear();
    let limit = u64::try_from(max_line)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let read = Read::take(&mut *input, limit).read_until(b'\n', buffer)?;
    if read == 0 {
        return Ok(Line::End);
    }
    if buffer.last() == Some(&b'\n') {
        buffer.pop();
    } else if buffer.len() > max_line {
        skip_line(input)?;
        return Ok(Line::Unusable(format!(
            "line longer than {max_line} bytes (the limit for one item); skipped"
        )));
    }
    if buffer.last() == Some(&b'\r') {
        buffer.pop();
    }
    Ok(match std::str::from_utf8(buffer) {
        Ok(text) => Line::Text(text),
        Err(e) => Line::Unusable(format!("not UTF-8: {e}")),
    })
}

/// Reads past the rest of the current line without keeping it.
fn skip_line(input: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(());
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(end) => {
                input.consume(end + 1);
                return Ok(());
            }
            None => {
                let len = chunk.len();
                input.consume(len);
            }
        }
    }
}

/// Title and body: given as text, or extracted from the page.
fn item_text(item: &Item) -> (String, String) {
    match (&item.text, &item.html) {
        (Some(text), _) => (item.title.clone().unwrap_or_default(), text.clone()),
        (None, Some(html)) => {
            // The same hints the daemon gives a scraped page: the item's own
            // title and summary point extraction at the story.
            let hints = extract::Hints {
                url: item.url.as_deref(),
                feed_title: item.title.as_deref().filter(|t| !t.trim().is_empty()),
                summary: item.summary.as_deref().filter(|s| !s.trim().is_empty()),
                ..extract::Hints::default()
            };
            let article = extract::extract(html, &hints).article;
            (item.title.clone().unwrap_or(article.title), article.text)
        }
        (None, None) => (item.title.clone().unwrap_or_default(), String::new()),
    }
}

fn parse_time(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "人力资源社会保障部日前印发通知,要求各地人力资源社会保障部门在冬春季呼吸道传染病防控工作中,切实关心关爱奋战在一线的医务人员和基层防控工作人员。通知提出,要及时足额发放临时性工作补助,合理安排轮换休息。";

    /// A site's chrome: more text than the story, the same on every page.
    fn chrome(site: &str) -> String {
        (0..14)
            .map(|i| format!("{site} {i}: news, sport, weather"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn story(seed: &str) -> String {
        let sentences: &[&str] = match seed {
            "port" => &[
                "Dock workers voted to end the strike after the port operator raised its pay offer.",
                "Ships that waited offshore for a week began unloading on Thursday morning.",
                "The union said the deal also limits night shifts for older crane drivers.",
                "Exporters had warned that perishable cargo was spoiling in the heat.",
                "Officials expect the backlog of containers to clear within ten days.",
            ],
            "ferry" => &[
                "All ferry crossings to the islands were cancelled as gales reached the coast.",
                "Islanders were told to stock up on fuel and food before the weekend.",
                "The operator said its vessels would stay in harbour until the swell eased.",
                "A hospital transfer was made by helicopter instead of the morning boat.",
                "Forecasters expect the storm to move north by Sunday evening.",
            ],
            _ => &[
                "The central library will stay open until ten at night from next month.",
                "Students had petitioned the council for longer hours during exam season.",
                "Extra staff will be paid from a grant meant for community services.",
                "The reading rooms on the second floor will be quiet study areas.",
                "A review of visitor numbers is planned after six months.",
            ],
        };
        sentences.join("\n")
    }

    #[test]
    fn site_chrome_is_learnt_and_left_out() {
        let page = |id: &str, site: &str, title: &str, seed: &str| {
            let text = format!("{}\n{}\n{}", chrome(site), story(seed), chrome(site));
            serde_json::json!({"id": id, "title": title, "text": text, "source": site}).to_string()
        };
        let input = [
            page("x1", "harbour", "Port strike ends", "port"),
            page(
                "y1",
                "coastal",
                "UPDATE: Port strike ends - Coastal",
                "port",
            ),
            page("x2", "harbour", "Ferries suspended", "ferry"),
            page("y2", "coastal", "Library opens late", "library"),
        ]
        .join("\n");
        let (lines, errors) = run_on(&input);
        assert!(errors.is_empty());
        let cluster = |i: usize| lines[i]["cluster"].clone();
        assert_eq!(cluster(1), cluster(0), "one story in two chromes");
        assert_ne!(cluster(2), cluster(0), "two stories in one chrome");
        assert_ne!(cluster(3), cluster(1), "two stories in one chrome");
    }

    fn run_on(input: &str) -> (Vec<Value>, Vec<LineError>) {
        let mut out = Vec::new();
        let errors = run(
            input.as_bytes(),
            &mut out,
            MatchOptions::default(),
            FeatureOptions::default(),
            false,
        )
        .unwrap();
        let lines = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (lines, errors)
    }

    #[test]
    fn seed_page_titles_with_the_same_body_share_a_cluster() {
        let input = [
            serde_json::json!({"id": "a", "title": "(聚焦疫情防控)人力资源社会保障部:切实关心激励表彰疫情防控人员", "text": BODY}),
            serde_json::json!({"id": "b", "title": "人力资源社会保障部:切实关心激励表彰疫情防控人员", "text": BODY}),
            serde_json::json!({"id": 3, "title": "市图书馆延长周末开放时间", "text": "自12月起,市图书馆总馆及8个分馆周六、周日开放时间延长至晚上9点,自习区将增设400个座位。"}),
        ]
        .map(|v| v.to_string())
        .join("\n");
        let (lines, errors) = run_on(&input);
        assert!(errors.is_empty());
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], serde_json::json!({"id": "a", "cluster": "a"}));
        assert_eq!(lines[1], serde_json::json!({"id": "b", "cluster": "a"}));
        assert_eq!(lines[2], serde_json::json!({"id": 3, "cluster": 3}));
    }

    #[test]
    fn bad_lines_are_reported_and_the_rest_kept() {
        let (lines, errors) = run_on(
            "{\"id\":\"x\",\"title\":\"t\",\"text\":\"x\"}\nnot json\n\n{\"title\":\"no id\"}\n",
        );
        assert_eq!(lines.len(), 1);
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![2, 4]
        );
    }

    #[test]
    fn odd_items_each_get_a_defined_outcome() {
        let story = "Dock workers voted on Sunday night to accept a revised pay offer, ending a \
                     twelve-day strike that had left more than forty ships anchored offshore.";
        let huge = format!("{story} ").repeat(10 * 1024 * 1024 / (story.len() + 1));
        let thai = "ผู้ว่าราชการจังหวัดประกาศปิดโรงเรียนทุกแห่งเป็นเวลาสามวันเนื่องจากน้ำท่วมหนัก";
        let item = |id: &str, title: &str, text: &str| {
            serde_json::json!({"id": id, "title": title, "text": text, "source": id}).to_string()
        };
        let input = [
            item("empty", "", ""),
            item(
                "title-only",
                "Port strike ends after twelve days of talks",
                "",
            ),
            item("copy-1", "Port strike ends", story),
            item("copy-1", "Port strike ends", story),
            item("huge", "Port strike ends", &huge),
            item("thai", "น้ำท่วม", thai),
            item("thai-again", "น้ำท่วม", thai),
        ]
        .join("\n");
        let (lines, errors) = run_on(&input);
        assert!(errors.is_empty(), "{errors:?}");
        let cluster = |i: usize| lines[i]["cluster"].as_str().unwrap_or("").to_owned();
        assert_eq!(lines.len(), 7);
        // Too little text: a story of its own, never a match.
        assert_eq!(cluster(0), "empty");
        assert_eq!(cluster(1), "title-only");
        // The same item twice is one story; so is a 10 MB text of the same
        // story repeated, which contains it.
        assert_eq!(cluster(3), cluster(2));
        assert_eq!(cluster(4), cluster(2));
        // A script without spaces or a rule of its own still folds its copies.
        assert_eq!(cluster(6), "thai");
    }

    #[test]
    fn an_overlong_line_is_reported_by_number_and_never_held() {
        let max_line = 1024;
        let good = |id: &str| format!("{{\"id\":\"{id}\",\"title\":\"t\",\"text\":\"x\"}}\n");
        // A line far past the cap, then a good line, a non-UTF-8 line and a
        // cap-sized line without a final line break.
        let at_cap = format!(
            "{{\"id\":\"c\",\"text\":\"{}\"}}",
            "y".repeat(max_line - 20)
        );
        let (a, b) = (good("a"), format!("\n{}", good("b")));
        let input = a
            .as_bytes()
            .chain(std::io::repeat(b'x').take(50 * max_line as u64))
            .chain(b.as_bytes())
            .chain(&b"\xff\xfe\n"[..])
            .chain(at_cap.as_bytes());
        let mut out = Vec::new();
        let errors = run_capped(
            std::io::BufReader::with_capacity(64, input),
            &mut out,
            MatchOptions::default(),
            FeatureOptions::default(),
            false,
            max_line,
        )
        .unwrap();
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let ids: Vec<&Value> = lines.iter().map(|l| &l["id"]).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 4]);
        assert!(
            errors[0].message.contains("longer than 1024 bytes"),
            "{errors:?}"
        );
        assert!(errors[1].message.contains("UTF-8"), "{errors:?}");
    }

    #[test]
    fn html_items_are_extracted_and_urls_fold() {
        let page = |chrome: &str| {
            format!(
                "<html><body><nav>{chrome}</nav><article><p>{}</p></article><footer>{chrome}</footer></body></html>",
                BODY.repeat(3)
            )
        };
        let input = [
            serde_json::json!({"id": "p1", "html": page("新华网 首页 国内 国际"), "url": "https://a.example.org/1"}),
            serde_json::json!({"id": "p2", "html": page("人民网 要闻 社会"), "url": "https://b.example.org/2"}),
            serde_json::json!({"id": "p3", "title": "x", "text": "", "url": "https://A.example.org/1#top"}),
        ]
        .map(|v| v.to_string())
        .join("\n");
        let (lines, _) = run_on(&input);
        assert_eq!(lines[1]["cluster"], "p1");
        assert_eq!(lines[2]["cluster"], "p1", "same canonical URL");
    }

    /// The partition of `lines` (JSON items) fed in `order`, as sorted sets of ids.
    fn partition(lines: &[serde_json::Value], order: &[usize]) -> Vec<Vec<String>> {
        let input: Vec<String> = order.iter().map(|&i| lines[i].to_string()).collect();
        let (out, errors) = run_on(&input.join("\n"));
        assert!(errors.is_empty());
        let mut clusters: HashMap<String, Vec<String>> = HashMap::new();
        for line in &out {
            clusters
                .entry(line["cluster"].to_string())
                .or_default()
                .push(line["id"].as_str().unwrap().to_owned());
        }
        let mut clusters: Vec<Vec<String>> = clusters.into_values().collect();
        for c in &mut clusters {
            c.sort();
        }
        clusters.sort();
        clusters
    }

    #[test]
    fn shuffled_input_gives_the_same_partition() {
        const OTHER: &str = "Dock workers voted on Tuesday to end the twelve-day port strike after the \
            harbour authority agreed to a new shift pattern, higher overtime rates and a review of \
            safety rules, and the first container ships were unloaded within hours.";
        const THIRD: &str = "自12月起,市图书馆总馆及8个分馆周六、周日开放时间延长至晚上9点,自习区将增设400个座位,\
            并新开设少儿阅读区和古籍阅览室,读者可通过微信公众号预约座位。";
        let items = [
            // e and g share a link but not their text; f copies g's text under
            // another link, k copies e's: one story, however they arrive.
            serde_json::json!({"id": "e", "title": "人力资源社会保障部通知", "text": BODY, "url": "https://wire.example/1"}),
            serde_json::json!({"id": "g", "title": "Port strike ends", "text": OTHER, "url": "https://wire.example/1?utm_source=rss"}),
            serde_json::json!({"id": "f", "title": "Port strike ends", "text": OTHER, "url": "https://other.example/f"}),
            serde_json::json!({"id": "k", "title": "(聚焦疫情防控)人力资源社会保障部通知", "text": BODY, "url": "https://third.example/k"}),
            serde_json::json!({"id": "h", "title": "市图书馆延长周末开放时间", "text": THIRD}),
        ];
        let want = vec![
            vec!["e".to_owned(), "f".into(), "g".into(), "k".into()],
            vec!["h".to_owned()],
        ];
        let mut order: Vec<usize> = (0..items.len()).collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..40 {
            for i in (1..order.len()).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                order.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            assert_eq!(partition(&items, &order), want, "order {order:?}");
        }
    }
}
