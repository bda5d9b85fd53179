//! Clustering a list of items in memory with the daemon's rules: what
//! `feedfold dedup` runs, and what evaluations measure. An item that matches
//! members of two clusters merges them, as in the store, so the final
//! partition does not depend on the order of the input (see
//! `cluster::matched_clusters` for what remains order-dependent).

use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_64;

use super::cluster::{
    Decision, Evidence, MatchOptions, Neighbour, decide, matched_clusters, survivor, within_window,
};
use super::index::BandIndex;
use super::prefetch;
use super::shingle_index::ShingleIndex;
use super::simhash::Simhash;
use super::sketch::Traits;

/// Items clustered so far. Item and cluster numbers are positions in input order.
#[derive(Debug)]
pub struct BatchClusterer {
    options: MatchOptions,
    index: BandIndex,
    shingles: ShingleIndex,
    items: Vec<BatchItem>,
    /// Start time of each cluster: its earliest item's (undated: last in
    /// tie-breaks).
    cluster_started: Vec<i64>,
    /// The cluster each cluster was merged into (itself while it stands).
    merged_into: Vec<usize>,
    /// Items by canonical URL.
    by_url: HashMap<String, Vec<usize>>,
    /// Why each item is where it is, when asked for.
    explanations: Option<Vec<Explanation>>,
}

/// Why an item joined its cluster, or started one: the decision of the
/// daemon's rule, and when nothing matched, the candidate that came
/// nearest to matching (what `feedfold dedup --explain` prints).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Explanation {
    /// The rule's decision; item and cluster numbers are input positions.
    pub decision: Decision,
    /// For a new cluster: the candidate with the most shared text
    /// (resemblance, then containment), its distance and evidence.
    pub nearest_rejected: Option<(i64, u32, Option<Evidence>)>,
    /// Candidates found (by fingerprint radius or by shared sketch keys)
    /// inside the time window.
    pub candidates: usize,
}

#[derive(Debug, Clone)]
struct BatchItem {
    cluster: usize,
    fingerprint: u64,
    time: Option<i64>,
    traits: Traits,
    site: Option<u64>,
}

impl BatchClusterer {
    /// An empty clusterer.
    pub fn new(options: MatchOptions) -> BatchClusterer {
        BatchClusterer {
            options,
            index: BandIndex::new(options.distance),
            shingles: ShingleIndex::default(),
            items: Vec::new(),
            cluster_started: Vec::new(),
            merged_into: Vec::new(),
            by_url: HashMap::new(),
            explanations: None,
        }
    }

    /// An empty clusterer that keeps an [`Explanation`] for every item.
    pub fn explaining(options: MatchOptions) -> BatchClusterer {
        BatchClusterer {
            explanations: Some(Vec::new()),
            ..BatchClusterer::new(options)
        }
    }

    /// Why item number `item` joined its cluster (when made by
    /// [`explaining`](Self::explaining)).
    pub fn explanation(&self, item: usize) -> Option<&Explanation> {
        self.explanations.as_ref()?.get(item)
    }

    /// Adds the next item and returns the number of the cluster it joins
    /// (a new cluster's number is the count of clusters before it). An item
    /// that matches several clusters merges them into the earliest started
    /// (ties: the lowest number); [`cluster_of`](Self::cluster_of) gives an
    /// earlier item's cluster after later merges. Undated items
    /// (`time = None`) are compared with every other item.
    pub fn add(
        &mut self,
        simhash: Simhash,
        traits: Traits,
        site: Option<&str>,
        canonical_url: Option<&str>,
        time: Option<i64>,
    ) -> usize {
        let site = site.map(|s| xxh3_64(s.as_bytes()));
        let window = self.options.window_secs;
        let mut same_url: Vec<(i64, i64)> = canonical_url
            .and_then(|u| self.by_url.get(u))
            .into_iter()
            .flatten()
            .map(|&i| (i as i64, self.find(self.items[i].cluster)))
            .filter(|&(_, c)| {
                time.is_none_or(|t| self.cluster_started[c] >= t.saturating_sub(window))
            })
            .map(|(i, c)| (i, c as i64))
            .collect();
        same_url.sort_unstable();
        let neighbours = if simhash.usable() && self.options.distance > 0 {
            self.neighbours(simhash.fingerprint.0, &traits, site, time)
        } else {
            Vec::new()
        };
        if let Some(explanations) = &mut self.explanations {
            explanations.push(explain(&same_url, simhash, time, &neighbours, self.options));
        }
        let url_clusters: Vec<i64> = same_url.iter().map(|&(_, c)| c).collect();
        let matched = matched_clusters(
            &url_clusters,
            Some(simhash),
            time,
            &neighbours,
            self.options,
        );
        let joined = survivor(
            matched
                .iter()
                .map(|&c| (c, self.cluster_started[c as usize], c)),
        );
        let started = time.unwrap_or(i64::MAX);
        let cluster = match joined {
            Some(c) => {
                let c = c as usize;
                for &other in &matched {
                    let other = other as usize;
                    if other != c {
                        self.merged_into[other] = c;
                        self.cluster_started[c] =
                            self.cluster_started[c].min(self.cluster_started[other]);
                    }
                }
                self.cluster_started[c] = self.cluster_started[c].min(started);
                c
            }
            None => {
                self.cluster_started.push(started);
                self.merged_into.push(self.merged_into.len());
                self.cluster_started.len() - 1
            }
        };
        let id = self.items.len();
        if simhash.usable() {
            self.index.insert(simhash.fingerprint.0, id as u32);
            self.shingles.insert(traits.keys(), id as u32);
        }
        self.items.push(BatchItem {
            cluster,
            fingerprint: simhash.fingerprint.0,
            time,
            traits,
            site,
        });
        if let Some(url) = canonical_url {
            self.by_url.entry(url.to_owned()).or_default().push(id);
        }
        cluster
    }

    /// The candidates inside the time window, with their evidence. The
    /// window is applied before the sketches are compared, and (unless
    /// explaining) the second stage before the evidence is worked out in
    /// full, as `matched_clusters` would drop the others anyway: over a long
    /// input most candidates are outside the window or share almost nothing,
    /// and the comparison is the dearer step.
    fn neighbours(
        &self,
        fingerprint: u64,
        traits: &Traits,
        site: Option<u64>,
        time: Option<i64>,
    ) -> Vec<Neighbour> {
        let candidates = self.candidates(fingerprint, traits);
        candidates
            .iter()
            .enumerate()
            .filter_map(|(at, &id)| {
                let item = |id: u32| &self.items[id as usize];
                prefetch::ahead(
                    &candidates,
                    at,
                    |id| prefetch::value(item(id)),
                    |id| {
                        if let Some(sketch) = &item(id).traits.sketch {
                            prefetch::slice(sketch.hashes());
                        }
                    },
                );
                let item = &self.items[id as usize];
                let cluster = self.find(item.cluster);
                let mut neighbour = Neighbour {
                    item: i64::from(id),
                    cluster: cluster as i64,
                    cluster_started: self.cluster_started[cluster],
                    fingerprint: item.fingerprint,
                    time: item.time,
                    evidence: None,
                };
                if !within_window(&neighbour, time, self.options.window_secs) {
                    return None;
                }
                let same_site = site.is_some() && site == item.site;
                neighbour.evidence = if self.explanations.is_some() {
                    Evidence::between(traits, &item.traits, same_site)
                } else {
                    // Nobody will read why a candidate the second stage
                    // turns down was turned down: it is dropped here, after
                    // a partial comparison.
                    let distance = (item.fingerprint ^ fingerprint).count_ones();
                    let options = &self.options;
                    Evidence::accepted(traits, &item.traits, same_site, distance, options)?
                };
                Some(neighbour)
            })
            .collect()
    }

    /// Items within the radius of `fingerprint`, and items sharing
    /// shingle keys with its sketch, each once, ascending.
    fn candidates(&self, fingerprint: u64, traits: &Traits) -> Vec<u32> {
        let mut ids = Vec::new();
        self.index.for_each_match(fingerprint, |id, _| ids.push(id));
        self.shingles
            .for_each_candidate(traits.keys(), |id| ids.push(id));
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The cluster item number `item` is in now, after any merges since it
    /// was added.
    pub fn cluster_of(&self, item: usize) -> usize {
        self.find(self.items[item].cluster)
    }

    fn find(&self, mut cluster: usize) -> usize {
        while self.merged_into[cluster] != cluster {
            cluster = self.merged_into[cluster];
        }
        cluster
    }
}

/// The decision for one item, and the nearest miss when it starts a
/// cluster.
fn explain(
    same_url: &[(i64, i64)],
    simhash: Simhash,
    time: Option<i64>,
    neighbours: &[Neighbour],
    options: MatchOptions,
) -> Explanation {
    let decision = decide(
        same_url.first().copied(),
        Some(simhash),
        time,
        neighbours.iter().copied(),
        options,
    );
    let query = simhash.fingerprint.0;
    let nearest_rejected = matches!(decision, Decision::New)
        .then(|| {
            neighbours
                .iter()
                .map(|n| (n.item, (n.fingerprint ^ query).count_ones(), n.evidence))
                .max_by_key(|&(item, distance, evidence)| {
                    let e = evidence.unwrap_or_default();
                    (
                        e.resemblance.max(e.containment),
                        std::cmp::Reverse((distance, item)),
                    )
                })
        })
        .flatten();
    Explanation {
        decision,
        nearest_rejected,
        candidates: neighbours.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::Fingerprint;

    fn s(fp: u64) -> Simhash {
        Simhash {
            fingerprint: Fingerprint(fp),
            features: 50,
        }
    }

    #[test]
    fn items_join_by_url_or_fingerprint_in_order() {
        let mut c = BatchClusterer::new(MatchOptions::default());
        assert_eq!(
            c.add(s(0), Traits::default(), None, Some("https://a/1"), Some(0)),
            0
        );
        assert_eq!(
            c.add(s(0b11), Traits::default(), None, None, Some(10)),
            0,
            "within 3 bits"
        );
        assert_eq!(
            c.add(
                s(u64::MAX),
                Traits::default(),
                None,
                Some("https://a/1"),
                Some(20)
            ),
            0,
            "same URL"
        );
        assert_eq!(
            c.add(s(u64::MAX - 1), Traits::default(), None, None, Some(25)),
            0,
            "near a member that joined by URL"
        );
        assert_eq!(
            c.add(
                s(0xffff_0000_ffff_0000),
                Traits::default(),
                None,
                None,
                Some(30)
            ),
            1,
            "far: a new cluster"
        );
        assert_eq!(c.add(s(0b1111), Traits::default(), None, None, Some(40)), 0);
        let short = Simhash {
            fingerprint: Fingerprint(0),
            features: 1,
        };
        assert_eq!(
            c.add(short, Traits::default(), None, None, Some(50)),
            2,
            "too short to match"
        );
        assert_eq!(
            c.add(s(0), Traits::default(), None, None, Some(10 * 86_400)),
            3,
            "outside the window"
        );
    }

    /// The clusters of `fps` (fingerprint, canonical URL) added in `order`,
    /// as sets of input positions.
    fn partition(fps: &[(u64, Option<&str>)], order: &[usize]) -> Vec<Vec<usize>> {
        let mut c = BatchClusterer::new(MatchOptions::default());
        for &i in order {
            c.add(
                s(fps[i].0),
                Traits::default(),
                None,
                fps[i].1,
                Some(i as i64),
            );
        }
        let mut clusters: HashMap<usize, Vec<usize>> = HashMap::new();
        for (at, &i) in order.iter().enumerate() {
            clusters.entry(c.cluster_of(at)).or_default().push(i);
        }
        let mut clusters: Vec<Vec<usize>> = clusters.into_values().collect();
        for members in &mut clusters {
            members.sort_unstable();
        }
        clusters.sort();
        clusters
    }

    #[test]
    fn bridges_merge_clusters_whatever_the_order() {
        const Y: u64 = 0xfedc_ba98_7654_3210;
        let fps = [
            // A chain whose ends are 16 bits apart.
            (0, None),
            (0xff, None),
            (0xffff, None),
            // Same link, different text; then a copy of the second text.
            (0x0123_4567_89ab_cdef, Some("https://w/1")),
            (Y, Some("https://w/1")),
            (Y ^ 0b111, None),
            // Equidistant from two items 14 bits apart.
            (0x0f0f_0f0f_0f0f_0f0f ^ 0x7f, None),
            (0x0f0f_0f0f_0f0f_0f0f, None),
            (0x0f0f_0f0f_0f0f_0f0f ^ 0x3fff, None),
        ];
        let want = vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8]];
        let mut order: Vec<usize> = (0..fps.len()).collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..200 {
            for i in (1..order.len()).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                order.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            assert_eq!(partition(&fps, &order), want, "order {order:?}");
        }
    }
}
