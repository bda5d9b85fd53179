//! Text cut into the tokens extraction compares candidates by: lowercased
//! words of spaced scripts, single characters of CJK text (which has no
//! spaces to cut at).

use xxhash_rust::xxh3::xxh3_64;

use crate::text::script::is_cjk;

/// The tokens of `text`, in order.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut latin = String::new();
        for c in word.chars() {
            if is_cjk(c) {
                if !latin.is_empty() {
                    tokens.push(std::mem::take(&mut latin));
                }
                tokens.push(c.to_string());
            } else {
                latin.extend(c.to_lowercase());
            }
        }
        if !latin.is_empty() {
            tokens.push(latin);
        }
    }
    tokens
}

/// Keys of consecutive pairs of [`tokens`], fed text by text: the pairs
/// of several texts fed in turn are those of the texts joined by spaces.
/// Equal pairs have equal keys; keys of unequal pairs collide about once
/// in 2^64, so comparing candidates by keys needs no string per token.
#[derive(Debug, Default)]
pub(crate) struct PairKeys {
    previous: Option<u64>,
    /// The lowercased word being hashed, reused.
    word: String,
}

impl PairKeys {
    /// Calls `each` with the key of every pair that `text` completes.
    pub fn feed(&mut self, text: &str, mut each: impl FnMut(u64)) {
        let words = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty());
        for word in words {
            self.word.clear();
            if word.is_ascii() {
                self.word
                    .extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
                self.token(&mut each);
                continue;
            }
            for c in word.chars() {
                if is_cjk(c) {
                    if !self.word.is_empty() {
                        self.token(&mut each);
                        self.word.clear();
                    }
                    self.word.push(c);
                    self.token(&mut each);
                    self.word.clear();
                } else {
                    self.word.extend(c.to_lowercase());
                }
            }
            if !self.word.is_empty() {
                self.token(&mut each);
            }
        }
    }

    /// The keys of every pair of `text`, in order.
    pub fn of(text: &str) -> Vec<u64> {
        let mut keys = Vec::new();
        PairKeys::default().feed(text, |k| keys.push(k));
        keys
    }

    /// The token in `self.word` follows the previous one.
    fn token(&mut self, each: &mut impl FnMut(u64)) {
        let hash = xxh3_64(self.word.as_bytes());
        if let Some(previous) = self.previous {
            each(previous.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29) ^ hash);
        }
        self.previous = Some(hash);
    }
}

/// Letters and digits only, lowercased: the key under which two texts that
/// differ only in case, spacing, punctuation or quotes are the same.
pub(crate) fn squash(text: &str) -> String {
    if text.is_ascii() {
        // Most paragraphs: the same, a byte at a time.
        return text
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
    }
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercased_and_cjk_cut_per_character() {
        assert_eq!(
            tokens("Port STRIKE: 港口罢工ends"),
            ["port", "strike", "港", "口", "罢", "工", "ends"]
        );
        assert!(tokens(" — ").is_empty());
    }

    #[test]
    fn pair_keys_are_the_token_pairs() {
        let pairs = |text: &str| {
            let t = tokens(text);
            let mut keys: Vec<u64> = PairKeys::of(text);
            keys.sort_unstable();
            keys.dedup();
            (
                t.windows(2)
                    .map(|w| (w[0].clone(), w[1].clone()))
                    .collect::<std::collections::HashSet<_>>()
                    .len(),
                keys.len(),
            )
        };
        for text in [
            "Port STRIKE: 港口罢工ends today, port strike",
            "Ünïcode ÉTÉ été",
            "a",
            "",
        ] {
            let (distinct_pairs, distinct_keys) = pairs(text);
            assert_eq!(distinct_pairs, distinct_keys, "{text}");
            assert_eq!(
                PairKeys::of(text).len(),
                tokens(text).len().saturating_sub(1)
            );
        }
        // "port strike" twice: one key; case and script decide as in `tokens`.
        assert_eq!(
            PairKeys::of("Port STRIKE")[0],
            PairKeys::of("port strike")[0]
        );
        assert_ne!(
            PairKeys::of("port strike")[0],
            PairKeys::of("strike port")[0]
        );
        // Texts fed in turn pair across the join, as when joined by a space.
        let mut keys = Vec::new();
        let mut fed = PairKeys::default();
        fed.feed("港口 罢", |k| keys.push(k));
        fed.feed("工 ends", |k| keys.push(k));
        assert_eq!(keys, PairKeys::of("港口 罢 工 ends"));
    }

    #[test]
    fn squash_keeps_letters_and_digits_lowercased() {
        assert_eq!(squash("Don't MISS: 3 things!"), "dontmiss3things");
        assert_eq!(squash("İstanbul — Été, 港口"), "i̇stanbulété港口");
    }
}
