//! robots.txt for HTML pages and article scraping (feeds are exempt, as in
//! browsers and feed readers). Read per origin and access profile, cached
//! for a day, and interpreted as RFC 9309 says: a missing file (4xx) allows
//! everything, an unreachable one (5xx, 429, network failure) disallows
//! everything for now.
//!
//! Why per access profile, not per origin alone: the file is asked for with
//! the source's headers, cookie, basic auth and proxy, because a site that
//! wants them for its pages often wants them for everything (asked bare,
//! it answers 401, which RFC 9309 reads as "allow all", and its real rules
//! would be missed). What one source's credentials fetched must then not
//! answer for another source on the same origin with other credentials, or
//! none: the site may show each a different file, and the other source
//! would act on a file it could not itself have read. The cost is one more
//! robots.txt request per distinct profile and origin, once a day.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use texting_robots::Robot;
use tokio::time::Instant;
use url::Url;

use super::{FetchError, Fetcher, Limits, Profile, Validators, lock};

/// The product token matched against `User-agent:` lines.
const AGENT: &str = "feedfold";
/// RFC 9309: a cached robots.txt should not be used for more than a day.
const KEEP: Duration = Duration::from_secs(24 * 3600);
/// An unreachable robots.txt is asked again sooner.
const KEEP_UNREACHABLE: Duration = Duration::from_secs(600);
/// The largest robots.txt read (RFC 9309 asks parsers to handle 500 KiB).
const MAX_SIZE: u64 = 512 * 1024;
/// A `Crawl-delay` longer than this is taken as this. Heritrix honours up to
/// 300 s and Nutch skips hosts that ask for more than 30 s; a minute keeps a
/// page source moving (one request per minute to that site) while still
/// slowing down as far as most sites that set the field ask.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// What one origin's robots.txt says.
#[derive(Debug, Clone)]
pub enum RobotsRules {
    /// No robots.txt, or one we could not read as rules.
    AllowAll,
    /// The file could not be reached: crawling waits until it can be.
    DisallowAll,
    /// Parsed rules for our user agent.
    Rules(Arc<Robot>),
}

impl RobotsRules {
    /// Parses a robots.txt body; unreadable text allows everything.
    pub fn parse(body: &[u8]) -> RobotsRules {
        Robot::new(AGENT, body).map_or(RobotsRules::AllowAll, |r| RobotsRules::Rules(Arc::new(r)))
    }

    /// Whether `url` may be fetched (rules are matched on the product token
    /// `feedfold`, not the whole User-Agent header).
    pub fn allows(&self, url: &Url) -> bool {
        match self {
            RobotsRules::AllowAll => true,
            RobotsRules::DisallowAll => false,
            RobotsRules::Rules(robot) => robot.allowed(url.as_str()),
        }
    }

    /// The `Crawl-delay` for our agent, capped at [`MAX_CRAWL_DELAY`]. An
    /// infinite delay is the cap; zero, negative and NaN mean no delay.
    pub fn crawl_delay(&self) -> Option<Duration> {
        let RobotsRules::Rules(robot) = self else {
            return None;
        };
        crawl_delay(robot.delay?)
    }
}

/// A `Crawl-delay` value as a wait. The cap is applied to the float:
/// `Duration::from_secs_f32` panics on anything past `u64::MAX` seconds,
/// and the value comes from the site.
fn crawl_delay(seconds: f32) -> Option<Duration> {
    // NaN compares as nothing, so it falls out here with the non-positives.
    if seconds.is_nan() || seconds <= 0.0 {
        return None;
    }
    let capped = seconds.min(MAX_CRAWL_DELAY.as_secs_f32());
    Duration::try_from_secs_f32(capped).ok()
}

/// What a cached file is filed under: the origin, and the digest of what
/// the request for it carried (see [`super::Access::request_key`]).
type CacheKey = (String, u128);

/// robots.txt files by origin and access profile. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Robots {
    cache: Arc<Mutex<HashMap<CacheKey, (Instant, RobotsRules)>>>,
}

impl Robots {
    /// The rules for `url`'s origin, from the cache or fetched now.
    /// The file is asked for with the profile's headers, credentials and
    /// proxy: a site that wants them for its pages may want them here too.
    pub async fn rules_for(&self, fetcher: &Fetcher, url: &Url, profile: &Profile) -> RobotsRules {
        let Ok(robots_url) = url.join("/robots.txt") else {
            return RobotsRules::AllowAll;
        };
        let key = (
            url.origin().ascii_serialization(),
            profile.access.request_key(&robots_url),
        );
        if let Some(rules) = self.cached(&key) {
            return rules;
        }
        let limits = Limits {
            max_body: MAX_SIZE,
            ..profile.limits
        };
        let fetched = fetcher
            .get_with(
                &robots_url,
                &Validators::default(),
                &profile.with_limits(limits),
            )
            .await;
        let (rules, keep) = match fetched {
            Ok(fetched) => (RobotsRules::parse(&fetched.bytes), KEEP),
            Err(error) => match interpret_failure(&error) {
                Some(rules) => rules,
                // The page fetch will fail the same way and say why.
                None => return RobotsRules::AllowAll,
            },
        };
        let mut cache = lock(&self.cache);
        cache.insert(key, (Instant::now() + keep, rules.clone()));
        rules
    }

    fn cached(&self, key: &CacheKey) -> Option<RobotsRules> {
        let cache = lock(&self.cache);
        cache
            .get(key)
            .filter(|(until, _)| *until > Instant::now())
            .map(|(_, rules)| rules.clone())
    }
}

/// What a failed robots.txt fetch means, and for how long; `None` when the
/// failure is ours (guard, deferral) rather than the site's.
fn interpret_failure(error: &FetchError) -> Option<(RobotsRules, Duration)> {
    match error {
        FetchError::Status { status: 429, .. } => {
            Some((RobotsRules::DisallowAll, KEEP_UNREACHABLE))
        }
        FetchError::Status { status, .. } if (400..500).contains(status) => {
            Some((RobotsRules::AllowAll, KEEP))
        }
        FetchError::Refused(_) | FetchError::Deferred { .. } | FetchError::Scheme(_) => None,
        // No connection to the site at all (a name that does not resolve):
        // the page's own fetch fails the same way and says so, where
        // "robots.txt disallows" would send the reader the wrong way.
        FetchError::Connect(_) => None,
        // Too large or oddly redirected: the file exists but is unusable.
        FetchError::TooLarge { .. } | FetchError::Redirect(_) => {
            Some((RobotsRules::AllowAll, KEEP))
        }
        _ => Some((RobotsRules::DisallowAll, KEEP_UNREACHABLE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A site whose robots.txt depends on the cookie: members may crawl
    /// everything, everyone else nothing.
    async fn members_only_site() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use axum::http::HeaderMap;
        let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = asked.clone();
        let app = axum::Router::new().route(
            "/robots.txt",
            axum::routing::get(move |headers: HeaderMap| {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let member = headers.get("cookie").is_some_and(|c| c == "member=1");
                async move {
                    if member {
                        "User-agent: *\nAllow: /\n"
                    } else {
                        "User-agent: *\nDisallow: /\n"
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), asked)
    }

    #[tokio::test]
    async fn one_sources_credentials_never_answer_for_another() {
        let (site, asked) = members_only_site().await;
        let text = format!(
            "[fetch]\nallow_networks = [\"127.0.0.1\"]\n\
             [[source]]\nname = \"member\"\nurl = \"{site}/a\"\ncookie = \"member=1\"\n\
             [[source]]\nname = \"guest\"\nurl = \"{site}/b\"\n\
             [[source]]\nname = \"member-too\"\nurl = \"{site}/c\"\ncookie = \"member=1\"\n"
        );
        let config = crate::config::Config::parse(
            &text,
            std::path::Path::new("f.toml"),
            std::path::Path::new("/"),
        )
        .unwrap();
        let fetcher = Fetcher::new(&super::super::FetchOptions::from_config(&config)).unwrap();
        let robots = Robots::default();
        let profile = |i: usize| Profile::for_source(&config, &config.sources[i]).unwrap();
        let page = Url::parse(&format!("{site}/story")).unwrap();
        assert!(
            robots
                .rules_for(&fetcher, &page, &profile(0))
                .await
                .allows(&page)
        );
        // The guest asks for itself, and is refused.
        assert!(
            !robots
                .rules_for(&fetcher, &page, &profile(1))
                .await
                .allows(&page)
        );
        // Same credentials, same answer: from the cache.
        assert!(
            robots
                .rules_for(&fetcher, &page, &profile(2))
                .await
                .allows(&page)
        );
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn rules_for_our_agent_apply() {
        let rules = RobotsRules::parse(
            b"User-agent: *\nDisallow: /private/\n\nUser-agent: feedfold\nDisallow: /news/archive/\nCrawl-delay: 5\n",
        );
        let url = |p: &str| Url::parse(&format!("https://example.com{p}")).unwrap();
        assert!(rules.allows(&url("/news/today.html")));
        assert!(!rules.allows(&url("/news/archive/1.html")));
        // Our own group replaces the `*` group.
        assert!(rules.allows(&url("/private/x")));
        assert_eq!(rules.crawl_delay(), Some(Duration::from_secs(5)));
    }

    #[test]
    fn crawl_delays_from_outside_never_panic() {
        let delay = |value: &str| {
            RobotsRules::parse(format!("User-agent: *\nCrawl-delay: {value}\n").as_bytes())
                .crawl_delay()
        };
        assert_eq!(delay("1e30"), Some(MAX_CRAWL_DELAY));
        assert_eq!(delay("1e40"), Some(MAX_CRAWL_DELAY)); // inf as f32
        assert_eq!(delay("inf"), Some(MAX_CRAWL_DELAY));
        assert_eq!(delay("18446744073709551616"), Some(MAX_CRAWL_DELAY));
        assert_eq!(delay("600"), Some(MAX_CRAWL_DELAY));
        assert_eq!(delay("2.5"), Some(Duration::from_millis(2500)));
        assert_eq!(delay("1e-30"), Some(Duration::ZERO));
        for none in ["NaN", "-1", "-1e30", "-inf", "0", "soon"] {
            assert_eq!(delay(none), None, "{none}");
        }
    }

    #[test]
    fn failures_are_read_as_rfc_9309_says() {
        let status = |s| FetchError::Status {
            status: s,
            retry_after: None,
        };
        assert!(matches!(
            interpret_failure(&status(404)),
            Some((RobotsRules::AllowAll, _))
        ));
        assert!(matches!(
            interpret_failure(&status(503)),
            Some((RobotsRules::DisallowAll, _))
        ));
        assert!(matches!(
            interpret_failure(&FetchError::Timeout),
            Some((RobotsRules::DisallowAll, _))
        ));
        assert!(interpret_failure(&FetchError::Refused("x".into())).is_none());
        assert!(interpret_failure(&FetchError::Connect("dns error".into())).is_none());
    }
}
