//! One source, once: fetch, parse, store, and record how it went. Used by the
//! daemon's scheduler and by `feedfold fetch`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, Semaphore};

use super::DaemonError;
use super::scrape::Scraper;
use crate::config::{Config, Source, SourceKind};
use crate::dedup::template::{Templates, page_keys_of};
use crate::dedup::{FeatureOptions, Fingerprinter, MatchOptions, TitleRules};
use crate::extract::html_to_text;
use crate::fetch::{FetchError, FetchOptions, Fetched, Fetcher, Profile, Validators};
use crate::filter::{Fields, Filter};
use crate::schedule::{backoff, slot};
use crate::serve::websub::Push;
use crate::serve::{FetchResult, Metrics};
use crate::source::hubs::{self, DocLinks};
use crate::source::{self, Entry, SourceError};
use crate::store::{
    Advertised, Batch, Claim, Failure, FetchState, Incoming, IngestReport, LeaseRequest, PageLines,
    SourceRecord, Store, StoreError, StoreOptions, Success,
};
use crate::text::charset;

/// How often a claim that found the source's row locked is tried in all,
/// and how long apart.
const BUSY_TRIES: u32 = 5;
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// After the database failed a pass, how long until the source is tried
/// again. The source did nothing wrong, so this is not its backoff.
const STORE_RETRY_SECS: u64 = 10;

/// Why one source's pass failed.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    /// The source is not in the config (or is disabled).
    #[error("no enabled source named {0:?}")]
    UnknownSource(String),
    /// Its URL cannot be used.
    #[error("bad source URL: {0}")]
    Url(String),
    /// Downloading failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The document could not be read as entries.
    #[error(transparent)]
    Parse(#[from] SourceError),
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The parser task died.
    #[error("parser task failed: {0}")]
    Task(String),
}

/// How one source's pass ended.
#[derive(Debug)]
pub struct PassOutcome {
    /// The source's name.
    pub source: String,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// What was stored, or why nothing was.
    pub result: Result<IngestReport, PassError>,
    /// Wall time of the whole pass.
    pub elapsed: std::time::Duration,
    /// Not to run again before this (backoff, `Retry-After`, `max-age`).
    pub not_before: Option<DateTime<Utc>>,
    /// The source answered 410 Gone and is no longer fetched.
    pub gone: bool,
}

/// A scheduled run of one source, which daemons sharing a database claim
/// before they run it (see `store::leases`).
#[derive(Debug)]
pub enum Scheduled {
    /// This daemon won the claim and ran the pass.
    Ran(PassOutcome),
    /// Not run here.
    Skipped {
        /// The source's name.
        source: String,
        /// What the claim found (`Busy` also when the claim itself failed).
        claim: Claim,
    },
}

impl Scheduled {
    /// The source's name.
    pub fn source(&self) -> &str {
        match self {
            Scheduled::Ran(outcome) => &outcome.source,
            Scheduled::Skipped { source, .. } => source,
        }
    }

    /// The pass's outcome, if this daemon ran it.
    pub fn ran(self) -> Option<PassOutcome> {
        match self {
            Scheduled::Ran(outcome) => Some(outcome),
            Scheduled::Skipped { .. } => None,
        }
    }
}

/// What a pass decided about the source's future, beside its result.
#[derive(Debug, Default)]
struct Verdict {
    status: Option<u16>,
    not_before: Option<i64>,
    gone: bool,
}

/// Everything a pass needs, shared by all of them.
#[derive(Debug, Clone)]
pub struct Pipeline {
    config: Arc<Config>,
    store: Store,
    fetcher: Fetcher,
    scraper: Scraper,
    ids: Arc<std::collections::HashMap<String, i64>>,
    /// Where each enabled source is in `config.sources`, by name: every
    /// pass looks its source up, and a scan per pass made a pass over
    /// 5,000 sources compare 25 million names.
    enabled: Arc<std::collections::HashMap<String, usize>>,
    /// Passes running at once. Thousands of due sources must queue here, not
    /// in the database pool, where waiting has a timeout and fails the pass.
    passes: Arc<Semaphore>,
    /// Shared with every document's fingerprinter: the rules are ~80 strings.
    title_rules: Arc<TitleRules>,
    metrics: Arc<Metrics>,
    /// Woken when a source's feed names a hub we should subscribe to.
    websub_wake: Arc<Notify>,
}

/// A document read as a source's entries.
struct Document {
    /// A feed's own title.
    title: Option<String>,
    entries: Vec<Entry>,
    /// A feed's WebSub hub and self links.
    links: DocLinks,
}

impl Pipeline {
    /// Opens the database, records the configured sources and builds the client.
    pub async fn new(config: Arc<Config>) -> Result<Pipeline, DaemonError> {
        let store = Store::open_with(&config.database_url(), store_options(&config)).await?;
        let metrics = Arc::new(Metrics::new());
        Pipeline::with_store(config, store, metrics, Arc::default()).await
    }

    /// The same database under a new config (SIGHUP).
    pub async fn reconfigured(&self, config: Arc<Config>) -> Result<Pipeline, DaemonError> {
        let (store, metrics) = (self.store.clone(), self.metrics.clone());
        Pipeline::with_store(config, store, metrics, self.websub_wake.clone()).await
    }

    async fn with_store(
        config: Arc<Config>,
        store: Store,
        metrics: Arc<Metrics>,
        websub_wake: Arc<Notify>,
    ) -> Result<Pipeline, DaemonError> {
        let records: Vec<SourceRecord> = config
            .sources
            .iter()
            .map(|s| SourceRecord {
                name: s.name.clone(),
                url: config
                    .source_url(s)
                    .map_or_else(|_| String::new(), |u| u.to_string()),
                priority: s.priority,
                groups: s.groups.clone(),
                enabled: s.enabled,
            })
            .collect();
        let ids = Arc::new(store.sync_sources(&records).await?);
        let fetcher = Fetcher::new(&FetchOptions::from_config(&config))?;
        let passes = Arc::new(Semaphore::new(config.daemon.concurrency.get()));
        let title_rules = Arc::new(TitleRules::with_extra(
            &config.dedup.title_prefixes,
            &config.dedup.title_sites,
        ));
        let scraper = Scraper::new(fetcher.clone(), store.clone(), &config, metrics.clone());
        let mut enabled = std::collections::HashMap::new();
        for (i, source) in config.sources.iter().enumerate().filter(|(_, s)| s.enabled) {
            // The first of a name, as a scan finds it (a parsed config
            // has no two).
            enabled.entry(source.name.clone()).or_insert(i);
        }
        Ok(Pipeline {
            config,
            store,
            fetcher,
            scraper,
            ids,
            enabled: Arc::new(enabled),
            passes,
            title_rules,
            metrics,
            websub_wake,
        })
    }

    /// The enabled source of that name in the config.
    pub(crate) fn enabled_source(&self, name: &str) -> Option<&Source> {
        self.enabled.get(name).map(|&i| &self.config.sources[i])
    }

    /// The HTTP client.
    pub(crate) fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// Notified when a WebSub subscription became due.
    pub(crate) fn websub_wake(&self) -> &Arc<Notify> {
        &self.websub_wake
    }

    /// The row id of the source `name`.
    pub(crate) fn source_id(&self, name: &str) -> Option<i64> {
        self.ids.get(name).copied()
    }

    /// The configuration this pipeline runs.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The metrics every pass records into.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Runs one source now, whatever its schedule and whoever else might be
    /// running it, and logs one line about it.
    pub async fn run_source(&self, name: &str) -> PassOutcome {
        // Never closed, so this only fails if it were; then run unthrottled.
        let _pass = self.passes.acquire().await.ok();
        Box::pin(self.run_pass(name, None)).await
    }

    /// Runs one source for its current scheduled time, if this daemon wins
    /// the claim for it; renews the claim while the pass lasts.
    pub async fn run_scheduled(&self, name: &str) -> Scheduled {
        // Claim only once a pass slot is free: a claim must not lapse while
        // its source queues behind thousands of others.
        let _pass = self.passes.acquire().await.ok();
        // The pass's state lives on the heap only once it runs: a task per
        // due source is spawned at once, and its whole pass inline (3 KB)
        // made 14 MB of waiting tasks for 5,000 sources.
        Box::pin(self.run_claimed(name)).await
    }

    async fn run_claimed(&self, name: &str) -> Scheduled {
        let Some(id) = self.ids.get(name).copied() else {
            // The pass reports the unknown source.
            return Scheduled::Ran(self.run_pass(name, None).await);
        };
        match self.claim(name, id).await {
            Ok(state) => Scheduled::Ran(self.run_leased(name, id, state).await),
            Err(claim) => {
                tracing::debug!(source = name, ?claim, "not run here");
                Scheduled::Skipped {
                    source: name.to_owned(),
                    claim,
                }
            }
        }
    }

    /// Claims a source's current slot: `Ok` to run it here, with its fetch
    /// state when the claim read it (a source not in the config has none;
    /// its pass reports it), `Err` with what the claim found otherwise.
    async fn claim(&self, name: &str, source_id: i64) -> Result<Option<FetchState>, Claim> {
        let Some(source) = self.enabled_source(name) else {
            return Ok(None);
        };
        let cron = source.schedule(&self.config.daemon);
        let ttl = i64::try_from(self.config.daemon.lease.0.as_secs()).unwrap_or(i64::MAX);
        for _ in 1..BUSY_TRIES {
            let now = Utc::now();
            let request = LeaseRequest {
                source_id,
                slot: slot(cron, now).timestamp(),
                now: now.timestamp(),
                ttl,
            };
            match self.store.claim_for_fetch(request).await {
                Ok(Err(Claim::Busy)) => tokio::time::sleep(BUSY_WAIT).await,
                Ok(claimed) => return claimed.map(Some),
                Err(error) => {
                    tracing::warn!(source = name, %error, "could not claim the source; trying again soon");
                    return Err(Claim::Busy);
                }
            }
        }
        Err(Claim::Busy)
    }

    /// Runs a claimed source, renewing the lease every third of its length.
    async fn run_leased(
        &self,
        name: &str,
        source_id: i64,
        state: Option<FetchState>,
    ) -> PassOutcome {
        // The renewals run beside the pass, never instead of it: a renewal
        // awaited inside a `select!` arm stops polling the pass, and on
        // SQLite the renewal waits for the write turn, which the pass may
        // hold mid-ingest; the two then waited for each other for good
        // (seen as a cold pass over 5,000 feeds stopping after 1,344).
        tokio::select! {
            outcome = self.run_pass(name, state) => outcome,
            never = self.renew_forever(name, source_id) => match never {},
        }
    }

    /// Renews a lease every third of its length until dropped.
    async fn renew_forever(&self, name: &str, source_id: i64) -> std::convert::Infallible {
        let ttl = self.config.daemon.lease.0;
        let mut renew = tokio::time::interval(ttl / 3);
        renew.tick().await;
        loop {
            renew.tick().await;
            let until = after(Utc::now().timestamp(), ttl);
            match self.store.renew(source_id, until).await {
                Ok(true) => {}
                // Harmless beyond the wasted work: storing is idempotent.
                Ok(false) => tracing::warn!(
                    source = name,
                    "lease lapsed; another daemon may run this source too"
                ),
                Err(error) => tracing::warn!(source = name, %error, "could not renew the lease"),
            }
        }
    }

    /// Runs one pass over a source; `state` is its fetch state when the
    /// claim already read it.
    async fn run_pass(&self, name: &str, state: Option<FetchState>) -> PassOutcome {
        let started = Instant::now();
        let mut verdict = Verdict::default();
        let result = self.pass(name, state, &mut verdict).await;
        let outcome = PassOutcome {
            source: name.to_owned(),
            status: verdict.status,
            result,
            elapsed: started.elapsed(),
            not_before: verdict
                .not_before
                .and_then(|t| DateTime::from_timestamp(t, 0)),
            gone: verdict.gone,
        };
        log_outcome(&outcome);
        self.record_metrics(&outcome);
        outcome
    }

    fn record_metrics(&self, outcome: &PassOutcome) {
        let (result, new, merged) = match &outcome.result {
            Ok(_) if outcome.status == Some(304) => (FetchResult::NotModified, 0, 0),
            Ok(report) => (FetchResult::Ok, report.new as u64, report.merged as u64),
            Err(PassError::Fetch(FetchError::Deferred { .. })) => (FetchResult::Deferred, 0, 0),
            Err(_) => (FetchResult::Error, 0, 0),
        };
        self.metrics.record_fetch(
            &outcome.source,
            result,
            outcome.elapsed.as_secs_f64(),
            new,
            merged,
        );
    }

    async fn pass(
        &self,
        name: &str,
        state: Option<FetchState>,
        verdict: &mut Verdict,
    ) -> Result<IngestReport, PassError> {
        let source = self
            .enabled_source(name)
            .ok_or_else(|| PassError::UnknownSource(name.into()))?;
        let id = *self
            .ids
            .get(name)
            .ok_or_else(|| PassError::UnknownSource(name.into()))?;
        let now = Utc::now().timestamp();
        let state = match state {
            Some(state) => state,
            None => self.store.fetch_state(name).await.inspect_err(|_| {
                verdict.not_before = Some(now.saturating_add(STORE_RETRY_SECS as i64));
            })?,
        };
        let result = self
            .fetch_and_store(source, id, &state.validators, &mut verdict.status)
            .await;
        let recorded = match &result {
            Ok((_, fetched, feed_title)) => {
                if let Some(to) = &fetched.moved_to {
                    tracing::warn!(source = name, %to, "moved permanently (301/308): update its url in the config");
                }
                let mut ok = success(now, fetched, self.config.fetch.backoff_max.0);
                // Written (and the feeds re-rendered) only when it changed.
                ok.feed_title = feed_title
                    .as_deref()
                    .filter(|t| state.feed_title.as_deref() != Some(*t));
                verdict.not_before = ok.fresh_until;
                self.store.record_success(id, &ok).await
            }
            Err(error) => {
                let text = error.to_string();
                let failed = self.failure(now, &state, error, verdict.status, &text);
                verdict.not_before = failed.retry_at;
                verdict.gone = failed.gone;
                self.store.record_failure(id, &failed).await
            }
        };
        // Entries already committed stay reported (so the feed is republished)
        // even if recording the fetch state failed; that failure is logged.
        if let Err(error) = recorded {
            tracing::error!(source = name, %error, "could not record the fetch state");
        }
        result.map(|(report, ..)| report)
    }

    /// How a failure is recorded: when to try again, and whether to at all.
    fn failure<'a>(
        &self,
        now: i64,
        state: &FetchState,
        error: &PassError,
        status: Option<u16>,
        text: &'a str,
    ) -> Failure<'a> {
        let fetch = &self.config.fetch;
        let asked = match error {
            PassError::Fetch(e) => e.retry_after(),
            _ => None,
        };
        let deferred = matches!(error, PassError::Fetch(FetchError::Deferred { .. }));
        // A database hiccup is not the source's fault: no backoff for it,
        // and whatever was not committed is fetched again soon.
        let database = matches!(error, PassError::Store(_));
        let failures = u32::try_from(state.error_count + 1).unwrap_or(u32::MAX);
        let wait = if database {
            std::time::Duration::from_secs(STORE_RETRY_SECS)
        } else if deferred {
            asked.unwrap_or_default()
        } else {
            backoff(failures, fetch.backoff.0, fetch.backoff_max.0).max(asked.unwrap_or_default())
        };
        Failure {
            at: now,
            status,
            error: text,
            retry_at: Some(after(now, wait)),
            gone: status == Some(410),
            counts: !deferred && !database,
        }
    }

    async fn fetch_and_store(
        &self,
        source: &Source,
        id: i64,
        validators: &Validators,
        status: &mut Option<u16>,
    ) -> Result<(IngestReport, Fetched, Option<String>), PassError> {
        let url = self.config.source_url(source).map_err(PassError::Url)?;
        let profile = Profile::for_source(&self.config, source)?;
        let fetched = if source.kind == SourceKind::Page && source.robots {
            self.fetcher.get_page(&url, validators, &profile).await
        } else {
            self.fetcher.get_with(&url, validators, &profile).await
        };
        let fetched = fetched.inspect_err(|e| *status = e.status())?;
        *status = Some(fetched.status);
        if fetched.not_modified() {
            return Ok((IngestReport::default(), fetched, None));
        }
        let (report, feed_title) = self.ingest_document(source, id, &fetched, true).await?;
        Ok((report, fetched, feed_title))
    }

    /// Stores content a WebSub hub pushed for a source, as a poll stores
    /// what it fetched: the same parsing, scraping, filters, dedup and
    /// store. The source's fetch state (validators, schedule) stays as the
    /// last poll left it.
    pub async fn ingest_push(&self, push: &Push) -> Result<IngestReport, PassError> {
        let source = self
            .enabled_source(&push.source)
            .filter(|s| s.kind == SourceKind::Feed)
            .ok_or_else(|| PassError::UnknownSource(push.source.clone()))?;
        let id = self
            .source_id(&source.name)
            .filter(|&id| id == push.source_id)
            .ok_or_else(|| PassError::UnknownSource(push.source.clone()))?;
        let url = self.config.source_url(source).map_err(PassError::Url)?;
        let fetched = Fetched {
            status: 200,
            bytes: push.body.clone(),
            content_type: push.content_type.clone(),
            validators: Validators::default(),
            final_url: url,
            moved_to: None,
            fresh_for: None,
            links: Vec::new(),
        };
        // A push's links say nothing about where to subscribe: the poll's
        // HTTP headers do, and they are not here.
        let (report, _) = self.ingest_document(source, id, &fetched, false).await?;
        Ok(report)
    }

    /// Parses `fetched` as `source`'s document and stores its entries;
    /// with `discover`, also records the WebSub hub it advertises.
    async fn ingest_document(
        &self,
        source: &Source,
        id: i64,
        fetched: &Fetched,
        discover: bool,
    ) -> Result<(IngestReport, Option<String>), PassError> {
        let document = parse_blocking(source.clone(), fetched.clone()).await?;
        if discover {
            self.note_hub(source, id, fetched, &document.links).await;
        }
        let (feed_title, entries) = (document.title, document.entries);
        let entries = self.scraper.enrich(&self.config, source, entries).await;
        let rules = self.title_rules.clone();
        // The site's template: what the store learnt from its earlier pages,
        // plus this batch's entries not stored yet (a re-fetched entry was
        // counted when it was first stored). One load per pass.
        let now = Utc::now().timestamp();
        let guids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        let stored = self.store.stored_guids(id, &guids).await?;
        let learnt = self.store.site_template(&source.name, now).await?;
        let site = source.name.clone();
        let filter = source.filter.clone();
        let (items, pages) = tokio::task::spawn_blocking(move || {
            let mut templates = Templates::default();
            templates.load(&site, learnt);
            let (mut items, pages) =
                fingerprint_with_template(entries, rules, &mut templates, &site, &stored);
            hold_filtered(&filter, &mut items);
            (items, pages)
        })
        .await
        .map_err(|e| PassError::Task(e.to_string()))?;
        let batch = Batch {
            source_id: id,
            source_name: source.name.clone(),
            items,
            now,
            options: match_options(&self.config),
            template: Some((source.name.clone(), pages)),
        };
        let report = self.store.ingest_batch(batch).await?;
        Ok((report, feed_title))
    }

    /// Records the hub `source`'s feed advertises, when subscribing is on
    /// for it, and wakes the subscriber if a subscription became due. A
    /// failure here costs the push, never the poll: it is logged.
    async fn note_hub(&self, source: &Source, id: i64, fetched: &Fetched, links: &DocLinks) {
        if !self.config.output.websub_subscribe || !source.websub || source.kind != SourceKind::Feed
        {
            return;
        }
        let header = hubs::from_link_header(&fetched.links);
        let Some(found) = hubs::discover(&header, links, &fetched.final_url) else {
            return;
        };
        let (callback_id, secret) = match (random_hex(16), random_hex(32)) {
            (Ok(id), Ok(secret)) => (id, secret),
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(source = %source.name, %error, "cannot subscribe to the WebSub hub: no random numbers");
                return;
            }
        };
        let ad = Advertised {
            hub: found.hub.as_str(),
            topic: found.topic.as_str(),
            callback_id: &callback_id,
            secret: &secret,
        };
        match self.store.note_hub(id, &ad, Utc::now().timestamp()).await {
            Ok(true) => {
                tracing::info!(source = %source.name, hub = %found.hub, topic = %found.topic, "feed advertises a WebSub hub; subscribing");
                self.websub_wake.notify_one();
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(source = %source.name, %error, "could not record the feed's WebSub hub");
            }
        }
    }
}

/// `bytes` random bytes from the operating system, as hex.
fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(hex::encode(buf))
}

/// The pool the config asks for.
fn store_options(config: &Config) -> StoreOptions {
    StoreOptions {
        max_connections: config
            .daemon
            .pool_size
            .map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX)),
        statement_timeout: Some(config.daemon.statement_timeout.0),
    }
}

/// `now` (Unix seconds) plus `wait`, saturating.
fn after(now: i64, wait: std::time::Duration) -> i64 {
    now.saturating_add(i64::try_from(wait.as_secs()).unwrap_or(i64::MAX))
}

/// How a successful fetch is recorded. A static file served with a year's
/// `max-age` must not silence its feed for a year: freshness is capped.
fn success(now: i64, fetched: &Fetched, cap: std::time::Duration) -> Success<'_> {
    Success {
        at: now,
        status: fetched.status,
        validators: &fetched.validators,
        fresh_until: fetched.fresh_for.map(|d| after(now, d.min(cap))),
        moved_to: fetched.moved_to.as_ref().map(url::Url::as_str),
        feed_title: None,
    }
}

/// Parses off the async threads: it is CPU work, and a parsed HTML tree
/// cannot cross an await.
/// Returns the entries and, for a feed, its own title and hub links.
async fn parse_blocking(source: Source, fetched: Fetched) -> Result<Document, PassError> {
    tokio::task::spawn_blocking(move || {
        let parsed = match (source.kind, &source.page) {
            (SourceKind::Page, Some(page)) => {
                let url = fetched.final_url.as_str();
                let html =
                    charset::decode(&fetched.bytes, fetched.content_type.as_deref(), Some(url));
                let entries = source::page::parse(&html, &fetched.final_url, page)?;
                if entries.is_empty() {
                    warn_no_entries(&source.name, page);
                }
                Ok(Document {
                    title: None,
                    entries,
                    links: DocLinks::default(),
                })
            }
            _ => source::feed::parse_source(
                &source.name,
                &fetched.bytes,
                fetched.content_type.as_deref(),
                fetched.final_url.as_str(),
            )
            .map(|feed| Document {
                title: feed.title,
                entries: feed.entries,
                links: feed.links,
            }),
        }?;
        Ok(parsed)
    })
    .await
    .map_err(|e| PassError::Task(e.to_string()))?
}

/// A list page that yields nothing is almost always a site redesign the
/// selectors no longer match; fetched with 200, it would otherwise pass as
/// "no news" for good.
fn warn_no_entries(name: &str, page: &crate::config::PageRules) {
    tracing::warn!(
        source = %name,
        "list page yielded no entries: [source.page] item {:?} (with link {:?}) matched nothing \
         usable; has the page changed?",
        page.item,
        page.link
    );
}

/// The text an entry is fingerprinted on: its content, else its summary.
fn body_text(entry: &Entry) -> String {
    entry
        .content
        .as_deref()
        .or(entry.summary.as_deref())
        .map(html_to_text)
        .unwrap_or_default()
}

/// Marks the items `filter` (a source's `keep`/`drop` rules) does not pass
/// as held: stored, but kept out of other stories and of the feeds.
pub fn hold_filtered(filter: &Filter, items: &mut [Incoming]) {
    if filter.is_empty() {
        return;
    }
    for item in items {
        let entry = &item.entry;
        let text = if filter.reads_text() {
            body_text(entry)
        } else {
            String::new()
        };
        let summary = entry
            .summary
            .as_deref()
            .map(html_to_text)
            .unwrap_or_default();
        let fields = Fields {
            title: &entry.title,
            link: entry.url.as_deref(),
            author: entry.author.as_deref(),
            summary: &summary,
            text: &text,
            categories: &entry.categories,
        };
        item.held = !filter.verdict(&fields).passes();
    }
}

/// The entry with the fingerprint, sketch and title key of its title and `body`.
fn fingerprinted(fingerprinter: &mut Fingerprinter, entry: Entry, body: &str) -> Incoming {
    let simhash = Some(fingerprinter.story(&entry.title, body));
    Incoming {
        entry,
        simhash,
        traits: fingerprinter.traits(),
        held: false,
    }
}

/// Each entry with the simhash of its title and body text.
pub fn fingerprint_entries(entries: Vec<Entry>, rules: TitleRules) -> Vec<Incoming> {
    let mut fingerprinter = Fingerprinter::new(rules, FeatureOptions::default());
    entries
        .into_iter()
        .map(|entry| {
            let body = body_text(&entry);
            fingerprinted(&mut fingerprinter, entry, &body)
        })
        .collect()
}

/// Each entry with the simhash of its title and body text, the body without
/// `site`'s template lines. `templates` holds what is known of the site; the
/// entries whose GUIDs are not in `stored` are new, and each is counted into
/// it (once, whatever the batch repeats) before any text is stripped, so a
/// first fetch already learns the chrome its pages share. Returns the items
/// and the new pages' line keys, for the store to count when it stores them.
/// The stored text is not changed: only the fingerprint leaves the template out.
pub fn fingerprint_with_template(
    entries: Vec<Entry>,
    rules: Arc<TitleRules>,
    templates: &mut Templates,
    site: &str,
    stored: &HashSet<String>,
) -> (Vec<Incoming>, Vec<PageLines>) {
    let bodies: Vec<String> = entries.iter().map(body_text).collect();
    // Each body is folded once for its line keys, which serve both passes.
    let lines: Vec<Vec<Option<u64>>> = bodies.iter().map(|b| templates.line_keys(b)).collect();
    let mut pages = Vec::new();
    let mut counted: HashSet<&str> = HashSet::new();
    for (entry, lines) in entries.iter().zip(&lines) {
        let guid = entry.id.as_str();
        if stored.contains(guid) || !counted.insert(guid) {
            continue;
        }
        let keys = page_keys_of(lines);
        templates.learn_keys(site, &keys);
        pages.push(PageLines {
            guid: guid.to_owned(),
            keys,
            removed: 0,
        });
    }
    let page_of: HashMap<String, usize> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.guid.clone(), i))
        .collect();
    let mut fingerprinter = Fingerprinter::new(rules, FeatureOptions::default());
    let items = entries
        .into_iter()
        .zip(bodies)
        .zip(&lines)
        .map(|((entry, body), lines)| {
            let (body, removed) = templates.strip_keyed(site, &body, lines);
            // A later copy of a GUID in the batch is the one stored.
            if let Some(&i) = page_of.get(&entry.id) {
                pages[i].removed = u32::try_from(removed).unwrap_or(u32::MAX);
            }
            fingerprinted(&mut fingerprinter, entry, &body)
        })
        .collect();
    (items, pages)
}

/// The matching options the config asks for.
pub fn match_options(config: &Config) -> MatchOptions {
    MatchOptions {
        distance: config.dedup.distance.0,
        window_secs: i64::try_from(config.dedup.window.0.as_secs()).unwrap_or(i64::MAX),
        resemblance: config.dedup.resemblance.0,
        containment: config.dedup.containment.0,
    }
}

fn log_outcome(outcome: &PassOutcome) {
    let ms = outcome.elapsed.as_millis() as u64;
    let status = outcome
        .status
        .map_or_else(|| "-".to_owned(), |s| s.to_string());
    let retry = outcome
        .not_before
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M:%S").to_string());
    match &outcome.result {
        Ok(report) => tracing::info!(
            source = %outcome.source, %status, new = report.new, updated = report.updated, ms, "fetched"
        ),
        Err(error) if outcome.gone => tracing::warn!(
            source = %outcome.source, %error,
            "source is gone (HTTP 410): no longer fetched until its url changes in the config"
        ),
        Err(error) => {
            tracing::warn!(source = %outcome.source, %status, ms, %error, not_before = %retry, "fetch failed")
        }
    }
}
