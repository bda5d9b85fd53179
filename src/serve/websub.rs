//! The WebSub subscriber's callback, `/websub/{id}` (W3C WebSub §5.3, §7,
//! §8): hubs verify our intent with a GET carrying a challenge, and push
//! new content with a POST signed with the secret we gave them. A push
//! whose signature checks out is handed to the daemon (as a [`Push`]) to be
//! ingested as the source's feed; one that does not is answered 2xx, as the
//! Recommendation asks, and discarded.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use tokio::sync::mpsc;

use super::AppState;
use crate::store::{SubState, SubUpdate, Subscription};

/// The lease asked of hubs: ten days, the Recommendation's example.
pub const LEASE_SECS: i64 = 10 * 24 * 3600;

/// How long a request the hub accepted may wait for its verification
/// before it is sent again.
pub const VERIFY_WAIT_SECS: i64 = 3600;

/// After a hub denies a subscription, when to ask again.
pub const DENIED_RETRY_SECS: i64 = 24 * 3600;

/// Content a hub pushed for a source, its signature checked.
#[derive(Debug, Clone)]
pub struct Push {
    /// The source's row id.
    pub source_id: i64,
    /// The source's name.
    pub source: String,
    /// The raw body: a feed document with the new items.
    pub body: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
}

/// Why a push's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Hub-Signature` header.
    #[error("no X-Hub-Signature header")]
    Missing,
    /// Not `method=hex` with a method we know.
    #[error("X-Hub-Signature is not sha1=, sha256=, sha384= or sha512= with hex digits")]
    Malformed,
    /// The HMAC does not match.
    #[error("X-Hub-Signature does not match the body")]
    Mismatch,
}

/// When to renew a lease of `lease_secs` granted at `now`: with a tenth of
/// it (at most a day) to spare, and never sooner than a minute.
pub fn renew_at(now: i64, lease_secs: i64) -> i64 {
    let spare = (lease_secs / 10).min(24 * 3600);
    now.saturating_add((lease_secs - spare).max(60))
}

/// Checks `signature` (the `X-Hub-Signature` value, `sha256=<hex>`) as the
/// HMAC of `body` under `secret`, in constant time.
pub fn verify_signature(
    signature: Option<&str>,
    secret: &[u8],
    body: &[u8],
) -> Result<(), SignatureError> {
    let signature = signature.ok_or(SignatureError::Missing)?;
    let (method, hex_digits) = signature
        .trim()
        .split_once('=')
        .ok_or(SignatureError::Malformed)?;
    let expected = hex::decode(hex_digits.trim()).map_err(|_| SignatureError::Malformed)?;
    let ok = match method.trim().to_ascii_lowercase().as_str() {
        "sha1" => matches::<Hmac<sha1::Sha1>>(secret, body, &expected),
        "sha256" => matches::<Hmac<sha2::Sha256>>(secret, body, &expected),
        "sha384" => matches::<Hmac<sha2::Sha384>>(secret, body, &expected),
        "sha512" => matches::<Hmac<sha2::Sha512>>(secret, body, &expected),
        _ => return Err(SignatureError::Malformed),
    };
    if ok {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn matches<M: Mac + KeyInit>(secret: &[u8], body: &[u8], expected: &[u8]) -> bool {
    // HMAC takes keys of any length, so this cannot fail.
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(expected).is_ok()
}

/// `GET /websub/{id}`: the hub checks that we asked for what it is about
/// to do. The challenge is echoed only for a request we have pending.
pub(super) async fn verify_intent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| query.get(name).map(String::as_str);
    let Ok(Some(sub)) = state.store.subscription_by_callback(&id).await else {
        return not_found();
    };
    if field("hub.topic") != Some(sub.topic.as_str()) {
        return not_found();
    }
    let now = chrono::Utc::now().timestamp();
    let source = sub.source.clone().unwrap_or_default();
    let (update, challenge) = match (field("hub.mode"), field("hub.challenge")) {
        (Some("subscribe"), Some(challenge))
            if matches!(sub.state, SubState::Pending | SubState::Active) =>
        {
            let lease = field("hub.lease_seconds")
                .and_then(|s| s.trim().parse::<i64>().ok())
                .filter(|&s| s > 0)
                .unwrap_or(LEASE_SECS);
            tracing::info!(source = %source, hub = %sub.hub, lease, "WebSub subscription verified");
            let update = SubUpdate {
                state: SubState::Active,
                lease_until: Some(now.saturating_add(lease)),
                next_attempt: renew_at(now, lease),
                failures: 0,
                last_error: None,
            };
            (Some(update), Some(challenge))
        }
        (Some("unsubscribe"), Some(challenge)) if sub.state == SubState::Unsubscribing => {
            if let Err(error) = state.store.delete_subscription(sub.source_id).await {
                tracing::warn!(source = %source, %error, "could not forget a WebSub subscription");
            }
            (None, Some(challenge))
        }
        (Some("denied"), _) => {
            let reason = field("hub.reason").unwrap_or("no reason given");
            tracing::warn!(source = %source, hub = %sub.hub, reason, "WebSub hub denied the subscription; polling goes on");
            let update = SubUpdate {
                state: SubState::Denied,
                lease_until: None,
                next_attempt: now.saturating_add(DENIED_RETRY_SECS),
                failures: sub.failures,
                last_error: Some(format!("hub denied: {reason}")),
            };
            (Some(update), None)
        }
        _ => return not_found(),
    };
    if let Some(update) = update
        && let Err(error) = state.store.update_subscription(&sub, &update, now).await
    {
        tracing::warn!(source = %source, %error, "could not record the WebSub verification");
        return (StatusCode::SERVICE_UNAVAILABLE, "database error\n").into_response();
    }
    let body = challenge.unwrap_or_default().to_owned();
    ([(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

/// `POST /websub/{id}`: content from the hub. The body is read under the
/// source's fetch cap; a bad signature is answered 202 and discarded.
pub(super) async fn receive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let sub = match state.store.subscription_by_callback(&id).await {
        Ok(Some(sub)) if sub.state != SubState::Unsubscribing => sub,
        Ok(_) => {
            state.metrics.record_push("unknown");
            // 410 tells the hub to stop sending.
            return (StatusCode::GONE, "no such subscription\n").into_response();
        }
        Err(error) => {
            tracing::warn!(%error, "WebSub push: could not look up the subscription");
            return (StatusCode::SERVICE_UNAVAILABLE, "database error\n").into_response();
        }
    };
    let Some(source) = sub.source.clone() else {
        state.metrics.record_push("unknown");
        return (StatusCode::GONE, "no such source\n").into_response();
    };
    let limit = body_cap(&state, &source);
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        tracing::warn!(source = %source, limit, "WebSub push discarded: body larger than the fetch cap");
        return (StatusCode::PAYLOAD_TOO_LARGE, "too large\n").into_response();
    };
    let signature = headers.get("x-hub-signature").and_then(|v| v.to_str().ok());
    if let Err(why) = verify_signature(signature, sub.secret.as_bytes(), &bytes) {
        tracing::warn!(source = %source, hub = %sub.hub, "WebSub push discarded: {why}");
        state.metrics.record_push("bad_signature");
        return (StatusCode::ACCEPTED, "discarded\n").into_response();
    }
    hand_over(&state, &sub, source, bytes.to_vec(), &headers)
}

/// Queues a verified push for ingest.
fn hand_over(
    state: &AppState,
    sub: &Subscription,
    source: String,
    body: Vec<u8>,
    headers: &HeaderMap,
) -> Response {
    let push = Push {
        source_id: sub.source_id,
        source,
        body,
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    match state.pushes.as_ref().map(|tx| tx.try_send(push)) {
        Some(Ok(())) => {
            state.metrics.record_push("accepted");
            (StatusCode::ACCEPTED, "accepted\n").into_response()
        }
        // The hub retries a push that was not accepted.
        Some(Err(mpsc::error::TrySendError::Full(push))) => {
            tracing::warn!(source = %push.source, "WebSub push refused for now: ingest queue full");
            state.metrics.record_push("busy");
            let retry = [(header::RETRY_AFTER, "60")];
            (StatusCode::SERVICE_UNAVAILABLE, retry, "busy\n").into_response()
        }
        Some(Err(mpsc::error::TrySendError::Closed(_))) | None => {
            state.metrics.record_push("busy");
            (StatusCode::SERVICE_UNAVAILABLE, "not accepting pushes\n").into_response()
        }
    }
}

/// The body cap of `source`'s fetches (its `max_body`, else `fetch.max_body`).
fn body_cap(state: &AppState, source: &str) -> usize {
    let config = state.config.borrow();
    let cap = config
        .sources
        .iter()
        .find(|s| s.name == source)
        .and_then(|s| s.max_body)
        .map_or(config.fetch.max_body.0, |b| b.0);
    usize::try_from(cap).unwrap_or(usize::MAX)
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign<M: Mac + KeyInit>(secret: &[u8], body: &[u8]) -> String {
        let mut mac = <M as KeyInit>::new_from_slice(secret).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn every_method_of_the_recommendation_verifies() {
        let (secret, body) = (b"s3cret".as_slice(), b"<feed/>".as_slice());
        let cases = [
            format!("sha1={}", sign::<Hmac<sha1::Sha1>>(secret, body)),
            format!("sha256={}", sign::<Hmac<sha2::Sha256>>(secret, body)),
            format!("sha384={}", sign::<Hmac<sha2::Sha384>>(secret, body)),
            format!("SHA512={}", sign::<Hmac<sha2::Sha512>>(secret, body)),
        ];
        for header in &cases {
            assert_eq!(
                verify_signature(Some(header), secret, body),
                Ok(()),
                "{header}"
            );
            assert_eq!(
                verify_signature(Some(header), b"other", body),
                Err(SignatureError::Mismatch)
            );
            assert_eq!(
                verify_signature(Some(header), secret, b"<feed>changed</feed>"),
                Err(SignatureError::Mismatch)
            );
        }
    }

    #[test]
    fn a_known_hmac_sha256_matches() {
        // RFC 4231 test case 2.
        let header = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let body = b"what do ya want for nothing?";
        assert_eq!(verify_signature(Some(header), b"Jefe", body), Ok(()));
    }

    #[test]
    fn malformed_signatures_are_refused() {
        let body = b"x";
        assert_eq!(
            verify_signature(None, b"k", body),
            Err(SignatureError::Missing)
        );
        for bad in ["", "sha256", "md5=00", "sha256=zz", "sha256=abc", "=00"] {
            assert_eq!(
                verify_signature(Some(bad), b"k", body),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
        // Right length, wrong bytes.
        let zeros = format!("sha1={}", "0".repeat(40));
        assert_eq!(
            verify_signature(Some(&zeros), b"k", body),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn leases_are_renewed_with_time_to_spare() {
        assert_eq!(renew_at(0, LEASE_SECS), LEASE_SECS - 24 * 3600);
        assert_eq!(renew_at(0, 1000), 900);
        assert_eq!(renew_at(100, 10), 160);
    }
}
