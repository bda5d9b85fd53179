//! The events pass: groups the recent stories into events (related
//! coverage) and records each story's event in the store.
//!
//! A pass reads every story the feeds may show (`output.window`) and those
//! one event window older (newest first, [`MAX_EVENT_STORIES`] at most),
//! learns document frequencies from the newest [`DF_SAMPLE`] of them, groups
//! them with [`crate::events::group::group_profiles`] (an outcome that does
//! not depend on arrival order) and writes only the rows that changed.
//! Stories older than that keep the event the last pass gave them. The
//! daemon runs it when the store changed, on one daemon at a time;
//! `feedfold fetch` after its pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use crate::events::group::{Story, group_profiles};
use crate::events::idf::DocFreq;
use crate::events::parallel;
use crate::events::score::Profile;
use crate::events::terms::{Terms, terms};
use crate::events::{EventOptions, Grouping};
use crate::serve::Metrics;
use crate::store::{EVENT_STORIES_CHUNK, EventRow, EventStory, Store, StoreError};

/// Most stories one pass reads (the newest): bounds its memory (each
/// story's top-term profile, ~2 KB, while it runs) and time.
pub const MAX_EVENT_STORIES: usize = 20_000;

/// Stories whose terms document frequencies are learnt from: the newest
/// this many of a pass (all of them in a pass this size or smaller, as
/// `feedfold dedup --events` learns from all its input). Holding their
/// term counts costs ~5 KB a story while the pass reads.
pub const DF_SAMPLE: usize = 5_000;

/// Stories to a unit of parallel work while reading.
const STORIES_PER_BLOCK: usize = 16;

/// Shared terms kept per link, for `explain`.
const KEPT_TERMS: usize = 8;

/// How often the daemon looks whether the store changed since its last
/// events pass (another daemon sharing it may have changed it); its own
/// changes ask for a pass at once.
pub(super) const EVENTS_EVERY: Duration = Duration::from_secs(60);

/// Least time between the starts of two events passes of one daemon.
pub(super) const EVENTS_GAP: Duration = Duration::from_secs(15);

/// Least time between the starts of two events passes after one that took
/// `took`: [`EVENTS_GAP`], or ten times the pass, so that a daemon whose
/// store keeps changing spends at most a tenth of its time on events.
pub(super) fn gap_after(took: Duration) -> Duration {
    EVENTS_GAP.max(took * 10)
}

/// How long a daemon's claim on the events pass lasts if it dies mid-run.
const EVENTS_LEASE_SECS: i64 = 900;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventsReport {
    /// Stories read.
    pub stories: usize,
    /// Of those, stories in an event with others.
    pub grouped: usize,
    /// Events with two stories or more.
    pub events: usize,
    /// Stories whose event changed (rows written or removed).
    pub changed: usize,
    /// Candidate pairs scored.
    pub scored: usize,
    /// Whether [`MAX_EVENT_STORIES`] cut the stories read.
    pub capped: bool,
    /// Time reading the stories and counting their terms.
    pub read: Duration,
    /// Time scoring candidate pairs and grouping.
    pub grouping: Duration,
    /// Time writing the rows that changed.
    pub write: Duration,
}

/// Runs one events pass as of `now` over the stories of `store` that the
/// feeds may show (`served_secs`, the `output.window`) and those one event
/// window older, whose stories they may share an event with.
pub async fn events_pass(
    store: &Store,
    options: EventOptions,
    served_secs: i64,
    now: i64,
) -> Result<EventsReport, StoreError> {
    if !options.enabled {
        return Ok(EventsReport::default());
    }
    let since = now
        .saturating_sub(served_secs)
        .saturating_sub(options.window_secs);
    let started = Instant::now();
    let collected = read_stories(store, since).await?;
    let read = started.elapsed();
    let (ids, rows, mut report) = tokio::task::spawn_blocking(move || collected.group(&options))
        .await
        .map_err(|e| StoreError::Shared(format!("events pass stopped: {e}")))?;
    report.capped = report.stories >= MAX_EVENT_STORIES;
    report.read = read;
    report.grouping = started.elapsed() - read;
    report.changed = store.write_events(&ids, &rows, now).await?;
    report.write = started.elapsed() - read - report.grouping;
    Ok(report)
}

/// Reads the stories of a pass, newest first, and makes their profiles.
/// The database reads the next chunk while a blocking thread counts the
/// terms of the last one on every core.
async fn read_stories(store: &Store, since: i64) -> Result<Collected, StoreError> {
    let ids = store.event_story_ids(since, MAX_EVENT_STORIES).await?;
    // `None` says the read is complete: a read that fails midway drops the
    // sender without it, and the counting stops without weighing anything.
    let (chunks, mut next) = tokio::sync::mpsc::channel::<Option<Vec<EventStory>>>(2);
    let counting = tokio::task::spawn_blocking(move || {
        let mut collected = Collected::default();
        while let Some(message) = next.blocking_recv() {
            match message {
                Some(chunk) => collected.add(chunk),
                None => {
                    collected.settle();
                    return Some(collected);
                }
            }
        }
        None
    });
    let stopped = |why: String| StoreError::Shared(format!("events pass stopped: {why}"));
    for chunk in ids.chunks(EVENT_STORIES_CHUNK) {
        let stories = store.event_stories(chunk).await?;
        if chunks.send(Some(stories)).await.is_err() {
            break;
        }
    }
    // An error here means the counting thread is gone; its join says why.
    let _ = chunks.send(None).await;
    counting
        .await
        .map_err(|e| stopped(e.to_string()))?
        .ok_or_else(|| stopped("the term counting ended early".into()))
}

/// The stories of one pass as profiles. Document frequencies are learnt
/// from the newest [`DF_SAMPLE`] stories, whose terms are held until then;
/// every later story is weighed as it streams in, so only profiles (top
/// terms) are held, never all the term counts of 20,000 articles (a
/// 5,000-character article has ~400 distinct terms).
#[derive(Default)]
struct Collected {
    df: DocFreq,
    /// The sample's stories and terms, until it is complete.
    sample: Vec<(EventStory, Terms)>,
    /// Whether the document frequencies are final.
    settled: bool,
    ids: Vec<i64>,
    stories: Vec<Story>,
    profiles: Vec<Profile>,
}

impl Collected {
    /// Adds a chunk of stories, newest first.
    fn add(&mut self, chunk: Vec<EventStory>) {
        // Words only: markup is read without a parser (a tenth of the cost
        // of the DOM `extract::html_to_text` builds).
        let counted = parallel::map(&chunk, STORIES_PER_BLOCK, |s| {
            terms(&s.title, &crate::text::markup::text(&s.body))
        });
        let mut chunk = chunk.into_iter().zip(counted);
        while !self.settled {
            let Some((mut story, t)) = chunk.next() else {
                return;
            };
            self.df.add(t.counts.iter().map(|(term, _)| term));
            story.body = String::new();
            self.sample.push((story, t));
            if self.sample.len() >= DF_SAMPLE {
                self.settle();
            }
        }
        let rest: Vec<(EventStory, Terms)> = chunk.collect();
        self.push_all(rest);
    }

    /// Fixes the document frequencies and weighs the sample by them.
    fn settle(&mut self) {
        if self.settled {
            return;
        }
        self.settled = true;
        let sample = std::mem::take(&mut self.sample);
        self.push_all(sample);
    }

    /// Weighs stories by the settled document frequencies, in order.
    fn push_all(&mut self, stories: Vec<(EventStory, Terms)>) {
        let df = &self.df;
        let profiles = parallel::map(&stories, STORIES_PER_BLOCK, |(story, t)| {
            Profile::new(t, df, story.published, story.sources.clone())
        });
        self.profiles.extend(profiles);
        for (story, _) in stories {
            self.ids.push(story.id);
            self.stories.push(Story {
                key: story.key,
                title: String::new(),
                body: String::new(),
                time: story.published,
                sources: Vec::new(),
            });
        }
    }

    /// The stories' ids, a row for each story in an event with others, and
    /// the report's counts.
    fn group(self, options: &EventOptions) -> (Vec<i64>, Vec<EventRow>, EventsReport) {
        let grouping = group_profiles(&self.stories, &self.profiles, options);
        let rows = rows(&self.ids, &grouping);
        let mut named: Vec<i64> = rows.iter().map(|r| r.event).collect();
        named.sort_unstable();
        named.dedup();
        let report = EventsReport {
            stories: self.ids.len(),
            grouped: rows.len(),
            events: named.len(),
            scored: grouping.scored,
            ..EventsReport::default()
        };
        (self.ids, rows, report)
    }
}

/// A row for every story in an event with others.
fn rows(ids: &[i64], grouping: &Grouping) -> Vec<EventRow> {
    (0..ids.len())
        .filter_map(|i| {
            let (other, s) = grouping.link[i].as_ref()?;
            Some(EventRow {
                story: ids[i],
                event: ids[grouping.event[i]],
                linked: ids[*other],
                score: s.value,
                cosine: s.cosine,
                title: s.title,
                same_source: s.same_source,
                gap_secs: s.gap_secs,
                terms: s.shared.iter().take(KEPT_TERMS).copied().collect(),
            })
        })
        .collect()
}

/// One events pass in the daemon, unless the store has not changed since
/// the last one (`seen`: its change counter then) or another daemon
/// sharing it is running one. Returns whether any story's event changed.
pub(super) async fn events_once(
    store: Store,
    options: EventOptions,
    served_secs: i64,
    seen: Arc<AtomicI64>,
    metrics: Arc<Metrics>,
) -> bool {
    let Ok(version) = store.version().await else {
        return false;
    };
    if !options.enabled || seen.load(Ordering::Relaxed) == version {
        return false;
    }
    let now = chrono::Utc::now().timestamp();
    // The claim only keeps two daemons from running passes at once; each
    // runs after its own changes (the outcome is the same either way).
    match store.claim_task("events", now, 0, EVENTS_LEASE_SECS).await {
        Ok(true) => {}
        Ok(false) => return false,
        Err(error) => {
            tracing::warn!(%error, "events: could not claim the events pass; trying at the next one");
            return false;
        }
    }
    let started = Instant::now();
    let run = events_pass(&store, options, served_secs, now).await;
    let grouped = run.as_ref().ok().map(|r| r.grouped);
    metrics.events_passed(grouped, started.elapsed().as_secs_f64());
    let changed = match run {
        Ok(report) => {
            log_report(&report, started.elapsed());
            // What this pass wrote moved the counter by one: that is no
            // news. Anything else that moved it is, at the next look.
            let settled = version + i64::from(report.changed > 0);
            seen.store(settled, Ordering::Relaxed);
            report.changed > 0
        }
        Err(error) => {
            tracing::error!(%error, "events: the pass failed; related coverage stays as it was");
            false
        }
    };
    if let Err(error) = store.release_task("events").await {
        tracing::debug!(%error, "events: could not release the claim; it lapses");
    }
    changed
}

fn log_report(report: &EventsReport, took: Duration) {
    let ms = took.as_millis() as u64;
    if report.capped {
        tracing::warn!(
            stories = report.stories,
            "events: more recent stories than one pass reads; the oldest were left out"
        );
    }
    if report.changed > 0 {
        tracing::info!(
            stories = report.stories,
            events = report.events,
            grouped = report.grouped,
            changed = report.changed,
            ms,
            "events: related coverage updated"
        );
    } else {
        tracing::debug!(
            stories = report.stories,
            scored = report.scored,
            ms,
            "events: nothing changed"
        );
    }
}
