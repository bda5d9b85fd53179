//! One HTTP client for everything feedfold downloads: timeouts, a body cap
//! counted after decompression, a redirect limit that refuses loops and
//! non-HTTP targets, and conditional GET. `file://` URLs are read from disk
//! under the same cap, so offline sources behave like remote ones.
//!
//! Bytes stay bytes: feed parsers need the raw document to honour its own
//! encoding declaration.

pub mod charset;
mod file;

use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::redirect;
use url::Url;

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request did not finish within the configured timeout.
    #[error("timed out")]
    Timeout,
    /// No connection could be made (DNS, refused, TLS).
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The server answered with an error status.
    #[error("HTTP {status}")]
    Status {
        /// The status code.
        status: u16,
    },
    /// The body (after decompression) exceeded `fetch.max_body`.
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
    /// A `file://` source could not be read.
    #[error("{path}: {source}")]
    File {
        /// The file path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Any other transport failure, with its cause chain.
    #[error("{0}")]
    Other(String),
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
}

impl Fetched {
    /// True when the server said nothing changed since the validators we sent.
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }
}

/// Client settings, from `[daemon]` and `[fetch]`.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The User-Agent header.
    pub user_agent: String,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Body cap after decompression.
    pub max_body: u64,
    /// Redirects followed at most.
    pub max_redirects: usize,
}

impl FetchOptions {
    /// The options a config asks for.
    pub fn from_config(config: &crate::config::Config) -> FetchOptions {
        FetchOptions {
            user_agent: config.daemon.user_agent.clone(),
            timeout: config.fetch.timeout.0,
            connect_timeout: config.fetch.connect_timeout.0,
            max_body: config.fetch.max_body.0,
            max_redirects: config.fetch.max_redirects,
        }
    }
}

/// The shared downloader. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_body: u64,
}

impl Fetcher {
    /// Builds the client.
    pub fn new(options: &FetchOptions) -> Result<Fetcher, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .redirect(redirect_policy(options.max_redirects))
            .build()
            .map_err(|e| FetchError::Other(error_chain(&e)))?;
        Ok(Fetcher {
            client,
            max_body: options.max_body,
        })
    }

    /// Downloads `url`, sending `validators` as a conditional request.
    pub async fn get(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        match url.scheme() {
            "http" | "https" => self.get_http(url, validators).await,
            "file" => file::read(url, self.max_body).await,
            other => Err(FetchError::Scheme(other.to_owned())),
        }
    }

    async fn get_http(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        let mut response = self
            .client
            .get(url.clone())
            .headers(conditional_headers(validators))
            .send()
            .await
            .map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let final_url = response.url().clone();
        if status != 304 && !response.status().is_success() {
            return Err(FetchError::Status { status });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if (bytes.len() + chunk.len()) as u64 > self.max_body {
                return Err(FetchError::TooLarge {
                    limit: self.max_body,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status,
            bytes,
            content_type: header_string(&headers, header::CONTENT_TYPE),
            validators: fresh_validators(&headers, validators, status == 304),
            final_url,
        })
    }
}

/// Follows at most `max` redirects, never in a loop, never off HTTP(S).
fn redirect_policy(max: usize) -> redirect::Policy {
    redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max {
            let message = format!("more than {max} redirects");
            attempt.error(message)
        } else if !matches!(attempt.url().scheme(), "http" | "https") {
            let message = format!("redirect to non-HTTP URL {}", attempt.url());
            attempt.error(message)
        } else if attempt.previous().contains(attempt.url()) {
            let message = format!("redirect loop at {}", attempt.url());
            attempt.error(message)
        } else {
            attempt.follow()
        }
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
    if error.is_timeout() {
        FetchError::Timeout
    } else if error.is_redirect() {
        FetchError::Redirect(innermost(&error))
    } else if error.is_connect() {
        FetchError::Connect(error_chain(&error))
    } else {
        FetchError::Other(error_chain(&error))
    }
}

/// "a: b: c" from an error and its sources, without repeating the same text.
fn error_chain(error: &dyn std::error::Error) -> String {
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

fn innermost(error: &dyn std::error::Error) -> String {
    let mut last = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        last = e.to_string();
        source = e.source();
    }
    last
}
