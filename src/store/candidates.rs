//! An in-memory copy of the stored fingerprints, so finding a new entry's
//! near-duplicate candidates costs array lookups or a scan instead of
//! index seeks in the database (the multi-probe lookup of `dedup::index`
//! needs 137 probes per block at 10 bits). At wide distances (16 bits and
//! up, the default 18 among them: 2,517 probes per block and more) or over
//! few entries, comparing every fingerprint in turn is cheaper, and
//! `near_slots_each` does that, over the part of the copy dated near the
//! item.
//!
//! The database stays the truth. The copy is brought up to date inside each
//! write transaction, after the write lock is taken, so it has every row any
//! process committed; rows this transaction inserts are added as they are
//! written; a transaction that does not commit throws the copy away (it is
//! rebuilt from the database next time). Candidates are re-read from the
//! database before they are used.

use futures_util::TryStreamExt;
use sqlx::{Any, Row, Transaction};

use super::StoreError;
use crate::dedup::index::{BLOCKS, block_values, probe_masks, probe_radius};
use crate::dedup::prefetch;
use crate::dedup::scan::Scan;
use crate::dedup::shingle_index::ShingleIndex;
use crate::dedup::{Evidence, MatchOptions, Sketch, Traits};

/// How long a loaded copy is kept before it is rebuilt, which drops entries
/// that have aged out of every window.
const REBUILD_AFTER_SECS: i64 = 24 * 3600;

/// Entries (id and current fingerprint) by the value of one block: a
/// lookup probes hundreds of values, so they are indexed directly, not hashed.
#[derive(Debug)]
struct Block(Vec<Vec<(i64, u64)>>);

impl Default for Block {
    fn default() -> Self {
        Block(vec![Vec::new(); 1 << 16])
    }
}

impl Block {
    fn get(&self, value: u16) -> &[(i64, u64)] {
        &self.0[usize::from(value)]
    }

    fn get_mut(&mut self, value: u16) -> &mut Vec<(i64, u64)> {
        &mut self.0[usize::from(value)]
    }
}

/// The block lists of every entry in the copy, one [`Block`] per 16-bit
/// block of the fingerprint.
#[derive(Debug, Default)]
struct Blocks([Block; 4]);

impl Blocks {
    /// The lists of the entries `ids`, whose fingerprints are `fingerprints`.
    fn of(ids: &[i64], fingerprints: &[u64]) -> Blocks {
        let mut blocks = Blocks::default();
        for (&id, &fingerprint) in ids.iter().zip(fingerprints) {
            blocks.insert(id, fingerprint);
        }
        blocks
    }

    fn insert(&mut self, id: i64, fingerprint: u64) {
        for (block, value) in block_values(fingerprint) {
            self.0[block as usize]
                .get_mut(value as u16)
                .push((id, fingerprint));
        }
    }

    fn remove(&mut self, id: i64, fingerprint: u64) {
        for (block, value) in block_values(fingerprint) {
            self.0[block as usize]
                .get_mut(value as u16)
                .retain(|&(other, _)| other != id);
        }
    }

    fn block(&self, block: i64) -> &Block {
        &self.0[block as usize]
    }
}

/// Stored fingerprints, with what verifies them, scanned in turn or (at
/// narrow radii) looked up by their four 16-bit blocks.
#[derive(Debug, Default)]
pub(super) struct Candidates {
    /// Current fingerprint of every entry in the copy, densely and in no
    /// order, so a scan walks memory in turn; `ids` and `held` are in the
    /// same order.
    fingerprints: Vec<u64>,
    /// Each fingerprint's entry.
    ids: Vec<i64>,
    /// Each entry's time (`COALESCE(published, first_seen)`, what windows
    /// are judged by).
    times: Vec<i64>,
    /// The earliest and latest time of each [`ZONE`] entries in a row (of
    /// the entries there, or there before: a zone only widens), so a scan
    /// skips the zones outside an item's window. Entries are put in roughly
    /// the order they were stored or are dated, so zones are narrow: an
    /// item dated now reads the entries of one window back, about half of a
    /// copy that reaches two windows and a day back.
    zones: Vec<[i64; 2]>,
    /// What each entry is verified on: candidates are checked here before
    /// their rows are read, and the keys it files are taken out from here.
    held: Vec<Held>,
    /// Each entry's place in the four lists above (a fast hash: every
    /// candidate found by its keys is looked up here).
    slot_of: foldhash::HashMap<i64, usize>,
    /// Ids in the order their sketches were kept, oldest first (an id put
    /// again appears again); see [`MAX_SKETCHES`].
    sketch_order: std::collections::VecDeque<i64>,
    /// Sketches kept now.
    sketches: usize,
    /// Sketches kept at most; 0 stands for [`MAX_SKETCHES`].
    sketch_cap: usize,
    /// Entries by block value, one map per block, each with its current
    /// fingerprint, so a lookup compares without a second map lookup. Made
    /// on the first lookup that probes (narrow radii), then kept up to
    /// date: at the default radius the copy scans, and the lists of a
    /// 50,000-entry copy took ~20 MB (each entry in four lists of their own).
    blocks: std::cell::OnceCell<Box<Blocks>>,
    /// Entries by their sketch keys (see `dedup::shingle_index`).
    shingles: ShingleIndex<i64>,
    /// Highest entry id seen.
    last_id: i64,
    /// Newest `updated` seen (rows updated since are read again).
    last_updated: i64,
    /// Entries dated before this were not loaded; lookups that reach back
    /// further must ask the database, or load the span they need.
    cutoff: i64,
    /// Older time spans loaded whole (see `load_span`), inclusive.
    spans: Vec<[i64; 2]>,
    /// When the copy was loaded, Unix seconds; `None` when it must be.
    loaded_at: Option<i64>,
    /// A transaction changed the copy and has not committed (yet, or ever):
    /// the copy may hold rows that were rolled back.
    in_doubt: bool,
}

/// What the copy keeps of an entry to verify it as a candidate: the
/// second stage's inputs. With them, a candidate the decision would turn
/// down is dropped before its row is read back: a wide radius and shared
/// keys offer, per new entry, a number of candidates that grows with the
/// store (on generated text, hundreds at 50,000 entries), and reading each
/// row cost more than all the rest of storing an entry.
///
/// Sketches are kept for the newest [`MAX_SKETCHES`] entries only (a
/// scraped article's is 512 bytes; a copy reaching 750,000 entries would
/// hold 400 MB of them): an older entry keeps its keys, and as a candidate
/// is let through to be read and judged from its row, as before.
#[derive(Debug)]
struct Held {
    traits: Traits,
    source: i64,
    /// Its sketch keys (see `dedup::shingle_index`), filed in the index and
    /// kept to take them out again, also once the sketch has gone.
    keys: Vec<u32>,
    /// Its sketch was dropped to bound memory: it cannot be judged here.
    unjudged: bool,
}

/// Entries whose sketches the copy keeps: about 60 MB of scraped articles'.
pub const MAX_SKETCHES: usize = 100_000;

impl Candidates {
    /// Brings the copy up to date. Call with the write lock held.
    pub(super) async fn sync(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        now: i64,
        window_secs: i64,
    ) -> Result<(), StoreError> {
        let fresh = self
            .loaded_at
            .is_some_and(|at| now.saturating_sub(at) < REBUILD_AFTER_SECS);
        let rebuild = !fresh || self.in_doubt;
        let started = std::time::Instant::now();
        if rebuild {
            *self = Candidates::default();
            // An item dated up to one window back looks for matches one more
            // window back: feeds carry items a few days old, and each lookup
            // the copy cannot answer costs a statement with hundreds of
            // parameters. A day's margin keeps the copy useful until the
            // next rebuild. Older items load their windows' spans first
            // (`load_span`).
            let reach = window_secs
                .saturating_mul(2)
                .saturating_add(REBUILD_AFTER_SECS);
            self.cutoff = now.saturating_sub(reach);
            self.loaded_at = Some(now);
        }
        // `catch_up` puts the copy in doubt before it reads: a rebuild cut
        // short is rebuilt again, and the rows this transaction adds are
        // vouched for by its commit only.
        self.catch_up(tx).await?;
        if rebuild {
            // Once a day and at start, and the first pass waits for it (a
            // copy of a million-entry store takes seconds): worth a line.
            tracing::info!(
                entries = self.ids.len(),
                ms = started.elapsed().as_millis() as u64,
                "in-memory copy of fingerprints loaded"
            );
        }
        Ok(())
    }

    /// Reads the rows stored or edited since the copy last read or was
    /// given some (the last step of [`Candidates::sync`]).
    async fn catch_up(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), StoreError> {
        // Until the transaction commits. Rows are read in no order: cut
        // short, the copy misses some below the ids it moved past, and only
        // a rebuild finds them.
        self.in_doubt = true;
        // New rows by id; edited rows (updated after they were first seen)
        // by update time, from the last second seen on: rows inserted in a
        // burst all share their `updated`, and must not be read again. The
        // `+ 0` keeps the planner off index `entries_time`, which it would
        // otherwise walk over the whole reach (every row since the cutoff)
        // instead of the few new and edited rows.
        // Rows dated inside a loaded span are read too (another process may
        // have written some), and kept only when a span holds them.
        let oldest = self.spans.iter().map(|s| s[0]).fold(self.cutoff, i64::min);
        let mut rows = sqlx::query(
            "SELECT id, fingerprint, sketch, title_key, source_id, updated,
                    COALESCE(published, first_seen) AS at FROM entries
             WHERE (id > $1 OR (updated >= $2 AND updated > first_seen))
               AND COALESCE(published, first_seen) + 0 >= $3",
        )
        .bind(self.last_id)
        .bind(self.last_updated)
        .bind(oldest)
        .fetch(&mut **tx);
        while let Some(row) = rows.try_next().await? {
            self.last_updated = self.last_updated.max(row.try_get("updated")?);
            let at: i64 = row.try_get("at")?;
            if at >= self.cutoff || self.spans.iter().any(|s| s[0] <= at && at <= s[1]) {
                self.put_row(&row)?;
            }
        }
        Ok(())
    }

    /// Loads every fingerprinted entry dated inside `span` (inclusive), so
    /// that lookups for items older than the copy reaches are answered
    /// from memory: asking the database instead read every row of the
    /// item's window again for each batch, so a cold pass over feeds of old
    /// items slowed with every entry stored. Only the parts of the span that
    /// are not loaded yet are read: each feed's old items ask for a span a
    /// little different from the last, and reading each whole again read
    /// the store 59 times over in one pass over 2,000 feeds. Call inside
    /// the write transaction, after `sync`; the span stays loaded until the
    /// rebuild.
    pub(super) async fn load_span(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        span: [i64; 2],
    ) -> Result<(), StoreError> {
        for gap in self.gaps(span) {
            // Row by row: a span may be the whole store, and its rows all
            // at once took several times the memory the copy keeps of them.
            let mut rows = sqlx::query(
                "SELECT id, fingerprint, sketch, title_key, source_id,
                        COALESCE(published, first_seen) AS at FROM entries
                 WHERE COALESCE(published, first_seen) BETWEEN $1 AND $2
                   AND fingerprint IS NOT NULL",
            )
            .bind(gap[0])
            .bind(gap[1])
            .fetch(&mut **tx);
            while let Some(row) = rows.try_next().await? {
                self.put_row(&row)?;
            }
        }
        self.spans.push(span);
        self.spans = merged(std::mem::take(&mut self.spans));
        Ok(())
    }

    /// The parts of `span` that neither the copy's reach nor a loaded span
    /// holds, ascending.
    fn gaps(&self, span: [i64; 2]) -> Vec<[i64; 2]> {
        let mut held = self.spans.clone();
        held.push([self.cutoff, i64::MAX]);
        held.sort_unstable();
        let mut gaps = Vec::new();
        let mut from = span[0];
        for [start, end] in held {
            if from > span[1] || start > span[1] {
                break;
            }
            if start > from {
                gaps.push([from, start - 1]);
            }
            from = from.max(end.saturating_add(1));
        }
        if from <= span[1] && from != i64::MAX {
            gaps.push([from, span[1]]);
        }
        gaps
    }

    fn put_row(&mut self, row: &sqlx::any::AnyRow) -> Result<(), StoreError> {
        let id: i64 = row.try_get("id")?;
        let fingerprint: Option<i64> = row.try_get("fingerprint")?;
        let (source, at) = (row.try_get("source_id")?, row.try_get("at")?);
        self.put(id, fingerprint, traits_of(row)?, source, at);
        Ok(())
    }

    /// The transaction that synced the copy committed: it matches the database.
    pub(super) fn settle(&mut self) {
        self.in_doubt = false;
    }

    /// Takes a deleted entry out. The copy is in doubt until the deleting
    /// transaction commits: rolled back, the copy is rebuilt.
    pub(super) fn forget(&mut self, id: i64) {
        self.in_doubt = true;
        self.put(id, None, Traits::default(), 0, 0);
    }

    /// Whether the copy waits to be rebuilt (an earlier transaction that
    /// changed it did not commit).
    pub(super) fn in_doubt(&self) -> bool {
        self.in_doubt
    }

    /// Whether a lookup reaching back to `since` is answered by the copy
    /// as it was loaded (not by an older span).
    pub(super) fn covers(&self, since: i64) -> bool {
        self.loaded_at.is_some() && since >= self.cutoff
    }

    /// Whether every entry dated from `since` to `until` is in the copy.
    pub(super) fn covers_span(&self, since: i64, until: i64) -> bool {
        self.covers(since)
            || (self.loaded_at.is_some()
                && self.spans.iter().any(|s| s[0] <= since && until <= s[1]))
    }

    /// Records an entry's (new) fingerprint, sketch and title key, its
    /// source and time (`COALESCE(published, first_seen)`); no fingerprint
    /// removes it.
    pub(super) fn put(
        &mut self,
        id: i64,
        fingerprint: Option<i64>,
        traits: Traits,
        source: i64,
        time: i64,
    ) {
        self.last_id = self.last_id.max(id);
        if let Some(slot) = self.slot_of.remove(&id) {
            self.take_out(slot);
        }
        let Some(fingerprint) = fingerprint.map(|f| f as u64) else {
            return;
        };
        if let Some(blocks) = self.blocks.get_mut() {
            blocks.insert(id, fingerprint);
        }
        let keys = traits.keys().to_vec();
        self.shingles.insert(&keys, id);
        if traits.sketch.is_some() {
            self.sketches += 1;
            self.sketch_order.push_back(id);
        }
        let slot = self.ids.len();
        self.slot_of.insert(id, slot);
        self.fingerprints.push(fingerprint);
        self.ids.push(id);
        self.times.push(time);
        match self.zones.get_mut(slot / ZONE) {
            Some(zone) => widen(zone, time),
            None => self.zones.push([time, time]),
        }
        self.held.push(Held {
            traits,
            source,
            keys,
            unjudged: false,
        });
        self.drop_old_sketches();
    }

    /// Drops the oldest sketches past the cap (see [`MAX_SKETCHES`]).
    fn drop_old_sketches(&mut self) {
        let cap = if self.sketch_cap == 0 {
            MAX_SKETCHES
        } else {
            self.sketch_cap
        };
        while self.sketches > cap {
            let Some(id) = self.sketch_order.pop_front() else {
                return;
            };
            let Some(&slot) = self.slot_of.get(&id) else {
                continue;
            };
            let held = &mut self.held[slot];
            if held.traits.sketch.take().is_some() {
                held.unjudged = true;
                self.sketches -= 1;
            }
        }
    }

    /// Removes the entry in `slot` from the lists and indexes; the last
    /// entry moves into its place.
    fn take_out(&mut self, slot: usize) {
        let id = self.ids.swap_remove(slot);
        let fingerprint = self.fingerprints.swap_remove(slot);
        let held = self.held.swap_remove(slot);
        self.times.swap_remove(slot);
        if let Some(&moved) = self.ids.get(slot) {
            self.slot_of.insert(moved, slot);
            widen(&mut self.zones[slot / ZONE], self.times[slot]);
        }
        self.zones.truncate(self.ids.len().div_ceil(ZONE));
        if held.traits.sketch.is_some() {
            self.sketches -= 1;
        }
        self.shingles.remove(&held.keys, id);
        if let Some(blocks) = self.blocks.get_mut() {
            blocks.remove(id, fingerprint);
        }
    }

    /// The block lists, made now if no lookup needed them before.
    fn blocks(&self) -> &Blocks {
        self.blocks
            .get_or_init(|| Box::new(Blocks::of(&self.ids, &self.fingerprints)))
    }

    /// [`matches_each`](Self::matches_each) for one query.
    #[cfg(test)]
    pub(super) fn matches(&self, query: &Query, source: i64, options: &MatchOptions) -> Vec<i64> {
        let mut found = self.matches_each(std::slice::from_ref(query), source, options);
        found.pop().unwrap_or_default()
    }

    /// For each of `queries` (all from `source`), in order, the ids of the
    /// entries that new item could be matched with: dated inside its
    /// window, found within the radius or by shared sketch keys, and
    /// accepted by the second stage (see [`MatchOptions::accepts`]);
    /// ascending, each once. Title evidence and one site's stricter bars are
    /// weighed as `decide` weighs them, so no candidate it would accept is
    /// missing.
    pub(super) fn matches_each(
        &self,
        queries: &[Query],
        source: i64,
        options: &MatchOptions,
    ) -> Vec<Vec<i64>> {
        let near = self.near_slots_each(queries, options.distance);
        queries
            .iter()
            .zip(near)
            .map(|(query, mut slots)| {
                slots.extend(self.slots_of(&self.sharing(query.traits.keys())));
                self.judged(slots, query, source, options)
            })
            .collect()
    }

    /// The ids of `slots` (each once) whose entries are dated inside the
    /// query's window and pass the second stage against it, ascending; an
    /// entry whose sketch was dropped is let through, to be read and judged.
    fn judged(
        &self,
        mut slots: Vec<usize>,
        query: &Query,
        source: i64,
        options: &MatchOptions,
    ) -> Vec<i64> {
        slots.sort_unstable();
        slots.dedup();
        let [since, until] = query.window;
        slots.retain(|&slot| (since..=until).contains(&self.times[slot]));
        let mut ids = Vec::new();
        for (at, &slot) in slots.iter().enumerate() {
            prefetch::ahead(
                &slots,
                at,
                |slot| {
                    prefetch::value(&self.held[slot]);
                    prefetch::value(&self.fingerprints[slot]);
                },
                |slot| {
                    if let Some(sketch) = &self.held[slot].traits.sketch {
                        prefetch::slice(sketch.hashes());
                    }
                },
            );
            let held = &self.held[slot];
            let distance = (self.fingerprints[slot] ^ query.fingerprint as u64).count_ones();
            let accepted = held.unjudged || {
                let same_site = held.source == source;
                Evidence::accepted(query.traits, &held.traits, same_site, distance, options)
                    .is_some()
            };
            if accepted {
                ids.push(self.ids[slot]);
            }
        }
        ids.sort_unstable();
        ids
    }

    /// The places in the lists of entries `ids` (every indexed entry has one).
    fn slots_of(&self, ids: &[i64]) -> Vec<usize> {
        ids.iter()
            .filter_map(|id| self.slot_of.get(id).copied())
            .collect()
    }

    /// The places of the entries within `distance` bits of each query's
    /// fingerprint, by probing the block lists or scanning, whichever costs
    /// less (an entry close in several blocks may come more than once). A
    /// scan reads only the zones whose times meet the query's window (some
    /// of their entries may lie outside it).
    fn near_slots_each(&self, queries: &[Query], distance: u32) -> Vec<Vec<usize>> {
        let masks = probe_masks(probe_radius(distance));
        if probing_pays(masks.len(), self.fingerprints.len()) {
            return queries
                .iter()
                .map(|q| self.slots_of(&self.probe(q.fingerprint as u64, distance, masks)))
                .collect();
        }
        let scan = Scan::detect();
        queries
            .iter()
            .map(|query| {
                let mut found = Vec::new();
                for [from, to] in self.zones_meeting(query.window) {
                    let fingerprints = &self.fingerprints[from..to];
                    let fingerprint = query.fingerprint as u64;
                    scan.scan(fingerprints, from, fingerprint, distance, &mut found);
                }
                found
            })
            .collect()
    }

    /// The runs of slots, `[from, to)`, whose zones meet `window`.
    fn zones_meeting(&self, [since, until]: [i64; 2]) -> Vec<[usize; 2]> {
        let mut runs: Vec<[usize; 2]> = Vec::new();
        for (zone, &[earliest, latest]) in self.zones.iter().enumerate() {
            if earliest > until || latest < since {
                continue;
            }
            let (from, to) = (zone * ZONE, ((zone + 1) * ZONE).min(self.ids.len()));
            match runs.last_mut() {
                Some(run) if run[1] == from => run[1] = to,
                _ => runs.push([from, to]),
            }
        }
        runs
    }

    /// [`near_slots_each`](Self::near_slots_each) for one fingerprint, at
    /// any time.
    #[cfg(test)]
    fn near_slots(&self, fingerprint: u64, distance: u32) -> Vec<usize> {
        let traits = Traits::default();
        let query = Query::anytime(fingerprint as i64, &traits);
        self.near_slots_each(&[query], distance)
            .pop()
            .unwrap_or_default()
    }

    /// Ids of entries within `distance` bits of `fingerprint`, each once
    /// (what `matches_each` offers the second stage from the radius).
    #[cfg(test)]
    fn near(&self, fingerprint: i64, distance: u32) -> Vec<i64> {
        self.ids_of(self.near_slots(fingerprint as u64, distance))
    }

    /// The ids of `slots`, ascending, each once.
    #[cfg(test)]
    fn ids_of(&self, slots: Vec<usize>) -> Vec<i64> {
        let mut ids: Vec<i64> = slots.into_iter().map(|slot| self.ids[slot]).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Ids of entries sharing enough sketch keys with `keys` to be
    /// candidates (see `dedup::shingle_index`), each once.
    pub(super) fn sharing(&self, keys: &[u32]) -> Vec<i64> {
        let mut found = Vec::new();
        self.shingles.for_each_candidate(keys, |id| found.push(id));
        found
    }

    /// Ids of entries whose value in some block lies within the probe
    /// radius of `fingerprint`'s (what band rows offered: a superset of
    /// those within `distance`) that pass the second stage (see
    /// [`Candidates::matches_each`]), each once.
    pub(super) fn band_matches(
        &self,
        query: &Query,
        source: i64,
        options: &MatchOptions,
    ) -> Vec<i64> {
        let slots = self.slots_of(&self.band_hits(query.fingerprint, options.distance));
        self.judged(slots, query, source, options)
    }

    /// Ids of entries whose value in some block lies within the probe
    /// radius of `fingerprint`'s (an entry may come once per block).
    fn band_hits(&self, fingerprint: i64, distance: u32) -> Vec<i64> {
        let masks = probe_masks(probe_radius(distance));
        let mut found = Vec::new();
        let blocks = self.blocks();
        for (block, value) in block_values(fingerprint as u64) {
            let lists = blocks.block(block);
            for mask in masks {
                found.extend(lists.get(value as u16 ^ mask).iter().map(|&(id, _)| id));
            }
        }
        found
    }

    /// The multi-probe lookup of `dedup::index`, over the block lists.
    fn probe(&self, fingerprint: u64, distance: u32, masks: &[u16]) -> Vec<i64> {
        let mut found = Vec::new();
        let blocks = self.blocks();
        for (block, value) in block_values(fingerprint) {
            let lists = blocks.block(block);
            for mask in masks {
                for &(id, other) in lists.get(value as u16 ^ mask) {
                    if (other ^ fingerprint).count_ones() <= distance {
                        found.push(id);
                    }
                }
            }
        }
        found
    }

    /// The places in the lists of the fingerprints within `distance`.
    #[cfg(test)]
    fn scan_slots(&self, fingerprint: u64, distance: u32) -> Vec<usize> {
        let mut found = Vec::new();
        Scan::detect().scan(&self.fingerprints, 0, fingerprint, distance, &mut found);
        found
    }
}

/// Entries per zone of times (see `Candidates::zones`): a 64-byte time
/// range per 1 KiB of fingerprints.
const ZONE: usize = 128;

/// Widens `zone` to hold `time`.
fn widen(zone: &mut [i64; 2], time: i64) {
    zone[0] = zone[0].min(time);
    zone[1] = zone[1].max(time);
}

/// What the copy is asked about one new item.
#[derive(Debug, Clone, Copy)]
pub(super) struct Query<'a> {
    /// Its fingerprint.
    pub fingerprint: i64,
    /// Its sketch and title key.
    pub traits: &'a Traits,
    /// Its window, inclusive: entries dated outside it are not offered
    /// (the planner would not take them).
    pub window: [i64; 2],
}

impl<'a> Query<'a> {
    /// A query whose window is all time.
    #[cfg(test)]
    fn anytime(fingerprint: i64, traits: &'a Traits) -> Query<'a> {
        Query {
            fingerprint,
            traits,
            window: [i64::MIN, i64::MAX],
        }
    }
}

/// Inclusive spans joined where they overlap or touch, ascending.
fn merged(mut spans: Vec<[i64; 2]>) -> Vec<[i64; 2]> {
    spans.sort_unstable();
    let mut out: Vec<[i64; 2]> = Vec::with_capacity(spans.len());
    for span in spans {
        match out.last_mut() {
            Some(last) if span[0] <= last[1].saturating_add(1) => last[1] = last[1].max(span[1]),
            _ => out.push(span),
        }
    }
    out
}

/// A row's sketch and title key. A sketch that does not read back (not
/// written by this version) counts as none: the entry is then matched on its
/// fingerprint alone.
pub(super) fn traits_of(row: &sqlx::any::AnyRow) -> Result<Traits, StoreError> {
    let sketch: Option<Vec<u8>> = row.try_get("sketch")?;
    let title_key: Option<i64> = row.try_get("title_key")?;
    Ok(Traits {
        sketch: sketch.as_deref().and_then(Sketch::from_bytes),
        title_key: title_key.map(|k| k as u64),
    })
}

/// Whether probing `masks` values in each block beats comparing all
/// `stored` fingerprints. Probes grow with the radius as a binomial sum (1,
/// 17, 137, 697, 2,517, 6,885 per block for radius 0–5), and each visited
/// bucket holds `stored / 65,536` entries. Measured (`probe_or_scan_timing`,
/// release, µs per lookup, probe / AVX-512 scan / popcnt scan): 20,000
/// entries at distance 10: 9.7 / 3.2 / 10.9, at 16: 134 / 2.4 / 10.9;
/// 400,000 at 10: 89 / 63 / 220, at 16: 1,564 / 59 / 221, at 20: 4,646 / 75
/// / 226. So from distance 16 up scanning always wins; at 10 probing wins
/// over the popcnt scan from a few thousand entries, and never over the
/// AVX-512 one (each grows with the store, the scan more slowly); at 6 and
/// under, probing wins over both on any large store.
fn probing_pays(masks: usize, stored: usize) -> bool {
    let (visit_cost, entry_cost) = Scan::detect().probe_costs();
    let visits = (masks as u128).saturating_mul(BLOCKS as u128);
    let stored = stored as u128;
    let probing = visits * visit_cost * (1 << 16) + visits * stored * entry_cost;
    probing < stored * (1 << 16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Traits whose sketch is `hashes` (ascending), so its keys are too.
    fn keyed(hashes: &[u32]) -> Traits {
        Traits {
            sketch: Sketch::from_bytes(&crate::dedup::sketch::hashes_to_bytes(hashes)),
            title_key: None,
        }
    }

    /// The next value of a xorshift64 generator in state `x`.
    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    fn loaded() -> Candidates {
        Candidates {
            loaded_at: Some(0),
            ..Candidates::default()
        }
    }

    /// A copy of `count` entries (ids from 0) whose fingerprints are
    /// `shape(id, the generator's next value)`; `x` is left at the last.
    fn filled(count: i64, x: &mut u64, shape: impl Fn(i64, u64) -> u64) -> Candidates {
        let mut c = loaded();
        for id in 0..count {
            let fingerprint = shape(id, xorshift(x));
            c.put(id, Some(fingerprint as i64), Traits::default(), 1, 0);
        }
        c
    }

    #[test]
    fn near_finds_exactly_the_entries_within_the_distance() {
        let mut c = loaded();
        let base: u64 = 0x0123_4567_89ab_cdef;
        // Ten flipped bits spread over all four blocks: 3+3+2+2.
        let ten = base ^ 0b111 ^ (0b111 << 16) ^ (0b11 << 32) ^ (0b11 << 48);
        let eleven = ten ^ (1 << 40);
        c.put(1, Some(base as i64), Traits::default(), 1, 0);
        c.put(2, Some(ten as i64), Traits::default(), 1, 0);
        c.put(3, Some(eleven as i64), Traits::default(), 1, 0);
        c.put(4, None, Traits::default(), 1, 0);
        let mut near = c.near(base as i64, 10);
        near.sort_unstable();
        assert_eq!(near, vec![1, 2]);
        assert_eq!(c.near(base as i64, 11).len(), 3);
    }

    #[test]
    fn probing_and_scanning_find_the_same_entries_at_every_distance() {
        let mut x: u64 = 1;
        // Every tenth entry is a near copy of the one before.
        let near_copies = |id, value| {
            if id % 10 == 0 {
                value
            } else {
                value & !0xf0f0_0f0f
            }
        };
        let c = filled(3000, &mut x, near_copies);
        for distance in [0, 3, 10, 16, 20, 24] {
            let masks = probe_masks(probe_radius(distance));
            for query in [x, x ^ 0xff, !x, 0] {
                let mut probed = c.probe(query, distance, masks);
                probed.sort_unstable();
                probed.dedup();
                let scanned = c.ids_of(c.scan_slots(query, distance));
                assert_eq!(probed, scanned, "distance {distance}");
                assert_eq!(
                    c.near(query as i64, distance),
                    scanned,
                    "distance {distance}"
                );
            }
        }
        assert!(!probing_pays(137, 2_000) && probing_pays(17, 1_000_000));
        assert!(!probing_pays(2517, 400_000) && !probing_pays(6885, 10_000_000));
        // At distance 10 the AVX-512 scan beats probing at any size.
        let fast = Scan::detect() == Scan::Avx512;
        assert_eq!(probing_pays(137, 100_000), !fast);
    }

    #[test]
    fn the_fast_scan_finds_what_the_plain_one_does() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        // Not a multiple of eight, so the tail is scanned too; some
        // fingerprints near the query, some far.
        let c = filled(1_003, &mut x, |id, value| {
            if id % 5 == 0 { value & 0xff } else { value }
        });
        for distance in [0, 3, 10, 18, 32, 64] {
            for query in [0u64, 0xff, x, !x] {
                let fast = c.scan_slots(query, distance);
                let mut plain = Vec::new();
                Scan::Portable.scan(&c.fingerprints, 0, query, distance, &mut plain);
                assert_eq!(fast, plain);
                assert!(distance < 64 || fast.len() == 1_003);
            }
        }
    }

    /// Every entry of `truth` (id: fingerprint and time) within
    /// `distance` of `query` and dated inside its window, by brute force.
    fn brute_force(truth: &HashMap<i64, (u64, i64)>, query: &Query, distance: u32) -> Vec<i64> {
        let mut ids: Vec<i64> = truth
            .iter()
            .filter(|(_, (fingerprint, _))| {
                (fingerprint ^ query.fingerprint as u64).count_ones() <= distance
            })
            .filter(|(_, (_, time))| (query.window[0]..=query.window[1]).contains(time))
            .map(|(&id, _)| id)
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn a_batch_finds_within_each_window_what_a_full_scan_does() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut c = loaded();
        // What was put, kept apart from the copy.
        let mut truth = HashMap::new();
        // Entries put roughly in time order, some far off it; every third
        // fingerprint near 0, over many zones and a ragged end.
        let count = 20 * ZONE as i64 + 13;
        for id in 0..count {
            let value = xorshift(&mut x);
            let fingerprint = if id % 3 == 0 { value & 0x0f0f } else { value };
            let time = if value.is_multiple_of(17) {
                (value >> 40) as i64
            } else {
                id * 10
            };
            c.put(id, Some(fingerprint as i64), Traits::default(), 1, time);
            truth.insert(id, (fingerprint, time));
        }
        // Take some out (the last entries move into their places, and
        // zones must still hold their times), and move some in time.
        for id in (0..count).step_by(7) {
            c.put(id, None, Traits::default(), 1, 0);
            truth.remove(&id);
        }
        for id in (1..count).step_by(11) {
            let time = (count - id) * 10;
            c.put(id, Some(id & 0xff), Traits::default(), 1, time);
            truth.insert(id, ((id & 0xff) as u64, time));
        }
        assert_eq!(c.zones.len(), c.ids.len().div_ceil(ZONE));
        let traits = Traits::default();
        let queries: Vec<Query> = (0..40i64)
            .map(|q| {
                let at = q * count / 4;
                Query {
                    fingerprint: if q % 2 == 0 {
                        q
                    } else {
                        xorshift(&mut x) as i64
                    },
                    traits: &traits,
                    window: if q % 5 == 0 {
                        [i64::MIN, i64::MAX]
                    } else {
                        [at - 500, at + 500]
                    },
                }
            })
            .collect();
        let options = |distance| MatchOptions {
            distance,
            ..MatchOptions::default()
        };
        for distance in [3, 10, 18] {
            // The scan, with the window applied as `judged` applies it.
            let near = c.near_slots_each(&queries, distance);
            for (query, slots) in queries.iter().zip(near) {
                let [since, until] = query.window;
                let mut found: Vec<i64> = slots
                    .into_iter()
                    .filter(|&slot| (since..=until).contains(&c.times[slot]))
                    .map(|slot| c.ids[slot])
                    .collect();
                // Probing may find an entry once per block.
                found.sort_unstable();
                found.dedup();
                assert_eq!(
                    found,
                    brute_force(&truth, query, distance),
                    "distance {distance}"
                );
            }
            // Then verified (fingerprints alone verify within 10 bits).
            let together = c.matches_each(&queries, 1, &options(distance));
            assert_eq!(together.len(), queries.len());
            for (query, found) in queries.iter().zip(&together) {
                assert_eq!(found, &c.matches(query, 1, &options(distance)));
                let verified = brute_force(&truth, query, distance.min(10));
                assert_eq!(found, &verified, "distance {distance}");
            }
            // Not a test of empty lists.
            let hits = together.iter().filter(|found| !found.is_empty()).count();
            assert!(hits > 10 || distance < 10, "{hits} queries found something");
        }
    }

    /// `cargo test --release --lib probe_or_scan -- --ignored --nocapture`:
    /// the figures behind `Scan::probe_costs`.
    #[test]
    #[ignore = "timing"]
    fn probe_or_scan_timing() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for stored in [20_000, 100_000, 400_000] {
            let c = filled(stored, &mut x, |_, value| value);
            for distance in [10, 16, 20] {
                let masks = probe_masks(probe_radius(distance));
                let time = |f: &dyn Fn(u64) -> usize| {
                    let started = std::time::Instant::now();
                    let found: usize = (0..50u64).map(|q| f(q.wrapping_mul(x))).sum();
                    (started.elapsed().as_secs_f64() * 1e6 / 50.0, found)
                };
                let (probe, a) = time(&|q| c.probe(q, distance, masks).len());
                let (scan, b) = time(&|q| c.scan_slots(q, distance).len());
                let (plain, _) = match Scan::detect() {
                    Scan::Portable => (f64::NAN, 0),
                    _ => time(&|q| {
                        let mut found = Vec::new();
                        Scan::Popcnt.scan(&c.fingerprints, 0, q, distance, &mut found);
                        found.len()
                    }),
                };
                println!(
                    "{stored:>7} entries, distance {distance:>2}: probe {probe:>8.1} µs, scan {scan:>8.1} µs (popcnt alone {plain:>8.1} µs), chosen {} ({b} found, {a} probe hits)",
                    if probing_pays(masks.len(), stored as usize) {
                        "probe"
                    } else {
                        "scan"
                    }
                );
            }
        }
    }

    #[test]
    fn candidates_the_second_stage_would_turn_down_are_not_offered() {
        let mut c = loaded();
        let span = |from: u32, to: u32, title: Option<u64>| Traits {
            title_key: title,
            ..keyed(&(from..=to).collect::<Vec<_>>())
        };
        let options = MatchOptions::default();
        // Query: 100 shingles, title 7, from source 1, fingerprint 0.
        let query = span(1, 100, Some(7));
        c.put(1, Some(0b1), span(1, 100, None), 2, 0); // a copy
        c.put(2, Some(0b11), span(51, 150, None), 2, 0); // a third shared
        c.put(3, Some(0b111), span(51, 150, Some(7)), 2, 0); // the same, same title
        c.put(4, Some(0b111), span(51, 150, Some(7)), 1, 0); // that, from one site
        c.put(5, Some(0b1_1111), Traits::default(), 2, 0); // no sketch, 5 bits
        c.put(6, Some(0x7fff), Traits::default(), 2, 0); // no sketch, 15 bits
        c.put(7, Some(-1), span(1, 100, None), 2, 0); // a copy 64 bits away
        assert_eq!(
            c.matches(&Query::anytime(0, &query), 1, &options),
            vec![1, 3, 5, 7]
        );
        let narrow = MatchOptions {
            distance: 3,
            ..options
        };
        assert_eq!(
            c.band_matches(&Query::anytime(0, &query), 1, &narrow),
            vec![1, 3]
        );
    }

    #[test]
    fn entries_dated_outside_the_window_are_not_offered_by_any_way_of_finding_them() {
        let mut c = loaded();
        let copy = keyed(&(1..=100).collect::<Vec<_>>());
        // Found only by shared keys (64 bits away), inside and outside.
        c.put(1, Some(-1), copy.clone(), 2, 100);
        c.put(2, Some(-1), copy.clone(), 2, 10_000);
        // Found only by the fingerprint (no sketch, 0 bits away).
        c.put(3, Some(0), Traits::default(), 2, 900);
        c.put(4, Some(0), Traits::default(), 2, 1_001);
        let inside = Query {
            fingerprint: 0,
            traits: &copy,
            window: [0, 1_000],
        };
        let options = MatchOptions::default();
        assert_eq!(c.matches(&inside, 1, &options), vec![1, 3]);
        assert_eq!(
            c.matches(&Query::anytime(0, &copy), 1, &options),
            vec![1, 2, 3, 4]
        );
        let narrow = MatchOptions {
            distance: 3,
            ..options
        };
        assert_eq!(c.band_matches(&inside, 1, &narrow), vec![3]);
    }

    #[test]
    fn past_the_cap_old_entries_lose_their_sketches_and_are_let_through() {
        let mut c = loaded();
        c.sketch_cap = 2;
        let query = keyed(&(1..=100).collect::<Vec<_>>());
        let other = keyed(&(201..=300).collect::<Vec<_>>());
        for id in 1..=3 {
            c.put(id, Some(id), other.clone(), 2, 0);
        }
        // All within the radius, none verifies; entry 1's sketch is gone.
        let anytime = Query::anytime(0, &query);
        assert_eq!(c.matches(&anytime, 1, &MatchOptions::default()), vec![1]);
        assert_eq!(c.sketches, 2);
        // Its keys still come out with it.
        c.put(1, None, Traits::default(), 2, 0);
        assert!(c.sharing(other.keys()).iter().all(|&id| id != 1));
        c.put(2, None, Traits::default(), 2, 0);
        assert_eq!(c.sketches, 1);
    }

    #[test]
    fn only_the_parts_of_a_span_not_yet_held_are_read() {
        let mut c = loaded();
        c.cutoff = 1000;
        assert_eq!(c.gaps([100, 200]), vec![[100, 200]]);
        assert_eq!(c.gaps([900, 2000]), vec![[900, 999]]);
        assert!(c.gaps([1000, 2000]).is_empty());
        c.spans = merged(vec![[300, 400], [100, 200], [201, 250]]);
        assert_eq!(c.spans, vec![[100, 250], [300, 400]]);
        assert_eq!(c.gaps([50, 350]), vec![[50, 99], [251, 299]]);
        assert_eq!(c.gaps([350, 1200]), vec![[401, 999]]);
        assert!(c.gaps([120, 240]).is_empty());
    }

    #[test]
    fn a_changed_fingerprint_replaces_the_old_one() {
        let mut c = loaded();
        c.put(7, Some(0), keyed(&[1, 2, 3]), 1, 0);
        assert_eq!(c.sharing(&[2, 3, 9]), vec![7]);
        c.put(7, Some(-1), keyed(&[4, 5]), 1, 0);
        assert!(c.near(0, 10).is_empty());
        assert_eq!(c.near(-1, 0), vec![7]);
        assert!(c.sharing(&[2, 3, 9]).is_empty());
        assert_eq!(c.sharing(&[4, 5]), vec![7]);
        c.put(7, None, keyed(&[4, 5]), 1, 0);
        assert!(c.near(-1, 0).is_empty());
        assert!(c.sharing(&[4, 5]).is_empty());
    }
}
