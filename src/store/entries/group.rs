//! Group commit: the batches that wait for this process's turn to write are
//! stored together, by whichever of their writers gets the turn first, in
//! one transaction. A poll cycle over thousands of feeds committed one small
//! transaction per feed, and each commit wrote the pages it touched (indexes,
//! the change counter) to the WAL again: about ten times the database's size
//! in WAL writes per cold pass, and every commit emptied the other
//! connections' page caches. Each batch keeps its own savepoint, so one that
//! fails is rolled back alone and reported to its writer; the others commit.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::oneshot::{self, error::TryRecvError};

use super::{Batch, IngestReport, store_batch};
use crate::store::{Store, StoreError, Turn, WriteTx};

/// Batches stored in one transaction at most: enough that commits stop
/// dominating, few enough that the write lock (and on PostgreSQL the other
/// daemons) never waits long: each batch takes a few milliseconds.
pub const MAX_GROUP: usize = 64;

/// A batch waiting to be stored, and where its outcome goes.
struct Job {
    batch: Batch,
    reply: oneshot::Sender<Result<IngestReport, StoreError>>,
}

/// The batches waiting for a writer.
#[derive(Default)]
pub(crate) struct Waiting(Mutex<VecDeque<Job>>);

impl std::fmt::Debug for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Waiting")
    }
}

impl Waiting {
    fn push(&self, job: Job) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push_back(job);
    }

    fn take(&self, most: usize) -> Vec<Job> {
        let mut queue = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = queue.len().min(most);
        queue.drain(..n).collect()
    }
}

impl Store {
    /// Stores a source's entries (see [`Store::ingest`]), in one transaction
    /// with whatever other batches are waiting to be stored by then.
    pub async fn ingest_batch(&self, batch: Batch) -> Result<IngestReport, StoreError> {
        let (reply, mut answer) = oneshot::channel();
        self.waiting.push(Job { batch, reply });
        loop {
            let turn = self.write_turn.clone().lock_owned().await;
            // A writer before us may have stored our batch with its own.
            match answer.try_recv() {
                Ok(result) => return result,
                Err(TryRecvError::Closed) => return Err(StoreError::Abandoned),
                Err(TryRecvError::Empty) => {}
            }
            let jobs = self.waiting.take(MAX_GROUP);
            if jobs.is_empty() {
                // Taken by a writer that committed and is answering, or
                // that was cancelled (then the answer never comes).
                drop(turn);
                return answer.await.unwrap_or(Err(StoreError::Abandoned));
            }
            // In a task of its own: a writer cancelled while it stores a
            // group (a push task aborted at shutdown) must not take the
            // other sources' batches down with it.
            let store = self.clone();
            let group = tokio::spawn(async move { store.store_group(turn, jobs).await });
            // A panic in the group drops its answers: each writer hears
            // `Abandoned`.
            let _ = group.await;
        }
    }

    /// Stores `jobs` in one transaction and answers each, after the commit.
    async fn store_group(&self, turn: Turn, jobs: Vec<Job>) {
        let mut write = match self.begin_write_holding(turn).await {
            Ok(write) => write,
            Err(error) => return answer_all(jobs, &error),
        };
        let mut outcomes = Vec::with_capacity(jobs.len());
        let mut changed = false;
        let mut pending = jobs.into_iter();
        while let Some(job) = pending.next() {
            let outcome = match stored_alone(&mut write, &job.batch).await {
                Ok(outcome) => outcome,
                // The transaction itself broke: nothing of it will commit.
                Err(error) => {
                    let done = outcomes.into_iter().map(|(job, _)| job);
                    let all = done.chain(std::iter::once(job)).chain(pending).collect();
                    return answer_all(all, &error);
                }
            };
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
            return answer_all(outcomes.into_iter().map(|(job, _)| job).collect(), &error);
        }
        for (job, outcome) in outcomes {
            // A writer that stopped waiting no longer wants its answer.
            let _ = job.reply.send(outcome);
        }
    }
}

/// Stores one batch inside its own savepoint: `Ok(Err(_))` when the batch
/// failed and was rolled back alone, `Err(_)` when the transaction broke.
async fn stored_alone(
    write: &mut WriteTx,
    batch: &Batch,
) -> Result<Result<IngestReport, StoreError>, StoreError> {
    write.execute("SAVEPOINT batch").await?;
    match store_batch(write, batch).await {
        Ok(report) => {
            write.execute("RELEASE SAVEPOINT batch").await?;
            Ok(Ok(report))
        }
        Err(error) => {
            write.execute("ROLLBACK TO SAVEPOINT batch").await?;
            write.execute("RELEASE SAVEPOINT batch").await?;
            Ok(Err(error))
        }
    }
}

/// Answers every job with the error that stopped their shared transaction.
fn answer_all(jobs: Vec<Job>, error: &StoreError) {
    for job in jobs {
        let _ = job.reply.send(Err(StoreError::Shared(error.to_string())));
    }
}
