//! Clustering a list of items in memory, in order, with the daemon's rules:
//! what `feedfold dedup` runs, and what evaluations measure.

use std::collections::HashMap;

use super::cluster::{MatchOptions, Neighbour, decide};
use super::index::BandIndex;
use super::simhash::Simhash;

/// Items clustered so far. Item and cluster numbers are positions in input order.
#[derive(Debug)]
pub struct BatchClusterer {
    options: MatchOptions,
    index: BandIndex,
    items: Vec<BatchItem>,
    /// Start time of each cluster (undated: last in tie-breaks).
    cluster_started: Vec<i64>,
    by_url: HashMap<String, usize>,
}

#[derive(Debug, Clone, Copy)]
struct BatchItem {
    cluster: usize,
    fingerprint: u64,
    time: Option<i64>,
}

impl BatchClusterer {
    /// An empty clusterer.
    pub fn new(options: MatchOptions) -> BatchClusterer {
        BatchClusterer {
            options,
            index: BandIndex::new(options.distance),
            items: Vec::new(),
            cluster_started: Vec::new(),
            by_url: HashMap::new(),
        }
    }

    /// Adds the next item and returns the number of the cluster it joins
    /// (a new cluster's number is the count of clusters before it). Undated
    /// items (`time = None`) are compared with every other item.
    pub fn add(
        &mut self,
        simhash: Simhash,
        canonical_url: Option<&str>,
        time: Option<i64>,
    ) -> usize {
        let window = self.options.window_secs;
        let same_url = canonical_url
            .and_then(|u| self.by_url.get(u))
            .map(|&i| (i as i64, self.items[i].cluster))
            .filter(|&(_, c)| {
                time.is_none_or(|t| self.cluster_started[c] >= t.saturating_sub(window))
            })
            .map(|(i, c)| (i, c as i64));
        let mut neighbours = Vec::new();
        if same_url.is_none() && simhash.usable() && self.options.distance > 0 {
            self.index.for_each_match(simhash.fingerprint.0, |id, _| {
                let item = self.items[id as usize];
                neighbours.push(Neighbour {
                    item: i64::from(id),
                    cluster: item.cluster as i64,
                    cluster_started: self.cluster_started[item.cluster],
                    fingerprint: item.fingerprint,
                    time: item.time,
                });
            });
        }
        let decision = decide(same_url, Some(simhash), time, neighbours, self.options);
        let cluster = match decision.cluster() {
            Some(c) => c as usize,
            None => {
                self.cluster_started.push(time.unwrap_or(i64::MAX));
                self.cluster_started.len() - 1
            }
        };
        let id = self.items.len();
        self.items.push(BatchItem {
            cluster,
            fingerprint: simhash.fingerprint.0,
            time,
        });
        if simhash.usable() {
            self.index.insert(simhash.fingerprint.0, id as u32);
        }
        if let Some(url) = canonical_url {
            self.by_url.entry(url.to_owned()).or_insert(id);
        }
        cluster
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
        assert_eq!(c.add(s(0), Some("https://a/1"), Some(0)), 0);
        assert_eq!(c.add(s(0b11), None, Some(10)), 0, "within 3 bits");
        assert_eq!(
            c.add(s(u64::MAX), Some("https://a/1"), Some(20)),
            0,
            "same URL"
        );
        assert_eq!(
            c.add(s(u64::MAX - 1), None, Some(25)),
            0,
            "near a member that joined by URL"
        );
        assert_eq!(
            c.add(s(0xffff_0000_ffff_0000), None, Some(30)),
            1,
            "far: a new cluster"
        );
        assert_eq!(c.add(s(0b1111), None, Some(40)), 0);
        let short = Simhash {
            fingerprint: Fingerprint(0),
            features: 1,
        };
        assert_eq!(c.add(short, None, Some(50)), 2, "too short to match");
        assert_eq!(
            c.add(s(0), None, Some(10 * 86_400)),
            3,
            "outside the window"
        );
    }
}
