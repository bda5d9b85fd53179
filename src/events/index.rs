//! Candidate generation: an inverted index over each story's strongest
//! terms. A story is compared only with stories sharing at least
//! [`MIN_SHARED`] of them, so the work grows with the posting lists, not
//! with the number of stories.

use std::collections::HashSet;

use super::terms::TermMap;

/// Strongest terms of a story that are indexed and looked up.
pub const INDEXED_TERMS: usize = 20;

/// Shared indexed terms a candidate needs: one shared word is topic, not
/// event.
pub const MIN_SHARED: u32 = 2;

/// Stories a posting list holds before its term counts as too common to
/// find candidates by (the term stays in the vectors).
pub const DEFAULT_POSTING_CAP: usize = 1_000;

/// Room [`InvertedIndex::candidates_with`] counts in; all zero between
/// lookups.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    hits: Vec<u32>,
    touched: Vec<u32>,
}

/// Term → stories (by index) that have it among their strongest terms.
#[derive(Debug, Clone)]
pub struct InvertedIndex {
    postings: TermMap<Vec<u32>>,
    saturated: HashSet<u64>,
    cap: usize,
}

impl Default for InvertedIndex {
    fn default() -> Self {
        InvertedIndex::with_cap(DEFAULT_POSTING_CAP)
    }
}

impl InvertedIndex {
    /// An empty index whose posting lists hold at most `cap` stories.
    pub fn with_cap(cap: usize) -> InvertedIndex {
        InvertedIndex {
            postings: TermMap::default(),
            saturated: HashSet::new(),
            cap: cap.max(1),
        }
    }

    /// Indexes story `story` under its strongest terms.
    pub fn add(&mut self, story: u32, strongest: &[u64]) {
        for term in strongest {
            if self.saturated.contains(term) {
                continue;
            }
            let list = self.postings.entry(*term).or_default();
            list.push(story);
            if list.len() > self.cap {
                // A full list is dropped whole rather than cut: which
                // stories stayed would depend on arrival order.
                self.postings.remove(term);
                self.saturated.insert(*term);
            }
        }
    }

    /// Stories sharing at least [`MIN_SHARED`] of `strongest`, with the
    /// number shared, in story order.
    pub fn candidates(&self, strongest: &[u64]) -> Vec<(u32, u32)> {
        self.candidates_with(strongest, &mut Scratch::default())
    }

    /// As [`InvertedIndex::candidates`], counting in `scratch`: one counter
    /// per story, reused from one lookup to the next, instead of a hash map
    /// built per lookup.
    pub fn candidates_with(&self, strongest: &[u64], scratch: &mut Scratch) -> Vec<(u32, u32)> {
        let Scratch { hits, touched } = scratch;
        for term in strongest {
            for &story in self.postings.get(term).map_or(&[][..], Vec::as_slice) {
                let at = story as usize;
                if at >= hits.len() {
                    hits.resize(at + 1, 0);
                }
                if hits[at] == 0 {
                    touched.push(story);
                }
                hits[at] += 1;
            }
        }
        let mut found = Vec::new();
        for &story in touched.iter() {
            let n = std::mem::take(&mut hits[story as usize]);
            if n >= MIN_SHARED {
                found.push((story, n));
            }
        }
        touched.clear();
        found.sort_unstable();
        found
    }

    /// Postings held (for the memory figure).
    pub fn postings(&self) -> usize {
        self.postings.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_shared_terms_make_a_candidate_one_does_not() {
        let mut index = InvertedIndex::default();
        index.add(0, &[1, 2, 3]);
        index.add(1, &[3, 4, 5]);
        assert_eq!(index.candidates(&[1, 2, 9]), vec![(0, 2)]);
        assert!(index.candidates(&[3, 9]).is_empty());
    }

    #[test]
    fn a_term_over_the_cap_finds_nothing_whatever_the_order() {
        let mut index = InvertedIndex::with_cap(3);
        for story in 0..5 {
            index.add(story, &[7, 100 + u64::from(story)]);
        }
        index.add(9, &[7, 100]);
        assert!(index.candidates(&[7, 100]).is_empty(), "7 is saturated");
        assert!(index.postings() <= 7);
    }
}
