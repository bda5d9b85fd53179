//! Which cluster a new item joins. The rule is one pure function, [`decide`],
//! used by the daemon (candidates come from SQL band lookups) and by
//! `feedfold dedup` (candidates come from an in-memory [`BandIndex`]).
//!
//! [`BandIndex`]: super::BandIndex

use super::simhash::Simhash;

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
}

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
    /// Its fingerprint is within the distance of `matched`'s.
    NearDuplicate {
        /// The nearest item.
        matched: i64,
        /// Its cluster.
        cluster: i64,
        /// Differing bits.
        distance: u32,
    },
    /// Nothing matched: it starts a cluster.
    New,
}

impl Decision {
    /// The rule's name, as stored and shown by `feedfold explain`.
    pub fn rule(&self) -> &'static str {
        match self {
            Decision::SameUrl { .. } => "same-url",
            Decision::NearDuplicate { .. } => "simhash",
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
    /// Largest Hamming distance that counts as the same story.
    pub distance: u32,
    /// Only items at most this many seconds apart are compared.
    pub window_secs: i64,
}

/// The default distance, tuned on the development set (`scripts/dedup-eval.py`):
/// lightly edited copies of one story (85–95% of shingles shared) land 6–12
/// bits apart, so Manku's k = 3 for web pages finds under half of them, while
/// unrelated stories there stay above 14 bits.
pub const DEFAULT_DISTANCE: u32 = 10;

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            distance: DEFAULT_DISTANCE,
            window_secs: 7 * 86_400,
        }
    }
}

/// Decides a new item's cluster: an item with the same canonical URL wins;
/// else the nearest neighbour within the distance and time window (ties: the
/// earliest cluster, then the lowest item); else a new cluster.
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
        .filter(|(d, _)| *d <= options.distance)
        .min_by_key(|(d, n)| (*d, n.cluster_started, n.cluster, n.item))
        .map_or(Decision::New, |(distance, n)| Decision::NearDuplicate {
            matched: n.item,
            cluster: n.cluster,
            distance,
        })
}

/// Every cluster the new item joins, each once, in ascending order: those of
/// `same_url`, the nearest within the distance and time window, and any other
/// within half the distance. When there are two or more, the item bridges
/// them and they become one story (see [`survivor`]): the final partition is
/// then the connected components of the match relation, whatever order the
/// items came in. A bridge must be close to both sides, since one chance
/// match near the edge of the radius would otherwise merge two whole stories
/// (single-link chaining); a farther second match is only a neighbour.
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
        let near: Vec<(u32, i64)> = neighbours
            .iter()
            .filter(|n| within_window(n, time, options.window_secs))
            .map(|n| ((n.fingerprint ^ query).count_ones(), n.cluster))
            .filter(|&(d, _)| d <= options.distance)
            .collect();
        let nearest = near.iter().map(|&(d, _)| d).min();
        let bridge = options.distance / 2;
        clusters.extend(
            near.iter()
                .filter(|&&(d, _)| d <= bridge || Some(d) == nearest)
                .map(|&(_, c)| c),
        );
    }
    clusters.sort_unstable();
    clusters.dedup();
    clusters
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
fn within_window(n: &Neighbour, time: Option<i64>, window: i64) -> bool {
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
                distance: 1
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
                distance: 1
            }
        );
    }

    #[test]
    fn distance_window_and_short_texts_limit_matching() {
        let options = MatchOptions {
            distance: 3,
            window_secs: 100,
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
}
