//! Traditional Chinese characters folded to Simplified, so that a wire story
//! and its Traditional conversion (Hong Kong and Taiwan sites republish
//! mainland copy converted, and many outlets publish both scripts) share
//! their character n-grams and fingerprints.
//!
//! Character level only (OpenCC's `TSCharacters`, first candidate): the two
//! sides only need to meet, not to read well, so the phrase tables that pick
//! between `乾`/`干`/`幹` by context are not needed. A character that is
//! both Traditional and Simplified (`著`) folds the same way in both texts.

use std::sync::OnceLock;

use super::traditional_table::PAIRS;

/// First code point of the dense table: CJK Extension A.
const FIRST: u32 = 0x3400;
/// Last code point of the dense table: the end of the basic Han block.
const LAST: u32 = 0x9FFF;

/// The Simplified form of `c`, or `c` itself.
#[inline]
pub fn simplify(c: char) -> char {
    let code = c as u32;
    if (FIRST..=LAST).contains(&code) {
        dense()[(code - FIRST) as usize]
    } else if code >= 0x20000 {
        sparse(c)
    } else {
        c
    }
}

/// Every character of the Han range at its final Simplified form (a chain
/// such as `A → B → C` in the table folds `A` and `B` to `C`, so folding is
/// idempotent), built once: 108 KB, one array read per character.
fn dense() -> &'static [char] {
    static TABLE: OnceLock<Vec<char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (FIRST..=LAST)
            .map(|code| char::from_u32(code).map_or('\u{fffd}', resolve))
            .collect()
    })
}

/// The Han fast path's table, one bit per three-byte UTF-8 sequence with
/// lead byte E4..=E9 (U+4000..=U+9FFF): row `(lead - 0xE4) * 64 + (second
/// & 0x3F)`, bit `third & 0x3F`. A bit is clear for a CJK unified
/// ideograph (U+4E00..=U+9FFF) that [`simplify`] leaves as it is, set for
/// one it changes and for everything below U+4E00. Simplified text reads
/// only this (3 KB) and copies its characters as they are.
pub fn han_rows() -> &'static [u64; HAN_ROWS] {
    static ROWS: OnceLock<[u64; HAN_ROWS]> = OnceLock::new();
    ROWS.get_or_init(|| {
        let mut rows = [0u64; HAN_ROWS];
        for code in 0x4000u32..=0x9FFF {
            let c = char::from_u32(code).unwrap_or('\u{fffd}');
            if code < 0x4E00 || simplify(c) != c {
                let i = (code - 0x4000) as usize;
                rows[i / 64] |= 1 << (i % 64);
            }
        }
        rows
    })
}

/// Rows of [`han_rows`].
pub const HAN_ROWS: usize = 6 * 64;

/// Characters beyond the basic planes (Extension B and later): rare, so
/// looked up in the sorted pairs.
fn sparse(c: char) -> char {
    resolve(c)
}

/// Follows the table from `c` to a character it does not list.
fn resolve(c: char) -> char {
    let mut current = c;
    // The table's chains are at most two long; the bound guards a cycle.
    for _ in 0..4 {
        match PAIRS.binary_search_by_key(&current, |&(t, _)| t) {
            Ok(at) => current = PAIRS[at].1,
            Err(_) => break,
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(text: &str) -> String {
        text.chars().map(simplify).collect()
    }

    #[test]
    fn traditional_text_folds_to_its_simplified_form() {
        assert_eq!(
            fold("人力資源社會保障部：切實關心激勵表彰疫情防控人員"),
            "人力资源社会保障部：切实关心激励表彰疫情防控人员"
        );
        assert_eq!(
            fold("臺灣颱風過後，鐵路恢復營運"),
            "台湾台风过后，铁路恢复营运"
        );
        // Simplified and non-Han text is left alone.
        let simplified = "温州市疫情防控 2026 News";
        assert_eq!(fold(simplified), simplified);
        assert!(simplify('體') == '体' && simplify('体') == '体');
    }

    #[test]
    fn folding_is_idempotent_over_the_whole_table() {
        for &(t, _) in PAIRS.iter() {
            let once = simplify(t);
            assert_eq!(simplify(once), once, "{t}");
        }
        assert!(PAIRS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
