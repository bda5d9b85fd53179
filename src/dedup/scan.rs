//! Comparing one fingerprint with every one of a list, with the fastest
//! population count the CPU has: at wide radii a scan costs less than
//! probing band tables. The store's in-memory copy scans the zones of an
//! item's window from `dedup.distance` 16 up; `feedfold dedup`'s band
//! index scans everything it holds when probing would read more.

/// How this CPU compares a fingerprint with every one of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) enum Scan {
    /// Eight at a time (AVX-512 with its population count): ~0.16 ns a
    /// fingerprint.
    Avx512,
    /// One at a time with the population-count instruction: ~0.55 ns.
    Popcnt,
    /// One at a time, counting bits in a dozen instructions: ~2.5 ns.
    Portable,
}

impl Scan {
    /// The fastest way this CPU has.
    pub(crate) fn detect() -> Scan {
        static DETECTED: std::sync::OnceLock<Scan> = std::sync::OnceLock::new();
        *DETECTED.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vpopcntdq")
                {
                    return Scan::Avx512;
                }
                if std::arch::is_x86_feature_detected!("popcnt") {
                    return Scan::Popcnt;
                }
            }
            Scan::Portable
        })
    }

    /// The places of `fingerprints` within `distance` of `fingerprint`,
    /// each plus `base`, ascending, pushed onto `found`.
    pub(crate) fn scan(
        self,
        fingerprints: &[u64],
        base: usize,
        fingerprint: u64,
        distance: u32,
        found: &mut Vec<usize>,
    ) {
        // The features are checked again (std remembers them), so that a
        // way this CPU lacks falls back to the portable scan.
        match self {
            // SAFETY: the CPU has the instructions, checked in the guard.
            #[cfg(target_arch = "x86_64")]
            Scan::Avx512 if Scan::detect() == Scan::Avx512 => unsafe {
                scan_avx512(fingerprints, base, fingerprint, distance, found)
            },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Scan::Popcnt if std::arch::is_x86_feature_detected!("popcnt") => unsafe {
                scan_popcnt(fingerprints, base, fingerprint, distance, found)
            },
            _ => scan_in(fingerprints, base, fingerprint, distance, found),
        }
    }

    /// What one bucket visit and one entry met in a bucket cost, in
    /// fingerprints of this scan: a visit is a random memory access, a
    /// scan walks the list in order.
    pub(crate) fn probe_costs(self) -> (u128, u128) {
        match self {
            Scan::Avx512 => (100, 150),
            Scan::Popcnt => (30, 45),
            Scan::Portable => (10, 15),
        }
    }
}

/// The places of the fingerprints within `distance` of `fingerprint`, each
/// plus `base`, onto `found`.
#[inline(always)]
fn scan_in(
    fingerprints: &[u64],
    base: usize,
    fingerprint: u64,
    distance: u32,
    found: &mut Vec<usize>,
) {
    for (slot, &other) in fingerprints.iter().enumerate() {
        if (other ^ fingerprint).count_ones() <= distance {
            found.push(base + slot);
        }
    }
}

/// [`scan_in`] with the CPU's population count: the portable count is a
/// dozen instructions, and a scan of 50,000 fingerprints per new entry was
/// a tenth of a cold pass.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn scan_popcnt(
    fingerprints: &[u64],
    base: usize,
    fingerprint: u64,
    distance: u32,
    found: &mut Vec<usize>,
) {
    scan_in(fingerprints, base, fingerprint, distance, found)
}

/// [`scan_in`] eight fingerprints at a time: one 512-bit XOR, population
/// count and compare give the eight answers as a mask, so the loop has no
/// branch per fingerprint. The scan is what makes ingest slow down as the
/// store grows (every fingerprint of the window is read for each new
/// entry); the places found, and their order, are the same.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
unsafe fn scan_avx512(
    fingerprints: &[u64],
    base: usize,
    fingerprint: u64,
    distance: u32,
    found: &mut Vec<usize>,
) {
    use std::arch::x86_64::{
        _mm512_cmple_epu64_mask, _mm512_loadu_si512, _mm512_popcnt_epi64, _mm512_set1_epi64,
        _mm512_xor_si512,
    };
    let query = _mm512_set1_epi64(fingerprint as i64);
    let limit = _mm512_set1_epi64(i64::from(distance));
    let chunks = fingerprints.chunks_exact(8);
    let rest = chunks.remainder();
    for (at, chunk) in chunks.enumerate() {
        // SAFETY: `chunk` is eight u64s, 64 readable bytes; the load
        // needs no alignment.
        let other = unsafe { _mm512_loadu_si512(chunk.as_ptr().cast()) };
        let bits = _mm512_popcnt_epi64(_mm512_xor_si512(other, query));
        let mut near = _mm512_cmple_epu64_mask(bits, limit);
        while near != 0 {
            found.push(base + 8 * at + near.trailing_zeros() as usize);
            near &= near - 1;
        }
    }
    let done = fingerprints.len() - rest.len();
    scan_in(rest, base + done, fingerprint, distance, found);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_finds_what_the_portable_one_does() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        // Not a multiple of eight, so the tail is scanned too; some
        // fingerprints near the query, some far.
        let fingerprints: Vec<u64> = (0..1_003u64)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if i % 5 == 0 { x & 0xff } else { x }
            })
            .collect();
        for distance in [0, 3, 10, 18, 32, 64] {
            for query in [0u64, 0xff, x, !x] {
                let mut plain = Vec::new();
                Scan::Portable.scan(&fingerprints, 7, query, distance, &mut plain);
                let brute: Vec<usize> = (0..fingerprints.len())
                    .filter(|&i| (fingerprints[i] ^ query).count_ones() <= distance)
                    .map(|i| i + 7)
                    .collect();
                assert_eq!(plain, brute);
                for way in [Scan::Avx512, Scan::Popcnt, Scan::detect()] {
                    let mut found = Vec::new();
                    way.scan(&fingerprints, 7, query, distance, &mut found);
                    assert_eq!(found, plain, "{way:?} at distance {distance}");
                }
            }
        }
    }
}
