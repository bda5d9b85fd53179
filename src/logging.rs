//! Log lines on stderr, for a terminal, a pipe or systemd's journal.
//!
//! `FEEDFOLD_LOG` chooses what is logged. A bare level (`debug`) is about
//! feedfold: other crates stay at `warn` unless named (`html5ever=debug`),
//! because their debug output (html5ever logs every token) buries ours.

use std::io::IsTerminal;

use tracing::metadata::LevelFilter;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The environment variable that chooses what is logged.
pub const ENV: &str = "FEEDFOLD_LOG";

/// What is logged without `FEEDFOLD_LOG`.
const DEFAULT: &str = "info";

/// Crates quieter than `warn` by default: html5ever reports each parse-error
/// recovery ("foster parenting not implemented") at warn, one line per
/// malformed page and hundreds a pass, yet the page is parsed all the same.
const QUIETER: &[(&str, &str)] = &[("html5ever", "error")];

/// Installs the global subscriber writing to stderr: plain lines, coloured
/// only on a terminal without `NO_COLOR`, and with syslog priority prefixes
/// (`<4>` for a warning) when stderr is systemd's journal, so that
/// `journalctl -p warning` can select by level.
pub fn init() {
    let user = std::env::var(ENV).ok();
    let filter = EnvFilter::try_new(directives(user.as_deref()))
        .unwrap_or_else(|_| EnvFilter::new(directives(None)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if stderr_is_journal() {
        // The journal stamps each line itself and shows no colours.
        let format = Journal(
            tracing_subscriber::fmt::format()
                .without_time()
                .with_ansi(false),
        );
        builder.with_ansi(false).event_format(format).init();
    } else {
        builder.with_ansi(wants_colour()).init();
    }
}

/// The filter directives for a `FEEDFOLD_LOG` value (`None`: unset).
///
/// Bare levels apply to feedfold, and to other crates only as far down as
/// `warn`; directives naming a target are kept as written and win over the
/// defaults for that target.
pub fn directives(user: Option<&str>) -> String {
    let user = user.map(str::trim).filter(|u| !u.is_empty());
    let mut ours = Vec::new();
    let mut others = LevelFilter::WARN;
    let mut bare = false;
    for directive in user.unwrap_or(DEFAULT).split(',').map(str::trim) {
        match directive.parse::<LevelFilter>() {
            Ok(level) => {
                bare = true;
                others = others.min(level);
                ours.push(format!("feedfold={}", lowercase(level)));
            }
            Err(_) if !directive.is_empty() => ours.push(directive.to_owned()),
            Err(_) => {}
        }
    }
    // `FEEDFOLD_LOG=sqlx=debug` is about sqlx; feedfold keeps its own lines.
    if !bare && !ours.iter().any(|d| d.starts_with("feedfold")) {
        ours.insert(0, format!("feedfold={DEFAULT}"));
    }
    let mut all = vec![lowercase(others)];
    for (target, level) in QUIETER {
        if !ours.iter().any(|d| d.starts_with(target)) {
            all.push(format!("{target}={level}"));
        }
    }
    all.extend(ours);
    all.join(",")
}

fn lowercase(level: LevelFilter) -> String {
    level.to_string().to_ascii_lowercase()
}

/// `NO_COLOR` (any non-empty value, <https://no-color.org>) or a stderr that
/// is not a terminal (a pipe, a file, the journal) means plain text.
fn wants_colour() -> bool {
    let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_colour && std::io::stderr().is_terminal()
}

/// Whether stderr is the stream systemd set up for the journal: it exports
/// `JOURNAL_STREAM=DEVICE:INODE` of that stream, and a child whose stderr was
/// redirected elsewhere inherits the variable but not the stream.
fn stderr_is_journal() -> bool {
    let Some(value) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    stream_identity()
        .is_some_and(|(device, inode)| value.to_string_lossy() == format!("{device}:{inode}"))
}

#[cfg(unix)]
fn stream_identity() -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let fd = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
    let metadata = std::fs::File::from(fd).metadata().ok()?;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn stream_identity() -> Option<(u64, u64)> {
    None
}

/// The syslog priority journald reads from a `<N>` line prefix (sd-daemon(3)).
pub fn priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// An event format that puts the journal's priority prefix before each
/// line of another format.
struct Journal<F>(F);

impl<S, N, F> FormatEvent<S, N> for Journal<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let prefix = format!("<{}>", priority(*event.metadata().level()));
        // Formatted whole first: a message with line breaks would otherwise
        // put its later lines in the journal at the default priority.
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        let body = line.trim_end_matches('\n');
        writer.write_str(&prefix)?;
        writer.write_str(&body.replace('\n', &format!("\n{prefix}")))?;
        writer.write_str("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_levels_are_about_feedfold_and_other_crates_stay_at_warn() {
        assert_eq!(directives(None), "warn,html5ever=error,feedfold=info");
        assert_eq!(
            directives(Some("debug")),
            "warn,html5ever=error,feedfold=debug"
        );
        assert_eq!(
            directives(Some("error")),
            "error,html5ever=error,feedfold=error"
        );
        assert_eq!(directives(Some("  ")), directives(None));
    }

    #[test]
    fn named_targets_are_kept_and_override_the_quieter_defaults() {
        assert_eq!(
            directives(Some("debug,sqlx=info")),
            "warn,html5ever=error,feedfold=debug,sqlx=info"
        );
        assert_eq!(
            directives(Some("html5ever=debug")),
            "warn,feedfold=info,html5ever=debug"
        );
        assert!(EnvFilter::try_new(directives(Some("trace,html5ever=warn"))).is_ok());
    }

    #[test]
    fn priorities_follow_syslog() {
        assert_eq!(priority(Level::ERROR), 3);
        assert_eq!(priority(Level::WARN), 4);
        assert_eq!(priority(Level::INFO), 6);
        assert_eq!(priority(Level::DEBUG), 7);
    }
}
