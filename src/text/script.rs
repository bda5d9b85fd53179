//! Which writing system a character belongs to, where rules differ by it:
//! text written without spaces between words is compared by character
//! n-grams, split into titles differently, and counts as long sooner.

/// True for the scripts written without spaces between words: Han, Kana and
/// Hangul.
pub fn is_cjk(c: char) -> bool {
    // The main Han block first: Chinese text is nearly all of it.
    if is_han(c) {
        return true;
    }
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0x1100..=0x11FF    // Hangul Jamo
        | 0x3130..=0x318F    // Hangul compatibility Jamo
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x31F0..=0x31FF    // Katakana phonetic extensions
        | 0x20000..=0x2FA1F  // CJK Extensions B–F, compatibility supplement
    )
}

/// Whether `text` holds any CJK character ([`is_cjk`]); ASCII text is
/// told at once.
pub fn has_cjk(text: &str) -> bool {
    !text.is_ascii() && text.chars().any(is_cjk)
}

/// True for the common Han ideographs (the CJK Unified Ideographs block):
/// the sign of Chinese text, where dates without a zone are Beijing time.
pub fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Share of CJK characters among the first 4,000 letters of a text.
pub fn cjk_share(text: &str) -> f64 {
    let (mut cjk, mut letters) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()).take(4000) {
        letters += 1;
        cjk += usize::from(is_cjk(c));
    }
    if letters == 0 {
        0.0
    } else {
        cjk as f64 / letters as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_without_spaces_are_told_apart_from_the_rest() {
        for c in ['中', 'の', 'カ', '한', '𠀀'] {
            assert!(is_cjk(c), "{c}");
        }
        for c in ['a', 'é', 'я', '1', '，', ' '] {
            assert!(!is_cjk(c), "{c}");
        }
        assert!(is_han('中') && !is_han('の') && !is_han('a'));
    }
}
