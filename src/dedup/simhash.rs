//! 64-bit simhash (Charikar) over weighted features, with a feature hash that
//! never changes: xxh3 with a fixed seed. Stored fingerprints keep their
//! meaning across versions, compilers and machines.

use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::features::FeatureOptions;
use super::fold::Folded;
use super::normalize::{TitleRules, without_site_tail};
use super::sketch::{Sketch, SketchBuilder, Traits};

/// Seed of the feature hash ("feedfold" in ASCII). Never change it.
pub(super) const SEED: u64 = 0x6665_6564_666f_6c64;

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
    /// Shared: a daemon makes a fingerprinter per fetched document, and
    /// the rules are ~80 strings.
    rules: Arc<TitleRules>,
    options: FeatureOptions,
    folded: Folded,
    bits: BitCounter,
    sketch: SketchBuilder,
    title_key: Option<u64>,
}

impl Fingerprinter {
    /// A fingerprinter with the given title rules and feature options.
    pub fn new(rules: impl Into<Arc<TitleRules>>, options: FeatureOptions) -> Fingerprinter {
        Fingerprinter {
            rules: rules.into(),
            options,
            folded: Folded::default(),
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
        if let Some(head) = without_site_tail(&clean) {
            self.folded.fold(head);
        }
        let title = String::from_utf8_lossy(self.folded.bytes());
        let title = title.trim();
        self.title_key = (!title.is_empty()).then(|| xxh3_64_with_seed(title.as_bytes(), SEED));
        features += self.add(body, 1);
        self.sketch.finish();
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
        self.sketch.finish();
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

    /// Adds the features of one run of text (the title, or the body), each
    /// counted `weight` times in the fingerprint; returns how many there were.
    fn add(&mut self, text: &str, weight: u32) -> usize {
        self.folded.fold_features(text, self.options);
        let hashes = self.folded.hashes();
        for _ in 0..weight {
            self.bits.add(hashes);
        }
        self.sketch.add_run(hashes);
        // Counted once each: the minimum is about how much text there is.
        hashes.len()
    }
}

/// Per-bit counts of set bits over many hashes.
///
/// Sixteen hashes at a time go through a carry-save adder tree
/// (Harley–Seal): `ones`, `twos`, `fours` and `eights` hold, bit by bit,
/// the low bits of each position's count, and each group of sixteen hands
/// on one word of carries worth 16 apiece. Those are counted SWAR style:
/// lane `j` of [`Lanes`] holds eight byte-wide counters, for bits
/// `j, j+8, …, j+56`, flushed into u32 totals before a byte could overflow.
/// About 6 operations a hash, no branches, no memory loads.
#[derive(Debug, Clone, Default)]
struct BitCounter {
    ones: u64,
    twos: u64,
    fours: u64,
    eights: u64,
    sixteens: Lanes,
    count: u32,
}

/// Carry-save adder: the sum bits and carry bits of three words, bit by bit.
#[inline(always)]
fn csa(a: u64, b: u64, c: u64) -> (u64, u64) {
    let u = a ^ b;
    ((a & b) | (u & c), u ^ c)
}

impl BitCounter {
    fn clear(&mut self) {
        *self = BitCounter::default();
    }

    /// Counts each of `hashes` once.
    fn add(&mut self, hashes: &[u64]) {
        let mut groups = hashes.chunks_exact(16);
        for d in &mut groups {
            let (ones, twos, fours, eights) = (self.ones, self.twos, self.fours, self.eights);
            let (twos_a, ones) = csa(ones, d[0], d[1]);
            let (twos_b, ones) = csa(ones, d[2], d[3]);
            let (fours_a, twos) = csa(twos, twos_a, twos_b);
            let (twos_a, ones) = csa(ones, d[4], d[5]);
            let (twos_b, ones) = csa(ones, d[6], d[7]);
            let (fours_b, twos) = csa(twos, twos_a, twos_b);
            let (eights_a, fours) = csa(fours, fours_a, fours_b);
            let (twos_a, ones) = csa(ones, d[8], d[9]);
            let (twos_b, ones) = csa(ones, d[10], d[11]);
            let (fours_a, twos) = csa(twos, twos_a, twos_b);
            let (twos_a, ones) = csa(ones, d[12], d[13]);
            let (twos_b, ones) = csa(ones, d[14], d[15]);
            let (fours_b, twos) = csa(twos, twos_a, twos_b);
            let (eights_b, fours) = csa(fours, fours_a, fours_b);
            let (sixteens, eights) = csa(eights, eights_a, eights_b);
            (self.ones, self.twos, self.fours, self.eights) = (ones, twos, fours, eights);
            self.sixteens.add(sixteens);
        }
        for &h in groups.remainder() {
            // One at a time: a ripple of half adders.
            let carry = self.ones & h;
            self.ones ^= h;
            let carry2 = self.twos & carry;
            self.twos ^= carry;
            let carry4 = self.fours & carry2;
            self.fours ^= carry2;
            let carry8 = self.eights & carry4;
            self.eights ^= carry4;
            self.sixteens.add(carry8);
        }
        self.count += hashes.len() as u32;
    }

    /// Bit i is set when more than half of the hashes had it set.
    fn finish(&mut self) -> u64 {
        let sixteens = self.sixteens.totals();
        let half = self.count;
        (0..64).fold(0u64, |acc, i| {
            let bit = |word: u64| (word >> i & 1) as u32;
            let total = 16 * sixteens[i]
                + 8 * bit(self.eights)
                + 4 * bit(self.fours)
                + 2 * bit(self.twos)
                + bit(self.ones);
            acc | (u64::from(2 * total > half) << i)
        })
    }
}

/// SWAR counters of the 64 bit positions: a word costs 8 shifts, 8 masks
/// and 8 adds.
#[derive(Debug, Clone)]
struct Lanes {
    lanes: [u64; 8],
    in_lanes: u32,
    totals: [u32; 64],
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;

impl Default for Lanes {
    fn default() -> Self {
        Lanes {
            lanes: [0; 8],
            in_lanes: 0,
            totals: [0; 64],
        }
    }
}

impl Lanes {
    #[inline]
    fn add(&mut self, word: u64) {
        for (j, lane) in self.lanes.iter_mut().enumerate() {
            *lane += (word >> j) & LOW_BITS;
        }
        self.in_lanes += 1;
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

    fn totals(&mut self) -> [u32; 64] {
        self.flush();
        self.totals
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
            // Whole, one at a time, and in uneven pieces.
            let mut counter = BitCounter::default();
            counter.add(&hashes);
            assert_eq!(counter.finish(), reference(&hashes), "len {len}");
            let mut counter = BitCounter::default();
            hashes
                .iter()
                .for_each(|h| counter.add(std::slice::from_ref(h)));
            assert_eq!(counter.finish(), reference(&hashes), "len {len}, singly");
            let mut counter = BitCounter::default();
            let mut rest = &hashes[..];
            let mut piece = 1;
            while !rest.is_empty() {
                let (head, tail) = rest.split_at(piece.min(rest.len()));
                counter.add(head);
                rest = tail;
                piece = piece * 7 % 37 + 1;
            }
            assert_eq!(counter.finish(), reference(&hashes), "len {len}, pieces");
        }
        // Every hash the same: each position's count is all or nothing.
        for len in [15usize, 16, 17, 4080, 4096, 70_000] {
            let mut counter = BitCounter::default();
            counter.add(&vec![0xf0f0_0000_ffff_0001; len]);
            assert_eq!(counter.finish(), 0xf0f0_0000_ffff_0001, "len {len}");
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

    /// Long stories in English, Simplified and Traditional Chinese and a
    /// mix: the whole output (fingerprint, feature count, sketch, title key)
    /// as computed before the speed work of issue 14, so that any faster
    /// path is provably the same function. Stored fingerprints and sketches
    /// depend on it: never update these to make a change pass.
    #[test]
    fn long_story_outputs_are_pinned() {
        const EN: &str = "Dock workers at the country's three largest container ports walked out on Monday after talks over pay and automation broke down late on Sunday night, leaving more than forty ships waiting at anchor. The union said the strike would last until the operators withdrew plans to introduce remote-controlled cranes at two terminals, which it says would cost 1,200 jobs over five years. Operators said they had offered a 6.5% rise this year and guarantees on redeployment. \"We have been clear that nobody will lose their job because of new equipment,\" a spokeswoman for the port authority said. Retailers warned that shelves could empty within a fortnight if the dispute dragged on, as most imported food and clothing passes through the three ports.\n\nThe transport minister urged both sides to return to the table and said the government was ready to appoint a mediator. Shipping lines began diverting vessels to smaller ports up the coast, where queues were already growing on Tuesday morning.";
        const ZH: &str = "新华社北京3月5日电 国务院新闻办公室5日举行新闻发布会，介绍今年春运期间交通运输保障情况。交通运输部有关负责人表示，今年春运全国营业性客运量同比增长百分之八，铁路、民航客运量均创历史新高。\n\n据介绍，春运期间各地加强运力调配，增开夜间高铁和临时航班，重点保障务工人员、学生和探亲旅客出行。针对雨雪冰冻天气，有关部门提前部署，及时清除道路积雪，确保主要干线公路畅通。负责人还表示，下一步将总结春运经验，进一步完善综合交通运输体系，提升旅客出行体验。";
        const ZH_TRADITIONAL: &str = "新華社北京3月5日電 國務院新聞辦公室5日舉行新聞發布會，介紹今年春運期間交通運輸保障情況。交通運輸部有關負責人表示，今年春運全國營業性客運量同比增長百分之八，鐵路、民航客運量均創歷史新高。據介紹，春運期間各地加強運力調配，增開夜間高鐵和臨時航班，重點保障務工人員、學生和探親旅客出行。";
        const MIXED: &str = "苹果公司（Apple）周二发布新款iPhone 17，售价999美元起。分析师称 the new model's camera and battery upgrades 将推动年底销量，但关税问题仍是最大的不确定因素。ＡＩ功能、５Ｇ芯片和２ＴＢ存储版本同步上市。";
        // A long text of many distinct shingles: more than a sketch keeps.
        let words: Vec<&str> = EN.split_whitespace().chain(ZH.split('，')).collect();
        let mut state = 0x2026_u64;
        let long: String = (0..6000)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                words[(state >> 33) as usize % words.len()]
            })
            .collect::<Vec<_>>()
            .join(" ");
        let cases = [
            ("UPDATE: Port strike halts container traffic - Reuters", EN),
            ("（聚焦春运）国务院新闻办介绍春运交通保障情况", ZH),
            ("國務院新聞辦介紹春運交通保障情況 | 新華網", ZH_TRADITIONAL),
            ("iPhone 17发布", MIXED),
            ("", long.as_str()),
        ];
        let mut f = Fingerprinter::default();
        let got: Vec<String> = cases
            .iter()
            .map(|(title, body)| {
                let simhash = f.story(title, body);
                let sketch = f.sketch();
                format!(
                    "{} {} {} {:016x} {:?}",
                    simhash.fingerprint,
                    simhash.features,
                    sketch.hashes().len(),
                    xxhash_rust::xxh3::xxh3_64(&sketch.to_bytes()),
                    f.title_key()
                )
            })
            .collect();
        let pinned = [
            "472d61c01e2bad6b 169 128 a899fb678946bd79 Some(11277419458074044634)",
            "7f9fa55c271ce5fa 195 128 6292e3f6373ffbd0 Some(10696050918137911887)",
            "7dbb355c2734c4f9 132 117 d8a787ca6cf9e2e9 Some(10696050918137911887)",
            "55d6a86f04a9a673 59 57 27bfb669ef9b5558 Some(636645496772361059)",
            "3d4fa5cc625cefda 10924 128 35aea33ba4ed5b04 None",
        ];
        assert_eq!(got, pinned);
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

    /// The fingerprinter as first written: clean the title
    /// (`normalize::reference::clean`), fold into a `String`
    /// ([`normalize::reference`]), cut features from it
    /// ([`for_each_feature`]), hash each, count bits one position at a
    /// time, and insert shingles one at a time
    /// ([`sketch::reference::SketchBuilder`]). The fast path must equal it
    /// bit for bit: fingerprints, sketches and title keys are stored.
    ///
    /// [`normalize::reference`]: super::super::normalize::reference
    /// [`sketch::reference::SketchBuilder`]: super::super::sketch::reference::SketchBuilder
    struct Reference {
        rules: TitleRules,
        folded: String,
        bits: Vec<u64>,
        sketch: crate::dedup::sketch::reference::SketchBuilder,
    }

    impl Reference {
        fn new() -> Reference {
            Reference {
                rules: TitleRules::default(),
                folded: String::new(),
                bits: Vec::new(),
                sketch: Default::default(),
            }
        }

        /// Fingerprint, sketch and title key of a story.
        fn story(&mut self, title: &str, body: &str) -> (Simhash, Sketch, Option<u64>) {
            self.bits.clear();
            self.sketch.clear();
            let clean = crate::dedup::normalize::reference::clean(&self.rules, title);
            let mut features = self.add(&clean, TITLE_WEIGHT);
            if let Some(head) = without_site_tail(&clean) {
                self.folded.clear();
                crate::dedup::normalize::reference::fold_into(head, &mut self.folded);
            }
            let key = (!self.folded.trim().is_empty())
                .then(|| xxh3_64_with_seed(self.folded.trim().as_bytes(), SEED));
            features += self.add(body, 1);
            let simhash = Simhash {
                fingerprint: Fingerprint(reference(&self.bits)),
                features,
            };
            (simhash, self.sketch.sketch(), key)
        }

        fn text(&mut self, text: &str) -> (Simhash, Sketch) {
            self.bits.clear();
            self.sketch.clear();
            let features = self.add(text, 1);
            let simhash = Simhash {
                fingerprint: Fingerprint(reference(&self.bits)),
                features,
            };
            (simhash, self.sketch.sketch())
        }

        fn add(&mut self, text: &str, weight: u32) -> usize {
            self.folded.clear();
            crate::dedup::normalize::reference::fold_into(text, &mut self.folded);
            let (bits, sketch) = (&mut self.bits, &mut self.sketch);
            sketch.break_run();
            crate::dedup::for_each_feature(&self.folded, FeatureOptions::default(), |feature| {
                let hash = xxh3_64_with_seed(feature, SEED);
                sketch.add(hash);
                for _ in 0..weight {
                    bits.push(hash);
                }
            })
        }
    }

    /// Checks the fast path against the reference on one story, and on its
    /// body alone; folding and features too, for a clearer failure.
    fn check(title: &str, body: &str) {
        let mut fast = Fingerprinter::default();
        let mut slow = Reference::new();
        for text in [title, body] {
            let mut expected = String::new();
            crate::dedup::normalize::reference::fold_into(text, &mut expected);
            for options in [
                FeatureOptions::default(),
                FeatureOptions {
                    cjk_ngram: 3,
                    word_shingle: 1,
                },
            ] {
                let mut want = Vec::new();
                crate::dedup::for_each_feature(&expected, options, |f| {
                    want.push(xxh3_64_with_seed(f, SEED))
                });
                fast.folded.fold_features(text, options);
                assert_eq!(
                    String::from_utf8_lossy(fast.folded.bytes()),
                    expected,
                    "folding {text:?}"
                );
                assert_eq!(
                    fast.folded.hashes(),
                    want,
                    "features of {text:?}, {options:?}"
                );
            }
            fast.folded.fold(text);
            assert_eq!(String::from_utf8_lossy(fast.folded.bytes()), expected);
            // `fold_into` appends after a space, like the rules.
            let (mut a, mut b) = ("x".to_owned(), "x".to_owned());
            crate::dedup::normalize::fold_into(text, &mut a);
            crate::dedup::normalize::reference::fold_into(text, &mut b);
            assert_eq!(a, b, "fold_into {text:?}");
        }
        let simhash = fast.story(title, body);
        assert_eq!(
            (simhash, fast.sketch(), fast.title_key()),
            slow.story(title, body),
            "story {title:?} / {body:?}"
        );
        assert_eq!(fast.traits().sketch, Some(fast.sketch()));
        let simhash = fast.text(body);
        assert_eq!((simhash, fast.sketch()), slow.text(body), "text {body:?}");
        assert_eq!(fast.title_key(), None);
    }

    /// Texts of every kind the fast paths treat differently.
    const VARIED: &[&str] = &[
        "",
        " ",
        "\n\n",
        "a",
        "The quick brown fox jumps over the lazy dog.",
        "Hello,  WORLD! It's 2026. e-mail: Someone@Example.COM; x86_64 & ARMv8 -- 1,234.56%",
        "antidisestablishmentarianism supercalifragilisticexpialidocious a bb ccc dddd eeeee ffffff",
        "line one\nline two\r\n\r\nline  three\ttabbed\u{b}\u{c}end",
        "Ünïcödé — Text: café, naïve, Ærøskøbing, Straße, İstanbul, ĳssel ½ ² ºC ª",
        "e\u{301}cole, cafe\u{301}, n\u{303}, A\u{30a}ngstro\u{308}m",
        "Ελληνικά κείμενα και Кириллица ТЕКСТ",
        "人力资源社会保障部:切实关心激励表彰疫情防控人员。",
        "人力資源社會保障部：切實關心激勵表彰疫情防控人員",
        "臺灣颱風過後，鐵路恢復營運「新聞」《報導》、『引用』【獨家】",
        "（聚焦疫情防控）人力资源社会保障部：切实关心,激励表彰。１２３ＡＢＣ",
        "iPhone手机 发布 new model 2026年3月，售价999美元",
        "ニュース速報 カタカナ ｶﾀｶﾅ ひらがな 한국어 뉴스 ᄒᆞᆫ글",
        "俓偤儣 𠀀𠀁 㐀㑮 〇々〆 〡〢 ㍿ ① Ⅻ ㈱",
        "Emoji 😀👍🏽 and 🇬🇧 flags, ♥ ★ © ™ ∑ → ⌘",
        "“Curly quotes” and ‘single’ … — – · • ‰ ′ ″",
        "full width：ＨＥＬＬＯ，ｗｏｒｌｄ！　ideographic　space",
        "\u{0}\u{1f}\u{7f}\u{80}\u{9f}\u{a0}\u{ad}\u{feff}\u{200b}\u{fffd}",
        "mixed短句with中文and English混合text，又一个句子。",
        "12345678 abcdefgh ABCDEFGH 1a2b3c4d5e6f7g8h9i",
    ];

    #[test]
    fn fast_path_equals_the_reference_on_varied_text() {
        for &body in VARIED {
            for &title in VARIED {
                check(title, body);
            }
        }
        // Long texts: many lines, runs crossing every 8-byte boundary.
        let long: String = VARIED
            .iter()
            .map(|t| format!("{t}\n"))
            .collect::<String>()
            .repeat(5);
        check("Port strike ends - Reuters", &long);
        check("", &long.replace('\n', " "));
        let words: String = (0..3000).map(|i| format!("w{} ", i % 97)).collect();
        check("UPDATE: Port strike ends", &words);
    }

    #[test]
    fn every_character_folds_as_the_rules_say() {
        // Each character of the Basic Multilingual Plane (and a few beyond)
        // alone, between Han characters, after a letter it may compose
        // with and before a combining mark, twice, and in a line the fast
        // path gives up on (℃ normalises to two characters).
        let mut folded = Folded::default();
        let beyond = [
            0x1F600, 0x1F44D, 0x1F3FD, 0x20000, 0x2A6D6, 0x2F800, 0xE0041,
        ];
        for code in (0..=0xFFFFu32).chain(beyond) {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            for text in [
                format!("{c}"),
                format!("中{c}文字"),
                format!("e{c}\u{301}x"),
                format!("{c}{c} ab"),
                format!("温度\u{2103}{c}\u{3099}ア 1 ab{c}"),
                format!("\u{1100}{c}\u{1161}\u{11a8}"),
            ] {
                let mut expected = String::new();
                crate::dedup::normalize::reference::fold_into(&text, &mut expected);
                let mut want = Vec::new();
                crate::dedup::for_each_feature(&expected, FeatureOptions::default(), |f| {
                    want.push(xxh3_64_with_seed(f, SEED))
                });
                folded.fold_features(&text, FeatureOptions::default());
                assert_eq!(
                    (
                        String::from_utf8_lossy(folded.bytes()).as_ref(),
                        folded.hashes()
                    ),
                    (expected.as_str(), want.as_slice()),
                    "U+{code:04X} in {text:?}"
                );
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn fast_path_equals_the_reference(
            title in tricky_string(40),
            body in tricky_string(400),
        ) {
            check(&title, &body);
        }

        #[test]
        fn fast_path_equals_the_reference_on_prose(
            words in proptest::collection::vec(word(), 0..300),
        ) {
            let body = words.concat();
            check(&words.iter().take(8).cloned().collect::<String>(), &body);
        }
    }

    /// Characters from every class folding treats apart.
    fn tricky_char() -> impl proptest::strategy::Strategy<Value = char> {
        use proptest::prelude::*;
        prop_oneof![
            6 => proptest::char::range(' ', '~'),
            1 => Just('\n'),
            3 => proptest::char::range('\u{4e00}', '\u{9fff}'),
            1 => proptest::sample::select(vec!['體', '國', '臺', '颱', '俓', '偤', '儣', '乾', '著']),
            1 => proptest::char::range('\u{3400}', '\u{4dff}'),
            1 => proptest::char::range('\u{3000}', '\u{30ff}'),
            1 => proptest::char::range('\u{ac00}', '\u{d7a3}'),
            1 => proptest::char::range('\u{1100}', '\u{11ff}'),
            1 => proptest::char::range('\u{ff01}', '\u{ffef}'),
            1 => proptest::char::range('\u{f900}', '\u{faff}'),
            1 => proptest::char::range('\u{0300}', '\u{036f}'),
            1 => proptest::char::range('\u{2000}', '\u{206f}'),
            1 => proptest::char::range('\u{80}', '\u{24f}'),
            1 => proptest::char::range('\u{370}', '\u{4ff}'),
            1 => proptest::char::range('\u{2100}', '\u{24ff}'),
            1 => proptest::char::range('\u{1f300}', '\u{1faff}'),
            1 => proptest::char::range('\u{20000}', '\u{2a6df}'),
            1 => proptest::char::range('\u{0}', '\u{1f}'),
        ]
    }

    fn tricky_string(max: usize) -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        proptest::collection::vec(tricky_char(), 0..max).prop_map(|c| c.into_iter().collect())
    }

    /// A word of prose with its separator: Latin, Chinese or mixed.
    fn word() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            4 => "[A-Za-z]{1,12}[ ,.;:!?]{1,2}",
            1 => "[0-9]{1,6}[ ,.%]",
            2 => "[\u{4e00}-\u{4fff}]{1,10}[，。、：]?",
            1 => "[A-Za-zé]{1,5}[\u{4e00}-\u{4e20}]{1,3}",
            1 => "[“”‘’—…]",
        ]
    }
}
