//! What a new operator meets first: the binary on a pipe, under systemd's
//! journal, with a broken config or a typo on the command line.

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
