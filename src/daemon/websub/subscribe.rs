//! WebSub subscribing (W3C WebSub §5.1): for each source whose feed names
//! a hub (recorded by the pass that fetched it), ask the hub to push new
//! items to `<base_url>websub/<id>`, renew before the lease ends, and
//! unsubscribe (best effort) when the source goes or opts out. A hub that
//! fails is retried after `fetch.backoff`, doubling up to
//! `fetch.backoff_max`; the source is polled all along, so a hub that never
//! works costs nothing but log lines.
//!
//! Daemons sharing a database each run this; a subscription is claimed
//! with a conditional UPDATE before its hub is asked, so one of them does.

use chrono::Utc;
use futures_util::StreamExt;
use url::Url;

use crate::config::{Config, is_loopback};
use crate::schedule::backoff;
use crate::serve::websub::{LEASE_SECS, VERIFY_WAIT_SECS};
use crate::store::{SubState, SubUpdate, Subscription};

use super::super::Pipeline;

/// How long a daemon holds a subscription while it talks to the hub.
const CLAIM_SECS: i64 = 120;

/// Hubs asked at once: a hub that stalls until the timeout must not hold
/// up the others.
const AT_ONCE: usize = 8;

/// Subscribes, renews and unsubscribes whatever is due now, reading again
/// until a read finds nothing to do. (A hub recorded after the last read
/// is the scheduler's to see: its wake-up starts another run.)
pub async fn run_due(pipeline: Pipeline) {
    // Each round acts only on rows it claimed, and acting moves their next
    // attempt on (or holds the claim), so rounds end; the bound is for
    // safety alone.
    for _ in 0..MAX_ROUNDS {
        if run_once(&pipeline).await == 0 {
            break;
        }
    }
}

/// Reads of the subscriptions in one run, at most.
const MAX_ROUNDS: usize = 16;

/// One read of the subscriptions, acting on those due that this daemon
/// claimed; returns how many it acted on.
async fn run_once(pipeline: &Pipeline) -> usize {
    let subs = match pipeline.store().subscriptions().await {
        Ok(subs) => subs,
        Err(error) => {
            tracing::warn!(%error, "WebSub: could not read subscriptions; trying again later");
            return 0;
        }
    };
    let now = Utc::now().timestamp();
    let due: Vec<Subscription> = subs
        .into_iter()
        .filter(|sub| {
            // Giving up a subscription does not wait for its next attempt.
            let leaving = !wanted(pipeline, sub) && sub.state != SubState::Unsubscribing;
            sub.next_attempt <= now || leaving
        })
        .collect();
    futures_util::stream::iter(due)
        .map(|sub| act(pipeline, sub, now))
        .buffer_unordered(AT_ONCE)
        .filter(|acted| std::future::ready(*acted))
        .count()
        .await
}

/// Claims `sub` and subscribes or leaves, as the config now wants; false
/// when another daemon has it.
async fn act(pipeline: &Pipeline, sub: Subscription, now: i64) -> bool {
    let claimed = pipeline
        .store()
        .claim_subscription(sub.source_id, sub.next_attempt, now, now + CLAIM_SECS)
        .await;
    match claimed {
        Ok(true) if wanted(pipeline, &sub) => subscribe(pipeline, sub, now).await,
        Ok(true) => leave(pipeline, sub, now).await,
        Ok(false) => return false,
        Err(error) => {
            tracing::warn!(%error, "WebSub: could not claim a subscription");
            return false;
        }
    }
    true
}

/// Whether `sub`'s source is still configured to be subscribed (looked up
/// by name in the pipeline's index: a scan of the config per subscription
/// grew with the square of the sources).
fn wanted(pipeline: &Pipeline, sub: &Subscription) -> bool {
    pipeline.config().output.websub_subscribe
        && sub
            .source
            .as_deref()
            .and_then(|name| pipeline.enabled_source(name))
            .is_some_and(|s| s.websub)
}

/// Asks the hub for the subscription (new, retried, or renewed).
async fn subscribe(pipeline: &Pipeline, sub: Subscription, now: i64) {
    let config = pipeline.config();
    let source = sub.source.clone().unwrap_or_default();
    let hub = match checked_hub(config, &sub) {
        Ok(hub) => hub,
        Err(why) => {
            failed(pipeline, &sub, now, why).await;
            return;
        }
    };
    // Pending before the request: many hubs verify before they answer it.
    let pending = SubUpdate {
        state: SubState::Pending,
        lease_until: sub.lease_until,
        next_attempt: now + VERIFY_WAIT_SECS,
        failures: sub.failures,
        last_error: sub.last_error.clone(),
    };
    if !write(pipeline, &sub, &pending, now).await {
        return;
    }
    let sub = Subscription {
        state: SubState::Pending,
        next_attempt: pending.next_attempt,
        ..sub
    };
    let callback = callback_url(config, &sub.callback_id);
    let lease = LEASE_SECS.to_string();
    let form = [
        ("hub.mode", "subscribe"),
        ("hub.topic", sub.topic.as_str()),
        ("hub.callback", callback.as_str()),
        ("hub.secret", sub.secret.as_str()),
        ("hub.lease_seconds", lease.as_str()),
    ];
    match ask(pipeline, &hub, &form).await {
        Ok(status) => {
            tracing::info!(source = %source, hub = %sub.hub, status, "WebSub subscription requested; waiting for the hub to verify it");
        }
        Err(why) => failed(pipeline, &sub, now, why).await,
    }
}

/// The hub's URL, if feedfold may ask it: it parses, and a hub elsewhere
/// can reach `output.base_url`.
fn checked_hub(config: &Config, sub: &Subscription) -> Result<Url, String> {
    let hub = Url::parse(&sub.hub).map_err(|e| format!("bad hub URL: {e}"))?;
    let base = &config.output.base_url;
    if is_loopback(base) && !is_loopback(&hub) {
        return Err(format!(
            "output.base_url {base} is a loopback address the hub cannot call back; set it to the server's public address"
        ));
    }
    Ok(hub)
}

/// Records a failed request and when to try again.
async fn failed(pipeline: &Pipeline, sub: &Subscription, now: i64, why: String) {
    let fetch = &pipeline.config().fetch;
    let failures = sub.failures.saturating_add(1);
    let count = u32::try_from(failures).unwrap_or(u32::MAX);
    let wait = backoff(count, fetch.backoff.0, fetch.backoff_max.0);
    let wait_secs = i64::try_from(wait.as_secs()).unwrap_or(i64::MAX);
    tracing::warn!(
        source = sub.source.as_deref().unwrap_or_default(),
        hub = %sub.hub,
        "WebSub subscription failed ({why}); the source is polled as usual; retrying in {wait_secs}s"
    );
    let update = SubUpdate {
        state: SubState::Failed,
        lease_until: sub.lease_until,
        next_attempt: now.saturating_add(wait_secs),
        failures,
        last_error: Some(why),
    };
    write(pipeline, sub, &update, now).await;
}

/// Gives up a subscription whose source went or opted out: the hub is
/// asked to stop (best effort) when it may be sending; the row goes once
/// the hub verified that, or after a while.
async fn leave(pipeline: &Pipeline, sub: Subscription, now: i64) {
    let source = sub.source.clone().unwrap_or_default();
    let on_hub = matches!(sub.state, SubState::Pending | SubState::Active);
    let hub = Url::parse(&sub.hub).ok();
    let (true, Some(hub)) = (on_hub, hub) else {
        forget(pipeline, &sub).await;
        return;
    };
    let leaving = SubUpdate {
        state: SubState::Unsubscribing,
        lease_until: sub.lease_until,
        next_attempt: now + VERIFY_WAIT_SECS,
        failures: sub.failures,
        last_error: None,
    };
    if !write(pipeline, &sub, &leaving, now).await {
        return;
    }
    let callback = callback_url(pipeline.config(), &sub.callback_id);
    let form = [
        ("hub.mode", "unsubscribe"),
        ("hub.topic", sub.topic.as_str()),
        ("hub.callback", callback.as_str()),
    ];
    match ask(pipeline, &hub, &form).await {
        Ok(_) => tracing::info!(source = %source, hub = %sub.hub, "WebSub: unsubscribing"),
        Err(why) => {
            // Best effort: the hub's lease runs out by itself, and pushes
            // for a forgotten subscription are answered 410 Gone.
            tracing::warn!(source = %source, hub = %sub.hub, "WebSub unsubscribe failed ({why}); forgetting the subscription anyway");
            forget(pipeline, &sub).await;
        }
    }
}

async fn forget(pipeline: &Pipeline, sub: &Subscription) {
    if let Err(error) = pipeline.store().delete_subscription(sub.source_id).await {
        tracing::warn!(%error, "WebSub: could not forget a subscription");
    }
}

/// Writes `update`; false (logged) when the database refused.
async fn write(pipeline: &Pipeline, sub: &Subscription, update: &SubUpdate, now: i64) -> bool {
    match pipeline.store().update_subscription(sub, update, now).await {
        Ok(written) => written,
        Err(error) => {
            let source = sub.source.as_deref().unwrap_or_default();
            tracing::warn!(source, %error, "WebSub: could not record the subscription's state");
            false
        }
    }
}

/// POSTs `form` to the hub through the guarded client; a 2xx answer (202
/// Accepted, or 204 from hubs that verified already) is success.
async fn ask(pipeline: &Pipeline, hub: &Url, form: &[(&str, &str)]) -> Result<u16, String> {
    let timeout = pipeline.config().fetch.timeout.0;
    match pipeline.fetcher().post_form(hub, form, timeout).await {
        Ok(status) if (200..300).contains(&status) => Ok(status),
        Ok(status) => Err(format!("HTTP {status}")),
        Err(error) => Err(error.to_string()),
    }
}

/// `<base_url>websub/<id>`.
fn callback_url(config: &Config, id: &str) -> String {
    format!("{}websub/{id}", config.output.base_url)
}
