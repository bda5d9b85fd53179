//! Group commit: writes that wait for this process's turn to write are
//! served together, by whichever of their callers gets the turn first.
//! Every statement costs a hand-off to the database's thread (SQLite) or a
//! round trip (PostgreSQL) and, outside a transaction, a commit of its own;
//! a poll cycle over thousands of feeds made three such writes per feed
//! (claim, ingest, record), one after another behind one lock. Served in
//! groups, they take one statement or one transaction per group instead.
//! Ingest batches (`entries::group`), claims (`leases`) and, on SQLite,
//! recorded fetch outcomes (`records`) each have a queue of their own.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot::{self, error::TryRecvError};

use super::{Backend, Store, StoreError, Turn};

/// A request waiting to be served, and where its answer goes.
pub(super) struct Job<W, R> {
    /// What to do.
    pub(super) work: W,
    reply: oneshot::Sender<Result<R, StoreError>>,
}

impl<W, R> Job<W, R> {
    /// Answers the caller (who may have stopped waiting: then nobody hears).
    pub(super) fn answer(self, result: Result<R, StoreError>) {
        let _ = self.reply.send(result);
    }

    /// Whether the caller still waits for the answer (its task was not
    /// cancelled meanwhile).
    pub(super) fn wanted(&self) -> bool {
        !self.reply.is_closed()
    }
}

/// Answers every job with the error that stopped their shared write.
pub(super) fn answer_all<W, R>(jobs: impl IntoIterator<Item = Job<W, R>>, error: &StoreError) {
    for job in jobs {
        job.answer(Err(StoreError::Shared(error.to_string())));
    }
}

/// Requests of one kind waiting for a writer.
pub(super) struct Queue<W, R> {
    jobs: Mutex<VecDeque<Job<W, R>>>,
    /// Who serves a group of small writes on PostgreSQL, where they need no
    /// turn to write (each locks only its rows) but still gain from going
    /// to the server together.
    lead: Arc<tokio::sync::Mutex<()>>,
}

impl<W, R> Default for Queue<W, R> {
    fn default() -> Self {
        Queue {
            jobs: Mutex::default(),
            lead: Arc::default(),
        }
    }
}

impl<W, R> std::fmt::Debug for Queue<W, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Queue")
    }
}

/// What the server of a group of small writes holds while it serves:
/// this process's turn to write (SQLite), or its queue's own lock
/// (PostgreSQL). Only held, never read.
#[expect(dead_code, reason = "held for its drop, never read")]
enum Leader {
    /// The turn to write.
    Turn(Turn),
    /// A small-write queue's own lock.
    Own(tokio::sync::OwnedMutexGuard<()>),
}

impl<W: Send + 'static, R: Send + 'static> Queue<W, R> {
    fn push(&self, job: Job<W, R>) {
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push_back(job);
    }

    fn take(&self, most: usize) -> Vec<Job<W, R>> {
        let mut queue = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = queue.len().min(most);
        queue.drain(..n).collect()
    }

    /// Queues `work` and waits for its answer. Whoever gets `lead` first
    /// takes up to `most` waiting jobs and hands them to `serve`, which must
    /// answer each.
    pub(super) async fn serve<T, L, G, S, F>(
        &self,
        work: W,
        most: usize,
        lead: L,
        serve: S,
    ) -> Result<R, StoreError>
    where
        L: Fn() -> G,
        G: Future<Output = T>,
        S: Fn(T, Vec<Job<W, R>>) -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        let (reply, mut answer) = oneshot::channel();
        self.push(Job { work, reply });
        loop {
            let leader = lead().await;
            // A server before us may have served our job with its own.
            match answer.try_recv() {
                Ok(result) => return result,
                Err(TryRecvError::Closed) => return Err(StoreError::Abandoned),
                Err(TryRecvError::Empty) => {}
            }
            let jobs = self.take(most);
            if jobs.is_empty() {
                // Taken by a server that is answering, or that was
                // cancelled (then the answer never comes).
                drop(leader);
                return answer.await.unwrap_or(Err(StoreError::Abandoned));
            }
            // In a task of its own: a caller cancelled while it serves a
            // group (a task aborted at shutdown) must not take the others'
            // jobs down with it. A panic there drops its answers: each
            // caller hears `Abandoned`.
            let _ = tokio::spawn(serve(leader, jobs)).await;
        }
    }
}

impl Store {
    /// Queues a small write (statements outside a transaction) on `queue`,
    /// one of this store's, and waits for its answer. Whoever serves a group
    /// holds, while `serve` runs, the turn to write on SQLite and `queue`'s
    /// own lock on PostgreSQL.
    pub(super) async fn small_write<W, R, S, F>(
        &self,
        queue: &Queue<W, R>,
        work: W,
        most: usize,
        serve: S,
    ) -> Result<R, StoreError>
    where
        W: Send + 'static,
        R: Send + 'static,
        S: Fn(Store, Vec<Job<W, R>>) -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        let lead = || async {
            match self.backend {
                Backend::Sqlite => Leader::Turn(self.write_turn.clone().lock_owned().await),
                Backend::Postgres => Leader::Own(queue.lead.clone().lock_owned().await),
            }
        };
        let served = |leader: Leader, jobs| {
            let serving = serve(self.clone(), jobs);
            async move {
                serving.await;
                drop(leader);
            }
        };
        queue.serve(work, most, lead, served).await
    }
}

/// Splits jobs into runs of at most `most` in which no key repeats: one
/// multi-row statement must not name a row twice (which of two updates of
/// one row wins is up to the database).
pub(super) fn distinct_runs<W, R>(
    jobs: Vec<Job<W, R>>,
    most: usize,
    key: impl Fn(&W) -> i64,
) -> Vec<Vec<Job<W, R>>> {
    let mut runs: Vec<Vec<Job<W, R>>> = Vec::new();
    for job in jobs {
        let repeats = runs.last().is_none_or(|run| {
            run.len() >= most || run.iter().any(|j| key(&j.work) == key(&job.work))
        });
        if repeats {
            runs.push(Vec::new());
        }
        if let Some(run) = runs.last_mut() {
            run.push(job);
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(keys: &[i64]) -> Vec<Job<i64, ()>> {
        keys.iter()
            .map(|&work| Job {
                work,
                reply: oneshot::channel().0,
            })
            .collect()
    }

    fn keys(runs: &[Vec<Job<i64, ()>>]) -> Vec<Vec<i64>> {
        runs.iter()
            .map(|run| run.iter().map(|j| j.work).collect())
            .collect()
    }

    #[test]
    fn a_job_whose_caller_left_is_no_longer_wanted() {
        let (reply, answer) = oneshot::channel::<Result<(), StoreError>>();
        let job = Job { work: 1, reply };
        assert!(job.wanted());
        drop(answer);
        assert!(!job.wanted());
    }

    #[test]
    fn runs_split_where_a_key_repeats_or_a_run_is_full() {
        let runs = distinct_runs(jobs(&[1, 2, 3, 2, 4, 5, 6, 7]), 3, |&k| k);
        assert_eq!(keys(&runs), vec![vec![1, 2, 3], vec![2, 4, 5], vec![6, 7]]);
        assert!(distinct_runs(jobs(&[]), 3, |&k| k).is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_server_answers_every_waiting_job() {
        let queue: Arc<Queue<u32, u32>> = Arc::default();
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        // Hold the lock so that every caller queues before anyone serves.
        let held = lock.clone().lock_owned().await;
        let callers: Vec<_> = (0..10u32)
            .map(|n| {
                let (queue, lock, served) = (queue.clone(), lock.clone(), served.clone());
                tokio::spawn(async move {
                    let lead = || lock.clone().lock_owned();
                    let serve = |_, jobs: Vec<Job<u32, u32>>| {
                        served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        async move {
                            for job in jobs {
                                let doubled = job.work * 2;
                                job.answer(Ok(doubled));
                            }
                        }
                    };
                    queue.serve(n, 64, lead, serve).await
                })
            })
            .collect();
        while queue.jobs.lock().unwrap().len() < 10 {
            tokio::task::yield_now().await;
        }
        drop(held);
        for (n, caller) in callers.into_iter().enumerate() {
            assert_eq!(caller.await.unwrap().unwrap(), 2 * n as u32);
        }
        assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
