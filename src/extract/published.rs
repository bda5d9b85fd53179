//! The publication time: JSON-LD `datePublished`, `article:published_time`
//! and its relatives, `<time datetime>`, then a date written on the page in
//! a Chinese or English form near a "published" word or the top of the
//! text. Zone-less times mean +08:00 on Chinese pages.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use dom_query::Document;
use regex::Regex;

use crate::extract::built_in;

use crate::text::date::parse_local_date;

/// `<meta>` names (or properties, or itemprops) that carry the
/// publication time, most specific first.
const META: &[&str] = &[
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "parsely-pub-date",
    "sailthru.date",
    "weibo:article:create_at",
    "dc.date.issued",
    "dcterms.created",
    "dc.date",
    "date",
];

/// Dates written on the page.
static VISIBLE: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?x)
        \d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日(?:\s*\d{1,2}\s*[:：]\s*\d{2}(?:\s*[:：]\s*\d{2})?)?
        | \d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[\sT]+\d{1,2}:\d{2}(?::\d{2})?)?
        | (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}
        | \d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{4}",
    )
});

/// The page's publication time. `offset` (seconds east of UTC) is the zone
/// of a time that names none.
pub(crate) fn published(document: &Document, offset: i64) -> Option<DateTime<Utc>> {
    json_ld(document, offset)
        .or_else(|| meta(document, offset))
        .or_else(|| time_element(document, offset))
        .or_else(|| visible(document, offset))
}

fn json_ld(document: &Document, offset: i64) -> Option<DateTime<Utc>> {
    document
        .select(r#"script[type="application/ld+json"]"#)
        .iter()
        .filter_map(|s| serde_json::from_str::<serde_json::Value>(&s.text()).ok())
        .find_map(|value| find_key(&value, "datePublished"))
        .and_then(|text| parse_local_date(&text, offset))
}

/// The first string under `key` anywhere in a JSON value (JSON-LD nests
/// articles in `@graph` arrays).
fn find_key(value: &serde_json::Value, key: &str) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => map
            .get(key)
            .and_then(|v| v.as_str().map(str::to_owned))
            .or_else(|| map.values().find_map(|v| find_key(v, key))),
        serde_json::Value::Array(items) => items.iter().find_map(|v| find_key(v, key)),
        _ => None,
    }
}

/// One pass over the `<meta>` elements, keeping the best-ranked date.
fn meta(document: &Document, offset: i64) -> Option<DateTime<Utc>> {
    let mut best: Option<(usize, DateTime<Utc>)> = None;
    for node in document.select("meta").iter() {
        let key = ["property", "name", "itemprop"]
            .iter()
            .find_map(|a| node.attr(a))
            .map(|k| k.to_ascii_lowercase());
        let Some(rank) = key.and_then(|k| META.iter().position(|m| *m == k)) else {
            continue;
        };
        if best.is_some_and(|(b, _)| b <= rank) {
            continue;
        }
        if let Some(date) = node
            .attr("content")
            .and_then(|c| parse_local_date(&c, offset))
        {
            best = Some((rank, date));
        }
    }
    best.map(|(_, date)| date)
}

fn time_element(document: &Document, offset: i64) -> Option<DateTime<Utc>> {
    document.select("time").iter().find_map(|t| {
        t.attr("datetime")
            .and_then(|d| parse_local_date(&d, offset))
            .or_else(|| parse_local_date(&t.text(), offset))
    })
}

/// The first date written in the body's text (the dateline under the
/// headline comes before any dated related links).
fn visible(document: &Document, offset: i64) -> Option<DateTime<Utc>> {
    let body = document.body()?;
    let text = body.text();
    VISIBLE.find_iter(&text).take(5).find_map(|m| {
        let found = m.as_str().replace('：', ":");
        parse_local_date(&found, offset)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHINA: i64 = 8 * 3600;

    fn at(html: &str) -> Option<String> {
        published(&Document::from(html), CHINA).map(|t| t.to_rfc3339())
    }

    #[test]
    fn structured_dates_come_first() {
        assert_eq!(
            at(r#"<html><head><script type="application/ld+json">{"@graph":[{"@type":"NewsArticle","datePublished":"2024-08-19T10:30:00+08:00"}]}</script></head><body>2020-01-01</body></html>"#).as_deref(),
            Some("2024-08-19T02:30:00+00:00")
        );
        assert_eq!(
            at(r#"<html><head><meta property="article:published_time" content="2024-08-19T10:30:00Z"></head></html>"#).as_deref(),
            Some("2024-08-19T10:30:00+00:00")
        );
        assert_eq!(
            at(r#"<html><body><time datetime="2024-08-19T10:30:00Z">Aug 19</time></body></html>"#)
                .as_deref(),
            Some("2024-08-19T10:30:00+00:00")
        );
    }

    #[test]
    fn written_dates_are_read_in_the_page_zone() {
        assert_eq!(
            at("<html><body><div>发布时间：2024年08月19日 10:30 来源：新华网</div></body></html>")
                .as_deref(),
            Some("2024-08-19T02:30:00+00:00")
        );
        assert_eq!(
            published(
                &Document::from("<html><body><p>Published Nov 28, 2026</p></body></html>"),
                0
            )
            .map(|t| t.to_rfc3339())
            .as_deref(),
            Some("2026-11-28T00:00:00+00:00")
        );
        assert_eq!(at("<html><body><p>No date here.</p></body></html>"), None);
    }
}
