use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("feedfold.toml"), Path::new("/etc/feedfold"))
}

fn error_of(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn defaults_are_valid() {
    let config = parse("").unwrap();
    assert_eq!(config.daemon.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.daemon.schedule.as_str(), "*/30 * * * *");
    assert_eq!(config.daemon.concurrency.get(), 32);
    assert_eq!(config.fetch.max_body.0, 15 << 20);
    assert_eq!(config.output.items.get(), 100);
    assert_eq!(config.output.window.0.as_secs(), 7 * 86_400);
    assert_eq!(config.database_url(), "sqlite:///etc/feedfold/feedfold.db");
}

#[test]
fn a_full_source_parses() {
    let config = parse(
        r#"
[daemon]
schedule = "0 * * * *"
[[source]]
name = "a"
url = "https://example.org/a.xml"
groups = ["world"]
priority = 5
[[source]]
name = "b"
url = "demo/b.xml"
schedule = "*/5 * * * *"
enabled = false
"#,
    )
    .unwrap();
    let [a, b] = &config.sources[..] else {
        panic!("two sources")
    };
    assert_eq!(a.kind, SourceKind::Feed);
    assert_eq!(a.schedule(&config.daemon).as_str(), "0 * * * *");
    assert_eq!(b.schedule(&config.daemon).as_str(), "*/5 * * * *");
    assert_eq!(
        config.source_url(b).unwrap().as_str(),
        "file:///etc/feedfold/demo/b.xml"
    );
    assert_eq!(config.enabled_sources().count(), 1);
}

#[test]
fn unknown_keys_name_line_and_column() {
    let e = error_of("[daemon]\nlisten = \"127.0.0.1:1\"\nschedul = \"* * * * *\"\n");
    assert!(e.starts_with("feedfold.toml:3:1: "), "{e}");
    assert!(e.contains("schedul"), "{e}");
}

#[test]
fn wrong_types_name_line_and_column() {
    let e = error_of("[output]\nitems = \"many\"\n");
    assert!(e.starts_with("feedfold.toml:2:9: "), "{e}");
    let e = error_of("[daemon]\nconcurrency = 0\n");
    assert!(e.starts_with("feedfold.toml:2:15: "), "{e}");
}

#[test]
fn bad_cron_and_bad_urls_are_located() {
    let e = error_of(
        "[[source]]\nname = \"a\"\nurl = \"https://example.org/\"\nschedule = \"61 * * * *\"\n",
    );
    assert!(
        e.starts_with("feedfold.toml:4:12: bad cron expression"),
        "{e}"
    );
    let e = error_of("[[source]]\nname = \"a\"\nurl = \"gopher://example.org/\"\n");
    assert!(
        e.starts_with("feedfold.toml:3:7: unsupported URL scheme"),
        "{e}"
    );
    let e = error_of("[output]\nbase_url = \"not a url\"\n");
    assert!(e.starts_with("feedfold.toml:2:12: "), "{e}");
}

#[test]
fn duplicate_names_point_at_the_second() {
    let text =
        "[[source]]\nname = \"a\"\nurl = \"a.xml\"\n\n[[source]]\nname = \"a\"\nurl = \"b.xml\"\n";
    let e = error_of(text);
    assert_eq!(
        e,
        "feedfold.toml:6:8: duplicate source name \"a\" (first used on line 2)"
    );
}

#[test]
fn page_sources_need_selectors() {
    let e = error_of("[[source]]\nname = \"p\"\nurl = \"https://example.org/\"\nkind = \"page\"\n");
    assert!(e.contains("no [source.page] selectors"), "{e}");
    let ok = "[[source]]\nname = \"p\"\nurl = \"https://example.org/\"\nkind = \"page\"\n[source.page]\nitem = \"li\"\n";
    assert_eq!(
        parse(ok).unwrap().sources[0].page.as_ref().unwrap().link,
        "a@href"
    );
}

#[test]
fn bad_page_selectors_fail_the_check() {
    let text = "[[source]]\nname = \"p\"\nurl = \"https://example.org/\"\nkind = \"page\"\n[source.page]\nitem = \"ul[[\"\n";
    let e = error_of(text);
    assert!(
        e.starts_with("feedfold.toml:2:8: source \"p\": bad CSS selector \"ul[[\""),
        "{e}"
    );
}

#[test]
fn base_urls_get_a_trailing_slash() {
    let config = parse("[output]\nbase_url = \"http://example.org/feedfold\"\n").unwrap();
    assert_eq!(
        config.output.base_url.as_str(),
        "http://example.org/feedfold/"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let e = error_of("# 中文注释\n[output]\ntitle = \"新闻\"\nitems = -1\n");
    assert!(e.starts_with("feedfold.toml:4:9: "), "{e}");
}

#[test]
fn unreadable_file_is_a_clear_error() {
    let e = Config::load(Path::new("/nonexistent/feedfold.toml")).unwrap_err();
    assert!(
        e.to_string().starts_with("/nonexistent/feedfold.toml: "),
        "{e}"
    );
}

#[test]
fn database_urls_resolve_relative_sqlite_paths_only() {
    let base = Path::new("/srv/ff");
    assert_eq!(
        resolve_database_url("sqlite://x.db", base),
        "sqlite:///srv/ff/x.db"
    );
    assert_eq!(
        resolve_database_url("sqlite://x.db?mode=rwc", base),
        "sqlite:///srv/ff/x.db?mode=rwc"
    );
    assert_eq!(
        resolve_database_url("sqlite:///var/x.db", base),
        "sqlite:///var/x.db"
    );
    assert_eq!(
        resolve_database_url("postgres://u@h/db", base),
        "postgres://u@h/db"
    );
}
