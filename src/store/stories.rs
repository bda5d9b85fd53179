//! Reading stories back for publishing: the newest within the window, each
//! with every copy that was stored.

use std::collections::HashMap;

use sqlx::Row;

use super::{Store, StoreError, media};
use crate::source::Enclosure;

/// One source's copy of a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryCopy {
    /// The source's name.
    pub source: String,
    /// The source's display name, when it has one other than its name:
    /// its feed's own title as stored (the publisher puts the config's
    /// `title` here first).
    pub source_title: Option<String>,
    /// The source's priority.
    pub priority: i64,
    /// The source's GUID for the item.
    pub guid: String,
    /// Article link.
    pub url: Option<String>,
    /// Title.
    pub title: String,
    /// Author.
    pub author: Option<String>,
    /// Summary HTML.
    pub summary: Option<String>,
    /// Content HTML.
    pub content: Option<String>,
    /// Publication time (clamped to arrival), Unix seconds.
    pub published: i64,
    /// Attached media, as the feed gave them.
    pub enclosures: Vec<Enclosure>,
    /// Categories, as the feed gave them.
    pub categories: Vec<String>,
}

/// A story with all its copies, earliest published first (ties by source
/// name, then GUID: never by arrival).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryRecord {
    /// Stable public key.
    pub key: String,
    /// Ordering time, Unix seconds.
    pub published: i64,
    /// Last change, Unix seconds.
    pub updated: i64,
    /// The copies.
    pub copies: Vec<StoryCopy>,
}

impl Store {
    /// The `limit` newest stories published at or after `since`, newest first.
    /// With `group`, only stories that a source in that group carried, and
    /// only those sources' copies: a group feed clusters within the group.
    pub async fn recent_stories(
        &self,
        since: i64,
        limit: usize,
        group: Option<&str>,
    ) -> Result<Vec<StoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT st.story_key, st.published AS story_published, st.updated AS story_updated,
                    src.name AS source, src.feed_title, src.priority, e.guid, e.url, e.title, e.author, e.summary,
                    e.content, e.enclosures, e.categories, COALESCE(e.published, e.first_seen) AS published
             FROM (SELECT s.id, s.story_key, s.published, s.updated FROM stories s
                   WHERE s.published >= $1 AND s.merged_into IS NULL
                     AND ($3 IS NULL OR EXISTS (
                         SELECT 1 FROM entries ge JOIN source_groups g ON g.source_id = ge.source_id
                         WHERE ge.story_id = s.id AND g.name = $3))
                   ORDER BY s.published DESC, s.id DESC LIMIT $2) st
             JOIN entries e ON e.story_id = st.id
             JOIN sources src ON src.id = e.source_id
             WHERE $3 IS NULL OR EXISTS (
                 SELECT 1 FROM source_groups g WHERE g.source_id = e.source_id AND g.name = $3)
             ORDER BY st.published DESC, st.id DESC, COALESCE(e.published, e.first_seen),
                      src.name, e.guid",
        )
        .bind(since)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind(group)
        .fetch_all(&self.pool)
        .await?;
        let mut stories: Vec<StoryRecord> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for row in &rows {
            let key: String = row.try_get("story_key")?;
            let at = *index.entry(key.clone()).or_insert_with(|| stories.len());
            if at == stories.len() {
                stories.push(StoryRecord {
                    key,
                    published: row.try_get("story_published")?,
                    updated: row.try_get("story_updated")?,
                    copies: Vec::new(),
                });
            }
            stories[at].copies.push(copy_from_row(row)?);
        }
        Ok(stories)
    }
}

impl Store {
    /// One stored entry as a story copy, for judging it against the
    /// config's rules (`feedfold explain`).
    pub async fn entry_copy(&self, entry: i64) -> Result<StoryCopy, StoreError> {
        let row = sqlx::query(
            "SELECT src.name AS source, src.feed_title, src.priority, e.guid, e.url, e.title,
                    e.author, e.summary, e.content, e.enclosures, e.categories,
                    COALESCE(e.published, e.first_seen) AS published
             FROM entries e JOIN sources src ON src.id = e.source_id WHERE e.id = $1",
        )
        .bind(entry)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::UnknownEntry(entry.to_string()))?;
        copy_from_row(&row)
    }
}

pub(super) fn copy_from_row(row: &sqlx::any::AnyRow) -> Result<StoryCopy, StoreError> {
    Ok(StoryCopy {
        source: row.try_get("source")?,
        source_title: row.try_get("feed_title")?,
        priority: row.try_get("priority")?,
        guid: row.try_get("guid")?,
        url: row.try_get("url")?,
        title: row.try_get("title")?,
        author: row.try_get("author")?,
        summary: row.try_get("summary")?,
        content: row.try_get("content")?,
        published: row.try_get("published")?,
        enclosures: media::enclosures_of(row)?,
        categories: media::categories_of(row)?,
    })
}
