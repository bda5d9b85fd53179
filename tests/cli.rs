//! The `feedfold` binary as users run it: exit codes, messages, the offline demo.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::daemon::Daemon;
use common::{Fixture, FixtureServer, rss, source, write_config};

fn feedfold(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_feedfold"))
        .args(args)
        .env("FEEDFOLD_LOG", "warn")
        .output()
        .unwrap()
}

/// Parses output made of JSON lines.
fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn check_accepts_the_shipped_configs() {
    for name in ["demo.toml", "feedfold.toml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("config")
            .join(name);
        let out = feedfold(&["check", "-c", path.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
}

#[test]
fn check_reports_file_line_column_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[daemon]\nschedule = \"61 * * * *\"\n").unwrap();
    let out = feedfold(&["check", "-c", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.starts_with(&format!("{}:2:12: bad cron expression", path.display())),
        "{message}"
    );
    let out = feedfold(&[
        "check",
        "-c",
        dir.path().join("absent.toml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    // A broken config never starts the daemon.
    let out = feedfold(&["run", "-c", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn unopenable_database_is_one_clear_message_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), "sqlite:///nonexistent-feedfold-dir/x.db", "");
    let out = feedfold(&["run", "-c", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.contains("cannot open database sqlite:///nonexistent-feedfold-dir/x.db"),
        "{message}"
    );
}

#[tokio::test]
async fn fetch_then_feed_and_status_print_what_was_stored() {
    let server = FixtureServer::start().await;
    server.set(
        "a.xml",
        Fixture::feed(rss(
            "A",
            &[("1", "First story", "https://a.example.org/1", "x")],
        )),
    );
    server.set("b.xml", Fixture::status(503));
    server.set("c.xml", Fixture::status(410));
    server.set("d.xml", Fixture::redirect(301, "/a.xml"));
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ff.db").display());
    let sources = source("a", &server.url("a.xml"), "groups = [\"g\"]")
        + &source("b", &server.url("b.xml"), "")
        + &source("c", &server.url("c.xml"), "")
        + &source("d", &server.url("d.xml"), "");
    let config = write_config(dir.path(), &db, &sources);
    let config = config.to_str().unwrap().to_owned();

    let fetched = tokio::task::spawn_blocking({
        let config = config.clone();
        move || feedfold(&["fetch", "-c", &config])
    })
    .await
    .unwrap();
    assert_eq!(
        fetched.status.code(),
        Some(2),
        "a failed source makes the pass exit 2"
    );
    assert!(
        stderr(&fetched).contains("4 sources fetched, 2 failed, 2 new entries"),
        "{}",
        stderr(&fetched)
    );

    let json = feedfold(&["feed", "-c", &config, "--format", "json"]);
    assert!(json.status.success(), "{}", stderr(&json));
    let feed = feed_rs::parser::parse(&json.stdout[..]).unwrap();
    assert_eq!(feed.entries.len(), 1);
    let group = feedfold(&["feed", "-c", &config, "--format", "rss", "--group", "g"]);
    assert_eq!(
        feed_rs::parser::parse(&group.stdout[..])
            .unwrap()
            .entries
            .len(),
        1
    );

    let status = feedfold(&["status", "-c", &config, "--json"]);
    let lines = json_lines(&status.stdout);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["source"], "a");
    assert_eq!(lines[0]["entries"], 1);
    assert_eq!(lines[1]["last_error"], "HTTP 503");
    assert_eq!(lines[1]["status"], 503);
    assert!(lines[1]["retry_at"].as_i64().is_some());
    assert!(lines[2]["gone_since"].as_i64().is_some());
    assert!(
        lines[2]["next_due"].is_null(),
        "a gone source is not scheduled"
    );
    assert_eq!(lines[3]["moved_to"], server.url("a.xml"));
    let table = feedfold(&["status", "-c", &config]);
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(table.contains("HTTP 503 (x1), retry after "), "{table}");
    assert!(table.contains("GONE (410) since "), "{table}");
    assert!(
        table.contains(&format!("moved permanently to {}", server.url("a.xml"))),
        "{table}"
    );

    let unknown = feedfold(&["fetch", "-c", &config, "--source", "nope"]);
    assert_eq!(unknown.status.code(), Some(1));
}

#[test]
fn parse_prints_entries_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.xml");
    std::fs::write(
        &path,
        rss("A", &[("1", "One", "/one", "x"), ("2", "Two", "/two", "y")]),
    )
    .unwrap();
    let out = feedfold(&[
        "parse",
        "--url",
        "https://example.org/feed",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["url"], "https://example.org/two");
    std::fs::write(&path, "not a feed").unwrap();
    assert_eq!(
        feedfold(&["parse", path.to_str().unwrap()]).status.code(),
        Some(1)
    );
}

fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect()
}

#[tokio::test]
async fn the_offline_demo_serves_a_merged_feed_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&common::demo_copy(dir.path(), ""));
    let feed = daemon.feed_when(|f| f.entries.len() >= 10).await;
    let titles = titles(&feed);
    assert!(
        titles.iter().any(|t| t == "Port strike ends after 12 days"),
        "{titles:?}"
    );
    assert!(
        !titles.iter().any(|t| t.starts_with("UPDATE: Dock workers")),
        "folded into the port strike story: {titles:?}"
    );
    assert_eq!(
        titles
            .iter()
            .filter(|t| t.contains("人力资源社会保障部"))
            .count(),
        1,
        "{titles:?}"
    );
    // The edited wire copy under another link folds by fingerprint.
    assert_eq!(
        titles
            .iter()
            .filter(|t| t.contains("Ferry services suspended"))
            .count(),
        1,
        "{titles:?}"
    );
    let status = daemon.stop();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn sighup_applies_a_good_config_and_keeps_running_on_a_bad_one() {
    let server = FixtureServer::start().await;
    server.set(
        "a.xml",
        Fixture::feed(rss(
            "A",
            &[("1", "First story", "https://a.example.org/1", "x")],
        )),
    );
    server.set(
        "b.xml",
        Fixture::feed(rss(
            "B",
            &[(
                "2",
                "Story from the new source",
                "https://b.example.org/2",
                "y",
            )],
        )),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ff.db").display());
    let config = write_config(dir.path(), &db, &source("a", &server.url("a.xml"), ""));
    let daemon = Daemon::start(&config);
    daemon.feed_when(|f| f.entries.len() == 1).await;

    let both = source("a", &server.url("a.xml"), "") + &source("b", &server.url("b.xml"), "");
    write_config(dir.path(), &db, &both);
    daemon.signal("HUP");
    let feed = daemon.feed_when(|f| f.entries.len() == 2).await;
    assert!(titles(&feed).contains(&"Story from the new source".to_owned()));

    std::fs::write(&config, "[daemon]\nschedule = \"not cron\"\n").unwrap();
    daemon.signal("HUP");
    daemon.wait_for_log("config reload rejected", 1).await;
    let feed = daemon.feed_when(|f| f.entries.len() == 2).await;
    assert_eq!(feed.entries.len(), 2, "the old config keeps serving");
    let status = daemon.stop();
    assert!(status.success(), "{status}");
}

/// Hits on each path, in the order given.
fn hits(server: &FixtureServer, paths: &[&str]) -> Vec<u64> {
    paths.iter().map(|p| server.hits(p)).collect()
}

/// Waits until `done` accepts the server's hits on `paths` (20 s at most):
/// sources fetched every second are the test's clock.
async fn until_hits(server: &FixtureServer, paths: &[&str], done: impl Fn(&[u64]) -> bool) {
    let started = std::time::Instant::now();
    while !done(&hits(server, paths)) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "hits on {paths:?}: {:?}",
            hits(server, paths)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sighup_stops_a_removed_source_and_applies_changed_schedules() {
    let server = FixtureServer::start().await;
    let paths = ["a.xml", "removed.xml", "slowed.xml", "hastened.xml"];
    for (i, path) in paths.iter().enumerate() {
        let id = i.to_string();
        server.set(
            path,
            Fixture::feed(rss(
                path,
                &[(&id, path, &format!("https://x.example.org/{i}"), "x")],
            )),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ff.db").display());
    let every_second = "schedule = \"* * * * * *\"";
    let yearly = "schedule = \"0 0 1 1 *\"";
    let sources = |removed: bool, slowed: &str, hastened: &str| {
        let mut text = source("a", &server.url("a.xml"), every_second);
        if !removed {
            text += &source("removed", &server.url("removed.xml"), every_second);
        }
        text += &source("slowed", &server.url("slowed.xml"), slowed);
        text + &source("hastened", &server.url("hastened.xml"), hastened)
    };
    let config = write_config(dir.path(), &db, &sources(false, every_second, yearly));
    let daemon = Daemon::start_with(&config, "info", &[]);
    // Every source runs at start; then the yearly one waits while the others
    // run every second.
    until_hits(&server, &paths, |h| h[0] >= 3 && h[1] >= 3 && h[2] >= 3).await;
    assert_eq!(server.hits("hastened.xml"), 1, "yearly: once, at start");

    write_config(dir.path(), &db, &sources(true, yearly, every_second));
    daemon.signal("HUP");
    daemon.wait_for_log("config reloaded", 1).await;
    let [a, removed, slowed, hastened] = hits(&server, &paths)[..] else {
        unreachable!()
    };
    until_hits(&server, &paths, |h| h[0] >= a + 3).await;
    let now = hits(&server, &paths);
    // A fetch already in flight when the signal came may still land once.
    assert!(now[1] <= removed + 1, "the removed source stopped: {now:?}");
    assert!(
        now[2] <= slowed + 1,
        "the slowed source went yearly: {now:?}"
    );
    until_hits(&server, &paths, |h| h[3] >= hastened + 3).await;
    let status = daemon.stop();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn sighup_runs_the_events_pass_again_though_nothing_was_fetched() {
    let server = FixtureServer::start().await;
    let items = [
        (
            "1",
            "Harbour reopens",
            "https://x.example.org/1",
            "The harbour reopened.",
        ),
        (
            "2",
            "Ferries resume",
            "https://x.example.org/2",
            "Ferries resumed.",
        ),
    ];
    server.set("a.xml", Fixture::feed(rss("a", &items)));
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ff.db").display());
    // Fetched once, at start: after that nothing moves the change counter.
    let sources = source("a", &server.url("a.xml"), "schedule = \"0 0 1 1 *\"");
    let config = write_config(dir.path(), &db, &sources);
    let daemon = Daemon::start_with(&config, "feedfold=debug", &[]);
    let pass = "feedfold::daemon::events: events: ";
    daemon.wait_for_log(pass, 1).await;
    // A reload may bring new [events] settings: stories are grouped again
    // even though the unchanged config wrote nothing.
    write_config(dir.path(), &db, &sources);
    daemon.signal("HUP");
    daemon.wait_for_log("config reloaded", 1).await;
    // Passes keep a gap of 15 s between their starts: more than
    // `wait_for_log` allows on a loaded machine.
    let started = std::time::Instant::now();
    while daemon.log().lines().filter(|l| l.contains(pass)).count() < 2 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no events pass after the reload:\n{}",
            daemon.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let status = daemon.stop();
    assert!(status.success(), "{status}");
}

/// The datagrams a service manager would receive on `NOTIFY_SOCKET`, read
/// on a thread of their own as they arrive.
struct NotifySocket {
    path: PathBuf,
    messages: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl NotifySocket {
    fn bind(dir: &Path) -> NotifySocket {
        let path = dir.join("notify.sock");
        let socket = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = messages.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0; 4096];
            while let Ok(n) = socket.recv(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                kept.lock().unwrap().extend(text.lines().map(str::to_owned));
            }
        });
        NotifySocket { path, messages }
    }

    /// Waits until `count` lines starting with `prefix` have arrived (20 s
    /// at most); returns every line so far.
    async fn wait_for(&self, prefix: &str, count: usize) -> Vec<String> {
        let started = std::time::Instant::now();
        loop {
            let messages = self.messages.lock().unwrap().clone();
            if messages.iter().filter(|m| m.starts_with(prefix)).count() >= count {
                return messages;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{count} × {prefix:?} never arrived: {messages:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn the_daemon_tells_systemd_ready_watchdog_status_and_stopping() {
    let server = FixtureServer::start().await;
    server.set(
        "a.xml",
        Fixture::feed(rss(
            "A",
            &[("1", "First story", "https://a.example.org/1", "x")],
        )),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ff.db").display());
    let config = write_config(dir.path(), &db, &source("a", &server.url("a.xml"), ""));
    let socket = NotifySocket::bind(dir.path());
    // A 200 ms watchdog: pings every 100 ms, where the default is every 30 s,
    // so five of them within the deadline show WATCHDOG_USEC was read.
    let daemon = Daemon::start_with(
        &config,
        "warn",
        &[
            ("NOTIFY_SOCKET", socket.path.to_str().unwrap()),
            ("WATCHDOG_USEC", "200000"),
        ],
    );
    socket.wait_for("READY=1", 1).await;
    socket.wait_for("STATUS=", 1).await;
    let seen = socket.wait_for("WATCHDOG=1", 5).await;
    assert!(
        !seen.iter().any(|m| m == "STOPPING=1"),
        "stopping before asked: {seen:?}"
    );
    let status = seen.iter().find(|m| m.starts_with("STATUS=")).unwrap();
    assert!(status.contains("last: a"), "{status}");
    let status = daemon.stop();
    assert!(status.success(), "{status}");
    let seen = socket.wait_for("STOPPING=1", 1).await;
    let position = |m: &str| seen.iter().position(|s| s == m).unwrap();
    assert!(position("READY=1") < position("STOPPING=1"), "{seen:?}");
}

/// `feedfold extract` with these arguments, `stdin` piped in; must succeed.
fn extract(args: &[&str], stdin: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_feedfold"))
        .arg("extract")
        .args(args)
        .env("FEEDFOLD_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "extract {args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

const STRIKE: [&str; 3] = [
    "Dock workers at the container terminal voted on Sunday night to accept a revised pay offer, ending a twelve-day strike.",
    "The union said the deal raises wages by nine percent over two years and limits compulsory overtime on night shifts.",
    "Ships that had waited at anchor offshore began moving into the berths on Monday morning, the port authority said.",
];

/// An English news page: navigation, the article (with a relative link),
/// a sidebar and a footer.
fn strike_page() -> String {
    format!(
        "<html><head><title>Port strike ends - Harbour Wire</title></head><body>\
         <nav><a href='/'>Home</a> <a href='/world'>World</a></nav>\
         <article><h1>Port strike ends</h1><p>{}</p><p>{} <a href='/union'>Read the statement</a></p><p>{}</p></article>\
         <aside><p>Most read: lighthouse grant announced by the council.</p></aside>\
         <footer>Copyright Harbour Wire. All rights reserved.</footer></body></html>",
        STRIKE[0], STRIKE[1], STRIKE[2]
    )
}

const ZH_TITLE: &str = "长江流域今年首次发布洪水预警";
const ZH: [&str; 2] = [
    "水利部长江水利委员会昨天发布消息,受持续强降雨影响,长江中下游干流水位快速上涨,部分支流出现超警戒水位,长江流域今年首次发布洪水蓝色预警。",
    "长江委要求沿江各地加强巡查防守,做好水库调度和人员转移准备,确保人民群众生命财产安全。目前各地防汛工作有序开展,抢险队伍已经到位。",
];

/// A Chinese page in GBK with no charset declared anywhere: the bytes must
/// be sniffed.
fn gbk_page() -> Vec<u8> {
    let html = format!(
        "<html><head><title>新闻中心</title></head><body>\
         <div class='nav'><a href='/'>首页</a> <a href='/news'>新闻</a></div>\
         <div class='content'><h1>{ZH_TITLE}</h1><p>{}</p><p>{}</p></div>\
         <div class='footer'>本网站所有内容版权归新闻中心所有,未经授权不得转载。</div></body></html>",
        ZH[0], ZH[1]
    );
    encoding_rs::GBK.encode(&html).0.into_owned()
}

#[test]
fn extract_prints_the_article_from_a_file_or_stdin_in_each_format() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("strike.html");
    std::fs::write(&file, strike_page()).unwrap();
    let file = file.to_str().unwrap();

    let text = extract(&[file], b"");
    let expected = [
        STRIKE[0].to_owned(),
        format!("{} Read the statement", STRIKE[1]),
        STRIKE[2].to_owned(),
    ];
    assert_eq!(
        text.trim_end().lines().collect::<Vec<_>>(),
        expected,
        "{text}"
    );
    for chrome in ["Home", "Most read", "Copyright"] {
        assert!(!text.contains(chrome), "{chrome:?} kept: {text}");
    }
    assert_eq!(extract(&["-"], strike_page().as_bytes()), text, "stdin");
    assert_eq!(
        extract(&[], strike_page().as_bytes()),
        text,
        "stdin by default"
    );

    let json: serde_json::Value =
        serde_json::from_str(&extract(&["--format", "json", file], b"")).unwrap();
    assert_eq!(json["title"], "Port strike ends", "{json}");
    assert_eq!(json["text"].as_str().unwrap(), text.trim_end(), "{json}");

    let html = extract(
        &[
            "--format",
            "html",
            "--url",
            "https://harbour.example.org/2026/strike",
            file,
        ],
        b"",
    );
    assert!(html.contains("<p>") && html.contains(STRIKE[2]), "{html}");
    assert!(
        html.contains("href=\"https://harbour.example.org/union\""),
        "links made absolute: {html}"
    );
    assert!(
        !html.contains("Most read") && !html.contains("<nav"),
        "{html}"
    );
}

#[test]
fn extract_sniffs_an_unlabelled_gbk_page() {
    let json: serde_json::Value =
        serde_json::from_str(&extract(&["--format", "json", "-"], &gbk_page())).unwrap();
    assert_eq!(json["title"], ZH_TITLE, "{json}");
    let text = json["text"].as_str().unwrap();
    assert_eq!(text.lines().collect::<Vec<_>>(), ZH, "{json}");
    assert_eq!(json["lang"], "zh", "{json}");
}

#[test]
fn extract_batch_writes_one_line_per_listed_page_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let strike = dir.path().join("strike.html");
    let gbk = dir.path().join("gbk.html");
    std::fs::write(&strike, strike_page()).unwrap();
    std::fs::write(&gbk, gbk_page()).unwrap();
    let list = dir.path().join("list.tsv");
    std::fs::write(
        &list,
        format!(
            "zh\t{}\n\nmissing\t{}/nope.html\nen\t{}\thttps://harbour.example.org/s\n",
            gbk.display(),
            dir.path().display(),
            strike.display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_feedfold"))
        .args(["extract", "--batch", list.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out.stdout);
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["zh", "missing", "en"]);
    // Each page reads as it does alone.
    assert_eq!(lines[0]["text"].as_str().unwrap(), ZH.join("\n"));
    assert_eq!(lines[0]["title"], ZH_TITLE);
    assert!(lines[0]["err"].is_null());
    assert!(
        lines[1]["err"].as_str().unwrap().contains("nope.html"),
        "{}",
        lines[1]
    );
    let alone = extract(&[strike.to_str().unwrap()], b"");
    assert_eq!(lines[2]["text"].as_str().unwrap(), alone.trim_end());
    assert!(lines[2]["ms"].as_f64().unwrap() >= 0.0);
}

#[test]
fn fingerprint_and_dedup_follow_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("a.txt");
    std::fs::write(
        &text,
        "人力资源社会保障部日前印发通知,要求各地切实关心关爱奋战在一线的医务人员。",
    )
    .unwrap();
    let out = feedfold(&["fingerprint", text.to_str().unwrap()]);
    let hex = String::from_utf8(out.stdout).unwrap();
    assert_eq!(hex.trim().len(), 16, "{hex}");
    assert!(hex.trim().chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        String::from_utf8(feedfold(&["fingerprint", text.to_str().unwrap()]).stdout).unwrap(),
        hex
    );

    let body = "Dock workers at the container terminal voted on Sunday night to accept a revised pay offer, ending a twelve-day strike that left more than forty ships anchored offshore, the union said on Monday.";
    let items = [
        serde_json::json!({"id": "1", "title": "Port strike ends", "text": body, "source": "a"}),
        serde_json::json!({"id": "2", "title": "Lighthouse grant", "text": "The Gull Point Lighthouse Trust has been awarded a heritage grant to repair the lantern room and re-roof the keeper's cottage before the tower reopens to visitors in 2028."}),
        serde_json::json!({"id": "3", "title": "UPDATE: Port strike ends - Reuters", "text": body, "published": chrono::Utc::now().to_rfc3339()}),
    ];
    let input = dir.path().join("items.jsonl");
    std::fs::write(&input, items.map(|i| i.to_string()).join("\n")).unwrap();
    let out = feedfold(&["dedup", input.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out.stdout);
    let clusters: Vec<&str> = lines
        .iter()
        .map(|l| l["cluster"].as_str().unwrap())
        .collect();
    assert_eq!(clusters, ["1", "2", "1"]);
    assert_eq!(lines[2]["id"], "3");

    // --explain: the same clusters, and why.
    let out = feedfold(&["dedup", "--explain", input.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines[0]["why"]["rule"], "new");
    assert_eq!(lines[1]["why"]["rule"], "new");
    let why = &lines[2]["why"];
    assert_eq!(why["rule"], "verified", "{why}");
    assert_eq!(why["matched"]["item"], "1", "{why}");
    assert_eq!(why["matched"]["same_title"], true, "{why}");
    assert_eq!(why["matched"]["resemblance"], 1.0, "{why}");
}

#[test]
fn dedup_events_adds_an_event_shared_by_clusters_and_write_ups_of_one_event() {
    let dir = tempfile::tempdir().unwrap();
    let quake_a = "A magnitude 6.4 earthquake struck the coastal province of Banten early on Tuesday, \
        collapsing dozens of houses in the town of Pandeglang and killing at least seven people, the \
        national disaster agency said. Rescuers searched rubble through the morning while aftershocks \
        rattled the region and schools stayed closed.";
    let quake_b = "Rescue teams in Pandeglang dug through collapsed houses after Tuesday's magnitude \
        6.4 earthquake in Banten province, which the disaster agency said killed seven people. \
        Aftershocks kept residents outdoors and the province closed its schools for the day while \
        engineers inspected bridges.";
    let other = [
        "The city council approved a budget that raises spending on libraries and parks next year.",
        "A new bridge across the river opened to traffic after three years of construction work.",
        "The football club confirmed the signing of a midfielder on a four-year contract.",
        "Heavy snow closed mountain passes and delayed trains across the northern region.",
        "The central bank kept interest rates unchanged and said inflation was easing slowly.",
    ];
    let item = |id: &str, title: &str, text: &str, hour: u32, site: &str| {
        serde_json::json!({"id": id, "title": title, "text": text, "source": site,
            "published": format!("2024-05-10T{hour:02}:00:00Z")})
        .to_string()
    };
    let mut lines = vec![
        item("a", "Banten earthquake kills seven", quake_a, 1, "wire"),
        item(
            "a-copy",
            "UPDATE: Banten earthquake kills seven",
            quake_a,
            2,
            "paper",
        ),
        item("b", "Seven dead as quake hits Banten", quake_b, 5, "daily"),
    ];
    for (i, o) in other.iter().enumerate() {
        lines.push(item(&format!("o{i}"), o, o, 3, "misc"));
    }
    let input = dir.path().join("items.jsonl");
    std::fs::write(&input, lines.join("\n")).unwrap();

    let out = feedfold(&["dedup", "--events", input.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got = json_lines(&out.stdout);
    assert_eq!(got[1]["cluster"], "a");
    let events: Vec<&str> = got.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(&events[..3], ["a", "a", "a"], "{got:?}");
    assert!(
        events[3..]
            .iter()
            .zip(&got[3..])
            .all(|(e, l)| l["id"] == *e)
    );

    // A threshold no pair reaches leaves every story its own event.
    let out = feedfold(&[
        "dedup",
        "--events",
        "--event-threshold",
        "5",
        input.to_str().unwrap(),
    ]);
    let got = json_lines(&out.stdout);
    assert_eq!(got[2]["event"], "b");
    assert_eq!(got[1]["event"], "a", "a cluster always shares one event");

    // Without --events the contract is unchanged.
    let out = feedfold(&["dedup", input.to_str().unwrap()]);
    assert!(
        json_lines(&out.stdout)
            .iter()
            .all(|l| l.get("event").is_none())
    );
}

#[tokio::test]
async fn explain_and_split_work_on_stored_items() {
    let server = FixtureServer::start().await;
    let story = (
        "g",
        "Port strike ends",
        "https://news.example.org/strike?utm_source=x",
        "Dock workers voted.",
    );
    server.set("a.xml", Fixture::feed(rss("A", &[story])));
    server.set(
        "b.xml",
        Fixture::feed(rss(
            "B",
            &[(
                "h",
                "UPDATE: Port strike ends",
                "https://news.example.org/strike",
                "Dock workers voted.",
            )],
        )),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ff.db").display());
    let sources = source("a", &server.url("a.xml"), "") + &source("b", &server.url("b.xml"), "");
    let config = write_config(dir.path(), &db, &sources);
    let config = config.to_str().unwrap().to_owned();
    let c = config.clone();
    tokio::task::spawn_blocking(move || feedfold(&["fetch", "-c", &c]))
        .await
        .unwrap();

    // Both copies, whichever arrived first, through the canonical URL.
    let explained = feedfold(&["explain", "-c", &config, "https://news.example.org/strike"]);
    let text = String::from_utf8_lossy(&explained.stdout).into_owned();
    assert!(explained.status.success(), "{}", stderr(&explained));
    assert_eq!(
        text.matches("\nentry ").count() + usize::from(text.starts_with("entry ")),
        2,
        "{text}"
    );
    assert!(
        text.contains("same-url") && text.contains("same canonical URL as entry"),
        "{text}"
    );

    let split = feedfold(&["split", "-c", &config, "b:h"]);
    assert!(split.status.success(), "{}", stderr(&split));
    let json = feedfold(&["feed", "-c", &config, "--format", "json"]);
    assert_eq!(
        feed_rs::parser::parse(&json.stdout[..])
            .unwrap()
            .entries
            .len(),
        2,
        "split into two stories"
    );
    let explained =
        String::from_utf8_lossy(&feedfold(&["explain", "-c", &config, "b:h"]).stdout).into_owned();
    assert!(explained.contains("split out by the user"), "{explained}");
    assert_eq!(
        feedfold(&["split", "-c", &config, "nothing:here"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn opml_import_edits_the_config_in_place_and_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("feedfold.toml");
    std::fs::write(
        &config,
        "# my config\n[output]\ntitle = \"mine\"  # shown to readers\n",
    )
    .unwrap();
    let opml = dir.path().join("subs.opml");
    std::fs::write(
        &opml,
        r#"<?xml version="1.0"?><opml version="2.0"><head/><body>
        <outline text="World"><outline type="rss" text="Harbour Wire" xmlUrl="https://harbour.example.org/rss"/></outline>
        <outline type="rss" text="城市日报" xmlUrl="https://city.example.com/feed.json"/></body></opml>"#,
    )
    .unwrap();
    let c = config.to_str().unwrap();
    let out = feedfold(&["opml", "import", "-c", c, opml.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("2 sources added"), "{}", stderr(&out));
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.starts_with("# my config\n[output]\ntitle = \"mine\"  # shown to readers\n"),
        "{text}"
    );
    assert!(feedfold(&["check", "-c", c]).status.success());
    // Importing again adds nothing.
    let again = feedfold(&["opml", "import", "-c", c, opml.to_str().unwrap()]);
    assert!(
        stderr(&again).contains("0 sources added"),
        "{}",
        stderr(&again)
    );

    let exported = feedfold(&["opml", "export", "-c", c]);
    let exported = String::from_utf8(exported.stdout).unwrap();
    assert!(
        exported.contains("<outline text=\"World\" title=\"World\">"),
        "{exported}"
    );
    assert!(
        exported.contains("xmlUrl=\"https://city.example.com/feed.json\""),
        "{exported}"
    );

    std::fs::write(
        &opml,
        "<opml><body><outline xmlUrl=\"a\" xmlUrl=\"b\"/></body></opml>",
    )
    .unwrap();
    let broken = feedfold(&["opml", "import", "-c", c, opml.to_str().unwrap()]);
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        text,
        "a failed import leaves the file alone"
    );
}

/// A reader that stops early is not a failure: `feedfold extract page.html |
/// head` exits 0 and says nothing (it panicked with exit 101).
#[test]
fn a_closed_stdout_ends_a_command_quietly() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("big.html");
    // More text than a pipe buffers (64 KiB), so the write meets the closed pipe.
    let words = "word ".repeat(40_000);
    std::fs::write(&page, format!("<html><body><p>{words}</p></body></html>")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_feedfold"))
        .args(["extract", page.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe's reading end is closed here, with most of the text unread.
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Bytes that are not a page (a PDF, an image, a text file) get a clear
/// error and exit 1, not their bytes printed as an article.
#[test]
fn extract_refuses_what_is_not_an_html_page() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, what) in [
        ("a.pdf", &b"%PDF-1.7\n1 0 obj\n"[..], "a PDF document"),
        (
            "a.png",
            &b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..],
            "a PNG image",
        ),
        (
            "passwd",
            &b"root:x:0:0:root:/root:/bin/bash\n"[..],
            "no markup",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = feedfold(&["extract", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        let message = stderr(&out);
        assert!(
            message.contains("not an HTML page") && message.contains(what),
            "{name}: {message}"
        );
        assert!(out.stdout.is_empty(), "{name}");
    }
}
