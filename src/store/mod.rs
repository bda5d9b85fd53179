//! Persistence through sqlx's `Any` driver: one code path for SQLite (the
//! embedded default) and PostgreSQL. Times are Unix seconds in `BIGINT`
//! columns; queries use `$n` placeholders, which both backends accept.

mod articles;
mod backup;
mod candidates;
mod clusters;
mod entries;
mod events;
mod group;
mod leases;
mod media;
mod migrate;
mod prune;
mod records;
mod sources;
mod stories;
mod templates;
mod websub;

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow, install_default_drivers};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

use candidates::Candidates;

pub use articles::{ArticleRecord, Scraped};
pub use backup::BackupError;
pub use clusters::{DecisionRecord, Explanation, MatchedEntry};
pub use entries::{Batch, Incoming, IngestReport};
pub use events::{EVENT_STORIES_CHUNK, EventRow, EventState, EventStory, EventView, RelatedStory};
pub use leases::{Claim, LeaseRequest};
pub use prune::{PRUNE_BATCH, PruneReport, Retention, retention_at};
pub use sources::{Failure, FetchState, SourceRecord, SourceState, Success};
pub use stories::{StoryCopy, StoryRecord};
pub use templates::{FORGET_AFTER_SECS, MAX_LINES_PER_SITE, PageLines};
pub use websub::{Advertised, SubState, SubUpdate, Subscription};

/// A database problem.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or reached.
    #[error("cannot open database {url}: {source}")]
    Open {
        /// The URL, with any password removed.
        url: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// A source named in a request is not in the database.
    #[error("unknown source {0:?}")]
    UnknownSource(String),
    /// An entry named in a request is not in the database.
    #[error("no stored entry {0:?}")]
    UnknownEntry(String),
    /// The database did not answer in time.
    #[error("no answer from the database within {0:?}")]
    Timeout(Duration),
    /// The transaction a batch shared with others failed as a whole (the
    /// batch itself may have been fine; nothing of it was stored).
    #[error("database error in a shared write: {0}")]
    Shared(String),
    /// The writer storing a batch with its own stopped before it committed
    /// (its task was cancelled); nothing of the batch was stored.
    #[error("the write was abandoned before it committed")]
    Abandoned,
}

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, embedded.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The database handle. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// Where this process writes. On SQLite a pool of one connection of its
    /// own: writers take turns anyway, and its page cache (the indexes
    /// ingest walks) stays warm because no other connection's commit
    /// empties it, while the readers keep small caches. On PostgreSQL the
    /// same pool as reads.
    writer: AnyPool,
    backend: Backend,
    /// This process's writers take turns here before they open a write
    /// transaction, so waiting costs neither a pooled connection nor
    /// SQLite's busy timeout (which fails the write when it runs out). The
    /// turn also guards the in-memory copy of the fingerprints.
    write_turn: Arc<tokio::sync::Mutex<Candidates>>,
    /// Batches of entries waiting for the turn (see `entries::group`).
    waiting: Arc<group::Queue<Batch, IngestReport>>,
    /// Claims waiting to be made (see `leases`).
    claims: Arc<group::Queue<LeaseRequest, Option<FetchState>>>,
    /// Fetch outcomes waiting to be recorded (see `records`).
    records: Arc<group::Queue<records::Record, ()>>,
    /// This process's name in lease rows (see [`Store::holder`]).
    holder: Arc<str>,
}

/// This process's turn to write, which also guards the in-memory copy of
/// the fingerprints.
type Turn = tokio::sync::OwnedMutexGuard<Candidates>;

/// Moves the counter of changes to what the feeds show (see
/// [`Store::version`]).
const MARK_CHANGED: &str = "UPDATE changes SET version = version + 1 WHERE id = 1";

/// A transaction on either backend, as the store's statements take it.
type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A write transaction, holding this process's turn to write until it
/// commits or is dropped (rolled back).
pub(crate) struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    candidates: Turn,
    /// Set when this transaction brought the fingerprint copy up to date:
    /// only its commit vouches for the copy again.
    synced: bool,
}

impl WriteTx {
    /// Commits, then gives the turn to the next writer.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        let WriteTx {
            tx,
            mut candidates,
            synced,
        } = self;
        tx.commit().await?;
        if synced {
            candidates.settle();
        }
        Ok(())
    }
}

impl WriteTx {
    /// Runs one statement without parameters.
    pub(crate) async fn execute(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        sqlx::query(sql).execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Runs several statements (`;`-separated, no parameters) in one call:
    /// one hand-off to the database instead of one per statement.
    pub(crate) async fn execute_script(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        (&mut *self.tx).execute(sql).await?;
        Ok(())
    }

    /// Records that this transaction changes what the feeds show, for
    /// daemons that share the database (see [`Store::version`]).
    pub(crate) async fn mark_changed(&mut self) -> Result<(), sqlx::Error> {
        self.execute(MARK_CHANGED).await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::Transaction<'static, sqlx::Any>;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// How the store connects; see `[daemon]` in the config.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreOptions {
    /// Connections kept open at most; `None` picks by backend.
    pub max_connections: Option<u32>,
    /// PostgreSQL's `statement_timeout` and `idle_in_transaction_session_timeout`;
    /// `None` leaves the server's.
    pub statement_timeout: Option<Duration>,
}

impl Store {
    /// Connects (creating a SQLite file if needed) and applies migrations,
    /// with the default pool.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, StoreOptions::default()).await
    }

    /// [`Store::open`] with pool options.
    pub async fn open_with(url: &str, options: StoreOptions) -> Result<Store, StoreError> {
        install_default_drivers();
        let shown = redact(url);
        let open_error = |source| StoreError::Open {
            url: shown.clone(),
            source,
        };
        let (backend, url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url_with_create(url))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_owned())
        } else {
            let source =
                sqlx::Error::Configuration("expected a sqlite:// or postgres:// URL".into());
            return Err(open_error(source));
        };
        // One direct connection first: the pool would retry a refused
        // connection until its acquire timeout, where one clear error is better.
        let first = first_connection(&url, backend).await.map_err(open_error)?;
        first.close().await.map_err(open_error)?;
        let pool = pool_options(backend, options)
            .connect(&url)
            .await
            .map_err(open_error)?;
        let writer = match backend {
            Backend::Sqlite => sqlite_writer_options()
                .connect(&url)
                .await
                .map_err(open_error)?,
            Backend::Postgres => pool.clone(),
        };
        let store = Store {
            pool,
            writer,
            backend,
            write_turn: Arc::new(tokio::sync::Mutex::new(Candidates::default())),
            waiting: Arc::default(),
            claims: Arc::default(),
            records: Arc::default(),
            holder: holder_name().into(),
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A number that grows with every committed change to what the feeds
    /// show, whichever process made it: a daemon re-renders when it moved.
    pub async fn version(&self) -> Result<i64, StoreError> {
        let version = sqlx::query_scalar("SELECT version FROM changes WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(version)
    }

    /// Waits for in-flight queries and closes every connection.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// The pool writes go through (see the field of that name).
    fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// On SQLite, this process's turn to write, for a single-statement write
    /// outside a transaction: waiting here is free, while waiting in SQLite's
    /// busy handler sleeps in steps of up to 100 ms and holds a connection.
    /// On PostgreSQL such writes lock only their row and need no turn.
    async fn small_write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, Candidates>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_turn.lock().await),
            Backend::Postgres => None,
        }
    }

    /// Starts a write transaction that holds the database's write lock from
    /// the start: `BEGIN IMMEDIATE` on SQLite, an advisory lock on PostgreSQL.
    /// Writers wait for each other instead of failing or racing.
    async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let turn = self.write_turn.clone().lock_owned().await;
        self.begin_write_holding(turn).await
    }

    /// [`Store::begin_write`] for a writer that already holds the turn.
    async fn begin_write_holding(&self, turn: Turn) -> Result<WriteTx, StoreError> {
        let tx = match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = self.writer.begin().await?;
                // One writer at a time, as on SQLite: concurrent ingests of
                // one story must not each start a cluster. (Finer-grained
                // locking per fingerprint block is the scale-out work.)
                sqlx::query("SELECT pg_advisory_xact_lock(7046930)")
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        Ok(WriteTx {
            tx,
            candidates: turn,
            synced: false,
        })
    }
}

fn pool_options(backend: Backend, chosen: StoreOptions) -> AnyPoolOptions {
    let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
    match backend {
        // A SQLite connection is a file handle in this process: it cannot
        // die the way a server's can, and the ping cost a hand-off to its
        // worker thread on every acquire.
        Backend::Sqlite => options
            .test_before_acquire(false)
            .max_connections(chosen.max_connections.unwrap_or(4))
            .after_connect(|conn, _| Box::pin(setup_sqlite(conn, READ_CACHE_KIB))),
        Backend::Postgres => {
            let timeout = chosen.statement_timeout.map(|t| t.as_millis());
            // A connection that died (the server restarted, or killed it)
            // is found by the ping before it is handed out, and replaced.
            options
                .test_before_acquire(true)
                .max_connections(chosen.max_connections.unwrap_or(10))
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if let Some(ms) = timeout {
                            // A number of milliseconds, not data from outside.
                            let set = format!(
                                "SET statement_timeout = {ms}; \
                                 SET idle_in_transaction_session_timeout = {ms}"
                            );
                            conn.execute(sqlx::AssertSqlSafe(set)).await?;
                        }
                        // Commits return before their WAL record reaches
                        // disk, as SQLite's WAL with synchronous = NORMAL
                        // does; a server crash can forget the last moment's
                        // commits but never reorders them, and a source's
                        // entries commit before its fetch is recorded, so
                        // what is forgotten is fetched again. One flush per
                        // source pass was most of PostgreSQL's ingest time.
                        conn.execute("SET synchronous_commit = off").await?;
                        // The planner's guesses on tables that grow fast
                        // (not analysed yet) put ingest's point lookups
                        // over the JIT thresholds: compiling each took
                        // 25-400 ms for a query that runs in 0.05 ms, and
                        // a cold pass of 50,000 entries took minutes.
                        conn.execute("SET jit = off").await?;
                        Ok(())
                    })
                })
        }
    }
}

/// Ids per `IN (…)` list of [`in_list`] and [`run_in`]: keeps a
/// statement's binds under SQLite's limit.
const IN_CHUNK: usize = 500;

/// Rows of `sql(list)` over `ids`, one statement per chunk.
pub(super) async fn in_list(
    conn: &mut AnyConnection,
    sql: impl Fn(&str) -> String,
    ids: &[i64],
) -> Result<Vec<AnyRow>, StoreError> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(IN_CHUNK) {
        // Only numbered placeholders are formatted in; the ids are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql(&placeholders(1, chunk.len()))));
        for id in chunk {
            query = query.bind(*id);
        }
        rows.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

/// Runs the statement `sql(list)` over `ids`; returns the rows it changed.
pub(super) async fn run_in(
    conn: &mut AnyConnection,
    sql: impl Fn(&str) -> String,
    ids: &[i64],
) -> Result<u64, StoreError> {
    let mut changed = 0;
    for chunk in ids.chunks(IN_CHUNK) {
        // Only numbered placeholders are formatted in; the ids are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql(&placeholders(1, chunk.len()))));
        for id in chunk {
            query = query.bind(*id);
        }
        changed += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(changed)
}

/// `$first, $first+1, …` for `n` values: the numbered placeholders the
/// store formats into statements (only these, never data).
fn placeholders(first: usize, n: usize) -> String {
    let mut list = String::with_capacity(n * 7);
    push_placeholders(&mut list, first, n);
    list
}

/// `($first, …), (…)`: `rows` tuples of `width` consecutive placeholders.
fn tuples(first: usize, rows: usize, width: usize) -> String {
    let mut list = String::with_capacity(rows * (width * 7 + 4));
    for r in 0..rows {
        if r > 0 {
            list.push_str(", ");
        }
        list.push('(');
        push_placeholders(&mut list, first + r * width, width);
        list.push(')');
    }
    list
}

/// Appends `$first, …` to `out`, in one buffer: statements of hundreds of
/// rows are built for every batch, and a string per placeholder showed in
/// profiles of the poll cycle.
fn push_placeholders(out: &mut String, first: usize, n: usize) {
    use std::fmt::Write;
    for i in first..first + n {
        if i > first {
            out.push_str(", ");
        }
        // Writing to a `String` cannot fail.
        let _ = write!(out, "${i}");
    }
}

/// A statement built from numbered placeholders only, never data.
fn statement<'q>(sql: String) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
}

/// The page cache of a SQLite connection that reads: point lookups, and a
/// writer's commit empties it anyway (SQLite's default size).
const READ_CACHE_KIB: i64 = 2048;

/// The page cache of the SQLite connection that writes: ingest re-reads the
/// same index pages all the time.
const WRITE_CACHE_KIB: i64 = 8192;

/// The SQLite pool that writes: one connection (see [`Store::writer`]).
fn sqlite_writer_options() -> AnyPoolOptions {
    AnyPoolOptions::new()
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false)
        .max_connections(1)
        .after_connect(|conn, _| {
            Box::pin(async move {
                setup_sqlite(conn, WRITE_CACHE_KIB).await?;
                // Every batch of an ingest has its own savepoint, whose undo
                // records (a copy of each page it changes) went to a
                // temporary file: half of a cold poll cycle's 1.8 million
                // write calls. In memory they are a few MiB at most, freed
                // at each release. Only here: the pool's connections run
                // what can need temporary space as large as the database
                // (the one-time `VACUUM`, an index built by a migration).
                conn.execute("PRAGMA temp_store = MEMORY").await?;
                Ok(())
            })
        })
}

/// The first connection to the database, set up. On SQLite the pool would
/// retry a failing setup (a full disk cannot make the WAL index) until its
/// timeout, hiding SQLite's reason, so it is set up here first. Daemons
/// starting together on a new file can meet SQLite's "database is locked"
/// where its busy handler does not wait (one of them turning the file to
/// WAL while another has it open): that is tried again, a few times.
async fn first_connection(url: &str, backend: Backend) -> Result<AnyConnection, sqlx::Error> {
    const ATTEMPTS: u64 = 8;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let opened = match AnyConnection::connect(url).await {
            Ok(mut conn) if backend == Backend::Sqlite => {
                match setup_sqlite(&mut conn, READ_CACHE_KIB).await {
                    Ok(()) => Ok(conn),
                    Err(error) => {
                        conn.close().await.ok();
                        Err(error)
                    }
                }
            }
            other => other,
        };
        match opened {
            Err(error) if backend == Backend::Sqlite && is_locked(&error) && attempt < ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            }
            opened => return opened,
        }
    }
}

/// SQLite's SQLITE_BUSY or SQLITE_LOCKED, extended codes included.
fn is_locked(error: &sqlx::Error) -> bool {
    let code = match error {
        sqlx::Error::Database(db) => db.code().and_then(|c| c.parse::<i64>().ok()),
        _ => None,
    };
    code.is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// Settings every SQLite connection gets, with a page cache of `cache_kib`.
async fn setup_sqlite(conn: &mut AnyConnection, cache_kib: i64) -> Result<(), sqlx::Error> {
    // First, so that the statements below wait for another process's lock
    // rather than fail.
    conn.execute("PRAGMA busy_timeout = 10000").await?;
    // Pruning gives freed pages back to the file system with incremental
    // vacuum. The mode is chosen when the file gets its first table (files
    // from before are converted once at start, `migrate::incremental_vacuum`),
    // and setting it is a write, refused on a read-only file.
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(&mut *conn)
        .await?;
    if pages == 0 {
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL").await?;
    }
    // WAL lets the feed be read while a fetch writes.
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA synchronous = NORMAL").await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    // A commit that finds the WAL past this many pages copies it into the
    // file. At SQLite's 1,000 nearly every group commit of a poll cycle did,
    // writing pages that the next commits changed again (and two fsyncs),
    // with the write turn held; the WAL now grows to ~64 MiB instead.
    conn.execute("PRAGMA wal_autocheckpoint = 16384").await?;
    // (Memory mapping the file measured slower than a page cache:
    // remapping as it grows.) A number, not data from outside.
    let cache = format!("PRAGMA cache_size = -{cache_kib}");
    conn.execute(sqlx::AssertSqlSafe(cache)).await?;
    Ok(())
}

/// This machine's host name, for lease holders' names.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// `host:pid:nonce`. The nonce (the start time's nanoseconds) tells apart
/// two processes that reused a pid, as in containers that always start at 1.
fn holder_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}:{}:{nanos:08x}", host_name(), std::process::id())
}

/// SQLite URLs open read-write and create the file unless the user chose a mode.
fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("****"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_tuples_number_every_parameter_once() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(9, 0), "");
        assert_eq!(tuples(2, 2, 3), "($2, $3, $4), ($5, $6, $7)");
        assert_eq!(tuples(1, 0, 4), "");
    }
}
