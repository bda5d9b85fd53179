//! Group commit of ingest batches (see `store::group`): the batches that
//! wait for this process's turn to write are stored in one transaction. A
//! poll cycle over thousands of feeds committed one small transaction per
//! feed, and each commit wrote the pages it touched (indexes, the change
//! counter) to the WAL again: about ten times the database's size in WAL
//! writes per cold pass, and every commit emptied the other connections'
//! page caches. Each batch keeps its own savepoint, so one that fails is
//! rolled back alone and reported to its writer; the others commit.

use std::collections::HashSet;

use super::{Batch, IngestReport, batch, store_batch};
use crate::store::group::{Job, answer_all};
use crate::store::{Store, StoreError, Turn, WriteTx};

/// Batches stored in one transaction at most: enough that commits stop
/// dominating, few enough that the write lock (and on PostgreSQL the other
/// daemons) never waits long: each batch takes a few milliseconds.
pub const MAX_GROUP: usize = 64;

/// A batch waiting to be stored, and where its outcome goes.
type Stored = Job<Batch, IngestReport>;

impl Store {
    /// Stores a source's entries (see [`Store::ingest`]), in one transaction
    /// with whatever other batches are waiting to be stored by then.
    pub async fn ingest_batch(&self, batch: Batch) -> Result<IngestReport, StoreError> {
        let lead = || self.write_turn.clone().lock_owned();
        let serve = |turn, jobs| {
            let store = self.clone();
            async move { store.store_group(turn, jobs).await }
        };
        self.waiting.serve(batch, MAX_GROUP, lead, serve).await
    }

    /// Stores `jobs` in one transaction and answers each, after the commit.
    async fn store_group(&self, turn: Turn, jobs: Vec<Stored>) {
        let mut write = match self.begin_write_holding(turn).await {
            Ok(write) => write,
            Err(error) => return answer_all(jobs, &error),
        };
        let sources: Vec<i64> = jobs.iter().map(|job| job.work.source_id).collect();
        let mourned = match batch::with_tombstones(&mut write.tx, &sources).await {
            Ok(mourned) => mourned,
            Err(error) => return answer_all(jobs, &error),
        };
        let mut outcomes = Vec::with_capacity(jobs.len());
        let mut changed = false;
        let mut pending = jobs.into_iter();
        // Whether the last batch stored is still inside its savepoint: the
        // next batch's first call releases it (or the commit does).
        let mut open = false;
        while let Some(job) = pending.next() {
            let outcome = match stored_alone(&mut write, &job.work, &mourned, open).await {
                Ok(outcome) => outcome,
                // The transaction itself broke: nothing of it will commit.
                Err(error) => {
                    let done = outcomes.into_iter().map(|(job, _)| job);
                    let all = done.chain(std::iter::once(job)).chain(pending);
                    return answer_all(all, &error);
                }
            };
            open = outcome.is_ok();
            match &outcome {
                Ok(report) => changed |= report.changed(),
                // Rolled back to its savepoint, but it may have changed the
                // in-memory copy: the next batch rebuilds it, else the next
                // transaction does (not settled at the commit).
                Err(_) => write.synced = false,
            }
            outcomes.push((job, outcome));
        }
        let committed = async {
            if changed {
                write.mark_changed().await?;
            }
            write.commit().await
        };
        if let Err(error) = committed.await.map_err(StoreError::from) {
            return answer_all(outcomes.into_iter().map(|(job, _)| job), &error);
        }
        for (job, outcome) in outcomes {
            job.answer(outcome);
        }
    }
}

/// Stores one batch inside its own savepoint: `Ok(Err(_))` when the batch
/// failed and was rolled back alone, `Err(_)` when the transaction broke.
/// A batch that worked leaves its savepoint open: releasing it with the
/// next batch's savepoint, in one call, saves a hand-off to the database
/// per batch, and the commit releases the last one. `open` says that the
/// previous batch's is still open.
async fn stored_alone(
    write: &mut WriteTx,
    batch: &Batch,
    mourned: &HashSet<i64>,
    open: bool,
) -> Result<Result<IngestReport, StoreError>, StoreError> {
    if open {
        write
            .execute_script("RELEASE SAVEPOINT batch; SAVEPOINT batch")
            .await?;
    } else {
        write.execute("SAVEPOINT batch").await?;
    }
    match store_batch(write, batch, mourned).await {
        Ok(report) => Ok(Ok(report)),
        Err(error) => {
            write
                .execute_script("ROLLBACK TO SAVEPOINT batch; RELEASE SAVEPOINT batch")
                .await?;
            Ok(Err(error))
        }
    }
}
