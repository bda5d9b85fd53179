//! Leases: how daemons sharing one database split the work. Before a daemon
//! runs a source for a scheduled time (a "slot", the cron match it belongs
//! to), it claims the source's row for that slot. Exactly one claim per slot
//! succeeds; the winner holds a lease until it records the run's result, and
//! if it dies first the lease lapses and another daemon takes the slot over.

use std::collections::HashMap;

use sqlx::Row;

use super::group::{Job, answer_all, distinct_runs};
use super::sources::{FETCH_STATE_COLUMNS, fetch_state_from_row};
use super::{Backend, FetchState, Store, StoreError, statement, tuples};

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This daemon holds the lease: run the source now.
    Won,
    /// Another daemon is running it, with a lease lasting until this time
    /// (Unix seconds); ask again then, in case it died.
    Held {
        /// When that lease lapses.
        until: i64,
    },
    /// This slot needs no run from us: another daemon ran it, or something
    /// holds the source back.
    Done {
        /// Not to run before this (backoff, `Retry-After`, `max-age`).
        not_before: Option<i64>,
        /// It answered 410 Gone: not to run at all.
        gone: bool,
    },
    /// Another transaction had the row locked at that instant (a daemon
    /// starting up, or recording a result); ask again shortly.
    Busy,
}

/// A lease request: which source, for which slot, for how long.
#[derive(Debug, Clone, Copy)]
pub struct LeaseRequest {
    /// The source's row id.
    pub source_id: i64,
    /// The scheduled time being run, Unix seconds.
    pub slot: i64,
    /// Now, Unix seconds.
    pub now: i64,
    /// How long the lease lasts unless renewed, seconds.
    pub ttl: i64,
}

/// The claim, for each row of `wanted` (source, slot, now, lease end): the
/// row qualifies when no live lease is held by another daemon, the slot is
/// new or its holder never finished (the lease lapsed with `lease_until`
/// still set), and nothing holds it back. `$2`, when set, names a holder
/// known to be dead, whose lease counts as lapsed. It returns each won
/// row's [`FetchState`], so a won run needs no second read.
const CLAIM: &str = "WITH wanted(id, slot, now, until) AS (VALUES {rows})
     UPDATE sources SET lease_owner = $1, lease_until = wanted.until, claimed_slot = wanted.slot
     FROM wanted
     WHERE sources.id = wanted.id AND sources.id IN (SELECT s.id FROM sources s
         JOIN wanted w ON w.id = s.id
         WHERE (s.lease_until IS NULL OR s.lease_until < w.now OR s.lease_owner = $1
                OR s.lease_owner = $2)
         AND (s.claimed_slot IS NULL OR s.claimed_slot < w.slot OR s.lease_until IS NOT NULL)
         AND s.gone_at IS NULL
         AND COALESCE(s.retry_at, 0) <= w.now AND COALESCE(s.fresh_until, 0) <= w.now
         {lock})
     RETURNING sources.id, {state}";

/// Parameters per claimed row in [`CLAIM`].
const CLAIM_WIDTH: usize = 4;

/// Claims served by one statement at most (at most 258 parameters).
const MAX_CLAIMS: usize = 64;

/// A claim waiting to be served with others.
type ClaimJob = Job<LeaseRequest, Option<FetchState>>;

impl Store {
    /// This process's name in lease rows (see [`super::StoreOptions::holder`]).
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Claims a source for one scheduled run. PostgreSQL skips a row another
    /// transaction has locked instead of queueing behind it (`FOR UPDATE SKIP
    /// LOCKED`); SQLite has one writer at a time anyway.
    ///
    /// A lease held by a process on this host that no longer runs (killed, or
    /// crashed) is taken over at once rather than when it lapses.
    pub async fn claim(&self, request: LeaseRequest) -> Result<Claim, StoreError> {
        Ok(self
            .claim_for_fetch(request)
            .await?
            .err()
            .unwrap_or(Claim::Won))
    }

    /// As [`Store::claim`]: a won claim is `Ok` with the source's
    /// [`FetchState`] (read by the claim's own statement), any other is
    /// `Err` with what the claim found.
    pub async fn claim_for_fetch(
        &self,
        request: LeaseRequest,
    ) -> Result<Result<FetchState, Claim>, StoreError> {
        if let Some(state) = self.try_claim(request).await? {
            return Ok(Ok(state));
        }
        let (claim, owner) = self.why_not(request).await?;
        let dead = owner.filter(|o| matches!(claim, Claim::Held { .. }) && holder_is_dead(o));
        let Some(dead) = dead else {
            return Ok(Err(claim));
        };
        if let Some(state) = self.take_over(request, &dead).await? {
            tracing::warn!(source_id = request.source_id, holder = %dead, "took over a run from a daemon that died");
            return Ok(Ok(state));
        }
        Ok(Err(self.why_not(request).await?.0))
    }

    /// Claims the request's slot, with whatever other claims wait to be
    /// made by then: `Some(state)` when won.
    async fn try_claim(&self, request: LeaseRequest) -> Result<Option<FetchState>, StoreError> {
        let serve = |store: Store, jobs| async move { store.serve_claims(jobs).await };
        self.small_write(&self.claims, request, MAX_CLAIMS, serve)
            .await
    }

    /// Makes the waiting claims, one statement per run of distinct sources.
    async fn serve_claims(&self, mut jobs: Vec<ClaimJob>) {
        // A claim whose task was cancelled while it queued (a daemon
        // stopping) would win a lease nobody runs: other daemons would wait
        // it out.
        jobs.retain(Job::wanted);
        for run in distinct_runs(jobs, MAX_CLAIMS, |r| r.source_id) {
            let requests: Vec<LeaseRequest> = run.iter().map(|job| job.work).collect();
            match self.claim_rows(&requests, None).await {
                Ok(mut won) => {
                    for job in run {
                        let state = won.remove(&job.work.source_id);
                        job.answer(Ok(state));
                    }
                }
                Err(error) => answer_all(run, &error),
            }
        }
    }

    /// Claims a source whose lease a dead process holds, alone.
    async fn take_over(
        &self,
        request: LeaseRequest,
        dead: &str,
    ) -> Result<Option<FetchState>, StoreError> {
        let _turn = self.small_write_turn().await;
        let mut won = self.claim_rows(&[request], Some(dead)).await?;
        Ok(won.remove(&request.source_id))
    }

    /// Runs [`CLAIM`] for `requests` (no source twice); the caller holds the
    /// turn to write where one is needed. Returns the won sources' states.
    async fn claim_rows(
        &self,
        requests: &[LeaseRequest],
        dead: Option<&str>,
    ) -> Result<HashMap<i64, FetchState>, StoreError> {
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE OF s SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = CLAIM
            .replace("{rows}", &tuples(3, requests.len(), CLAIM_WIDTH))
            .replace("{lock}", lock)
            .replace("{state}", FETCH_STATE_COLUMNS);
        // Not kept prepared: the text varies with the number of rows, and
        // 64 variants would crowd ingest's statements out of the cache.
        let mut query = statement(sql)
            .persistent(false)
            .bind(&*self.holder)
            .bind(dead);
        for r in requests {
            query = query
                .bind(r.source_id)
                .bind(r.slot)
                .bind(r.now)
                .bind(r.now.saturating_add(r.ttl));
        }
        let rows = query.fetch_all(self.writer()).await?;
        rows.iter()
            .map(|row| Ok((row.try_get("id")?, fetch_state_from_row(row)?)))
            .collect()
    }

    /// Reads why a claim failed, and who holds the lease.
    async fn why_not(&self, request: LeaseRequest) -> Result<(Claim, Option<String>), StoreError> {
        let row = sqlx::query(
            "SELECT lease_owner, lease_until, claimed_slot, retry_at, fresh_until, gone_at
             FROM sources WHERE id = $1",
        )
        .bind(request.source_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::UnknownSource(format!("#{}", request.source_id)))?;
        let owner: Option<String> = row.try_get("lease_owner")?;
        let until: Option<i64> = row.try_get("lease_until")?;
        let slot: Option<i64> = row.try_get("claimed_slot")?;
        let not_before = row
            .try_get::<Option<i64>, _>("retry_at")?
            .max(row.try_get("fresh_until")?);
        if row.try_get::<Option<i64>, _>("gone_at")?.is_some() {
            let gone = Claim::Done {
                not_before,
                gone: true,
            };
            return Ok((gone, owner));
        }
        let held_by_other = owner.as_deref() != Some(&*self.holder);
        let claim = match until {
            Some(until) if until >= request.now && held_by_other => Claim::Held { until },
            None if slot.is_some_and(|s| s >= request.slot) => Claim::Done {
                not_before,
                gone: false,
            },
            _ if not_before.is_some_and(|t| t > request.now) => Claim::Done {
                not_before,
                gone: false,
            },
            _ => Claim::Busy,
        };
        Ok((claim, owner))
    }

    /// Extends this daemon's lease on a source it is still running. False
    /// when the lease is no longer ours (it lapsed and another daemon took
    /// the source over).
    pub async fn renew(&self, source_id: i64, until: i64) -> Result<bool, StoreError> {
        let _turn = self.small_write_turn().await;
        let done = sqlx::query(
            "UPDATE sources SET lease_until = $3 WHERE id = $1 AND lease_owner = $2
                 AND lease_until IS NOT NULL",
        )
        .bind(source_id)
        .bind(&*self.holder)
        .bind(until)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

/// Whether `holder` (`host:pid:nonce`) names a process on this host that no
/// longer runs. Anything else (another host, a live or reused pid, no
/// `/proc`) counts as alive: its lease then has to lapse.
fn holder_is_dead(holder: &str) -> bool {
    let mut parts = holder.rsplitn(3, ':');
    let (Some(_nonce), Some(pid), Some(host)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    host == super::host_name()
        && pid != std::process::id()
        && std::path::Path::new("/proc/self").exists()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_vanished_process_on_this_host_counts_as_dead() {
        let host = super::super::host_name();
        let me = std::process::id();
        assert!(!holder_is_dead(&format!("{host}:{me}:1")));
        assert!(!holder_is_dead(&format!("{host}:1:1")), "pid 1 runs");
        assert!(!holder_is_dead(&format!("not-{host}:4194303:1")));
        assert!(!holder_is_dead("garbage"));
        // Above Linux's largest pid, so no process has it.
        assert!(holder_is_dead(&format!("{host}:4194304:1")));
    }
}
