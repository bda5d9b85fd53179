//! The scraped-article cache: one row per article URL, holding what
//! extraction found and which strategy won, or why nothing was found.

use std::collections::HashMap;

use sqlx::Row;

use super::{Store, StoreError, placeholders};

/// What scraping one article page gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRecord {
    /// The article's URL (the entry's link).
    pub url: String,
    /// When it was fetched, Unix seconds.
    pub fetched_at: i64,
    /// HTTP status, if a response arrived.
    pub status: Option<u16>,
    /// The extracted article, or why there is none.
    pub outcome: Result<Scraped, String>,
}

/// An extracted article and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scraped {
    /// Which strategy's candidate won (`extract::Strategy::name`).
    pub strategy: String,
    /// Why it won.
    pub reason: String,
    /// Headline, reconciled.
    pub title: String,
    /// Plain text, one paragraph per line.
    pub text: String,
    /// Sanitised HTML.
    pub html: String,
    /// Publication time the page gives, Unix seconds.
    pub published: Option<i64>,
}

impl Store {
    /// The cached results for these URLs, by URL.
    pub async fn articles(
        &self,
        urls: &[&str],
    ) -> Result<HashMap<String, ArticleRecord>, StoreError> {
        let mut found = HashMap::new();
        // One statement per chunk keeps the bind count under SQLite's limit.
        for chunk in urls.chunks(500) {
            let sql = format!(
                "SELECT url, fetched_at, status, strategy, reason, error, title, text, html, published
                 FROM articles WHERE url IN ({})",
                placeholders(1, chunk.len())
            );
            // Only numbered placeholders are formatted in; the URLs are bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for url in chunk {
                query = query.bind(*url);
            }
            for row in query.fetch_all(&self.pool).await? {
                let record = record(&row)?;
                found.insert(record.url.clone(), record);
            }
        }
        Ok(found)
    }

    /// Stores (or replaces) the result for one URL.
    pub async fn save_article(&self, article: &ArticleRecord) -> Result<(), StoreError> {
        let (ok, error) = match &article.outcome {
            Ok(scraped) => (Some(scraped), None),
            Err(error) => (None, Some(error.as_str())),
        };
        // Waiting for the turn, not in SQLite's busy handler: ingest holds
        // the write lock for whole groups of sources.
        let _turn = self.small_write_turn().await;
        sqlx::query(
            "INSERT INTO articles (url, fetched_at, status, strategy, reason, error, title, text, html, published)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (url) DO UPDATE SET fetched_at = excluded.fetched_at,
                 status = excluded.status, strategy = excluded.strategy, reason = excluded.reason,
                 error = excluded.error, title = excluded.title, text = excluded.text,
                 html = excluded.html, published = excluded.published",
        )
        .bind(&article.url)
        .bind(article.fetched_at)
        .bind(article.status.map(i64::from))
        .bind(ok.map(|s| s.strategy.as_str()))
        .bind(ok.map(|s| s.reason.as_str()))
        .bind(error)
        .bind(ok.map(|s| s.title.as_str()))
        .bind(ok.map(|s| s.text.as_str()))
        .bind(ok.map(|s| s.html.as_str()))
        .bind(ok.and_then(|s| s.published))
        .execute(self.writer())
        .await?;
        Ok(())
    }
}

fn record(row: &sqlx::any::AnyRow) -> Result<ArticleRecord, StoreError> {
    let error: Option<String> = row.try_get("error")?;
    let text = |name: &str| -> Result<String, StoreError> {
        Ok(row.try_get::<Option<String>, _>(name)?.unwrap_or_default())
    };
    let outcome = match error {
        Some(error) => Err(error),
        None => Ok(Scraped {
            strategy: text("strategy")?,
            reason: text("reason")?,
            title: text("title")?,
            text: text("text")?,
            html: text("html")?,
            published: row.try_get("published")?,
        }),
    };
    Ok(ArticleRecord {
        url: row.try_get("url")?,
        fetched_at: row.try_get("fetched_at")?,
        status: row
            .try_get::<Option<i64>, _>("status")?
            .and_then(|s| u16::try_from(s).ok()),
        outcome,
    })
}
