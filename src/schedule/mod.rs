//! When each source runs: its cron expression (UTC), a small per-source jitter
//! so sources sharing a schedule do not all fire in the same second, and a due
//! queue the daemon sleeps on.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use xxhash_rust::xxh3::xxh3_64;

use crate::config::CronExpr;

/// The largest jitter added to a scheduled time.
const MAX_JITTER: TimeDelta = TimeDelta::seconds(30);

/// When a source should first run after the daemon starts: now if it has never
/// run or missed a scheduled time while the daemon was down, else at its next
/// scheduled time.
pub fn first_run(
    cron: &CronExpr,
    name: &str,
    last_run: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let Some(last) = last_run else { return now };
    match cron.next_after(last) {
        Some(missed) if missed <= now => now,
        Some(_) => next_run(cron, name, now).unwrap_or(now),
        None => now,
    }
}

/// The scheduled time a run starting at `now` belongs to (its "slot"): the
/// latest cron match at or before `now`. Jitter only delays a run within its
/// slot, so every daemon with the same schedule names the same slot.
pub fn slot(cron: &CronExpr, now: DateTime<Utc>) -> DateTime<Utc> {
    cron.last_at_or_before(now).unwrap_or(now)
}

/// The next time a source runs after `now`: its next cron match plus jitter.
/// `None` if the expression never fires again.
pub fn next_run(cron: &CronExpr, name: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let next = cron.next_after(now)?;
    let interval = cron
        .next_after(next)
        .map_or(TimeDelta::zero(), |after| after - next);
    Some(next + jitter(name, interval))
}

/// `at`, unless something holds the source back until `floor` (a backoff,
/// a `Retry-After`, the server's `max-age`): then its first scheduled time
/// after `floor`. A floor only ever delays; it never makes a source run
/// sooner than its schedule says.
pub fn held_back(
    cron: &CronExpr,
    name: &str,
    at: DateTime<Utc>,
    floor: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match floor {
        Some(floor) if floor > at => next_run(cron, name, floor),
        _ => Some(at),
    }
}

/// How long to wait after `failures` consecutive failures: `base` doubled for
/// each failure after the first, at most `max`.
pub fn backoff(
    failures: u32,
    base: std::time::Duration,
    max: std::time::Duration,
) -> std::time::Duration {
    let doublings = failures.saturating_sub(1).min(32);
    base.saturating_mul(1u32 << doublings.min(31)).min(max)
}

/// A stable offset in `[0, min(30 s, interval / 10))`, derived from the name so
/// a source keeps its slot across restarts.
fn jitter(name: &str, interval: TimeDelta) -> TimeDelta {
    let span_ms = (interval / 10).min(MAX_JITTER).num_milliseconds();
    if span_ms <= 0 {
        return TimeDelta::zero();
    }
    let offset = xxh3_64(name.as_bytes()) % span_ms as u64;
    TimeDelta::milliseconds(offset as i64)
}

/// Sources ordered by when they are next due.
#[derive(Debug, Default)]
pub struct DueQueue {
    queue: BTreeSet<(DateTime<Utc>, String)>,
    due_at: HashMap<String, DateTime<Utc>>,
}

impl DueQueue {
    /// An empty queue.
    pub fn new() -> DueQueue {
        DueQueue::default()
    }

    /// Schedules (or reschedules) `name` at `at`.
    pub fn insert(&mut self, name: &str, at: DateTime<Utc>) {
        self.remove(name);
        self.queue.insert((at, name.to_owned()));
        self.due_at.insert(name.to_owned(), at);
    }

    /// Forgets `name`.
    pub fn remove(&mut self, name: &str) {
        if let Some(at) = self.due_at.remove(name) {
            self.queue.remove(&(at, name.to_owned()));
        }
    }

    /// The earliest scheduled time, if any.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.queue.first().map(|(at, _)| *at)
    }

    /// When `name` is due, if scheduled.
    pub fn due_at(&self, name: &str) -> Option<DateTime<Utc>> {
        self.due_at.get(name).copied()
    }

    /// Removes and returns every source due at or before `now`, earliest first.
    pub fn pop_due(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let mut due = Vec::new();
        while let Some((at, _)) = self.queue.first() {
            if *at > now {
                break;
            }
            if let Some((_, name)) = self.queue.pop_first() {
                self.due_at.remove(&name);
                due.push(name);
            }
        }
        due
    }

    /// Number of scheduled sources.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn cron(s: &str) -> CronExpr {
        s.parse().unwrap()
    }

    #[test]
    fn never_run_or_missed_runs_are_due_now() {
        let hourly = cron("0 * * * *");
        let now = at("2026-11-28T10:20:00Z");
        assert_eq!(first_run(&hourly, "a", None, now), now);
        assert_eq!(
            first_run(&hourly, "a", Some(at("2026-11-28T08:00:00Z")), now),
            now
        );
        let next = first_run(&hourly, "a", Some(at("2026-11-28T10:00:05Z")), now);
        assert!(
            next >= at("2026-11-28T11:00:00Z") && next < at("2026-11-28T11:00:30Z"),
            "{next}"
        );
    }

    #[test]
    fn floors_delay_to_the_next_scheduled_time_and_never_advance() {
        let hourly = cron("0 * * * *");
        let now = at("2026-11-28T10:00:00Z");
        assert_eq!(held_back(&hourly, "s", now, None), Some(now));
        let earlier = at("2026-11-28T09:00:00Z");
        assert_eq!(held_back(&hourly, "s", now, Some(earlier)), Some(now));
        let later = held_back(&hourly, "s", now, Some(at("2026-11-28T12:30:00Z"))).unwrap();
        assert!(later >= at("2026-11-28T13:00:00Z") && later < at("2026-11-28T13:01:00Z"));
    }

    #[test]
    fn backoff_doubles_per_failure_up_to_the_cap() {
        let min = std::time::Duration::from_secs(60);
        let day = std::time::Duration::from_secs(86_400);
        assert_eq!(backoff(1, 5 * min, day), 5 * min);
        assert_eq!(backoff(2, 5 * min, day), 10 * min);
        assert_eq!(backoff(5, 5 * min, day), 80 * min);
        assert_eq!(backoff(20, 5 * min, day), day);
        assert_eq!(backoff(u32::MAX, 5 * min, day), day);
    }

    #[test]
    fn jitter_is_stable_per_name_and_bounded_by_the_interval() {
        let every_minute = cron("* * * * *");
        let now = at("2026-11-28T10:20:30Z");
        let a1 = next_run(&every_minute, "alpha", now).unwrap();
        assert_eq!(a1, next_run(&every_minute, "alpha", now).unwrap());
        for name in ["alpha", "beta", "gamma", "delta"] {
            let t = next_run(&every_minute, name, now).unwrap();
            assert!(
                t >= at("2026-11-28T10:21:00Z") && t < at("2026-11-28T10:21:06Z"),
                "{name}: {t}"
            );
        }
        let names_spread: BTreeSet<_> = ["alpha", "beta", "gamma", "delta"]
            .iter()
            .map(|n| next_run(&every_minute, n, now))
            .collect();
        assert!(names_spread.len() > 1);
    }

    #[test]
    fn queue_pops_due_sources_in_order_and_reschedules() {
        let mut q = DueQueue::new();
        q.insert("late", at("2026-11-28T10:05:00Z"));
        q.insert("early", at("2026-11-28T10:01:00Z"));
        q.insert("mid", at("2026-11-28T10:03:00Z"));
        q.insert("mid", at("2026-11-28T10:02:00Z"));
        assert_eq!(q.len(), 3);
        assert_eq!(q.next_due(), Some(at("2026-11-28T10:01:00Z")));
        assert_eq!(q.pop_due(at("2026-11-28T10:02:00Z")), vec!["early", "mid"]);
        assert_eq!(q.pop_due(at("2026-11-28T10:02:00Z")), Vec::<String>::new());
        q.remove("late");
        assert!(q.is_empty());
    }

    #[test]
    fn a_run_belongs_to_the_latest_cron_match_at_or_before_it() {
        let hourly = cron("0 * * * *");
        let start = at("2026-11-28T10:00:00Z");
        assert_eq!(slot(&hourly, start), start);
        // A jittered or late run keeps its slot until the next match.
        assert_eq!(slot(&hourly, at("2026-11-28T10:00:29Z")), start);
        assert_eq!(slot(&hourly, at("2026-11-28T10:59:59Z")), start);
        assert_eq!(
            slot(&hourly, at("2026-11-28T11:00:00Z")),
            at("2026-11-28T11:00:00Z")
        );
        let every_two_seconds = cron("*/2 * * * * *");
        assert_eq!(
            slot(&every_two_seconds, at("2026-11-28T10:00:03.5Z")),
            at("2026-11-28T10:00:02Z")
        );
    }
}
