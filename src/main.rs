//! The `feedfold` command line: argument parsing and exit codes only; the
//! work happens in the library.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use feedfold::config::{Config, Fraction};
use feedfold::daemon::{self, Pipeline};
use feedfold::dedup::{FeatureOptions, Fingerprinter, MatchOptions};
use feedfold::publish::{FeedMeta, Format, load_items, render, story_id};
use feedfold::store::Store;
use unicode_width::UnicodeWidthStr;

/// A news aggregator that folds duplicate stories into one merged feed.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct ConfigArg {
    /// Config file [default: ./feedfold.toml, then /etc/feedfold/feedfold.toml]
    #[arg(short, long, value_name = "FILE", env = "FEEDFOLD_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: migrate, schedule, fetch, publish, serve.
    Run(ConfigArg),
    /// Fetch due sources (or one named source) once, then exit.
    Fetch {
        #[command(flatten)]
        config: ConfigArg,
        /// Fetch only this source, due or not.
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
    },
    /// Validate the config; print `file:line:col: message` and exit 1 on errors.
    Check(ConfigArg),
    /// Print the merged feed.
    Feed {
        #[command(flatten)]
        config: ConfigArg,
        /// Output format.
        #[arg(long, value_enum, default_value = "atom")]
        format: Format,
        /// Only stories carried by sources in this group.
        #[arg(long, value_name = "G")]
        group: Option<String>,
    },
    /// Parse one feed document and print its entries as JSON lines; what had
    /// to be repaired to read it (and what a truncated document lost) is said
    /// on stderr.
    Parse {
        /// Base URL for relative links and stable ids.
        #[arg(long, default_value = "file:///dev/stdin")]
        url: String,
        /// jsonl: one entry per line. json: one object with "entries",
        /// "repairs", "rejected" (feed-rs's complaint before repair) and "lost".
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ParseFormat,
        /// The feed file, or - for standard input.
        #[arg(default_value = "-")]
        file: PathBuf,
    },
    /// Print the 64-bit simhash of a text (or of a page's article) as 16 hex digits.
    Fingerprint {
        /// The input is an HTML page: fingerprint its extracted article (title and text).
        #[arg(long)]
        html: bool,
        /// The page's URL (with --html).
        #[arg(long)]
        url: Option<String>,
        /// The text file, or - for standard input.
        #[arg(default_value = "-")]
        file: PathBuf,
    },
    /// Cluster JSON-lines items ({"id","title","text"} or {"id","title","html","url"},
    /// optional "published", "source", "summary"); print {"id","cluster"} lines in input order.
    Dedup {
        /// Largest Hamming distance (bits of 64) at which an item is a candidate;
        /// candidates are then verified on their shingle sketches.
        #[arg(long, default_value_t = feedfold::dedup::DEFAULT_DISTANCE, value_parser = clap::value_parser!(u32).range(0..=i64::from(feedfold::config::MAX_DISTANCE)))]
        distance: u32,
        /// Only items this many seconds apart are compared.
        #[arg(long, default_value_t = 7 * 86_400)]
        window_secs: i64,
        /// Shingle resemblance (0..1) at which a candidate is the same story.
        #[arg(long, default_value_t = Fraction::permille(feedfold::dedup::DEFAULT_RESEMBLANCE))]
        resemblance: Fraction,
        /// Share (0..1) of the shorter text's shingles inside the longer at
        /// which a candidate is the same story (teasers, truncated copies).
        #[arg(long, default_value_t = Fraction::permille(feedfold::dedup::DEFAULT_CONTAINMENT))]
        containment: Fraction,
        /// Characters per n-gram in Chinese/Japanese/Korean text (for evaluations; the daemon uses the default).
        #[arg(long, default_value_t = FeatureOptions::default().cjk_ngram)]
        cjk_ngram: usize,
        /// Words per shingle in other text (for evaluations; the daemon uses the default).
        #[arg(long, default_value_t = FeatureOptions::default().word_shingle)]
        word_shingle: usize,
        /// Add "why" to each line: the rule, the item matched with its distance
        /// and shingle figures, or the candidate that came nearest (with
        /// --events also "event_why": the link that put the story in its event).
        #[arg(long)]
        explain: bool,
        /// Also group stories into events (related coverage): each line gets
        /// "event", shared by all items of a cluster.
        #[arg(long)]
        events: bool,
        /// Score (0..) two stories need to share an event.
        #[arg(long, default_value_t = feedfold::events::DEFAULT_THRESHOLD, requires = "events")]
        event_threshold: f32,
        /// Stories further apart than this many seconds never share an event.
        #[arg(long, default_value_t = feedfold::events::DEFAULT_WINDOW_SECS, requires = "events")]
        event_window_secs: i64,
        /// The JSON-lines file, or - for standard input.
        #[arg(default_value = "-")]
        file: PathBuf,
    },
    /// Extract the main article of an HTML page.
    Extract {
        /// The page's URL, for relative links.
        #[arg(long)]
        url: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: ExtractFormat,
        /// Read `id<TAB>path<TAB>url` lines from FILE and write one JSON line
        /// `{"id","text","title","strategy","reason","ms","err"}` per page.
        #[arg(long, conflicts_with_all = ["url", "format"])]
        batch: bool,
        /// With --batch: leave out of each article the paragraphs its site's
        /// other pages in the list carry too (site = the URL's host), as the
        /// daemon's published bodies leave out a site's template (see
        /// `output.cut_site_templates`). Pages are all read before any is
        /// written.
        #[arg(long, requires = "batch")]
        site_templates: bool,
        /// With --batch: also write every candidate's features and cleaned
        /// text (`candidates`), for studying how the article is chosen.
        #[arg(long, requires = "batch")]
        candidates: bool,
        /// Use only this strategy (readability, density, anchored, body), to
        /// compare them.
        #[arg(long, value_name = "NAME", value_parser = parse_strategy)]
        only: Option<feedfold::extract::Strategy>,
        /// The feed's title for the page, as the daemon passes it.
        #[arg(long, conflicts_with = "batch")]
        title: Option<String>,
        /// The feed's summary of the page (plain text), as the daemon passes it.
        #[arg(long, conflicts_with = "batch")]
        summary: Option<String>,
        /// The HTML file (with --batch: the list), or - for standard input.
        #[arg(default_value = "-")]
        file: PathBuf,
    },
    /// Show why a stored item is in its story (ITEM: entry id, article URL,
    /// SOURCE:GUID, or a story's key / tag URI for all its members).
    Explain {
        #[command(flatten)]
        config: ConfigArg,
        /// The item.
        item: String,
    },
    /// Take a stored item out of its story, for good; with --event, take
    /// its story out of its event (related coverage), for good.
    Split {
        #[command(flatten)]
        config: ConfigArg,
        /// Split the item's story from its event instead: it is no longer
        /// listed as related coverage of the event's other stories, nor they
        /// of it. ITEM may then also be a story's key or tag URI.
        #[arg(long)]
        event: bool,
        /// The item (entry id, article URL or SOURCE:GUID).
        item: String,
    },
    /// Delete what `daemon.keep` no longer covers now (the daemon also does
    /// this by itself), printing the rows removed per table.
    Prune {
        #[command(flatten)]
        config: ConfigArg,
        /// Count what would be removed; delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// Instead: remove everything source NAME brought, at once (stories
        /// other sources also carried keep their copies).
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
    },
    /// Write a consistent copy of the SQLite database to PATH, while daemons run.
    Backup {
        #[command(flatten)]
        config: ConfigArg,
        /// Replace PATH if it exists.
        #[arg(long)]
        force: bool,
        /// The copy to write (a SQLite file; start feedfold on it to restore).
        path: PathBuf,
    },
    /// Sources in and out as OPML 2.0 (groups are folders).
    Opml {
        #[command(subcommand)]
        command: OpmlCommand,
    },
    /// Find a site's feed and add it to the config file as a [[source]].
    ///
    /// URL may be the feed itself or any page of the site: the feeds its
    /// <link rel="alternate"> tags announce are offered, else the first of
    /// /feed, /rss, /atom.xml, /feed.xml, /index.xml, /rss.xml and
    /// /feeds/posts/default that is a feed. Every candidate is fetched
    /// (SSRF guard, robots.txt for the page, [fetch] limits) and read as a
    /// feed first. One feed is added at once; several are listed, and none
    /// is added unless --yes (the first). Comments and layout of the config
    /// file are kept. A URL already configured is exit 1.
    Add {
        #[command(flatten)]
        config: ConfigArg,
        /// The site's page or feed (https:// is assumed without a scheme).
        url: String,
        /// Source name [default: the site's host, e.g. "example-org", made unique]
        #[arg(long, value_name = "N")]
        name: Option<String>,
        /// Display name [default: the feed's own title once fetched]
        #[arg(long, value_name = "T")]
        title: Option<String>,
        /// Group for per-group feeds (repeat for several)
        #[arg(long = "group", value_name = "G")]
        groups: Vec<String>,
        /// When several feeds are found, add the first instead of listing them.
        #[arg(long)]
        yes: bool,
    },
    /// Per source: last fetch, next due, errors, entries.
    Status {
        #[command(flatten)]
        config: ConfigArg,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum OpmlCommand {
    /// Add the feeds of an OPML file to the config file (comments and layout kept;
    /// feeds whose URL is already configured are skipped).
    Import {
        #[command(flatten)]
        config: ConfigArg,
        /// The OPML file, or - for standard input.
        file: PathBuf,
    },
    /// Print the configured sources as OPML 2.0.
    Export(ConfigArg),
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ParseFormat {
    Jsonl,
    Json,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExtractFormat {
    Text,
    Json,
    Html,
}

/// A failure and whose it is: exit 1 for the user's input, 2 for the runtime.
enum Failure {
    User(anyhow::Error),
    Runtime(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure::Runtime(error.into())
    }
}

/// Caps glibc's malloc arenas at two, unless `MALLOC_ARENA_MAX` says
/// otherwise. glibc gives threads that allocate at once arenas of their own,
/// up to eight per core, and memory freed in one is not reused by another:
/// a cold pass over 5,000 feeds peaked at 134 MiB with the default and 113
/// MiB with two, at the same speed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a malloc parameter; this runs before
        // the runtime starts any thread.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

/// Threads for blocking work (see `main`): twice the default concurrency of
/// passes, as DNS lookups share them with parsing.
const BLOCKING_THREADS: usize = 64;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    feedfold::logging::init();
    // Blocking work here is parsing and fingerprinting (CPU-bound), file
    // reads and DNS lookups: the default of 512 threads grew one per
    // concurrent pass and then some; the cap keeps room for slow lookups.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build();
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("feedfold: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(Failure::User(e)) => {
            eprintln!("{e:#}");
            ExitCode::from(1)
        }
        // A reader that stops early (`feedfold extract page.html | head`)
        // is not a failure of the command.
        Err(Failure::Runtime(e)) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(Failure::Runtime(e)) => {
            eprintln!("feedfold: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Help and version go to stdout with 0; a bad command line, bare
/// `feedfold` among them, is the user's error: exit 1 with the usage (clap's
/// own 2 is the code for runtime failures here).
fn usage_error(error: &clap::Error) -> ExitCode {
    // Nothing useful is left to do if the terminal is gone.
    let _ = error.print();
    if error.use_stderr() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Standard output for commands' results. A reader that has gone away
/// (`feedfold extract page.html | head`) got what it wanted, so the process
/// ends quietly with 0 at that write: deciding it here covers writers deep
/// in the library whose errors wrap the `io::Error` in their own types.
struct Stdout(std::io::StdoutLock<'static>);

impl Stdout {
    fn lock() -> Stdout {
        Stdout(std::io::stdout().lock())
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        exit_on_broken_pipe(self.0.write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        exit_on_broken_pipe(self.0.flush())
    }
}

fn exit_on_broken_pipe<T>(result: std::io::Result<T>) -> std::io::Result<T> {
    if let Err(e) = &result
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
    result
}

/// Writes to stdout, flushed; a closed pipe ends the process quietly.
fn out(text: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    let mut stdout = Stdout::lock();
    stdout.write_fmt(text)?;
    stdout.flush()
}

/// Whether an error comes from writing to a pipe whose reader has gone.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

async fn dispatch(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Run(c) => {
            let path = config_path(c)?;
            let config = Config::load(&path)
                .map(Arc::new)
                .map_err(|e| Failure::User(e.into()))?;
            run(&config, path).await
        }
        Command::Fetch { config, source } => fetch(load_config(config)?, source.as_deref()).await,
        Command::Check(c) => check(c),
        Command::Feed {
            config,
            format,
            group,
        } => feed(&*load_config(config)?, format, group).await,
        Command::Parse { url, format, file } => parse(&url, format, &file),
        Command::Status { config, json } => status(&*load_config(config)?, json).await,
        Command::Fingerprint { html, url, file } => fingerprint(&file, html, url.as_deref()),
        Command::Dedup {
            distance,
            window_secs,
            resemblance,
            containment,
            cjk_ngram,
            word_shingle,
            explain,
            events,
            event_threshold,
            event_window_secs,
            file,
        } => {
            let events = events.then_some(feedfold::events::EventOptions {
                enabled: true,
                threshold: event_threshold,
                window_secs: event_window_secs,
            });
            let options = MatchOptions {
                distance,
                window_secs,
                resemblance: resemblance.0,
                containment: containment.0,
            };
            dedup(
                &file,
                options,
                FeatureOptions {
                    cjk_ngram,
                    word_shingle,
                },
                explain,
                events,
            )
        }
        Command::Extract {
            batch: true,
            file,
            only,
            site_templates,
            candidates,
            ..
        } => extract_batch(
            &file,
            feedfold::extract::batch::Options { only, candidates },
            site_templates,
        ),
        Command::Extract {
            url,
            format,
            file,
            only,
            title,
            summary,
            ..
        } => {
            let hints = feedfold::extract::Hints {
                url: url.as_deref(),
                feed_title: title.as_deref(),
                summary: summary.as_deref(),
                only,
                report: matches!(format, ExtractFormat::Json),
                ..Default::default()
            };
            extract(&file, &hints, format)
        }
        Command::Prune {
            config,
            dry_run,
            source,
        } => prune(&*load_config(config)?, dry_run, source.as_deref()).await,
        Command::Backup {
            config,
            force,
            path,
        } => backup(&*load_config(config)?, &path, force).await,
        Command::Explain { config, item } => explain(&*load_config(config)?, &item).await,
        Command::Split {
            config,
            event: false,
            item,
        } => split(&*load_config(config)?, &item).await,
        Command::Split {
            config,
            event: true,
            item,
        } => split_event(&*load_config(config)?, &item).await,
        Command::Opml {
            command: OpmlCommand::Export(c),
        } => {
            let config = load_config(c)?;
            let titles = stored_feed_titles(&config).await;
            out(format_args!(
                "{}",
                feedfold::config::opml::export_with_titles(&config, &titles)
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Opml {
            command: OpmlCommand::Import { config, file },
        } => opml_import(config, &file),
        Command::Add {
            config,
            url,
            name,
            title,
            groups,
            yes,
        } => {
            let request = AddRequest {
                url,
                name,
                title,
                groups,
                yes,
            };
            add(config, request).await
        }
    }
}

/// The feeds' own titles (by source name) from the database, for display
/// names in OPML. Best effort: an export needs no database, so none (or
/// one that cannot be read, which is logged) gives no titles, and a SQLite
/// file that does not exist is not created.
async fn stored_feed_titles(config: &Config) -> std::collections::HashMap<String, String> {
    let url = config.database_url();
    if let Some(file) = url.strip_prefix("sqlite://")
        && !Path::new(file.split('?').next().unwrap_or(file)).exists()
    {
        return Default::default();
    }
    let states = match Store::open(&url).await {
        Ok(store) => {
            let states = store.source_states().await;
            store.close().await;
            states
        }
        Err(e) => Err(e),
    };
    match states {
        Ok(states) => states
            .into_iter()
            .filter_map(|s| Some((s.name, s.feed_title?)))
            .collect(),
        Err(e) => {
            tracing::warn!("feeds' own titles not read, sources are named by config only: {e}");
            Default::default()
        }
    }
}

/// Where the config is looked for when neither `-c` nor `FEEDFOLD_CONFIG` names one.
const DEFAULT_CONFIGS: [&str; 2] = ["feedfold.toml", "/etc/feedfold/feedfold.toml"];

/// The config file named on the command line, else the first default that
/// exists; with none, a user error naming every path tried.
fn config_path(arg: ConfigArg) -> Result<PathBuf, Failure> {
    if let Some(path) = arg.config {
        return Ok(path);
    }
    DEFAULT_CONFIGS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or_else(|| {
            Failure::User(anyhow::anyhow!(
                "no config file: tried ./{} and {}; name one with -c FILE or FEEDFOLD_CONFIG",
                DEFAULT_CONFIGS[0],
                DEFAULT_CONFIGS[1]
            ))
        })
}

fn load_config(arg: ConfigArg) -> Result<Arc<Config>, Failure> {
    let path = config_path(arg)?;
    Config::load(&path)
        .map(Arc::new)
        .map_err(|e| Failure::User(e.into()))
}

fn check(arg: ConfigArg) -> Result<ExitCode, Failure> {
    let path = config_path(arg)?;
    let config = Config::load(&path).map_err(|e| Failure::User(e.into()))?;
    for warning in config_warnings(&config, &path) {
        eprintln!("{warning}");
    }
    // The daemon runs the other sources without these; a check fails on them.
    let unreadable = credential_problems(&config, &path);
    if !unreadable.is_empty() {
        return Err(Failure::User(anyhow::anyhow!("{}", unreadable.join("\n"))));
    }
    let enabled = config.enabled_sources().count();
    out(format_args!(
        "{}: ok ({} sources, {enabled} enabled)\n",
        path.display(),
        config.sources.len()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `file:line:col: warning: …` for each thing in the config that is allowed
/// but probably wrong.
fn config_warnings(config: &Config, path: &Path) -> Vec<String> {
    // Loaded once already, so a failure to read it again is a race, not news.
    let text = std::fs::read_to_string(path).unwrap_or_default();
    config
        .warnings(&text)
        .iter()
        .map(|w| format!("{}:{w}", path.display()))
        .collect()
}

/// `file:line:col: source "x": password_file …: why` for each enabled
/// source whose password or cookie could not be read.
fn credential_problems(config: &Config, path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    config
        .credential_problems(&text)
        .iter()
        .map(|p| format!("{}:{p}", path.display()))
        .collect()
}

async fn run(config: &Arc<Config>, path: PathBuf) -> Result<ExitCode, Failure> {
    for warning in config_warnings(config, &path) {
        tracing::warn!("{warning}");
    }
    for problem in credential_problems(config, &path) {
        tracing::error!("{problem}; that source fails until a reload reads it");
    }
    let listener = feedfold::serve::bind(config.daemon.listen)
        .await
        .map_err(|e| Failure::User(e.into()))?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}/");
    eprintln!(
        "feedfold: serving the merged feed at {base}feed.atom (also {base}feed.rss, {base}feed.json)"
    );
    let path = std::path::absolute(&path).unwrap_or(path);
    daemon::run_with_reload(
        config.clone(),
        Some(path),
        listener,
        shutdown_signal(),
        reload_signal(),
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// A message per SIGHUP.
fn reload_signal() -> tokio::sync::mpsc::UnboundedReceiver<()> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hangup) => {
                tokio::spawn(async move {
                    while hangup.recv().await.is_some() {
                        tracing::info!("SIGHUP: reloading the config");
                        if tx.send(()).is_err() {
                            break;
                        }
                    }
                });
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGHUP; reload needs a restart")
            }
        }
    }
    rx
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("stop signal received");
}

async fn fetch(config: Arc<Config>, only: Option<&str>) -> Result<ExitCode, Failure> {
    if let Some(name) = only
        && !config.enabled_sources().any(|s| s.name == name)
    {
        return Err(Failure::User(anyhow::anyhow!(
            "no enabled source named {name:?} in the config"
        )));
    }
    let pipeline = Pipeline::new(config).await?;
    // A progress bar on a terminal; plain log lines otherwise.
    let bar = indicatif::ProgressBar::hidden();
    let start = |n: usize| {
        if std::io::stderr().is_terminal() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.set_length(n as u64);
        }
    };
    let finished = |o: &daemon::Scheduled| {
        bar.set_message(o.source().to_owned());
        bar.inc(1);
    };
    let all = daemon::fetch_pass_with_progress(&pipeline, only, start, finished).await?;
    bar.finish_and_clear();
    let elsewhere = all.len();
    let outcomes: Vec<daemon::PassOutcome> =
        all.into_iter().filter_map(daemon::Scheduled::ran).collect();
    let changed = outcomes
        .iter()
        .any(|o| o.result.as_ref().is_ok_and(|r| r.changed()));
    let events = if changed {
        let config = pipeline.config();
        let served = i64::try_from(config.output.window.0.as_secs()).unwrap_or(i64::MAX);
        let now = Utc::now().timestamp();
        Some(daemon::events_pass(pipeline.store(), config.events.options(), served, now).await)
    } else {
        None
    };
    pipeline.store().close().await;
    let elsewhere = elsewhere - outcomes.len();
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    let new: usize = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .map(|r| r.new)
        .sum();
    let skipped = if elsewhere > 0 {
        format!(" ({elsewhere} more were run by another daemon or held back)")
    } else {
        String::new()
    };
    eprintln!(
        "feedfold: {} sources fetched{skipped}, {failed} failed, {new} new entries",
        outcomes.len()
    );
    let events_failed = match events {
        Some(Ok(report)) if report.stories > 0 => {
            let secs = |d: std::time::Duration| d.as_secs_f64();
            eprintln!(
                "feedfold: related coverage: {} of {} recent stories in {} event{} \
                 (events pass {:.2}s: read {:.2}, grouped {:.2}, written {:.2})",
                report.grouped,
                report.stories,
                report.events,
                if report.events == 1 { "" } else { "s" },
                secs(report.read + report.grouping + report.write),
                secs(report.read),
                secs(report.grouping),
                secs(report.write),
            );
            false
        }
        Some(Err(error)) => {
            eprintln!("feedfold: related coverage not updated: {error}");
            true
        }
        _ => false,
    };
    Ok(if failed > 0 || events_failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

async fn feed(config: &Config, format: Format, group: Option<String>) -> Result<ExitCode, Failure> {
    if let Some(group) = &group {
        known_group(config, group)?;
    }
    let store = Store::open(&config.database_url()).await?;
    let items = load_items(&store, config, group.as_deref(), Utc::now()).await?;
    store.close().await;
    let meta = FeedMeta {
        title: config.output.title.clone(),
        base_url: config.output.base_url.clone(),
        group,
        hub: config.output.websub_hub.as_ref().map(|h| h.0.clone()),
    };
    let doc = render(format, &meta, &items)?;
    let mut stdout = Stdout::lock();
    stdout.write_all(doc.body.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A user error unless some source is in `group`: an unknown group would
/// print an empty feed, where the server answers 404.
fn known_group(config: &Config, group: &str) -> Result<(), Failure> {
    let mut groups: Vec<&str> = config
        .sources
        .iter()
        .flat_map(|s| s.groups.iter().map(String::as_str))
        .collect();
    groups.sort_unstable();
    groups.dedup();
    if groups.contains(&group) {
        return Ok(());
    }
    let known = if groups.is_empty() {
        "no source in the config has groups".to_owned()
    } else {
        format!("known groups: {}", groups.join(", "))
    };
    Err(Failure::User(anyhow::anyhow!(
        "no group {group:?} in the config; {known}"
    )))
}

/// The bytes of FILE, or of standard input for `-`.
fn read_input(file: &Path) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    if file == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        bytes = std::fs::read(file)
            .with_context(|| file.display().to_string())
            .map_err(Failure::User)?;
    }
    Ok(bytes)
}

fn parse(url: &str, format: ParseFormat, file: &Path) -> Result<ExitCode, Failure> {
    let bytes = read_input(file)?;
    let name = if file == Path::new("-") {
        "standard input".to_owned()
    } else {
        file.display().to_string()
    };
    let parsed = feedfold::source::feed::parse_reporting(&bytes, None, url)
        .map_err(|e| Failure::User(anyhow::anyhow!("{name}: {e}")))?;
    if let Some(summary) = parsed.summary() {
        eprintln!("{name}: {summary}");
    }
    // serde_json's error hides a closed pipe; `Stdout` sees it first and
    // exits quietly.
    let mut out = std::io::BufWriter::new(Stdout::lock());
    match format {
        ParseFormat::Jsonl => {
            for entry in &parsed.entries {
                serde_json::to_writer(&mut out, entry)?;
                out.write_all(b"\n")?;
            }
        }
        ParseFormat::Json => {
            let report = serde_json::json!({
                "entries": parsed.entries,
                "repairs": parsed.repairs,
                "rejected": parsed.rejected,
                "lost": parsed.lost,
            });
            serde_json::to_writer(&mut out, &report)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn status(config: &Config, json: bool) -> Result<ExitCode, Failure> {
    let store = Store::open(&config.database_url()).await?;
    let states = store.source_states().await?;
    let subscriptions = store.subscriptions().await?;
    store.close().await;
    let now = Utc::now();
    let subscription_of = |id: i64| subscriptions.iter().find(|s| s.source_id == id);
    let mut out = std::io::BufWriter::new(Stdout::lock());
    let rows: Vec<_> = states
        .iter()
        .filter(|s| s.enabled)
        .map(|state| {
            let source = config.enabled_sources().find(|s| s.name == state.name);
            let next = source.and_then(|s| feedfold::serve::next_due(config, s, Some(state), now));
            let title = feedfold::serve::display_name(source, Some(state), &state.name);
            (state, next, title)
        })
        .collect();
    if json {
        for (state, next, title) in rows {
            let line = serde_json::json!({
                "source": state.name, "title": title, "url": state.url,
                "last_fetch": state.last_fetch_at, "last_success": state.last_success_at,
                "next_due": next.map(|t| t.timestamp()), "status": state.last_status,
                "errors": state.error_count, "last_error": state.last_error, "entries": state.entries,
                "retry_at": state.retry_at, "fresh_until": state.fresh_until,
                "gone_since": state.gone_at, "moved_to": state.moved_to,
                "running_on": state.lease.as_ref().map(|(holder, _)| holder),
                "lease_until": state.lease.as_ref().map(|(_, until)| until),
                "websub": subscription_of(state.id).map(|s| s.state.as_str()),
                "websub_hub": subscription_of(state.id).map(|s| &s.hub),
                "websub_lease_until": subscription_of(state.id).and_then(|s| s.lease_until),
                "websub_error": subscription_of(state.id).and_then(|s| s.last_error.as_ref()),
            });
            writeln!(out, "{line}")?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    // "name (Display Name)" when they differ; the column is as wide as the
    // widest, counted in terminal cells (a Chinese character takes two).
    let labels: Vec<String> = rows
        .iter()
        .map(|(state, _, title)| match *title == state.name {
            true => title.clone(),
            false => format!("{} ({title})", state.name),
        })
        .collect();
    let width = labels.iter().map(|l| l.width()).max().unwrap_or(0).max(24);
    let pad = |label: &str| format!("{label}{}", " ".repeat(width - label.width()));
    writeln!(
        out,
        "{} {:<20} {:<20} {:>6} {:>7}  LAST ERROR",
        pad("SOURCE"),
        "LAST FETCH",
        "NEXT DUE",
        "STATUS",
        "ENTRIES"
    )?;
    let when = |t: Option<i64>| {
        t.and_then(|t| DateTime::from_timestamp(t, 0))
            .map_or("never".into(), short_time)
    };
    for ((state, next, _), label) in rows.iter().zip(&labels) {
        writeln!(
            out,
            "{} {:<20} {:<20} {:>6} {:>7}  {}",
            pad(label),
            when(state.last_fetch_at),
            next.map_or("-".into(), short_time),
            state.last_status.map_or("-".into(), |s| s.to_string()),
            state.entries,
            feedfold::serve::problem(state, &short_time),
        )?;
    }
    write_subscriptions(&mut out, &rows, &subscriptions, &pad)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `status`'s WebSub table, when any source has a subscription.
fn write_subscriptions(
    out: &mut impl Write,
    rows: &[(&feedfold::store::SourceState, Option<DateTime<Utc>>, String)],
    subscriptions: &[feedfold::store::Subscription],
    pad: &dyn Fn(&str) -> String,
) -> std::io::Result<()> {
    let listed: Vec<_> = rows
        .iter()
        .filter_map(|(state, ..)| {
            let sub = subscriptions.iter().find(|s| s.source_id == state.id)?;
            Some((state, sub))
        })
        .collect();
    if listed.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{} {:<13} {:<20} HUB  LAST ERROR",
        pad("WEBSUB"),
        "STATE",
        "LEASE UNTIL"
    )?;
    for (state, sub) in listed {
        let lease = sub
            .lease_until
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .map_or("-".into(), short_time);
        writeln!(
            out,
            "{} {:<13} {:<20} {}  {}",
            pad(&state.name),
            sub.state.as_str(),
            lease,
            sub.hub,
            sub.last_error.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}

fn short_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn fingerprint(file: &Path, html: bool, url: Option<&str>) -> Result<ExitCode, Failure> {
    let bytes = read_input(file)?;
    let mut fingerprinter = Fingerprinter::default();
    let simhash = if html {
        let text = feedfold::text::charset::decode(&bytes, None, url);
        let article = feedfold::extract::article(&text, url);
        fingerprinter.story(&article.title, &article.text)
    } else {
        fingerprinter.text(&String::from_utf8_lossy(&bytes))
    };
    out(format_args!("{}\n", simhash.fingerprint))?;
    Ok(ExitCode::SUCCESS)
}

fn dedup(
    file: &Path,
    options: MatchOptions,
    features: FeatureOptions,
    explain: bool,
    events: Option<feedfold::events::EventOptions>,
) -> Result<ExitCode, Failure> {
    // Streamed, not read whole: the line cap bounds what is held at once.
    let input: Box<dyn std::io::BufRead> = if file == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let opened = std::fs::File::open(file)
            .with_context(|| file.display().to_string())
            .map_err(Failure::User)?;
        Box::new(std::io::BufReader::new(opened))
    };
    let out = std::io::BufWriter::new(Stdout::lock());
    let errors = match events {
        Some(events) => {
            feedfold::events::jsonl::run(input, out, options, features, events, explain)?
        }
        None => feedfold::dedup::jsonl::run(input, out, options, features, explain)?,
    };
    for e in &errors {
        eprintln!("{}:{}: {}", file.display(), e.line, e.message);
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The second stage's figures, in words.
fn verification(e: &feedfold::dedup::Evidence) -> String {
    let fraction = |permille: u16| f64::from(permille) / 1000.0;
    let title = match (e.same_site, e.same_title) {
        (true, _) => "; same source, so the stricter bars of one site's pages",
        (false, true) => "; titles equal",
        (false, false) => "",
    };
    format!(
        "resemblance {:.2}; {:.2} of the shorter text's {} sampled shingles contained in the other{title}",
        fraction(e.resemblance),
        fraction(e.containment),
        e.sample
    )
}

fn parse_strategy(name: &str) -> Result<feedfold::extract::Strategy, String> {
    feedfold::extract::Strategy::from_name(name).ok_or_else(|| format!("unknown strategy {name:?}"))
}

fn extract(
    file: &Path,
    hints: &feedfold::extract::Hints<'_>,
    format: ExtractFormat,
) -> Result<ExitCode, Failure> {
    let bytes = read_input(file)?;
    if let Err(not) = feedfold::extract::sniff::check(&bytes) {
        return Err(Failure::User(anyhow::anyhow!("{}: {not}", file.display())));
    }
    let extraction = feedfold::extract::page(&bytes, None, hints);
    let article = &extraction.article;
    match format {
        ExtractFormat::Text => out(format_args!("{}\n", article.text))?,
        ExtractFormat::Html => out(format_args!("{}\n", article.html))?,
        ExtractFormat::Json => {
            // The article's fields, then how it was chosen.
            let mut json = serde_json::to_value(article)?;
            if let Some(fields) = json.as_object_mut() {
                let chosen = serde_json::json!({
                    "strategy": extraction.strategy.name(),
                    "reason": extraction.reason,
                    "opening": extraction.opening,
                    "candidates": extraction.candidates,
                });
                fields.insert("chosen".into(), chosen);
            }
            out(format_args!("{}\n", serde_json::to_string(&json)?))?
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn extract_batch(
    file: &Path,
    options: feedfold::extract::batch::Options,
    site_templates: bool,
) -> Result<ExitCode, Failure> {
    use feedfold::extract::batch;
    let list = read_input(file)?;
    let out = std::io::BufWriter::new(Stdout::lock());
    if site_templates {
        let mut pages = batch::extract_all(&list[..], options)?;
        let cut = feedfold::publish::cut_pages(&mut pages);
        tracing::info!(
            pages = pages.len(),
            paragraphs = cut,
            "site-template paragraphs left out"
        );
        batch::write_all(&pages, out)?;
    } else {
        batch::run(&list[..], out, options)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The one entry ITEM names, or a user error.
async fn one_entry(store: &Store, item: &str) -> Result<i64, Failure> {
    match store.find_entries(item).await?.as_slice() {
        [one] => Ok(*one),
        [] => Err(Failure::User(anyhow::anyhow!(
            "no stored item matches {item:?}"
        ))),
        many => Err(Failure::User(anyhow::anyhow!(
            "{item:?} matches {} items (entry ids {:?}); name one by its entry id",
            many.len(),
            many
        ))),
    }
}

async fn explain(config: &Config, item: &str) -> Result<ExitCode, Failure> {
    let store = Store::open(&config.database_url()).await?;
    let entries = store.find_entries(item).await?;
    if entries.is_empty() {
        return Err(Failure::User(anyhow::anyhow!(
            "no stored item matches {item:?}"
        )));
    }
    let mut out = std::io::BufWriter::new(Stdout::lock());
    let mut stories: Vec<String> = Vec::new();
    for id in entries {
        let e = store.explain(id).await?;
        if !stories.contains(&e.story) {
            stories.push(e.story.clone());
        }
        let fp = e
            .fingerprint
            .map_or("none (too little text)".to_owned(), |f| format!("{f:016x}"));
        writeln!(out, "entry {} [{}] {:?}", e.entry, e.source, e.title)?;
        writeln!(out, "  story {}  fingerprint {fp}", story_id(&e.story))?;
        for line in filter_lines(config, &store.entry_copy(id).await?) {
            writeln!(out, "  {line}")?;
        }
        if let Some(url) = &e.url
            && let Some(article) = store.articles(&[url.as_str()]).await?.remove(url)
        {
            let when =
                DateTime::from_timestamp(article.fetched_at, 0).map_or("?".into(), short_time);
            let what = match &article.outcome {
                Ok(s) => format!(
                    "article scraped: {} chars by {} ({})",
                    s.text.chars().count(),
                    s.strategy,
                    s.reason
                ),
                Err(error) => format!("article not scraped ({error}); the feed's text is used"),
            };
            writeln!(out, "  {when}  {what}")?;
        }
        for d in &e.decisions {
            let when = DateTime::from_timestamp(d.at, 0).map_or("?".into(), short_time);
            let why = match (&d.matched, d.distance) {
                (Some(m), Some(dist)) => format!(
                    "near-duplicate of entry {} [{}] {:?}: candidate at {dist} bits; {}",
                    m.entry,
                    m.source,
                    m.title,
                    d.evidence.map_or_else(
                        || "matched on the fingerprint alone (no sketch to verify)".to_owned(),
                        |e| verification(&e)
                    )
                ),
                (Some(m), None) if d.rule == "merge" => format!(
                    "its story was merged into this one: entry {} [{}] {:?} matched both",
                    m.entry, m.source, m.title
                ),
                (Some(m), None) => format!(
                    "same canonical URL as entry {} [{}] {:?}",
                    m.entry, m.source, m.title
                ),
                (None, _) if d.rule == "split" => "split out by the user".to_owned(),
                (None, _) => "no match: started the story".to_owned(),
            };
            let template = match d.template_lines {
                Some(n) if n > 0 => {
                    format!(" ({n} site-template lines left out of its text before fingerprinting)")
                }
                _ => String::new(),
            };
            writeln!(out, "  {when}  {:<9} {why}{template}", d.rule)?;
        }
    }
    for key in &stories {
        for line in event_lines(config, &store, key).await? {
            writeln!(out, "{line}")?;
        }
    }
    store.close().await;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Why the story with key `key` shares an event with other stories (related
/// coverage), or why it does not.
async fn event_lines(config: &Config, store: &Store, key: &str) -> Result<Vec<String>, Failure> {
    use feedfold::store::EventState;
    let head = format!("story {}", story_id(key));
    if !config.events.enabled {
        return Ok(vec![format!(
            "{head}: events are off (events.enabled = false)"
        )]);
    }
    let view = match store.story_event(key).await? {
        EventState::Split => return Ok(vec![format!("{head}: split out of events by the user")]),
        EventState::Alone => {
            return Ok(vec![format!(
                "{head}: in no event (no other story of the last events pass reports the same event)"
            )]);
        }
        EventState::In(view) => view,
    };
    let mut names = std::collections::HashMap::new();
    for k in [key, view.linked.0.as_str()] {
        if let Some((title, body)) = store.story_text(k).await? {
            // Read as the events pass reads it, so the terms are the same.
            let text = format!("{title}\n{}", feedfold::text::markup::text(&body));
            names.extend(feedfold::events::terms::named_terms(&text));
        }
    }
    let r = &view.row;
    let terms: Vec<String> = r
        .terms
        .iter()
        .map(|(t, w)| match names.get(t) {
            Some(name) => format!("{name} {w:.3}"),
            None => format!("#{t:016x} {w:.3}"),
        })
        .collect();
    let when = DateTime::from_timestamp(view.decided_at, 0).map_or("?".into(), short_time);
    let mut lines = vec![
        format!(
            "{head}: event {} with {} (decided {when})",
            story_id(&view.event_key),
            other_stories(view.members.len().saturating_sub(1))
        ),
        format!(
            "  linked to story {} {:?}: score {:.3} (term cosine {:.3}, title cosine {:.3}{}), {:.1} h apart; threshold {:.2}",
            view.linked.0,
            view.linked.1,
            r.score,
            r.cosine,
            r.title,
            if r.same_source {
                format!(
                    ", same source: -{}",
                    feedfold::events::score::SAME_SOURCE_MARGIN
                )
            } else {
                String::new()
            },
            r.gap_secs as f64 / 3600.0,
            f64::from(config.events.threshold.0) / 1000.0
        ),
        format!("  shared terms: {}", terms.join(", ")),
    ];
    for (k, title, source) in &view.members {
        let mark = if k == key { "*" } else { " " };
        lines.push(format!("  {mark} {k} [{source}] {title:?}"));
    }
    Ok(lines)
}

/// What the `keep`/`drop` rules say about a stored copy: the rule that
/// keeps it out of the merged feed or out of its groups' feeds; nothing
/// when no rule applies to it at all.
fn filter_lines(config: &Config, copy: &feedfold::store::StoryCopy) -> Vec<String> {
    use feedfold::publish::held_by;
    let groups = config
        .source(&copy.source)
        .map(|s| s.groups.as_slice())
        .unwrap_or_default();
    let merged = held_by(config, None, copy);
    let mut lines: Vec<String> = merged
        .iter()
        .map(|held| format!("filters: not in any feed: {held}"))
        .collect();
    for group in groups.iter().filter(|_| merged.is_none()) {
        if let Some(held) = held_by(config, Some(group), copy) {
            lines.push(format!("filters: not in group {group:?}'s feed: {held}"));
        }
    }
    let ruled = config
        .source(&copy.source)
        .is_some_and(|s| !s.filter.is_empty())
        || !config.output.filter.is_empty()
        || groups
            .iter()
            .any(|g| config.groups.get(g).is_some_and(|t| !t.filter.is_empty()));
    if lines.is_empty() && ruled {
        lines.push("filters: shown (no keep/drop rule holds it back)".into());
    }
    lines
}

async fn split(config: &Config, item: &str) -> Result<ExitCode, Failure> {
    let store = Store::open(&config.database_url()).await?;
    let entry = one_entry(&store, item).await?;
    let key = store.split(entry, Utc::now().timestamp()).await?;
    store.close().await;
    out(format_args!(
        "entry {entry} is now story {}\n",
        story_id(&key)
    ))?;
    Ok(ExitCode::SUCCESS)
}

async fn split_event(config: &Config, item: &str) -> Result<ExitCode, Failure> {
    let store = Store::open(&config.database_url()).await?;
    let key = one_story(&store, item).await?;
    let before = store.story_event(&key).await?;
    store.split_event(&key).await?;
    store.close().await;
    let was = match before {
        feedfold::store::EventState::In(view) => format!(
            "was in an event with {}",
            other_stories(view.members.len().saturating_sub(1))
        ),
        feedfold::store::EventState::Split => "was already split out".to_owned(),
        feedfold::store::EventState::Alone => "was in no event".to_owned(),
    };
    out(format_args!(
        "story {} ({was}) is now out of related coverage for good\n",
        story_id(&key)
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// "1 other story", "3 other stories".
fn other_stories(n: usize) -> String {
    match n {
        1 => "1 other story".to_owned(),
        n => format!("{n} other stories"),
    }
}

/// The one story `item` names (an entry's, or a story key or tag URI).
async fn one_story(store: &Store, item: &str) -> Result<String, Failure> {
    let mut keys = Vec::new();
    for entry in store.find_entries(item).await? {
        let story = store.explain(entry).await?.story;
        if !keys.contains(&story) {
            keys.push(story);
        }
    }
    match keys.len() {
        1 => Ok(keys.remove(0)),
        0 => Err(Failure::User(anyhow::anyhow!(
            "no stored item matches {item:?}"
        ))),
        _ => Err(Failure::User(anyhow::anyhow!(
            "{item:?} matches items of {} stories ({}); name one by its story key",
            keys.len(),
            keys.join(", ")
        ))),
    }
}

async fn prune(config: &Config, dry_run: bool, source: Option<&str>) -> Result<ExitCode, Failure> {
    use feedfold::store::{PRUNE_BATCH, StoreError, retention_at};
    let store = Store::open(&config.database_url()).await?;
    let secs = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let retention = retention_at(
        Utc::now().timestamp(),
        secs(config.daemon.keep.0),
        secs(config.output.window.0),
    );
    let configured = |name: &str| config.sources.iter().any(|s| s.name == name);
    let report = match (source, dry_run) {
        (Some(name), true) => store.prune_source_preview(name, configured(name)).await,
        (Some(name), false) => {
            store
                .prune_source(name, PRUNE_BATCH * 4, configured(name))
                .await
        }
        (None, true) => store.prune_preview(retention, PRUNE_BATCH).await,
        (None, false) => store.prune(retention, PRUNE_BATCH).await,
    };
    let report = match report {
        Err(StoreError::UnknownSource(name)) => {
            return Err(Failure::User(anyhow::anyhow!(
                "no source {name:?} in the database {}",
                config.database_url()
            )));
        }
        other => other?,
    };
    let freed = if dry_run {
        0
    } else {
        store.reclaim_space().await?
    };
    store.close().await;
    let what = match source {
        Some(name) => format!("everything source {name:?} brought"),
        None => format!(
            "stories first seen over {} ago and out of the {} window",
            config.daemon.keep, config.output.window
        ),
    };
    let verb = if dry_run { "would remove" } else { "removed" };
    let mut text = format!("{verb} {what}:\n");
    let tables = report.tables();
    let width = tables
        .iter()
        .map(|(table, _)| table.len())
        .max()
        .unwrap_or(0);
    for (table, rows) in tables {
        text.push_str(&format!("  {table:<width$} {rows:>9}\n"));
    }
    if freed > 0 {
        text.push_str(&format!(
            "  sqlite: {freed} free pages returned to the file system\n"
        ));
    }
    if source.is_some_and(|name| !dry_run && configured(name)) {
        text.push_str(
            "  (the source is still in the config: it is fetched again at its next run)\n",
        );
    }
    out(format_args!("{text}"))?;
    Ok(ExitCode::SUCCESS)
}

async fn backup(config: &Config, path: &Path, force: bool) -> Result<ExitCode, Failure> {
    use feedfold::store::BackupError;
    let url = config.database_url();
    if !url.starts_with("sqlite:") {
        return Err(Failure::User(anyhow::anyhow!(
            "feedfold backup copies SQLite databases; this config uses PostgreSQL. Back it up with\n  \
             pg_dump --format=custom --file {} '{url}'\nand restore with\n  \
             pg_restore --clean --if-exists --dbname '{url}' {}",
            path.display(),
            path.display()
        )));
    }
    let store = Store::open(&url).await?;
    let result = store.backup(path, force).await;
    store.close().await;
    match result {
        Ok(bytes) => {
            out(format_args!(
                "{}: {bytes} bytes, a consistent copy of {url}\n",
                path.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (BackupError::Exists(_) | BackupError::NoFolder(_) | BackupError::BadPath(_))) => {
            Err(Failure::User(e.into()))
        }
        Err(e) => Err(Failure::Runtime(e.into())),
    }
}

fn opml_import(arg: ConfigArg, file: &Path) -> Result<ExitCode, Failure> {
    use feedfold::config::edit::{Added, add_sources};
    let path = config_path(arg)?;
    let user = |e: anyhow::Error| Failure::User(e);
    // The file must be valid before and after: never write a broken config.
    Config::load(&path).map_err(|e| user(e.into()))?;
    let text = std::fs::read_to_string(&path)
        .with_context(|| path.display().to_string())
        .map_err(user)?;
    let opml = String::from_utf8_lossy(&read_input(file)?).into_owned();
    let imported = feedfold::config::opml::import(&opml).map_err(|e| user(e.into()))?;
    for skipped in &imported.skipped {
        eprintln!(
            "skipped {:?} ({}): {}",
            skipped.title, skipped.url, skipped.reason
        );
    }
    let (new_text, report) =
        add_sources(&text, &imported.subscriptions).map_err(|e| user(e.into()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    Config::parse(&new_text, &path, base).map_err(|e| {
        user(anyhow::anyhow!(
            "the imported sources would make the config invalid: {e}"
        ))
    })?;
    replace_file(&path, &new_text)?;
    let mut added = 0;
    for entry in &report {
        match entry {
            Added::New(name) => {
                added += 1;
                eprintln!("added {name}");
            }
            Added::AlreadyThere(name) => eprintln!("skipped: already configured as {name}"),
        }
    }
    eprintln!("feedfold: {added} sources added to {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` beside `path` and renames it into place, so a crash never
/// leaves half a config.
fn replace_file(path: &Path, text: &str) -> Result<(), Failure> {
    let temp = path.with_extension("toml.tmp");
    std::fs::write(&temp, text).with_context(|| temp.display().to_string())?;
    std::fs::rename(&temp, path).with_context(|| path.display().to_string())?;
    Ok(())
}

/// `feedfold add`'s arguments.
struct AddRequest {
    url: String,
    name: Option<String>,
    title: Option<String>,
    groups: Vec<String>,
    yes: bool,
}

async fn add(arg: ConfigArg, request: AddRequest) -> Result<ExitCode, Failure> {
    use feedfold::daemon::discover::{DiscoverError, discover};
    use feedfold::fetch::{FetchError, FetchOptions, Fetcher, Limits, Profile};
    let user = |e: anyhow::Error| Failure::User(e);
    let path = config_path(arg)?;
    // The file must be valid before and after: never write a broken config.
    let config = Config::load(&path).map_err(|e| user(e.into()))?;
    let url = site_url(&request.url).map_err(user)?;
    if let Some(name) = &request.name
        && config.source(name).is_some()
    {
        return Err(user(anyhow::anyhow!(
            "a source named {name:?} is already in {}; choose another --name",
            path.display()
        )));
    }
    already_configured(&config, &url, &path).map_err(user)?;
    let fetcher = Fetcher::new(&FetchOptions::from_config(&config))?;
    let profile = Profile::plain(Limits::from_config(&config));
    let found = match discover(&fetcher, &profile, &url).await {
        Ok(found) => found,
        Err(e @ DiscoverError::NoFeeds { .. }) => return Err(user(e.into())),
        Err(DiscoverError::Fetch { url, error }) => {
            // The user's URL is at fault for these; the network for the rest.
            let theirs = matches!(
                error,
                FetchError::Refused(_)
                    | FetchError::Disallowed(_)
                    | FetchError::Scheme(_)
                    | FetchError::Status {
                        status: 400..=499,
                        ..
                    }
            );
            let e = anyhow::anyhow!("cannot read {url}: {error}");
            return Err(if theirs { user(e) } else { Failure::Runtime(e) });
        }
    };
    let count = found.len();
    let noun = if count == 1 { "feed" } else { "feeds" };
    out(format_args!("{count} {noun} found for {url}:\n"))?;
    for (i, feed) in found.iter().enumerate() {
        let info = &feed.info;
        let items = if info.items == 1 { "item" } else { "items" };
        out(format_args!(
            "  {}. {} ({}, {} {items})\n     {}\n",
            i + 1,
            info.title.as_deref().unwrap_or("(untitled)"),
            info.kind,
            info.items,
            feed.url
        ))?;
    }
    if count > 1 && !request.yes {
        return Err(user(anyhow::anyhow!(
            "several feeds found; add the one you want with `feedfold add -c {} URL-of-the-feed`, or the first with --yes",
            path.display()
        )));
    }
    let Some(chosen) = found.into_iter().next() else {
        return Err(user(anyhow::anyhow!("no feed found at {url}")));
    };
    already_configured(&config, &chosen.url, &path).map_err(user)?;
    let name = add_to_config(&path, &chosen.url, &url, &request)?;
    eprintln!(
        "feedfold: added source {name:?} ({}) to {}",
        chosen.url,
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The URL `feedfold add` was given; `example.org` means `https://example.org`.
fn site_url(text: &str) -> anyhow::Result<url::Url> {
    let text = text.trim();
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("https://{text}")
    };
    let url = url::Url::parse(&with_scheme).with_context(|| format!("bad URL {text:?}"))?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https") && url.host_str().is_some(),
        "{text:?} is not an http(s) URL"
    );
    Ok(url)
}

/// An error when a source already fetches `url`.
fn already_configured(config: &Config, url: &url::Url, path: &Path) -> anyhow::Result<()> {
    match config
        .sources
        .iter()
        .find(|s| config.source_url(s).is_ok_and(|u| u == *url))
    {
        Some(source) => Err(anyhow::anyhow!(
            "{url} is already in {} as source {:?}",
            path.display(),
            source.name
        )),
        None => Ok(()),
    }
}

/// Appends the `[[source]]` table (through `opml import`'s editor) and
/// returns its name.
fn add_to_config(
    path: &Path,
    feed: &url::Url,
    site: &url::Url,
    request: &AddRequest,
) -> Result<String, Failure> {
    use feedfold::config::edit::{Added, add_sources, slug};
    use feedfold::config::opml::Subscription;
    let user = |e: anyhow::Error| Failure::User(e);
    let text = std::fs::read_to_string(path)
        .with_context(|| path.display().to_string())
        .map_err(user)?;
    let host = site.host_str().unwrap_or_default();
    let name = request
        .name
        .clone()
        .unwrap_or_else(|| slug(host.strip_prefix("www.").unwrap_or(host)));
    // The editor writes `title` only when it differs from the name.
    let subscription = Subscription {
        title: request.title.clone().unwrap_or_else(|| name.clone()),
        url: feed.to_string(),
        groups: request.groups.clone(),
        extra: vec![("name".to_owned(), name)],
    };
    let (new_text, report) = add_sources(&text, &[subscription]).map_err(|e| user(e.into()))?;
    let name = match report.first() {
        Some(Added::New(name)) => name.clone(),
        Some(Added::AlreadyThere(name)) => {
            return Err(user(anyhow::anyhow!(
                "{feed} is already in {} as source {name:?}",
                path.display()
            )));
        }
        None => return Err(user(anyhow::anyhow!("nothing to add"))),
    };
    let base = path.parent().unwrap_or(Path::new("."));
    Config::parse(&new_text, path, base).map_err(|e| {
        user(anyhow::anyhow!(
            "the new source would make the config invalid: {e}"
        ))
    })?;
    replace_file(path, &new_text)?;
    Ok(name)
}
