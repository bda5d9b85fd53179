//! Fetch outcomes, recorded in a source's row: validators and freshness
//! after a success, the reason and backoff after a failure, and the end of
//! this daemon's lease either way. On SQLite, outcomes that wait for the
//! turn to write are recorded together (see `group`), one statement for a
//! group's successes and one for its failures: a warm poll cycle records
//! thousands of "not modified" answers a minute.

use sqlx::any::AnyArguments;
use sqlx::query::Query;

use super::group::{Job, answer_all, distinct_runs};
use super::{Backend, Failure, MARK_CHANGED, Store, StoreError, Success, statement, tuples};

/// Each successful fetch of `done`: failures, backoff and a 410 forgotten.
/// `$1` is this daemon's name: its lease ends.
const SUCCEEDED: &str = "WITH done(id, etag, last_modified, at, status, fresh_until, moved_to,
         feed_title) AS (VALUES {rows})
     UPDATE sources SET etag = done.etag, last_modified = done.last_modified,
         last_fetch_at = done.at, last_success_at = done.at, last_status = done.status,
         last_error = NULL, error_count = 0, retry_at = NULL, fresh_until = done.fresh_until,
         gone_at = NULL, moved_to = done.moved_to,
         lease_owner = CASE WHEN sources.lease_owner = $1 THEN NULL ELSE sources.lease_owner END,
         lease_until = CASE WHEN sources.lease_owner = $1 THEN NULL ELSE sources.lease_until END,
         feed_title = COALESCE(done.feed_title, sources.feed_title)
     FROM done WHERE sources.id = done.id";

/// Each failed fetch of `failed`: one more consecutive failure where it
/// `counts`, and `gone` (1) marks a 410. `$1` as in [`SUCCEEDED`].
const FAILED: &str = "WITH failed(id, at, status, error, counts, retry_at, gone) AS (VALUES {rows})
     UPDATE sources SET last_fetch_at = failed.at, last_status = failed.status,
         last_error = failed.error, error_count = sources.error_count + failed.counts,
         retry_at = failed.retry_at,
         gone_at = CASE WHEN failed.gone = 1 THEN failed.at ELSE sources.gone_at END,
         lease_owner = CASE WHEN sources.lease_owner = $1 THEN NULL ELSE sources.lease_owner END,
         lease_until = CASE WHEN sources.lease_owner = $1 THEN NULL ELSE sources.lease_until END
     FROM failed WHERE sources.id = failed.id";

/// Outcomes recorded by one statement at most (at most 513 parameters).
const MAX_RECORDS: usize = 64;

/// A fetch outcome waiting to be recorded, as its row of [`SUCCEEDED`] or
/// [`FAILED`].
pub(super) enum Record {
    /// A fetch that worked.
    Success {
        source_id: i64,
        at: i64,
        status: i64,
        etag: Option<String>,
        last_modified: Option<String>,
        fresh_until: Option<i64>,
        moved_to: Option<String>,
        /// Set when the feed's title changed: the feeds name the source by it.
        feed_title: Option<String>,
    },
    /// A fetch that did not.
    Failure {
        source_id: i64,
        at: i64,
        status: Option<i64>,
        error: String,
        counts: i64,
        retry_at: Option<i64>,
        gone: i64,
    },
}

type RecordJob = Job<Record, ()>;

impl Record {
    fn source_id(&self) -> i64 {
        match self {
            Record::Success { source_id, .. } | Record::Failure { source_id, .. } => *source_id,
        }
    }

    /// Binds this outcome's row, in the order of its statement's columns.
    fn bind<'q>(
        &'q self,
        query: Query<'q, sqlx::Any, AnyArguments>,
    ) -> Query<'q, sqlx::Any, AnyArguments> {
        match self {
            Record::Success {
                source_id,
                at,
                status,
                etag,
                last_modified,
                fresh_until,
                moved_to,
                feed_title,
            } => query
                .bind(*source_id)
                .bind(etag.as_deref())
                .bind(last_modified.as_deref())
                .bind(*at)
                .bind(*status)
                .bind(*fresh_until)
                .bind(moved_to.as_deref())
                .bind(feed_title.as_deref()),
            Record::Failure {
                source_id,
                at,
                status,
                error,
                counts,
                retry_at,
                gone,
            } => query
                .bind(*source_id)
                .bind(*at)
                .bind(*status)
                .bind(error.as_str())
                .bind(*counts)
                .bind(*retry_at)
                .bind(*gone),
        }
    }
}

impl Store {
    /// Records a successful fetch: failures, backoff and a 410 are forgotten,
    /// and this daemon's lease on the source ends.
    pub async fn record_success(&self, source_id: i64, ok: &Success<'_>) -> Result<(), StoreError> {
        self.record(Record::Success {
            source_id,
            at: ok.at,
            status: i64::from(ok.status),
            etag: ok.validators.etag.clone(),
            last_modified: ok.validators.last_modified.clone(),
            fresh_until: ok.fresh_until,
            moved_to: ok.moved_to.map(str::to_owned),
            feed_title: ok.feed_title.map(str::to_owned),
        })
        .await
    }

    /// Records a failed fetch: the reason, when to try again, and (unless
    /// nothing was tried) one more consecutive failure; this daemon's lease
    /// on the source ends.
    pub async fn record_failure(
        &self,
        source_id: i64,
        failed: &Failure<'_>,
    ) -> Result<(), StoreError> {
        self.record(Record::Failure {
            source_id,
            at: failed.at,
            status: failed.status.map(i64::from),
            error: failed.error.to_owned(),
            counts: i64::from(failed.counts),
            retry_at: failed.retry_at,
            gone: i64::from(failed.gone),
        })
        .await
    }

    /// Records `record`: on SQLite with whatever other outcomes wait by then.
    async fn record(&self, record: Record) -> Result<(), StoreError> {
        match self.backend() {
            Backend::Sqlite => {
                let serve = |store: Store, jobs| async move { store.serve_records(jobs).await };
                self.small_write(&self.records, record, MAX_RECORDS, serve)
                    .await
            }
            // One row a statement, on any pooled connection, as before: a
            // statement locking many sources' rows in the join's order could
            // deadlock with another writer of several (a config sync, a
            // daemon that took leases over). Claims skip locked rows instead.
            Backend::Postgres => self.write_outcomes(&[&record]).await,
        }
    }

    /// Records the waiting outcomes, per run of distinct sources one
    /// statement for the successes and one for the failures.
    async fn serve_records(&self, jobs: Vec<RecordJob>) {
        for run in distinct_runs(jobs, MAX_RECORDS, |r| r.source_id()) {
            let (succeeded, failed): (Vec<_>, Vec<_>) = run
                .into_iter()
                .partition(|job| matches!(job.work, Record::Success { .. }));
            for jobs in [succeeded, failed] {
                let records: Vec<&Record> = jobs.iter().map(|job| &job.work).collect();
                let result = self.write_outcomes(&records).await;
                match result {
                    Ok(()) => jobs.into_iter().for_each(|job| job.answer(Ok(()))),
                    Err(error) => answer_all(jobs, &error),
                }
            }
        }
    }

    /// Writes `records`, all successes or all failures, in one statement
    /// (none if there are none), and marks the feeds for re-rendering when
    /// a success brought a new feed title (the feeds name the source by it).
    async fn write_outcomes(&self, records: &[&Record]) -> Result<(), StoreError> {
        let Some(first) = records.first() else {
            return Ok(());
        };
        let (sql, width) = match first {
            Record::Success { .. } => (SUCCEEDED, 8),
            Record::Failure { .. } => (FAILED, 7),
        };
        let sql = sql.replace("{rows}", &tuples(2, records.len(), width));
        // Not kept prepared: the text varies with the number of rows, and
        // 64 variants would crowd ingest's statements out of the cache.
        let mut query = statement(sql).persistent(false).bind(self.holder());
        for record in records {
            query = record.bind(query);
        }
        query.execute(self.writer()).await?;
        let retitled = records.iter().any(
            |record| matches!(record, Record::Success { feed_title, .. } if feed_title.is_some()),
        );
        if retitled {
            sqlx::query(MARK_CHANGED).execute(self.writer()).await?;
        }
        Ok(())
    }
}
