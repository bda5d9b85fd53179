//! Finding every stored fingerprint within Hamming distance `k` of a query
//! without comparing against all of them (Manku, Jain, Das Sarma, WWW 2007).
//!
//! The 64 bits are cut into `k + 1` blocks. Two fingerprints that differ in at
//! most `k` bits agree exactly on at least one block (pigeonhole), so each
//! block keys a table, and only fingerprints sharing a block with the query are
//! compared with popcount. Tables are flat arrays sorted by key with an offset
//! table (counting sort): a lookup is two cache misses and a short linear scan.
//! New fingerprints wait in a small unsorted list until the next rebuild.

/// One block of bits: where it starts and how wide it is.
#[derive(Debug, Clone, Copy)]
struct Block {
    shift: u32,
    bits: u32,
}

/// Entries of one block's table, grouped by the top `key_bits` bits of the block.
#[derive(Debug, Clone, Default)]
struct Table {
    key_bits: u32,
    offsets: Vec<u32>,
    entries: Vec<(u64, u32)>,
}

/// A Hamming-distance index over `(fingerprint, id)` pairs.
#[derive(Debug, Clone)]
pub struct BandIndex {
    k: u32,
    blocks: Vec<Block>,
    tables: Vec<Table>,
    built: usize,
    pending: Vec<(u64, u32)>,
}

/// Below this, pending entries are scanned linearly rather than rebuilt.
const MIN_PENDING: usize = 1024;

/// The `k + 1` blocks of 64 bits, widths differing by at most one.
fn blocks(k: u32) -> Vec<Block> {
    let n = k.min(31) + 1;
    (0..n)
        .map(|i| {
            let start = 64 * i / n;
            Block {
                shift: start,
                bits: 64 * (i + 1) / n - start,
            }
        })
        .collect()
}

/// `(block number, block value)` for each of the `k + 1` blocks of a
/// fingerprint: what SQL stores in indexed columns for the same lookup.
pub fn block_values(k: u32, fingerprint: u64) -> impl Iterator<Item = (i64, i64)> {
    blocks(k).into_iter().enumerate().map(move |(i, b)| {
        let value = (fingerprint >> b.shift) & (u64::MAX >> (64 - b.bits));
        (i as i64, value as i64)
    })
}

impl BandIndex {
    /// An empty index answering "within `k` bits" (k ≤ 31).
    pub fn new(k: u32) -> BandIndex {
        let k = k.min(31);
        let blocks = blocks(k);
        BandIndex {
            k,
            tables: vec![Table::default(); blocks.len()],
            blocks,
            built: 0,
            pending: Vec::new(),
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
    /// `query`. An id may be reported more than once (once per shared block).
    pub fn for_each_match(&self, query: u64, mut found: impl FnMut(u32, u32)) {
        let k = self.k;
        // Look up every block's bucket before scanning any: the loads are
        // independent, so their cache misses overlap instead of queueing.
        let mut buckets: [&[(u64, u32)]; 32] = [&[]; 32];
        for (slot, (block, table)) in buckets.iter_mut().zip(self.blocks.iter().zip(&self.tables)) {
            *slot = table.bucket(*block, query);
        }
        for bucket in &buckets[..self.blocks.len()] {
            for &(fp, id) in *bucket {
                let d = (fp ^ query).count_ones();
                if d <= k {
                    found(id, d);
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

    fn drain_all(&mut self) -> Vec<(u64, u32)> {
        let mut items = std::mem::take(&mut self.tables[0].entries);
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
        // About one entry per key: big enough to keep buckets short, small
        // enough that the offset table costs no more than the entries.
        let wanted = usize::BITS - items.len().max(1).leading_zeros();
        for (block, table) in self.blocks.iter().zip(self.tables.iter_mut()) {
            *table = Table::build(*block, wanted.clamp(1, 24).min(block.bits), &items);
        }
        self.built = items.len();
    }
}

impl Table {
    fn key(block: Block, key_bits: u32, fp: u64) -> usize {
        let top = block.shift + block.bits - key_bits;
        ((fp >> top) & ((1u64 << key_bits) - 1)) as usize
    }

    fn build(block: Block, key_bits: u32, items: &[(u64, u32)]) -> Table {
        let mut offsets = vec![0u32; (1usize << key_bits) + 1];
        for &(fp, _) in items {
            offsets[Table::key(block, key_bits, fp) + 1] += 1;
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut next = offsets.clone();
        let mut entries = vec![(0u64, 0u32); items.len()];
        for &item in items {
            let slot = &mut next[Table::key(block, key_bits, item.0)];
            entries[*slot as usize] = item;
            *slot += 1;
        }
        Table {
            key_bits,
            offsets,
            entries,
        }
    }

    fn bucket(&self, block: Block, query: u64) -> &[(u64, u32)] {
        if self.entries.is_empty() {
            return &[];
        }
        let key = Table::key(block, self.key_bits, query);
        &self.entries[self.offsets[key] as usize..self.offsets[key + 1] as usize]
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
        for k in [0, 1, 3, 4, 6] {
            let mut items = Vec::new();
            for id in 0..3000u32 {
                // Clusters of near neighbours among random fingerprints.
                let fp = if id % 3 == 0 || items.is_empty() {
                    rng.next()
                } else {
                    let (base, _) = items[(rng.next() % items.len() as u64) as usize];
                    let bits = (rng.next() % 8) as u32;
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
                    rng.near(items[q * 5].0, (q % 9) as u32)
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
    fn block_values_cover_all_bits_and_agree_within_k() {
        let values: Vec<(i64, i64)> = block_values(3, u64::MAX).collect();
        assert_eq!(
            values,
            vec![(0, 0xffff), (1, 0xffff), (2, 0xffff), (3, 0xffff)]
        );
        let mut rng = Rng(7);
        for _ in 0..1000 {
            let a = rng.next();
            let b = rng.near(a, 3);
            let shared = block_values(3, a)
                .zip(block_values(3, b))
                .filter(|(x, y)| x == y)
                .count();
            assert!(shared >= 1);
        }
        assert_eq!(block_values(0, 5).collect::<Vec<_>>(), vec![(0, 5)]);
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
