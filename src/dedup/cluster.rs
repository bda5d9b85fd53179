//! Which cluster a new item joins. The rule is one pure function, [`decide`],
//! used by the daemon (candidates come from its in-memory copy of the
//! stored fingerprints, `store::candidates`) and by
//! `feedfold dedup` (candidates come from an in-memory [`BandIndex`]).
//!
//! Matching has two stages. The simhash finds candidates within a wide
//! radius ([`MatchOptions::distance`]); each candidate is then verified on
//! the two texts' shingle sketches ([`Evidence`]): enough shared shingles
//! (resemblance), or enough of the shorter text inside the longer
//! (containment: a teaser, a truncated copy). Equal cleaned titles lower
//! both bars, never to nothing. A candidate without a sketch (stored before
//! sketches were) is judged by the fingerprint alone, within
//! [`UNVERIFIED_DISTANCE`].
//!
//! [`BandIndex`]: super::BandIndex

use super::simhash::Simhash;
use super::sketch::{MIN_SAMPLE, Overlap, Traits};

/// A stored item that shares a fingerprint block with the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Neighbour {
    /// The stored item.
    pub item: i64,
    /// Its cluster.
    pub cluster: i64,
    /// When its cluster started (Unix seconds): ties go to the earliest.
    pub cluster_started: i64,
    /// Its fingerprint.
    pub fingerprint: u64,
    /// Its time (published, else first seen), Unix seconds; `None` for an
    /// undated item, which is never outside the window.
    pub time: Option<i64>,
    /// What its text and title share with the new item's; `None` when
    /// either has no sketch.
    pub evidence: Option<Evidence>,
}

/// The second stage's figures for one candidate, in thousandths, as stored
/// and shown by `feedfold explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Evidence {
    /// Estimated Jaccard resemblance of the two texts' shingles, ‰.
    pub resemblance: u16,
    /// Estimated share of the shorter text's shingles found in the longer, ‰.
    pub containment: u16,
    /// Shingles of the shorter text the containment was estimated on.
    pub sample: u32,
    /// The cleaned titles are equal.
    pub same_title: bool,
    /// Both come from one site, whose chrome they may share.
    pub same_site: bool,
}

impl Evidence {
    /// Compares a new item with a candidate, when both have sketches.
    pub fn between(new: &Traits, old: &Traits, same_site: bool) -> Option<Evidence> {
        let overlap = new.sketch.as_ref()?.compare(old.sketch.as_ref()?);
        Some(Evidence::of(overlap, same_titles(new, old), same_site))
    }

    /// The figures of an [`Overlap`], with what the titles and sites say.
    fn of(overlap: Overlap, same_title: bool, same_site: bool) -> Evidence {
        Evidence {
            same_site,
            ..Evidence::from_overlap(overlap, same_title)
        }
    }

    /// Whether a candidate `distance` bits away passes the second stage,
    /// with its evidence if so (`None` inside: either has no sketch):
    /// [`MatchOptions::accepts`] on [`Evidence::between`], with the sketches
    /// compared only as far as it takes to know (most candidates share
    /// almost nothing).
    pub fn accepted(
        new: &Traits,
        old: &Traits,
        same_site: bool,
        distance: u32,
        options: &MatchOptions,
    ) -> Option<Option<Evidence>> {
        let (Some(a), Some(b)) = (new.sketch.as_ref(), old.sketch.as_ref()) else {
            return options.accepts(distance, None).then_some(None);
        };
        let same_title = same_titles(new, old);
        let least = |first, second| {
            let sampled = Sampled {
                first,
                second,
                same_title,
                same_site,
            };
            LEAST.with_borrow_mut(|memo| memo.least(sampled, options))
        };
        let evidence = Evidence::of(a.compare_at_least(b, least)?, same_title, same_site);
        options
            .accepts(distance, Some(&evidence))
            .then_some(Some(evidence))
    }

    /// The figures of an [`Overlap`] (of two sites' pages).
    pub fn from_overlap(overlap: Overlap, same_title: bool) -> Evidence {
        let permille = |x: f32| (x * 1000.0).round().clamp(0.0, 1000.0) as u16;
        let (containment, sample) = overlap.containment();
        Evidence {
            resemblance: permille(overlap.resemblance),
            containment: permille(containment),
            sample,
            same_title,
            same_site: false,
        }
    }

    /// Whether the texts are the same story: resemblance at the bar, or
    /// containment at its bar over a sample large enough to trust. Equal
    /// titles lower both bars to [`TITLE_DISCOUNT`] of themselves. Two pages
    /// of one site share its chrome wherever extraction kept it, which
    /// inflates both figures, and a site rarely runs one story twice under
    /// two entries unless nearly word for word: their bars are
    /// [`SAME_SITE_BARS`] (titles do not lower them).
    pub fn verifies(&self, options: &MatchOptions) -> bool {
        let (resemblance, containment) = self.discounted_bars(options);
        self.resemblance >= resemblance
            || (self.trusts_containment() && self.containment >= containment)
    }

    /// The resemblance and containment bars these two texts must meet.
    fn discounted_bars(&self, options: &MatchOptions) -> (u16, u16) {
        let (resemblance, containment) = self.bars(options);
        if self.same_title && !self.same_site {
            let discount = |bar: u16| (u32::from(bar) * TITLE_DISCOUNT / 100) as u16;
            (discount(resemblance), discount(containment))
        } else {
            (resemblance, containment)
        }
    }

    /// Whether containment may decide: over a sample large enough to trust,
    /// and for a text of only a sentence or two (fewer than
    /// [`SMALL_SAMPLE`] shingles) only beside equal titles, since such a text
    /// is as often a line many stories carry (an editor's note, a "Posted
    /// by" line) as a teaser.
    fn trusts_containment(&self) -> bool {
        self.sample >= MIN_SAMPLE && (self.sample >= SMALL_SAMPLE || self.same_title)
    }

    /// The resemblance and containment bars before any title discount:
    /// the options', or [`SAME_SITE_BARS`] if higher for one site's pages.
    fn bars(&self, options: &MatchOptions) -> (u16, u16) {
        if self.same_site {
            (
                options.resemblance.max(SAME_SITE_BARS.0),
                options.containment.max(SAME_SITE_BARS.1),
            )
        } else {
            (options.resemblance, options.containment)
        }
    }
}

/// Whether both entries have a cleaned title, and the same one.
fn same_titles(new: &Traits, old: &Traits) -> bool {
    new.title_key.is_some() && new.title_key == old.title_key
}

thread_local! {
    /// Each thread's [`Least`]: it answers each combination once.
    static LEAST: std::cell::RefCell<Least> = std::cell::RefCell::default();
}

/// [`least_shared`] remembered for one pair of bars, for samples of up
/// to [`K`](super::sketch::K) shingles each: working it out took more time
/// than the comparisons it cut short.
#[derive(Default)]
struct Least {
    /// The resemblance and containment bars the table is for.
    bars: Option<(u16, u16)>,
    /// One more than the answer, 0 for not yet known, by sample sizes,
    /// equal titles and one site.
    table: Vec<u8>,
}

// `Least` keeps one more than an answer of up to `K + 1` in a byte.
const _: () = assert!(super::sketch::K + 2 <= u8::MAX as usize);

/// Two texts as the second stage sees them before comparing: the sizes
/// of their common sample's two sides, and what lowers or raises the bars.
#[derive(Debug, Clone, Copy)]
struct Sampled {
    first: usize,
    second: usize,
    same_title: bool,
    same_site: bool,
}

impl Least {
    fn least(&mut self, sampled: Sampled, options: &MatchOptions) -> usize {
        const SIDE: usize = super::sketch::K + 1;
        if sampled.first >= SIDE || sampled.second >= SIDE {
            return least_shared(sampled, options);
        }
        // The answer hangs on the bars alone of all the options.
        let bars = (options.resemblance, options.containment);
        if self.bars != Some(bars) {
            self.bars = Some(bars);
            self.table = vec![0; SIDE * SIDE * 4];
        }
        let sides = sampled.first * SIDE + sampled.second;
        let slot =
            (sides * 2 + usize::from(sampled.same_title)) * 2 + usize::from(sampled.same_site);
        match self.table[slot] {
            0 => {
                let least = least_shared(sampled, options);
                // At most `SIDE`, so one more fits a byte (see below).
                self.table[slot] = (least + 1) as u8;
                least
            }
            known => usize::from(known) - 1,
        }
    }
}

/// The fewest shingles two texts, sampled `first` and `second` shingles in
/// their common sample (see [`Sampled`]), must share to verify (one more than the smaller
/// sample when no number would). Verification only gets easier with each
/// shingle shared, so this is estimated from the bars and then settled by
/// trying its neighbours with [`Evidence::verifies`] itself: exact,
/// whatever the rounding.
fn least_shared(sampled: Sampled, options: &MatchOptions) -> usize {
    let Sampled {
        first,
        second,
        same_title,
        same_site,
    } = sampled;
    let most = first.min(second);
    let evidence =
        |shared: usize| Evidence::of(Overlap::of(shared, first, second), same_title, same_site);
    let verifies = |shared: usize| evidence(shared).verifies(options);
    // Resemblance s / (first + second - s) and containment s / most, at
    // their bars (a figure rounds up from half a thousandth below).
    let (resemblance, containment) = evidence(0).discounted_bars(options);
    let bar = |permille: u16| (f64::from(permille) - 0.5).max(0.0) / 1000.0;
    let r = bar(resemblance);
    let by_resemblance = r * (first + second) as f64 / (1.0 + r);
    let by_containment = if evidence(most).trusts_containment() {
        bar(containment) * most as f64
    } else {
        f64::INFINITY
    };
    let estimate = by_resemblance.min(by_containment).min((most + 1) as f64);
    let mut least = (estimate as usize).saturating_sub(1);
    while least > 0 && verifies(least - 1) {
        least -= 1;
    }
    while least <= most && !verifies(least) {
        least += 1;
    }
    least
}

/// Sampled shingles under which containment needs equal titles too.
pub const SMALL_SAMPLE: u32 = 32;

/// Resemblance and containment bars, ‰, for two entries of one site.
pub const SAME_SITE_BARS: (u16, u16) = (800, 950);

/// Percentage of the resemblance and containment bars that equal titles
/// leave: title evidence is a signal, never enough alone.
pub const TITLE_DISCOUNT: u32 = 60;

/// Largest distance at which a candidate without a sketch still matches on
/// its fingerprint alone (the one-stage rule of earlier versions).
pub const UNVERIFIED_DISTANCE: u32 = 10;

/// Why an item is in its cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// It links to the same canonical URL as `matched`.
    SameUrl {
        /// The item with that URL.
        matched: i64,
        /// Its cluster.
        cluster: i64,
    },
    /// Its fingerprint is within the distance of `matched`'s, and (when
    /// both have sketches) the texts verify.
    NearDuplicate {
        /// The nearest verified item.
        matched: i64,
        /// Its cluster.
        cluster: i64,
        /// Differing bits.
        distance: u32,
        /// The second stage's figures; `None` when matched on the
        /// fingerprint alone.
        evidence: Option<Evidence>,
    },
    /// Nothing matched: it starts a cluster.
    New,
}

impl Decision {
    /// The rule's name, as stored and shown by `feedfold explain`.
    pub fn rule(&self) -> &'static str {
        match self {
            Decision::SameUrl { .. } => "same-url",
            Decision::NearDuplicate { evidence: None, .. } => "simhash",
            Decision::NearDuplicate { .. } => "verified",
            Decision::New => "new",
        }
    }

    /// The cluster joined, if any.
    pub fn cluster(&self) -> Option<i64> {
        match *self {
            Decision::SameUrl { cluster, .. } | Decision::NearDuplicate { cluster, .. } => {
                Some(cluster)
            }
            Decision::New => None,
        }
    }
}

/// What matching looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchOptions {
    /// Largest Hamming distance at which a stored item is a candidate.
    pub distance: u32,
    /// Only items at most this many seconds apart are compared.
    pub window_secs: i64,
    /// Resemblance, ‰, at which a candidate is the same story.
    pub resemblance: u16,
    /// Containment of the shorter text in the longer, ‰, at which a
    /// candidate is the same story.
    pub containment: u16,
}

/// The default candidate radius, chosen on the development set
/// (`scripts/dedup-eval.py`): copies of one story in different site chrome
/// land up to ~20 bits apart, and the sketches, not the radius, keep
/// different stories apart. With 48 sketch keys, radii of 6, 7 and 11
/// folded the same pairs as 18 on ten seeds but one of ~5,900, and 7 is
/// probed in constant time; those keys cost more than the scan they save
/// (see README, "Stop 30").
pub const DEFAULT_DISTANCE: u32 = 18;

/// The default resemblance bar, ‰.
pub const DEFAULT_RESEMBLANCE: u16 = 500;

/// The default containment bar, ‰.
pub const DEFAULT_CONTAINMENT: u16 = 700;

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            distance: DEFAULT_DISTANCE,
            window_secs: 7 * 86_400,
            resemblance: DEFAULT_RESEMBLANCE,
            containment: DEFAULT_CONTAINMENT,
        }
    }
}

impl MatchOptions {
    /// Whether a candidate `distance` bits away, with this evidence, is the
    /// same story. With sketches the texts decide, however the candidate was
    /// found (within the radius, or by shared shingles); without, the
    /// fingerprint alone, within [`UNVERIFIED_DISTANCE`].
    pub fn accepts(&self, distance: u32, evidence: Option<&Evidence>) -> bool {
        match evidence {
            Some(e) => e.verifies(self),
            None => distance <= self.distance.min(UNVERIFIED_DISTANCE),
        }
    }
}

/// Decides a new item's cluster: an item with the same canonical URL wins;
/// else the nearest accepted neighbour (see [`MatchOptions::accepts`])
/// inside the time window (ties: the earliest cluster, then the lowest
/// item); else a new cluster.
pub fn decide(
    same_url: Option<(i64, i64)>,
    simhash: Option<Simhash>,
    time: Option<i64>,
    neighbours: impl IntoIterator<Item = Neighbour>,
    options: MatchOptions,
) -> Decision {
    if let Some((matched, cluster)) = same_url {
        return Decision::SameUrl { matched, cluster };
    }
    let Some(simhash) = simhash.filter(Simhash::usable) else {
        return Decision::New;
    };
    let query = simhash.fingerprint.0;
    neighbours
        .into_iter()
        .filter(|n| within_window(n, time, options.window_secs))
        .map(|n| ((n.fingerprint ^ query).count_ones(), n))
        .filter(|(d, n)| options.accepts(*d, n.evidence.as_ref()))
        .min_by_key(|(d, n)| (*d, n.cluster_started, n.cluster, n.item))
        .map_or(Decision::New, |(distance, n)| Decision::NearDuplicate {
            matched: n.item,
            cluster: n.cluster,
            distance,
            evidence: n.evidence,
        })
}

/// Every cluster the new item joins, each once, in ascending order: those of
/// `same_url`, the nearest accepted within the time window, and any other
/// that is a bridge (see [`MatchOptions::bridges`]). When there are two or
/// more, the item bridges them and they become one story (see
/// [`survivor`]): the final partition is then the connected components of
/// the match relation, whatever order the items came in. A bridge must be
/// strong evidence, since one chance match at the edge of what is accepted
/// would otherwise merge two whole stories (single-link chaining); a weaker
/// second match is only a neighbour.
pub fn matched_clusters(
    same_url: &[i64],
    simhash: Option<Simhash>,
    time: Option<i64>,
    neighbours: &[Neighbour],
    options: MatchOptions,
) -> Vec<i64> {
    let mut clusters = same_url.to_vec();
    if let Some(simhash) = simhash.filter(Simhash::usable) {
        let query = simhash.fingerprint.0;
        let near: Vec<(u32, &Neighbour)> = neighbours
            .iter()
            .filter(|n| within_window(n, time, options.window_secs))
            .map(|n| ((n.fingerprint ^ query).count_ones(), n))
            .filter(|(d, n)| options.accepts(*d, n.evidence.as_ref()))
            .collect();
        let nearest = near.iter().map(|&(d, _)| d).min();
        clusters.extend(
            near.iter()
                .filter(|&&(d, n)| Some(d) == nearest || options.bridges(d, n.evidence.as_ref()))
                .map(|&(_, n)| n.cluster),
        );
    }
    clusters.sort_unstable();
    clusters.dedup();
    clusters
}

impl MatchOptions {
    /// Whether an accepted candidate is strong enough to merge its cluster
    /// with another: verified on resemblance alone, at the full bar (not on
    /// containment, which a round-up of several stories has with each, nor
    /// helped by the title; one site's pages at its stricter bar); without a
    /// sketch, within half the one-stage distance.
    pub fn bridges(&self, distance: u32, evidence: Option<&Evidence>) -> bool {
        match evidence {
            Some(e) => e.resemblance >= e.bars(self).0,
            None => distance <= self.distance.min(UNVERIFIED_DISTANCE) / 2,
        }
    }
}

/// Of clusters to be merged, given as (id, start, stable key), the one
/// that keeps its id: the earliest started, ties to the smallest key. The
/// older story is the one readers are likelier to have seen already.
pub fn survivor<K: Ord>(clusters: impl IntoIterator<Item = (i64, i64, K)>) -> Option<i64> {
    clusters
        .into_iter()
        .min_by(|a, b| (a.1, &a.2).cmp(&(b.1, &b.2)))
        .map(|c| c.0)
}

/// The neighbour is close enough in time, and so is the start of its cluster:
/// a chain of copies cannot drag a story founded long ago back into the feed.
pub(super) fn within_window(n: &Neighbour, time: Option<i64>, window: i64) -> bool {
    let Some(time) = time else { return true };
    let window = window.unsigned_abs();
    n.time.is_none_or(|t| t.abs_diff(time) <= window)
        && n.cluster_started >= time.saturating_sub(window as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::Fingerprint;

    fn hash(fp: u64) -> Option<Simhash> {
        Some(Simhash {
            fingerprint: Fingerprint(fp),
            features: 100,
        })
    }

    fn n(item: i64, cluster: i64, started: i64, fingerprint: u64, time: i64) -> Neighbour {
        Neighbour {
            item,
            cluster,
            cluster_started: started,
            fingerprint,
            time: Some(time),
            evidence: None,
        }
    }

    #[test]
    fn url_beats_fingerprint_and_nearest_wins() {
        let options = MatchOptions::default();
        let neighbours = [n(1, 10, 100, 0b111, 0), n(2, 20, 50, 0b1, 0)];
        assert_eq!(
            decide(Some((9, 90)), hash(0), Some(0), neighbours, options),
            Decision::SameUrl {
                matched: 9,
                cluster: 90
            }
        );
        assert_eq!(
            decide(None, hash(0), Some(0), neighbours, options),
            Decision::NearDuplicate {
                matched: 2,
                cluster: 20,
                distance: 1,
                evidence: None,
            }
        );
    }

    #[test]
    fn a_bridge_matches_every_cluster_it_is_near() {
        let options = MatchOptions::default();
        let neighbours = [
            n(1, 10, 100, 0xff00, 0),
            n(2, 20, 50, 0x00ff, 0),
            n(3, 20, 50, 0x0fff, 0),
            n(4, 30, 50, u64::MAX, 0),
        ];
        let query = hash(0x0ff0);
        // Cluster 20 is nearest (4 bits); cluster 10, at 8, is past half the
        // distance: a neighbour, not a bridge.
        assert_eq!(
            matched_clusters(&[40], query, Some(0), &neighbours, options),
            vec![20, 40]
        );
        // Within half the distance of both: a bridge.
        let close = [n(1, 10, 100, 0x000f, 0), n(2, 20, 50, 0xf000, 0)];
        assert_eq!(
            matched_clusters(&[], hash(0), Some(0), &close, options),
            vec![10, 20]
        );
        assert_eq!(
            matched_clusters(&[40, 40], None, Some(0), &neighbours, options),
            vec![40]
        );
        assert_eq!(
            survivor([(10, 100, "b"), (20, 50, "z"), (30, 50, "a")]),
            Some(30)
        );
        assert_eq!(survivor(Vec::<(i64, i64, u8)>::new()), None);
    }

    #[test]
    fn clusters_founded_before_the_window_are_not_joined() {
        let options = MatchOptions {
            distance: 3,
            window_secs: 100,
            ..MatchOptions::default()
        };
        // The neighbour itself is recent, but its story began long ago.
        let old_story = n(1, 10, -500, 0b1, 50);
        assert_eq!(
            decide(None, hash(0), Some(100), [old_story], options),
            Decision::New
        );
    }

    #[test]
    fn ties_go_to_the_earliest_cluster() {
        let neighbours = [
            n(1, 10, 100, 0b1, 0),
            n(2, 20, 50, 0b10, 0),
            n(3, 30, 50, 0b100, 0),
        ];
        let d = decide(None, hash(0), Some(0), neighbours, MatchOptions::default());
        assert_eq!(
            d,
            Decision::NearDuplicate {
                matched: 2,
                cluster: 20,
                distance: 1,
                evidence: None,
            }
        );
    }

    #[test]
    fn distance_window_and_short_texts_limit_matching() {
        let options = MatchOptions {
            distance: 3,
            window_secs: 100,
            ..MatchOptions::default()
        };
        assert_eq!(
            decide(None, hash(0), Some(0), [n(1, 10, 0, 0b1111, 0)], options),
            Decision::New
        );
        assert_eq!(
            decide(None, hash(0), Some(0), [n(1, 10, 0, 0b1, 101)], options),
            Decision::New
        );
        assert!(matches!(
            decide(None, hash(0), Some(0), [n(1, 10, 0, 0b1, -100)], options),
            Decision::NearDuplicate { .. }
        ));
        let short = Some(Simhash {
            fingerprint: Fingerprint(0),
            features: 3,
        });
        assert_eq!(
            decide(None, short, Some(0), [n(1, 10, 0, 0, 0)], options),
            Decision::New
        );
        assert_eq!(
            decide(None, None, Some(0), [n(1, 10, 0, 0, 0)], options),
            Decision::New
        );
        let undated = Neighbour {
            time: None,
            ..n(1, 10, 9_950, 0b1, 0)
        };
        assert!(matches!(
            decide(None, hash(0), Some(10_000), [undated], options),
            Decision::NearDuplicate { .. }
        ));
        assert_eq!(
            decide(None, None, None, [n(1, 10, 0, 0, 0)], options),
            Decision::New
        );
    }

    fn verified(resemblance: u16, containment: u16, sample: u32, same_title: bool) -> Evidence {
        Evidence {
            resemblance,
            containment,
            sample,
            same_title,
            same_site: false,
        }
    }

    #[test]
    fn wide_candidates_join_only_when_their_texts_verify() {
        let options = MatchOptions::default();
        let far = u64::MAX >> (64 - 16); // 16 bits away
        let with = |e| Neighbour {
            evidence: Some(e),
            ..n(1, 10, 0, far, 0)
        };
        let joins = |e| decide(None, hash(0), Some(0), [with(e)], options) != Decision::New;
        assert!(joins(verified(600, 600, 100, false)), "resemblance");
        assert!(joins(verified(200, 900, 40, false)), "a teaser inside");
        assert!(
            !joins(verified(200, 900, 5, false)),
            "too few shingles to tell"
        );
        assert!(
            !joins(verified(300, 1000, 18, false)),
            "a sentence or two many stories carry (an editor's note)"
        );
        assert!(
            joins(verified(300, 1000, 18, true)),
            "the same, under the story's own title: a teaser"
        );
        assert!(!joins(verified(400, 600, 100, false)), "below both bars");
        assert!(
            joins(verified(400, 600, 100, true)),
            "equal titles lower the bars"
        );
        assert!(
            !joins(verified(100, 200, 100, true)),
            "but a title alone is not enough"
        );
        let same_site = |e: Evidence| Evidence {
            same_site: true,
            ..e
        };
        assert!(
            !joins(same_site(verified(600, 920, 100, true))),
            "one site's pages share its chrome"
        );
        assert!(joins(same_site(verified(850, 850, 100, false))));
        // Without sketches, 16 bits is too far for the fingerprint alone.
        assert_eq!(
            decide(None, hash(0), Some(0), [n(1, 10, 0, far, 0)], options),
            Decision::New
        );
        // Past the radius, a candidate found by its shingles is judged by
        // its text too.
        let beyond = Neighbour {
            fingerprint: u64::MAX >> (64 - 30),
            ..with(verified(900, 900, 128, false))
        };
        assert_ne!(
            decide(None, hash(0), Some(0), [beyond], options),
            Decision::New
        );
        assert_eq!(
            decide(
                None,
                hash(0),
                Some(0),
                [with(verified(900, 900, 128, false))],
                options
            )
            .rule(),
            "verified"
        );
    }

    #[test]
    fn only_strong_resemblance_bridges_two_clusters() {
        let options = MatchOptions::default();
        let strong = verified(700, 700, 100, false);
        let contained = verified(100, 950, 100, false);
        let near = |item, cluster, fp, e| Neighbour {
            evidence: Some(e),
            ..n(item, cluster, 0, fp, 0)
        };
        let both = [near(1, 10, 0b1, strong), near(2, 20, 0b11, strong)];
        assert_eq!(
            matched_clusters(&[], hash(0), Some(0), &both, options),
            vec![10, 20]
        );
        // A page of the same site at 0.7 is accepted (containment) but is
        // no bridge: that site's bar is 0.8.
        let same_site = Evidence {
            same_site: true,
            ..verified(700, 960, 100, false)
        };
        let site = [near(1, 10, 0b1, strong), near(2, 20, 0b11, same_site)];
        assert_eq!(
            matched_clusters(&[], hash(0), Some(0), &site, options),
            vec![10]
        );
        // A round-up holding a teaser of story 20 joins its nearest (10) only.
        let roundup = [near(1, 10, 0b1, strong), near(2, 20, 0b11, contained)];
        assert_eq!(
            matched_clusters(&[], hash(0), Some(0), &roundup, options),
            vec![10]
        );
    }

    /// A sketch of the given hashes (the smallest `K`, ascending, once each).
    fn sketch_of(mut hashes: Vec<u32>) -> Option<crate::dedup::Sketch> {
        hashes.sort_unstable();
        hashes.dedup();
        hashes.truncate(crate::dedup::sketch::K);
        crate::dedup::Sketch::from_bytes(&crate::dedup::sketch::hashes_to_bytes(&hashes))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// Comparing only as far as it takes decides as the whole comparison
        /// does, for any sizes, overlap, bars, titles and sites.
        #[test]
        fn early_rejection_decides_as_the_whole_comparison(
            common in proptest::collection::vec(proptest::num::u32::ANY, 0..160),
            only_a in proptest::collection::vec(proptest::num::u32::ANY, 0..160),
            only_b in proptest::collection::vec(proptest::num::u32::ANY, 0..160),
            small in 0u32..4096,
            resemblance in 0u16..=1000,
            containment in 0u16..=1000,
            distance in 0u32..30,
            titles in 0u8..3,
            same_site in proptest::bool::ANY,
            sketches in 0u8..4,
        ) {
            // Small hashes put the common ones at the front of both samples.
            let common: Vec<u32> = common.iter().map(|h| h % (small + 1)).collect();
            let a = sketch_of([common.clone(), only_a].concat());
            let b = sketch_of([common, only_b].concat());
            let traits = |sketch: Option<crate::dedup::Sketch>, key: Option<u64>| Traits {
                sketch,
                title_key: key,
            };
            let (key_a, key_b) = match titles {
                0 => (None, None),
                1 => (Some(7), Some(7)),
                _ => (Some(7), Some(8)),
            };
            let new = traits(a.filter(|_| sketches != 1), key_a);
            let old = traits(b.filter(|_| sketches != 2), key_b);
            let options = MatchOptions { distance: 18, window_secs: 1, resemblance, containment };
            let whole = options.accepts(distance, Evidence::between(&new, &old, same_site).as_ref());
            let early = Evidence::accepted(&new, &old, same_site, distance, &options);
            proptest::prop_assert_eq!(early.is_some(), whole);
            if let Some(evidence) = early {
                proptest::prop_assert_eq!(evidence, Evidence::between(&new, &old, same_site));
            }
        }
    }

    #[test]
    fn early_rejection_keeps_near_copies_and_drops_strangers() {
        let options = MatchOptions::default();
        let story: Vec<u32> = (0..400u32).map(|i| i.wrapping_mul(2_654_435_761)).collect();
        let copy: Vec<u32> = story.iter().skip(40).copied().collect();
        let other: Vec<u32> = (0..400u32)
            .map(|i| i.wrapping_mul(40_503) ^ 0x5555)
            .collect();
        let t = |hashes: &[u32]| Traits {
            sketch: sketch_of(hashes.to_vec()),
            title_key: None,
        };
        let (story, copy, other) = (t(&story), t(&copy), t(&other));
        let copied = Evidence::accepted(&story, &copy, false, 30, &options);
        assert_eq!(copied, Some(Evidence::between(&story, &copy, false)));
        assert_eq!(Evidence::accepted(&story, &other, false, 0, &options), None);
    }
}
