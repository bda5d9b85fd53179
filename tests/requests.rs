//! Requests per source, through the `feedfold` binary against real loopback
//! servers: a site that wants basic auth, a header and a cookie on its feed
//! and its article pages; a recording HTTP proxy (the source's own and the
//! environment's), which must not become a way past the SSRF guard; and
//! secrets that never show in output, logs or the database file.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use common::daemon::Daemon;
use common::{Fixture, FixtureServer, rss, source, story_text, write_config};

const PASSWORD: &str = "s3cret-pw-41";
/// `Basic` credentials of `me:s3cret-pw-41`, as a client must send them.
const AUTHORIZATION: &str = "Basic bWU6czNjcmV0LXB3LTQx";
const API_KEY: &str = "key-7f3a9c";
const COOKIE: &str = "session=cookie-88d1e2";
const ARTICLE_MARKER: &str = "Lockedarticlemarker";

/// Runs the binary with `env` set, off the test's runtime (the servers
/// answer on it meanwhile).
async fn feedfold(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_feedfold"));
    command.args(args).env("FEEDFOLD_LOG", "debug");
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "no_proxy",
        "NO_PROXY",
    ] {
        command.env_remove(var);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(output: &Output) -> String {
    common::output_text(output)
}

/// What the locked site saw: per path, the status it answered each time.
#[derive(Default)]
struct Seen {
    answers: HashMap<String, Vec<u16>>,
    agents: Vec<String>,
}

/// A site whose every path needs the credentials: 401 without basic auth,
/// 403 without the header or the cookie. Its feed has an ETag.
async fn locked_site() -> (SocketAddr, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = Router::new()
        .route("/{*path}", get(locked))
        .with_state(seen.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

async fn locked(
    State(seen): State<Arc<Mutex<Seen>>>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let status = if value("authorization") != AUTHORIZATION {
        StatusCode::UNAUTHORIZED
    } else if value("x-api-key") != API_KEY || value("cookie") != COOKIE {
        StatusCode::FORBIDDEN
    } else if path == "feed.xml" && value("if-none-match") == "\"v1\"" {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    };
    {
        let mut seen = seen.lock().unwrap();
        seen.answers
            .entry(path.clone())
            .or_default()
            .push(status.as_u16());
        seen.agents.push(value("user-agent").to_owned());
    }
    if status != StatusCode::OK {
        let mut response = status.into_response();
        if status == StatusCode::UNAUTHORIZED {
            let challenge = "Basic realm=\"test\"".parse().unwrap();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        return response;
    }
    let host = value("host").to_owned();
    match path.as_str() {
        "feed.xml" => {
            let link = format!("http://{host}/story/1");
            let body = rss("Locked", &[("g1", "A locked story", &link, "Teaser only…")]);
            let mut response =
                ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response();
            response
                .headers_mut()
                .insert(header::ETAG, "\"v1\"".parse().unwrap());
            response
        }
        "story/1" => {
            let body = format!(
                "<html><head><title>A locked story</title></head><body><article><h1>A locked story</h1>\
                 <p>{ARTICLE_MARKER} {}</p><p>{}</p></article></body></html>",
                story_text(1),
                story_text(2)
            );
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn answers(seen: &Mutex<Seen>, path: &str) -> Vec<u16> {
    seen.lock()
        .unwrap()
        .answers
        .get(path)
        .cloned()
        .unwrap_or_default()
}

/// Every byte of the SQLite database (file, WAL, shared memory) in `dir`.
fn database_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("feedfold.db") {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(!bytes.is_empty(), "no database in {}", dir.display());
    bytes
}

fn assert_no_secret(what: &str, haystack: &[u8]) {
    let haystack = String::from_utf8_lossy(haystack);
    for secret in [PASSWORD, "bWU6czNjcmV0LXB3LTQx", API_KEY, "cookie-88d1e2"] {
        assert!(
            !haystack.contains(secret),
            "{what} shows the secret {secret}:\n{haystack}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_reach_the_feed_and_its_articles_and_nowhere_else() {
    let (site, seen) = locked_site().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.password"), format!("{PASSWORD}\n")).unwrap();
    std::fs::write(dir.path().join("site.cookie"), COOKIE).unwrap();
    let feed = format!("http://{site}/feed.xml");
    let sources = [
        source(
            "locked",
            &feed,
            &format!(
                "username = \"me\"\npassword_file = \"site.password\"\ncookie_file = \"site.cookie\"\n\
                 headers = {{ X-Api-Key = \"{API_KEY}\" }}\nuser_agent = \"LockedReader/2\"\nscrape = true\n"
            ),
        ),
        // Same site, no credentials: the site turns it away.
        source("bare", &format!("http://{site}/other.xml"), ""),
    ]
    .concat();
    let db = format!("sqlite://{}", dir.path().join("feedfold.db").display());
    let config = write_config(dir.path(), &db, &sources);
    let config = config.to_str().unwrap();

    let fetched = feedfold(&["fetch", "-c", config], &[]).await;
    assert_eq!(fetched.status.code(), Some(2), "{}", text(&fetched));
    assert_eq!(answers(&seen, "feed.xml"), [200]);
    assert_eq!(
        answers(&seen, "story/1"),
        [200],
        "the article page got the credentials too"
    );
    assert_eq!(answers(&seen, "other.xml"), [401]);
    // robots.txt (asked before the article page) carried them too: it
    // passed the site's check (and was then "not found", allowing all).
    assert_eq!(answers(&seen, "robots.txt"), [200]);
    assert!(
        seen.lock()
            .unwrap()
            .agents
            .iter()
            .any(|a| a == "LockedReader/2")
    );
    let log = text(&fetched);
    assert!(log.contains("HTTP 401"), "{log}");
    assert_no_secret("fetch's log (FEEDFOLD_LOG=debug)", log.as_bytes());

    // The scraped article is what the feed publishes.
    let printed = feedfold(&["feed", "-c", config], &[]).await;
    assert!(printed.status.success(), "{}", text(&printed));
    assert!(String::from_utf8_lossy(&printed.stdout).contains(ARTICLE_MARKER));

    // Conditional GET still works with credentials on: the site answers 304.
    let again = feedfold(&["fetch", "-c", config, "--source", "locked"], &[]).await;
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(answers(&seen, "feed.xml"), [200, 304]);

    for args in [
        vec!["status", "-c", config],
        vec!["status", "-c", config, "--json"],
        vec!["opml", "export", "-c", config],
        vec!["check", "-c", config],
        vec!["explain", "-c", config, "locked:g1"],
    ] {
        let out = feedfold(&args, &[]).await;
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert_no_secret(&format!("{args:?}"), text(&out).as_bytes());
    }
    assert_no_secret("the SQLite database", &database_bytes(dir.path()));

    // The daemon: its pages and its debug log show no secret either.
    let daemon = Daemon::start_with(Path::new(config), "debug", &[]);
    let base = daemon.feed_url.trim_end_matches("feed.atom").to_owned();
    daemon.feed_when(|f| !f.entries.is_empty()).await;
    for page in ["sources", "", "feed.json"] {
        let body = reqwest::get(format!("{base}{page}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            body.contains("locked") || body.contains("A locked story"),
            "/{page}: {body}"
        );
        assert_no_secret(&format!("/{page}"), body.as_bytes());
    }
    let log = daemon.log();
    daemon.stop();
    assert_no_secret("the daemon's debug log", log.as_bytes());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_password_file_fails_check_and_only_its_source() {
    let server = FixtureServer::start().await;
    let body = rss(
        "Open",
        &[("o1", "An open story", "https://example.org/o1", "text")],
    );
    server.set("open.xml", Fixture::feed(body));
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.password");
    let sources = [
        source(
            "locked",
            &server.url("locked.xml"),
            "username = \"me\"\npassword_file = \"nowhere.password\"\nschedule = \"* * * * * *\"\n",
        ),
        source("open", &server.url("open.xml"), ""),
    ]
    .concat();
    let db = format!("sqlite://{}", dir.path().join("feedfold.db").display());
    let config = write_config(dir.path(), &db, &sources);
    // A failing source is tried again soon (its schedule is every second).
    let quick = std::fs::read_to_string(&config)
        .unwrap()
        .replace("scrape = false", "scrape = false\nbackoff = \"1s\"");
    std::fs::write(&config, quick).unwrap();
    let config = config.to_str().unwrap();

    let checked = feedfold(&["check", "-c", config], &[]).await;
    assert_eq!(checked.status.code(), Some(1), "{}", text(&checked));
    let message = String::from_utf8_lossy(&checked.stderr).into_owned();
    let line = std::fs::read_to_string(config)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("password_file"))
        .unwrap()
        + 1;
    let expected = format!(
        "{config}:{line}:17: source \"locked\": password_file {}: No such file or directory",
        missing.display()
    );
    assert!(
        message.starts_with(&expected),
        "{message}\nexpected: {expected}"
    );

    let fetched = feedfold(&["fetch", "-c", config], &[]).await;
    assert_eq!(fetched.status.code(), Some(2), "{}", text(&fetched));
    assert!(
        text(&fetched).contains(&missing.display().to_string()),
        "{}",
        text(&fetched)
    );
    assert_eq!(
        server.hits("locked.xml"),
        0,
        "no request without its password"
    );
    assert_eq!(server.hits("open.xml"), 1);
    let printed = feedfold(&["feed", "-c", config], &[]).await;
    assert!(String::from_utf8_lossy(&printed.stdout).contains("An open story"));
    let status = feedfold(&["status", "-c", config, "--json"], &[]).await;
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(status.contains("nowhere.password"), "{status}");

    // The daemon starts, says what is wrong where, and serves the rest.
    let daemon = Daemon::start(Path::new(config));
    let logged = daemon.wait_for_log("nowhere.password", 1).await;
    assert!(logged.contains(&expected), "{logged}");
    daemon
        .feed_when(|f| {
            f.entries.iter().any(|e| {
                e.title
                    .as_ref()
                    .is_some_and(|t| t.content == "An open story")
            })
        })
        .await;
    assert_eq!(server.hits("locked.xml"), 0);

    // Once the file is there, a reload reads it and the source is asked.
    std::fs::write(&missing, "pw\n").unwrap();
    daemon.signal("HUP");
    let started = std::time::Instant::now();
    while server.hits("locked.xml") == 0 {
        assert!(started.elapsed().as_secs() < 20, "{}", daemon.log());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    daemon.stop();
    let checked = feedfold(&["check", "-c", config], &[]).await;
    assert!(checked.status.success(), "{}", text(&checked));
}

/// A plain HTTP forward proxy on loopback that records each request line
/// and relays it to the target, one request per connection.
async fn recording_proxy() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let record = log.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(relay(client, record.clone()));
        }
    });
    (addr, log)
}

async fn relay(mut client: TcpStream, log: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    log.lock().unwrap().push(request_line.clone());
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let Ok(url) = url::Url::parse(target) else {
        let _ = client
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    let upstream = format!(
        "{}:{}",
        url.host_str().unwrap(),
        url.port_or_known_default().unwrap()
    );
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    let mut forwarded = format!(
        "{method} {} HTTP/1.1\r\n",
        &url[url::Position::BeforePath..]
    );
    for line in lines.filter(|l| !l.is_empty()) {
        let name = line.split(':').next().unwrap_or("").to_ascii_lowercase();
        if !matches!(name.as_str(), "connection" | "proxy-connection") {
            forwarded.push_str(line);
            forwarded.push_str("\r\n");
        }
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    if server.write_all(forwarded.as_bytes()).await.is_ok() {
        let _ = tokio::io::copy(&mut server, &mut client).await;
    }
    let _ = client.shutdown().await;
}

#[tokio::test]
async fn proxies_carry_requests_but_not_past_the_guard() {
    let server = FixtureServer::start().await;
    let body = |n: &str| {
        rss(
            n,
            &[(
                n,
                &format!("Story {n}"),
                &format!("https://example.org/{n}"),
                "t",
            )],
        )
    };
    for name in ["own", "env", "exempt", "forbidden"] {
        server.set(&format!("{name}.xml"), Fixture::feed(body(name)));
    }
    let (proxy, log) = recording_proxy().await;
    let dir = tempfile::tempdir().unwrap();
    let own_proxy = format!("proxy = \"http://{proxy}\"\n");
    // 127.0.0.2 is loopback outside fetch.allow_networks (only 127.0.0.1).
    let forbidden = format!("http://127.0.0.2:{}/forbidden.xml", server.addr.port());
    let sources = [
        source("own", &server.url("own.xml"), &own_proxy),
        source("forbidden", &forbidden, &own_proxy),
    ]
    .concat();
    let db = format!("sqlite://{}", dir.path().join("feedfold.db").display());
    let config = write_config(dir.path(), &db, &sources);
    let config = config.to_str().unwrap();

    let fetched = feedfold(&["fetch", "-c", config], &[]).await;
    assert_eq!(fetched.status.code(), Some(2), "{}", text(&fetched));
    let log_text = text(&fetched);
    assert!(
        log_text.contains("refusing to connect to 127.0.0.2: loopback address"),
        "{log_text}"
    );
    let seen = log.lock().unwrap().clone();
    assert_eq!(seen, [format!("GET {} HTTP/1.1", server.url("own.xml"))]);
    assert_eq!(server.hits("own.xml"), 1);
    assert_eq!(server.hits("forbidden.xml"), 0);

    // The environment's proxy, and NO_PROXY's exemption.
    let sources = [
        source("env", &server.url("env.xml"), ""),
        source(
            "exempt",
            &format!("http://localhost:{}/exempt.xml", server.addr.port()),
            "",
        ),
    ]
    .concat();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("feedfold.db").display());
    let config = write_config(dir.path(), &db, &sources);
    let config = config.to_str().unwrap();
    let proxy_url = format!("http://{proxy}");
    let env = [
        ("HTTP_PROXY", proxy_url.as_str()),
        ("no_proxy", "localhost"),
    ];
    let fetched = feedfold(&["fetch", "-c", config], &env).await;
    assert!(fetched.status.success(), "{}", text(&fetched));
    let seen = log.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[1], format!("GET {} HTTP/1.1", server.url("env.xml")));
    assert_eq!(server.hits("exempt.xml"), 1, "went direct, past no proxy");

    // A proxy that refuses connections is named (without its password),
    // and only its source fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let refusing = format!("proxy = \"http://me:{PASSWORD}@127.0.0.1:{closed_port}\"\n");
    let sources = [
        source("refused", &server.url("env.xml"), &refusing),
        source("direct", &server.url("own.xml"), ""),
    ]
    .concat();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("feedfold.db").display());
    let config = write_config(dir.path(), &db, &sources);
    let fetched = feedfold(&["fetch", "-c", config.to_str().unwrap()], &[]).await;
    assert_eq!(fetched.status.code(), Some(2), "{}", text(&fetched));
    let log_text = text(&fetched);
    let named = format!("through proxy http://me:redacted@127.0.0.1:{closed_port}/");
    assert!(log_text.contains(&named), "{log_text}");
    assert!(log_text.contains("1 failed"), "{log_text}");
    assert_no_secret("a refusing proxy's error", log_text.as_bytes());
}
