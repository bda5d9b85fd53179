//! `feedfold run` as a child process, for tests that start, signal, stop or
//! kill the real daemon.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `feedfold run` as a child process, and the feed address it printed.
pub struct Daemon {
    pub child: std::process::Child,
    pub feed_url: String,
    /// Its log lines (warnings and errors) so far.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Daemon {
    pub fn start(config: &Path) -> Daemon {
        Daemon::start_with(config, "warn", &[])
    }

    /// Started with `FEEDFOLD_LOG=level` and these extra environment variables.
    pub fn start_with(config: &Path, level: &str, env: &[(&str, &str)]) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_feedfold"))
            .args(["run", "-c", config.to_str().unwrap()])
            .env("FEEDFOLD_LOG", level)
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        // Log lines may come before the banner; they are kept.
        let mut early = Vec::new();
        let feed_url = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("no banner: {early:?}"))
                .unwrap();
            if let Some(url) = line.split_whitespace().find(|w| w.ends_with("/feed.atom")) {
                break url.to_owned();
            }
            early.push(line);
        };
        // Keep reading so the daemon never blocks on a full stderr pipe.
        let log = std::sync::Arc::new(std::sync::Mutex::new(early));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        Daemon {
            child,
            feed_url,
            log,
        }
    }

    /// The served feed once `ready` accepts it (20 s at most).
    pub async fn feed_when(
        &self,
        ready: impl Fn(&feed_rs::model::Feed) -> bool,
    ) -> feed_rs::model::Feed {
        let started = Instant::now();
        loop {
            let body = match reqwest::get(&self.feed_url).await {
                Ok(response) => response.bytes().await.unwrap_or_default(),
                Err(_) => Default::default(),
            };
            if let Ok(feed) = feed_rs::parser::parse(&body[..])
                && ready(&feed)
            {
                return feed;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{} never became ready",
                self.feed_url
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What it has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits until it has logged `count` lines containing `needle` (20 s at
    /// most), and returns the log.
    pub async fn wait_for_log(&self, needle: &str, count: usize) -> String {
        let started = Instant::now();
        loop {
            let log = self.log();
            if log.lines().filter(|l| l.contains(needle)).count() >= count {
                return log;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "never logged {needle:?} {count} times:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn signal(&self, name: &str) {
        Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
    }

    /// SIGTERM, then the exit status (15 s at most).
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "daemon did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    /// A daemon left running by a failed assertion would hold the test's
    /// pipes open: it gets SIGKILL (a no-op once it has exited).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
