//! Storing entries: once per source and GUID, each in exactly one story,
//! and every clustering decision recorded.

use sqlx::{Any, Row, Transaction};
use xxhash_rust::xxh3::xxh3_64;

use super::candidates::Candidates;
use super::{Store, StoreError, WriteTx};
use crate::dedup::index::{block_values, probe_radius, probes};
use crate::dedup::{Decision, MatchOptions, Neighbour, Simhash, canonical_url, decide};
use crate::source::Entry;

/// An entry ready to store: parsed and fingerprinted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The entry.
    pub entry: Entry,
    /// Its fingerprint (title + body text), if computed.
    pub simhash: Option<Simhash>,
}

/// What one ingest did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Entries seen for the first time.
    pub new: usize,
    /// New entries that joined an existing story.
    pub merged: usize,
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

/// Where the new entry came from, for keys and decisions.
struct Origin<'a> {
    source_id: i64,
    source_name: &'a str,
    now: i64,
    options: MatchOptions,
}

impl Store {
    /// Stores a source's entries in one transaction. Re-ingesting the same
    /// entries changes nothing; a new entry joins the story of an entry with
    /// the same canonical URL, else of its nearest fingerprint within
    /// `options`, else starts a story.
    pub async fn ingest(
        &self,
        source_id: i64,
        source_name: &str,
        items: &[Incoming],
        now: i64,
        options: MatchOptions,
    ) -> Result<IngestReport, StoreError> {
        let origin = Origin {
            source_id,
            source_name,
            now,
            options,
        };
        let mut write = self.begin_write().await?;
        write.synced = true;
        let WriteTx { tx, candidates, .. } = &mut write;
        candidates.sync(tx, now, options.window_secs).await?;
        let mut report = IngestReport::default();
        for item in items {
            match ingest_one(tx, candidates, &origin, item).await? {
                Outcome::New(Decision::New) => report.new += 1,
                Outcome::New(_) => {
                    report.new += 1;
                    report.merged += 1;
                }
                Outcome::Updated => report.updated += 1,
                Outcome::Unchanged => report.unchanged += 1,
            }
        }
        if report.changed() {
            write.mark_changed().await?;
        }
        write.commit().await?;
        Ok(report)
    }
}

enum Outcome {
    New(Decision),
    Updated,
    Unchanged,
}

async fn ingest_one(
    tx: &mut Transaction<'static, Any>,
    candidates: &mut Candidates,
    origin: &Origin<'_>,
    item: &Incoming,
) -> Result<Outcome, StoreError> {
    let entry = &item.entry;
    let existing = sqlx::query(
        "SELECT id, story_id, url, title, author, summary, content, published
         FROM entries WHERE source_id = $1 AND guid = $2",
    )
    .bind(origin.source_id)
    .bind(&entry.id)
    .fetch_optional(&mut **tx)
    .await?;
    // Stored as the feed gave it, so an unchanged future-dated item compares
    // equal on the next fetch; times used for ordering are clamped instead.
    let published = entry.published.map(|t| t.timestamp());
    let Some(row) = existing else {
        let decision = insert_new(tx, candidates, origin, item, published).await?;
        return Ok(Outcome::New(decision));
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
    // An edited entry keeps its story (its id is published); only its text
    // and fingerprint follow the edit.
    let (id, story_id): (i64, i64) = (row.try_get("id")?, row.try_get("story_id")?);
    sqlx::query(
        "UPDATE entries SET url = $2, title = $3, author = $4, summary = $5, content = $6,
             published = $7, updated = $8, fingerprint = $9, canonical_url = $10
         WHERE id = $1",
    )
    .bind(id)
    .bind(entry.url.as_deref())
    .bind(&entry.title)
    .bind(entry.author.as_deref())
    .bind(entry.summary.as_deref())
    .bind(entry.content.as_deref())
    .bind(published)
    .bind(origin.now)
    .bind(usable_fingerprint(item))
    .bind(entry.url.as_deref().and_then(canonical_url))
    .execute(&mut **tx)
    .await?;
    write_bands(tx, id, usable_fingerprint(item), true).await?;
    candidates.put(id, usable_fingerprint(item));
    touch_story(tx, story_id, origin.now).await?;
    Ok(Outcome::Updated)
}

fn usable_fingerprint(item: &Incoming) -> Option<i64> {
    item.simhash
        .filter(Simhash::usable)
        .map(|s| s.fingerprint.to_i64())
}

async fn insert_new(
    tx: &mut Transaction<'static, Any>,
    candidates: &mut Candidates,
    origin: &Origin<'_>,
    item: &Incoming,
    published: Option<i64>,
) -> Result<Decision, StoreError> {
    let entry = &item.entry;
    let canonical = entry.url.as_deref().and_then(canonical_url);
    let time = published.map_or(origin.now, |p| p.min(origin.now));
    let same_url = match &canonical {
        Some(url) => same_url(tx, url, time - origin.options.window_secs).await?,
        None => None,
    };
    let neighbours = match (same_url, usable_fingerprint(item)) {
        (None, Some(fp)) if origin.options.distance > 0 => {
            neighbours(tx, candidates, fp, time, origin.options).await?
        }
        _ => Vec::new(),
    };
    let decision = decide(
        same_url,
        item.simhash,
        Some(time),
        neighbours,
        origin.options,
    );
    let story_id = match decision.cluster() {
        Some(story) => story,
        None => {
            new_story(
                tx,
                &story_key("entry", origin.source_name, &entry.id),
                time,
                origin.now,
            )
            .await?
        }
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO entries (source_id, guid, url, canonical_url, title, author, summary, content,
             published, first_seen, updated, story_id, fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)
         RETURNING id",
    )
    .bind(origin.source_id)
    .bind(&entry.id)
    .bind(entry.url.as_deref())
    .bind(canonical.as_deref())
    .bind(&entry.title)
    .bind(entry.author.as_deref())
    .bind(entry.summary.as_deref())
    .bind(entry.content.as_deref())
    .bind(published)
    .bind(origin.now)
    .bind(story_id)
    .bind(usable_fingerprint(item))
    .fetch_one(&mut **tx)
    .await?;
    write_bands(tx, id, usable_fingerprint(item), false).await?;
    candidates.put(id, usable_fingerprint(item));
    record_decision(tx, id, story_id, &decision, origin.now).await?;
    // A story created just now already carries this time.
    if decision.cluster().is_some() {
        touch_story(tx, story_id, origin.now).await?;
    }
    Ok(decision)
}

/// The oldest entry with this canonical URL, and its story.
async fn same_url(
    tx: &mut Transaction<'static, Any>,
    url: &str,
    since: i64,
) -> Result<Option<(i64, i64)>, StoreError> {
    // Only stories still inside the window: a link reused for a daily
    // briefing must not fold today's briefing into last month's story.
    let row = sqlx::query(
        "SELECT e.id, e.story_id FROM entries e JOIN stories s ON s.id = e.story_id
         WHERE e.canonical_url = $1 AND s.published >= $2 ORDER BY e.id LIMIT 1",
    )
    .bind(url)
    .bind(since)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(row) => Some((row.try_get("id")?, row.try_get("story_id")?)),
        None => None,
    })
}

/// Entries within the distance of this fingerprint, inside the time window:
/// candidates from the in-memory copy when it reaches back far enough, else
/// from the band rows (see `dedup::index`); either way re-read here.
async fn neighbours(
    tx: &mut Transaction<'static, Any>,
    candidates: &Candidates,
    fingerprint: i64,
    time: i64,
    options: MatchOptions,
) -> Result<Vec<Neighbour>, StoreError> {
    let since = time.saturating_sub(options.window_secs);
    // $1/$2 are the window; the candidate list's placeholders follow.
    let (ids, params) = if candidates.covers(since) {
        let near = candidates.near(fingerprint, options.distance);
        if near.is_empty() {
            return Ok(Vec::new());
        }
        (placeholders(3, near.len()), near)
    } else {
        band_lookup(fingerprint, options.distance)
    };
    let sql = format!(
        "SELECT e.id, e.story_id, e.fingerprint, COALESCE(e.published, e.first_seen) AS t,
                s.published AS started
         FROM entries e JOIN stories s ON s.id = e.story_id
         WHERE e.id IN ({ids})
           AND COALESCE(e.published, e.first_seen) BETWEEN $1 AND $2
           AND s.published >= $1"
    );
    // The statement holds only numbered placeholders, never data.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(since)
        .bind(time.saturating_add(options.window_secs));
    for param in params {
        query = query.bind(param);
    }
    let mut found = Vec::new();
    for row in query.fetch_all(&mut **tx).await? {
        found.push(Neighbour {
            item: row.try_get("id")?,
            cluster: row.try_get("story_id")?,
            cluster_started: row.try_get("started")?,
            fingerprint: row.try_get::<i64, _>("fingerprint")? as u64,
            time: Some(row.try_get("t")?),
        });
    }
    Ok(found)
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A subquery of the entries whose band rows fall within the probe radius
/// in some block, all four blocks in one statement, and its parameters
/// (numbered from $3).
fn band_lookup(fingerprint: i64, distance: u32) -> (String, Vec<i64>) {
    let radius = probe_radius(distance);
    let mut parts = Vec::new();
    let mut params: Vec<i64> = Vec::new();
    for (block, value) in block_values(fingerprint as u64) {
        let values = probes(value as u16, radius);
        let first = params.len() + 3;
        params.push(block);
        params.extend(values.iter().map(|v| i64::from(*v)));
        parts.push(format!(
            "SELECT b.entry_id FROM entry_bands b WHERE b.block = ${first} AND b.value IN ({})",
            placeholders(first + 1, values.len())
        ));
    }
    // UNION (not ALL): an entry close in two blocks is one candidate.
    (parts.join(" UNION "), params)
}

/// Replaces an entry's band rows (none when it has no usable fingerprint).
async fn write_bands(
    tx: &mut Transaction<'static, Any>,
    entry_id: i64,
    fingerprint: Option<i64>,
    replace: bool,
) -> Result<(), StoreError> {
    if replace {
        sqlx::query("DELETE FROM entry_bands WHERE entry_id = $1")
            .bind(entry_id)
            .execute(&mut **tx)
            .await?;
    }
    let Some(fp) = fingerprint else { return Ok(()) };
    // One statement for all blocks: every round trip to the database costs
    // more than the insert itself.
    let blocks = block_values(fp as u64);
    let rows: Vec<String> = (0..blocks.len())
        .map(|i| format!("($1, ${}, ${})", 2 * i + 2, 2 * i + 3))
        .collect();
    let sql = format!(
        "INSERT INTO entry_bands (entry_id, block, value) VALUES {}",
        rows.join(", ")
    );
    // The statement holds only numbered placeholders, never data.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(entry_id);
    for (block, value) in blocks {
        query = query.bind(block).bind(value);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// A stable story key: the same in every database that sees the same founding entry.
pub(super) fn story_key(kind: &str, source: &str, guid: &str) -> String {
    format!(
        "{:016x}",
        xxh3_64(format!("{kind}\u{1f}{source}\u{1f}{guid}").as_bytes())
    )
}

pub(super) async fn new_story(
    tx: &mut Transaction<'static, Any>,
    key: &str,
    published: i64,
    now: i64,
) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        "INSERT INTO stories (story_key, published, updated) VALUES ($1, $2, $3)
         ON CONFLICT (story_key) DO UPDATE SET updated = $3
         RETURNING id",
    )
    .bind(key)
    .bind(published)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

pub(super) async fn record_decision(
    tx: &mut Transaction<'static, Any>,
    entry_id: i64,
    story_id: i64,
    decision: &Decision,
    now: i64,
) -> Result<(), StoreError> {
    let (matched, distance) = match *decision {
        Decision::SameUrl { matched, .. } => (Some(matched), None),
        Decision::NearDuplicate {
            matched, distance, ..
        } => (Some(matched), Some(i64::from(distance))),
        Decision::New => (None, None),
    };
    sqlx::query(
        "INSERT INTO decisions (entry_id, story_id, rule, matched_entry_id, distance, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(entry_id)
    .bind(story_id)
    .bind(decision.rule())
    .bind(matched)
    .bind(distance)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn touch_story(
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
