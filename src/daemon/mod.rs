//! Wiring: the scheduler loop that runs due sources concurrently, publishes
//! after every change and serves HTTP until told to stop.

pub mod discover;
mod events;
mod pipeline;
mod scrape;
pub mod websub;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sd_notify::NotifyState;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

pub use events::{EventsReport, MAX_EVENT_STORIES, events_pass};
pub use pipeline::{
    PassError, PassOutcome, Pipeline, Scheduled, fingerprint_entries, fingerprint_with_template,
    match_options,
};

use crate::config::Config;
use crate::fetch::FetchError;
use crate::publish::{PublishError, Snapshot};
use crate::schedule::{DueQueue, first_run, held_back, next_run};
use crate::serve::{AppState, HEARTBEAT, router};
use crate::store::{Claim, SourceState, StoreError};

/// How long in-flight fetches may finish after a stop signal before they are
/// abandoned (their transactions roll back; nothing half-written remains).
const DRAIN: Duration = Duration::from_secs(10);

/// How soon a source whose claim found its row locked, or failed, is tried again.
const CLAIM_RETRY: Duration = Duration::from_secs(2);

/// How long the check for other daemons' changes may take.
const REFRESH_TIMEOUT: Duration = Duration::from_secs(2);

/// How long after a change the feeds are re-rendered, at most.
const PUBLISH_DELAY: Duration = Duration::from_millis(250);

/// How often WebSub subscriptions are looked at for renewal, retries and
/// sources that left (a hub found by a pass wakes the subscriber at once).
const SUBSCRIBE_EVERY: Duration = Duration::from_secs(60);

/// Verified WebSub pushes waiting to be ingested; the hub retries one that
/// finds the queue full.
const PUSH_QUEUE: usize = 64;

/// How long a daemon's claim on the prune task lasts if it dies mid-run.
const PRUNE_LEASE_SECS: i64 = 3600;

/// The first prune waits this long after start, so start-up fetches go first.
const FIRST_PRUNE: Duration = Duration::from_secs(15);

/// Why the daemon could not start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The database could not be opened or used.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The feeds could not be rendered.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// The HTTP server failed.
    #[error("HTTP server: {0}")]
    Serve(std::io::Error),
}

/// Runs the daemon on `listener` until `shutdown` completes, without reloads.
pub async fn run(
    config: Arc<Config>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DaemonError> {
    let (_keep, reload) = mpsc::unbounded_channel();
    run_with_reload(config, None, listener, shutdown, reload).await
}

/// Runs the daemon until `shutdown` completes; each message on `reload`
/// re-reads `config_path` (SIGHUP). A config that does not load is rejected
/// with the error logged, and the running one stays.
pub async fn run_with_reload(
    config: Arc<Config>,
    config_path: Option<PathBuf>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    reload: mpsc::UnboundedReceiver<()>,
) -> Result<(), DaemonError> {
    let pipeline = Pipeline::new(config.clone()).await?;
    let groups = config_groups(&config);
    let first = Snapshot::build(pipeline.store(), &config, &groups, Utc::now()).await?;
    let (publish_tx, publish_rx) = watch::channel(Arc::new(first));
    let (stop_tx, stop_rx) = watch::channel(false);
    let (config_tx, config_rx) = watch::channel(config.clone());

    let heartbeat = Arc::new(AtomicI64::new(Utc::now().timestamp()));
    let (push_tx, push_rx) = mpsc::channel(PUSH_QUEUE);
    let app = router(AppState {
        heartbeat: heartbeat.clone(),
        metrics: pipeline.metrics().clone(),
        snapshot: publish_rx,
        store: pipeline.store().clone(),
        config: config_rx,
        pushes: Some(push_tx),
    });
    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                stopped(&mut server_stop).await;
            })
            .await
    });
    let stop_tx = Arc::new(stop_tx);
    let signal_stop = stop_tx.clone();
    tokio::spawn(async move {
        shutdown.await;
        let _ = signal_stop.send(true);
    });

    let store = pipeline.store().clone();
    let publisher = Publisher {
        pipeline: pipeline.clone(),
        groups,
        tx: publish_tx,
        config_tx,
        version: None,
        unreachable: false,
        pinger: websub::Pinger::start(&config.daemon.user_agent),
    };
    let mut scheduler =
        Scheduler::start(pipeline, publisher, config_path, heartbeat, push_rx).await?;
    notify(&[NotifyState::Ready]);
    let loop_result = scheduler.run(stop_rx, reload).await;
    notify(&[NotifyState::Stopping]);
    if let Err(error) = &loop_result {
        // Never serve on with a dead scheduler: stop, and let systemd restart us.
        tracing::error!(%error, "scheduler failed");
        let _ = stop_tx.send(true);
    }
    scheduler.drain().await;
    tracing::info!("stopping: waiting for the HTTP server");
    let served = server.await;
    store.close().await;
    loop_result?;
    match served {
        Ok(result) => result.map_err(DaemonError::Serve),
        Err(join) => Err(DaemonError::Serve(std::io::Error::other(join.to_string()))),
    }
}

/// Tells systemd (when it started us with `Type=notify`) how we are doing.
fn notify(state: &[NotifyState<'_>]) {
    if let Err(error) = sd_notify::notify(state) {
        tracing::debug!(%error, "sd_notify failed");
    }
}

/// Re-renders the documents after a change and hands them to the server.
struct Publisher {
    pipeline: Pipeline,
    groups: Vec<String>,
    tx: watch::Sender<Arc<Snapshot>>,
    /// The config `/sources` shows: the one the documents were rendered with.
    config_tx: watch::Sender<Arc<Config>>,
    /// The database's change counter when the documents were last rendered.
    version: Option<i64>,
    /// Whether the last look at the counter failed (logged once per outage).
    unreachable: bool,
    /// Tells `output.websub_hub` which feeds changed.
    pinger: websub::Pinger,
}

impl Publisher {
    /// Re-renders if another daemon sharing the database changed something.
    async fn refresh(&mut self) {
        let Some(version) = self.read_version().await else {
            return;
        };
        if self.version != Some(version) {
            self.render(version).await;
        }
    }

    /// Re-renders now (after a pass changed something).
    async fn publish(&mut self) {
        // Reading the counter first also keeps a database that went down
        // from holding the scheduler loop in the pool's long acquire wait;
        // the next refresh that reaches it renders what was missed.
        if let Some(version) = self.read_version().await {
            self.render(version).await;
        }
    }

    /// The database's change counter, or `None` while it is unreachable
    /// (said once per outage, and once when it is back).
    async fn read_version(&mut self) -> Option<i64> {
        // The scheduler loop waits for this, and a database that is down
        // makes the pool wait long for a connection.
        let read = tokio::time::timeout(REFRESH_TIMEOUT, self.pipeline.store().version()).await;
        match read.unwrap_or_else(|_| Err(StoreError::Timeout(REFRESH_TIMEOUT))) {
            Ok(version) => {
                if self.unreachable {
                    tracing::warn!("database reachable again");
                    self.unreachable = false;
                }
                Some(version)
            }
            Err(error) => {
                if !self.unreachable {
                    tracing::error!(%error, "database unreachable; serving the last feeds until it is back");
                    self.unreachable = true;
                }
                None
            }
        }
    }

    /// Renders the documents as of `version` and hands them to the server.
    async fn render(&mut self, version: i64) {
        let config = self.pipeline.config();
        let now = Utc::now();
        // `version` was read first: a change that lands while rendering
        // moves the counter past it, so the next refresh renders again.
        match Snapshot::build(self.pipeline.store(), config, &self.groups, now).await {
            Ok(mut snapshot) => {
                snapshot.advance_from(&self.tx.borrow(), now);
                self.announce(config, &snapshot);
                self.tx.send_replace(Arc::new(snapshot));
                self.config_tx.send_replace(config.clone());
                self.pipeline.metrics().published(now.timestamp() as f64);
                self.version = Some(version);
            }
            // The server keeps the last good documents.
            Err(error) => tracing::error!(%error, "publishing failed; serving the previous feed"),
        }
    }
}

impl Publisher {
    /// Tells the WebSub hub, if there is one, which feeds `snapshot`
    /// changed since the one served now (at start: all of them, since they
    /// may have changed while the daemon was down).
    fn announce(&self, config: &Config, snapshot: &Snapshot) {
        let Some(hub) = &config.output.websub_hub else {
            return;
        };
        let served = self.tx.borrow();
        let topics = snapshot
            .changed_since(&served)
            .into_iter()
            .map(|(group, format)| {
                let meta = crate::publish::FeedMeta {
                    title: String::new(),
                    base_url: config.output.base_url.clone(),
                    group: group.map(str::to_owned),
                    hub: None,
                };
                meta.self_url(format)
            })
            .collect();
        self.pinger.announce(websub::Announcement {
            hub: hub.0.clone(),
            topics,
            timeout: config.fetch.timeout.0,
            backoff: config.fetch.backoff.0,
            backoff_max: config.fetch.backoff_max.0,
        });
    }
}

/// The running daemon's schedule: due sources, passes in flight, pending publish.
struct Scheduler {
    pipeline: Pipeline,
    publisher: Publisher,
    config_path: Option<PathBuf>,
    queue: DueQueue,
    running: JoinSet<Scheduled>,
    in_flight: HashMap<tokio::task::Id, String>,
    /// Changes are published shortly after they land, batched so a burst of
    /// sources finishing together renders the feeds once, not once each.
    publish_at: Option<tokio::time::Instant>,
    /// Shared with `/healthz`: when the loop last turned.
    heartbeat: Arc<AtomicI64>,
    /// The prune run in progress, if any.
    pruning: Option<tokio::task::JoinHandle<()>>,
    /// The events pass in progress (one at most); each says whether it
    /// changed any story's event.
    grouping: JoinSet<bool>,
    /// When the next events pass starts, if one is wanted.
    events_at: Option<tokio::time::Instant>,
    /// When the last events pass started.
    events_started: Option<tokio::time::Instant>,
    /// Least time between two events passes' starts: see [`events::gap_after`].
    events_gap: Duration,
    /// The store's change counter after the last events pass.
    events_seen: Arc<AtomicI64>,
    /// The WebSub subscriber's run in progress (one at most).
    subscribing: JoinSet<()>,
    /// A wake-up came while a run was going: its read may have preceded
    /// the hub that woke it, so another run follows.
    subscribe_again: bool,
    /// Verified WebSub pushes from the callback route.
    push_rx: mpsc::Receiver<crate::serve::websub::Push>,
    /// Pushes being ingested; each says whether it changed anything.
    pushes: JoinSet<bool>,
}

impl Scheduler {
    async fn start(
        pipeline: Pipeline,
        publisher: Publisher,
        config_path: Option<PathBuf>,
        heartbeat: Arc<AtomicI64>,
        push_rx: mpsc::Receiver<crate::serve::websub::Push>,
    ) -> Result<Scheduler, DaemonError> {
        let queue = initial_queue(&pipeline, Utc::now()).await?;
        tracing::info!(sources = queue.len(), "scheduler started");
        Ok(Scheduler {
            pipeline,
            publisher,
            config_path,
            queue,
            running: JoinSet::new(),
            in_flight: HashMap::new(),
            publish_at: None,
            heartbeat,
            pruning: None,
            grouping: JoinSet::new(),
            events_at: None,
            events_started: None,
            events_gap: events::EVENTS_GAP,
            events_seen: Arc::new(AtomicI64::new(i64::MIN)),
            subscribing: JoinSet::new(),
            subscribe_again: false,
            push_rx,
            pushes: JoinSet::new(),
        })
    }

    async fn run(
        &mut self,
        mut stop: watch::Receiver<bool>,
        mut reload: mpsc::UnboundedReceiver<()>,
    ) -> Result<(), DaemonError> {
        // WATCHDOG=1 comes from this loop only, so systemd notices if it stalls.
        let period = sd_notify::watchdog_enabled().map_or(HEARTBEAT, |d| (d / 2).min(HEARTBEAT));
        let mut watchdog = tokio::time::interval(period);
        let mut refresh = tokio::time::interval(self.pipeline.config().output.refresh.0);
        refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let every = prune_every(self.pipeline.config());
        let mut prune = tokio::time::interval_at(tokio::time::Instant::now() + FIRST_PRUNE, every);
        prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first look waits: start-up fetches ask for a pass when they
        // change something.
        let mut group = tokio::time::interval_at(
            tokio::time::Instant::now() + events::EVENTS_EVERY,
            events::EVENTS_EVERY,
        );
        group.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut subscribe = tokio::time::interval(SUBSCRIBE_EVERY);
        subscribe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.start_due();
            let sleep = sleep_until(self.queue.next_due());
            let publish_due = self.publish_at.map(tokio::time::sleep_until);
            let events_due = self.events_at.map(tokio::time::sleep_until);
            let wake = self.pipeline.websub_wake().clone();
            tokio::select! {
                () = stopped(&mut stop) => break,
                () = sleep => {}
                _ = watchdog.tick() => {
                    self.heartbeat.store(Utc::now().timestamp(), Ordering::Relaxed);
                    notify(&[NotifyState::Watchdog]);
                }
                Some(()) = reload.recv() => self.reload().await?,
                _ = refresh.tick() => self.publisher.refresh().await,
                _ = prune.tick() => self.start_prune(),
                _ = group.tick() => self.events_soon(),
                () = async { if let Some(due) = events_due { due.await } }, if events_due.is_some() => {
                    self.events_at = None;
                    self.start_events();
                }
                Some(done) = self.grouping.join_next() => {
                    let took = self.events_started.map_or(Duration::ZERO, |s| s.elapsed());
                    self.events_gap = events::gap_after(took);
                    if done.unwrap_or(false) && self.publish_at.is_none() {
                        self.publish_at = Some(tokio::time::Instant::now() + PUBLISH_DELAY);
                    }
                }
                _ = subscribe.tick() => self.start_subscribing(),
                () = wake.notified() => self.start_subscribing(),
                Some(_) = self.subscribing.join_next() => {
                    if std::mem::take(&mut self.subscribe_again) {
                        self.start_subscribing();
                    }
                }
                Some(push) = self.push_rx.recv() => self.start_push(push),
                Some(done) = self.pushes.join_next() => {
                    if done.unwrap_or(false) && self.publish_at.is_none() {
                        self.publish_at = Some(tokio::time::Instant::now() + PUBLISH_DELAY);
                    }
                }
                () = async { if let Some(due) = publish_due { due.await } }, if publish_due.is_some() => {
                    self.publish_at = None;
                    self.publisher.publish().await;
                    self.events_soon();
                }
                Some(done) = self.running.join_next_with_id() => self.finished(done),
            }
        }
        Ok(())
    }

    /// Starts a prune run in the background unless one is still going.
    fn start_prune(&mut self) {
        if self.pruning.as_ref().is_some_and(|run| !run.is_finished()) {
            return;
        }
        let store = self.pipeline.store().clone();
        let config = self.pipeline.config().clone();
        let metrics = self.pipeline.metrics().clone();
        self.pruning = Some(tokio::spawn(prune_once(store, config, metrics)));
    }

    /// Asks for an events pass: now, or a gap after the last one started
    /// (so a busy store gets one pass per gap, not one per change). A pass
    /// that finds the store unchanged does nothing.
    fn events_soon(&mut self) {
        if self.events_at.is_some() {
            return;
        }
        let now = tokio::time::Instant::now();
        let earliest = self.events_started.map_or(now, |s| s + self.events_gap);
        self.events_at = Some(earliest.max(now));
    }

    /// Starts an events pass in the background, or, while one is going,
    /// asks for another after it.
    fn start_events(&mut self) {
        if !self.grouping.is_empty() {
            self.events_at = Some(tokio::time::Instant::now() + self.events_gap);
            return;
        }
        self.events_started = Some(tokio::time::Instant::now());
        let store = self.pipeline.store().clone();
        let config = self.pipeline.config();
        let options = config.events.options();
        let served = i64::try_from(config.output.window.0.as_secs()).unwrap_or(i64::MAX);
        let seen = self.events_seen.clone();
        let metrics = self.pipeline.metrics().clone();
        self.grouping
            .spawn(events::events_once(store, options, served, seen, metrics));
    }

    /// Starts the WebSub subscriber's run, or, while one is going, another
    /// right after it: the running one may have read the rows before the
    /// hub that asked for this was recorded.
    fn start_subscribing(&mut self) {
        if !self.subscribing.is_empty() {
            self.subscribe_again = true;
            return;
        }
        let pipeline = self.pipeline.clone();
        self.subscribing.spawn(websub::subscribe::run_due(pipeline));
    }

    /// Ingests a verified WebSub push in the background.
    fn start_push(&mut self, push: crate::serve::websub::Push) {
        let pipeline = self.pipeline.clone();
        self.pushes.spawn(async move {
            match pipeline.ingest_push(&push).await {
                Ok(report) => {
                    tracing::info!(source = %push.source, new = report.new, updated = report.updated, "WebSub push ingested");
                    report.changed()
                }
                Err(error) => {
                    tracing::warn!(source = %push.source, %error, "WebSub push could not be ingested; the next poll fetches the feed");
                    false
                }
            }
        });
    }

    fn start_due(&mut self) {
        // One copy for all the tasks: thousands may be due at once.
        let shared = Arc::new(self.pipeline.clone());
        for name in self.queue.pop_due(Utc::now()) {
            if !self.in_flight.values().any(|n| *n == name) {
                let pipeline = shared.clone();
                let task_name = name.clone();
                let handle = self
                    .running
                    .spawn(async move { pipeline.run_scheduled(&task_name).await });
                self.in_flight.insert(handle.id(), name);
            }
        }
    }

    fn finished(&mut self, done: Result<(tokio::task::Id, Scheduled), tokio::task::JoinError>) {
        let (id, changed, hold) = match done {
            Ok((id, Scheduled::Skipped { claim, .. })) => (id, false, Hold::after_claim(claim)),
            Ok((id, Scheduled::Ran(outcome))) => {
                let status = format!(
                    "{} sources; last: {}",
                    self.queue.len() + self.in_flight.len(),
                    outcome.source
                );
                notify(&[NotifyState::Status(&status)]);
                let hold = Hold {
                    not_before: outcome.not_before,
                    gone: outcome.gone,
                    retry_at: None,
                };
                (id, outcome.result.is_ok_and(|r| r.changed()), hold)
            }
            Err(error) => {
                let source = self.in_flight.get(&error.id()).map(String::as_str);
                tracing::error!(source, %error, "fetch task died");
                (error.id(), false, Hold::default())
            }
        };
        if let Some(name) = self.in_flight.remove(&id) {
            reschedule(&self.pipeline, &mut self.queue, &name, hold);
        }
        if changed && self.publish_at.is_none() {
            self.publish_at = Some(tokio::time::Instant::now() + PUBLISH_DELAY);
        }
    }

    /// SIGHUP: a valid new config replaces the running one (added sources
    /// start, removed ones stop, changed schedules apply); an invalid one is
    /// logged and ignored.
    async fn reload(&mut self) -> Result<(), DaemonError> {
        let Some(path) = self.config_path.clone() else {
            return Ok(());
        };
        notify(&[NotifyState::Reloading]);
        let config = match Config::load(&path) {
            Ok(config) => {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for problem in config.credential_problems(&text) {
                    let at = path.display();
                    tracing::error!("{at}:{problem}; that source fails until a reload reads it");
                }
                Arc::new(config)
            }
            Err(error) => {
                tracing::error!(%error, "config reload rejected; the running config stays");
                notify(&[NotifyState::Ready]);
                return Ok(());
            }
        };
        if config.daemon.listen != self.pipeline.config().daemon.listen
            || config.database_url() != self.pipeline.config().database_url()
        {
            tracing::warn!("daemon.listen and daemon.database take effect at the next restart");
        }
        let old = self.pipeline.clone();
        self.pipeline = self.pipeline.reconfigured(config.clone()).await?;
        let mut queue = initial_queue(&self.pipeline, Utc::now()).await?;
        for source in config.enabled_sources() {
            // Unchanged sources keep their slot; in-flight ones are rescheduled
            // when they finish.
            let unchanged = old.enabled_source(&source.name).is_some_and(|o| {
                o.schedule(&old.config().daemon) == source.schedule(&config.daemon)
            });
            if let Some(at) = self.queue.due_at(&source.name).filter(|_| unchanged) {
                queue.insert(&source.name, at);
            } else if self.in_flight.values().any(|n| *n == source.name) {
                queue.remove(&source.name);
            }
        }
        self.queue = queue;
        self.publisher.pipeline = self.pipeline.clone();
        self.publisher.groups = config_groups(&config);
        self.publisher.publish().await;
        // New `[events]` settings or window regroup what is stored: the
        // next events pass runs even if no content changed (syncing an
        // unchanged config no longer moves the change counter).
        self.events_seen.store(i64::MIN, Ordering::Relaxed);
        self.events_soon();
        // Sources that left or opted out are unsubscribed now.
        self.start_subscribing();
        tracing::info!(
            sources = config.enabled_sources().count(),
            "config reloaded"
        );
        notify(&[NotifyState::Ready]);
        Ok(())
    }

    /// Lets in-flight passes finish for a while, then abandons the rest.
    async fn drain(&mut self) {
        // An abandoned prune batch rolls back; the next start prunes again.
        if let Some(run) = self.pruning.take() {
            run.abort();
        }
        // An abandoned events pass writes nothing (one transaction).
        self.grouping.abort_all();
        // A subscriber run abandoned mid-way leaves a claim that lapses; a
        // push not ingested yet is in the feed the next poll fetches.
        self.subscribing.abort_all();
        self.pushes.shutdown().await;
        let mut changed = self.publish_at.is_some();
        if !self.running.is_empty() {
            tracing::info!(
                in_flight = self.running.len(),
                "stopping: letting in-flight fetches finish"
            );
            let running = &mut self.running;
            let finished = tokio::time::timeout(DRAIN, async {
                while let Some(done) = running.join_next().await {
                    changed |= matches!(done, Ok(Scheduled::Ran(o)) if o.result.as_ref().is_ok_and(|r| r.changed()));
                }
            })
            .await;
            if finished.is_err() {
                tracing::warn!(
                    abandoned = self.running.len(),
                    "stopping: abandoning fetches still in flight"
                );
                self.running.shutdown().await;
            }
        }
        if changed {
            self.publisher.publish().await;
        }
    }
}

/// How often retention runs: a tenth of `daemon.keep`, within a minute and
/// an hour, so nothing outlives `keep` by more than a tenth.
fn prune_every(config: &Config) -> Duration {
    (config.daemon.keep.0 / 10).clamp(Duration::from_secs(60), Duration::from_secs(3600))
}

/// One retention run, when no other daemon sharing the database has done
/// one lately: deletes in small batches (ingest goes between them), then
/// gives the freed space back. A failure keeps what earlier batches did
/// and is logged; the next run starts over.
async fn prune_once(
    store: crate::store::Store,
    config: Arc<Config>,
    metrics: Arc<crate::serve::Metrics>,
) {
    let now = Utc::now().timestamp();
    let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    // A little early, so a run due on the tick is not put off a whole period.
    let every = secs(prune_every(&config)) * 9 / 10;
    match store
        .claim_task("prune", now, every, PRUNE_LEASE_SECS)
        .await
    {
        Ok(true) => {}
        Ok(false) => return,
        Err(error) => {
            tracing::warn!(%error, "retention: could not claim the prune run; trying at the next one");
            return;
        }
    }
    let retention = crate::store::retention_at(
        now,
        secs(config.daemon.keep.0),
        secs(config.output.window.0),
    );
    let run = store.prune(retention, crate::store::PRUNE_BATCH).await;
    metrics.pruned(run.is_ok(), Utc::now().timestamp() as f64);
    match run {
        Ok(report) if report.is_empty() => tracing::debug!("retention: nothing to prune"),
        Ok(report) => {
            let freed = store.reclaim_space().await;
            tracing::info!(
                stories = report.stories,
                entries = report.entries,
                decisions = report.decisions,
                articles = report.articles,
                site_templates = report.site_templates,
                batches = report.batches,
                freed_pages = freed.as_ref().ok(),
                "retention: pruned"
            );
            if let Err(error) = freed {
                tracing::warn!(%error, "retention: could not give freed pages back to the file system");
            }
        }
        Err(error) => tracing::error!(
            %error,
            "retention: pruning stopped; what earlier batches deleted stays deleted, the rest is tried at the next run"
        ),
    }
    // After a prune, and as often on a store that only grows.
    if let Err(error) = store.refresh_statistics().await {
        tracing::warn!(%error, "retention: could not refresh the planner's statistics");
    }
    if let Err(error) = store.release_task("prune").await {
        tracing::debug!(%error, "retention: could not release the prune claim; it lapses");
    }
}

/// What keeps a source from its next scheduled time.
#[derive(Debug, Default, Clone, Copy)]
struct Hold {
    /// Not before this (backoff, `Retry-After`, `max-age`).
    not_before: Option<DateTime<Utc>>,
    /// Not at all (410 Gone).
    gone: bool,
    /// Ask for the same run again at this time, before its next scheduled
    /// one: another daemon holds it, or its claim did not go through.
    retry_at: Option<DateTime<Utc>>,
}

impl Hold {
    /// What a lost claim means for this daemon's schedule.
    fn after_claim(claim: Claim) -> Hold {
        let at = |t: i64| DateTime::from_timestamp(t, 0);
        match claim {
            Claim::Won => Hold::default(),
            // If its holder dies, the lease lapses and the run is ours.
            Claim::Held { until } => Hold {
                retry_at: at(until.saturating_add(1)),
                ..Hold::default()
            },
            Claim::Done { not_before, gone } => Hold {
                not_before: not_before.and_then(at),
                gone,
                retry_at: None,
            },
            Claim::Busy => Hold {
                retry_at: Some(Utc::now() + CLAIM_RETRY),
                ..Hold::default()
            },
        }
    }
}

/// Puts a source back in the queue at its next scheduled time, unless it is
/// gone, and not before what holds it back; or sooner, when a lost claim
/// asks to try the same run again.
fn reschedule(pipeline: &Pipeline, queue: &mut DueQueue, name: &str, hold: Hold) {
    if hold.gone {
        return;
    }
    let config = pipeline.config();
    let Some(source) = pipeline.enabled_source(name) else {
        return;
    };
    let cron = source.schedule(&config.daemon);
    let next = next_run(cron, name, Utc::now())
        .and_then(|next| held_back(cron, name, next, hold.not_before));
    let at = match (next, hold.retry_at) {
        (Some(next), Some(retry)) => Some(next.min(retry)),
        (next, retry) => next.or(retry),
    };
    if let Some(at) = at {
        queue.insert(name, at);
    }
}

async fn initial_queue(pipeline: &Pipeline, now: DateTime<Utc>) -> Result<DueQueue, DaemonError> {
    let config = pipeline.config();
    let states = pipeline.store().source_states().await?;
    let states: HashMap<&str, &SourceState> = states.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut queue = DueQueue::new();
    for source in config.enabled_sources() {
        let state = states.get(source.name.as_str()).copied();
        if let Some(gone) = state.and_then(|s| s.gone_at) {
            tracing::warn!(
                source = %source.name,
                since = %DateTime::from_timestamp(gone, 0).unwrap_or(now),
                "not scheduled: it answered 410 Gone; change its url or remove it"
            );
            continue;
        }
        let at = |t: Option<i64>| t.and_then(|t| DateTime::from_timestamp(t, 0));
        let cron = source.schedule(&config.daemon);
        let first = first_run(
            cron,
            &source.name,
            at(state.and_then(|s| s.last_fetch_at)),
            now,
        );
        let floor = at(state.and_then(SourceState::not_before));
        if let Some(due) = held_back(cron, &source.name, first, floor) {
            queue.insert(&source.name, due);
        }
    }
    Ok(queue)
}

/// Resolves once the stop flag is set (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`; drop it before returning.
    let _ = stop.wait_for(|stop| *stop).await;
}

fn sleep_until(at: Option<DateTime<Utc>>) -> tokio::time::Sleep {
    // Nothing scheduled: wake hourly anyway, which costs nothing.
    let wait = at.map_or(Duration::from_secs(3600), |at| {
        (at - Utc::now()).to_std().unwrap_or(Duration::ZERO)
    });
    tokio::time::sleep(wait)
}

/// Every group named by an enabled source, sorted and unique.
pub fn config_groups(config: &Config) -> Vec<String> {
    let mut groups: Vec<String> = config
        .sources
        .iter()
        .flat_map(|s| s.groups.iter().cloned())
        .collect();
    groups.sort_unstable();
    groups.dedup();
    groups
}

/// One pass over the named source (run whatever else is going on), or over
/// every enabled source that is due and that no other daemon sharing the
/// database runs first, all concurrently (within `daemon.concurrency`).
/// Returns the outcomes of the passes this process ran, in config order.
pub async fn fetch_pass(
    pipeline: &Pipeline,
    only: Option<&str>,
) -> Result<Vec<PassOutcome>, DaemonError> {
    let all = fetch_pass_with_progress(pipeline, only, |_| {}, |_| {}).await?;
    Ok(all.into_iter().filter_map(Scheduled::ran).collect())
}

/// [`fetch_pass`], telling `start` how many sources are due and `finished`
/// about each as it finishes (for a progress bar); sources another daemon
/// ran are in the result as skipped.
pub async fn fetch_pass_with_progress(
    pipeline: &Pipeline,
    only: Option<&str>,
    start: impl FnOnce(usize),
    finished: impl Fn(&Scheduled),
) -> Result<Vec<Scheduled>, DaemonError> {
    let names = match only {
        Some(name) => vec![name.to_owned()],
        None => due_now(pipeline).await?,
    };
    start(names.len());
    let mut running = JoinSet::new();
    let mut tasks = HashMap::new();
    // One copy for all the tasks (5,000 copies held 5 MB).
    let shared = Arc::new(pipeline.clone());
    for (index, name) in names.into_iter().enumerate() {
        let pipeline = shared.clone();
        let task_name = name.clone();
        let forced = only.is_some();
        let handle = running.spawn(async move {
            if forced {
                Scheduled::Ran(pipeline.run_source(&task_name).await)
            } else {
                pipeline.run_scheduled(&task_name).await
            }
        });
        tasks.insert(handle.id(), (index, name));
    }
    let mut outcomes = Vec::new();
    while let Some(done) = running.join_next_with_id().await {
        let (id, outcome) = match done {
            Ok((id, outcome)) => (id, outcome),
            // A task that died still counts, as a failure of its source.
            Err(error) => {
                let source = tasks
                    .get(&error.id())
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                (error.id(), Scheduled::Ran(died(source, &error)))
            }
        };
        let index = tasks.get(&id).map_or(usize::MAX, |(i, _)| *i);
        finished(&outcome);
        outcomes.push((index, outcome));
    }
    outcomes.sort_by_key(|(i, _)| *i);
    Ok(outcomes.into_iter().map(|(_, o)| o).collect())
}

/// The enabled sources due now, in config order.
async fn due_now(pipeline: &Pipeline) -> Result<Vec<String>, DaemonError> {
    let now = Utc::now();
    let mut queue = initial_queue(pipeline, now).await?;
    let due: HashSet<String> = queue.pop_due(now).into_iter().collect();
    Ok(pipeline
        .config()
        .enabled_sources()
        .map(|s| s.name.clone())
        .filter(|n| due.contains(n))
        .collect())
}

/// The outcome of a pass whose task panicked or was cancelled.
fn died(source: String, error: &tokio::task::JoinError) -> PassOutcome {
    PassOutcome {
        source,
        status: None,
        result: Err(PassError::Task(error.to_string())),
        elapsed: Duration::ZERO,
        not_before: None,
        gone: false,
    }
}
