//! HTML list pages without a feed: entries read with the CSS selectors of
//! `[source.page]`. Dates in Chinese (`2026年11月28日 14:05`), ISO
//! (`2026-11-28`, `2026/11/28`) and English (`Nov 28, 2026`) forms are read.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use scraper::{ElementRef, Html, Selector};

use super::{Entry, SourceError};
use crate::config::PageRules;
use crate::extract::markup::{self, plain_line};

/// Reads the entries of a list page fetched from `base_url`.
pub fn parse(
    html: &str,
    base_url: &url::Url,
    rules: &PageRules,
) -> Result<Vec<Entry>, SourceError> {
    let item = selector(&rules.item)?;
    let (link_css, link_attr) = rules
        .link
        .rsplit_once('@')
        .unwrap_or((rules.link.as_str(), "href"));
    let link = selector(if link_css.is_empty() { "a" } else { link_css })?;
    let title = rules.title.as_deref().map(selector).transpose()?;
    let date = rules.date.as_deref().map(selector).transpose()?;

    if markup::too_complex(html) {
        return Err(SourceError::TooDeep);
    }
    let document = Html::parse_document(html);
    let mut seen = std::collections::HashSet::new();
    let mut entries = Vec::new();
    for node in document.select(&item) {
        let Some(link_node) = node.select(&link).next() else {
            continue;
        };
        let Some(href) = link_node.value().attr(link_attr).map(str::trim) else {
            continue;
        };
        let Ok(url) = base_url.join(href) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") || !seen.insert(url.to_string()) {
            continue;
        }
        let title_node = title
            .as_ref()
            .and_then(|s| node.select(s).next())
            .unwrap_or(link_node);
        // Plain text, even where the page wrote `&lt;img …&gt;`.
        let title_text = plain_line(&text_of(title_node));
        if title_text.is_empty() {
            continue;
        }
        let published = date
            .as_ref()
            .and_then(|s| node.select(s).next())
            .and_then(|d| parse_date(&text_of(d)));
        entries.push(
            Entry {
                id: url.to_string(),
                url: Some(url.to_string()),
                title: title_text,
                author: None,
                published,
                summary: None,
                content: None,
                enclosures: Vec::new(),
                categories: Vec::new(),
            }
            .without_control_chars(),
        );
    }
    Ok(entries)
}

fn selector(css: &str) -> Result<Selector, SourceError> {
    Selector::parse(css).map_err(|e| SourceError::Selector {
        selector: css.to_owned(),
        message: e.to_string(),
    })
}

fn text_of(node: ElementRef<'_>) -> String {
    node.text()
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads a date shown on a list page; times without a zone are taken as UTC.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    parse_local_date(text, 0)
}

/// Reads a date in any of the forms `parse_date` knows; `offset` (seconds
/// east of UTC) is the zone of a date that names none.
pub(crate) fn parse_local_date(text: &str, offset: i64) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) =
        DateTime::parse_from_rfc3339(text).or_else(|_| DateTime::parse_from_rfc2822(text))
    {
        return Some(t.to_utc());
    }
    let (local, zone) = split_zone(text);
    let naive = numeric_date(local).or_else(|| english_date(local))?;
    Some(naive.and_utc() - chrono::TimeDelta::seconds(zone.unwrap_or(offset)))
}

/// Splits a trailing zone (`+08:00`, `+0800`, `-05:00`, `Z`, `UTC`, `GMT`)
/// off a date, as seconds east of UTC. A zone counts only right after a
/// time, so the dashes of `2026-11-28` are not taken for one.
fn split_zone(text: &str) -> (&str, Option<i64>) {
    let after_time = |head: &str| {
        head.rfind(':').is_some_and(|colon| {
            head[colon + 1..]
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c.is_whitespace())
        })
    };
    for name in ["Z", "UTC", "GMT"] {
        let cut = text.len().saturating_sub(name.len());
        if text.is_char_boundary(cut)
            && text[cut..].eq_ignore_ascii_case(name)
            && after_time(&text[..cut])
        {
            return (text[..cut].trim_end(), Some(0));
        }
    }
    let Some(at) = text.rfind(['+', '-']) else {
        return (text, None);
    };
    let zone = &text[at + 1..];
    if !after_time(&text[..at]) || !zone.chars().all(|c| c.is_ascii_digit() || c == ':') {
        return (text, None);
    }
    let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
    let (h, m) = match digits.len() {
        4 => (&digits[..2], &digits[2..]),
        2 => (&digits[..], "0"),
        _ => return (text, None),
    };
    let (Ok(h), Ok(m)) = (h.parse::<i64>(), m.parse::<i64>()) else {
        return (text, None);
    };
    if h > 14 || m > 59 {
        return (text, None);
    }
    let sign = if text[at..].starts_with('-') { -1 } else { 1 };
    (text[..at].trim_end(), Some(sign * (h * 3600 + m * 60)))
}

/// `2026-11-28`, `2026/11/28 14:05`, `2026年11月28日 14时05分`, `2026.11.28`.
fn numeric_date(text: &str) -> Option<NaiveDateTime> {
    let numbers: Vec<u32> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    let [year, month, day, rest @ ..] = numbers.as_slice() else {
        return None;
    };
    if !(1990..=2100).contains(year) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(*year as i32, *month, *day)?;
    let time = match rest {
        [h, m, s, ..] => NaiveTime::from_hms_opt(*h, *m, *s)?,
        [h, m] => NaiveTime::from_hms_opt(*h, *m, 0)?,
        _ => NaiveTime::MIN,
    };
    Some(date.and_time(time))
}

/// `Nov 28, 2026`, `November 28, 2026`, `28 Nov 2026`.
fn english_date(text: &str) -> Option<NaiveDateTime> {
    let cleaned = text.replace(',', " ");
    let words = cleaned
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    ["%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(&words, f).ok())
        .map(|d| d.and_time(NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(item: &str, date: Option<&str>) -> PageRules {
        PageRules {
            item: item.into(),
            title: None,
            link: "a@href".into(),
            date: date.map(Into::into),
        }
    }

    #[test]
    fn list_items_become_entries_with_absolute_links() {
        let html = r#"<ul class="news">
            <li><a href="/2026/11/a.html"> 第一条 新闻 </a><span class="date">2026年11月28日 14:05</span></li>
            <li><a href="https://other.example.org/b">Second</a><span class="date">Nov 27, 2026</span></li>
            <li><a href="/2026/11/a.html">duplicate link</a></li>
            <li><a href="javascript:void(0)">not a link</a></li>
            <li>no link at all</li></ul>"#;
        let base = url::Url::parse("https://example.org/list/").unwrap();
        let entries = parse(html, &base, &rules("ul.news li", Some("span.date"))).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries[0].url.as_deref(),
            Some("https://example.org/2026/11/a.html")
        );
        assert_eq!(entries[0].title, "第一条 新闻");
        assert_eq!(
            entries[0].published.unwrap().to_rfc3339(),
            "2026-11-28T14:05:00+00:00"
        );
        assert_eq!(
            entries[1].published.unwrap().to_rfc3339(),
            "2026-11-27T00:00:00+00:00"
        );
    }

    #[test]
    fn bad_selectors_are_errors_not_panics() {
        let base = url::Url::parse("https://example.org/").unwrap();
        let err = parse("<p></p>", &base, &rules("ul[[", None)).unwrap_err();
        assert!(
            err.to_string().starts_with("bad selector \"ul[[\""),
            "{err}"
        );
    }

    #[test]
    fn dates_in_several_forms() {
        assert!(parse_date("2026-11-28").is_some());
        assert!(parse_date("2026/11/28 08:30:15").is_some());
        assert!(parse_date("28 November 2026").is_some());
        assert!(parse_date("Sat, 28 Nov 2026 10:00:00 +0800").is_some());
        assert!(parse_date("2026-13-45").is_none());
        assert_eq!(
            parse_date("2026-11-28 14:05 +0800").unwrap().to_rfc3339(),
            "2026-11-28T06:05:00+00:00"
        );
        assert_eq!(
            parse_date("2026/11/28 14:05:30 +08:00")
                .unwrap()
                .to_rfc3339(),
            "2026-11-28T06:05:30+00:00"
        );
        assert!(parse_date("yesterday").is_none());
        // The dashes of a date are no zone, not even after a time.
        assert_eq!(split_zone("2026-11-08"), ("2026-11-08", None));
        assert_eq!(split_zone("14:05 2026-11-08"), ("14:05 2026-11-08", None));
    }

    #[test]
    fn zones_west_of_utc_and_named_utc_and_the_default_offset() {
        assert_eq!(
            parse_date("2026-11-28 14:05:00 -0500")
                .unwrap()
                .to_rfc3339(),
            "2026-11-28T19:05:00+00:00"
        );
        assert_eq!(
            parse_date("2026-11-28 14:05 UTC").unwrap().to_rfc3339(),
            "2026-11-28T14:05:00+00:00"
        );
        let china = 8 * 3600;
        assert_eq!(
            parse_local_date("2026年11月28日 14:05", china)
                .unwrap()
                .to_rfc3339(),
            "2026-11-28T06:05:00+00:00"
        );
        assert_eq!(
            parse_local_date("2026-11-28 14:05 +0000", china)
                .unwrap()
                .to_rfc3339(),
            "2026-11-28T14:05:00+00:00"
        );
        assert_eq!(
            parse_local_date("2026-11-28", china).unwrap().to_rfc3339(),
            "2026-11-27T16:00:00+00:00"
        );
    }

    #[test]
    fn deep_pages_are_refused_quickly_and_titles_stay_plain() {
        let base = url::Url::parse("https://example.org/").unwrap();
        let deep = format!(
            "<ul class=news>{}<li><a href=/a>A</a></li>{}</ul>",
            "<address>".repeat(200_000),
            "</address>".repeat(200_000)
        );
        let started = std::time::Instant::now();
        let err = parse(&deep, &base, &rules("ul.news li", None)).unwrap_err();
        assert!(matches!(err, SourceError::TooDeep), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let page = "<ul class=news><li><a href=/a>Hi &lt;img src=x onerror=alert(1)&gt; there</a></li></ul>";
        let entries = parse(page, &base, &rules("ul.news li", None)).unwrap();
        assert_eq!(entries[0].title, "Hi there");
    }
}
