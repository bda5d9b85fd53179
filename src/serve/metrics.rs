//! `/metrics`: Prometheus (OpenMetrics text) counters of what the daemon does.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// How one fetch ended, as the `result` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchResult {
    /// New content was parsed and stored.
    Ok,
    /// The server answered 304.
    NotModified,
    /// Anything failed.
    Error,
    /// Not tried: the site asked us (Retry-After) to wait longer than a
    /// request may. Neither a failure nor a recovery.
    Deferred,
}

impl FetchResult {
    fn label(self) -> &'static str {
        match self {
            FetchResult::Ok => "ok",
            FetchResult::NotModified => "not_modified",
            FetchResult::Error => "error",
            FetchResult::Deferred => "deferred",
        }
    }
}

/// The daemon's metrics. Shared behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    fetches: Family<Vec<(String, String)>, Counter>,
    articles: Family<Vec<(String, String)>, Counter>,
    fetch_seconds: Histogram,
    entries: Counter,
    clusters: Counter,
    merged: Counter,
    failing_sources: Gauge,
    last_publish: Gauge<f64, AtomicU64>,
    prunes: Family<Vec<(String, String)>, Counter>,
    last_prune: Gauge<f64, AtomicU64>,
    pushes: Family<Vec<(String, String)>, Counter>,
    event_passes: Family<Vec<(String, String)>, Counter>,
    event_pass_seconds: Gauge<f64, AtomicU64>,
    stories_in_events: Gauge,
    failing: Mutex<HashSet<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// All metrics at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("feedfold");
        let fetches = Family::<Vec<(String, String)>, Counter>::default();
        registry.register(
            "fetches",
            "Fetches by result (ok, not_modified, error)",
            fetches.clone(),
        );
        let articles = Family::<Vec<(String, String)>, Counter>::default();
        registry.register(
            "articles",
            "Article pages for teaser entries, by result (scraped, cached, failed) and winning strategy",
            articles.clone(),
        );
        let fetch_seconds = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        registry.register(
            "fetch_duration_seconds",
            "Time per source pass",
            fetch_seconds.clone(),
        );
        let entries = Counter::default();
        registry.register("entries_ingested", "New entries stored", entries.clone());
        let clusters = Counter::default();
        registry.register(
            "clusters_formed",
            "New entries that started a story",
            clusters.clone(),
        );
        let merged = Counter::default();
        registry.register(
            "items_merged",
            "New entries folded into an existing story",
            merged.clone(),
        );
        let failing_sources = Gauge::default();
        registry.register(
            "sources_failing",
            "Sources whose last fetch failed",
            failing_sources.clone(),
        );
        let last_publish = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "last_publish_timestamp_seconds",
            "When the feeds were last rendered",
            last_publish.clone(),
        );
        let prunes = Family::<Vec<(String, String)>, Counter>::default();
        registry.register(
            "prunes",
            "Retention runs by result (ok, error); one that fails every run means the store grows",
            prunes.clone(),
        );
        let last_prune = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "last_prune_success_timestamp_seconds",
            "When a retention run last finished without error",
            last_prune.clone(),
        );
        let pushes = Family::<Vec<(String, String)>, Counter>::default();
        registry.register(
            "websub_pushes",
            "WebSub content pushed by hubs, by result (accepted, bad_signature, unknown, busy)",
            pushes.clone(),
        );
        let event_passes = Family::<Vec<(String, String)>, Counter>::default();
        registry.register(
            "event_passes",
            "Events passes (related coverage) this daemon ran, by result (ok, error)",
            event_passes.clone(),
        );
        let event_pass_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "event_pass_duration_seconds",
            "How long the last events pass took",
            event_pass_seconds.clone(),
        );
        let stories_in_events = Gauge::default();
        registry.register(
            "stories_in_events",
            "Recent stories the last events pass found in an event with others",
            stories_in_events.clone(),
        );
        Metrics {
            registry,
            pushes,
            event_passes,
            event_pass_seconds,
            stories_in_events,
            prunes,
            last_prune,
            fetches,
            articles,
            fetch_seconds,
            entries,
            clusters,
            merged,
            failing_sources,
            last_publish,
            failing: Mutex::new(HashSet::new()),
        }
    }

    /// Records one WebSub push: `accepted` (ingested), `bad_signature`
    /// (discarded), `unknown` (no such subscription) or `busy` (refused
    /// for now, the hub retries).
    pub fn record_push(&self, result: &str) {
        self.pushes
            .get_or_create(&vec![("result".to_owned(), result.to_owned())])
            .inc();
    }

    /// Records one article page: `result` is `scraped`, `cached` or
    /// `failed`; `strategy` the extraction strategy that won, if any.
    pub fn record_article(&self, result: &str, strategy: Option<&str>) {
        let labels = vec![
            ("result".to_owned(), result.to_owned()),
            ("strategy".to_owned(), strategy.unwrap_or("none").to_owned()),
        ];
        self.articles.get_or_create(&labels).inc();
    }

    /// Records one source pass: how it ended, how long it took, what it stored.
    pub fn record_fetch(
        &self,
        source: &str,
        result: FetchResult,
        seconds: f64,
        new: u64,
        merged: u64,
    ) {
        self.fetches
            .get_or_create(&vec![("result".to_owned(), result.label().to_owned())])
            .inc();
        self.fetch_seconds.observe(seconds);
        self.entries.inc_by(new);
        self.merged.inc_by(merged);
        self.clusters.inc_by(new.saturating_sub(merged));
        // A poisoned lock only means another thread panicked mid-update; the
        // set itself is still usable.
        let mut failing = self.failing.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            FetchResult::Error => {
                failing.insert(source.to_owned());
            }
            FetchResult::Deferred => {}
            FetchResult::Ok | FetchResult::NotModified => {
                failing.remove(source);
            }
        }
        self.failing_sources.set(failing.len() as i64);
    }

    /// Records that the feeds were rendered at `unix_seconds`.
    pub fn published(&self, unix_seconds: f64) {
        self.last_publish.set(unix_seconds);
    }

    /// Records one retention run this daemon made, finished at
    /// `unix_seconds`.
    pub fn pruned(&self, ok: bool, unix_seconds: f64) {
        let result = if ok { "ok" } else { "error" };
        self.prunes
            .get_or_create(&vec![("result".to_owned(), result.to_owned())])
            .inc();
        if ok {
            self.last_prune.set(unix_seconds);
        }
    }

    /// Records one events pass this daemon ran, which took `seconds` and,
    /// when it succeeded, found `grouped` recent stories in events.
    pub fn events_passed(&self, grouped: Option<usize>, seconds: f64) {
        let result = if grouped.is_some() { "ok" } else { "error" };
        self.event_passes
            .get_or_create(&vec![("result".to_owned(), result.to_owned())])
            .inc();
        self.event_pass_seconds.set(seconds);
        if let Some(n) = grouped {
            self.stories_in_events
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_gauges_show_up_in_the_text() {
        let m = Metrics::new();
        m.record_fetch("a", FetchResult::Ok, 0.02, 5, 2);
        m.record_fetch("b", FetchResult::Error, 1.5, 0, 0);
        m.record_fetch("c", FetchResult::NotModified, 0.01, 0, 0);
        m.published(1_795_000_000.0);
        m.pruned(true, 1_795_000_100.0);
        m.pruned(false, 1_795_000_200.0);
        m.events_passed(Some(12), 0.25);
        let text = m.encode();
        for line in [
            "feedfold_fetches_total{result=\"ok\"} 1",
            "feedfold_fetches_total{result=\"error\"} 1",
            "feedfold_entries_ingested_total 5",
            "feedfold_items_merged_total 2",
            "feedfold_clusters_formed_total 3",
            "feedfold_sources_failing 1",
            "feedfold_fetch_duration_seconds_count 3",
            "feedfold_prunes_total{result=\"ok\"} 1",
            "feedfold_prunes_total{result=\"error\"} 1",
            "feedfold_last_prune_success_timestamp_seconds 1795000100",
            "feedfold_event_passes_total{result=\"ok\"} 1",
            "feedfold_event_pass_duration_seconds 0.25",
            "feedfold_stories_in_events 12",
        ] {
            assert!(text.contains(line), "{line} missing:\n{text}");
        }
        m.record_fetch("b", FetchResult::Deferred, 0.0, 0, 0);
        let text = m.encode();
        assert!(
            text.contains("feedfold_fetches_total{result=\"deferred\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("feedfold_sources_failing 1"),
            "a deferral changes nothing"
        );
        m.record_fetch("b", FetchResult::Ok, 0.1, 0, 0);
        assert!(m.encode().contains("feedfold_sources_failing 0"));
    }
}
