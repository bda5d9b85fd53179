//! The HTTP side: the merged feed and group feeds from the latest published
//! snapshot, with ETag / Last-Modified, 304 answers and gzip, plus `/healthz`.

mod metrics;
mod sources;
pub mod websub;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;

use crate::config::Config;
use crate::publish::{Document, Format, Snapshot};
use crate::store::Store;

pub use metrics::{FetchResult, Metrics};
pub use sources::{display_name, next_due, problem};

/// What request handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The latest published documents.
    pub snapshot: watch::Receiver<Arc<Snapshot>>,
    /// The database, for health checks.
    pub store: Store,
    /// What `/metrics` reports.
    pub metrics: Arc<Metrics>,
    /// Unix seconds of the scheduler loop's last turn.
    pub heartbeat: Arc<AtomicI64>,
    /// The running config (replaced on reload), for `/sources`.
    pub config: watch::Receiver<Arc<Config>>,
    /// Where verified WebSub pushes go to be ingested; `None` refuses them.
    pub pushes: Option<tokio::sync::mpsc::Sender<websub::Push>>,
}

/// The scheduler turns at least this often; `/healthz` fails after two misses.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(30);

/// The router with every route and layer.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/sources", get(sources_page))
        .route(
            "/websub/{id}",
            get(websub::verify_intent).post(websub::receive),
        )
        .route("/{file}", get(merged_feed))
        .route("/feeds/{file}", get(group_feed))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// Binds the listen address, with a clear message if it is taken.
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

async fn merged_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    match file.strip_prefix("feed.").and_then(Format::from_extension) {
        Some(format) => serve_document(&state, None, format, &headers),
        None => not_found(),
    }
}

async fn group_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((group, ext)) = file.rsplit_once('.') else {
        return not_found();
    };
    match Format::from_extension(ext) {
        Some(format) => serve_document(&state, Some(group), format, &headers),
        None => not_found(),
    }
}

fn serve_document(
    state: &AppState,
    group: Option<&str>,
    format: Format,
    headers: &HeaderMap,
) -> Response {
    let snapshot = state.snapshot.borrow().clone();
    match snapshot.get(group, format) {
        Some(doc) => conditional_response(doc, headers),
        None => not_found(),
    }
}

/// 304 when the client's validators still match, else the document.
fn conditional_response(doc: &Document, request: &HeaderMap) -> Response {
    let last_modified =
        SystemTime::UNIX_EPOCH + Duration::from_secs(doc.last_modified.timestamp().max(0) as u64);
    let mut headers = HeaderMap::new();
    if let Ok(etag) = HeaderValue::from_str(&doc.etag) {
        headers.insert(header::ETAG, etag);
    }
    if let Ok(lm) = HeaderValue::from_str(&httpdate::fmt_http_date(last_modified)) {
        headers.insert(header::LAST_MODIFIED, lm);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    if not_modified(doc, last_modified, request) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(doc.format.content_type()),
    );
    (StatusCode::OK, headers, doc.body.clone()).into_response()
}

/// RFC 9110 §13.2.2: If-None-Match decides when present; otherwise
/// If-Modified-Since.
fn not_modified(doc: &Document, last_modified: SystemTime, request: &HeaderMap) -> bool {
    if let Some(value) = request.get(header::IF_NONE_MATCH) {
        let Ok(value) = value.to_str() else {
            return false;
        };
        return value
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || weak_eq(tag, &doc.etag));
    }
    request
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .is_some_and(|since| last_modified <= since)
}

/// Weak comparison: equal opaque tags, ignoring `W/`.
fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}

/// How long `/healthz` waits for the database.
const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

async fn healthz(State(state): State<AppState>) -> Response {
    let silent = chrono::Utc::now().timestamp() - state.heartbeat.load(Ordering::Relaxed);
    if silent > 2 * HEARTBEAT.as_secs() as i64 {
        let message = format!("scheduler loop silent for {silent} s\n");
        return (StatusCode::SERVICE_UNAVAILABLE, message).into_response();
    }
    // A database that is down makes the pool wait for a connection; a
    // health check must answer sooner than that.
    match tokio::time::timeout(PING_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}\n")).into_response(),
        Err(_) => {
            let message = format!("database: no answer within {PING_TIMEOUT:?}\n");
            (StatusCode::SERVICE_UNAVAILABLE, message).into_response()
        }
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    (
        [(header::CONTENT_TYPE, content_type)],
        state.metrics.encode(),
    )
        .into_response()
}

async fn index(State(state): State<AppState>) -> Html<String> {
    let snapshot = state.snapshot.borrow().clone();
    Html(snapshot.page().to_owned())
}

/// `/sources` reads the database at each request: it is a page for a
/// person checking on the daemon, and must show what is true now.
async fn sources_page(State(state): State<AppState>) -> Response {
    let config = state.config.borrow().clone();
    let read = async {
        let states = state.store.source_states().await?;
        // Subscriptions only matter where subscribing is on.
        let subscriptions = if config.output.websub_subscribe {
            state.store.subscriptions().await?
        } else {
            Vec::new()
        };
        Ok::<_, crate::store::StoreError>((states, subscriptions))
    };
    let (states, subscriptions) = match tokio::time::timeout(PING_TIMEOUT, read).await {
        Ok(Ok(read)) => read,
        Ok(Err(e)) => {
            return (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}\n")).into_response();
        }
        Err(_) => {
            let message = format!("database: no answer within {PING_TIMEOUT:?}\n");
            return (StatusCode::SERVICE_UNAVAILABLE, message).into_response();
        }
    };
    let zone = config.output.timezone;
    let show = |t: chrono::DateTime<chrono::Utc>| zone.show(t);
    let now = chrono::Utc::now();
    Html(sources::render(
        &config,
        &states,
        &subscriptions,
        now,
        &show,
    ))
    .into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}
