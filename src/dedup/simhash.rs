//! 64-bit simhash (Charikar) over weighted features, with a feature hash that
//! never changes: xxh3 with a fixed seed. Stored fingerprints keep their
//! meaning across versions, compilers and machines.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::features::{FeatureOptions, for_each_feature};
use super::normalize::{TitleRules, fold_into};
use super::sketch::{Sketch, SketchBuilder, Traits};

/// Seed of the feature hash ("feedfold" in ASCII). Never change it.
const SEED: u64 = 0x6665_6564_666f_6c64;

/// How many times a title feature counts relative to a body feature: the
/// title is what a reader compares first, but short, so it must not dominate.
const TITLE_WEIGHT: u32 = 2;

/// A text with fewer features than this is too short to fingerprint reliably:
/// near-duplicate matching skips it (exact-URL matching still applies).
pub const MIN_FEATURES: usize = 8;

/// A 64-bit simhash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl Fingerprint {
    /// Number of differing bits.
    pub fn distance(self, other: Fingerprint) -> u32 {
        (self.0 ^ other.0).count_ones()
    }

    /// Stored form: the same 64 bits as a signed integer (SQL has no u64).
    pub fn to_i64(self) -> i64 {
        self.0 as i64
    }

    /// Inverse of [`Fingerprint::to_i64`].
    pub fn from_i64(v: i64) -> Fingerprint {
        Fingerprint(v as u64)
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A fingerprint and how many features it was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simhash {
    /// The fingerprint.
    pub fingerprint: Fingerprint,
    /// Feature count (title and body, each feature once); below
    /// [`MIN_FEATURES`] the fingerprint is not used for near-duplicate matching.
    pub features: usize,
}

impl Simhash {
    /// True when there was enough text to compare by fingerprint.
    pub fn usable(&self) -> bool {
        self.features >= MIN_FEATURES
    }
}

/// Computes fingerprints, reusing its buffers between calls.
#[derive(Debug, Default)]
pub struct Fingerprinter {
    rules: TitleRules,
    options: FeatureOptions,
    folded: String,
    bits: BitCounter,
    sketch: SketchBuilder,
    title_key: Option<u64>,
}

impl Fingerprinter {
    /// A fingerprinter with the given title rules and feature options.
    pub fn new(rules: TitleRules, options: FeatureOptions) -> Fingerprinter {
        Fingerprinter {
            rules,
            options,
            folded: String::new(),
            bits: BitCounter::default(),
            sketch: SketchBuilder::default(),
            title_key: None,
        }
    }

    /// The fingerprint of a story: its cleaned title and its body text.
    pub fn story(&mut self, title: &str, body: &str) -> Simhash {
        self.bits.clear();
        self.sketch.clear();
        let clean = self.rules.clean(title);
        let mut features = self.add(&clean, TITLE_WEIGHT);
        self.title_key = (!self.folded.trim().is_empty())
            .then(|| xxh3_64_with_seed(self.folded.trim().as_bytes(), SEED));
        features += self.add(body, 1);
        Simhash {
            fingerprint: Fingerprint(self.bits.finish()),
            features,
        }
    }

    /// The fingerprint of plain text alone.
    pub fn text(&mut self, text: &str) -> Simhash {
        self.bits.clear();
        self.sketch.clear();
        self.title_key = None;
        let features = self.add(text, 1);
        Simhash {
            fingerprint: Fingerprint(self.bits.finish()),
            features,
        }
    }

    /// The shingle sketch of the text of the last [`story`](Self::story)
    /// or [`text`](Self::text) call (title and body, no shingle across them).
    pub fn sketch(&self) -> Sketch {
        self.sketch.sketch()
    }

    /// The sketch and title key of the last [`story`](Self::story) call.
    pub fn traits(&self) -> Traits {
        Traits {
            sketch: Some(self.sketch()),
            title_key: self.title_key,
        }
    }

    /// A key of the cleaned, folded title of the last
    /// [`story`](Self::story) call: equal keys are equal titles once site
    /// names, prefixes, case and punctuation are set aside. `None` for an
    /// empty title or after [`text`](Self::text).
    pub fn title_key(&self) -> Option<u64> {
        self.title_key
    }

    fn add(&mut self, text: &str, weight: u32) -> usize {
        self.folded.clear();
        fold_into(text, &mut self.folded);
        let bits = &mut self.bits;
        let sketch = &mut self.sketch;
        sketch.break_run();
        let n = for_each_feature(&self.folded, self.options, |feature| {
            let hash = xxh3_64_with_seed(feature, SEED);
            sketch.add(hash);
            for _ in 0..weight {
                bits.add(hash);
            }
        });
        // Counted once each: the minimum is about how much text there is.
        n
    }
}

/// Per-bit counts of set bits over many hashes, SWAR style: lane `j` holds
/// eight byte-wide counters, for bits `j, j+8, …, j+56`, and is flushed into
/// u32 totals before a byte could overflow. A hash costs 8 shifts, 8 masks
/// and 8 adds, with no branches and no memory loads.
#[derive(Debug, Clone)]
struct BitCounter {
    lanes: [u64; 8],
    in_lanes: u32,
    totals: [u32; 64],
    count: u32,
}

impl Default for BitCounter {
    fn default() -> Self {
        BitCounter {
            lanes: [0; 8],
            in_lanes: 0,
            totals: [0; 64],
            count: 0,
        }
    }
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;

impl BitCounter {
    fn clear(&mut self) {
        *self = BitCounter::default();
    }

    #[inline]
    fn add(&mut self, hash: u64) {
        for (j, lane) in self.lanes.iter_mut().enumerate() {
            *lane += (hash >> j) & LOW_BITS;
        }
        self.in_lanes += 1;
        self.count += 1;
        if self.in_lanes == 255 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        for (j, lane) in self.lanes.iter_mut().enumerate() {
            for byte in 0..8 {
                self.totals[8 * byte + j] += ((*lane >> (8 * byte)) & 0xff) as u32;
            }
            *lane = 0;
        }
        self.in_lanes = 0;
    }

    /// Bit i is set when more than half of the hashes had it set.
    fn finish(&mut self) -> u64 {
        self.flush();
        let half = self.count;
        (0..64).fold(0u64, |acc, i| {
            acc | (u64::from(2 * self.totals[i] > half) << i)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obvious per-bit simhash, to check the fast counter against.
    fn reference(hashes: &[u64]) -> u64 {
        let mut v = [0i64; 64];
        for h in hashes {
            for (i, slot) in v.iter_mut().enumerate() {
                *slot += if h >> i & 1 == 1 { 1 } else { -1 };
            }
        }
        (0..64).fold(0, |acc, i| acc | (u64::from(v[i] > 0) << i))
    }

    #[test]
    fn fast_counter_equals_the_reference() {
        let mut state = 0x1234_5678_9abc_def0u64;
        for len in [0usize, 1, 7, 254, 255, 256, 1000, 5000] {
            let hashes: Vec<u64> = (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    state ^ (state >> 29)
                })
                .collect();
            let mut counter = BitCounter::default();
            hashes.iter().for_each(|&h| counter.add(h));
            assert_eq!(counter.finish(), reference(&hashes), "len {len}");
        }
    }

    #[test]
    fn fingerprints_are_stable_across_versions() {
        // Stored fingerprints must keep their meaning: if this changes, every
        // database needs re-fingerprinting. Do not update casually.
        let mut f = Fingerprinter::default();
        assert_eq!(
            f.text("the quick brown fox jumps over the lazy dog")
                .fingerprint
                .to_string(),
            "10ccca0a89493875"
        );
        assert_eq!(
            f.text("人力资源社会保障部切实关心激励表彰疫情防控人员")
                .fingerprint
                .to_string(),
            "108e1b5526e0df72"
        );
    }

    #[test]
    fn near_duplicates_are_close_and_different_stories_far() {
        let mut f = Fingerprinter::default();
        let body = "All ferry crossings to the northern islands were cancelled on Wednesday afternoon as Storm Brenna brought gusts of up to 110 km/h to exposed stretches of the coast, operators said. The national weather service issued an amber wind warning running from 15:00 on Wednesday until 09:00 on Thursday and said waves of six to eight metres were likely off the western headlands.";
        let edited = body.replace("exposed stretches of", "exposed parts of");
        let a = f.story(
            "BREAKING: Ferry services suspended as Storm Brenna brings severe gales",
            body,
        );
        let b = f.story(
            "Ferry services suspended as Storm Brenna brings severe gales - Reuters",
            &edited,
        );
        let other = f.story("Lighthouse restoration wins heritage grant", "The Gull Point Lighthouse Trust has been awarded a heritage grant to repair the lantern room, replace corroded railings and re-roof the keeper's cottage. Work is expected to start in spring, with the tower reopening to visitors in 2028.");
        assert!(a.usable() && b.usable());
        assert!(
            a.fingerprint.distance(b.fingerprint) <= 3,
            "{}",
            a.fingerprint.distance(b.fingerprint)
        );
        assert!(a.fingerprint.distance(other.fingerprint) > 10);
        assert_eq!(f.story("t", "").features, 1);
        // A five-word headline alone is too little to match on.
        assert!(!f.story("Police arrest man in Leeds", "").usable());
        assert!(!f.story("Short", "").usable());
    }

    #[test]
    fn distance_and_storage_round_trip() {
        let a = Fingerprint(u64::MAX);
        assert_eq!(a.distance(Fingerprint(0)), 64);
        assert_eq!(Fingerprint::from_i64(a.to_i64()), a);
    }
}
