//! A compact sample of a text's shingles, stored with each entry, on which
//! simhash candidates are verified: how much of two texts is shared
//! (resemblance), and how much of the smaller lies inside the larger
//! (containment, for teasers and truncated copies).
//!
//! The sample is a bottom-k sketch: the [`K`] smallest distinct 32-bit
//! hashes of the text's shingles. Below the smaller of two sketches' largest
//! kept hash, both sketches hold *every* shingle hash of their text, so the
//! shingles there are an exact uniform sample of both texts at once; the
//! overlap counted there estimates both resemblance and containment without
//! bias (Broder 1997; Cohen and Kaplan 2007). A MinHash signature answers
//! resemblance only; containment from it must go through the set sizes and
//! is poor when one text is much shorter, which is exactly the teaser case.
//!
//! Shingles are pairs of consecutive simhash features (three words, or three
//! CJK characters, in a row), hashed from the feature hashes already
//! computed, so the sketch costs one multiply per feature and a compare.

use super::simd::Simd;

/// Hashes kept per text. 128 hashes are 512 bytes stored; the estimates'
/// standard error is then about 0.04 at resemblance 0.7.
pub const K: usize = 128;

/// Shingles in the shared sample below which the estimates are too noisy
/// to decide on (a sample of 12 puts one standard error near 0.13).
pub const MIN_SAMPLE: u32 = 12;

/// The bottom-k sketch of one text: its smallest distinct shingle hashes,
/// ascending. Fewer than [`K`] means the text had no more: the sketch is
/// then exact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sketch {
    hashes: Vec<u32>,
}

/// What two sketches say about their texts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    /// Shared shingles over all shingles of either (Jaccard), 0..=1.
    pub resemblance: f32,
    /// Share of the first text's shingles found in the second, 0..=1.
    pub first_in_second: f32,
    /// Share of the second text's shingles found in the first, 0..=1.
    pub second_in_first: f32,
    /// Shingles of the first text in the shared sample.
    pub first_sample: u32,
    /// Shingles of the second text in the shared sample.
    pub second_sample: u32,
}

impl Overlap {
    /// Containment of the text with fewer sampled shingles in the other, and
    /// that sample's size: a teaser is judged by how much of it the full
    /// story holds.
    pub fn containment(&self) -> (f32, u32) {
        if self.first_sample <= self.second_sample {
            (self.first_in_second, self.first_sample)
        } else {
            (self.second_in_first, self.second_sample)
        }
    }
}

impl Sketch {
    /// The kept hashes, ascending.
    pub fn hashes(&self) -> &[u32] {
        &self.hashes
    }

    /// True when the text had no shingles.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Stored form: the hashes as little-endian 32-bit words.
    pub fn to_bytes(&self) -> Vec<u8> {
        hashes_to_bytes(&self.hashes)
    }

    /// Reads the stored form; `None` when it is not one (wrong length, too
    /// many hashes, or not strictly ascending).
    pub fn from_bytes(bytes: &[u8]) -> Option<Sketch> {
        if !bytes.len().is_multiple_of(4) || bytes.len() / 4 > K {
            return None;
        }
        let hashes: Vec<u32> = bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        hashes
            .windows(2)
            .all(|w| w[0] < w[1])
            .then_some(Sketch { hashes })
    }

    /// Largest hash below which this sketch holds all of its text's hashes.
    fn limit(&self) -> u32 {
        match self.hashes.last() {
            Some(&last) if self.hashes.len() >= K => last,
            _ => u32::MAX,
        }
    }

    /// Compares two texts by their sketches.
    pub fn compare(&self, other: &Sketch) -> Overlap {
        let (a, b) = self.samples(other);
        Overlap::of(shared(a, b), a.len(), b.len())
    }

    /// Compares two texts by their sketches, unless they cannot share as
    /// many shingles as `least(first, second)` asks, given the sizes of each
    /// one's sample: most candidates share almost nothing, and the merge
    /// stops once what is left of either sample could not make up the
    /// difference. `None` exactly when fewer are shared.
    pub fn compare_at_least(
        &self,
        other: &Sketch,
        least: impl FnOnce(usize, usize) -> usize,
    ) -> Option<Overlap> {
        let (a, b) = self.samples(other);
        let need = least(a.len(), b.len());
        let shared = shared_at_least(a, b, need)?;
        Some(Overlap::of(shared, a.len(), b.len()))
    }

    /// Both sketches' hashes below the smaller of their limits: their
    /// texts' common sample.
    fn samples<'a>(&'a self, other: &'a Sketch) -> (&'a [u32], &'a [u32]) {
        let limit = self.limit().min(other.limit());
        (below(&self.hashes, limit), below(&other.hashes, limit))
    }
}

impl Overlap {
    /// The figures of `shared` shingles between samples of `first` and
    /// `second` shingles.
    pub fn of(shared: usize, first: usize, second: usize) -> Overlap {
        let ratio = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f32 / d as f32 };
        Overlap {
            resemblance: ratio(shared, (first + second).saturating_sub(shared)),
            first_in_second: ratio(shared, first),
            second_in_first: ratio(shared, second),
            first_sample: first as u32,
            second_sample: second as u32,
        }
    }
}

/// Hashes in the stored form of a sketch: little-endian 32-bit words.
pub fn hashes_to_bytes(hashes: &[u32]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.to_le_bytes()).collect()
}

/// The prefix of an ascending list at most `limit`.
fn below(hashes: &[u32], limit: u32) -> &[u32] {
    &hashes[..hashes.partition_point(|&h| h <= limit)]
}

/// Count of values in both ascending lists (each strictly ascending).
///
/// Eight values of each at a time: all 64 pairs of two blocks are compared
/// at once (the compiler turns that into a few vector compares), and the
/// block with the smaller last value moves on, since nothing after the
/// other block can equal any of its values. The rest goes through a
/// branch-free merge. A merge one value at a time spent most of a
/// verification on mispredicted branches.
fn shared(a: &[u32], b: &[u32]) -> usize {
    shared_at_least(a, b, 0).unwrap_or_default()
}

/// [`shared`], unless fewer than `need` values are in both: checked after
/// each step of eight, so that two unrelated lists stop about a third of
/// the way in (each value of what is left of either list can add one).
fn shared_at_least(a: &[u32], b: &[u32], need: usize) -> Option<usize> {
    let possible = |n: usize, i: usize, j: usize| n + (a.len() - i).min(b.len() - j) >= need;
    if !possible(0, 0, 0) {
        return None;
    }
    let (mut i, mut j, mut n) = (0, 0, 0);
    while let (Some(x), Some(y)) = (a.get(i..i + 8), b.get(j..j + 8)) {
        n += block_matches(x, y);
        let (last_x, last_y) = (x[7], y[7]);
        i += 8 * usize::from(last_x <= last_y);
        j += 8 * usize::from(last_y <= last_x);
        if !possible(n, i, j) {
            return None;
        }
    }
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    (n >= need).then_some(n)
}

/// Pairs of equal values between two blocks of eight.
#[inline(always)]
fn block_matches(x: &[u32], y: &[u32]) -> usize {
    let mut n = 0u32;
    for &v in x {
        for &w in y {
            n += u32::from(v == w);
        }
    }
    n as usize
}

/// What the second stage compares of an entry: its sketch and its title.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traits {
    /// Its shingle sketch; `None` matches on the fingerprint alone.
    pub sketch: Option<Sketch>,
    /// Its cleaned title's key (see `Fingerprinter::title_key`).
    pub title_key: Option<u64>,
}

/// Builds a sketch from runs of feature hashes, reusing its buffers.
///
/// The shingle hashes are collected first and the smallest picked once at
/// the end: every hash above a bar that [`K`] distinct hashes are very
/// likely under (set from the count) is dropped in one branch-free pass,
/// and only the few below are sorted. Should fewer than [`K`] distinct
/// hashes be under the bar, it is raised and the pick made again, so the
/// result is always exactly the [`K`] smallest distinct hashes.
#[derive(Debug, Clone, Default)]
pub struct SketchBuilder {
    shingles: Vec<u32>,
    /// Room for the hashes under the bar: only ever grown, so that no pick
    /// clears it first.
    scratch: Vec<u32>,
    kept: Vec<u32>,
}

impl SketchBuilder {
    /// Starts a new text.
    pub fn clear(&mut self) {
        self.shingles.clear();
        self.kept.clear();
    }

    /// Adds a run of consecutive feature hashes (the title, then the body):
    /// each pair in a row is a shingle; no shingle spans two runs.
    pub fn add_run(&mut self, features: &[u64]) {
        let from = self.shingles.len();
        self.shingles
            .resize(from + features.len().saturating_sub(1), 0);
        let out = &mut self.shingles[from..];
        match Simd::detect() {
            // SAFETY: the CPU has the features each copy is compiled for.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { shingle_hashes_avx512(features, out) },
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { shingle_hashes_avx2(features, out) },
            _ => shingle_hashes(features, out),
        }
    }

    /// Picks the sketch of the runs added since the last
    /// [`clear`](Self::clear); [`sketch`](Self::sketch) returns it.
    pub fn finish(&mut self) {
        bottom_k(&self.shingles, &mut self.scratch, &mut self.kept);
    }

    /// The sketch picked by the last [`finish`](Self::finish).
    pub fn sketch(&self) -> Sketch {
        Sketch {
            hashes: self.kept.clone(),
        }
    }
}

/// The shingle hashes of consecutive features, into `out` (one fewer).
#[inline(always)]
fn shingle_hashes(features: &[u64], out: &mut [u32]) {
    for (slot, w) in out.iter_mut().zip(features.windows(2)) {
        *slot = shingle_hash(w[0], w[1]);
    }
}

/// [`shingle_hashes`] compiled for AVX-512, eight at a time (its 64-bit
/// multiply needs AVX-512DQ to go into vectors).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl")]
fn shingle_hashes_avx512(features: &[u64], out: &mut [u32]) {
    shingle_hashes(features, out);
}

/// [`shingle_hashes`] compiled for AVX2, four at a time (each 64-bit
/// multiply as three 32-bit ones).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn shingle_hashes_avx2(features: &[u64], out: &mut [u32]) {
    shingle_hashes(features, out);
}

/// The 32-bit hash of the shingle of two consecutive features.
#[inline]
fn shingle_hash(previous: u64, feature: u64) -> u32 {
    // Order matters ("a b" then "b c" is not "b c" then "a b"); the
    // multiply spreads both into the high bits kept.
    let mixed = (previous.rotate_left(29) ^ feature).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> 32) as u32
}

/// The [`K`] smallest distinct values of `values`, ascending, into `out`
/// (`scratch` is room for the values under the bar).
fn bottom_k(values: &[u32], scratch: &mut Vec<u32>, out: &mut Vec<u32>) {
    out.clear();
    // Room for a whole vector past the last value kept.
    if scratch.len() < values.len() + 16 {
        scratch.resize(values.len() + 16, 0);
    }
    // Hashes are uniform: `n` of them put about K + 6 standard deviations
    // of the K-th smallest under this bar.
    let n = values.len().max(1) as u64;
    let mut bar = ((K as u64 + 72) << 32) / n;
    loop {
        let limit = u32::try_from(bar).unwrap_or(u32::MAX);
        let kept = under_bar(values, limit, scratch);
        let under = &mut scratch[..kept];
        under.sort_unstable();
        out.clear();
        for &v in under.iter() {
            if out.last() != Some(&v) {
                out.push(v);
            }
        }
        if out.len() >= K || limit == u32::MAX {
            out.truncate(K);
            return;
        }
        bar = bar.saturating_mul(4);
    }
}

/// The values of `values` at or under `limit`, in order, to the front of
/// `scratch` (at least 16 longer than `values`); returns how many. The
/// one pass over every shingle hash a text has, so it has a vector copy.
fn under_bar(values: &[u32], limit: u32, scratch: &mut [u32]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if Simd::detect() == Simd::Avx512 {
        // SAFETY: the CPU has AVX-512F (`Simd::detect`).
        return unsafe { under_bar_avx512(values, limit, scratch) };
    }
    under_bar_scalar(values, limit, scratch)
}

/// [`under_bar`] without a branch per value.
fn under_bar_scalar(values: &[u32], limit: u32, scratch: &mut [u32]) -> usize {
    let mut kept = 0;
    for &v in values {
        scratch[kept] = v;
        kept += usize::from(v <= limit);
    }
    kept
}

/// [`under_bar`] sixteen values at a time: those under the bar are
/// compressed to the front of a register, which is stored whole (the
/// compressing store to memory is slow on some CPUs).
///
/// # Safety
///
/// The CPU must run AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn under_bar_avx512(values: &[u32], limit: u32, scratch: &mut [u32]) -> usize {
    use std::arch::x86_64::{
        _mm512_cmple_epu32_mask, _mm512_loadu_si512, _mm512_maskz_compress_epi32,
        _mm512_set1_epi32, _mm512_storeu_si512,
    };
    assert!(scratch.len() >= values.len() + 16);
    let bar = _mm512_set1_epi32(limit as i32);
    let mut kept = 0;
    let mut chunks = values.chunks_exact(16);
    for chunk in &mut chunks {
        // SAFETY: `chunk` is 16 values; `kept` <= the values read so far,
        // so 16 from `kept` on are inside `scratch` (asserted above).
        unsafe {
            let v = _mm512_loadu_si512(chunk.as_ptr().cast());
            let under = _mm512_cmple_epu32_mask(v, bar);
            let packed = _mm512_maskz_compress_epi32(under, v);
            _mm512_storeu_si512(scratch.as_mut_ptr().add(kept).cast(), packed);
            kept += under.count_ones() as usize;
        }
    }
    kept + under_bar_scalar(chunks.remainder(), limit, &mut scratch[kept..])
}

/// The builder as first written, one shingle at a time into a sorted list:
/// what [`SketchBuilder`] must equal.
#[cfg(test)]
pub(super) mod reference {
    use super::{K, Sketch};

    #[derive(Debug, Clone, Default)]
    pub struct SketchBuilder {
        kept: Vec<u32>,
        previous: Option<u64>,
    }

    impl SketchBuilder {
        pub fn clear(&mut self) {
            self.kept.clear();
            self.previous = None;
        }

        pub fn break_run(&mut self) {
            self.previous = None;
        }

        pub fn add(&mut self, feature: u64) {
            let Some(previous) = self.previous.replace(feature) else {
                return;
            };
            let mixed = (previous.rotate_left(29) ^ feature).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let hash = (mixed >> 32) as u32;
            if self.kept.len() >= K && self.kept.last().is_some_and(|&max| hash >= max) {
                return;
            }
            if let Err(at) = self.kept.binary_search(&hash) {
                if self.kept.len() >= K {
                    self.kept.pop();
                }
                self.kept.insert(at, hash);
            }
        }

        pub fn sketch(&self) -> Sketch {
            Sketch {
                hashes: self.kept.clone(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch_of(features: impl IntoIterator<Item = u64>) -> Sketch {
        let features: Vec<u64> = features
            .into_iter()
            .map(|f| f.wrapping_mul(0xff51_afd7_ed55_8ccd))
            .collect();
        let mut b = SketchBuilder::default();
        b.add_run(&features);
        b.finish();
        let sketch = b.sketch();
        let mut r = reference::SketchBuilder::default();
        features.iter().for_each(|&f| r.add(f));
        assert_eq!(sketch, r.sketch());
        sketch
    }

    #[test]
    fn picks_what_the_one_at_a_time_builder_keeps() {
        // Few shingles, many repeats (fewer than K distinct under the
        // first bar), runs, and long texts.
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            state >> 11
        };
        for len in [0usize, 1, 2, 3, 100, 129, 130, 500, 5_000, 40_000] {
            for distinct in [1u64, 3, 64, 127, 128, 129, 200, u64::MAX] {
                let features: Vec<u64> = (0..len).map(|_| next() % distinct).collect();
                let split = len / 3;
                let mut b = SketchBuilder::default();
                b.add_run(&features[..split]);
                b.add_run(&features[split..]);
                b.finish();
                let mut r = reference::SketchBuilder::default();
                features[..split].iter().for_each(|&f| r.add(f));
                r.break_run();
                features[split..].iter().for_each(|&f| r.add(f));
                assert_eq!(b.sketch(), r.sketch(), "len {len}, distinct {distinct}");
            }
        }
    }

    #[test]
    fn both_copies_of_the_bar_pass_agree() {
        let mut state = 11u64;
        let values: Vec<u32> = (0..1_000)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                (state >> 32) as u32
            })
            .collect();
        for len in [0usize, 1, 15, 16, 17, 33, 1_000] {
            for limit in [0, 1 << 28, u32::MAX / 2, u32::MAX] {
                let (mut a, mut b) = (vec![0; len + 16], vec![0; len + 16]);
                let n = under_bar_scalar(&values[..len], limit, &mut a);
                assert!(a[..n].iter().all(|&v| v <= limit));
                assert_eq!(n, values[..len].iter().filter(|&&v| v <= limit).count());
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: just checked.
                    let m = unsafe { under_bar_avx512(&values[..len], limit, &mut b) };
                    assert_eq!((m, &a[..n]), (n, &b[..n]), "len {len}, limit {limit}");
                } else {
                    eprintln!("no AVX-512 here: only the scalar copy is checked");
                }
            }
        }
    }

    #[test]
    fn keeps_the_smallest_distinct_hashes() {
        let s = sketch_of(0..10_000);
        assert_eq!(s.hashes().len(), K);
        assert!(s.hashes().windows(2).all(|w| w[0] < w[1]));
        // A text with repeats keeps each shingle once.
        let repeated = sketch_of((0..10).cycle().take(1_000));
        assert_eq!(repeated.hashes().len(), 10);
        assert!(sketch_of([7]).is_empty());
    }

    #[test]
    fn estimates_resemblance_and_containment() {
        let full = sketch_of(0..4_000);
        let same = sketch_of(0..4_000);
        assert_eq!(full.compare(&same).resemblance, 1.0);
        // The first quarter of the text: contained, but a quarter alike.
        let teaser = sketch_of(0..1_000);
        let o = teaser.compare(&full);
        assert!((o.resemblance - 0.25).abs() < 0.1, "{o:?}");
        let (contained, sample) = o.containment();
        assert!(contained > 0.95, "{o:?}");
        assert!(sample >= MIN_SAMPLE, "{o:?}");
        assert_eq!(full.compare(&teaser).containment().0, contained);
        // Two halves overlapping by a third of the union.
        let a = sketch_of(0..3_000);
        let b = sketch_of(1_500..4_500);
        let o = a.compare(&b);
        assert!((o.resemblance - 1.0 / 3.0).abs() < 0.1, "{o:?}");
        let unrelated = sketch_of(10_000..14_000);
        assert!(full.compare(&unrelated).resemblance < 0.02);
        assert_eq!(Sketch::default().compare(&full).containment(), (0.0, 0));
    }

    #[test]
    fn both_copies_of_the_shingle_loop_agree() {
        let features: Vec<u64> = (0..1000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let mut b = SketchBuilder::default();
        b.add_run(&features);
        let mut scalar = vec![0u32; features.len() - 1];
        shingle_hashes(&features, &mut scalar);
        assert_eq!(b.shingles, scalar);
        b.add_run(&[]);
        b.add_run(&features[..1]);
        assert_eq!(b.shingles.len(), features.len() - 1);
    }

    #[test]
    fn shared_counts_the_intersection() {
        let mut state = 11u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            (state >> 40) as u32 % 300
        };
        for len in [0usize, 1, 5, 9, 16, 17, 64, 128, 200, 600] {
            let mut a: Vec<u32> = (0..len).map(|_| next()).collect();
            let mut b: Vec<u32> = (0..len / 2 + 3).map(|_| next()).collect();
            for v in [&mut a, &mut b] {
                v.sort_unstable();
                v.dedup();
            }
            let expected = a.iter().filter(|x| b.binary_search(x).is_ok()).count();
            assert_eq!(shared(&a, &b), expected, "len {len}");
            assert_eq!(shared(&b, &a), expected, "len {len}");
        }
    }

    #[test]
    fn stored_form_round_trips_and_rejects_garbage() {
        let s = sketch_of(0..500);
        assert_eq!(Sketch::from_bytes(&s.to_bytes()), Some(s.clone()));
        assert_eq!(Sketch::from_bytes(&[]), Some(Sketch::default()));
        assert_eq!(Sketch::from_bytes(&[1, 2, 3]), None);
        let mut unsorted = s.to_bytes();
        unsorted.swap(0, 4);
        unsorted.swap(1, 5);
        unsorted.swap(2, 6);
        unsorted.swap(3, 7);
        assert_eq!(Sketch::from_bytes(&unsorted), None);
        assert_eq!(Sketch::from_bytes(&vec![0; 4 * (K + 1)]), None);
    }
}
