//! HTML list pages without a feed: entries read with the CSS selectors of
//! `[source.page]`. Dates in Chinese (`2026年11月28日 14:05`), ISO
//! (`2026-11-28`, `2026/11/28`) and English (`Nov 28, 2026`) forms are read.

use chrono::{DateTime, Utc};
use scraper::{ElementRef, Html, Selector};
use serde::Deserialize;

use super::{Entry, SourceError};
use crate::text::date::parse_local_date;
use crate::text::markup::{self, plain_line};
use crate::text::script::is_han;
use crate::text::zone::{CHINA, page_zone};

/// `[source.page]`: how to read entries off an HTML list page.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PageRules {
    /// CSS selector of one entry in the list, e.g. `ul.news li`.
    pub item: String,
    /// CSS selector (inside the item) of the title. Default: the link's text.
    #[serde(default)]
    pub title: Option<String>,
    /// CSS selector of the link, with `@attr` for the attribute. Default `a@href`.
    #[serde(default = "default_link")]
    pub link: String,
    /// CSS selector of the date text, if the list shows one.
    #[serde(default)]
    pub date: Option<String>,
}

fn default_link() -> String {
    "a@href".into()
}

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
    let lang = document.root_element().value().attr("lang");
    let zone = page_zone(Some(base_url.as_str()), lang, html);
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
            .and_then(|d| parse_date(&text_of(d), zone));
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

/// Reads a date shown on a list page. One without a zone is in the page's
/// zone, else China's when written in Chinese, else UTC: the rule feeds
/// (`repair::fix_dates`) and articles follow, so a story's copies agree.
fn parse_date(text: &str, zone: Option<i64>) -> Option<DateTime<Utc>> {
    let han = text.contains(is_han);
    parse_local_date(text, zone.or(han.then_some(CHINA)).unwrap_or(0))
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
        // Written in Chinese without a zone: Beijing time, as in feeds.
        assert_eq!(
            entries[0].published.unwrap().to_rfc3339(),
            "2026-11-28T06:05:00+00:00"
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
    fn zone_less_dates_are_read_in_the_pages_zone_like_feeds_and_articles() {
        let list = |lang: &str, date: &str| {
            format!(
                r#"<html lang="{lang}"><body><ul class="news"><li><a href="/a">Story</a><span class="date">{date}</span></li></ul></body></html>"#
            )
        };
        let published = |html: &str, base: &str| {
            let base = url::Url::parse(base).unwrap();
            let entries = parse(html, &base, &rules("ul.news li", Some("span.date"))).unwrap();
            entries[0].published.unwrap().to_rfc3339()
        };
        let beijing = "2026-12-03T02:30:00+00:00";
        // The bug: this was read as 10:30 UTC, 8 hours off.
        let chinese = list("en", "2026年12月03日 10:30");
        assert_eq!(published(&chinese, "https://example.org/"), beijing);
        // A numeric date takes its zone from the host or the page's language.
        let numeric = list("en", "2026-12-03 10:30");
        assert_eq!(published(&numeric, "https://news.example.cn/"), beijing);
        let declared = list("zh-CN", "2026-12-03 10:30");
        assert_eq!(published(&declared, "https://example.org/"), beijing);
        let tokyo = list("ja", "2026-12-03 10:30");
        assert_eq!(
            published(&tokyo, "https://example.org/"),
            "2026-12-03T01:30:00+00:00"
        );
        // Nothing says where: UTC; a written zone always wins.
        assert_eq!(
            published(&numeric, "https://example.org/"),
            "2026-12-03T10:30:00+00:00"
        );
        let zoned = list("zh", "2026-12-03 10:30 +0000");
        assert_eq!(
            published(&zoned, "https://news.example.cn/"),
            "2026-12-03T10:30:00+00:00"
        );
        // The same date in a feed from the same host gives the same instant.
        let feed = r#"<rss version="2.0"><channel><title>t</title><item><title>Story</title><link>https://news.example.cn/a</link><pubDate>2026-12-03 10:30</pubDate></item></channel></rss>"#;
        let fed =
            crate::source::feed::parse(feed.as_bytes(), None, "https://news.example.cn/").unwrap();
        assert_eq!(fed[0].published.unwrap().to_rfc3339(), beijing);
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
