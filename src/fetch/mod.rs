//! One HTTP client for everything feedfold downloads, built to survive the
//! real web: timeouts, a body cap counted after decompression, redirects
//! followed one hop at a time (limit, loops, non-HTTP targets, permanent moves
//! recorded), the SSRF guard on every hop, per-domain politeness, conditional
//! GET, and what the server says about freshness and `Retry-After`. `file://`
//! URLs are read from disk under the same cap, so offline sources behave like
//! remote ones.
//!
//! Bytes stay bytes: feed parsers need the raw document to honour its own
//! encoding declaration.

mod access;
mod file;
pub mod freshness;
pub mod guard;
pub mod politeness;
pub mod robots;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::time::Instant;
use url::Url;

pub use access::{Access, EnvProxies, Profile};
pub use guard::AddressPolicy;
pub use politeness::{Politeness, PolitenessOptions};
pub use robots::Robots;

/// How long a request waits for a site that asked us (`Retry-After`) to hold
/// off; a longer wait defers the source instead of holding a task.
const PATIENCE: Duration = Duration::from_secs(60);

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request did not finish within the configured timeout.
    #[error("timed out")]
    Timeout,
    /// No connection could be made (DNS, refused, TLS).
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The SSRF guard refused the address.
    #[error("{0}")]
    Refused(String),
    /// The server answered with an error status.
    #[error("HTTP {status}{}", retry_after.map_or(String::new(), |d| format!(" (Retry-After {}s)", d.as_secs())))]
    Status {
        /// The status code.
        status: u16,
        /// How long the server asked us to wait (429, 503).
        retry_after: Option<Duration>,
    },
    /// The body (after decompression) exceeded the cap.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The configured cap.
        limit: u64,
    },
    /// Too many redirects, a loop, or a redirect to a non-HTTP URL.
    #[error("redirect refused: {0}")]
    Redirect(String),
    /// The URL's scheme is not http, https or file.
    #[error("unsupported URL scheme {0:?}")]
    Scheme(String),
    /// The site asked us to wait (`Retry-After`) longer than a request may.
    #[error("site asked us to wait {}s more (Retry-After)", wait.as_secs())]
    Deferred {
        /// How long until it accepts requests again.
        wait: Duration,
    },
    /// The site's robots.txt does not let us fetch this URL.
    #[error("robots.txt disallows {0}")]
    Disallowed(String),
    /// A `file://` source could not be read.
    #[error("{path}: {source}")]
    File {
        /// The file path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The source's password or cookie could not be read when the config
    /// was loaded (the file or variable and why).
    #[error("{0}")]
    Credentials(String),
    /// Any other transport failure, with its cause chain.
    #[error("{0}")]
    Other(String),
}

impl FetchError {
    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long the server (or the domain's politeness gate) asks us to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            FetchError::Deferred { wait } => Some(*wait),
            _ => None,
        }
    }
}

/// Cache validators from an earlier response, sent back as a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The `Last-Modified` header.
    pub last_modified: Option<String>,
}

/// A completed download.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// HTTP status (200 for files); 304 means "not modified" and `bytes` is empty.
    pub status: u16,
    /// The body, decompressed, unconverted.
    pub bytes: Vec<u8>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// Validators to send next time.
    pub validators: Validators,
    /// The URL after redirects.
    pub final_url: Url,
    /// Where the URL permanently moved (301/308 from the requested URL on).
    pub moved_to: Option<Url>,
    /// How long the server says the document stays fresh.
    pub fresh_for: Option<Duration>,
    /// The `Link` header values (RFC 8288), for WebSub discovery.
    pub links: Vec<String>,
}

impl Fetched {
    /// True when the server said nothing changed since the validators we sent.
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }
}

/// Per-request limits: `[fetch]`, overridden per `[[source]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Whole-request timeout, all redirect hops and the body included
    /// (time spent waiting for politeness is not counted).
    pub timeout: Duration,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Body cap after decompression.
    pub max_body: u64,
    /// Redirects followed at most.
    pub max_redirects: usize,
}

impl Limits {
    /// The `[fetch]` limits.
    pub fn from_config(config: &crate::config::Config) -> Limits {
        let fetch = &config.fetch;
        Limits {
            timeout: fetch.timeout.0,
            connect_timeout: fetch.connect_timeout.0,
            max_body: fetch.max_body.0,
            max_redirects: fetch.max_redirects,
        }
    }

    /// The limits for one source: its own settings over `[fetch]`'s.
    pub fn for_source(config: &crate::config::Config, source: &crate::config::Source) -> Limits {
        let base = Limits::from_config(config);
        Limits {
            timeout: source.timeout.map_or(base.timeout, |d| d.0),
            connect_timeout: source.connect_timeout.map_or(base.connect_timeout, |d| d.0),
            max_body: source.max_body.map_or(base.max_body, |b| b.0),
            max_redirects: source.max_redirects.unwrap_or(base.max_redirects),
        }
    }
}

/// Client settings, from `[daemon]` and `[fetch]`.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The User-Agent header.
    pub user_agent: String,
    /// Default limits.
    pub limits: Limits,
    /// Non-public networks that may still be fetched from.
    pub allow_networks: Vec<ipnet::IpNet>,
    /// Per-domain and global request budgets.
    pub politeness: PolitenessOptions,
    /// The longest `Retry-After` honoured.
    pub max_wait: Duration,
    /// `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY`.
    pub proxies: EnvProxies,
}

impl FetchOptions {
    /// The options a config asks for.
    pub fn from_config(config: &crate::config::Config) -> FetchOptions {
        FetchOptions {
            user_agent: config.daemon.user_agent.clone(),
            limits: Limits::from_config(config),
            allow_networks: config.fetch.allow_networks.iter().map(|n| n.0).collect(),
            politeness: PolitenessOptions {
                global: config.daemon.concurrency.get(),
                per_domain: config.fetch.per_domain_concurrency.get(),
                delay: config.fetch.per_domain_delay.0,
            },
            max_wait: config.fetch.backoff_max.0,
            proxies: EnvProxies::from_env(),
        }
    }
}

/// The shared downloader. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Fetcher {
    options: Arc<FetchOptions>,
    policy: AddressPolicy,
    politeness: Politeness,
    robots: Robots,
    /// One client per connect timeout and proxy in use (reqwest fixes
    /// both per client).
    clients: Arc<Mutex<HashMap<ClientKey, reqwest::Client>>>,
}

/// What a client is made for: its connect timeout and proxy.
type ClientKey = (Duration, Option<crate::config::ProxyUrl>);

/// One hop's answer: a response to read, or a redirect to follow.
enum Hop {
    Done(reqwest::Response),
    Redirect { to: Url, permanent: bool },
}

impl Fetcher {
    /// Builds the client.
    pub fn new(options: &FetchOptions) -> Result<Fetcher, FetchError> {
        let fetcher = Fetcher {
            options: Arc::new(options.clone()),
            policy: AddressPolicy::new(options.allow_networks.clone()),
            politeness: Politeness::new(options.politeness),
            robots: Robots::default(),
            clients: Arc::default(),
        };
        // Build the default client now so a broken TLS setup fails at start.
        fetcher.client(options.limits.connect_timeout, None)?;
        Ok(fetcher)
    }

    /// Downloads `url` under the default limits, sending `validators` as a
    /// conditional request.
    pub async fn get(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        let profile = Profile::plain(self.options.limits);
        self.get_with(url, validators, &profile).await
    }

    /// Downloads `url` under `profile`'s limits, with its headers,
    /// credentials and proxy.
    pub async fn get_with(
        &self,
        url: &Url,
        validators: &Validators,
        profile: &Profile,
    ) -> Result<Fetched, FetchError> {
        match url.scheme() {
            "http" | "https" => self.get_http(url, validators, profile).await,
            "file" => file::read(url, profile.limits.max_body).await,
            other => Err(FetchError::Scheme(other.to_owned())),
        }
    }

    /// Downloads an HTML page, first asking the site's robots.txt.
    pub async fn get_page(
        &self,
        url: &Url,
        validators: &Validators,
        profile: &Profile,
    ) -> Result<Fetched, FetchError> {
        if matches!(url.scheme(), "http" | "https") {
            let rules = self.robots.rules_for(self, url, profile).await;
            if let Some(delay) = rules.crawl_delay() {
                self.politeness.set_crawl_delay(url, delay);
            }
            if !rules.allows(url) {
                return Err(FetchError::Disallowed(url.to_string()));
            }
        }
        self.get_with(url, validators, profile).await
    }

    async fn get_http(
        &self,
        url: &Url,
        validators: &Validators,
        profile: &Profile,
    ) -> Result<Fetched, FetchError> {
        let limits = &profile.limits;
        let mut budget = limits.timeout;
        let mut current = url.clone();
        let mut visited = vec![url.clone()];
        // Permanent only while every hop so far was a 301/308.
        let mut moved_to = None;
        let mut still_permanent = true;
        loop {
            let started = Instant::now();
            let hop = self.hop(&current, validators, budget, profile).await?;
            let response = match hop {
                Hop::Done(response) => response,
                Hop::Redirect { to, permanent } => {
                    if visited.len() > limits.max_redirects {
                        let message = format!("more than {} redirects", limits.max_redirects);
                        return Err(FetchError::Redirect(message));
                    }
                    check_redirect(&visited, &to)?;
                    still_permanent &= permanent;
                    if still_permanent {
                        moved_to = Some(to.clone());
                    }
                    budget = budget.saturating_sub(started.elapsed());
                    visited.push(to.clone());
                    current = to;
                    continue;
                }
            };
            let remaining = budget.saturating_sub(started.elapsed());
            let mut fetched =
                read_response(response, validators, remaining, limits.max_body).await?;
            fetched.moved_to = moved_to;
            return Ok(fetched);
        }
    }

    /// One request: guard, politeness, send, classify the status.
    async fn hop(
        &self,
        url: &Url,
        validators: &Validators,
        budget: Duration,
        profile: &Profile,
    ) -> Result<Hop, FetchError> {
        let max_body = profile.limits.max_body;
        self.policy.check_url(url).map_err(FetchError::Refused)?;
        if budget.is_zero() {
            return Err(FetchError::Timeout);
        }
        let proxy = self.proxy_for(url, &profile.access);
        if proxy.is_some() {
            // The proxy resolves and connects for us, past the resolver
            // that guards direct connections: vet the target's addresses
            // here. (The proxy's own DNS answer may still differ.)
            self.policy
                .check_resolved(url)
                .await
                .map_err(FetchError::Refused)?;
        }
        // Display redacts the proxy's password.
        let shown_proxy = proxy.as_ref().map(ToString::to_string);
        let client = self.client(profile.limits.connect_timeout, proxy)?;
        let _permit = self
            .politeness
            .acquire(url, PATIENCE)
            .await
            .map_err(|d| FetchError::Deferred { wait: d.wait })?;
        let request = profile.access.apply(url, client.get(url.clone()));
        // Set last, so that no source header can replace the validators.
        let response = request
            .headers(conditional_headers(validators))
            .timeout(budget)
            .send()
            .await
            .map_err(|e| match (classify(e), &shown_proxy) {
                // Say which proxy: a refusing proxy is not the site's fault.
                (FetchError::Connect(why), Some(proxy)) => {
                    FetchError::Connect(format!("through proxy {proxy}: {why}"))
                }
                (other, _) => other,
            })?;
        let status = response.status().as_u16();
        if let (301 | 302 | 303 | 307 | 308, Some(location)) =
            (status, header_string(response.headers(), header::LOCATION))
        {
            let to = url
                .join(location.trim())
                .map_err(|e| FetchError::Redirect(format!("bad Location {location:?}: {e}")))?;
            return Ok(Hop::Redirect {
                to,
                permanent: matches!(status, 301 | 308),
            });
        }
        if status != 304 && !response.status().is_success() {
            let retry_after = matches!(status, 429 | 503)
                .then(|| freshness::retry_after(response.headers(), SystemTime::now()))
                .flatten()
                .map(|wait| wait.min(self.options.max_wait));
            if let Some(wait) = retry_after {
                self.politeness.block(url, wait);
            }
            return Err(FetchError::Status {
                status,
                retry_after,
            });
        }
        // A declared length over the cap is refused before any byte is read.
        if response.content_length().is_some_and(|len| len > max_body) {
            return Err(FetchError::TooLarge { limit: max_body });
        }
        Ok(Hop::Done(response))
    }

    /// POSTs a form to `url` (a WebSub hub) and returns the status. The
    /// SSRF guard applies as to any fetch, since hubs are named by feeds;
    /// redirects are not followed (a hub that moves answers 3xx, which the
    /// caller takes as a failure) and the answer's body is not read.
    pub async fn post_form(
        &self,
        url: &Url,
        form: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<u16, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Scheme(url.scheme().to_owned()));
        }
        self.policy.check_url(url).map_err(FetchError::Refused)?;
        let proxy = self.options.proxies.for_url(url).cloned();
        if proxy.is_some() {
            self.policy
                .check_resolved(url)
                .await
                .map_err(FetchError::Refused)?;
        }
        let client = self.client(self.options.limits.connect_timeout, proxy)?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = client
            .post(url.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .timeout(timeout)
            .send()
            .await
            .map_err(classify)?;
        Ok(response.status().as_u16())
    }

    /// The proxy a request to `url` goes through: the source's own, else
    /// the environment's for its scheme unless `NO_PROXY` exempts the host.
    fn proxy_for(&self, url: &Url, access: &Access) -> Option<crate::config::ProxyUrl> {
        access
            .proxy()
            .or_else(|| self.options.proxies.for_url(url))
            .cloned()
    }

    fn client(
        &self,
        connect_timeout: Duration,
        proxy: Option<crate::config::ProxyUrl>,
    ) -> Result<reqwest::Client, FetchError> {
        let mut clients = lock(&self.clients);
        let key = (connect_timeout, proxy);
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let builder = reqwest::Client::builder()
            .user_agent(self.options.user_agent.clone())
            .connect_timeout(connect_timeout)
            // Redirects are followed by hand so every hop is guarded and seen.
            .redirect(reqwest::redirect::Policy::none());
        let builder = match &key.1 {
            // Every request of this client goes to the proxy, which the
            // operator chose: its own address is not vetted, and the
            // target's is checked before each hop instead.
            Some(proxy) => builder.proxy(
                reqwest::Proxy::all(proxy.expose().as_str())
                    .map_err(|e| FetchError::Other(error_chain(&e)))?,
            ),
            // Direct: the environment's proxies are applied by hand above,
            // and our resolver guards every address connected to.
            None => builder
                .no_proxy()
                .dns_resolver(guard::GuardedResolver::new(self.policy.clone())),
        };
        let client = builder
            .build()
            .map_err(|e| FetchError::Other(error_chain(&e)))?;
        clients.insert(key, client.clone());
        Ok(client)
    }
}

/// Locks a mutex whose data stays valid even if a holder panicked (every
/// critical section here is a single insert or read).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Refuses redirects off HTTP(S) and back to a URL already visited.
fn check_redirect(visited: &[Url], to: &Url) -> Result<(), FetchError> {
    if !matches!(to.scheme(), "http" | "https") {
        return Err(FetchError::Redirect(format!(
            "redirect to non-HTTP URL {to}"
        )));
    }
    if visited.contains(to) {
        return Err(FetchError::Redirect(format!("redirect loop at {to}")));
    }
    Ok(())
}

/// Reads the body under the cap and the time left.
async fn read_response(
    mut response: reqwest::Response,
    sent: &Validators,
    remaining: Duration,
    max_body: u64,
) -> Result<Fetched, FetchError> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let final_url = response.url().clone();
    let mut bytes = Vec::new();
    let read = async {
        // Chunks arrive decompressed, so a gzip bomb stops at the cap.
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if (bytes.len() + chunk.len()) as u64 > max_body {
                return Err(FetchError::TooLarge { limit: max_body });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(())
    };
    tokio::time::timeout(remaining, read)
        .await
        .map_err(|_| FetchError::Timeout)??;
    Ok(Fetched {
        status,
        bytes,
        content_type: header_string(&headers, header::CONTENT_TYPE),
        validators: fresh_validators(&headers, sent, status == 304),
        final_url,
        moved_to: None,
        fresh_for: freshness::fresh_for(&headers, SystemTime::now()),
        links: headers
            .get_all(header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect(),
    })
}

fn conditional_headers(validators: &Validators) -> HeaderMap {
    let mut headers = HeaderMap::new();
    // A validator that is not a legal header value is dropped: the request
    // simply becomes unconditional.
    if let Some(value) = validators
        .etag
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert(header::IF_NONE_MATCH, value);
    }
    if let Some(value) = validators
        .last_modified
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert(header::IF_MODIFIED_SINCE, value);
    }
    headers
}

/// Validators for the next request. A 304 may omit them (the old ones still
/// hold); a full response without them means the server stopped sending them.
fn fresh_validators(headers: &HeaderMap, sent: &Validators, not_modified: bool) -> Validators {
    let etag = header_string(headers, header::ETAG);
    let last_modified = header_string(headers, header::LAST_MODIFIED);
    if not_modified {
        Validators {
            etag: etag.or_else(|| sent.etag.clone()),
            last_modified: last_modified.or_else(|| sent.last_modified.clone()),
        }
    } else {
        Validators {
            etag,
            last_modified,
        }
    }
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

fn classify(error: reqwest::Error) -> FetchError {
    if let Some(refusal) = find_source::<guard::Refusal>(&error) {
        FetchError::Refused(refusal.to_string())
    } else if error.is_timeout() {
        FetchError::Timeout
    } else if error.is_connect() {
        FetchError::Connect(error_chain(&error))
    } else {
        FetchError::Other(error_chain(&error))
    }
}

/// "a: b: c" from an error and its sources, without repeating the same text.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// The first error of type `T` in `error`'s source chain.
fn find_source<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}
