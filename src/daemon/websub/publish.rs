//! WebSub publishing: after the feeds change, the hub in
//! `output.websub_hub` is told which ones (`hub.mode=publish`, one
//! form-encoded POST per feed URL, as PubSubHubbub hubs expect), so
//! subscribers get the news without polling. A ping that fails is kept and
//! retried after `fetch.backoff`, doubling up to `fetch.backoff_max`;
//! feeds that change meanwhile join it. The hub is the operator's choice,
//! so it is not subject to the SSRF guard (a hub on this machine works).

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use url::Url;

/// Feeds to announce to one hub, and how to go about it.
#[derive(Debug, Clone)]
pub struct Announcement {
    /// The hub.
    pub hub: Url,
    /// The feeds' own URLs (their `rel="self"`).
    pub topics: Vec<String>,
    /// Timeout of one ping.
    pub timeout: Duration,
    /// First wait after a failed ping.
    pub backoff: Duration,
    /// Longest wait between retries.
    pub backoff_max: Duration,
}

/// Hands announcements to the task that pings; cheap to clone.
#[derive(Debug, Clone)]
pub struct Pinger {
    tx: mpsc::UnboundedSender<Announcement>,
}

impl Pinger {
    /// Starts the pinging task; it ends when every `Pinger` is dropped.
    pub fn start(user_agent: &str) -> Pinger {
        let (tx, rx) = mpsc::unbounded_channel();
        let client = reqwest::Client::builder()
            .user_agent(user_agent.to_owned())
            .build()
            .unwrap_or_default();
        tokio::spawn(run(client, rx));
        Pinger { tx }
    }

    /// Queues `announcement`; nothing is sent for no topics.
    pub fn announce(&self, announcement: Announcement) {
        if !announcement.topics.is_empty() {
            // The task only ends with the daemon: nothing left to tell.
            let _ = self.tx.send(announcement);
        }
    }
}

/// What is waiting to be told, and when to try again.
struct Pending {
    hub: Url,
    topics: BTreeSet<String>,
    timeout: Duration,
    backoff_max: Duration,
    /// The next wait after a failure (doubles per failure).
    next_wait: Duration,
    first_wait: Duration,
    retry_at: Option<Instant>,
    failures: u32,
}

async fn run(client: reqwest::Client, mut rx: mpsc::UnboundedReceiver<Announcement>) {
    let mut pending: Option<Pending> = None;
    loop {
        let retry_at = pending.as_ref().and_then(|p| p.retry_at);
        let received = match retry_at {
            Some(at) => tokio::select! {
                message = rx.recv() => message.map(Some),
                () = tokio::time::sleep_until(at) => Some(None),
            },
            None => rx.recv().await.map(Some),
        };
        let Some(message) = received else {
            return;
        };
        if let Some(announcement) = message {
            pending = Some(merge(pending.take(), announcement));
            // A retry already scheduled keeps its time: a new change does
            // not hurry a hub that is failing.
            if pending.as_ref().is_some_and(|p| p.retry_at.is_some()) {
                continue;
            }
        }
        if let Some(mut waiting) = pending.take() {
            ping_all(&client, &mut waiting).await;
            pending = (!waiting.topics.is_empty()).then_some(waiting);
        }
    }
}

/// Adds `announcement` to what is pending (a new hub replaces the old one
/// and what it was owed).
fn merge(pending: Option<Pending>, announcement: Announcement) -> Pending {
    let mut merged = match pending {
        Some(p) if p.hub == announcement.hub => p,
        _ => Pending {
            hub: announcement.hub.clone(),
            topics: BTreeSet::new(),
            timeout: announcement.timeout,
            backoff_max: announcement.backoff_max,
            next_wait: announcement.backoff,
            first_wait: announcement.backoff,
            retry_at: None,
            failures: 0,
        },
    };
    merged.timeout = announcement.timeout;
    merged.backoff_max = announcement.backoff_max;
    merged.first_wait = announcement.backoff;
    merged.topics.extend(announcement.topics);
    merged
}

/// Pings every pending topic; those that fail stay, with a retry time.
async fn ping_all(client: &reqwest::Client, pending: &mut Pending) {
    let mut failed = None;
    let topics: Vec<String> = pending.topics.iter().cloned().collect();
    for topic in topics {
        match ping(client, &pending.hub, &topic, pending.timeout).await {
            Ok(()) => {
                pending.topics.remove(&topic);
            }
            Err(why) => {
                failed = Some(why);
                // The hub is failing: the rest waits for the retry.
                break;
            }
        }
    }
    match failed {
        None => {
            if pending.failures > 0 {
                tracing::info!(hub = %pending.hub, "WebSub hub reachable again; pings delivered");
            }
            tracing::debug!(hub = %pending.hub, "WebSub hub pinged");
            pending.failures = 0;
            pending.next_wait = pending.first_wait;
            pending.retry_at = None;
        }
        Some(why) => {
            let wait = pending.next_wait.min(pending.backoff_max);
            pending.failures += 1;
            pending.retry_at = Some(Instant::now() + wait);
            pending.next_wait = wait.saturating_mul(2).min(pending.backoff_max);
            tracing::warn!(
                hub = %pending.hub,
                feeds = pending.topics.len(),
                "WebSub ping failed ({why}); retrying in {}s",
                wait.as_secs()
            );
        }
    }
}

/// One `hub.mode=publish` POST for `topic`; a 2xx answer is success.
async fn ping(
    client: &reqwest::Client,
    hub: &Url,
    topic: &str,
    timeout: Duration,
) -> Result<(), String> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "publish")
        .append_pair("hub.url", topic)
        .finish();
    let response = client
        .post(hub.clone())
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "timed out".to_owned()
            } else {
                crate::fetch::error_chain(&e)
            }
        })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", status.as_u16()))
    }
}
