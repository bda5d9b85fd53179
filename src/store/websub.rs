//! WebSub subscription rows: which hub each source's feed advertises, the
//! callback id and secret we gave it, and where the subscription stands.
//! Daemons sharing a database take a row with a conditional UPDATE of
//! `claimed_until` before they talk to its hub, so only one does.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubState {
    /// A hub was found and no request has gone to it yet.
    New,
    /// The hub accepted the request (202) and has yet to verify it.
    Pending,
    /// The hub verified it: pushes come until `lease_until`.
    Active,
    /// The last request to the hub failed; tried again at `next_attempt`.
    Failed,
    /// The hub refused it (`hub.mode=denied`); asked again at `next_attempt`.
    Denied,
    /// The source went or opted out: unsubscribed, the row goes at `next_attempt`.
    Unsubscribing,
}

impl SubState {
    /// The name stored in the database and shown by `status`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubState::New => "new",
            SubState::Pending => "pending",
            SubState::Active => "active",
            SubState::Failed => "failed",
            SubState::Denied => "denied",
            SubState::Unsubscribing => "unsubscribing",
        }
    }

    fn parse(text: &str) -> SubState {
        match text {
            "pending" => SubState::Pending,
            "active" => SubState::Active,
            "failed" => SubState::Failed,
            "denied" => SubState::Denied,
            "unsubscribing" => SubState::Unsubscribing,
            // Anything unknown (a newer daemon's state) is started over.
            _ => SubState::New,
        }
    }
}

/// One source's subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The source's row id.
    pub source_id: i64,
    /// The source's name; `None` when its row was deleted.
    pub source: Option<String>,
    /// The opaque last part of the callback URL.
    pub callback_id: String,
    /// The hub's URL.
    pub hub: String,
    /// The topic subscribed to (the feed's `rel="self"`, else its URL).
    pub topic: String,
    /// The `hub.secret` given to the hub (hex).
    pub secret: String,
    /// Where it stands.
    pub state: SubState,
    /// When the hub's lease ends, Unix seconds.
    pub lease_until: Option<i64>,
    /// When the subscriber looks at it next, Unix seconds.
    pub next_attempt: i64,
    /// Consecutive failed requests to the hub.
    pub failures: i64,
    /// The last failure, or the hub's reason for a denial.
    pub last_error: Option<String>,
}

/// A new state for a subscription; writing it gives up the claim on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubUpdate {
    /// The new state.
    pub state: SubState,
    /// The hub's lease end, if known.
    pub lease_until: Option<i64>,
    /// When to look at it next.
    pub next_attempt: i64,
    /// Consecutive failures.
    pub failures: i64,
    /// Why the last request failed (or was denied).
    pub last_error: Option<String>,
}

/// A hub and topic a source's feed advertises, with a callback id and
/// secret to use if the subscription is new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advertised<'a> {
    /// The hub's URL.
    pub hub: &'a str,
    /// The topic.
    pub topic: &'a str,
    /// A fresh callback id.
    pub callback_id: &'a str,
    /// A fresh secret.
    pub secret: &'a str,
}

const COLUMNS: &str = "SELECT w.source_id, s.name, w.callback_id, w.hub, w.topic, w.secret,
        w.state, w.lease_until, w.next_attempt, w.failures, w.last_error
    FROM websub_subscriptions w LEFT JOIN sources s ON s.id = w.source_id";

fn read(row: &AnyRow) -> Result<Subscription, sqlx::Error> {
    Ok(Subscription {
        source_id: row.try_get("source_id")?,
        source: row.try_get("name")?,
        callback_id: row.try_get("callback_id")?,
        hub: row.try_get("hub")?,
        topic: row.try_get("topic")?,
        secret: row.try_get("secret")?,
        state: SubState::parse(&row.try_get::<String, _>("state")?),
        lease_until: row.try_get("lease_until")?,
        next_attempt: row.try_get("next_attempt")?,
        failures: row.try_get("failures")?,
        last_error: row.try_get("last_error")?,
    })
}

impl Store {
    /// Records that `source_id`'s feed advertises `ad`. A source seen with
    /// a hub for the first time, with another hub or topic than before, or
    /// coming back after it was unsubscribed, gets a new subscription due
    /// now, with `ad`'s fresh callback id and secret: the old hub's pushes
    /// then reach an id nobody has and are answered 410 Gone, which tells
    /// it to stop. Returns whether one is due.
    pub async fn note_hub(
        &self,
        source_id: i64,
        ad: &Advertised<'_>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let current = self.subscription_of(source_id).await?;
        let _turn = self.small_write_turn().await;
        let Some(current) = current else {
            let inserted = sqlx::query(
                "INSERT INTO websub_subscriptions
                    (source_id, callback_id, hub, topic, secret, state, next_attempt, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 'new', $6, $6)
                 ON CONFLICT (source_id) DO NOTHING",
            )
            .bind(source_id)
            .bind(ad.callback_id)
            .bind(ad.hub)
            .bind(ad.topic)
            .bind(ad.secret)
            .bind(now)
            .execute(self.writer())
            .await?;
            return Ok(inserted.rows_affected() > 0);
        };
        let same = current.hub == ad.hub && current.topic == ad.topic;
        if same && current.state != SubState::Unsubscribing {
            return Ok(false);
        }
        // Conditional on what was read, so two daemons noting the same
        // change write it once.
        let changed = sqlx::query(
            "UPDATE websub_subscriptions SET hub = $2, topic = $3, secret = $4, state = 'new',
                lease_until = NULL, next_attempt = $5, failures = 0, last_error = NULL,
                claimed_until = 0, updated_at = $5, callback_id = $9
             WHERE source_id = $1 AND hub = $6 AND topic = $7 AND state = $8",
        )
        .bind(source_id)
        .bind(ad.hub)
        .bind(ad.topic)
        .bind(ad.secret)
        .bind(now)
        .bind(&current.hub)
        .bind(&current.topic)
        .bind(current.state.as_str())
        .bind(ad.callback_id)
        .execute(self.writer())
        .await?;
        Ok(changed.rows_affected() > 0)
    }

    /// The subscription of one source, if it has one.
    pub async fn subscription_of(
        &self,
        source_id: i64,
    ) -> Result<Option<Subscription>, StoreError> {
        let sql = format!("{COLUMNS} WHERE w.source_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(source_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(read).transpose()?)
    }

    /// The subscription whose callback URL ends in `callback_id`.
    pub async fn subscription_by_callback(
        &self,
        callback_id: &str,
    ) -> Result<Option<Subscription>, StoreError> {
        let sql = format!("{COLUMNS} WHERE w.callback_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(callback_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(read).transpose()?)
    }

    /// Every subscription, by source id (for `status` and the subscriber).
    pub async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let sql = format!("{COLUMNS} ORDER BY w.source_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(read).collect::<Result<_, _>>()?)
    }

    /// Takes a subscription for talking to its hub until `until`, unless
    /// another daemon holds it or acted on it since it was read (its
    /// `next_attempt` is no longer `seen_next`). True when taken.
    pub async fn claim_subscription(
        &self,
        source_id: i64,
        seen_next: i64,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let _turn = self.small_write_turn().await;
        let done = sqlx::query(
            "UPDATE websub_subscriptions SET claimed_until = $3
             WHERE source_id = $1 AND claimed_until < $2 AND next_attempt = $4",
        )
        .bind(source_id)
        .bind(now)
        .bind(until)
        .bind(seen_next)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Writes a subscription's new state and gives up any claim on it.
    /// Only a row still for `sub`'s hub and topic and in its state is
    /// written: one changed meanwhile (a new hub, a verification that came
    /// in) is left as it is. Returns whether it was written.
    pub async fn update_subscription(
        &self,
        sub: &Subscription,
        update: &SubUpdate,
        now: i64,
    ) -> Result<bool, StoreError> {
        let _turn = self.small_write_turn().await;
        let done = sqlx::query(
            "UPDATE websub_subscriptions SET state = $4, lease_until = $5, next_attempt = $6,
                failures = $7, last_error = $8, claimed_until = 0, updated_at = $9
             WHERE source_id = $1 AND hub = $2 AND topic = $3 AND state = $10",
        )
        .bind(sub.source_id)
        .bind(&sub.hub)
        .bind(&sub.topic)
        .bind(update.state.as_str())
        .bind(update.lease_until)
        .bind(update.next_attempt)
        .bind(update.failures)
        .bind(update.last_error.as_deref())
        .bind(now)
        .bind(sub.state.as_str())
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Forgets a subscription (unsubscribed, or its source is gone).
    pub async fn delete_subscription(&self, source_id: i64) -> Result<(), StoreError> {
        let _turn = self.small_write_turn().await;
        sqlx::query("DELETE FROM websub_subscriptions WHERE source_id = $1")
            .bind(source_id)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
