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

use super::sketch::{Sketch, Traits, hashes_to_bytes};

/// Smallest hashes of each sketch that are indexed. More would find more
/// teasers (a long copy's smallest shingles are mostly its site's chrome),
/// but every key added offers chance candidates too: 32 found a few pairs
/// more on the pages set and cost the feedfarm poll cycle ~8 CPU-seconds in
/// 25 (see README, "Stop 30").
pub const KEYS: usize = 16;

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
#[derive(Debug, Clone)]
pub struct ShingleIndex<Id = u32> {
    /// Items by key. The keys are hashes already, so a fast hash of them
    /// is as good as SipHash and several times cheaper: every lookup of a
    /// new item asks for its 16 keys.
    postings: foldhash::HashMap<u32, Vec<Id>>,
}

impl<Id> Default for ShingleIndex<Id> {
    fn default() -> Self {
        ShingleIndex {
            postings: foldhash::HashMap::default(),
        }
    }
}

impl<Id: Copy + Ord> ShingleIndex<Id> {
    /// Files item `id` under `keys` (see [`keys`]).
    pub fn insert(&mut self, keys: &[u32], id: Id) {
        for &key in keys {
            self.postings.entry(key).or_default().push(id);
        }
    }

    /// Takes item `id` out from under `keys`, as filed.
    pub fn remove(&mut self, keys: &[u32], id: Id) {
        for key in keys {
            if let Some(ids) = self.postings.get_mut(key) {
                ids.retain(|&other| other != id);
                if ids.is_empty() {
                    self.postings.remove(key);
                }
            }
        }
    }

    /// Calls `found` once with every item sharing at least [`MIN_SHARED`]
    /// of `keys` (ascending ids).
    pub fn for_each_candidate(&self, keys: &[u32], mut found: impl FnMut(Id)) {
        let mut hits: Vec<Id> = keys
            .iter()
            .filter_map(|key| self.postings.get(key))
            .filter(|ids| ids.len() <= MAX_POSTING)
            .flatten()
            .copied()
            .collect();
        hits.sort_unstable();
        for run in hits.chunk_by(|a, b| a == b) {
            if run.len() >= MIN_SHARED {
                found(run[0]);
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
