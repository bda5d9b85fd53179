//! Politeness: how hard feedfold may hit one site. Requests are limited per
//! registrable domain (eTLD+1 from the public suffix list, so the fifty feeds
//! of one newspaper on `www.`, `rss.` and `feeds.` share one budget), spaced
//! by a minimum delay, held back while the site has asked us to wait
//! (`Retry-After`), and capped globally.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::{Host, Url};

use super::lock;

/// The longest hold [`Politeness::block`] can always represent.
const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Politeness settings.
#[derive(Debug, Clone, Copy)]
pub struct PolitenessOptions {
    /// Requests in flight at once, all domains together.
    pub global: usize,
    /// Requests in flight at once to one domain.
    pub per_domain: usize,
    /// Least time between two request starts to one domain.
    pub delay: Duration,
}

/// Shared request budget. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Politeness {
    options: PolitenessOptions,
    global: Arc<Semaphore>,
    domains: Arc<Mutex<HashMap<String, Arc<DomainGate>>>>,
}

/// One domain's budget.
#[derive(Debug)]
struct DomainGate {
    slots: Arc<Semaphore>,
    timing: Mutex<Timing>,
}

#[derive(Debug)]
struct Timing {
    /// Earliest start of the next request.
    next_start: Instant,
    /// The site asked us not to come back before this.
    blocked_until: Option<Instant>,
    /// A robots.txt `Crawl-delay` longer than the configured delay.
    crawl_delay: Option<Duration>,
}

/// Holding this is permission to have one request in flight.
#[derive(Debug)]
pub struct Permit {
    _domain: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

/// Why no request may be made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deferred {
    /// How long until the site accepts requests again.
    pub wait: Duration,
}

impl Politeness {
    /// A budget with these limits.
    pub fn new(options: PolitenessOptions) -> Politeness {
        Politeness {
            options,
            global: Arc::new(Semaphore::new(options.global.max(1))),
            domains: Arc::default(),
        }
    }

    /// Waits for this URL's domain and a global slot. A site that asked us
    /// to wait longer than `patience` is not waited for: the caller records
    /// the deferral and retries later instead of holding a task for hours.
    pub async fn acquire(&self, url: &Url, patience: Duration) -> Result<Permit, Deferred> {
        let gate = self.gate(url);
        // Slots are never closed, so acquiring cannot fail.
        let domain = gate.slots.clone().acquire_owned().await;
        let wait = gate.reserve_start(self.options.delay, patience)?;
        tokio::time::sleep(wait).await;
        let global = self.global.clone().acquire_owned().await;
        match (domain, global) {
            (Ok(domain), Ok(global)) => Ok(Permit {
                _domain: domain,
                _global: global,
            }),
            _ => Err(Deferred {
                wait: Duration::ZERO,
            }),
        }
    }

    /// Holds this URL's domain back for `wait` (a `Retry-After`). A wait
    /// past what an `Instant` can hold is taken as a century.
    pub fn block(&self, url: &Url, wait: Duration) {
        let gate = self.gate(url);
        let mut timing = lock(&gate.timing);
        let now = Instant::now();
        // `Instant + Duration` panics on overflow, and callers pass what a
        // server asked for (capped by the config, which may be huge too).
        let until = now
            .checked_add(wait)
            .or_else(|| now.checked_add(CENTURY))
            .unwrap_or(now);
        timing.blocked_until = Some(timing.blocked_until.map_or(until, |b| b.max(until)));
    }

    /// Spaces this URL's domain by at least `delay` (robots.txt `Crawl-delay`).
    pub fn set_crawl_delay(&self, url: &Url, delay: Duration) {
        let gate = self.gate(url);
        lock(&gate.timing).crawl_delay = (delay > self.options.delay).then_some(delay);
    }

    fn gate(&self, url: &Url) -> Arc<DomainGate> {
        let key = domain_key(url);
        let mut domains = lock(&self.domains);
        domains
            .entry(key)
            .or_insert_with(|| {
                Arc::new(DomainGate {
                    slots: Arc::new(Semaphore::new(self.options.per_domain.max(1))),
                    timing: Mutex::new(Timing {
                        next_start: Instant::now(),
                        blocked_until: None,
                        crawl_delay: None,
                    }),
                })
            })
            .clone()
    }
}

impl DomainGate {
    /// Claims the next start time and returns how long to sleep until it.
    fn reserve_start(&self, delay: Duration, patience: Duration) -> Result<Duration, Deferred> {
        let mut timing = lock(&self.timing);
        let now = Instant::now();
        let mut start = timing.next_start.max(now);
        if let Some(blocked) = timing.blocked_until {
            if blocked > now + patience {
                return Err(Deferred {
                    wait: blocked - now,
                });
            }
            start = start.max(blocked);
        }
        let spacing = timing.crawl_delay.unwrap_or(delay).max(delay);
        timing.next_start = start + spacing;
        Ok(start - now)
    }
}

/// The budget a URL counts against: its registrable domain, or the host
/// itself for single labels and unknown suffixes. An IP address has no
/// domain; there the port tells services apart (as two loopback test
/// servers, or a NAS's web UI and its feed proxy).
pub fn domain_key(url: &Url) -> String {
    match url.host() {
        Some(Host::Domain(host)) => {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            psl::domain_str(&host).map_or(host.clone(), str::to_owned)
        }
        Some(host) => format!("{host}:{}", url.port_or_known_default().unwrap_or(0)),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn domains_are_registrable_domains() {
        assert_eq!(domain_key(&url("https://rss.bbc.co.uk/news")), "bbc.co.uk");
        assert_eq!(domain_key(&url("https://www.bbc.co.uk/")), "bbc.co.uk");
        assert_eq!(domain_key(&url("http://news.sina.com.cn/x")), "sina.com.cn");
        assert_eq!(domain_key(&url("http://a.b.example.com.")), "example.com");
        assert_eq!(domain_key(&url("http://127.0.0.1:8080/")), "127.0.0.1:8080");
        assert_eq!(domain_key(&url("http://[::1]/")), "[::1]:80");
    }

    fn options(per_domain: usize, delay_ms: u64) -> PolitenessOptions {
        PolitenessOptions {
            global: 8,
            per_domain,
            delay: Duration::from_millis(delay_ms),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn starts_to_one_domain_are_spaced_and_others_are_not() {
        let politeness = Politeness::new(options(4, 1000));
        let begin = Instant::now();
        let mut permits = Vec::new();
        for _ in 0..3 {
            permits.push(
                politeness
                    .acquire(&url("http://a.example.com/"), Duration::MAX)
                    .await,
            );
        }
        assert_eq!(begin.elapsed(), Duration::from_secs(2));
        let other = Instant::now();
        let _ = politeness
            .acquire(&url("http://other.org/"), Duration::MAX)
            .await;
        assert_eq!(other.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn per_domain_slots_bound_requests_in_flight() {
        let politeness = Politeness::new(options(1, 0));
        let first = politeness
            .acquire(&url("http://x.example.com/"), Duration::MAX)
            .await;
        let second = tokio::time::timeout(
            Duration::from_secs(5),
            politeness.acquire(&url("http://y.example.com/"), Duration::MAX),
        )
        .await;
        assert!(second.is_err(), "second request must wait for the first");
        drop(first);
        let third = politeness
            .acquire(&url("http://y.example.com/"), Duration::MAX)
            .await;
        assert!(third.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_holds_the_domain_and_long_waits_are_deferred() {
        let politeness = Politeness::new(options(2, 0));
        let site = url("http://example.com/feed");
        politeness.block(&site, Duration::from_secs(30));
        let begin = Instant::now();
        let permit = politeness.acquire(&site, Duration::from_secs(60)).await;
        assert!(permit.is_ok());
        assert_eq!(begin.elapsed(), Duration::from_secs(30));
        politeness.block(&site, Duration::from_secs(3600));
        let deferred = politeness.acquire(&site, Duration::from_secs(60)).await;
        assert_eq!(
            deferred.err(),
            Some(Deferred {
                wait: Duration::from_secs(3600)
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_endless_retry_after_defers_without_panicking() {
        let politeness = Politeness::new(options(2, 0));
        let site = url("http://example.com/feed");
        politeness.block(&site, Duration::MAX);
        let deferred = politeness.acquire(&site, Duration::from_secs(60)).await;
        assert!(deferred.is_err_and(|d| d.wait >= CENTURY - Duration::from_secs(1)));
    }
}
