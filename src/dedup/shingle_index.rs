//! The second way to find candidates: stored items whose sketches share
//! some of their smallest hashes with the new item's.
//!
//! A simhash moves with everything in the text, so two copies of a short
//! story in different site chrome can land 20 or more bits apart although
//! their texts verify. The smallest hashes of a bottom-k sketch are a
//! bottom-m sketch themselves: two texts sharing a good part of their
//! shingles share some of their [`KEYS`] smallest with high probability
//! (as do a teaser and its full story, since the teaser's smallest shingles
//! rank low in the story too), while unrelated texts share one only through a
//! common phrase. Requiring [`MIN_SHARED`] keys, and skipping keys held by
//! very many items (boilerplate phrases), keeps the candidates few.

use std::collections::HashSet;

use super::sketch::{Sketch, Traits, hashes_to_bytes};

/// Smallest hashes of each sketch that are indexed. A long copy's smallest
/// shingles are mostly its site's chrome, so a teaser of a tenth of its
/// length holds on average only a tenth of them: with 32 keys about three
/// (two are needed), with 16 fewer than two. 48 found a few pairs more on
/// the pages set, but offered so many chance candidates on generated text
/// that ingest fell by a third.
pub const KEYS: usize = 32;

/// Keys two items must share to be candidates.
pub const MIN_SHARED: usize = 2;

/// A key held by more items than this is a common phrase, not evidence.
pub const MAX_POSTING: usize = 256;

/// The keys of a sketch: its smallest hashes.
pub fn keys(sketch: &Sketch) -> &[u32] {
    let hashes = sketch.hashes();
    &hashes[..hashes.len().min(KEYS)]
}

/// Items by sketch key, in memory. `Id` is whatever names an item: a
/// position in `feedfold dedup`, a row id in the store's copy.
///
/// Nearly every key is held by one item only, so a map of lists would
/// spend a list (and its allocation) per key: instead the `(key, id)`
/// pairs sit in one open-addressed table with linear probing, where the
/// pairs of one key all lie between its home slot and the next empty one.
/// About 16 bytes a key for `i64` ids, at most three quarters full.
#[derive(Debug, Clone)]
pub struct ShingleIndex<Id = u32> {
    keys: Vec<u32>,
    ids: Vec<Id>,
    /// One bit per slot: taken.
    taken: Vec<u64>,
    len: usize,
    /// Keys that reached [`MAX_POSTING`] items: no longer filed, and
    /// skipped by lookups.
    common: HashSet<u32>,
}

impl<Id: Copy + Default> Default for ShingleIndex<Id> {
    fn default() -> Self {
        ShingleIndex {
            keys: Vec::new(),
            ids: Vec::new(),
            taken: Vec::new(),
            len: 0,
            common: HashSet::new(),
        }
    }
}

impl<Id: Copy + Ord + Default> ShingleIndex<Id> {
    /// Files item `id` under `keys` (see [`keys`]).
    pub fn insert(&mut self, keys: &[u32], id: Id) {
        for &key in keys {
            if self.common.contains(&key) {
                continue;
            }
            if 4 * (self.len + 1) > 3 * self.keys.len() {
                self.grow();
            }
            let mut slot = self.home(key);
            let mut held = 0;
            while self.is_taken(slot) {
                held += usize::from(self.keys[slot] == key);
                slot = self.next(slot);
            }
            if held >= MAX_POSTING {
                self.common.insert(key);
                continue;
            }
            self.put(slot, key, id);
        }
    }

    /// Takes item `id` out from under `keys`, as filed.
    pub fn remove(&mut self, keys: &[u32], id: Id) {
        for &key in keys {
            if self.keys.is_empty() {
                return;
            }
            let mut slot = self.home(key);
            while self.is_taken(slot) {
                if self.keys[slot] == key && self.ids[slot] == id {
                    self.vacate(slot);
                    break;
                }
                slot = self.next(slot);
            }
        }
    }

    /// Calls `found` once with every item sharing at least [`MIN_SHARED`]
    /// of `keys` (ascending ids).
    pub fn for_each_candidate(&self, keys: &[u32], mut found: impl FnMut(Id)) {
        let mut hits: Vec<Id> = Vec::new();
        for &key in keys {
            if self.keys.is_empty() || self.common.contains(&key) {
                continue;
            }
            let mut slot = self.home(key);
            while self.is_taken(slot) {
                if self.keys[slot] == key {
                    hits.push(self.ids[slot]);
                }
                slot = self.next(slot);
            }
        }
        hits.sort_unstable();
        for run in hits.chunk_by(|a, b| a == b) {
            if run.len() >= MIN_SHARED {
                found(run[0]);
            }
        }
    }

    /// Pairs filed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is filed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keys are a sketch's smallest hashes, so their high bits are mostly
    /// clear: a multiply spreads them over the table.
    fn home(&self, key: u32) -> usize {
        let bits = self.keys.len().trailing_zeros();
        ((u64::from(key).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize) >> (32 - bits)
    }

    fn next(&self, slot: usize) -> usize {
        (slot + 1) & (self.keys.len() - 1)
    }

    fn is_taken(&self, slot: usize) -> bool {
        self.taken[slot / 64] >> (slot % 64) & 1 == 1
    }

    fn put(&mut self, slot: usize, key: u32, id: Id) {
        self.keys[slot] = key;
        self.ids[slot] = id;
        self.taken[slot / 64] |= 1 << (slot % 64);
        self.len += 1;
    }

    /// Empties `slot` and moves back the pairs after it that probed past
    /// it, so that every pair stays reachable from its home without
    /// tombstones.
    fn vacate(&mut self, mut hole: usize) {
        self.taken[hole / 64] &= !(1 << (hole % 64));
        self.len -= 1;
        let mut slot = self.next(hole);
        while self.is_taken(slot) {
            let home = self.home(self.keys[slot]);
            // Cyclic distances: the pair may fill the hole if its home is
            // not strictly after the hole on its way to `slot`.
            let mask = self.keys.len() - 1;
            if (slot.wrapping_sub(home) & mask) >= (slot.wrapping_sub(hole) & mask) {
                let (key, id) = (self.keys[slot], self.ids[slot]);
                self.taken[slot / 64] &= !(1 << (slot % 64));
                self.keys[hole] = key;
                self.ids[hole] = id;
                self.taken[hole / 64] |= 1 << (hole % 64);
                hole = slot;
            }
            slot = self.next(slot);
        }
    }

    fn grow(&mut self) {
        let size = (2 * self.keys.len()).max(64);
        let common = std::mem::take(&mut self.common);
        let old = std::mem::replace(
            self,
            ShingleIndex {
                keys: vec![0; size],
                ids: vec![Id::default(); size],
                taken: vec![0; size / 64],
                len: 0,
                common,
            },
        );
        for slot in 0..old.keys.len() {
            if old.is_taken(slot) {
                let mut to = self.home(old.keys[slot]);
                while self.is_taken(to) {
                    to = self.next(to);
                }
                self.put(to, old.keys[slot], old.ids[slot]);
            }
        }
    }
}

/// Whether two items' keys make them candidates, as the index would find.
pub fn shares_keys(a: &[u32], b: &[u32]) -> bool {
    a.iter().filter(|key| b.contains(key)).count() >= MIN_SHARED
}

/// [`shares_keys`] against keys in their stored form, read in place: the
/// lookup for old items meets every row of a window.
pub fn shares_stored_keys(keys: &[u32], stored: &[u8]) -> bool {
    stored
        .chunks_exact(4)
        .filter(|c| keys.contains(&u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        .count()
        >= MIN_SHARED
}

/// Stored form of keys (column `sketch_keys`): that of a sketch.
pub fn keys_to_bytes(keys: &[u32]) -> Vec<u8> {
    hashes_to_bytes(keys)
}

/// Keys from their stored form; none when it is not one.
pub fn keys_from_bytes(stored: &[u8]) -> Vec<u32> {
    Sketch::from_bytes(stored)
        .map(|keys| keys.hashes().to_vec())
        .unwrap_or_default()
}

impl Traits {
    /// The keys of its sketch (none without one).
    pub fn keys(&self) -> &[u32] {
        self.sketch.as_ref().map_or(&[], keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::Fingerprinter;

    fn sketch(text: &str) -> Sketch {
        let mut f = Fingerprinter::default();
        f.text(text);
        f.sketch()
    }

    #[test]
    fn finds_copies_and_teasers_not_strangers() {
        let story: String = (0..80)
            .map(|i| format!("sentence {i} of the harbour report names berth {} ", i * 7))
            .collect();
        let teaser = &story[..story.len() / 3];
        let other: String = (0..80)
            .map(|i| format!("line {i} of a match report lists player {} ", i * 3))
            .collect();
        let mut index = ShingleIndex::default();
        index.insert(keys(&sketch(&story)), 1);
        index.insert(keys(&sketch(&other)), 2);
        let found_in = |index: &ShingleIndex, text: &str| {
            let mut ids = Vec::new();
            index.for_each_candidate(keys(&sketch(text)), |id| ids.push(id));
            ids
        };
        let found = |text: &str| found_in(&index, text);
        assert_eq!(found(&story), vec![1]);
        assert_eq!(found(teaser), vec![1]);
        assert_eq!(
            found(&format!("Site menu home news sport {story}")),
            vec![1]
        );
        assert!(found("nothing in common with either of them at all, not a word").is_empty());
        assert!(shares_keys(keys(&sketch(teaser)), keys(&sketch(&story))));
        let stored = keys_to_bytes(keys(&sketch(&story)));
        assert_eq!(keys_from_bytes(&stored), keys(&sketch(&story)));
        assert!(shares_stored_keys(keys(&sketch(teaser)), &stored));
        assert!(!shares_stored_keys(keys(&sketch(&other)), &stored));
        index.remove(keys(&sketch(&story)), 1);
        assert!(found_in(&index, &story).is_empty());
    }

    /// The table against a map of lists, through random filings and
    /// removals that collide often (few distinct keys, a table that grows
    /// and pairs that move back when others leave).
    #[test]
    fn the_table_finds_what_a_map_of_lists_would() {
        use std::collections::BTreeMap;
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut index = ShingleIndex::<i64>::default();
        let mut model: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
        for round in 0..4_000 {
            if next(3) > 0 || model.is_empty() {
                let keys: Vec<u32> = (0..1 + next(6)).map(|_| next(400) as u32).collect();
                let mut keys = keys;
                keys.sort_unstable();
                keys.dedup();
                index.insert(&keys, round);
                model.insert(round, keys);
            } else {
                let at = next(model.len() as u64) as usize;
                let id = *model.keys().nth(at).unwrap_or(&0);
                let keys = model.remove(&id).unwrap_or_default();
                index.remove(&keys, id);
            }
            assert_eq!(index.len(), model.values().map(Vec::len).sum::<usize>());
            // Distinct, as a sketch's keys are.
            let mut query: Vec<u32> = (0..4).map(|_| next(400) as u32).collect();
            query.sort_unstable();
            query.dedup();
            let mut found = Vec::new();
            index.for_each_candidate(&query, |id| found.push(id));
            let expected: Vec<i64> = model
                .iter()
                .filter(|(_, keys)| shares_keys(keys, &query))
                .map(|(&id, _)| id)
                .collect();
            assert_eq!(found, expected, "round {round}");
        }
    }

    #[test]
    fn a_key_many_items_hold_is_no_evidence() {
        let mut index = ShingleIndex::<u32>::default();
        for id in 0..MAX_POSTING as u32 + 10 {
            index.insert(&[7, 1_000 + id], id);
        }
        index.insert(&[7, 9], 5_000);
        let mut found = Vec::new();
        index.for_each_candidate(&[7, 9], |id| found.push(id));
        assert!(found.is_empty(), "{found:?}");
        index.insert(&[9, 11], 5_001);
        index.for_each_candidate(&[9, 11, 7], |id| found.push(id));
        assert_eq!(found, vec![5_001]);
    }
}
