//! Folding, feature cutting and feature hashing in one pass (the rules are
//! in [`super::normalize`] and [`super::features`]): the folded bytes are
//! written as the text is read, and each feature is hashed as soon as its
//! last character is written, so nothing reads the folded text again.
//!
//! Runs of ASCII are folded up to 64 bytes at a time: a word-wide test per
//! eight bytes finds the letters and digits and lower-cases them, and each
//! run of them is then written whole. Han characters are copied as they are
//! unless the Traditional table changes them (one bit per character,
//! 2.6 KB), and a bigram of two three-byte characters is hashed from
//! registers. Everything else takes the per-character path of the rules.
//!
//! Folded bytes and feature hashes are, bit for bit, those of the rules
//! applied one step at a time; the tests in `simhash` compare the two on
//! varied text.

use std::sync::OnceLock;

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::features::{FeatureOptions, MAX_GRAM};
use super::normalize::{is_nfkc_stable, per_char_safe};
use super::simd::Simd;
use super::simhash::SEED;
use super::traditional::{HAN_ROWS, han_rows, simplify};
use crate::text::script::is_cjk;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// Nothing written yet.
    #[default]
    Empty,
    /// A separator came after the last token: the next one starts after a space.
    Separated,
    /// A token of letters and digits is being written.
    Word,
    /// A token of CJK characters is being written.
    Cjk,
}

/// Bytes kept writable past the folded text, for whole-word writes.
const SLACK: usize = 32;

const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
const LOW_BITS: u64 = 0x0101_0101_0101_0101;

/// Where folding has got to: everything a line that must be folded again
/// the slow way rolls back.
#[derive(Debug, Clone, Copy, Default)]
struct Cursor {
    /// Length of the folded text.
    len: usize,
    state: State,
    /// Start of the open token.
    start: usize,
    /// Characters of the open CJK token.
    cjk_chars: usize,
    /// UTF-8 of the open CJK token's last character, when three bytes long.
    last3: Option<u32>,
    /// The current run of words (not broken by spaces, only by CJK).
    words: WordWindow,
}

/// The last words of the current run of words, as in `features`.
#[derive(Debug, Clone, Copy, Default)]
struct WordWindow {
    /// Start offsets of the last [`MAX_GRAM`] words, in a ring.
    starts: [usize; MAX_GRAM],
    /// Words in the run.
    len: usize,
    /// Start of the run's first word.
    first: usize,
    /// End of its last word.
    last_end: usize,
    /// Whether a shingle of the run has been emitted.
    emitted: bool,
}

/// What folding looks up, fetched once per text.
#[derive(Clone, Copy)]
struct Tables {
    /// Three-byte punctuation that folds to a separator ([`punctuation`]).
    punctuation: &'static [(u32, u64); 64],
    /// Han characters folding copies as they are (`traditional::han_rows`).
    han: &'static [u64; HAN_ROWS],
    /// Compatibility characters that fold to separators ([`separator_table`]).
    separators: u128,
    /// Which copies of the hashing loops this CPU runs ([`Simd::detect`]).
    simd: Simd,
}

/// A folded text and its feature hashes, in buffers reused from text to text.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    /// The folded bytes are `buf[..at.len]`; `buf` is longer, by at least
    /// [`SLACK`] bytes wherever the fast paths write.
    buf: Vec<u8>,
    /// The feature hashes are `hashes[..nhashes]` (the rest is room).
    hashes: Vec<u64>,
    nhashes: usize,
    /// Features hashed from the folded bytes once the text is folded,
    /// `(slot in hashes, start, end)`: hashing a feature as soon as it is
    /// written would read bytes still in flight to memory.
    spans: Vec<(usize, usize, usize)>,
    /// Words per shingle and characters per n-gram, while cutting features.
    grams: Option<(usize, usize)>,
    at: Cursor,
}

impl Tables {
    /// Whether the three-byte character whose UTF-8 starts `w` (little-
    /// endian) is punctuation the fast path folds to a separator.
    #[inline(always)]
    fn is_separator(&self, w: u32) -> bool {
        // Branch-free: in the Han loop punctuation and ideographs alternate
        // unpredictably.
        let (prefix, bits) = self.punctuation[punctuation_slot(w)];
        (prefix == w & 0xFFFF) & (bits >> (w >> 16 & 0x3F) & 1 == 1)
    }
}

impl Folded {
    /// Folds `text`, replacing what was folded before.
    pub fn fold(&mut self, text: &str) {
        self.grams = None;
        self.run(text);
    }

    /// Folds `text` and hashes its features (see `features::for_each_feature`)
    /// in order, replacing what was folded before.
    pub fn fold_features(&mut self, text: &str, options: FeatureOptions) {
        self.grams = Some((
            options.word_shingle.clamp(1, MAX_GRAM),
            options.cjk_ngram.clamp(1, MAX_GRAM),
        ));
        self.run(text);
    }

    /// The folded text (what `normalize::fold` returns, as bytes).
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.at.len]
    }

    /// The hashes of the features of the last [`fold_features`](Self::fold_features),
    /// in order: one per feature occurrence.
    pub fn hashes(&self) -> &[u64] {
        &self.hashes[..self.nhashes]
    }

    fn run(&mut self, text: &str) {
        self.at = Cursor::default();
        self.nhashes = 0;
        self.spans.clear();
        let tables = Tables {
            punctuation: punctuation(),
            han: han_rows(),
            separators: separator_table(),
            simd: Simd::detect(),
        };
        // As in the rules: line breaks never take part in composition, so
        // each line takes its own path.
        // The vectorised memchr: `split_inclusive` searched each short
        // line of a Chinese text at a cost close to folding it.
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
            self.line(&text[start..=end], tables);
            start = end + 1;
        }
        if start < text.len() {
            self.line(&text[start..], tables);
        }
        self.separator();
        self.flush_words();
        if let Some((_, 2)) = self.grams
            && self.spans.len() < self.nhashes
        {
            // Every slot holds a bigram's key but those of the spans,
            // whatever they hold, which are hashed next (text without
            // Han characters has only spans).
            finish_bigrams(&mut self.hashes[..self.nhashes], tables.simd);
        }
        for &(slot, from, to) in &self.spans {
            self.hashes[slot] = xxh3_64_with_seed(&self.buf[from..to], SEED);
        }
    }

    fn line(&mut self, line: &str, tables: Tables) {
        let saved = (self.at, self.nhashes, self.spans.len());
        if self.line_fast(line, tables) {
            return;
        }
        // Undo the partial fast attempt: the rules normalise this line as a
        // whole.
        self.at = saved.0;
        self.nhashes = saved.1;
        self.spans.truncate(saved.2);
        self.line_by_segments(line, tables);
    }

    /// A line normalised as a whole, segment by segment: NFKC never
    /// reorders or composes across the start of a character that has a
    /// boundary before it ([`boundary_before`]), so the line's normal form
    /// is its segments' normal forms in a row. A segment of one character
    /// the fast path knows (by far the most) takes that path, which folds
    /// it as its normal form; others go through the normaliser.
    fn line_by_segments(&mut self, line: &str, tables: Tables) {
        let mut start = 0;
        for (at, c) in line.char_indices() {
            if at > start && boundary_before(c) {
                self.segment(&line[start..at], tables);
                start = at;
            }
        }
        self.segment(&line[start..], tables);
    }

    fn segment(&mut self, segment: &str, tables: Tables) {
        let mut chars = segment.chars();
        if let (Some(c), None) = (chars.next(), chars.next())
            && self.char_fast(c, tables)
        {
            return;
        }
        segment.nfkc().for_each(|c| self.push(c));
    }

    /// One character the way the fast path folds it (as its normal form,
    /// alone); false, having done nothing, for one it leaves to the
    /// normaliser.
    fn char_fast(&mut self, c: char, tables: Tables) -> bool {
        self.reserve(SLACK);
        match c as u32 {
            0..=0x7F => self.ascii(c as u8),
            _ if is_nfkc_stable(c) => self.push(c),
            0xFF01..=0xFF5E => self.ascii((c as u32 - 0xFEE0) as u8),
            0x2000..=0x206F => self.separator(),
            _ if per_char_safe(c) => self.compatible(c, tables.separators),
            _ => return false,
        }
        true
    }

    /// Folds a line whose characters can all be normalised one at a time;
    /// returns false, part-way, at the first that cannot (see the rules).
    fn line_fast(&mut self, line: &str, tables: Tables) -> bool {
        let bytes = line.as_bytes();
        // Each byte read writes at most one (a space comes after a
        // separator, itself at least a byte), plus a space the line may
        // open with; the per-character path reserves again after itself.
        self.reserve(bytes.len() + SLACK);
        let mut at = 0;
        while at < bytes.len() {
            let b = bytes[at];
            if b < 0x80 {
                at = self.ascii_stretch(bytes, at);
                continue;
            }
            if (0xE2..=0xEF).contains(&b) {
                let stopped = self.cjk_stretch(bytes, at, tables);
                if stopped > at {
                    at = stopped;
                    continue;
                }
            }
            let Some(c) = line.get(at..).and_then(|rest| rest.chars().next()) else {
                return false;
            };
            if !self.char_fast(c, tables) {
                return false;
            }
            at += c.len_utf8();
            self.reserve(bytes.len() - at + SLACK);
        }
        true
    }

    fn reserve(&mut self, extra: usize) {
        let needed = self.at.len + extra;
        if self.buf.len() < needed {
            self.buf.resize(needed.max(2 * self.buf.len()), 0);
        }
    }

    /// ASCII from `at` (which is ASCII) on, up to the next other byte or
    /// the end of the line; returns where it stopped. Up to 64 bytes at a
    /// time are classified eight at a time, into lower-cased bytes and one
    /// bit per letter or digit; each run of those is then written whole.
    #[inline(never)]
    fn ascii_stretch(&mut self, bytes: &[u8], mut at: usize) -> usize {
        let ascii8 = |at: usize| {
            bytes
                .get(at..at + 8)
                .is_some_and(|chunk| chunk.iter().all(u8::is_ascii))
        };
        if !ascii8(at) {
            // Fewer than eight ASCII bytes: one at a time.
            while at < bytes.len() && bytes[at] < 0x80 {
                self.ascii(bytes[at]);
                at += 1;
            }
            return at;
        }
        loop {
            let mut lowered = [0u8; 64 + 16];
            let mut kept = 0u64;
            let mut chunks = 0;
            while chunks < 8 {
                let Some(chunk) = bytes.get(at + 8 * chunks..at + 8 * chunks + 8) else {
                    break;
                };
                let v = u64::from_le_bytes(chunk.try_into().unwrap_or([0x80; 8]));
                if v & HIGH_BITS != 0 {
                    break;
                }
                let letters = between(v | 0x2020_2020_2020_2020, b'a', b'z');
                let alnum = letters | between(v, b'0', b'9');
                // Bit 5 lower-cases a letter: its 0x80 flag shifted by two.
                lowered[8 * chunks..8 * chunks + 8]
                    .copy_from_slice(&(v | letters >> 2).to_le_bytes());
                // One bit per byte, byte 0 lowest.
                kept |= (alnum >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56 << (8 * chunks);
                chunks += 1;
            }
            if chunks == 0 {
                return at;
            }
            self.runs(kept, 8 * chunks, &lowered);
            at += 8 * chunks;
            if chunks < 8 {
                return at;
            }
        }
    }

    /// Writes the runs of set bits of `kept` (over `n` bytes) from `lowered`;
    /// clear bits are separators.
    #[inline]
    fn runs(&mut self, mut kept: u64, n: usize, lowered: &[u8; 80]) {
        if kept & 1 == 0 {
            self.separator();
        }
        if kept == 0 {
            return;
        }
        let mut first = true;
        loop {
            let start = kept.trailing_zeros() as usize;
            let end = start + (!(kept >> start)).trailing_zeros() as usize;
            if first {
                if self.at.state != State::Word {
                    self.open(State::Word);
                }
                first = false;
            } else {
                // A separator came between: close, space, open.
                self.word_done();
                self.buf[self.at.len] = b' ';
                self.at.len += 1;
                self.at.start = self.at.len;
            }
            let len = end - start;
            let to = self.at.len;
            if len <= 16 {
                self.buf[to..to + 16].copy_from_slice(&lowered[start..start + 16]);
            } else {
                self.buf[to..to + len].copy_from_slice(&lowered[start..end]);
            }
            self.at.len += len;
            kept = if end >= 64 { 0 } else { kept & (!0u64 << end) };
            if kept == 0 {
                if end < n {
                    self.separator();
                }
                return;
            }
        }
    }

    /// Three-byte characters from `at` on that have a fast path: CJK
    /// unified ideographs, and the punctuation and full-width forms that
    /// come between them; returns where it stopped (at `at` when the first
    /// has none). Ideographs folding leaves as they are and the
    /// punctuation between them go through [`Folded::han_loop`]; the rest
    /// here, one at a time.
    #[inline(never)]
    fn cjk_stretch(&mut self, bytes: &[u8], mut at: usize, tables: Tables) -> usize {
        while let Some(&[b0, b1, b2]) = bytes.get(at..at + 3) {
            if !(0xE2..=0xEF).contains(&b0) {
                break;
            }
            let w = u32::from_le_bytes([b0, b1, b2, 0]);
            if unchanged_han(w, tables.han) {
                if self.at.state != State::Cjk {
                    self.open(State::Cjk);
                }
                at = self.han_loop(bytes, at, tables);
                continue;
            }
            if tables.is_separator(w) {
                self.separator();
                at += 3;
                continue;
            }
            let code =
                u32::from(b0 & 0x0F) << 12 | u32::from(b1 & 0x3F) << 6 | u32::from(b2 & 0x3F);
            match code {
                // Han characters the Traditional table changes. The
                // Simplified form may be of another length or (Extension
                // G is not counted as CJK) script class.
                0x4E00..=0x9FFF => {
                    self.kept(simplify(char::from_u32(code).unwrap_or('\u{fffd}')));
                }
                // Full-width letters and digits: NFKC is the ASCII character itself.
                0xFF01..=0xFF5E => self.ascii((code - 0xFEE0) as u8),
                _ => break,
            }
            at += 3;
            self.reserve(bytes.len() - at + SLACK);
        }
        at
    }

    /// The hot loop of Chinese text, entered with a CJK token open: Han
    /// characters that folding leaves as they are, and the punctuation
    /// between them that folds to separators; returns where the first other
    /// character is. Its state lives in locals; each character costs a
    /// table read to classify it, a copy, and (for the default bigrams) a
    /// hash worked out from registers.
    #[inline(never)]
    fn han_loop(&mut self, bytes: &[u8], mut at: usize, tables: Tables) -> usize {
        let grams = self.grams.map(|(_, n)| n);
        let bigrams = grams == Some(2);
        // Per three bytes read: at most four written (a space and a
        // character) and two hashes (a short run's and a bigram).
        self.reserve(2 * (bytes.len() - at) + SLACK);
        self.reserve_hashes(2 * (bytes.len() - at) / 3 + 2);
        let Folded {
            buf,
            hashes,
            nhashes,
            spans,
            at: cursor,
            ..
        } = self;
        let (buf, hashes) = (buf.as_mut_slice(), hashes.as_mut_slice());
        let (mut len, mut start, mut chars, mut last3, mut count) = (
            cursor.len,
            cursor.start,
            cursor.cjk_chars,
            cursor.last3,
            *nhashes,
        );
        // A separator came after the open token (which is then closed).
        let mut separated = false;
        loop {
            let w = match bytes.get(at..at + 4) {
                Some(&[b0, b1, b2, b3]) => u32::from_le_bytes([b0, b1, b2, b3]),
                _ => match bytes.get(at..) {
                    Some(&[b0, b1, b2]) => u32::from_le_bytes([b0, b1, b2, 0]),
                    _ => break,
                },
            };
            if unchanged_han(w, tables.han) {
                let utf8 = w & 0x00FF_FFFF;
                if separated {
                    // A new CJK token (the run of words was ended by the
                    // first, so there is none to end).
                    buf[len] = b' ';
                    len += 1;
                    (start, chars, last3, separated) = (len, 0, None, false);
                }
                buf[len..len + 4].copy_from_slice(&utf8.to_le_bytes());
                chars += 1;
                match last3 {
                    Some(last) if bigrams => {
                        hashes[count] = bigram_key(last, utf8);
                        count += 1;
                    }
                    _ => {
                        if let Some(n) = grams
                            && chars >= n
                        {
                            // Hashed with the spans: the bytes are final.
                            let from = gram_start(buf, len, n);
                            spans.push((count, from, len + 3));
                            count += 1;
                        }
                    }
                }
                (len, at, last3) = (len + 3, at + 3, Some(utf8));
                if bigrams {
                    // The Han characters after this one that are copied as
                    // they are, in one pass: each is classified, copied and
                    // its bigram's key written (hashed, all at once, when
                    // the text is folded: runs average eight characters,
                    // too short for a vector loop of their own).
                    let (src, dst) = (&bytes[at..], &mut buf[len..]);
                    let (n, previous) =
                        han_bigrams(src, dst, &mut hashes[count..], utf8, tables.han);
                    (count, chars, len, at) = (count + n, chars + n, len + 3 * n, at + 3 * n);
                    last3 = Some(previous);
                    continue;
                }
                // The Han characters after this one that are copied as they
                // are: copied at once, and their n-grams hashed in a loop of
                // their own.
                let rest = han_stretch(bytes, at, tables.han);
                if rest > at {
                    let stretch = &bytes[at..rest];
                    buf[len..len + stretch.len()].copy_from_slice(stretch);
                    if let Some(n) = grams {
                        for end in (len + 3..=len + stretch.len()).step_by(3) {
                            if chars + (end - len) / 3 >= n {
                                let start = gram_start(buf, end - 3, n);
                                hashes[count] = xxh3_64_with_seed(&buf[start..end], SEED);
                                count += 1;
                            }
                        }
                    }
                    chars += stretch.len() / 3;
                    len += stretch.len();
                    at = rest;
                    last3 = stretch
                        .get(stretch.len() - 3..)
                        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], 0]));
                }
                continue;
            }
            if !tables.is_separator(w) {
                break;
            }
            if !separated {
                // The token ends; a run shorter than an n-gram still
                // counts as one feature.
                if let Some(n) = grams
                    && chars < n
                {
                    spans.push((count, start, len));
                    count += 1;
                }
                separated = true;
            }
            at += 3;
        }
        (
            cursor.len,
            cursor.start,
            cursor.cjk_chars,
            cursor.last3,
            *nhashes,
        ) = (len, start, chars, last3, count);
        cursor.state = if separated {
            State::Separated
        } else {
            State::Cjk
        };
        at
    }

    /// One ASCII byte.
    #[inline]
    fn ascii(&mut self, b: u8) {
        if b.is_ascii_alphanumeric() {
            if self.at.state != State::Word {
                self.open(State::Word);
            }
            self.buf[self.at.len] = b.to_ascii_lowercase();
            self.at.len += 1;
        } else {
            self.separator();
        }
    }

    /// Starts a token (after a space when a separator came first), closing
    /// the open one.
    fn open(&mut self, token: State) {
        match self.at.state {
            State::Empty => {}
            State::Separated => {
                self.buf[self.at.len] = b' ';
                self.at.len += 1;
            }
            State::Word | State::Cjk => self.close(),
        }
        self.at.state = token;
        self.at.start = self.at.len;
        if token == State::Cjk {
            // A CJK token ends the run of words.
            self.flush_words();
            self.at.cjk_chars = 0;
            self.at.last3 = None;
        }
    }

    /// Ends the open token.
    fn close(&mut self) {
        match self.at.state {
            State::Word => self.word_done(),
            State::Cjk => {
                // A run shorter than an n-gram still counts as one feature.
                if let Some((_, n)) = self.grams
                    && self.at.cjk_chars > 0
                    && self.at.cjk_chars < n
                {
                    self.emit(self.at.start, self.at.len);
                }
            }
            State::Empty | State::Separated => {}
        }
    }

    /// A character that is not a letter or digit: the open token ends, and
    /// the next starts after one space (none at the very start).
    #[inline]
    fn separator(&mut self) {
        if let State::Word | State::Cjk = self.at.state {
            self.close();
            self.at.state = State::Separated;
        }
    }

    /// The open word token ends: its shingle, once the run is long enough.
    fn word_done(&mut self) {
        let Some((n, _)) = self.grams else {
            return;
        };
        let (start, end) = (self.at.start, self.at.len);
        let words = &mut self.at.words;
        if words.len == 0 {
            words.first = start;
        }
        words.starts[words.len % MAX_GRAM] = start;
        words.len += 1;
        words.last_end = end;
        if words.len >= n {
            let from = words.starts[(words.len - n) % MAX_GRAM];
            words.emitted = true;
            self.emit(from, end);
        }
    }

    /// Ends the run of words; a run shorter than a shingle still counts as
    /// one feature.
    fn flush_words(&mut self) {
        let Some((n, _)) = self.grams else {
            return;
        };
        let words = self.at.words;
        self.at.words = WordWindow::default();
        if words.len > 0 && !words.emitted && words.len < n {
            self.emit(words.first, words.last_end);
        }
    }

    /// The CJK character at `char_start` (the open token's last) was
    /// written: the n-gram it ends, once the token is long enough.
    fn cjk_gram(&mut self, char_start: usize) {
        let Some((_, n)) = self.grams else {
            return;
        };
        if self.at.cjk_chars < n {
            return;
        }
        let from = gram_start(&self.buf, char_start, n);
        self.emit(from, self.at.len);
    }

    /// The feature `buf[from..to]`, hashed when the text is folded.
    fn emit(&mut self, from: usize, to: usize) {
        self.reserve_hashes(1);
        self.spans.push((self.nhashes, from, to));
        self.nhashes += 1;
    }

    fn reserve_hashes(&mut self, extra: usize) {
        let needed = self.nhashes + extra;
        if self.hashes.len() < needed {
            self.hashes.resize(needed.max(2 * self.hashes.len()), 0);
        }
    }

    /// A character of normalised text: letters and digits lower-cased (CJK
    /// simplified), anything else a separator.
    fn push(&mut self, c: char) {
        if c.is_ascii() {
            self.reserve(SLACK);
            self.ascii(c as u8);
        } else if is_cjk(c) {
            self.kept(simplify(c));
        } else if c.is_alphanumeric() {
            // `İ` lower-cases to `i` and a combining dot, which is no
            // letter: keeping it would fold differently the second time.
            c.to_lowercase()
                .filter(|l| l.is_alphanumeric())
                .for_each(|l| self.kept(l));
        } else {
            self.separator();
        }
    }

    /// Writes a folded character of the text.
    fn kept(&mut self, c: char) {
        self.reserve(SLACK);
        let token = if is_cjk(c) { State::Cjk } else { State::Word };
        if self.at.state != token {
            self.open(token);
        }
        let from = self.at.len;
        self.at.len += c.encode_utf8(&mut self.buf[from..]).len();
        if token == State::Cjk {
            self.at.cjk_chars += 1;
            self.cjk_gram(from);
            self.at.last3 = (self.at.len - from == 3).then(|| {
                u32::from_le_bytes([self.buf[from], self.buf[from + 1], self.buf[from + 2], 0])
            });
        }
    }

    /// A compatibility character that normalises on its own.
    fn compatible(&mut self, c: char, separators: u128) {
        let bit = match c as u32 {
            code @ 0x00A0..=0x00BF => Some(code - 0x00A0),
            code @ 0x3000..=0x303F => Some(code - 0x3000 + 32),
            _ => None,
        };
        if bit.is_some_and(|bit| separators >> bit & 1 == 1) {
            self.separator();
        } else {
            std::iter::once(c).nfkc().for_each(|n| self.push(n));
        }
    }
}

/// Whether the character whose UTF-8 starts `w` (little-endian) is a CJK
/// unified ideograph that folding copies as it is.
#[inline(always)]
fn unchanged_han(w: u32, han: &[u64; HAN_ROWS]) -> bool {
    // Leads outside E4..=E9 give rows past the end.
    let row = ((w & 0xFF) as usize).wrapping_sub(0xE4) << 6 | (w >> 8 & 0x3F) as usize;
    han.get(row)
        .is_some_and(|bits| bits >> (w >> 16 & 0x3F) & 1 == 0)
}

/// End of the run of Han characters folding copies as they are that starts
/// at `at` (`at` itself when there is none).
#[inline(always)]
fn han_stretch(bytes: &[u8], mut at: usize, han: &[u64; HAN_ROWS]) -> usize {
    while let Some(&[b0, b1, b2]) = bytes.get(at..at + 3) {
        if !unchanged_han(u32::from_le_bytes([b0, b1, b2, 0]), han) {
            break;
        }
        at += 3;
    }
    at
}

/// The run of Han characters folding copies as they are at the start of
/// `src`, copied to `dst` with the key of each one's bigram (after
/// `previous` first) in `keys`; returns how many, and the last. One
/// induction variable and slices of their own keep the loop's state in
/// registers.
#[inline(never)]
fn han_bigrams(
    src: &[u8],
    dst: &mut [u8],
    keys: &mut [u64],
    mut previous: u32,
    han: &[u64; HAN_ROWS],
) -> (usize, u32) {
    // Each character is read and written as four bytes, the fourth being
    // the next character's first (written again in its turn): one load
    // and one store instead of three of each. So the last character of
    // `src` is left to the caller, which reads it the careful way.
    let limit = (src.len().saturating_sub(1) / 3)
        .min(dst.len().saturating_sub(1) / 3)
        .min(keys.len());
    let mut n = 0;
    while n < limit {
        let Some(Ok(four)) = src.get(3 * n..3 * n + 4).map(<[u8; 4]>::try_from) else {
            break;
        };
        let word = u32::from_le_bytes(four);
        if !unchanged_han(word, han) {
            break;
        }
        let current = word & 0x00FF_FFFF;
        if let Some(d) = dst.get_mut(3 * n..3 * n + 4) {
            d.copy_from_slice(&word.to_le_bytes());
        }
        keys[n] = bigram_key(previous, current);
        previous = current;
        n += 1;
    }
    (n, previous)
}

/// The bigram hashes of `keys` ([`bigram_key`]s), in place, through the
/// widest copy this CPU runs: the hash's two 64-bit multiplies go into
/// vectors natively with AVX-512DQ (eight at a time), and as three 32-bit
/// multiplies each with AVX2 (four at a time).
#[inline(always)]
fn finish_bigrams(keys: &mut [u64], simd: Simd) {
    match simd {
        // SAFETY: `Simd::detect` names a copy only when the CPU has the
        // features it is compiled for.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { finish_bigrams_avx512(keys) },
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { finish_bigrams_avx2(keys) },
        _ => finish_bigrams_scalar(keys),
    }
}

/// [`finish_bigrams_scalar`] compiled for AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl")]
fn finish_bigrams_avx512(keys: &mut [u64]) {
    finish_bigrams_scalar(keys)
}

/// [`finish_bigrams_scalar`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn finish_bigrams_avx2(keys: &mut [u64]) {
    finish_bigrams_scalar(keys)
}

#[inline(always)]
fn finish_bigrams_scalar(keys: &mut [u64]) {
    for key in keys {
        *key = bigram_hash(*key as u32, (*key >> 32) as u32);
    }
}

/// The two characters of a bigram (UTF-8, little-endian) in one word, for
/// [`finish_bigrams`].
#[inline(always)]
fn bigram_key(first: u32, second: u32) -> u64 {
    u64::from(first) | u64::from(second) << 32
}

/// Start of the n-gram of `n` characters whose last starts at `last`: back
/// over n - 1 characters (a character starts at every byte that is not
/// 10xxxxxx).
fn gram_start(buf: &[u8], last: usize, n: usize) -> usize {
    let mut from = last;
    for _ in 1..n {
        from -= 1;
        while buf[from] & 0xC0 == 0x80 {
            from -= 1;
        }
    }
    from
}

/// Whether NFKC never reorders or composes across the start of `c`: a
/// starter (combining class 0) that is in NFKC and composes with nothing
/// before it (quick check Yes; those that may are Maybe).
/// Full-width ASCII forms have a boundary before them too: their normal
/// form is an ASCII character, which composes with nothing before it.
pub(super) fn boundary_before(c: char) -> bool {
    c.is_ascii()
        || ('\u{4e00}'..='\u{9fff}').contains(&c)
        || ('\u{ff01}'..='\u{ff5e}').contains(&c)
        || (canonical_combining_class(c) == 0
            && is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes)
}

/// Per byte of `v` (all below 0x80), 0x80 when it is in `lo..=hi`. No
/// byte carries into the next: each sum stays below 0x100.
#[inline]
fn between(v: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = v + LOW_BITS * u64::from(0x80 - lo);
    let above_hi = v + LOW_BITS * u64::from(0x7F - hi);
    at_least_lo & !above_hi & HIGH_BITS
}

/// `xxh3_64_with_seed(bytes, SEED)` of the six bytes of two three-byte
/// characters ([`six_byte_hash`] with this module's seed).
#[inline(always)]
fn bigram_hash(first: u32, second: u32) -> u64 {
    six_byte_hash(first, second, SEED)
}

/// `xxh3_64_with_seed` of the six bytes of two three-byte characters, given
/// as the little-endian values of their UTF-8: the library's path for
/// inputs of 4 to 8 bytes, with what depends only on the seed worked out
/// once when `seed` is a constant.
#[inline(always)]
pub(crate) fn six_byte_hash(first: u32, second: u32, seed: u64) -> u64 {
    // XXH3's default secret, bytes 8..24.
    const SECRET_8: u64 = u64::from_le_bytes([0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c]);
    const SECRET_16: u64 = u64::from_le_bytes([0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb]);
    let seed_mixed = seed ^ (((seed as u32).swap_bytes() as u64) << 32);
    let flip = (SECRET_8 ^ SECRET_16).wrapping_sub(seed_mixed);
    // The first and last four of the six bytes.
    let head = first | second << 24;
    let tail = first >> 16 | second << 8;
    let keyed = (u64::from(tail) + (u64::from(head) << 32)) ^ flip;
    // XXH3's strong avalanche, for length 6.
    let mut h = keyed ^ keyed.rotate_left(49) ^ keyed.rotate_left(24);
    h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
    h ^= (h >> 35).wrapping_add(6);
    h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
    h ^ h >> 28
}

/// The three-byte punctuation that the fast path folds to a separator:
/// general punctuation (U+2000..=U+206F), the CJK punctuation of
/// [`separator_table`], and full-width forms of ASCII punctuation. One row
/// per 64 characters (U+2000, U+2040, U+3000, U+FF00 and U+FF40), each with
/// the first two bytes of its characters' UTF-8, at the slot
/// [`punctuation_slot`] gives those bytes; the other slots match nothing.
fn punctuation() -> &'static [(u32, u64); 64] {
    static ROWS: OnceLock<[(u32, u64); 64]> = OnceLock::new();
    ROWS.get_or_init(|| {
        let separators = separator_table();
        let mut rows = [(0u32, 0u64); 64];
        for base in [0x2000u32, 0x2040, 0x3000, 0xFF00, 0xFF40] {
            // The rows' bases are all three-byte characters.
            let mut utf8 = [0u8; 4];
            if let Some(c) = char::from_u32(base) {
                c.encode_utf8(&mut utf8);
            }
            let prefix = u32::from_le_bytes([utf8[0], utf8[1], 0, 0]);
            let mut bits = 0u64;
            for bit in 0..64 {
                let code = base + bit;
                let separator = match code {
                    0x2000..=0x206F => true,
                    0x3000..=0x303F => separators >> (code - 0x3000 + 32) & 1 == 1,
                    0xFF01..=0xFF5E => !((code - 0xFEE0) as u8).is_ascii_alphanumeric(),
                    _ => false,
                };
                bits |= u64::from(separator) << bit;
            }
            rows[punctuation_slot(prefix)] = (prefix, bits);
        }
        rows
    })
}

/// The slot of [`punctuation`] for a character whose UTF-8 starts `w`
/// (little-endian): the low four bits of the lead byte and two of the
/// second, distinct for the five rows' prefixes (E2 80, E2 81, E3 80, EF BC,
/// EF BD).
#[inline(always)]
fn punctuation_slot(w: u32) -> usize {
    ((w & 0x0F) << 2 | (w >> 8 & 0x03)) as usize
}

/// One bit per compatibility character of Latin-1 (U+00A0..=U+00BF, bits
/// 0..32) and of CJK punctuation (U+3000..=U+303F, bits 32..96): set when
/// the rules normalise it on its own to separators only (`·`, `、`, `。`,
/// `《`, the ideographic space), so it can skip normalisation.
fn separator_table() -> u128 {
    static TABLE: OnceLock<u128> = OnceLock::new();
    *TABLE.get_or_init(|| {
        let chars = (0x00A0..=0x00BF).chain(0x3000..=0x303F);
        chars.enumerate().fold(0u128, |acc, (i, code)| {
            let c = char::from_u32(code).unwrap_or(' ');
            let kept = std::iter::once(c).nfkc().any(|n| {
                n.is_ascii_alphanumeric() || (!n.is_ascii() && (is_cjk(n) || n.is_alphanumeric()))
            });
            let separator = per_char_safe(c) && !is_nfkc_stable(c) && !kept;
            acc | u128::from(separator) << i
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_copies_of_the_bigram_loop_agree() {
        let text: String = (0..3000u32)
            .filter_map(|i| char::from_u32(0x4E00 + i.wrapping_mul(7919) % 0x5200))
            .collect();
        let bytes = text.as_bytes();
        let char_at =
            |i: usize| u32::from_le_bytes([bytes[3 * i], bytes[3 * i + 1], bytes[3 * i + 2], 0]);
        for len in [0usize, 1, 7, 8, 9, 100, 2999] {
            let keys: Vec<u64> = (0..len)
                .map(|i| bigram_key(char_at(i), char_at(i + 1)))
                .collect();
            let (mut a, mut b) = (keys.clone(), keys);
            finish_bigrams(&mut a, Simd::Scalar);
            finish_bigrams(&mut b, Simd::detect());
            assert_eq!(a, b, "len {len}");
            let reference = (0..len).map(|i| xxh3_64_with_seed(&bytes[3 * i..3 * i + 6], SEED));
            assert!(a.iter().copied().eq(reference), "len {len}");
        }
    }

    #[test]
    fn the_punctuation_slots_find_exactly_the_separators() {
        let tables = Tables {
            punctuation: punctuation(),
            han: han_rows(),
            separators: separator_table(),
            simd: Simd::Scalar,
        };
        let mut found = 0;
        for c in ('\u{800}'..='\u{FFFF}').filter(|c| c.len_utf8() == 3) {
            let mut utf8 = [0u8; 4];
            c.encode_utf8(&mut utf8);
            let expected = match c as u32 {
                0x2000..=0x206F => true,
                code @ 0x3000..=0x303F => tables.separators >> (code - 0x3000 + 32) & 1 == 1,
                code @ 0xFF01..=0xFF5E => !((code - 0xFEE0) as u8).is_ascii_alphanumeric(),
                _ => false,
            };
            // Whatever byte follows the character.
            for next in [0u8, b'a', 0xE4] {
                utf8[3] = next;
                let w = u32::from_le_bytes(utf8);
                assert_eq!(tables.is_separator(w), expected, "{c:?} then {next:#x}");
            }
            found += usize::from(expected);
        }
        assert!(found > 150, "{found}");
    }

    #[test]
    fn bigram_hash_is_xxh3_of_the_six_bytes_whatever_the_seed() {
        let mut state = 0x0123_4567_89ab_cdefu64;
        for _ in 0..100_000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            let bytes = (state >> 8).to_le_bytes();
            let first = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], 0]);
            let second = u32::from_le_bytes([bytes[3], bytes[4], bytes[5], 0]);
            assert_eq!(
                bigram_hash(first, second),
                xxh3_64_with_seed(&bytes[..6], SEED)
            );
            assert_eq!(
                six_byte_hash(first, second, state),
                xxh3_64_with_seed(&bytes[..6], state)
            );
        }
    }
}
