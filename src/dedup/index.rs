//! Finding every stored fingerprint within Hamming distance `k` of a query
//! without comparing against all of them (after Manku, Jain, Das Sarma, WWW
//! 2007, with multi-probing).
//!
//! The 64 bits are cut into four 16-bit blocks. Two fingerprints at most `k`
//! bits apart differ in at most `k / 4` bits in at least one block
//! (pigeonhole), so for each block the query probes every value within
//! `k / 4` bits of its own and compares only the fingerprints filed under
//! those values, with popcount. For k ≤ 3 that is one exact lookup per block;
//! for the default k = 10, 137 per block. The blocks do not depend on `k`, so
//! stored block values (SQL columns) stay valid when the distance changes.
//!
//! Tables are flat arrays sorted by block value with an offset table
//! (counting sort). New fingerprints wait in a small unsorted list until the
//! next rebuild.

use super::scan::Scan;

/// Number of blocks.
pub const BLOCKS: usize = 4;

/// `(block number, block value)` for each block of a fingerprint: what SQL
/// stores in indexed columns.
pub fn block_values(fingerprint: u64) -> [(i64, i64); BLOCKS] {
    std::array::from_fn(|i| (i as i64, i64::from(block(fingerprint, i))))
}

/// The 16 bits of block `i`.
fn block(fingerprint: u64, i: usize) -> u16 {
    (fingerprint >> (16 * i)) as u16
}

/// Bits per block that a match within `k` may differ in, on its closest block.
pub fn probe_radius(k: u32) -> u32 {
    k / BLOCKS as u32
}

/// Every 16-bit value within `radius` bits of `value` (itself first).
pub fn probes(value: u16, radius: u32) -> Vec<u16> {
    let mut out = vec![value];
    let mut frontier = vec![(value, 0u32)];
    // Flip bits in increasing positions only, so each value appears once.
    for _ in 0..radius.min(16) {
        let mut next = Vec::new();
        for &(v, lowest) in &frontier {
            for bit in lowest..16 {
                let flipped = v ^ (1 << bit);
                out.push(flipped);
                next.push((flipped, bit + 1));
            }
        }
        frontier = next;
    }
    out
}

/// The XOR masks of [`probes`]: every 16-bit value with at most `radius`
/// bits set, 0 first. Computed once per radius, for callers that probe
/// often and must not rebuild the list each time.
pub fn probe_masks(radius: u32) -> &'static [u16] {
    static MASKS: [std::sync::OnceLock<Vec<u16>>; 17] = [const { std::sync::OnceLock::new() }; 17];
    let radius = radius.min(16);
    MASKS[radius as usize].get_or_init(|| probes(0, radius))
}

/// Entries of one block's table, grouped by block value. Fingerprints and
/// ids are kept apart so a bucket scan reads only the fingerprints.
#[derive(Debug, Clone, Default)]
struct Table {
    offsets: Vec<u32>,
    fingerprints: Vec<u64>,
    ids: Vec<u32>,
}

/// A Hamming-distance index over `(fingerprint, id)` pairs.
#[derive(Debug, Clone)]
pub struct BandIndex {
    k: u32,
    tables: Vec<Table>,
    built: usize,
    pending: Vec<(u64, u32)>,
    /// Probe offsets within the radius, as XOR masks on a block value.
    masks: Vec<u16>,
}

/// Below this, pending entries are scanned linearly rather than rebuilt.
const MIN_PENDING: usize = 1024;

/// Stored fingerprints a linear scan gets through in the time one probe
/// (one bucket looked up in one block's table, and its few entries
/// compared) takes: a probe is a cache miss or two, a scanned entry a
/// popcount over memory read in order. From `cargo bench --bench dedup` at
/// k = 18 (4 × 2,517 probes a query) over 100,000 fingerprints: probing
/// took 144 µs a query, scanning 141 µs (1.4 ns an entry), so the two
/// cost the same there.
const SCAN_PER_PROBE: usize = 10;

impl BandIndex {
    /// An empty index answering "within `k` bits" (k ≤ 31).
    pub fn new(k: u32) -> BandIndex {
        let k = k.min(31);
        BandIndex {
            k,
            tables: vec![Table::default(); BLOCKS],
            built: 0,
            pending: Vec::new(),
            masks: probes(0, probe_radius(k)),
        }
    }

    /// An index over `items`, built in one pass.
    pub fn from_items(k: u32, items: impl IntoIterator<Item = (u64, u32)>) -> BandIndex {
        let mut index = BandIndex::new(k);
        index.pending = items.into_iter().collect();
        index.rebuild();
        index
    }

    /// The distance this index answers for.
    pub fn k(&self) -> u32 {
        self.k
    }

    /// Number of fingerprints stored.
    pub fn len(&self) -> usize {
        self.built + self.pending.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a fingerprint under `id`.
    pub fn insert(&mut self, fingerprint: u64, id: u32) {
        self.pending.push((fingerprint, id));
        if self.pending.len() > MIN_PENDING.max(self.built / 16) {
            self.rebuild();
        }
    }

    /// Keeps only the entries `keep` accepts (e.g. those inside the time window).
    pub fn retain(&mut self, mut keep: impl FnMut(u64, u32) -> bool) {
        let mut items = self.drain_all();
        items.retain(|&(fp, id)| keep(fp, id));
        self.pending = items;
        self.rebuild();
    }

    /// Calls `found(id, distance)` for every stored fingerprint within `k` of
    /// `query`. An id may be reported more than once (once per block it is
    /// found through).
    pub fn for_each_match(&self, query: u64, mut found: impl FnMut(u32, u32)) {
        let k = self.k;
        if self.built > 0 && self.scan_is_cheaper() {
            // A radius so wide that probing reads more than everything.
            let table = &self.tables[0];
            let mut near = Vec::new();
            Scan::detect().scan(&table.fingerprints, 0, query, k, &mut near);
            for at in near {
                found(table.ids[at], (table.fingerprints[at] ^ query).count_ones());
            }
        } else if self.built > 0 {
            for &mask in &self.masks {
                // Look up all four buckets before scanning any: the loads are
                // independent, so their cache misses overlap.
                let ranges: [std::ops::Range<usize>; BLOCKS] =
                    std::array::from_fn(|i| self.tables[i].bucket(block(query, i) ^ mask));
                for (table, range) in self.tables.iter().zip(ranges) {
                    for (j, &fp) in table.fingerprints[range.clone()].iter().enumerate() {
                        let d = (fp ^ query).count_ones();
                        if d <= k {
                            found(table.ids[range.start + j], d);
                        }
                    }
                }
            }
        }
        for &(fp, id) in &self.pending {
            let d = (fp ^ query).count_ones();
            if d <= k {
                found(id, d);
            }
        }
    }

    /// Every `(id, distance)` within `k`, each once, nearest first, then by id.
    pub fn query(&self, query: u64) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        self.for_each_match(query, |id, d| out.push((d, id)));
        out.sort_unstable();
        out.dedup();
        out.into_iter().map(|(d, id)| (id, d)).collect()
    }

    /// The nearest stored id within `k`; ties go to the smallest id.
    pub fn nearest(&self, query: u64) -> Option<(u32, u32)> {
        let mut best: Option<(u32, u32)> = None;
        self.for_each_match(query, |id, d| {
            if best.is_none_or(|(bd, bid)| (d, id) < (bd, bid)) {
                best = Some((d, id));
            }
        });
        best.map(|(d, id)| (id, d))
    }

    /// Whether comparing the query with every sorted entry costs less than
    /// probing the tables for it.
    fn scan_is_cheaper(&self) -> bool {
        self.built < self.masks.len() * BLOCKS * SCAN_PER_PROBE
    }

    fn drain_all(&mut self) -> Vec<(u64, u32)> {
        let first = std::mem::take(&mut self.tables[0]);
        let mut items: Vec<(u64, u32)> = first.fingerprints.into_iter().zip(first.ids).collect();
        items.append(&mut self.pending);
        for table in &mut self.tables {
            *table = Table::default();
        }
        self.built = 0;
        items
    }

    /// Moves pending entries into the sorted tables.
    pub fn rebuild(&mut self) {
        let items = self.drain_all();
        for (i, table) in self.tables.iter_mut().enumerate() {
            *table = Table::build(i, &items);
        }
        self.built = items.len();
    }
}

impl Table {
    fn build(i: usize, items: &[(u64, u32)]) -> Table {
        if items.is_empty() {
            return Table::default();
        }
        let mut offsets = vec![0u32; (1 << 16) + 1];
        for &(fp, _) in items {
            offsets[usize::from(block(fp, i)) + 1] += 1;
        }
        for j in 1..offsets.len() {
            offsets[j] += offsets[j - 1];
        }
        let mut next = offsets.clone();
        let mut fingerprints = vec![0u64; items.len()];
        let mut ids = vec![0u32; items.len()];
        for &(fp, id) in items {
            let slot = &mut next[usize::from(block(fp, i))];
            fingerprints[*slot as usize] = fp;
            ids[*slot as usize] = id;
            *slot += 1;
        }
        Table {
            offsets,
            fingerprints,
            ids,
        }
    }

    fn bucket(&self, value: u16) -> std::ops::Range<usize> {
        let v = usize::from(value);
        self.offsets[v] as usize..self.offsets[v + 1] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            // splitmix64
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// `fp` with `bits` random bits flipped (possibly the same bit twice).
        fn near(&mut self, fp: u64, bits: u32) -> u64 {
            (0..bits).fold(fp, |acc, _| acc ^ (1 << (self.next() % 64)))
        }
    }

    fn brute_force(items: &[(u64, u32)], query: u64, k: u32) -> Vec<(u32, u32)> {
        let mut out: Vec<(u32, u32)> = items
            .iter()
            .map(|&(fp, id)| (id, (fp ^ query).count_ones()))
            .filter(|&(_, d)| d <= k)
            .collect();
        out.sort_unstable_by_key(|&(id, d)| (d, id));
        out
    }

    #[test]
    fn results_equal_brute_force_on_random_data() {
        let mut rng = Rng(42);
        for k in [0, 1, 3, 4, 6, 10, 13] {
            let mut items = Vec::new();
            for id in 0..3000u32 {
                // Clusters of near neighbours among random fingerprints.
                let fp = if id % 3 == 0 || items.is_empty() {
                    rng.next()
                } else {
                    let (base, _) = items[(rng.next() % items.len() as u64) as usize];
                    let bits = (rng.next() % 14) as u32;
                    rng.near(base, bits)
                };
                items.push((fp, id));
            }
            let mut incremental = BandIndex::new(k);
            for &(fp, id) in &items {
                incremental.insert(fp, id);
            }
            let bulk = BandIndex::from_items(k, items.iter().copied());
            for q in 0..600 {
                let query = if q % 2 == 0 {
                    rng.next()
                } else {
                    rng.near(items[q * 5].0, (q % 15) as u32)
                };
                let expected = brute_force(&items, query, k);
                assert_eq!(bulk.query(query), expected, "bulk k={k} q={q}");
                assert_eq!(
                    incremental.query(query),
                    expected,
                    "incremental k={k} q={q}"
                );
                assert_eq!(
                    bulk.nearest(query),
                    expected.first().copied(),
                    "nearest k={k}"
                );
            }
        }
    }

    #[test]
    fn block_values_cover_all_bits_and_probes_are_complete() {
        assert_eq!(
            block_values(u64::MAX),
            [(0, 0xffff), (1, 0xffff), (2, 0xffff), (3, 0xffff)]
        );
        assert_eq!(
            block_values(0x0004_0003_0002_0001),
            [(0, 1), (1, 2), (2, 3), (3, 4)]
        );
        for (radius, count) in [(0, 1), (1, 17), (2, 137), (3, 697)] {
            let p = probes(0xabcd, radius);
            let unique: std::collections::HashSet<_> = p.iter().collect();
            assert_eq!((p.len(), unique.len()), (count, count), "radius {radius}");
            assert!(p.iter().all(|v| (v ^ 0xabcd).count_ones() <= radius));
        }
        // Within k, some block is within k / 4.
        let mut rng = Rng(7);
        for _ in 0..2000 {
            let a = rng.next();
            let b = rng.near(a, 10);
            let closest = (0..4)
                .map(|i| (block(a, i) ^ block(b, i)).count_ones())
                .min()
                .unwrap();
            assert!(closest <= probe_radius(10));
        }
    }

    #[test]
    fn retain_drops_entries_and_empty_indexes_answer_nothing() {
        let mut index = BandIndex::new(3);
        assert_eq!(index.query(0), vec![]);
        index.insert(0b1011, 1);
        index.insert(0b1010, 2);
        index.insert(u64::MAX, 3);
        assert_eq!(index.query(0b1011), vec![(1, 0), (2, 1)]);
        index.retain(|_, id| id != 1);
        assert_eq!(index.query(0b1011), vec![(2, 1)]);
        assert_eq!(index.len(), 2);
        assert_eq!(index.nearest(u64::MAX - 1), Some((3, 1)));
    }
}
