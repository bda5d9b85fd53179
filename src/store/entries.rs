//! Storing entries: once per source and GUID, each in exactly one story,
//! and every clustering decision recorded.

mod batch;
pub(super) mod group;
mod plan;

use sqlx::{Any, Transaction};
use xxhash_rust::xxh3::xxh3_64;

use std::collections::{HashMap, HashSet};

use super::templates::{self, PageLines};
use super::{Store, StoreError, WriteTx};
use crate::dedup::{Decision, Evidence, MatchOptions, Simhash, Traits};
use crate::source::Entry;
use plan::Plan;

/// An entry ready to store: parsed and fingerprinted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The entry.
    pub entry: Entry,
    /// Its fingerprint (title + body text), if computed.
    pub simhash: Option<Simhash>,
    /// Its sketch and title key, for verifying candidates (default: none;
    /// matched on the fingerprint alone).
    pub traits: Traits,
    /// Held back by its source's `keep`/`drop` rules: stored in a story of
    /// its own, without fingerprint, sketch or canonical URL, so it neither
    /// joins another story nor is found by later entries.
    pub held: bool,
}

/// What one ingest did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Entries seen for the first time.
    pub new: usize,
    /// New entries that joined an existing story.
    pub merged: usize,
    /// Stories merged into another because a new entry matched both.
    pub merged_stories: usize,
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

/// One source's entries to store, owned, so that whichever writer gets the
/// turn first can store them in its transaction (see [`group`]).
#[derive(Debug, Clone)]
pub struct Batch {
    /// The source's id.
    pub source_id: i64,
    /// The source's name, for story keys and decisions.
    pub source_name: String,
    /// The entries, as parsed and fingerprinted.
    pub items: Vec<Incoming>,
    /// When they were fetched (Unix seconds).
    pub now: i64,
    /// How entries match.
    pub options: MatchOptions,
    /// The site whose template counts (in the same transaction) the text
    /// lines of each entry stored for the first time, with each entry's
    /// lines; entries already stored (updated or unchanged) are not counted
    /// again.
    pub template: Option<(String, Vec<PageLines>)>,
}

impl Store {
    /// Stores a source's entries. Re-ingesting the same entries changes
    /// nothing; a new entry joins the story of an entry with the same
    /// canonical URL, else of its nearest fingerprint within `options`, else
    /// starts a story; when it matches members of several stories, they
    /// merge into the one that started first.
    pub async fn ingest(
        &self,
        source_id: i64,
        source_name: &str,
        items: &[Incoming],
        now: i64,
        options: MatchOptions,
    ) -> Result<IngestReport, StoreError> {
        self.ingest_batch(Batch {
            source_id,
            source_name: source_name.to_owned(),
            items: items.to_vec(),
            now,
            options,
            template: None,
        })
        .await
    }
}

/// Stores one batch inside `write` (its own savepoint, see [`group`]);
/// `mourned`: the transaction's sources with tombstones.
async fn store_batch(
    write: &mut WriteTx,
    batch: &Batch,
    mourned: &HashSet<i64>,
) -> Result<IngestReport, StoreError> {
    let origin = Origin {
        source_id: batch.source_id,
        source_name: &batch.source_name,
        now: batch.now,
        options: batch.options,
    };
    let (now, options) = (batch.now, batch.options);
    let WriteTx {
        tx,
        candidates,
        synced,
    } = write;
    // The first batch of a transaction syncs the copy, and every batch
    // puts what it writes into it (the plan its edits, `batch::write` its
    // new entries), so later ones find it up to date: no other process
    // writes while this transaction holds the write lock. A batch that
    // failed leaves `synced` unset (see `group`): the next one syncs.
    if !*synced {
        candidates.sync(tx, now, options.window_secs).await?;
    }
    *synced = true;
    let buried = if mourned.contains(&batch.source_id) {
        batch::buried(tx, &origin, &batch.items).await?
    } else {
        HashSet::new()
    };
    let kept: Vec<Incoming>;
    let items = if buried.is_empty() {
        &batch.items
    } else {
        kept = batch
            .items
            .iter()
            .filter(|i| !buried.contains(&i.entry.id))
            .cloned()
            .collect();
        &kept
    };
    // Read everything the decisions may look at, decide every item in
    // memory, then write: a handful of statements instead of several
    // per item, each of which costs a round trip.
    let (existing, known) = batch::read(tx, candidates, &origin, items).await?;
    let mut plan = Plan::new(&origin, &existing, known);
    for item in items {
        plan.add(item, candidates);
    }
    let removed: HashMap<&str, u32> = batch
        .template
        .iter()
        .flat_map(|(_, pages)| pages.iter())
        .map(|p| (p.guid.as_str(), p.removed))
        .collect();
    batch::write(tx, candidates, &origin, &plan, &removed).await?;
    if let Some((site, pages)) = &batch.template {
        let by_guid: HashMap<&str, &[u64]> = pages
            .iter()
            .map(|p| (p.guid.as_str(), p.keys.as_slice()))
            .collect();
        let mut counted = HashSet::new();
        let stored: Vec<&[u64]> = plan
            .inserts
            .iter()
            .filter(|new| counted.insert(new.item.entry.id.as_str()))
            .filter_map(|new| by_guid.get(new.item.entry.id.as_str()).copied())
            .collect();
        templates::record(tx, site, &stored, now).await?;
    }
    Ok(plan.report)
}

fn usable_fingerprint(item: &Incoming) -> Option<i64> {
    item.simhash
        .filter(|s| s.usable() && !item.held)
        .map(|s| s.fingerprint.to_i64())
}

/// The sketch and title key an item is matched on; none for a held item.
fn matching_traits(item: &Incoming) -> &Traits {
    static NONE: std::sync::LazyLock<Traits> = std::sync::LazyLock::new(Traits::default);
    if item.held { &NONE } else { &item.traits }
}

/// The canonical URL an item is matched on; none for a held item.
fn matching_url(item: &Incoming) -> Option<String> {
    if item.held {
        return None;
    }
    item.entry
        .url
        .as_deref()
        .and_then(crate::dedup::canonical_url)
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
    let (matched, distance) = matched(decision);
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

/// The second stage's figures of a near-duplicate decision, if verified.
fn evidence(decision: &Decision) -> Option<Evidence> {
    match *decision {
        Decision::NearDuplicate { evidence, .. } => evidence,
        _ => None,
    }
}

/// The entry a decision matched, and at what distance.
fn matched(decision: &Decision) -> (Option<i64>, Option<i64>) {
    match *decision {
        Decision::SameUrl { matched, .. } => (Some(matched), None),
        Decision::NearDuplicate {
            matched, distance, ..
        } => (Some(matched), Some(i64::from(distance))),
        Decision::New => (None, None),
    }
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
