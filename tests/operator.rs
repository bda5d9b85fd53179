//! What a new operator meets first: the binary on a pipe, under systemd's
//! journal, with a broken config or a typo on the command line.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_feedfold"));
    command
        .env("FEEDFOLD_LOG", "warn")
        .env_remove("FEEDFOLD_CONFIG")
        .env_remove("JOURNAL_STREAM")
        .env_remove("NO_COLOR");
    command
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The shipped offline demo in a temp dir, fetched once so the database
/// has stories, sources and decisions to print.
fn fetched_demo(dir: &Path) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    std::fs::create_dir_all(dir.join("demo")).unwrap();
    for file in std::fs::read_dir(repo.join("demo")).unwrap() {
        let file = file.unwrap();
        std::fs::copy(file.path(), dir.join("demo").join(file.file_name())).unwrap();
    }
    let config = dir.join("demo.toml");
    std::fs::copy(repo.join("demo.toml"), &config).unwrap();
    let fetched = run(&["fetch", "-c", config.to_str().unwrap()]);
    assert!(fetched.status.success(), "{}", stderr(&fetched));
    config
}

/// Every command that prints to stdout, run with a stdout pipe whose reading
/// end is closed before the command starts, so its first write meets EPIPE.
#[test]
fn every_command_ends_quietly_with_0_on_a_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let config = fetched_demo(dir.path());
    let c = config.to_str().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(
        &page,
        format!("<html><body><p>{}</p></body></html>", "word ".repeat(2000)),
    )
    .unwrap();
    let p = page.to_str().unwrap();
    let list = dir.path().join("list.tsv");
    std::fs::write(&list, format!("a\t{p}\thttps://example.org/a\n")).unwrap();
    let items = dir.path().join("items.jsonl");
    std::fs::write(
        &items,
        "{\"id\":\"a\",\"title\":\"t\",\"text\":\"some words here\"}\n",
    )
    .unwrap();
    let feed = dir.path().join("demo").join("harbour-wire.xml");
    let commands: Vec<Vec<&str>> = vec![
        vec!["extract", p],
        vec!["extract", "--format", "json", p],
        vec!["extract", "--batch", list.to_str().unwrap()],
        vec!["parse", feed.to_str().unwrap()],
        vec!["fingerprint", p],
        vec!["dedup", items.to_str().unwrap()],
        vec!["check", "-c", c],
        vec!["feed", "-c", c],
        vec!["feed", "-c", c, "--format", "json"],
        vec!["status", "-c", c],
        vec!["status", "-c", c, "--json"],
        vec!["opml", "export", "-c", c],
        vec![
            "explain",
            "-c",
            c,
            "harbour-wire:harbourwire-2026-11-16-0042",
        ],
        vec!["--help"],
    ];
    for args in commands {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = bin()
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(out.stderr.is_empty(), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_bad_command_line_is_exit_1_with_the_usage() {
    let bare = run(&[]);
    assert_eq!(bare.status.code(), Some(1));
    assert!(
        stderr(&bare).contains("Usage: feedfold"),
        "{}",
        stderr(&bare)
    );
    for args in [&["--no-such-flag"][..], &["feed", "--format", "pdf"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let message = stderr(&out);
        assert!(
            message.contains("Usage: feedfold") || message.contains("try '--help'"),
            "{message}"
        );
    }
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: feedfold"));
}

#[test]
fn an_unknown_group_is_exit_1_with_the_known_groups() {
    let dir = tempfile::tempdir().unwrap();
    let config = fetched_demo(dir.path());
    let out = run(&["feed", "-c", config.to_str().unwrap(), "--group", "nosuch"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no feed is printed");
    assert_eq!(
        stderr(&out).trim(),
        "no group \"nosuch\" in the config; known groups: china, en, local, world, zh"
    );
    let known = run(&["feed", "-c", config.to_str().unwrap(), "--group", "zh"]);
    assert_eq!(known.status.code(), Some(0), "{}", stderr(&known));
}

#[test]
fn a_missing_config_is_named_once_and_the_defaults_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("absent.toml");
    let out = run(&["check", "-c", absent.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert_eq!(
        message.matches("No such file or directory").count(),
        1,
        "{message}"
    );
    assert_eq!(message.matches("absent.toml").count(), 1, "{message}");
    if Path::new("/etc/feedfold/feedfold.toml").exists() {
        return; // the machine has a default config; nothing to list
    }
    let out = bin()
        .args(["status"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.contains("./feedfold.toml") && message.contains("/etc/feedfold/feedfold.toml"),
        "{message}"
    );
}

/// A config with one source that fails (its file is missing) and one that
/// works: a fetch logs a warning and an info line.
fn one_bad_one_good(dir: &Path) -> PathBuf {
    let feed = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
        <item><guid>1</guid><title>One</title><link>https://example.org/1</link>\
        <description>Text of one.</description></item></channel></rss>";
    std::fs::write(dir.join("good.xml"), feed).unwrap();
    let config = dir.join("feedfold.toml");
    std::fs::write(
        &config,
        "[daemon]\ndatabase = \"sqlite://ff.db\"\n\n[[source]]\nname = \"gone\"\nurl = \"missing.xml\"\n\n\
         [[source]]\nname = \"good\"\nurl = \"good.xml\"\nscrape = false\n",
    )
    .unwrap();
    config
}

/// `fetch` on [`one_bad_one_good`] with stderr into a file; returns the log.
fn fetch_logging_to_file(dir: &Path, env: &[(&str, &str)]) -> String {
    let config = one_bad_one_good(dir);
    let log = dir.join("stderr.log");
    let file = std::fs::File::create(&log).unwrap();
    let (device, inode) = file_identity(&log);
    let mut command = bin();
    command.env("FEEDFOLD_LOG", "info");
    for (key, value) in env {
        // An empty JOURNAL_STREAM stands for the log file's own identity.
        if *key == "JOURNAL_STREAM" && value.is_empty() {
            command.env(key, format!("{device}:{inode}"));
        } else {
            command.env(key, value);
        }
    }
    let status = command
        .args(["fetch", "-c", config.to_str().unwrap()])
        .stderr(file)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2), "one source fails");
    std::fs::read_to_string(&log).unwrap()
}

#[cfg(unix)]
fn file_identity(path: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path).unwrap();
    (metadata.dev(), metadata.ino())
}

#[test]
fn logs_into_a_file_or_pipe_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let log = fetch_logging_to_file(dir.path(), &[]);
    assert!(
        log.contains("WARN") && log.contains("fetch failed"),
        "{log}"
    );
    assert!(!log.contains('\u{1b}'), "{log:?}");
    assert!(
        !log.starts_with('<'),
        "no journal prefixes off the journal: {log}"
    );
}

/// Under systemd (`JOURNAL_STREAM` names stderr) each line carries its
/// syslog priority, so `journalctl -p warning` selects the warnings.
#[test]
fn journal_lines_carry_syslog_priorities() {
    let dir = tempfile::tempdir().unwrap();
    // The value is replaced by the log file's own device and inode.
    let log = fetch_logging_to_file(dir.path(), &[("JOURNAL_STREAM", "")]);
    let warning = log.lines().find(|l| l.contains("fetch failed")).unwrap();
    assert!(warning.starts_with("<4>"), "{log}");
    let info = log.lines().find(|l| l.contains("fetched")).unwrap();
    assert!(info.starts_with("<6>"), "{log}");
    assert!(!log.contains('\u{1b}'), "{log:?}");
    // The journal stamps lines itself.
    assert!(!warning.contains("Z "), "{warning}");
    for line in log.lines().filter(|l| !l.starts_with("feedfold: ")) {
        assert!(
            line.starts_with('<'),
            "every log line has a priority: {line}"
        );
    }
}

/// A `JOURNAL_STREAM` inherited by a process whose stderr goes elsewhere is
/// not the journal.
#[test]
fn an_inherited_journal_stream_elsewhere_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let log = fetch_logging_to_file(dir.path(), &[("JOURNAL_STREAM", "1:1")]);
    assert!(!log.lines().any(|l| l.starts_with("<4>")), "{log}");
}

/// `FEEDFOLD_LOG=debug` shows feedfold's debug lines, not html5ever's
/// token-by-token trace and parse-error warnings; naming the crate does.
#[test]
fn debug_logging_is_about_feedfold_unless_a_crate_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("foster.html");
    std::fs::write(
        &page,
        "<html><body><table>stray<tr>x<td>a</td></tr></table>\
         <article><p>Two items on a page with a broken table.</p></article></body></html>",
    )
    .unwrap();
    let extract = |level: &str| {
        let out = bin()
            .env("FEEDFOLD_LOG", level)
            .args(["extract", page.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out)
    };
    let debug = extract("debug");
    assert!(!debug.contains("html5ever"), "{debug}");
    let named = extract("html5ever=debug");
    assert!(named.contains("foster parenting"), "{named}");
}

/// `check` reports every problem in one run, each at its `file:line:col`.
#[test]
fn check_reports_every_problem_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.toml");
    let text = "[daemon]\nschedul = \"* * * * *\"\nschedule = \"61 * * * *\"\n\n\
        [fetch]\ntimeout = \"30 fortnights\"\n\n\
        [[source]]\nname = \"a\"\nurl = \"gopher://example.org/\"\n\n\
        [[source]]\nname = \"b\"\nurl = \"https://example.org/b\"\n\n\
        [[source]]\nname = \"b\"\nurl = \"https://example.org/c\"\ngroups = \"zh\"\n";
    std::fs::write(&path, text).unwrap();
    let out = run(&["check", "-c", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let p = path.display();
    let expected = [
        format!("{p}:2:1: unknown field `schedul`"),
        format!(
            "{p}:3:12: bad cron expression \"61 * * * *\": minute field: 61 is out of range 0–59"
        ),
        format!("{p}:6:11: unknown duration unit \"fortnights\""),
        format!("{p}:10:7: unsupported URL scheme \"gopher\""),
        format!("{p}:17:8: duplicate source name \"b\" (first used on line 13)"),
        format!("{p}:19:10: invalid type: string \"zh\", expected a sequence"),
    ];
    let message = stderr(&out);
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{message}");
    for (line, expected) in lines.iter().zip(&expected) {
        assert!(
            line.starts_with(expected.as_str()),
            "{line}\nexpected {expected}"
        );
    }
}

/// A source file that does not exist is a warning, not an error: it may be
/// written later (by another program, or before the first fetch).
#[test]
fn check_warns_about_source_files_that_do_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("here.xml"), "<rss/>").unwrap();
    let path = dir.path().join("feedfold.toml");
    std::fs::write(
        &path,
        "[[source]]\nname = \"rel\"\nurl = \"feeds/absent.xml\"\n\n\
         [[source]]\nname = \"abs\"\nurl = \"file:///nonexistent-feedfold/a.xml\"\n\n\
         [[source]]\nname = \"ok\"\nurl = \"here.xml\"\n",
    )
    .unwrap();
    let out = run(&["check", "-c", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let message = stderr(&out);
    let p = path.display();
    assert!(
        message.contains(&format!("{p}:3:7: warning: source \"rel\": "))
            && message.contains("feeds/absent.xml does not exist"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "{p}:7:7: warning: source \"abs\": /nonexistent-feedfold/a.xml"
        )),
        "{message}"
    );
    assert_eq!(message.lines().count(), 2, "{message}");
}

/// Asks for a PostgreSQL database like the storage tests do; run by
/// [`a_postgres_skip_is_visible_under_plain_cargo_test`] without the variable.
#[tokio::test]
#[ignore = "run by a_postgres_skip_is_visible_under_plain_cargo_test"]
async fn asks_for_postgres() {
    if let Some(db) = common::TestDb::postgres().await {
        db.cleanup().await;
    }
}

/// README promises a visible `SKIPPED` when `FEEDFOLD_TEST_POSTGRES` is not
/// set: this test binary is run again as `cargo test` runs it (output
/// captured), and the message must still come out.
#[test]
fn a_postgres_skip_is_visible_under_plain_cargo_test() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "asks_for_postgres",
            "--ignored",
            "--test-threads=1",
        ])
        .env_remove("FEEDFOLD_TEST_POSTGRES")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("SKIPPED: the PostgreSQL halves of the operator tests"),
        "{message}"
    );
}

/// A page source whose selectors match nothing says so, naming them,
/// instead of passing for a quiet news day.
#[test]
fn a_list_page_with_no_entries_is_a_warning_naming_the_selector() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("list.html"),
        "<html><body><div class=\"redesigned\"><a href=\"https://example.org/1\">One</a></div></body></html>",
    )
    .unwrap();
    let config = dir.path().join("feedfold.toml");
    std::fs::write(
        &config,
        "[daemon]\ndatabase = \"sqlite://ff.db\"\n\n[[source]]\nname = \"list\"\nurl = \"list.html\"\n\
         kind = \"page\"\nrobots = false\nscrape = false\n[source.page]\nitem = \"ul.news li\"\n",
    )
    .unwrap();
    let out = run(&["fetch", "-c", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let message = stderr(&out);
    let warning = message
        .lines()
        .find(|l| l.contains("WARN") && l.contains("no entries"))
        .unwrap_or_else(|| panic!("no warning in:\n{message}"));
    assert!(
        warning.contains("source=list") && warning.contains("\"ul.news li\""),
        "{warning}"
    );
}

/// `/sources` is `feedfold status` for a browser: every source, failing
/// ones first with their error, linked from `/`.
#[tokio::test]
async fn the_sources_page_lists_every_source_failing_first() {
    let dir = tempfile::tempdir().unwrap();
    let broken =
        "[[source]]\nname = \"zz-broken\"\nurl = \"demo/missing.xml\"\ngroups = [\"新闻\"]\n";
    let daemon = common::daemon::Daemon::start(&common::demo_copy(dir.path(), broken));
    daemon.feed_when(|f| f.entries.len() >= 10).await;
    let base = daemon.feed_url.trim_end_matches("feed.atom").to_owned();
    let index = reqwest::get(&base).await.unwrap().text().await.unwrap();
    assert!(index.contains("<a href=\"sources\">Sources</a>"), "{index}");
    let mut page = String::new();
    for _ in 0..100 {
        let response = reqwest::get(format!("{base}sources")).await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        page = response.text().await.unwrap();
        if page.contains("No such file") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let rows: Vec<&str> = page.split("<tr").skip(2).collect();
    assert_eq!(rows.len(), 5, "{page}");
    assert!(
        rows[0].contains("zz-broken")
            && rows[0].contains("新闻")
            && rows[0].contains("No such file"),
        "the failing source comes first, with its groups and error: {page}"
    );
    for name in [
        "city-daily",
        "coastal-times",
        "harbour-wire",
        "xinhua-style",
    ] {
        assert!(page.contains(name), "{name}: {page}");
    }
    assert!(page.contains("1 failing"), "{page}");
    // The daemon says at start what `check` warns about.
    let log = daemon.log();
    assert!(
        log.contains("warning: source \"zz-broken\": ")
            && log.contains("missing.xml does not exist"),
        "{log}"
    );
    daemon.stop();
}

/// An RSS document with one item published at `at`.
fn one_item_rss(guid: &str, title: &str, link: &str, description: &str, at: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>c</title>\
         <link>https://example.org/</link><description>d</description><item><guid>{guid}</guid>\
         <title>{title}</title><link>{link}</link><description><![CDATA[{description}]]></description>\
         <pubDate>{at}</pubDate></item></channel></rss>"
    )
}

/// The web page shows what a reader needs to choose a story: a summary, its
/// image, how many sources ran it and under which titles, times in
/// `output.timezone`, and each item's language.
#[tokio::test]
async fn the_web_page_shows_summary_image_sources_local_time_and_language() {
    let dir = tempfile::tempdir().unwrap();
    let published =
        chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() / 60 * 60 - 3600, 0)
            .unwrap();
    let at = published.to_rfc2822();
    let storm = "<p><img src=\"https://img.example.org/storm.jpg\" width=\"640\"></p><p>".to_owned()
        + &"Gale-force winds closed the harbour and cut power to thousands of homes along the coast on Tuesday. "
            .repeat(4)
        + "</p>";
    let snow =
        "北方多地迎来今冬首场大范围降雪，气象部门发布寒潮预警，提醒公众注意防寒保暖和交通安全。"
            .repeat(3);
    let feeds = [
        (
            "wire",
            one_item_rss(
                "w1",
                "Storm hits coast",
                "https://wire.example.org/storm",
                &storm,
                &at,
            ),
        ),
        (
            "paper",
            one_item_rss(
                "p1",
                "Coast battered by storm",
                "https://paper.example.org/storm",
                &storm,
                &at,
            ),
        ),
        (
            "xinhua",
            one_item_rss(
                "x1",
                "北方多地迎来今冬首场大范围降雪",
                "https://xinhua.example.org/snow",
                &snow,
                &at,
            ),
        ),
    ];
    let mut config = "[daemon]\nlisten = \"127.0.0.1:0\"\ndatabase = \"sqlite://ff.db\"\n\n\
        [output]\ntimezone = \"Asia/Shanghai\"\n\n[fetch]\nscrape = false\n"
        .to_owned();
    for (name, body) in &feeds {
        std::fs::write(dir.path().join(format!("{name}.xml")), body).unwrap();
        config.push_str(&format!(
            "\n[[source]]\nname = \"{name}\"\nurl = \"{name}.xml\"\n"
        ));
    }
    let path = dir.path().join("feedfold.toml");
    std::fs::write(&path, config).unwrap();
    let daemon = common::daemon::Daemon::start(&path);
    // Two stories once both storm copies are in and folded (two entries
    // alone may be the snow story and the first storm copy).
    daemon
        .feed_when(|f| {
            f.entries.len() == 2
                && f.entries.iter().any(|e| {
                    e.content
                        .as_ref()
                        .and_then(|c| c.body.as_deref())
                        .is_some_and(|b| b.contains("Also reported by"))
                })
        })
        .await;
    let base = daemon.feed_url.trim_end_matches("feed.atom").to_owned();
    let page = reqwest::get(&base).await.unwrap().text().await.unwrap();
    daemon.stop();

    let items: Vec<&str> = page.split("<li").skip(1).collect();
    let storm_item = items.iter().find(|i| i.contains("storm")).unwrap();
    let snow_item = items.iter().find(|i| i.contains("降雪")).unwrap();
    assert!(snow_item.starts_with(" lang=\"zh\">"), "{snow_item}");
    assert!(
        storm_item.starts_with('>'),
        "no language guessed for English: {storm_item}"
    );
    assert!(
        storm_item.contains("<img class=\"thumb\" src=\"https://img.example.org/storm.jpg\"")
            && storm_item.contains("loading=\"lazy\""),
        "{storm_item}"
    );
    assert!(storm_item.contains(" · 2 sources"), "{storm_item}");
    assert!(
        storm_item.contains("<p class=\"sum\">Gale-force winds closed the harbour"),
        "{storm_item}"
    );
    let summary = storm_item.split("<p class=\"sum\">").nth(1).unwrap();
    let summary = &summary[..summary.find("</p>").unwrap()];
    assert!(
        summary.chars().count() <= 201 && summary.ends_with('…'),
        "{summary}"
    );
    assert!(
        storm_item.contains("<span class=\"t\">Storm hits coast</span>")
            || storm_item.contains("<span class=\"t\">Coast battered by storm</span>"),
        "the other copy's title is shown: {storm_item}"
    );
    let shanghai = published
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M CST")
        .to_string();
    assert!(storm_item.contains(&shanghai), "{shanghai} in {storm_item}");
    assert!(!snow_item.contains(" · 2 sources") && !snow_item.contains("Also reported"));
}

/// On a terminal logs are coloured, unless `NO_COLOR` says otherwise. The
/// terminal is a pseudo-terminal from script(1).
#[test]
fn logs_on_a_terminal_are_coloured_unless_no_color() {
    use std::io::Write;
    if Command::new("script").arg("--version").output().is_err() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: logs_on_a_terminal_are_coloured_unless_no_color needs script(1) from util-linux"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("foster.html");
    std::fs::write(&page, "<table>stray<tr><td>a</td></tr></table><p>text</p>").unwrap();
    let on_terminal = |no_color: Option<&str>| {
        let line = format!(
            "{} extract {}",
            env!("CARGO_BIN_EXE_feedfold"),
            page.display()
        );
        let mut script = Command::new("script");
        // html5ever's parse-error warning: a log line that is always there.
        script
            .env("FEEDFOLD_LOG", "html5ever=warn")
            .env_remove("NO_COLOR")
            .env_remove("JOURNAL_STREAM")
            .args(["-qec", &line, "/dev/null"]);
        if let Some(value) = no_color {
            script.env("NO_COLOR", value);
        }
        let out = script.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(text.contains("foster parenting"), "{text}");
        text
    };
    assert!(on_terminal(None).contains("\u{1b}["));
    assert!(!on_terminal(Some("1")).contains("\u{1b}["));
}

/// An RSS feed cut off by a size cap inside its third item, with a bare `&`
/// in the first: feed-rs rejects it as it comes.
fn truncated_feed() -> String {
    let item = |n: u32| {
        format!(
            "<item><title>第{n}条 News &amp; more</title><link>https://example.org/{n}</link>\
             <guid>https://example.org/{n}</guid><description>Story {n}.</description></item>"
        )
    };
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Cut</title>\
         <item><title>Rock & roll</title><link>https://example.org/0</link></item>{}{}\
         <item><title>Third, never fin",
        item(1),
        item(2)
    )
}

/// Issue 19 item 7a: `feedfold parse` on a truncated feed keeps what it can
/// and says, on stderr and in `--format json`, what it repaired and what
/// the cut lost; a feed read as it came says nothing.
#[test]
fn parse_says_what_it_repaired_and_what_a_truncated_feed_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.xml");
    std::fs::write(&path, truncated_feed()).unwrap();
    let file = path.to_str().unwrap();
    let out = run(&["parse", "--url", "https://example.org/feed", file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let entries = String::from_utf8_lossy(&out.stdout);
    assert_eq!(entries.lines().count(), 3, "{entries}");
    let said = stderr(&out);
    assert_eq!(said.lines().count(), 1, "{said}");
    for part in [
        &format!("{file}: repaired: "),
        "escaped bare ampersands",
        "closed a truncated document",
        "feed-rs rejected it as it came: ",
        "; lost ",
        "bytes after the last complete item (1 unfinished item)",
    ] {
        assert!(said.contains(part), "{part:?} not in {said}");
    }

    let out = run(&[
        "parse",
        "--format",
        "json",
        "--url",
        "https://example.org/feed",
        file,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["entries"].as_array().unwrap().len(), 3);
    assert_eq!(report["entries"][0]["title"], "Rock & roll");
    let repairs: Vec<&str> = report["repairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        repairs,
        ["escaped bare ampersands", "closed a truncated document"]
    );
    assert!(report["rejected"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(report["lost"]["items"], 1);
    assert_eq!(
        report["lost"]["bytes"],
        "<item><title>Third, never fin".len()
    );

    // Whole, the same feed is read as it comes: no word, nothing repaired.
    let whole = truncated_feed().replace("Rock & roll", "Rock &amp; roll")
        + "ished</title></item></channel></rss>";
    std::fs::write(&path, whole).unwrap();
    let out = run(&["parse", "--format", "json", file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["entries"].as_array().unwrap().len(), 4);
    assert_eq!(report["repairs"], serde_json::json!([]));
    assert!(report["rejected"].is_null() && report["lost"].is_null());

    // What cannot be read at all is an error naming the file.
    std::fs::write(&path, "<html><body>Sign in</body></html>").unwrap();
    let out = run(&["parse", file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("{file}: not a feed: looks like HTML")),
        "{}",
        stderr(&out)
    );
}

/// The daemon's pass logs the same repair as a warning naming the source,
/// and stores the entries the cut left whole, on both backends.
#[tokio::test]
async fn a_fetch_pass_logs_what_a_truncated_feed_needed_and_keeps_its_items() {
    for db in common::TestDb::all().await {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cut.xml"), truncated_feed()).unwrap();
        let config = dir.path().join("feedfold.toml");
        std::fs::write(
            &config,
            format!(
                "[daemon]\ndatabase = \"{}\"\n\n[[source]]\nname = \"cut-feed\"\nurl = \"cut.xml\"\n\
                 scrape = false\n",
                db.url
            ),
        )
        .unwrap();
        let config = config.to_str().unwrap().to_owned();
        let out = tokio::task::spawn_blocking(move || run(&["fetch", "-c", &config]))
            .await
            .unwrap();
        assert!(out.status.success(), "{}: {}", db.label, stderr(&out));
        let message = stderr(&out);
        let warning = message
            .lines()
            .find(|l| l.contains("WARN") && l.contains("feed repaired"))
            .unwrap_or_else(|| panic!("{}: no warning in:\n{message}", db.label));
        for part in [
            "source=cut-feed",
            "entries=3",
            "closed a truncated document",
            "(1 unfinished item)",
        ] {
            assert!(
                warning.contains(part),
                "{}: {part:?} not in {warning}",
                db.label
            );
        }
        let store = feedfold::store::Store::open(&db.url).await.unwrap();
        let states = store.source_states().await.unwrap();
        store.close().await;
        assert_eq!(states[0].entries, 3, "{}", db.label);
        db.cleanup().await;
    }
}
