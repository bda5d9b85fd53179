//! Real parts for integration tests: a loopback HTTP server that serves
//! fixture feeds and misbehaves on request, config files in temp dirs, and
//! fresh databases on SQLite and (when `FEEDFOLD_TEST_POSTGRES` is set) PostgreSQL.
#![allow(dead_code)] // each test binary uses a different part of this file

pub mod daemon;
pub mod hostile;
pub mod proxy;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// What the fixture server answers on one path.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: &'static str,
    pub etag: Option<String>,
    pub delay: Option<Duration>,
    pub headers: Vec<(&'static str, String)>,
}

impl Fixture {
    pub fn feed(body: impl Into<Vec<u8>>) -> Fixture {
        Fixture {
            status: 200,
            body: body.into(),
            content_type: "application/xml",
            etag: None,
            delay: None,
            headers: Vec::new(),
        }
    }

    pub fn status(status: u16) -> Fixture {
        Fixture {
            status,
            body: b"error page".to_vec(),
            content_type: "text/html",
            etag: None,
            delay: None,
            headers: Vec::new(),
        }
    }

    /// A redirect (301, 302, 307, 308) to `location`.
    pub fn redirect(status: u16, location: &str) -> Fixture {
        Fixture::status(status).with_header("location", location)
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &'static str, value: &str) -> Fixture {
        self.headers.push((name, value.into()));
        self
    }

    pub fn with_etag(mut self, etag: &str) -> Fixture {
        self.etag = Some(etag.into());
        self
    }

    pub fn slow(mut self, delay: Duration) -> Fixture {
        self.delay = Some(delay);
        self
    }
}

#[derive(Default)]
struct Shared {
    fixtures: HashMap<String, Fixture>,
    hits: HashMap<String, u64>,
    not_modified: HashMap<String, u64>,
    /// When each request on a path arrived.
    times: HashMap<String, Vec<std::time::SystemTime>>,
}

/// A real HTTP server on 127.0.0.1, port chosen by the OS.
#[derive(Clone)]
pub struct FixtureServer {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
}

impl FixtureServer {
    pub async fn start() -> FixtureServer {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new()
            .route("/{*path}", get(serve_fixture))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        FixtureServer { addr, shared }
    }

    pub fn set(&self, path: &str, fixture: Fixture) {
        self.shared
            .lock()
            .unwrap()
            .fixtures
            .insert(path.trim_start_matches('/').to_owned(), fixture);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// Requests answered on `path` (any status).
    pub fn hits(&self, path: &str) -> u64 {
        self.shared
            .lock()
            .unwrap()
            .hits
            .get(path.trim_start_matches('/'))
            .copied()
            .unwrap_or(0)
    }

    /// When the requests on `path` arrived, in order.
    pub fn request_times(&self, path: &str) -> Vec<std::time::SystemTime> {
        self.shared
            .lock()
            .unwrap()
            .times
            .get(path.trim_start_matches('/'))
            .cloned()
            .unwrap_or_default()
    }

    /// Requests on `path` answered 304.
    pub fn not_modified(&self, path: &str) -> u64 {
        self.shared
            .lock()
            .unwrap()
            .not_modified
            .get(path.trim_start_matches('/'))
            .copied()
            .unwrap_or(0)
    }
}

async fn serve_fixture(
    State(shared): State<Arc<Mutex<Shared>>>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let fixture = {
        let mut shared = shared.lock().unwrap();
        *shared.hits.entry(path.clone()).or_default() += 1;
        let now = std::time::SystemTime::now();
        shared.times.entry(path.clone()).or_default().push(now);
        shared.fixtures.get(&path).cloned()
    };
    let Some(fixture) = fixture else {
        return (StatusCode::NOT_FOUND, "no such fixture").into_response();
    };
    if let Some(delay) = fixture.delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(etag) = &fixture.etag
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            == Some(etag.as_str())
    {
        *shared.lock().unwrap().not_modified.entry(path).or_default() += 1;
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.clone())]).into_response();
    }
    let status = StatusCode::from_u16(fixture.status).unwrap();
    let mut response = (
        status,
        [(header::CONTENT_TYPE, fixture.content_type)],
        fixture.body,
    )
        .into_response();
    if let Some(etag) = fixture.etag {
        response
            .headers_mut()
            .insert(header::ETAG, etag.parse().unwrap());
    }
    for (name, value) in fixture.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

/// The body of a GET of `url` (a test's own loopback server or daemon).
pub async fn get_text(url: &str) -> String {
    reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: body: {e}"))
}

/// A finished command's stdout then stderr, as text.
pub fn output_text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A story's text: 120 words drawn for `seed` alone, so two stories share
/// few and never fold together.
pub fn story_text(seed: u64) -> String {
    let mut state = (seed + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let words: Vec<String> = (0..120)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            format!("w{}", state % 50_000)
        })
        .collect();
    words.join(" ")
}

/// An RSS 2.0 document with `(guid, title, link, description)` items.
pub fn rss(title: &str, items: &[(&str, &str, &str, &str)]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>{title}</title><link>https://example.org/</link><description>d</description>\n"
    );
    for (guid, title, link, description) in items {
        out.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>{link}</link><description>{description}</description><pubDate>Sat, 21 Nov 2026 08:00:00 +0000</pubDate></item>\n"
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

/// A database for one test: a SQLite file in a temp dir, or a fresh
/// PostgreSQL database dropped by [`TestDb::cleanup`].
pub struct TestDb {
    pub url: String,
    pub label: &'static str,
    admin: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("feedfold.db").display());
        TestDb {
            url,
            label: "sqlite",
            admin: None,
            _dir: Some(dir),
        }
    }

    /// A fresh PostgreSQL database, or `None` (with a visible message) when
    /// `FEEDFOLD_TEST_POSTGRES` is not set.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("FEEDFOLD_TEST_POSTGRES") else {
            postgres_skipped();
            return None;
        };
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let name = format!(
            "feedfold_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros() % 1_000_000
        );
        let mut conn = sqlx::AnyConnection::connect(&admin_url)
            .await
            .expect("connect to FEEDFOLD_TEST_POSTGRES");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.ok();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        Some(TestDb {
            url: url.to_string(),
            label: "postgres",
            admin: Some((admin_url, name)),
            _dir: None,
        })
    }

    /// SQLite always, PostgreSQL when configured.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite()];
        dbs.extend(TestDb::postgres().await);
        dbs
    }

    pub async fn cleanup(self) {
        if let Some((admin_url, name)) = &self.admin {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::AnyConnection::connect(admin_url).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
            }
        }
    }
}

/// A config file in `dir` with the given `[[source]]` tables appended.
pub fn write_config(dir: &Path, database_url: &str, sources: &str) -> PathBuf {
    let path = dir.join("feedfold.toml");
    let text = format!(
        r#"[daemon]
listen = "127.0.0.1:0"
database = "{database_url}"
schedule = "0 0 1 1 *"
concurrency = 4
keep = "3650d"

[fetch]
timeout = "2s"
connect_timeout = "1s"
max_body = "1MiB"
# The fixture server is on loopback, which the SSRF guard refuses by default.
allow_networks = ["127.0.0.1"]
per_domain_concurrency = 8
per_domain_delay = "0s"
# Tests that scrape article pages turn it on per source.
scrape = false

[output]
title = "test feed"
base_url = "http://127.0.0.1:8080/"
window = "3650d"

{sources}
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A `[[source]]` table.
pub fn source(name: &str, url: &str, extra: &str) -> String {
    format!("[[source]]\nname = \"{name}\"\nurl = \"{url}\"\n{extra}\n")
}

/// Says, once per test binary, that its PostgreSQL halves are skipped.
///
/// Written to the stderr file descriptor, not with `eprintln!`: the test
/// harness captures `eprintln!` and shows it only for failing tests, so a
/// skip said that way is never seen under a plain `cargo test`.
pub fn postgres_skipped() {
    use std::io::Write;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let binary = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .and_then(|s| s.rsplit_once('-').map(|(name, _hash)| name.to_owned()))
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: the PostgreSQL halves of the {binary} tests (FEEDFOLD_TEST_POSTGRES is not set; .ci/run sets it)"
        );
    });
}

/// The shipped offline demo copied to `dir`, set to listen on a free port,
/// with `extra` appended to its config.
pub fn demo_copy(dir: &Path, extra: &str) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    std::fs::create_dir_all(dir.join("demo")).unwrap();
    for file in std::fs::read_dir(repo.join("demo")).unwrap() {
        let file = file.unwrap();
        std::fs::copy(file.path(), dir.join("demo").join(file.file_name())).unwrap();
    }
    let text = std::fs::read_to_string(repo.join("demo.toml")).unwrap();
    let text = text.replace("listen = \"127.0.0.1:8080\"", "listen = \"127.0.0.1:0\"");
    assert!(
        text.contains("127.0.0.1:0"),
        "demo.toml's listen line changed; update this helper"
    );
    let path = dir.join("demo.toml");
    std::fs::write(&path, format!("{text}\n{extra}")).unwrap();
    path
}
