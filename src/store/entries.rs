//! Storing entries: once per source and GUID, and each in exactly one story.

use sqlx::{Any, Row, Transaction};
use xxhash_rust::xxh3::xxh3_64;

use super::{Store, StoreError, not_after};
use crate::dedup::canonical_url;
use crate::source::Entry;

/// What one ingest did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Entries seen for the first time.
    pub new: usize,
    /// Known entries whose text changed.
    pub updated: usize,
    /// Known entries, unchanged.
    pub unchanged: usize,
}

impl IngestReport {
    /// True when the merged feed may need publishing again.
    pub fn changed(&self) -> bool {
        self.new + self.updated > 0
    }
}

impl Store {
    /// Stores a source's entries in one transaction. Re-ingesting the same
    /// entries changes nothing; an entry whose canonical URL is already a story
    /// joins that story.
    pub async fn ingest(
        &self,
        source_id: i64,
        source_name: &str,
        entries: &[Entry],
        now: i64,
    ) -> Result<IngestReport, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut report = IngestReport::default();
        for entry in entries {
            match ingest_one(&mut tx, source_id, source_name, entry, now).await? {
                Outcome::New => report.new += 1,
                Outcome::Updated => report.updated += 1,
                Outcome::Unchanged => report.unchanged += 1,
            }
        }
        tx.commit().await?;
        Ok(report)
    }
}

enum Outcome {
    New,
    Updated,
    Unchanged,
}

async fn ingest_one(
    tx: &mut Transaction<'static, Any>,
    source_id: i64,
    source_name: &str,
    entry: &Entry,
    now: i64,
) -> Result<Outcome, StoreError> {
    let existing = sqlx::query(
        "SELECT id, story_id, url, title, author, summary, content, published
         FROM entries WHERE source_id = $1 AND guid = $2",
    )
    .bind(source_id)
    .bind(&entry.id)
    .fetch_optional(&mut **tx)
    .await?;
    let published = entry.published.map(|_| not_after(entry.published, now));
    let Some(row) = existing else {
        insert_new(tx, source_id, source_name, entry, published, now).await?;
        return Ok(Outcome::New);
    };
    let same = row.try_get::<Option<String>, _>("url")? == entry.url
        && row.try_get::<String, _>("title")? == entry.title
        && row.try_get::<Option<String>, _>("author")? == entry.author
        && row.try_get::<Option<String>, _>("summary")? == entry.summary
        && row.try_get::<Option<String>, _>("content")? == entry.content
        && row.try_get::<Option<i64>, _>("published")? == published;
    if same {
        return Ok(Outcome::Unchanged);
    }
    let (id, story_id): (i64, i64) = (row.try_get("id")?, row.try_get("story_id")?);
    sqlx::query(
        "UPDATE entries SET url = $2, title = $3, author = $4, summary = $5, content = $6,
             published = $7, updated = $8
         WHERE id = $1",
    )
    .bind(id)
    .bind(entry.url.as_deref())
    .bind(&entry.title)
    .bind(entry.author.as_deref())
    .bind(entry.summary.as_deref())
    .bind(entry.content.as_deref())
    .bind(published)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    touch_story(tx, story_id, now).await?;
    Ok(Outcome::Updated)
}

async fn insert_new(
    tx: &mut Transaction<'static, Any>,
    source_id: i64,
    source_name: &str,
    entry: &Entry,
    published: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    let canonical = entry.url.as_deref().and_then(canonical_url);
    let story_id = story_for(
        tx,
        canonical.as_deref(),
        source_name,
        &entry.id,
        published.unwrap_or(now),
        now,
    )
    .await?;
    sqlx::query(
        "INSERT INTO entries (source_id, guid, url, canonical_url, title, author, summary, content,
             published, first_seen, updated, story_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)",
    )
    .bind(source_id)
    .bind(&entry.id)
    .bind(entry.url.as_deref())
    .bind(canonical.as_deref())
    .bind(&entry.title)
    .bind(entry.author.as_deref())
    .bind(entry.summary.as_deref())
    .bind(entry.content.as_deref())
    .bind(published)
    .bind(now)
    .bind(story_id)
    .execute(&mut **tx)
    .await?;
    touch_story(tx, story_id, now).await
}

/// The story an entry belongs to: the one with its canonical URL, or a new one.
/// The story key is derived from what founded it, so it is the same in every
/// database that ingests the same feeds.
async fn story_for(
    tx: &mut Transaction<'static, Any>,
    canonical: Option<&str>,
    source_name: &str,
    guid: &str,
    published: i64,
    now: i64,
) -> Result<i64, StoreError> {
    let key = match canonical {
        Some(url) => format!("{:016x}", xxh3_64(format!("url\u{1f}{url}").as_bytes())),
        None => format!(
            "{:016x}",
            xxh3_64(format!("entry\u{1f}{source_name}\u{1f}{guid}").as_bytes())
        ),
    };
    sqlx::query(
        "INSERT INTO stories (story_key, canonical_url, published, updated) VALUES ($1, $2, $3, $4)
         ON CONFLICT (story_key) DO NOTHING",
    )
    .bind(&key)
    .bind(canonical)
    .bind(published)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let id = sqlx::query_scalar("SELECT id FROM stories WHERE story_key = $1")
        .bind(&key)
        .fetch_one(&mut **tx)
        .await?;
    Ok(id)
}

async fn touch_story(
    tx: &mut Transaction<'static, Any>,
    story_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE stories SET updated = $2 WHERE id = $1")
        .bind(story_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
