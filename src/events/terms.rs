//! What a story is about, as counted terms: words for spaced scripts
//! (folded, English stop words dropped, a plural `s` cut, `ies` made
//! `y`), character bigrams for Han, Kana and Hangul runs (Traditional
//! folded to Simplified by the story tier's folding, so both scripts share
//! terms), and
//! entity-like tokens (capitalised name sequences, numbers with what they
//! count, and for Chinese the 3- and 4-character strings a text repeats,
//! which are mostly its names of places and organisations).
//!
//! Terms are kept as stable 64-bit hashes (xxh3, fixed seed) so document
//! frequencies can be stored and shared; [`named_terms`] gives the words
//! back for explanations.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::dedup::normalize::fold;
use crate::dedup::six_byte_hash;
use crate::text::script::is_cjk;

/// Seed of the term hash. Changing it invalidates stored document
/// frequencies.
const SEED: u64 = 0x6576_656e_7473_3031;

/// Letters beyond which a "word" is not a word (a URL, a hash, a run of
/// glued words).
const MAX_WORD_CHARS: usize = 24;

/// Scripts written without spaces that have no rule here (Thai, Lao,
/// Burmese, Khmer): their runs are not words, so such text gives no terms
/// and stays below the term minimum instead of matching on fragments.
fn spaceless_without_rule(c: char) -> bool {
    matches!(c as u32, 0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF)
}

/// Title terms count this many times more than body terms: the headline is
/// the write-up's own summary of the event.
pub const TITLE_WEIGHT: u32 = 3;

/// Common English words with no weight of their own. IDF learns the rest,
/// and the same for other languages, once enough stories are stored.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "according",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "first",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "last",
    "me",
    "more",
    "most",
    "mr",
    "mrs",
    "ms",
    "my",
    "myself",
    "new",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "people",
    "said",
    "same",
    "say",
    "says",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "three",
    "through",
    "time",
    "to",
    "told",
    "too",
    "two",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "week",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "year",
    "years",
    "you",
    "your",
    "yours",
];

/// True for a stop word, by the word's term hash: every word is hashed
/// anyway, and the set then needs no second hash of its own.
fn is_stop_word(word_hash: u64) -> bool {
    static SET: OnceLock<HashSet<u64, BuildHasherDefault<TermHasher>>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().map(|w| hash(w)).collect())
        .contains(&word_hash)
}

/// A map keyed by term hashes. They are xxh3 hashes already: hashing
/// them again (std's SipHash) cost a tenth of an events pass.
pub type TermMap<V> = HashMap<u64, V, BuildHasherDefault<TermHasher>>;

/// The hasher of [`TermMap`]: a term hash is its own hash.
#[derive(Debug, Default, Clone, Copy)]
pub struct TermHasher(u64);

impl Hasher for TermHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used for term hashes; anything else still
        // gets a usable (if weak) hash.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Counted terms of one story.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Terms {
    /// (term hash, weighted count), one per distinct term, in no
    /// particular order (the same for the same text: sorting ~3,000 terms
    /// of a Chinese story was a sixth of counting them); title terms count
    /// [`TITLE_WEIGHT`] times.
    pub counts: Vec<(u64, u32)>,
    /// Distinct terms of the title alone.
    pub title: Vec<u64>,
    /// Distinct entity-like tokens.
    pub entities: Vec<u64>,
    /// Share of digits among the letters and digits of the text (0..1):
    /// tables and results lists are mostly digits.
    pub digit_share: f32,
}

/// The terms of a story's title and body.
pub fn terms(title: &str, body: &str) -> Terms {
    // Sized once rather than grown four or five times: a Chinese story has
    // about one distinct bigram per five bytes (three per character), an
    // English one a distinct word per ten.
    let mut counts: TermMap<u32> =
        TermMap::with_capacity_and_hasher((title.len() + body.len()) / 5, Default::default());
    let mut title_terms = Vec::new();
    each_term(title, |_, h| {
        *counts.entry(h).or_default() += TITLE_WEIGHT;
        title_terms.push(h);
    });
    each_term(body, |_, h| *counts.entry(h).or_default() += 1);
    title_terms.sort_unstable();
    title_terms.dedup();
    let mut entities: Vec<u64> = Vec::new();
    // Measured to add nothing (README "Related coverage"): not worth their
    // cost while their weight is 0.
    if super::score::ENTITY_WEIGHT > 0.0 {
        each_entity(title, body, |e| entities.push(hash(&e)));
    }
    entities.sort_unstable();
    entities.dedup();
    Terms {
        counts: counts.into_iter().collect(),
        title: title_terms,
        entities,
        digit_share: digit_share(title, body),
    }
}

/// Term hash → the term, for the terms of `text` (explanations only).
pub fn named_terms(text: &str) -> HashMap<u64, String> {
    let mut names = HashMap::new();
    each_term(text, |term, h| {
        names.entry(h).or_insert_with(|| term.to_owned());
    });
    names
}

fn hash(term: &str) -> u64 {
    xxh3_64_with_seed(term.as_bytes(), SEED)
}

/// Calls `emit` with every term of `text` and its hash, once per
/// occurrence.
fn each_term(text: &str, mut emit: impl FnMut(&str, u64)) {
    let folded = fold(text);
    for token in folded.split(' ').filter(|t| !t.is_empty()) {
        // Most tokens are ASCII words: no spaceless script to find in them.
        if token.is_ascii() {
            word(token, &mut emit);
            continue;
        }
        let mut rest = token;
        while !rest.is_empty() {
            // A token mixes runs of spaceless script and other letters only
            // where no separator fell between them ("5G芯片").
            let cjk_start = rest.starts_with(|c: char| is_cjk(c));
            let (run, tail) = rest.split_at(run_end(rest, cjk_start));
            if cjk_start {
                bigrams(run, &mut emit);
            } else {
                word(run, &mut emit);
            }
            rest = tail;
        }
    }
}

/// Where the characters at the start of `text` stop being spaceless script
/// (`cjk`) or other letters (`!cjk`).
fn run_end(text: &str, cjk: bool) -> usize {
    let mut at = 0;
    while at < text.len() {
        let (c, len) = char_at(text, at);
        if c.is_some_and(is_cjk) != cjk {
            return at;
        }
        at += len;
    }
    text.len()
}

/// The character starting at byte `at` of `text` and its length. Three-byte
/// characters, nearly all of Chinese text, are decoded here: the library's
/// decoder and its checks were a fifth of counting a Chinese story's terms.
#[inline(always)]
fn char_at(text: &str, at: usize) -> (Option<char>, usize) {
    let bytes = text.as_bytes();
    match bytes.get(at..at + 3) {
        Some(&[b0, b1, b2]) if b0 & 0xF0 == 0xE0 => {
            let code =
                u32::from(b0 & 0x0F) << 12 | u32::from(b1 & 0x3F) << 6 | u32::from(b2 & 0x3F);
            (char::from_u32(code), 3)
        }
        _ => {
            let c = text.get(at..).and_then(|rest| rest.chars().next());
            (c, c.map_or(1, char::len_utf8))
        }
    }
}

/// The character bigrams of a run of spaceless script, each a slice of the
/// run (no buffer per run) with its hash.
fn bigrams(run: &str, emit: &mut impl FnMut(&str, u64)) {
    let bytes = run.as_bytes();
    // A character starts every three bytes, each with a three-byte lead:
    // the run is all three-byte characters (Han's main blocks, Kana and
    // Hangul, nearly every run), whose bigrams are hashed from registers.
    if bytes.len().is_multiple_of(3) && bytes.iter().step_by(3).all(|b| b & 0xF0 == 0xE0) {
        let utf8_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], 0]);
        for at in (0..bytes.len().saturating_sub(3)).step_by(3) {
            let h = six_byte_hash(utf8_at(at), utf8_at(at + 3), SEED);
            emit(&run[at..at + 6], h);
        }
        return;
    }
    let mut ends = run.char_indices().map(|(i, _)| i).chain([run.len()]);
    if let (Some(mut from), Some(mut next)) = (ends.next(), ends.next()) {
        for end in ends {
            let gram = &run[from..end];
            emit(gram, hash(gram));
            (from, next) = (next, end);
        }
    }
}

/// One word of a spaced script, when it is a term.
fn word(run: &str, emit: &mut impl FnMut(&str, u64)) {
    // Most words are ASCII: their length is their byte count, and they
    // hold no spaceless script.
    let ascii = run.is_ascii();
    let chars = if ascii {
        run.len()
    } else {
        run.chars().count()
    };
    if !(2..=MAX_WORD_CHARS).contains(&chars) || (!ascii && run.chars().any(spaceless_without_rule))
    {
        return;
    }
    let run_hash = hash(run);
    if is_stop_word(run_hash) {
        return;
    }
    // "probes"/"probe", "talks"/"talk", "ferries"/"ferry": cheap rules,
    // right far more often than wrong in news ("movies" becomes "movy"), and
    // only ever applied the same way to both sides.
    if chars > 4
        && let Some(base) = run.strip_suffix("ies")
    {
        let singular = format!("{base}y");
        emit(&singular, hash(&singular));
        return;
    }
    if chars > 4 && run.ends_with('s') && !run.ends_with("ss") {
        let stem = &run[..run.len() - 1];
        emit(stem, hash(stem));
    } else {
        emit(run, run_hash);
    }
}

/// Calls `emit` with the entity-like tokens of a story: capitalised
/// sequences not opening a sentence (one word or several, each word and the
/// whole sequence), numbers with the word after them ("4,000 jobs"), and
/// for Han text its repeated 3- and 4-character strings.
fn each_entity(title: &str, body: &str, mut emit: impl FnMut(String)) {
    for text in [title, body] {
        for sentence in text.split(['.', '!', '?', '\n', '。', '！', '？']) {
            capitalised(sentence, &mut emit);
            numbers(sentence, &mut emit);
        }
    }
    repeated_han(body, &mut emit);
}

fn capitalised(sentence: &str, emit: &mut impl FnMut(String)) {
    let mut run: Vec<&str> = Vec::new();
    let words: Vec<&str> = sentence.split_whitespace().collect();
    for (at, raw) in words.iter().enumerate() {
        let w = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let upper = w.chars().next().is_some_and(char::is_uppercase)
            && w.chars().count() > 1
            && STOP_WORDS
                .binary_search(&w.to_lowercase().as_str())
                .is_err();
        if upper && at > 0 {
            run.push(w);
        } else {
            flush_run(&mut run, emit);
        }
        // A name ends at punctuation ("Gaza, where").
        if raw.ends_with([',', ';', ':', ')']) {
            flush_run(&mut run, emit);
        }
    }
    flush_run(&mut run, emit);
}

fn flush_run(run: &mut Vec<&str>, emit: &mut impl FnMut(String)) {
    if run.len() > 1 {
        emit(format!("p:{}", run.join(" ").to_lowercase()));
    }
    for w in run.iter() {
        emit(format!("e:{}", w.to_lowercase()));
    }
    run.clear();
}

fn numbers(sentence: &str, emit: &mut impl FnMut(String)) {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    for (at, raw) in words.iter().enumerate() {
        let n: String = raw
            .trim_matches(|c: char| !c.is_ascii_digit())
            .chars()
            .filter(|c| *c != ',')
            .collect();
        if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit() || c == '.') {
            continue;
        }
        let unit = words
            .get(at + 1)
            .map(|u| {
                u.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
            })
            .filter(|u| u.chars().all(char::is_alphabetic) && !u.is_empty());
        if let Some(unit) = unit {
            emit(format!("n:{n} {unit}"));
        }
    }
}

fn repeated_han(body: &str, emit: &mut impl FnMut(String)) {
    let han: Vec<char> = body.chars().collect();
    let mut seen: HashMap<&[char], u32> = HashMap::new();
    for n in [3, 4] {
        for w in han.windows(n) {
            if w.iter().all(|&c| is_cjk(c)) {
                *seen.entry(w).or_default() += 1;
            }
        }
    }
    let mut names: Vec<String> = seen
        .into_iter()
        .filter(|&(_, c)| c >= 3)
        .map(|(w, _)| format!("h:{}", w.iter().collect::<String>()))
        .collect();
    names.sort_unstable();
    for name in names {
        emit(name);
    }
}

/// Quotes, dashes, the ellipsis and the full-width and ideographic
/// punctuation of Chinese text: neither letters nor digits, told without
/// the Unicode tables (a tenth of counting a Chinese story's terms).
fn is_common_punctuation(c: char) -> bool {
    matches!(c, '\u{2010}'..='\u{2027}' | '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}'
        | '\u{FF01}'..='\u{FF0F}' | '\u{FF1A}'..='\u{FF20}')
}

fn digit_share(title: &str, body: &str) -> f32 {
    let (mut digits, mut all) = (0u32, 0u32);
    for c in title.chars().chain(body.chars()) {
        // ASCII and the main Han block answer without the Unicode tables,
        // whose lookups were a seventh of the terms of a Chinese story.
        let (letter_or_digit, digit) = match c {
            _ if c.is_ascii() => (c.is_ascii_alphanumeric(), c.is_ascii_digit()),
            '\u{4E00}'..='\u{9FFF}' => (true, false),
            _ if is_common_punctuation(c) => (false, false),
            _ => (c.is_alphanumeric(), c.is_numeric()),
        };
        all += u32::from(letter_or_digit);
        digits += u32::from(digit);
    }
    if all == 0 {
        0.0
    } else {
        digits as f32 / all as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        each_term(text, |t, h| {
            assert_eq!(h, hash(t));
            out.push(t.to_owned());
        });
        out
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn spaced_words_fold_drop_stop_words_and_plural() {
        assert_eq!(
            words("The EU opens new PROBES into Microsoft's deals"),
            ["eu", "open", "probe", "microsoft", "deal"]
        );
        assert_eq!(words("ferries ferry cities"), ["ferry", "ferry", "city"]);
    }

    #[test]
    fn chinese_runs_become_bigrams_and_traditional_folds_to_simplified() {
        assert_eq!(words("华为芯片"), ["华为", "为芯", "芯片"]);
        assert_eq!(words("華為芯片"), words("华为芯片"));
        assert_eq!(words("5G芯片"), ["5g", "芯片"]);
        // Four-byte characters (Extension B) among three-byte ones.
        assert_eq!(words("𠀀中文"), ["𠀀中", "中文"]);
        assert_eq!(words("中𠀀"), ["中𠀀"]);
        assert_eq!(words("中"), Vec::<String>::new());
    }

    #[test]
    fn runs_end_where_a_plain_reading_of_the_characters_ends_them() {
        let plain = |text: &str, cjk: bool| {
            text.char_indices()
                .find(|&(_, c)| is_cjk(c) != cjk)
                .map_or(text.len(), |(i, _)| i)
        };
        let texts = [
            "华为芯片5g",
            "5g芯片",
            "東京タワーへ",
            "서울시청앞",
            "𠀀𠀁中文x",
            "中文𠀀",
            "café中",
            "ко中",
            "中，文",
            "",
        ];
        for text in texts {
            for cjk in [true, false] {
                assert_eq!(run_end(text, cjk), plain(text, cjk), "{text} {cjk}");
            }
        }
    }

    #[test]
    fn a_script_without_a_rule_gives_no_terms() {
        assert!(words("ผู้ว่าราชการจังหวัดประกาศปิดโรงเรียนทุกแห่งเป็นเวลาสามวัน").is_empty());
    }

    #[test]
    fn entities_are_names_numbers_with_units_and_repeated_han_names() {
        let mut got = Vec::new();
        each_entity(
            "",
            "Officials said Sprint Nextel will cut 4,000 jobs. Sprint said so.",
            |e| got.push(e),
        );
        assert!(got.contains(&"p:sprint nextel".to_owned()), "{got:?}");
        assert!(got.contains(&"n:4000 jobs".to_owned()), "{got:?}");
        assert!(
            !got.contains(&"e:officials".to_owned()),
            "sentence opener: {got:?}"
        );
        let mut han = Vec::new();
        each_entity(
            "",
            "广州南沙邮轮母港开通。广州南沙将迎来邮轮。广州南沙很近。",
            |e| han.push(e),
        );
        assert!(han.contains(&"h:广州南沙".to_owned()), "{han:?}");
    }

    #[test]
    fn digit_share_tells_tables() {
        assert!(terms("Results", "1 2 3 45 67 890 12 34 56").digit_share > 0.6);
        assert!(terms("Port strike ends", "Dock workers voted").digit_share < 0.1);
        // 〇 (a number letter) and the two ASCII digits, of eight.
        assert_eq!(terms("", "二〇二六年，12月").digit_share, 0.375);
        // The shortcuts for the main Han block and for punctuation hold
        // for every character.
        for c in '\u{4E00}'..='\u{9FFF}' {
            assert!(c.is_alphanumeric() && !c.is_numeric(), "{c}");
        }
        for c in ('\u{80}'..='\u{FFFF}').filter(|&c| is_common_punctuation(c)) {
            assert!(!c.is_alphanumeric() && !c.is_numeric(), "{c}");
        }
    }
}
