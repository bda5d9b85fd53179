//! Document frequencies learnt from the stories seen, in a bounded table,
//! and the inverse document frequency they give.

use super::terms::TermMap;

/// Terms kept by default: enough for the vocabulary of a few hundred
/// thousand stories (~16 bytes a term plus the map's overhead, ~40 MB).
pub const DEFAULT_CAPACITY: usize = 2_000_000;

/// How many stories each term occurred in, out of how many stories.
#[derive(Debug, Clone)]
pub struct DocFreq {
    counts: TermMap<u32>,
    docs: u64,
    capacity: usize,
}

impl Default for DocFreq {
    fn default() -> Self {
        DocFreq::with_capacity(DEFAULT_CAPACITY)
    }
}

impl DocFreq {
    /// An empty table that keeps at most `capacity` terms.
    pub fn with_capacity(capacity: usize) -> DocFreq {
        DocFreq {
            counts: TermMap::default(),
            docs: 0,
            capacity: capacity.max(16),
        }
    }

    /// Counts one story with these distinct terms.
    pub fn add<'a>(&mut self, distinct: impl IntoIterator<Item = &'a u64>) {
        self.docs += 1;
        for term in distinct {
            *self.counts.entry(*term).or_default() += 1;
        }
        if self.counts.len() > self.capacity {
            self.shrink();
        }
    }

    /// Over capacity, the rarest terms go first (a term seen once is
    /// mostly a typo or a name that never comes back): dropping them only
    /// makes them look new again, which weighs them as rare, as they are.
    fn shrink(&mut self) {
        let mut floor = 1;
        while self.counts.len() > self.capacity * 3 / 4 {
            self.counts.retain(|_, c| *c > floor);
            floor += 1;
        }
    }

    /// Stories counted.
    pub fn docs(&self) -> u64 {
        self.docs
    }

    /// Terms held.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when no term is held.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Stories `term` occurred in.
    pub fn df(&self, term: u64) -> u32 {
        self.counts.get(&term).copied().unwrap_or(0)
    }

    /// Inverse document frequency, smoothed so a term never seen weighs
    /// most and one in every story weighs nearly nothing.
    pub fn idf(&self, term: u64) -> f32 {
        self.idf_of(self.df(term))
    }

    fn idf_of(&self, df: u32) -> f32 {
        let n = self.docs as f64;
        ((n + 1.0) / (f64::from(df) + 0.5)).ln().max(0.0) as f32
    }

    /// True when `term` is too common to say what a story is about: in more
    /// than a tenth of the stories, once there are enough of them.
    pub fn too_common(&self, term: u64) -> bool {
        self.too_common_at(self.df(term))
    }

    fn too_common_at(&self, df: u32) -> bool {
        u64::from(df) > (self.docs / 10).max(5)
    }

    /// The term's [`DocFreq::idf`], or `None` when it is
    /// [`DocFreq::too_common`]: one lookup for both.
    pub fn weight(&self, term: u64) -> Option<f32> {
        let df = self.df(term);
        (!self.too_common_at(df)).then(|| self.idf_of(df))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_terms_weigh_more_and_common_ones_are_capped() {
        let mut df = DocFreq::default();
        for i in 0..100u64 {
            df.add(&[1, 2 + i % 2, 100 + i]);
        }
        assert!(df.idf(100) > df.idf(2));
        assert!(df.idf(2) > df.idf(1));
        assert!(df.too_common(1));
        assert!(!df.too_common(100));
        assert!(df.idf(999) >= df.idf(100));
    }

    #[test]
    fn the_table_stays_bounded_and_keeps_frequent_terms() {
        let mut df = DocFreq::with_capacity(64);
        for i in 0..1000u64 {
            df.add(&[7, 1000 + i]);
        }
        assert!(df.len() <= 64);
        assert_eq!(df.df(7), 1000);
        assert_eq!(df.docs(), 1000);
    }
}
