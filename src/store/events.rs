//! Related coverage in the store: the stories an events pass reads, the
//! event rows it writes, and what the feeds, `explain` and `split --event`
//! read back.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::Row;

use super::stories::copy_from_row;
use super::{Store, StoreError, StoryCopy, in_list, placeholders, run_in};

/// One story as the events pass reads it: its copy with the longest body
/// stands for it, dated by the story, with every source that ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStory {
    /// Row id.
    pub id: i64,
    /// Public key.
    pub key: String,
    /// The story's time, Unix seconds.
    pub published: i64,
    /// The longest copy's title.
    pub title: String,
    /// The longest copy's body (HTML, as stored).
    pub body: String,
    /// Names of the sources that ran it, each once.
    pub sources: Vec<String>,
}

/// A story's place in an event, as a pass decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// The story's row id.
    pub story: i64,
    /// The story naming the event (its earliest).
    pub event: i64,
    /// The story's strongest passing link inside the event.
    pub linked: i64,
    /// That pair's score, cosine, title cosine.
    pub score: f32,
    /// Body cosine.
    pub cosine: f32,
    /// Title cosine.
    pub title: f32,
    /// Whether the two share a source.
    pub same_source: bool,
    /// Seconds between the two.
    pub gap_secs: i64,
    /// Strongest shared terms (hash, weight), strongest first.
    pub terms: Vec<(u64, f32)>,
}

/// Another story of an item's event, as the feeds list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedStory {
    /// Its public key.
    pub key: String,
    /// The story's time, Unix seconds.
    pub published: i64,
    /// Its earliest copy (the feeds' filters judge it like any copy).
    pub copy: StoryCopy,
}

/// A story's event, for `feedfold explain`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventView {
    /// The row as the last pass wrote it (ids resolved below).
    pub row: EventRow,
    /// Key of the story naming the event.
    pub event_key: String,
    /// Key and title of the linked story.
    pub linked: (String, String),
    /// When the pass decided, Unix seconds.
    pub decided_at: i64,
    /// Every story of the event (this one too): key, title, source.
    pub members: Vec<(String, String, String)>,
}

/// Where a story stands in related coverage.
#[derive(Debug, Clone, PartialEq)]
pub enum EventState {
    /// No other story reports its event (or no pass has run since it came).
    Alone,
    /// Taken out of events by `feedfold split --event`.
    Split,
    /// In an event with others.
    In(EventView),
}

/// Rows per statement: keeps binds under SQLite's limit.
const CHUNK: usize = 400;

/// Stories one statement of [`Store::event_stories`] reads.
pub const EVENT_STORIES_CHUNK: usize = CHUNK;

impl Store {
    /// The ids of the stories published at or after `since` that are not
    /// merged into another and were not split out of events, newest first,
    /// `limit` at most. Read them with [`Store::event_stories`], a chunk
    /// at a time, so that a chunk's bodies are all that is held.
    pub async fn event_story_ids(&self, since: i64, limit: usize) -> Result<Vec<i64>, StoreError> {
        let ids = sqlx::query_scalar(
            "SELECT id FROM stories
             WHERE published >= $1 AND merged_into IS NULL AND event_split = 0
             ORDER BY published DESC, id DESC LIMIT $2",
        )
        .bind(since)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }

    /// The stories with these ids, in the order of `ids`; ids no longer
    /// stored are left out. Read [`EVENT_STORIES_CHUNK`] at a time (a
    /// statement each), so callers pass that many to hold only their bodies.
    pub async fn event_stories(&self, ids: &[i64]) -> Result<Vec<EventStory>, StoreError> {
        let mut stories = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let mut found = self.event_stories_by_id(chunk).await?;
            stories.extend(chunk.iter().filter_map(|id| found.remove(id)));
        }
        Ok(stories)
    }

    /// The stories with these ids, each by its longest copy (ties: the
    /// earliest), with every source that ran it.
    async fn event_stories_by_id(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, EventStory>, StoreError> {
        let sql = format!(
            "SELECT s.id, s.story_key, s.published, src.name, e.title,
                    COALESCE(e.content, e.summary, '') AS body
             FROM stories s
             JOIN entries e ON e.story_id = s.id
             JOIN sources src ON src.id = e.source_id
             WHERE s.id IN ({})
             ORDER BY s.id, COALESCE(e.published, e.first_seen), src.name, e.guid",
            placeholders(1, ids.len())
        );
        // Only numbered placeholders are formatted in; the ids are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(*id);
        }
        let mut rows = query.fetch(&self.pool);
        let mut stories: HashMap<i64, EventStory> = HashMap::with_capacity(ids.len());
        while let Some(row) = rows.try_next().await? {
            let id: i64 = row.try_get("id")?;
            let source: String = row.try_get("name")?;
            let body: String = row.try_get("body")?;
            match stories.get_mut(&id) {
                Some(story) => {
                    if !story.sources.contains(&source) {
                        story.sources.push(source);
                    }
                    // Ties keep the earliest copy (rows come in that order).
                    if body.len() > story.body.len() {
                        story.title = row.try_get("title")?;
                        story.body = body;
                    }
                }
                None => {
                    let story = EventStory {
                        id,
                        key: row.try_get("story_key")?,
                        published: row.try_get("published")?,
                        title: row.try_get("title")?,
                        body,
                        sources: vec![source],
                    };
                    stories.insert(id, story);
                }
            }
        }
        Ok(stories)
    }

    /// Makes the event rows of the stories in `covered` those in `rows`
    /// (stories of `covered` without a row are alone). Only rows that
    /// change are written; returns how many stories changed event, and
    /// marks the feeds changed when any did.
    pub async fn write_events(
        &self,
        covered: &[i64],
        rows: &[EventRow],
        now: i64,
    ) -> Result<usize, StoreError> {
        let stored = self.stored_events(covered).await?;
        let wanted: HashMap<i64, &EventRow> = rows.iter().map(|r| (r.story, r)).collect();
        let gone: Vec<i64> = covered
            .iter()
            .copied()
            .filter(|id| stored.contains_key(id) && !wanted.contains_key(id))
            .collect();
        let changed: Vec<&EventRow> = rows
            .iter()
            .filter(|r| stored.get(&r.story) != Some(&(r.event, r.linked)))
            .collect();
        let moved = gone.len()
            + changed
                .iter()
                .filter(|r| stored.get(&r.story).map(|s| s.0) != Some(r.event))
                .count();
        if gone.is_empty() && changed.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let cleared: Vec<i64> = gone
            .iter()
            .copied()
            .chain(changed.iter().map(|r| r.story))
            .collect();
        let delete = |list: &str| format!("DELETE FROM story_events WHERE story_id IN ({list})");
        run_in(&mut tx, delete, &cleared).await?;
        for row in changed {
            insert_row(&mut tx, row, now).await?;
        }
        if moved > 0 {
            tx.mark_changed().await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// (event, linked) of the stories in `ids` that have a row.
    async fn stored_events(&self, ids: &[i64]) -> Result<HashMap<i64, (i64, i64)>, StoreError> {
        let select = |list: &str| {
            format!(
                "SELECT story_id, event_story_id, linked_story_id FROM story_events
                 WHERE story_id IN ({list})"
            )
        };
        let mut conn = self.pool.acquire().await?;
        in_list(&mut conn, select, ids)
            .await?
            .iter()
            .map(|row| {
                let pair = (
                    row.try_get("event_story_id")?,
                    row.try_get("linked_story_id")?,
                );
                Ok((row.try_get("story_id")?, pair))
            })
            .collect()
    }
}

async fn insert_row(tx: &mut super::WriteTx, row: &EventRow, now: i64) -> Result<(), StoreError> {
    let terms: Vec<(String, f64)> = row
        .terms
        .iter()
        .map(|&(t, w)| (format!("{t:016x}"), thousandths(w) as f64 / 1000.0))
        .collect();
    sqlx::query(
        "INSERT INTO story_events (story_id, event_story_id, linked_story_id, score, cosine,
                                   title_cosine, same_source, gap_secs, terms, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(row.story)
    .bind(row.event)
    .bind(row.linked)
    .bind(thousandths(row.score))
    .bind(thousandths(row.cosine))
    .bind(thousandths(row.title))
    .bind(i64::from(row.same_source))
    .bind(row.gap_secs)
    .bind(serde_json::to_string(&terms).unwrap_or_else(|_| "[]".into()))
    .bind(now)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

fn thousandths(x: f32) -> i64 {
    (f64::from(x) * 1000.0).round() as i64
}

impl Store {
    /// For each story key in `keys` that is in an event with others, the
    /// other stories of that event (earliest first, `per_story` at most),
    /// each by its earliest copy.
    pub async fn related_stories(
        &self,
        keys: &[&str],
        per_story: usize,
    ) -> Result<HashMap<String, Vec<RelatedStory>>, StoreError> {
        let mut found: HashMap<String, Vec<RelatedStory>> = HashMap::new();
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT ms.story_key AS of_key, s.story_key, s.published AS story_published,
                        src.name AS source, src.feed_title, src.priority, e.guid, e.url, e.title,
                        e.author, e.summary, e.content, e.enclosures, e.categories,
                        COALESCE(e.published, e.first_seen) AS published
                 FROM stories ms
                 JOIN story_events me ON me.story_id = ms.id
                 JOIN story_events oe ON oe.event_story_id = me.event_story_id AND oe.story_id <> me.story_id
                 JOIN stories s ON s.id = oe.story_id AND s.merged_into IS NULL AND s.event_split = 0
                 JOIN entries e ON e.story_id = s.id
                 JOIN sources src ON src.id = e.source_id
                 WHERE ms.story_key IN ({})
                 ORDER BY ms.story_key, s.published, s.id, COALESCE(e.published, e.first_seen), src.name, e.guid",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for key in chunk {
                query = query.bind(*key);
            }
            for row in query.fetch_all(&self.pool).await? {
                let list = found.entry(row.try_get("of_key")?).or_default();
                let key: String = row.try_get("story_key")?;
                // The first row of each story is its earliest copy.
                if list.len() >= per_story || list.last().is_some_and(|r| r.key == key) {
                    continue;
                }
                list.push(RelatedStory {
                    key,
                    published: row.try_get("story_published")?,
                    copy: copy_from_row(&row)?,
                });
            }
        }
        Ok(found)
    }

    /// The event of the story with key `key`.
    pub async fn story_event(&self, key: &str) -> Result<EventState, StoreError> {
        let split: Option<i64> =
            sqlx::query_scalar("SELECT event_split FROM stories WHERE story_key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        if split.is_some_and(|s| s != 0) {
            return Ok(EventState::Split);
        }
        // A row whose other stories are gone (pruned since the last pass)
        // is an event of one.
        Ok(match self.event_view(key).await? {
            Some(view) if view.members.len() > 1 => EventState::In(view),
            _ => EventState::Alone,
        })
    }

    async fn event_view(&self, key: &str) -> Result<Option<EventView>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT se.*, ev.story_key AS event_key, ls.story_key AS linked_key
             FROM stories s JOIN story_events se ON se.story_id = s.id
             LEFT JOIN stories ev ON ev.id = se.event_story_id
             LEFT JOIN stories ls ON ls.id = se.linked_story_id
             WHERE s.story_key = $1 AND s.event_split = 0",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let event: i64 = row.try_get("event_story_id")?;
        let linked: i64 = row.try_get("linked_story_id")?;
        let members = self.event_members(event).await?;
        let title_of = |k: &str| {
            members
                .iter()
                .find(|m| m.0 == k)
                .map(|m| m.1.clone())
                .unwrap_or_default()
        };
        let event_key: Option<String> = row.try_get("event_key")?;
        let linked_key: Option<String> = row.try_get("linked_key")?;
        let linked_key = linked_key.unwrap_or_else(|| format!("(pruned story {linked})"));
        let per = |x: i64| x as f32 / 1000.0;
        let terms: String = row.try_get("terms")?;
        Ok(Some(EventView {
            row: EventRow {
                story: row.try_get("story_id")?,
                event,
                linked,
                score: per(row.try_get("score")?),
                cosine: per(row.try_get("cosine")?),
                title: per(row.try_get("title_cosine")?),
                same_source: row.try_get::<i64, _>("same_source")? != 0,
                gap_secs: row.try_get("gap_secs")?,
                terms: parse_terms(&terms),
            },
            event_key: event_key.unwrap_or_else(|| format!("(pruned story {event})")),
            linked: (linked_key.clone(), title_of(&linked_key)),
            decided_at: row.try_get("decided_at")?,
            members,
        }))
    }

    /// Every story of event `event`, earliest first: key, earliest title, source.
    async fn event_members(&self, event: i64) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.story_key, e.title, src.name
             FROM story_events se JOIN stories s ON s.id = se.story_id AND s.merged_into IS NULL
             JOIN entries e ON e.story_id = s.id JOIN sources src ON src.id = e.source_id
             WHERE se.event_story_id = $1
             ORDER BY s.published, s.id, COALESCE(e.published, e.first_seen), src.name, e.guid",
        )
        .bind(event)
        .fetch_all(&self.pool)
        .await?;
        let mut members: Vec<(String, String, String)> = Vec::new();
        for row in &rows {
            let key: String = row.try_get("story_key")?;
            if members.last().is_none_or(|m| m.0 != key) {
                members.push((key, row.try_get("title")?, row.try_get("name")?));
            }
        }
        Ok(members)
    }

    /// The longest copy's title and body of the story with key `key`.
    pub async fn story_text(&self, key: &str) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT e.title, COALESCE(e.content, e.summary, '') AS body
             FROM stories s JOIN entries e ON e.story_id = s.id
             WHERE s.story_key = $1
             ORDER BY LENGTH(COALESCE(e.content, e.summary, '')) DESC, COALESCE(e.published, e.first_seen), e.id
             LIMIT 1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get("title")?, r.try_get("body")?)))
            .transpose()
    }

    /// Takes the story with key `key` out of related coverage for good:
    /// later passes leave it alone. `false` when there is no such story.
    pub async fn split_event(&self, key: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM stories WHERE story_key = $1")
            .bind(key)
            .fetch_optional(&mut **tx)
            .await?;
        let Some(id) = id else {
            return Ok(false);
        };
        sqlx::query("UPDATE stories SET event_split = 1 WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM story_events WHERE story_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        tx.mark_changed().await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Terms as stored: `[["<16 hex digits>", weight], …]`; anything else is none.
fn parse_terms(json: &str) -> Vec<(u64, f32)> {
    let parsed: Vec<(String, f64)> = serde_json::from_str(json).unwrap_or_default();
    parsed
        .into_iter()
        .filter_map(|(t, w)| Some((u64::from_str_radix(&t, 16).ok()?, w as f32)))
        .collect()
}
