//! The scrape stage, between parsing a source and storing its entries: for
//! entries whose feed carries only a teaser (or every entry, as the source's
//! `scrape` says), the article page is fetched through the same fetcher
//! (limits, politeness, robots, SSRF guard), the story extracted, and the
//! result cached by URL with the strategy that won. A page that cannot be
//! fetched or read leaves the entry with the feed's own content; why is
//! logged and kept in the cache, and retried after [`RETRY_FAILED`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use tokio::sync::Semaphore;

use crate::config::{Config, Scrape, Source, SourceKind};
use crate::extract::{self, Hints, html_to_text};
use crate::fetch::{Fetcher, Profile, Validators};
use crate::serve::Metrics;
use crate::source::Entry;
use crate::store::{ArticleRecord, Scraped, Store};

/// How long a failed scrape is remembered before the page is tried again.
pub const RETRY_FAILED: i64 = 6 * 3600;

/// Feed text shorter than this (non-space characters) is a teaser. Chinese
/// says as much in fewer characters.
const TEASER_CHARS: usize = 500;
const TEASER_CHARS_CJK: usize = 200;

/// Fetches and extracts article pages for entries.
#[derive(Debug, Clone)]
pub(super) struct Scraper {
    fetcher: Fetcher,
    store: Store,
    slots: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

impl Scraper {
    pub(super) fn new(
        fetcher: Fetcher,
        store: Store,
        config: &Config,
        metrics: Arc<Metrics>,
    ) -> Scraper {
        let slots = Arc::new(Semaphore::new(config.fetch.scrape_concurrency.get()));
        Scraper {
            fetcher,
            store,
            slots,
            metrics,
        }
    }

    /// The entries, with the extracted article as content where one was
    /// wanted and found.
    pub(super) async fn enrich(
        &self,
        config: &Config,
        source: &Source,
        mut entries: Vec<Entry>,
    ) -> Vec<Entry> {
        let mode = source.scrape(&config.fetch);
        let wanted: Vec<usize> = (0..entries.len())
            .filter(|&i| wants(mode, source.kind, &entries[i]))
            .collect();
        if wanted.is_empty() {
            return entries;
        }
        let urls: Vec<&str> = wanted
            .iter()
            .filter_map(|&i| entries[i].url.as_deref())
            .collect();
        let cached = self.store.articles(&urls).await.unwrap_or_else(|error| {
            tracing::warn!(source = source.name, %error, "could not read the article cache");
            Default::default()
        });
        let now = Utc::now().timestamp();
        let rules = source.site_rules().unwrap_or_default();
        let work = wanted.iter().map(|&i| {
            let entry = &entries[i];
            let hit = entry
                .url
                .as_deref()
                .and_then(|u| cached.get(u))
                .filter(|c| c.outcome.is_ok() || now - c.fetched_at < RETRY_FAILED);
            let rules = &rules;
            async move {
                match hit {
                    Some(record) => {
                        let scraped = record.outcome.clone().ok();
                        let strategy = scraped.as_ref().map(|s| s.strategy.as_str());
                        self.metrics.record_article("cached", strategy);
                        scraped
                    }
                    None => self.scrape(config, source, rules, entry).await,
                }
            }
        });
        let results = join_all(work).await;
        for (&i, scraped) in wanted.iter().zip(results) {
            if let Some(scraped) = scraped {
                apply(&mut entries[i], scraped);
            }
        }
        entries
    }

    /// Fetches, extracts and caches one article.
    async fn scrape(
        &self,
        config: &Config,
        source: &Source,
        rules: &extract::SiteRules,
        entry: &Entry,
    ) -> Option<Scraped> {
        let url = entry.url.as_deref()?;
        let record = match self
            .fetch_and_extract(config, source, rules, entry, url)
            .await
        {
            Ok((status, scraped)) => ArticleRecord {
                url: url.to_owned(),
                fetched_at: Utc::now().timestamp(),
                status: Some(status),
                outcome: Ok(scraped),
            },
            Err((status, error)) => {
                tracing::warn!(source = source.name, url, %error, "article not scraped; keeping the feed's content");
                ArticleRecord {
                    url: url.to_owned(),
                    fetched_at: Utc::now().timestamp(),
                    status,
                    outcome: Err(error),
                }
            }
        };
        if let Err(error) = self.store.save_article(&record).await {
            tracing::warn!(source = source.name, url, %error, "could not cache the scraped article");
        }
        match &record.outcome {
            Ok(scraped) => self
                .metrics
                .record_article("scraped", Some(&scraped.strategy)),
            Err(_) => self.metrics.record_article("failed", None),
        }
        record.outcome.ok()
    }

    async fn fetch_and_extract(
        &self,
        config: &Config,
        source: &Source,
        rules: &extract::SiteRules,
        entry: &Entry,
        url: &str,
    ) -> Result<(u16, Scraped), (Option<u16>, String)> {
        let parsed = url::Url::parse(url).map_err(|e| (None, format!("bad article URL: {e}")))?;
        let profile = Profile::for_source(config, source).map_err(|e| (None, e.to_string()))?;
        let fetched = {
            let _slot = self
                .slots
                .acquire()
                .await
                .map_err(|e| (None, e.to_string()))?;
            let none = Validators::default();
            if source.robots {
                self.fetcher.get_page(&parsed, &none, &profile).await
            } else {
                self.fetcher.get_with(&parsed, &none, &profile).await
            }
        }
        .map_err(|e| (e.status(), e.to_string()))?;
        let status = fetched.status;
        let title = entry.title.clone();
        let summary = entry
            .summary
            .as_deref()
            .or(entry.content.as_deref())
            .map(html_to_text);
        let rules = rules.clone();
        let extraction = tokio::task::spawn_blocking(move || {
            let hints = Hints {
                url: Some(fetched.final_url.as_str()),
                content_type: fetched.content_type.as_deref(),
                feed_title: Some(title.as_str()).filter(|t| !t.is_empty()),
                summary: summary.as_deref(),
                rules: Some(&rules).filter(|r| !r.is_empty()),
                only: None,
                report: false,
            };
            extract::page(&fetched.bytes, None, &hints)
        })
        .await
        .map_err(|e| (Some(status), format!("extraction task failed: {e}")))?;
        if extraction.article.text.trim().is_empty() {
            let why = format!("no article text found on the page ({})", extraction.reason);
            return Err((Some(status), why));
        }
        let article = extraction.article;
        Ok((
            status,
            Scraped {
                strategy: extraction.strategy.name().to_owned(),
                reason: extraction.reason.to_owned(),
                title: article.title,
                text: article.text,
                html: article.html,
                published: article
                    .published
                    .and_then(|p| DateTime::parse_from_rfc3339(&p).ok())
                    .map(|p| p.timestamp()),
            },
        ))
    }
}

/// Whether an entry's article page should be scraped.
fn wants(mode: Scrape, kind: SourceKind, entry: &Entry) -> bool {
    let web = entry
        .url
        .as_deref()
        .is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"));
    web && match mode {
        Scrape::Never => false,
        Scrape::Always => true,
        Scrape::Auto => kind == SourceKind::Page || is_teaser(entry),
    }
}

/// Whether the feed gives no more than a teaser: short text, or text that
/// ends by pointing at the rest.
pub(super) fn is_teaser(entry: &Entry) -> bool {
    let html = entry
        .content
        .as_deref()
        .or(entry.summary.as_deref())
        .unwrap_or("");
    let text = html_to_text(html);
    let chars = text.chars().filter(|c| !c.is_whitespace()).count();
    let cjk = text.chars().any(crate::text::script::is_han);
    let short = chars < if cjk { TEASER_CHARS_CJK } else { TEASER_CHARS };
    let tail = text.trim_end().to_lowercase();
    let cut = [
        "…",
        "...",
        "[…]",
        "[...]",
        "read more",
        "continue reading",
        "阅读全文",
        "查看全文",
        "更多>>",
    ]
    .iter()
    .any(|end| tail.ends_with(end));
    short || cut
}

/// The entry with the article as its content; the feed's own text stays as
/// the summary.
fn apply(entry: &mut Entry, scraped: Scraped) {
    if scraped.html.trim().is_empty() {
        return;
    }
    let feed_text = entry.content.take();
    if entry.summary.is_none() {
        entry.summary = feed_text;
    }
    entry.content = Some(scraped.html);
    if entry.title.trim().is_empty() {
        entry.title = scraped.title;
    }
    if entry.published.is_none() {
        entry.published = scraped
            .published
            .and_then(|t| DateTime::from_timestamp(t, 0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(content: &str) -> Entry {
        Entry {
            id: "1".into(),
            url: Some("https://example.org/a".into()),
            title: "T".into(),
            author: None,
            published: None,
            summary: None,
            content: Some(content.into()),
            enclosures: Vec::new(),
            categories: Vec::new(),
        }
    }

    #[test]
    fn teasers_are_short_or_point_at_the_rest() {
        assert!(is_teaser(&entry(
            "<p>Dock workers voted to end the strike.</p>"
        )));
        assert!(is_teaser(&entry(&format!(
            "<p>{}</p><p>Read more</p>",
            "word ".repeat(200)
        ))));
        assert!(!is_teaser(&entry(&format!(
            "<p>{}</p>",
            "word ".repeat(200)
        ))));
        assert!(is_teaser(&entry("连日来，市四套班子领导分赴各地督查。")));
        assert!(!is_teaser(&entry(
            &"连日来，市四套班子领导分赴各地督查疫情防控工作。".repeat(10)
        )));
    }

    #[test]
    fn the_mode_decides_and_only_web_links_are_scraped() {
        let full = entry(&format!("<p>{}</p>", "word ".repeat(200)));
        let teaser = entry("<p>Short.</p>");
        assert!(wants(Scrape::Always, SourceKind::Feed, &full));
        assert!(!wants(Scrape::Never, SourceKind::Feed, &teaser));
        assert!(wants(Scrape::Auto, SourceKind::Feed, &teaser));
        assert!(!wants(Scrape::Auto, SourceKind::Feed, &full));
        assert!(wants(Scrape::Auto, SourceKind::Page, &full));
        let mut local = teaser.clone();
        local.url = Some("file:///tmp/a.html".into());
        assert!(!wants(Scrape::Always, SourceKind::Feed, &local));
    }

    #[test]
    fn a_scraped_article_becomes_the_content_and_the_teaser_the_summary() {
        let mut e = entry("<p>Short.</p>");
        e.title = String::new();
        apply(
            &mut e,
            Scraped {
                strategy: "readability".into(),
                reason: "r".into(),
                title: "Port strike ends".into(),
                text: "Full text.".into(),
                html: "<p>Full text.</p>".into(),
                published: Some(1_700_000_000),
            },
        );
        assert_eq!(e.content.as_deref(), Some("<p>Full text.</p>"));
        assert_eq!(e.summary.as_deref(), Some("<p>Short.</p>"));
        assert_eq!(e.title, "Port strike ends");
        assert_eq!(e.published.map(|p| p.timestamp()), Some(1_700_000_000));
    }
}
