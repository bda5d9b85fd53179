//! What the benchmarks share: a word list and a deterministic generator
//! for feed text, reading settings from the environment, a loopback server
//! and a stopwatch of thread CPU time.
#![allow(dead_code)] // each bench uses its own part

use std::time::{Duration, Instant};

/// The vocabulary generated stories are written in.
pub const WORDS: &[&str] = &[
    "council",
    "harbour",
    "budget",
    "storm",
    "election",
    "railway",
    "hospital",
    "school",
    "drought",
    "festival",
    "bridge",
    "market",
    "court",
    "airport",
    "factory",
    "museum",
    "river",
    "union",
    "police",
    "mayor",
    "energy",
    "housing",
    "ferry",
    "library",
    "stadium",
    "forest",
    "tariff",
    "vaccine",
    "satellite",
    "orchestra",
    "wildfire",
    "pension",
];

/// A small deterministic generator, so every run serves the same text.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn word(&mut self) -> &'static str {
        WORDS[(self.next() % WORDS.len() as u64) as usize]
    }
}

/// A setting from the environment, or its default.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Serves `app` on a free 127.0.0.1 port from a one-thread runtime of its
/// own, which serves for as long as the returned runtime lives.
pub fn serve_loopback(app: axum::Router) -> (tokio::runtime::Runtime, std::net::SocketAddr) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    runtime.spawn(async move { axum::serve(listener, app).await });
    (runtime, addr)
}

/// A stopwatch of the CPU time this thread has run (from
/// `/proc/thread-self/schedstat`, in nanoseconds), so that other processes
/// on a busy machine do not count; wall time where that file is missing.
pub struct Clock {
    cpu: Option<u64>,
    wall: Instant,
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            cpu: thread_cpu_ns(),
            wall: Instant::now(),
        }
    }

    pub fn elapsed(&self) -> Duration {
        match (self.cpu, thread_cpu_ns()) {
            (Some(from), Some(now)) => Duration::from_nanos(now.saturating_sub(from)),
            _ => self.wall.elapsed(),
        }
    }
}

fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
