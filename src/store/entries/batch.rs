//! The statements of one ingest: a few reads before planning and a few
//! multi-row writes after it, however many items the batch holds. Every
//! statement costs a round trip to the database (through a worker thread on
//! SQLite), which costs far more than the rows it carries.

use std::collections::{HashMap, HashSet};

use sqlx::any::AnyRow;
use sqlx::{Any, Encode, Row, Type};

use super::super::candidates::{Candidates, Query, traits_of};
use super::super::{StoreError, Tx, media, placeholders, statement, tuples};
use super::plan::{
    Existing, Known, Merge, NewEntry, NewStory, PENDING, Plan, Row as Stored, Update, time,
};
use super::{Incoming, Origin, story_key, usable_fingerprint};
use crate::dedup::Sketch;
use crate::dedup::index::probe_radius;
use crate::dedup::shingle_index::keys_to_bytes;

/// Parameters per statement, far under SQLite's limit (32,766) and
/// PostgreSQL's (65,535): sqlx-sqlite binds each parameter by name, which
/// SQLite looks up with a linear scan, so binding costs grow with the square
/// of a statement's parameters (at 8,000 it took most of ingest's time).
/// A feed's worth of items still fits in one statement.
const MAX_PARAMS: usize = 1000;

/// The columns of `plan::Row`, with the story's start, key, and whether it
/// holds an entry the user split out.
const ROW_COLUMNS: &str =
    "e.id, e.story_id, e.source_id, e.fingerprint, e.canonical_url, e.published,
     e.first_seen, e.sketch, e.title_key, s.published AS started, s.story_key,
     (SELECT COUNT(*) FROM entries p WHERE p.story_id = s.id AND p.pinned = 1) AS pinned_members
     FROM entries e JOIN stories s ON s.id = e.story_id";

/// The GUIDs among `items` that retention pruned while the source still
/// listed them (see `migrations/*/0016_tombstones.sql`): ingest skips them,
/// and this notes that the feed still lists them, so their tombstones stay.
pub(super) async fn buried(
    tx: &mut Tx,
    origin: &Origin<'_>,
    items: &[Incoming],
) -> Result<HashSet<String>, StoreError> {
    let guids: Vec<&str> = items.iter().map(|i| i.entry.id.as_str()).collect();
    let sql = |list: &str| {
        format!(
            "UPDATE tombstones SET last_seen = $1 WHERE source_id = $2 AND guid IN ({list})
             RETURNING guid"
        )
    };
    let rows = query_in(tx, sql, &[origin.now, origin.source_id], &guids).await?;
    rows.iter().map(|row| Ok(row.try_get("guid")?)).collect()
}

/// The sources among `sources` with tombstones: only their batches can
/// hold a buried GUID. Read once for a group transaction (one statement,
/// where asking each batch took one each, nearly always for nothing): it
/// holds the database's write lock, as retention does when it buries, so
/// none is added meanwhile.
pub(super) async fn with_tombstones(
    tx: &mut Tx,
    sources: &[i64],
) -> Result<HashSet<i64>, StoreError> {
    let sql = |list: &str| {
        format!("SELECT DISTINCT source_id FROM tombstones WHERE source_id IN ({list})")
    };
    let rows = query_in(tx, sql, &[], sources).await?;
    rows.iter()
        .map(|row| Ok(row.try_get("source_id")?))
        .collect()
}

/// Reads what planning needs: this source's stored entries among the
/// batch's GUIDs, and for the new ones the stories their keys name, the
/// entries with their canonical URLs, and their near-duplicate candidates.
pub(super) async fn read(
    tx: &mut Tx,
    candidates: &mut Candidates,
    origin: &Origin<'_>,
    items: &[Incoming],
) -> Result<(HashMap<String, Existing>, Known), StoreError> {
    let mut known = Known::default();
    let mut seen = HashSet::new();
    let guids: Vec<&str> = items
        .iter()
        .map(|i| i.entry.id.as_str())
        .filter(|guid| seen.insert(*guid))
        .collect();
    let existing = read_existing(tx, origin.source_id, &guids, &mut known).await?;
    let mut seen = HashSet::new();
    let new: Vec<&Incoming> = items
        .iter()
        .filter(|i| !existing.contains_key(&i.entry.id) && seen.insert(i.entry.id.as_str()))
        .collect();
    read_keys(tx, origin, &new, &mut known).await?;
    read_same_urls(tx, origin, &new, &mut known).await?;
    read_neighbours(tx, candidates, origin, &new, &mut known).await?;
    Ok((existing, known))
}

/// Writes the plan, then adds the new entries to the in-memory copy.
pub(super) async fn write(
    tx: &mut Tx,
    candidates: &mut Candidates,
    origin: &Origin<'_>,
    plan: &Plan<'_>,
    removed: &HashMap<&str, u32>,
) -> Result<(), StoreError> {
    let stories = insert_stories(tx, origin.now, &plan.stories).await?;
    let entries = insert_entries(tx, origin, &plan.inserts, &stories).await?;
    update_entries(tx, origin.now, &plan.updates).await?;
    insert_decisions(tx, origin.now, &plan.inserts, &stories, &entries, removed).await?;
    merge_stories(tx, origin.now, &plan.merges, &stories, &entries).await?;
    restart_stories(tx, &plan.restarts).await?;
    touch_stories(tx, origin.now, &plan.touched).await?;
    for (new, &id) in plan.inserts.iter().zip(&entries) {
        candidates.put(
            id,
            usable_fingerprint(new.item),
            super::matching_traits(new.item).clone(),
            origin.source_id,
            // As stored: `COALESCE(published, first_seen)`.
            super::plan::published(new.item).unwrap_or(origin.now),
        );
    }
    Ok(())
}

/// The real id of a stored or pending row, given the ids the pending ones got.
fn real(id: i64, inserted: &[i64]) -> i64 {
    let pending = usize::try_from(id.saturating_sub(PENDING)).ok();
    // Every pending id was inserted; were one missing, the foreign keys
    // would reject the write rather than store a wrong link.
    match pending.filter(|_| id >= PENDING) {
        Some(index) => inserted.get(index).copied().unwrap_or(id),
        None => id,
    }
}

/// Runs `sql(list)` once per chunk of `values`, where `list` is the chunk's
/// placeholders, numbered after the `fixed` parameters bound first; returns
/// the rows of all chunks.
async fn query_in<'v, T>(
    tx: &mut Tx,
    sql: impl Fn(&str) -> String,
    fixed: &[i64],
    values: &'v [T],
) -> Result<Vec<AnyRow>, StoreError>
where
    T: Encode<'v, Any> + Type<Any> + Copy + Send + 'v,
{
    let mut rows = Vec::new();
    for chunk in values.chunks(MAX_PARAMS - fixed.len()) {
        let list = placeholders(fixed.len() + 1, chunk.len());
        let mut query = statement(sql(&list));
        for &param in fixed {
            query = query.bind(param);
        }
        for &value in chunk {
            query = query.bind(value);
        }
        rows.extend(query.fetch_all(&mut **tx).await?);
    }
    Ok(rows)
}

/// Adds a row selected with `ROW_COLUMNS` to what is known; returns its id.
fn remember(known: &mut Known, row: &AnyRow) -> Result<i64, StoreError> {
    let id: i64 = row.try_get("id")?;
    let story: i64 = row.try_get("story_id")?;
    known.started.insert(story, row.try_get("started")?);
    known.story_keys.insert(story, row.try_get("story_key")?);
    if row.try_get::<i64, _>("pinned_members")? > 0 {
        known.pinned.insert(story);
    }
    known.rows.insert(
        id,
        Stored {
            story,
            source: row.try_get("source_id")?,
            fingerprint: row.try_get("fingerprint")?,
            canonical_url: row.try_get("canonical_url")?,
            published: row.try_get("published")?,
            first_seen: row.try_get("first_seen")?,
            traits: traits_of(row)?,
        },
    );
    Ok(id)
}

/// The stored form of an item's sketch, sketch keys and title key.
fn stored_traits(item: &Incoming) -> (Option<Vec<u8>>, Option<Vec<u8>>, Option<i64>) {
    let traits = super::matching_traits(item);
    (
        traits.sketch.as_ref().map(Sketch::to_bytes),
        traits.sketch.as_ref().map(|_| keys_to_bytes(traits.keys())),
        traits.title_key.map(|k| k as i64),
    )
}

async fn read_existing(
    tx: &mut Tx,
    source_id: i64,
    guids: &[&str],
    known: &mut Known,
) -> Result<HashMap<String, Existing>, StoreError> {
    let sql = |list: &str| {
        format!(
            "SELECT e.guid, e.url, e.title, e.author, e.summary, e.content, e.enclosures,
                    e.categories, {ROW_COLUMNS}
             WHERE e.source_id = $1 AND e.guid IN ({list})"
        )
    };
    let mut existing = HashMap::new();
    for row in query_in(tx, sql, &[source_id], guids).await? {
        let id = remember(known, &row)?;
        let entry = Existing {
            id,
            url: row.try_get("url")?,
            title: row.try_get("title")?,
            author: row.try_get("author")?,
            summary: row.try_get("summary")?,
            content: row.try_get("content")?,
            published: row.try_get("published")?,
            enclosures: media::enclosures_of(&row)?,
            categories: media::categories_of(&row)?,
        };
        existing.insert(row.try_get("guid")?, entry);
    }
    Ok(existing)
}

/// Stored stories under the keys the new entries would found. (Only an
/// entry that was deleted leaves its key behind, but then its story must
/// be found again, as `INSERT … ON CONFLICT` would.)
async fn read_keys(
    tx: &mut Tx,
    origin: &Origin<'_>,
    new: &[&Incoming],
    known: &mut Known,
) -> Result<(), StoreError> {
    let keys: Vec<String> = new
        .iter()
        .map(|i| story_key("entry", origin.source_name, &i.entry.id))
        .collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let sql = |list: &str| {
        format!("SELECT id, story_key, published FROM stories WHERE story_key IN ({list})")
    };
    for row in query_in(tx, sql, &[], &keys).await? {
        let id: i64 = row.try_get("id")?;
        known.started.insert(id, row.try_get("published")?);
        known.keys.insert(row.try_get("story_key")?, id);
    }
    Ok(())
}

/// Entries with the new entries' canonical URLs whose stories started
/// inside the earliest window.
async fn read_same_urls(
    tx: &mut Tx,
    origin: &Origin<'_>,
    new: &[&Incoming],
    known: &mut Known,
) -> Result<(), StoreError> {
    let urls: HashSet<String> = new.iter().filter_map(|i| super::matching_url(i)).collect();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let Some(since) = new
        .iter()
        .map(|i| time(i, origin.now) - origin.options.window_secs)
        .min()
    else {
        return Ok(());
    };
    let sql = |list: &str| {
        format!("SELECT {ROW_COLUMNS} WHERE s.published >= $1 AND e.canonical_url IN ({list})")
    };
    for row in query_in(tx, sql, &[since], &urls).await? {
        remember(known, &row)?;
    }
    Ok(())
}

/// Near-duplicate candidates of the new entries, from the in-memory copy.
/// Items older than the copy reaches first load the spans of their windows
/// into it (see `Candidates::load_span`); then every item is matched from
/// memory over its own window, and its candidates are kept for the planner.
async fn read_neighbours(
    tx: &mut Tx,
    candidates: &mut Candidates,
    origin: &Origin<'_>,
    new: &[&Incoming],
    known: &mut Known,
) -> Result<(), StoreError> {
    let options = origin.options;
    if options.distance == 0 {
        return Ok(());
    }
    // Older items at narrow radii are offered what the band rows offered;
    // the rest are asked together.
    let narrow = probe_radius(options.distance) <= MAX_BAND_RADIUS;
    let mut asked = Vec::new();
    let mut older = Vec::new();
    let (mut since, mut until) = (i64::MAX, i64::MIN);
    for item in new {
        let Some(fp) = usable_fingerprint(item) else {
            continue;
        };
        let time = time(item, origin.now);
        let window = [
            time.saturating_sub(options.window_secs),
            time.saturating_add(options.window_secs),
        ];
        since = since.min(window[0]);
        until = until.max(window[1]);
        let recent = candidates.covers(window[0]);
        if !recent {
            older.push(window);
        }
        let traits = super::matching_traits(item);
        let query = Query {
            fingerprint: fp,
            traits,
            window,
        };
        asked.push((item, query, !recent && narrow));
    }
    for span in overlapping(older) {
        if !candidates.covers_span(span[0], span[1]) {
            candidates.load_span(tx, span).await?;
        }
    }
    let together: Vec<Query> = asked
        .iter()
        .filter(|&&(_, _, banded)| !banded)
        .map(|&(_, query, _)| query)
        .collect();
    let mut near = candidates
        .matches_each(&together, origin.source_id, &options)
        .into_iter();
    let mut ids = Vec::new();
    for (item, query, banded) in &asked {
        let found = if *banded {
            candidates.band_matches(query, origin.source_id, &options)
        } else {
            near.next().unwrap_or_default()
        };
        ids.extend_from_slice(&found);
        known.matched.insert(item.entry.id.clone(), found);
    }
    let window = [since, until];
    let sql = |list: &str| format!("SELECT {ROW_COLUMNS} WHERE e.id IN ({list}) AND {IN_WINDOW}");
    ids.sort_unstable();
    ids.dedup();
    for row in query_in(tx, sql, &window, &ids).await? {
        remember(known, &row)?;
    }
    Ok(())
}

/// The widest probe radius (bits per 16-bit block) at which old items are
/// offered every entry with a block value within it (what the database's
/// band rows offered, before the copy answered for old items). Up to 2
/// (`dedup.distance` ≤ 11) that is 137 probes per block and a narrow
/// superset, which the planner narrows to the distance; from radius 3 the
/// bands offer 4% or more of all entries, so wider lookups take the
/// entries within the distance or sharing sketch keys, as for new items.
const MAX_BAND_RADIUS: u32 = 2;

/// Rows inside the window `$1..$2` whose stories started inside it too.
const IN_WINDOW: &str =
    "s.published >= $1 AND COALESCE(e.published, e.first_seen) BETWEEN $1 AND $2";

/// The spans that cover the windows of older items, overlapping windows
/// merged: an archive feed's items a year apart load two small spans, not
/// the year between them.
fn overlapping(mut windows: Vec<[i64; 2]>) -> Vec<[i64; 2]> {
    windows.sort_unstable();
    let mut spans: Vec<[i64; 2]> = Vec::new();
    for [from, to] in windows {
        match spans.last_mut() {
            Some(span) if from <= span[1] => span[1] = span[1].max(to),
            _ => spans.push([from, to]),
        }
    }
    spans
}

/// Inserts the new stories; returns their ids in order.
async fn insert_stories(
    tx: &mut Tx,
    now: i64,
    stories: &[NewStory],
) -> Result<Vec<i64>, StoreError> {
    let mut ids = HashMap::new();
    for chunk in stories.chunks(MAX_PARAMS / 3) {
        let sql = format!(
            "INSERT INTO stories (story_key, published, updated) VALUES {} RETURNING id, story_key",
            tuples(1, chunk.len(), 3)
        );
        let mut query = statement(sql);
        for story in chunk {
            query = query
                .bind(story.key.as_str())
                .bind(story.published)
                .bind(now);
        }
        for row in query.fetch_all(&mut **tx).await? {
            ids.insert(
                row.try_get::<String, _>("story_key")?,
                row.try_get::<i64, _>("id")?,
            );
        }
    }
    in_order(stories.iter().map(|s| ids.get(&s.key)))
}

/// The ids `RETURNING` gave, in the order the rows were written (which it
/// does not promise).
fn in_order<'a>(ids: impl Iterator<Item = Option<&'a i64>>) -> Result<Vec<i64>, StoreError> {
    ids.map(|id| {
        id.copied()
            .ok_or(StoreError::Query(sqlx::Error::RowNotFound))
    })
    .collect()
}

/// Inserts the new entries; returns their ids in order.
async fn insert_entries(
    tx: &mut Tx,
    origin: &Origin<'_>,
    inserts: &[NewEntry<'_>],
    stories: &[i64],
) -> Result<Vec<i64>, StoreError> {
    const WIDTH: usize = 18;
    let mut ids = HashMap::new();
    for chunk in inserts.chunks(MAX_PARAMS / WIDTH) {
        let sql = format!(
            "INSERT INTO entries (source_id, guid, url, canonical_url, title, author, summary,
                 content, published, first_seen, updated, story_id, fingerprint, sketch,
                 sketch_keys, title_key, enclosures, categories)
             VALUES {} RETURNING id, guid",
            tuples(1, chunk.len(), WIDTH)
        );
        let mut query = statement(sql);
        for new in chunk {
            let entry = &new.item.entry;
            let (sketch, sketch_keys, title_key) = stored_traits(new.item);
            query = query
                .bind(origin.source_id)
                .bind(entry.id.as_str())
                .bind(entry.url.as_deref())
                .bind(super::matching_url(new.item))
                .bind(entry.title.as_str())
                .bind(entry.author.as_deref())
                .bind(entry.summary.as_deref())
                .bind(entry.content.as_deref())
                .bind(super::plan::published(new.item))
                .bind(origin.now)
                .bind(origin.now)
                .bind(real(new.story, stories))
                .bind(usable_fingerprint(new.item))
                .bind(sketch)
                .bind(sketch_keys)
                .bind(title_key)
                .bind(media::enclosures_json(&entry.enclosures))
                .bind(media::categories_json(&entry.categories));
        }
        for row in query.fetch_all(&mut **tx).await? {
            ids.insert(
                row.try_get::<String, _>("guid")?,
                row.try_get::<i64, _>("id")?,
            );
        }
    }
    in_order(inserts.iter().map(|n| ids.get(&n.item.entry.id)))
}

/// Edits are few, and each row has its own values: one statement each.
async fn update_entries(tx: &mut Tx, now: i64, updates: &[Update<'_>]) -> Result<(), StoreError> {
    for update in updates {
        let entry = &update.item.entry;
        let (sketch, sketch_keys, title_key) = stored_traits(update.item);
        sqlx::query(
            "UPDATE entries SET url = $2, title = $3, author = $4, summary = $5, content = $6,
                 published = $7, updated = $8, fingerprint = $9, canonical_url = $10,
                 sketch = $11, sketch_keys = $12, title_key = $13, enclosures = $14,
                 categories = $15
             WHERE id = $1",
        )
        .bind(update.id)
        .bind(entry.url.as_deref())
        .bind(&entry.title)
        .bind(entry.author.as_deref())
        .bind(entry.summary.as_deref())
        .bind(entry.content.as_deref())
        .bind(super::plan::published(update.item))
        .bind(now)
        .bind(usable_fingerprint(update.item))
        .bind(super::matching_url(update.item))
        .bind(sketch)
        .bind(sketch_keys)
        .bind(title_key)
        .bind(media::enclosures_json(&entry.enclosures))
        .bind(media::categories_json(&entry.categories))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Records why each new entry is in its story.
async fn insert_decisions(
    tx: &mut Tx,
    now: i64,
    inserts: &[NewEntry<'_>],
    stories: &[i64],
    entries: &[i64],
    removed: &HashMap<&str, u32>,
) -> Result<(), StoreError> {
    const WIDTH: usize = 12;
    let rows: Vec<_> = inserts.iter().zip(entries).collect();
    for chunk in rows.chunks(MAX_PARAMS / WIDTH) {
        let sql = format!(
            "INSERT INTO decisions (entry_id, story_id, rule, matched_entry_id, distance, decided_at,
                                    template_lines, resemblance, containment, sample, same_title,
                                    same_site)
             VALUES {}",
            tuples(1, chunk.len(), WIDTH)
        );
        let mut query = statement(sql);
        for &(new, &id) in chunk {
            let (matched, distance) = super::matched(&new.decision);
            let evidence = super::evidence(&new.decision);
            query = query
                .bind(id)
                .bind(real(new.story, stories))
                .bind(new.decision.rule())
                .bind(matched.map(|m| real(m, entries)))
                .bind(distance)
                .bind(now)
                .bind(
                    removed
                        .get(new.item.entry.id.as_str())
                        .map(|&n| i64::from(n)),
                )
                .bind(evidence.map(|e| i64::from(e.resemblance)))
                .bind(evidence.map(|e| i64::from(e.containment)))
                .bind(evidence.map(|e| i64::from(e.sample)))
                .bind(evidence.map(|e| i64::from(e.same_title)))
                .bind(evidence.map(|e| i64::from(e.same_site)));
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Carries out the merges, in order (a story absorbed earlier in the batch
/// has already handed its members on): each moved entry gets a `merge`
/// decision naming the bridging entry, and the absorbed story points at
/// the survivor, as do the stories merged into it before. Merges are rare,
/// so each costs its own few statements.
async fn merge_stories(
    tx: &mut Tx,
    now: i64,
    merges: &[Merge],
    stories: &[i64],
    entries: &[i64],
) -> Result<(), StoreError> {
    for merge in merges {
        let absorbed = real(merge.absorbed, stories);
        let survivor = real(merge.survivor, stories);
        let bridge = real(merge.bridge, entries);
        sqlx::query(
            "INSERT INTO decisions (entry_id, story_id, rule, matched_entry_id, distance, decided_at)
             SELECT id, $2, 'merge', $3, CAST(NULL AS BIGINT), $4 FROM entries WHERE story_id = $1 ORDER BY id",
        )
        .bind(absorbed)
        .bind(survivor)
        .bind(bridge)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query("UPDATE entries SET story_id = $2 WHERE story_id = $1")
            .bind(absorbed)
            .bind(survivor)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "UPDATE stories SET merged_into = $2, updated = $3 WHERE id = $1 OR merged_into = $1",
        )
        .bind(absorbed)
        .bind(survivor)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Moves the start of stored stories back to their earliest copy's time.
async fn restart_stories(
    tx: &mut Tx,
    restarts: &std::collections::BTreeMap<i64, i64>,
) -> Result<(), StoreError> {
    for (&story, &published) in restarts {
        sqlx::query("UPDATE stories SET published = $2 WHERE id = $1 AND published > $2")
            .bind(story)
            .bind(published)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Marks the stored stories that gained or changed a member.
async fn touch_stories(
    tx: &mut Tx,
    now: i64,
    stories: &std::collections::BTreeSet<i64>,
) -> Result<(), StoreError> {
    let ids: Vec<i64> = stories.iter().copied().collect();
    let sql = |list: &str| format!("UPDATE stories SET updated = $1 WHERE id IN ({list})");
    query_in(tx, sql, &[now], &ids).await?;
    Ok(())
}
