//! The `feedfold` command line: argument parsing and exit codes only; the
//! work happens in the library.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use feedfold::config::Config;
use feedfold::daemon::{self, Pipeline};
use feedfold::publish::{FeedMeta, Format, load_items, render};
use feedfold::store::Store;

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
    /// Parse one feed document and print its entries as JSON lines.
    Parse {
        /// Base URL for relative links and stable ids.
        #[arg(long, default_value = "file:///dev/stdin")]
        url: String,
        /// The feed file, or - for standard input.
        #[arg(default_value = "-")]
        file: PathBuf,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
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
        Err(Failure::Runtime(e)) => {
            eprintln!("feedfold: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FEEDFOLD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn dispatch(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Run(c) => run(&load_config(c)?).await,
        Command::Fetch { config, source } => fetch(load_config(config)?, source.as_deref()).await,
        Command::Check(c) => check(c),
        Command::Feed {
            config,
            format,
            group,
        } => feed(&*load_config(config)?, format, group).await,
        Command::Parse { url, file } => parse(&url, &file),
        Command::Status { config, json } => status(&*load_config(config)?, json).await,
    }
}

fn config_path(arg: ConfigArg) -> PathBuf {
    arg.config.unwrap_or_else(|| {
        let local = PathBuf::from("feedfold.toml");
        if local.exists() {
            local
        } else {
            PathBuf::from("/etc/feedfold/feedfold.toml")
        }
    })
}

fn load_config(arg: ConfigArg) -> Result<Arc<Config>, Failure> {
    let path = config_path(arg);
    Config::load(&path)
        .map(Arc::new)
        .map_err(|e| Failure::User(e.into()))
}

fn check(arg: ConfigArg) -> Result<ExitCode, Failure> {
    let path = config_path(arg);
    let config = Config::load(&path).map_err(|e| Failure::User(e.into()))?;
    let enabled = config.enabled_sources().count();
    println!(
        "{}: ok ({} sources, {enabled} enabled)",
        path.display(),
        config.sources.len()
    );
    Ok(ExitCode::SUCCESS)
}

async fn run(config: &Arc<Config>) -> Result<ExitCode, Failure> {
    let listener = feedfold::serve::bind(config.daemon.listen)
        .await
        .map_err(|e| Failure::User(e.into()))?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}/");
    eprintln!(
        "feedfold: serving the merged feed at {base}feed.atom (also {base}feed.rss, {base}feed.json)"
    );
    daemon::run(config.clone(), listener, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
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
    let outcomes = daemon::fetch_pass(&pipeline, only).await?;
    pipeline.store().close().await;
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    let new: usize = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .map(|r| r.new)
        .sum();
    eprintln!(
        "feedfold: {} sources fetched, {failed} failed, {new} new entries",
        outcomes.len()
    );
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

async fn feed(config: &Config, format: Format, group: Option<String>) -> Result<ExitCode, Failure> {
    let store = Store::open(&config.database_url()).await?;
    let items = load_items(&store, config, group.as_deref(), Utc::now()).await?;
    store.close().await;
    let meta = FeedMeta {
        title: config.output.title.clone(),
        base_url: config.output.base_url.clone(),
        group,
    };
    let doc = render(format, &meta, &items)?;
    std::io::stdout().write_all(doc.body.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn parse(url: &str, file: &Path) -> Result<ExitCode, Failure> {
    let mut bytes = Vec::new();
    if file == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        bytes = std::fs::read(file)
            .with_context(|| file.display().to_string())
            .map_err(Failure::User)?;
    }
    let entries =
        feedfold::source::feed::parse(&bytes, url).map_err(|e| Failure::User(e.into()))?;
    let mut out = std::io::stdout().lock();
    for entry in entries {
        serde_json::to_writer(&mut out, &entry)?;
        out.write_all(b"\n")?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn status(config: &Config, json: bool) -> Result<ExitCode, Failure> {
    let store = Store::open(&config.database_url()).await?;
    let states = store.source_states().await?;
    store.close().await;
    let now = Utc::now();
    let mut out = std::io::stdout().lock();
    if !json {
        writeln!(
            out,
            "{:<24} {:<20} {:<20} {:>6} {:>7}  LAST ERROR",
            "SOURCE", "LAST FETCH", "NEXT DUE", "STATUS", "ENTRIES"
        )?;
    }
    for state in states.iter().filter(|s| s.enabled) {
        let next = config
            .enabled_sources()
            .find(|s| s.name == state.name)
            .map(|s| {
                let last = state
                    .last_fetch_at
                    .and_then(|t| DateTime::from_timestamp(t, 0));
                feedfold::schedule::first_run(s.schedule(&config.daemon), &s.name, last, now)
            });
        if json {
            let line = serde_json::json!({
                "source": state.name, "url": state.url,
                "last_fetch": state.last_fetch_at, "last_success": state.last_success_at,
                "next_due": next.map(|t| t.timestamp()), "status": state.last_status,
                "errors": state.error_count, "last_error": state.last_error, "entries": state.entries,
            });
            writeln!(out, "{line}")?;
        } else {
            let when = |t: Option<i64>| {
                t.and_then(|t| DateTime::from_timestamp(t, 0))
                    .map_or("never".into(), short_time)
            };
            writeln!(
                out,
                "{:<24} {:<20} {:<20} {:>6} {:>7}  {}",
                state.name,
                when(state.last_fetch_at),
                next.map_or("-".into(), short_time),
                state.last_status.map_or("-".into(), |s| s.to_string()),
                state.entries,
                state
                    .last_error
                    .as_deref()
                    .map_or(String::new(), |e| format!("{e} (x{})", state.error_count)),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn short_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}
