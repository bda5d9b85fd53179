//! Features of folded text: character n-grams over runs of Han, Kana and
//! Hangul; word shingles elsewhere. Each feature is a slice of the folded
//! string, handed to a callback: nothing is allocated per feature.

use crate::text::script::is_cjk;

/// How text is cut into features. Changing these changes every fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureOptions {
    /// Characters per n-gram in CJK runs.
    pub cjk_ngram: usize,
    /// Words per shingle elsewhere.
    pub word_shingle: usize,
}

impl Default for FeatureOptions {
    /// Chosen on the development set (see `scripts/dedup-eval.py`).
    fn default() -> Self {
        FeatureOptions {
            cjk_ngram: 2,
            word_shingle: 2,
        }
    }
}

/// Longest shingle or n-gram supported.
pub const MAX_GRAM: usize = 8;

/// Calls `emit` with every feature of `folded` (output of `normalize::fold`),
/// once per occurrence, so frequent features weigh more. Returns the count.
pub fn for_each_feature(
    folded: &str,
    options: FeatureOptions,
    mut emit: impl FnMut(&[u8]),
) -> usize {
    let n_cjk = options.cjk_ngram.clamp(1, MAX_GRAM);
    let n_words = options.word_shingle.clamp(1, MAX_GRAM);
    let bytes = folded.as_bytes();
    let mut count = 0;
    // Start offsets of the last `n_words` words of the current run of words.
    let mut words = WordWindow::default();
    for token in tokens(folded) {
        match token {
            Token::Cjk(start, end) => {
                count += words.flush(bytes, n_words, &mut emit);
                count += cjk_ngrams(&folded[start..end], n_cjk, |g| emit(g));
            }
            Token::Word(start, end) => {
                words.push(start, end);
                if words.len >= n_words {
                    emit(&bytes[words.start(n_words)..end]);
                    words.emitted = true;
                    count += 1;
                }
            }
        }
    }
    count + words.flush(bytes, n_words, &mut emit)
}

/// Recent words of one run: a ring of start offsets plus the run's length.
#[derive(Default)]
struct WordWindow {
    starts: [usize; MAX_GRAM],
    len: usize,
    first: usize,
    last_end: usize,
    emitted: bool,
}

impl WordWindow {
    fn push(&mut self, start: usize, end: usize) {
        if self.len == 0 {
            self.first = start;
        }
        self.starts[self.len % MAX_GRAM] = start;
        self.len += 1;
        self.last_end = end;
    }

    /// Start of the shingle of `n` words ending with the latest word.
    fn start(&self, n: usize) -> usize {
        self.starts[(self.len - n) % MAX_GRAM]
    }

    /// Ends the run; a run shorter than a shingle still counts as one feature.
    fn flush(&mut self, bytes: &[u8], n: usize, emit: &mut impl FnMut(&[u8])) -> usize {
        let short_run = self.len > 0 && !self.emitted && self.len < n;
        if short_run {
            emit(&bytes[self.first..self.last_end]);
        }
        *self = WordWindow::default();
        usize::from(short_run)
    }
}

fn cjk_ngrams(run: &str, n: usize, mut emit: impl FnMut(&[u8])) -> usize {
    let bytes = run.as_bytes();
    // Han, Kana and Hangul in the Basic Multilingual Plane are three bytes
    // each: n-grams are then fixed-width windows, no decoding needed.
    if bytes.len().is_multiple_of(3) && bytes.chunks_exact(3).all(|c| c[0] & 0xF0 == 0xE0) {
        let chars = bytes.len() / 3;
        if chars < n {
            emit(bytes);
            return 1;
        }
        bytes.windows(3 * n).step_by(3).for_each(&mut emit);
        return chars + 1 - n;
    }
    // Byte offsets of the last n+1 char starts, in a ring.
    let mut ring = [0usize; MAX_GRAM + 1];
    let mut seen = 0;
    let mut count = 0;
    for (i, _) in run.char_indices().chain(std::iter::once((run.len(), ' '))) {
        ring[seen % (MAX_GRAM + 1)] = i;
        if seen >= n {
            emit(&bytes[ring[(seen - n) % (MAX_GRAM + 1)]..i]);
            count += 1;
        }
        seen += 1;
    }
    let chars = seen - 1;
    if chars > 0 && chars < n {
        emit(bytes);
        count += 1;
    }
    count
}

enum Token {
    Cjk(usize, usize),
    Word(usize, usize),
}

/// Splits folded text at spaces and at script changes between CJK and the
/// rest. Folded text has single spaces and ASCII lower-case letters, so bytes
/// below 0x80 need no decoding.
fn tokens(folded: &str) -> impl Iterator<Item = Token> + '_ {
    let bytes = folded.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && bytes[at] == b' ' {
            at += 1;
        }
        if at >= bytes.len() {
            return None;
        }
        let start = at;
        let cjk = char_at(folded, at).is_some_and(is_cjk);
        while at < bytes.len() && bytes[at] != b' ' {
            let (c, len) = if bytes[at] < 0x80 {
                (bytes[at] as char, 1)
            } else if cjk && (0xE4..=0xE9).contains(&bytes[at]) {
                // U+4E00..=U+9FFF: a Han ideograph, already known to be CJK.
                ('\u{4e00}', 3)
            } else {
                let c = char_at(folded, at).unwrap_or(' ');
                (c, c.len_utf8())
            };
            if is_cjk(c) != cjk {
                break;
            }
            at += len;
        }
        Some(if cjk {
            Token::Cjk(start, at)
        } else {
            Token::Word(start, at)
        })
    })
}

fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|rest| rest.chars().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(text: &str, cjk_ngram: usize, word_shingle: usize) -> Vec<String> {
        let mut out = Vec::new();
        let n = for_each_feature(
            text,
            FeatureOptions {
                cjk_ngram,
                word_shingle,
            },
            |f| out.push(String::from_utf8(f.to_vec()).unwrap()),
        );
        assert_eq!(n, out.len());
        out
    }

    #[test]
    fn words_become_shingles() {
        assert_eq!(
            features("port strike ends today", 2, 2),
            ["port strike", "strike ends", "ends today"]
        );
        assert_eq!(features("port strike ends", 2, 3), ["port strike ends"]);
        assert_eq!(features("port", 2, 2), ["port"]);
        assert_eq!(features("a b c d e f g h i j", 2, 8).len(), 3);
    }

    #[test]
    fn cjk_runs_become_character_ngrams() {
        assert_eq!(features("疫情防控", 2, 2), ["疫情", "情防", "防控"]);
        assert_eq!(features("疫情防控", 3, 2), ["疫情防", "情防控"]);
        assert_eq!(features("疫", 2, 2), ["疫"]);
        assert_eq!(features("ニュース速報", 2, 2).len(), 5);
    }

    #[test]
    fn mixed_text_splits_at_script_changes() {
        assert_eq!(
            features("iphone手机 发布 new model", 2, 2),
            ["iphone", "手机", "发布", "new model"]
        );
        assert!(features("", 2, 2).is_empty());
        assert!(features("   ", 2, 2).is_empty());
    }
}
