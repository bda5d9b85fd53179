//! A story's weighted term vector: sublinear term frequency times IDF,
//! the strongest terms only, unit length.

use super::idf::DocFreq;
use super::terms::Terms;

/// Terms kept per story: bounds memory (12 bytes a term) and drops the long
/// tail that makes every two long articles look a little alike.
pub const TOP_TERMS: usize = 100;

/// A sparse unit vector, sorted by term hash.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TermVector {
    entries: Vec<(u64, f32)>,
}

impl TermVector {
    /// The weighted vector of `terms` (too-common terms left out).
    pub fn of(terms: &Terms, df: &DocFreq) -> TermVector {
        let weighted = terms.counts.iter().filter_map(|&(term, count)| {
            let w = (1.0 + (count as f32).ln()) * df.weight(term)?;
            (w > 0.0).then_some((term, w))
        });
        TermVector::top(weighted, TOP_TERMS)
    }

    /// The vector of a few distinct terms (a title, entity tokens), each
    /// weighted by its IDF.
    pub fn of_set(distinct: &[u64], df: &DocFreq) -> TermVector {
        let weighted = distinct.iter().filter_map(|&term| {
            let w = df.weight(term)?;
            (w > 0.0).then_some((term, w))
        });
        TermVector::top(weighted, TOP_TERMS)
    }

    fn top(weighted: impl Iterator<Item = (u64, f32)>, keep: usize) -> TermVector {
        let mut entries: Vec<(u64, f32)> = weighted.collect();
        // Ties broken by term so the kept set never depends on map order.
        let heaviest = |a: &(u64, f32), b: &(u64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if keep > 0 && entries.len() > keep {
            entries.select_nth_unstable_by(keep - 1, heaviest);
        }
        entries.truncate(keep);
        // The norm is summed heaviest first, as it always was: the same
        // stories give the same bits.
        entries.sort_unstable_by(heaviest);
        // A long story weighs ~400 terms: without this its vector would
        // hold their room for as long as it lives (an events pass keeps
        // 20,000 of them).
        entries.shrink_to_fit();
        let norm = entries.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for e in &mut entries {
                e.1 /= norm;
            }
        }
        entries.sort_unstable_by_key(|e| e.0);
        TermVector { entries }
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the vector has no terms.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `n` heaviest terms, heaviest first (ties by term).
    pub fn strongest(&self, n: usize) -> Vec<u64> {
        let mut by_weight = self.entries.clone();
        by_weight.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        by_weight.into_iter().take(n).map(|e| e.0).collect()
    }

    /// Cosine of two unit vectors, and the shared terms with their
    /// contribution (largest first).
    pub fn shared(&self, other: &TermVector) -> (f32, Vec<(u64, f32)>) {
        let mut shared: Vec<(u64, f32)> = products(&self.entries, &other.entries).collect();
        let cosine = shared.iter().map(|s| s.1).sum();
        shared.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        (cosine, shared)
    }

    /// Cosine of two unit vectors (no allocation: this runs for every
    /// candidate pair).
    pub fn cosine(&self, other: &TermVector) -> f32 {
        let (a, b) = (&self.entries[..], &other.entries[..]);
        // The merge of `products` without its branches on which side is
        // behind (they mispredict about every other step); the sum runs in
        // term order from -0.0, as `Iterator::sum` does.
        let (mut i, mut j, mut sum) = (0, 0, -0.0f32);
        while let (Some(&(x, wx)), Some(&(y, wy))) = (a.get(i), b.get(j)) {
            if x == y {
                sum += wx * wy;
            }
            i += usize::from(x <= y);
            j += usize::from(y <= x);
        }
        sum
    }
}

/// The terms two vectors sorted by term share, each with the product of
/// its two weights, in term order.
fn products<'a>(a: &'a [(u64, f32)], b: &'a [(u64, f32)]) -> impl Iterator<Item = (u64, f32)> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
            match x.0.cmp(&y.0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    (i, j) = (i + 1, j + 1);
                    return Some((x.0, x.1 * y.1));
                }
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::super::terms::terms;
    use super::*;

    #[test]
    fn same_text_is_one_and_disjoint_text_is_zero() {
        let a = terms("Port strike ends", "Dock workers accepted the pay offer");
        let b = terms(
            "Ferry services cancelled",
            "Gales closed the island crossings",
        );
        let mut df = DocFreq::default();
        for t in [&a, &b] {
            df.add(t.counts.iter().map(|(term, _)| term));
        }
        let (va, vb) = (TermVector::of(&a, &df), TermVector::of(&b, &df));
        assert!((va.cosine(&va) - 1.0).abs() < 1e-4);
        assert_eq!(va.cosine(&vb), 0.0);
        assert!((va.shared(&va).0 - va.cosine(&va)).abs() < 1e-6);
        assert_eq!(va.strongest(3).len(), 3);
    }
}
