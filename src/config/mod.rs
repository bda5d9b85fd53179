//! The TOML configuration: schema, defaults and validation.
//!
//! Every struct here is the documentation of its section: the doc comment on a
//! field is what the key does, and `Default` gives its default. Any error names
//! the file, line and column (`feedfold check` prints exactly that).

mod check;
pub mod edit;
pub mod opml;
pub mod secrets;
mod values;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::filter::{Filter, Rule};
pub use crate::source::page::PageRules;
pub use secrets::{Credentials, ProxyUrl, Secret};
pub use values::{ByteSize, CronExpr, Duration, Location, Network, TimeZone};

/// A configuration problem, with where it is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    // The io::Error is part of the message, not a `source`: chained, it was
    // printed twice by `{:#}`.
    #[error("{path}: {error}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// Why it could not be read.
        error: std::io::Error,
    },
    /// The file was read but is not a valid configuration: every problem
    /// found, in file order, one `file:line:col: message` line each.
    #[error("{}", problems.iter().map(|p| format!("{}:{p}", path.display())).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// What is wrong and where; never empty.
        problems: Vec<Problem>,
    },
}

/// One problem (or warning) in a config file, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the offending key or value.
    pub line: usize,
    /// 1-based column (in characters) of the offending key or value.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    fn at(text: &str, offset: usize, message: String) -> Problem {
        let (line, column) = line_column(text, offset);
        Problem {
            line,
            column,
            message,
        }
    }
}

/// `line:col: message`, to follow the file name.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[daemon]`: process-wide settings.
    #[serde(default)]
    pub daemon: Daemon,
    /// `[fetch]`: HTTP client limits.
    #[serde(default)]
    pub fetch: Fetch,
    /// `[output]`: the merged feed.
    #[serde(default)]
    pub output: Output,
    /// `[dedup]`: how duplicate stories are folded.
    #[serde(default)]
    pub dedup: Dedup,
    /// `[events]`: how stories are grouped into events (related coverage).
    #[serde(default)]
    pub events: Events,
    /// `[[source]]`: the feeds and pages to follow.
    #[serde(default, rename = "source")]
    pub sources: Vec<Source>,
    /// `[group.NAME]`: settings of the per-group feeds, by group name.
    #[serde(default, rename = "group")]
    pub groups: std::collections::BTreeMap<String, Group>,
    /// The folder relative paths in this file are resolved against.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// `[daemon]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Daemon {
    /// Address the HTTP server (feeds, `/healthz`) listens on. Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Database URL: `sqlite://FILE` (relative to the config file) or
    /// `postgres://user@host/db`. Default `sqlite://feedfold.db`.
    pub database: String,
    /// Default cron schedule for sources (5 fields, or 6 with seconds first; UTC).
    /// Default `*/30 * * * *`.
    pub schedule: CronExpr,
    /// User-Agent sent with every request.
    pub user_agent: String,
    /// Requests in flight at once, all sources together. Default 32.
    pub concurrency: NonZeroUsize,
    /// How long a daemon's claim on a source lasts when several daemons
    /// share one database. A daemon renews its claim every third of this
    /// while it runs the source; if it dies, another daemon takes the source
    /// over once the claim lapses. Default `2m`.
    pub lease: Duration,
    /// Database connections kept open at most. Default 4 for SQLite and 10
    /// for PostgreSQL (mind the server's `max_connections` when many daemons
    /// share it).
    pub pool_size: Option<NonZeroUsize>,
    /// PostgreSQL only: a statement (or a transaction left idle) running
    /// longer than this is cancelled by the server, so a stalled daemon
    /// cannot hold locks the others wait for. Default `60s`.
    pub statement_timeout: Duration,
    /// How long stored entries are kept, counted from when they were first
    /// seen: a story whose copies were all first seen longer ago than this,
    /// and which has left the served window, is deleted with everything
    /// stored for it. At least `output.window`. Default `90d`.
    pub keep: Duration,
}

impl Default for Daemon {
    fn default() -> Self {
        Daemon {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: "sqlite://feedfold.db".into(),
            schedule: parse_builtin("*/30 * * * *"),
            user_agent: concat!(
                "feedfold/",
                env!("CARGO_PKG_VERSION"),
                " (+https://github.com/feedfold/feedfold)"
            )
            .into(),
            concurrency: NonZeroUsize::new(32).unwrap_or(NonZeroUsize::MIN),
            lease: parse_builtin("2m"),
            pool_size: None,
            statement_timeout: parse_builtin("60s"),
            keep: parse_builtin("90d"),
        }
    }
}

/// `[fetch]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Fetch {
    /// Whole-request timeout. Default `30s`.
    pub timeout: Duration,
    /// TCP + TLS connect timeout. Default `10s`.
    pub connect_timeout: Duration,
    /// Largest body accepted, counted after decompression. Default `15MiB`.
    pub max_body: ByteSize,
    /// Redirects followed before giving up. Default 5.
    pub max_redirects: usize,
    /// Networks that may be fetched from although they are not public: by
    /// default loopback, private (RFC 1918), link-local (cloud metadata at
    /// 169.254.169.254), CGNAT, unique-local and other special addresses are
    /// refused, whether a URL names them or a DNS name resolves to them. Give
    /// CIDRs or addresses, e.g. `["192.168.1.0/24", "127.0.0.1"]`. Default none.
    pub allow_networks: Vec<Network>,
    /// Requests in flight at once to one registrable domain (eTLD+1, so
    /// `a.example.co.uk` and `b.example.co.uk` count together). Default 2.
    pub per_domain_concurrency: NonZeroUsize,
    /// Least time between the starts of two requests to one registrable
    /// domain. A longer `Crawl-delay` in its robots.txt wins for pages. Default `1s`.
    pub per_domain_delay: Duration,
    /// Wait before retrying a source after one failure; each further
    /// consecutive failure doubles it. Default `5m`.
    pub backoff: Duration,
    /// Longest wait that backoff or a server's `Retry-After` may impose. Default `24h`.
    pub backoff_max: Duration,
    /// Whether to fetch entries' article pages and extract the story:
    /// `true`, `false`, or `"auto"` (when a feed carries only a teaser, and
    /// always for `kind = "page"` sources). Sources may override it. Default `"auto"`.
    pub scrape: Scrape,
    /// Article pages fetched at once, all sources together (each domain's
    /// own limit and delay still apply). Default 8.
    pub scrape_concurrency: NonZeroUsize,
}

impl Default for Fetch {
    fn default() -> Self {
        Fetch {
            timeout: parse_builtin("30s"),
            connect_timeout: parse_builtin("10s"),
            max_body: parse_builtin("15MiB"),
            max_redirects: 5,
            allow_networks: Vec::new(),
            per_domain_concurrency: NonZeroUsize::new(2).unwrap_or(NonZeroUsize::MIN),
            per_domain_delay: parse_builtin("1s"),
            backoff: parse_builtin("5m"),
            backoff_max: parse_builtin("24h"),
            scrape: Scrape::Auto,
            scrape_concurrency: NonZeroUsize::new(8).unwrap_or(NonZeroUsize::MIN),
        }
    }
}

/// `[output]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Output {
    /// Title of the merged feed. Default `feedfold`.
    pub title: String,
    /// Public address of the server, for self links. Default `http://127.0.0.1:8080/`.
    pub base_url: url::Url,
    /// Stories per feed document, newest first. Default 100.
    pub items: NonZeroUsize,
    /// Stories older than this leave the feed. Default `7d`.
    pub window: Duration,
    /// How often the database is checked for changes other daemons sharing
    /// it have made; the feeds are re-rendered when there are any. A daemon's
    /// own changes show at once. Default `5s`.
    pub refresh: Duration,
    /// Time zone of the times on the web pages (`/`, `/sources`), by IANA
    /// name such as `"Asia/Shanghai"`. Feeds carry UTC with the offset, as
    /// readers convert them themselves. Default `"UTC"`.
    pub timezone: TimeZone,
    /// Rules an entry must match (one of them) to appear in any feed or on
    /// the web page; see [`crate::filter`]. Default none: all are kept.
    pub keep: Vec<Rule>,
    /// Rules that take a matching entry out of every feed and the web
    /// page; they win over `keep`. Default none.
    pub drop: Vec<Rule>,
    /// Publish titles without the wire and site decorations that dedup
    /// strips for comparison (`(聚焦疫情防控)`, `BREAKING:`, ` - Reuters`);
    /// the title as the source wrote it stays in the item's metadata.
    /// Default true.
    pub clean_titles: bool,
    /// Publish bodies without the site's template paragraphs: lines its
    /// other pages carry too (footers, newsletter and promo boxes, credit
    /// and share lines) that extraction kept, as dedup leaves them out of
    /// the fingerprint (see `dedup::template`). A paragraph goes only once
    /// three of the site's stored pages had it (four for prose-length
    /// ones); table cells, code and every paragraph of a body stay, and the
    /// stored text keeps them all. Default true.
    pub cut_site_templates: bool,
    /// A WebSub hub (e.g. `https://pubsubhubbub.appspot.com/`): the feeds
    /// name it in `rel="hub"` links beside their `rel="self"` ones (which
    /// `base_url` makes, so it must be the address the hub can reach), and
    /// the daemon pings it (`hub.mode=publish`) for every feed that changed,
    /// retrying a failed ping after `fetch.backoff`, doubling up to
    /// `fetch.backoff_max`. Default none.
    pub websub_hub: Option<HubUrl>,
    /// Subscribe to the WebSub hubs that sources' feeds advertise, so new
    /// items are pushed to `<base_url>websub/<id>` as they are published;
    /// polling goes on as before. `base_url` must be an address the hubs
    /// can reach (a loopback one serves only hubs on this machine). A
    /// source opts out with `websub = false`. Default false.
    pub websub_subscribe: bool,
    /// `keep` and `drop` compiled, once per load.
    #[serde(skip)]
    pub filter: Filter,
}

/// An `http(s)` URL with a host: where WebSub pings go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubUrl(pub url::Url);

impl<'de> Deserialize<'de> for HubUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let url = url::Url::parse(&text)
            .map_err(|e| serde::de::Error::custom(format!("bad hub URL {text:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(serde::de::Error::custom(format!(
                "hub URL {text:?} must be http:// or https:// with a host"
            )));
        }
        Ok(HubUrl(url))
    }
}

/// `[group.NAME]`: one group feed's settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Group {
    /// Rules an entry must match (one of them) to appear in this group's
    /// feeds, besides `output.keep`. Default none.
    pub keep: Vec<Rule>,
    /// Rules that take a matching entry out of this group's feeds, besides
    /// `output.drop`. Default none.
    pub drop: Vec<Rule>,
    /// `keep` and `drop` compiled, once per load.
    #[serde(skip)]
    pub filter: Filter,
}

impl Default for Output {
    fn default() -> Self {
        Output {
            title: "feedfold".into(),
            base_url: parse_builtin("http://127.0.0.1:8080/"),
            items: NonZeroUsize::new(100).unwrap_or(NonZeroUsize::MIN),
            window: parse_builtin("7d"),
            refresh: parse_builtin("5s"),
            timezone: TimeZone::default(),
            keep: Vec::new(),
            drop: Vec::new(),
            clean_titles: true,
            cut_site_templates: true,
            websub_hub: None,
            websub_subscribe: false,
            filter: Filter::default(),
        }
    }
}

/// `[dedup]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dedup {
    /// Largest Hamming distance (of 64 bits) at which a stored entry is a
    /// candidate: the first stage of near-duplicate matching. Each candidate
    /// is then verified on the two texts' shingle sketches (`resemblance`,
    /// `containment`). 0 disables near-duplicate folding (same-URL folding
    /// remains). Default 18 (chosen on the development set; see README).
    pub distance: Distance,
    /// Share of shingles two texts must have in common (of all the shingles
    /// of either, 0 to 1) for a candidate to be the same story. Default 0.5.
    pub resemblance: Fraction,
    /// Share of the shorter text's shingles that must occur in the longer
    /// (0 to 1) for a candidate to be the same story: a teaser or a
    /// truncated copy of a longer one. Default 0.7. It decides over 12 or
    /// more sampled shingles, and under 32 only beside equal cleaned titles
    /// (a sentence or two, such as an editor's note, is carried by many
    /// stories). Equal cleaned titles lower both bars to 60% of themselves;
    /// two entries of one source need at least 0.8 and 0.95 (their pages
    /// share the site's chrome).
    pub containment: Fraction,
    /// Only stories this close in time are compared. Default `7d`.
    pub window: Duration,
    /// How a cluster's representative is chosen, rule by rule: `"priority"`
    /// (source priority, higher wins), `"longest"` (longest body), `"earliest"`.
    /// Default `["priority", "longest", "earliest"]`.
    pub representative: Vec<crate::dedup::RepresentativeRule>,
    /// Extra title lead-ins to strip before comparing, e.g. `"Eilmeldung:"`.
    pub title_prefixes: Vec<String>,
    /// Extra site names to strip when they end a title after ` - `, ` | `, `_`.
    pub title_sites: Vec<String>,
}

impl Default for Dedup {
    fn default() -> Self {
        use crate::dedup::RepresentativeRule as Rule;
        Dedup {
            distance: Distance(crate::dedup::DEFAULT_DISTANCE),
            resemblance: Fraction::permille(crate::dedup::DEFAULT_RESEMBLANCE),
            containment: Fraction::permille(crate::dedup::DEFAULT_CONTAINMENT),
            window: parse_builtin("7d"),
            representative: vec![Rule::Priority, Rule::Longest, Rule::Earliest],
            title_prefixes: Vec::new(),
            title_sites: Vec::new(),
        }
    }
}

/// `[events]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Events {
    /// Group stories whose write-ups report one event, shown as related
    /// coverage. Default `true`; `false` makes every story its own event
    /// everywhere.
    pub enabled: bool,
    /// Stories further apart in time never share an event. Default `72h`.
    pub window: Duration,
    /// Score two stories need to share an event: weighted term cosine plus a
    /// fifth of the title cosine, less 0.2 for two stories of one source,
    /// shrunk by up to a quarter across the window. From 0.1 to 1; default
    /// 0.37 (chosen on the development set, see README "Related coverage").
    pub threshold: Fraction,
}

/// Lowest `events.threshold` accepted: below it nearly any two stories that
/// share a few rare words would form an event.
pub const MIN_EVENT_THRESHOLD: u16 = 100;

impl Default for Events {
    fn default() -> Self {
        Events {
            enabled: true,
            window: parse_builtin("72h"),
            threshold: Fraction::permille(
                (crate::events::DEFAULT_THRESHOLD * 1000.0).round() as u16
            ),
        }
    }
}

impl Events {
    /// The grouping options these settings give.
    pub fn options(&self) -> crate::events::EventOptions {
        crate::events::EventOptions {
            enabled: self.enabled,
            window_secs: i64::try_from(self.window.0.as_secs()).unwrap_or(i64::MAX),
            threshold: f32::from(self.threshold.0) / 1000.0,
        }
    }

    /// What is wrong with these settings, if anything.
    fn problem(&self) -> Option<String> {
        if self.threshold.0 < MIN_EVENT_THRESHOLD {
            return Some(format!(
                "events.threshold must be at least {}: below it stories that share a few words would form events",
                f64::from(MIN_EVENT_THRESHOLD) / 1000.0
            ));
        }
        (self.window.0 < std::time::Duration::from_secs(3600))
            .then(|| "events.window must be at least 1h".to_owned())
    }
}

/// A Hamming distance between 0 and [`MAX_DISTANCE`] bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct Distance(pub u32);

/// The widest `dedup.distance` served. Two unrelated 64-bit fingerprints
/// are 32 ± 4 bits apart: within 24 bits fall 3% of random pairs, within 28
/// already 19%, so every lookup would return a large share of the window
/// (each candidate read from the database) and unrelated stories would fold.
pub const MAX_DISTANCE: u32 = 24;

impl TryFrom<i64> for Distance {
    type Error = String;

    fn try_from(v: i64) -> Result<Self, Self::Error> {
        u32::try_from(v)
            .ok()
            .filter(|d| *d <= MAX_DISTANCE)
            .map(Distance)
            .ok_or_else(|| {
                format!(
                    "distance must be between 0 and {MAX_DISTANCE} bits, not {v}: two unrelated \
                     fingerprints are 32 ± 4 bits apart, so past {MAX_DISTANCE} a large share of \
                     all stories (19% at 28) would match every lookup and fold together"
                )
            })
    }
}

/// A fraction from 0 to 1, kept in thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "f64")]
pub struct Fraction(pub u16);

impl Fraction {
    /// The fraction of `permille` thousandths.
    pub fn permille(permille: u16) -> Fraction {
        Fraction(permille.min(1000))
    }
}

impl TryFrom<f64> for Fraction {
    type Error = String;

    fn try_from(v: f64) -> Result<Self, Self::Error> {
        if (0.0..=1.0).contains(&v) {
            Ok(Fraction((v * 1000.0).round() as u16))
        } else {
            Err(format!("must be a fraction from 0 to 1, not {v}"))
        }
    }
}

/// From the command line: a number from 0 to 1.
impl std::str::FromStr for Fraction {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let v: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("must be a fraction from 0 to 1, not {text:?}"))?;
        Fraction::try_from(v)
    }
}

impl std::fmt::Display for Fraction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", f64::from(self.0) / 1000.0)
    }
}

/// What a source serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// An RSS, Atom or JSON feed.
    Feed,
    /// An HTML list page without a feed, read with `[source.page]` selectors.
    Page,
}

/// `[[source]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Unique name: the key everything else (database rows, logs) refers to.
    pub name: String,
    /// Where to fetch it: `http(s)://`, `file://`, or a path relative to the config file.
    pub url: Location,
    /// `"feed"` (default) or `"page"`.
    #[serde(default = "default_kind")]
    pub kind: SourceKind,
    /// Cron schedule overriding `daemon.schedule`.
    #[serde(default)]
    pub schedule: Option<CronExpr>,
    /// Groups this source belongs to.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Higher wins when choosing which copy of a story represents it. Default 0.
    #[serde(default)]
    pub priority: i64,
    /// Set to false to stop fetching without removing the source. Default true.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// `[source.page]`: selectors for `kind = "page"`.
    #[serde(default)]
    pub page: Option<PageRules>,
    /// Honour the site's robots.txt for HTML pages (feeds are exempt, as in
    /// browsers and feed readers). Default true.
    #[serde(default = "default_true")]
    pub robots: bool,
    /// Subscribe to the WebSub hub this source's feed advertises, when
    /// `output.websub_subscribe` is on. Default true.
    #[serde(default = "default_true")]
    pub websub: bool,
    /// Whole-request timeout for this source, overriding `fetch.timeout`.
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Connect timeout for this source, overriding `fetch.connect_timeout`.
    #[serde(default)]
    pub connect_timeout: Option<Duration>,
    /// Body cap for this source, overriding `fetch.max_body`.
    #[serde(default)]
    pub max_body: Option<ByteSize>,
    /// Redirect limit for this source, overriding `fetch.max_redirects`.
    #[serde(default)]
    pub max_redirects: Option<usize>,
    /// Fetch each entry's article page and store the story extracted from
    /// it: `true`, `false`, or `"auto"` (when the feed's text is short or a
    /// teaser; every entry of a `kind = "page"` source). Overrides
    /// `fetch.scrape`.
    #[serde(default)]
    pub scrape: Option<Scrape>,
    /// CSS selector of this site's article body; where it matches, it wins
    /// over the general extraction strategies. All matches are kept, in order.
    #[serde(default)]
    pub content_selector: Option<String>,
    /// CSS selectors of parts of this site's article pages to drop before
    /// extraction (ads, "read more" boxes, captions).
    #[serde(default)]
    pub remove_selectors: Vec<String>,
    /// Name shown to readers ("Also reported by", `/`, `/sources`,
    /// `status`, OPML). Default: the feed's own title once fetched, else
    /// `name`.
    #[serde(default)]
    pub title: Option<String>,
    /// Rules an entry must match (one of them) to be published and folded
    /// with other sources' copies. Entries that fail are still stored, so a
    /// changed rule applies to them too. Default none: all are kept.
    #[serde(default)]
    pub keep: Vec<Rule>,
    /// Rules that keep a matching entry out of every feed and out of other
    /// stories; they win over `keep`. Default none.
    #[serde(default)]
    pub drop: Vec<Rule>,
    /// `keep` and `drop` compiled, once per load.
    #[serde(skip)]
    pub filter: Filter,
    /// Request headers for this source's own site (its registrable
    /// domain): the feed, its article pages there, its robots.txt. Never
    /// sent to other sites its entries link to. Values are secrets.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, Secret>,
    /// User-Agent for every request of this source, overriding
    /// `daemon.user_agent`.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// HTTP basic-auth user for the source's own site; the password comes
    /// from `password_file` or `password_env` (none: an empty password).
    #[serde(default)]
    pub username: Option<String>,
    /// File holding the basic-auth password (its final line break is not
    /// part of it). Relative: in `$CREDENTIALS_DIRECTORY` under systemd's
    /// `LoadCredential=`, else next to the config file.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Environment variable holding the basic-auth password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// `Cookie` header for the source's own site, e.g. `"session=abc; lang=en"`.
    #[serde(default)]
    pub cookie: Option<Secret>,
    /// File holding the `Cookie` header (found like `password_file`).
    #[serde(default)]
    pub cookie_file: Option<PathBuf>,
    /// Proxy for every request of this source (`http://host:port`),
    /// overriding `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`.
    #[serde(default)]
    pub proxy: Option<ProxyUrl>,
    /// The password and cookie read from their files or variable at load.
    #[serde(skip)]
    pub credentials: Credentials,
}

/// A `cookie_file`'s text, which must fit in one header.
fn read_cookie_file(path: &Path) -> Result<Secret, String> {
    let cookie = secrets::read_secret_file(path).map_err(|e| format!("cookie_file {e}"))?;
    match reqwest::header::HeaderValue::from_str(cookie.expose()) {
        Ok(_) => Ok(cookie),
        Err(_) => Err(format!(
            "cookie_file {}: not a valid header value (control characters or several lines)",
            path.display()
        )),
    }
}

/// Headers feedfold sets itself: a source may not replace them.
const MANAGED_HEADERS: [&str; 8] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "if-none-match",
    "if-modified-since",
    "accept-encoding",
    "user-agent",
];

/// When to fetch an entry's article page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scrape {
    /// Always.
    Always,
    /// Never: the feed's own content is stored.
    Never,
    /// When the feed carries no more than a teaser.
    #[default]
    Auto,
}

impl<'de> Deserialize<'de> for Scrape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flag(bool),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Flag(true) => Ok(Scrape::Always),
            Raw::Flag(false) => Ok(Scrape::Never),
            Raw::Word(w) if w == "auto" => Ok(Scrape::Auto),
            Raw::Word(w) => Err(serde::de::Error::custom(format!(
                "scrape must be true, false or \"auto\", not {w:?}"
            ))),
        }
    }
}

impl Source {
    /// What is wrong with this source alone, if anything: an empty name,
    /// bad selectors, page rules that do not match its kind.
    fn problem(&self) -> Option<String> {
        let name = &self.name;
        if name.trim().is_empty() {
            return Some("source name must not be empty".into());
        }
        if let Some(page) = &self.page
            && let Some(message) = bad_selector(page)
        {
            return Some(format!("source {name:?}: {message}"));
        }
        if let Err(e) = self.site_rules() {
            return Some(format!("source {name:?}: {e}"));
        }
        if let Some(message) = self.request_problem() {
            return Some(format!("source {name:?}: {message}"));
        }
        match (self.kind, &self.page) {
            (SourceKind::Page, None) => Some(format!(
                "source {name:?} has kind = \"page\" but no [source.page] selectors"
            )),
            (SourceKind::Feed, Some(_)) => Some(format!(
                "source {name:?} has [source.page] selectors but kind = \"feed\""
            )),
            _ => None,
        }
    }

    /// What is wrong with the request settings as written (the files they
    /// name are read later, by [`Source::load_credentials`]).
    fn request_problem(&self) -> Option<String> {
        use reqwest::header::{HeaderName, HeaderValue};
        for (name, value) in &self.headers {
            let Ok(parsed) = HeaderName::from_bytes(name.as_bytes()) else {
                return Some(format!("headers: {name:?} is not a valid header name"));
            };
            if MANAGED_HEADERS.contains(&parsed.as_str()) {
                let hint = if parsed == reqwest::header::USER_AGENT {
                    " (use user_agent)"
                } else {
                    ""
                };
                return Some(format!("headers: {name} is set by feedfold itself{hint}"));
            }
            if HeaderValue::from_str(value.expose()).is_err() {
                // The value may be a secret: say what is wrong, not what it is.
                return Some(format!(
                    "headers: the value of {name} is not a valid header value (control characters or line breaks)"
                ));
            }
        }
        if let Some(agent) = &self.user_agent
            && HeaderValue::from_str(agent).is_err()
        {
            return Some(format!("user_agent {agent:?} is not a valid header value"));
        }
        if self
            .cookie
            .as_ref()
            .is_some_and(|c| HeaderValue::from_str(c.expose()).is_err())
        {
            return Some(
                "cookie is not a valid header value (control characters or line breaks)".into(),
            );
        }
        if self.password_file.is_some() && self.password_env.is_some() {
            return Some("password_file and password_env are both set; keep one".into());
        }
        if self.cookie.is_some() && self.cookie_file.is_some() {
            return Some("cookie and cookie_file are both set; keep one".into());
        }
        match &self.username {
            None if self.password_file.is_some() || self.password_env.is_some() => {
                Some("a password is set but no username".into())
            }
            Some(user) if user.contains(':') => Some(format!(
                "username {user:?} contains ':', which basic auth cannot carry"
            )),
            _ => None,
        }
    }

    /// Reads the password and cookie files (or variable) the source names,
    /// relative paths resolved by [`secrets::secret_path`]. A failure is
    /// kept in `credentials.problem`: the source fails, the others run.
    pub fn load_credentials(&mut self, base_dir: &Path) {
        let password = match (&self.password_file, &self.password_env) {
            (Some(file), _) => Some(
                secrets::read_secret_file(&secrets::secret_path(base_dir, file))
                    .map_err(|e| format!("password_file {e}")),
            ),
            (None, Some(variable)) => {
                Some(secrets::read_secret_env(variable).map_err(|e| format!("password_env: {e}")))
            }
            (None, None) => None,
        };
        let cookie = match &self.cookie_file {
            Some(file) => Some(read_cookie_file(&secrets::secret_path(base_dir, file))),
            None => self.cookie.clone().map(Ok),
        };
        let mut problems = Vec::new();
        let mut keep = |read: Option<Result<Secret, String>>| match read? {
            Ok(secret) => Some(secret),
            Err(problem) => {
                problems.push(problem);
                None
            }
        };
        let password = keep(password);
        let cookie = keep(cookie);
        let problem = (!problems.is_empty()).then(|| problems.join("; "));
        self.credentials = Credentials {
            password,
            cookie,
            problem,
        };
    }

    /// The source's `content_selector` and `remove_selectors`, checked.
    pub fn site_rules(&self) -> Result<crate::extract::SiteRules, crate::extract::RulesError> {
        crate::extract::SiteRules::new(self.content_selector.as_deref(), &self.remove_selectors)
    }

    /// When this source's article pages are scraped: its own setting, else
    /// `fetch.scrape`.
    pub fn scrape(&self, fetch: &Fetch) -> Scrape {
        self.scrape.unwrap_or(fetch.scrape)
    }

    /// The schedule this source runs on: its own, else the daemon default.
    pub fn schedule<'a>(&'a self, daemon: &'a Daemon) -> &'a CronExpr {
        self.schedule.as_ref().unwrap_or(&daemon.schedule)
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            error,
        })?;
        let base_dir = path.parent().map(Path::to_owned).unwrap_or_default();
        Config::parse(&text, path, &base_dir)
    }

    /// Parses and validates config text; `path` is only used in messages.
    /// On errors, all of them are returned, not only the first.
    pub fn parse(text: &str, path: &Path, base_dir: &Path) -> Result<Config, ConfigError> {
        let outcome = check::deserialize_all::<Config>(text);
        let mut problems: Vec<Problem> = outcome
            .problems
            .into_iter()
            .map(|(at, message)| Problem::at(text, at, message))
            .collect();
        let config = outcome.value;
        if let Some(config) = &config {
            problems.extend(config.semantic_errors(&outcome.text));
        }
        problems.sort_by_key(|p| (p.line, p.column));
        match config {
            Some(mut config) if problems.is_empty() => {
                config.base_dir = base_dir.to_owned();
                config.compile_filters();
                for source in &mut config.sources {
                    source.load_credentials(base_dir);
                }
                // Relative joins against "http://host/feedfold" would drop "feedfold".
                if !config.output.base_url.path().ends_with('/') {
                    let path = format!("{}/", config.output.base_url.path());
                    config.output.base_url.set_path(&path);
                }
                Ok(config)
            }
            _ => Err(ConfigError::Invalid {
                path: path.to_owned(),
                problems,
            }),
        }
    }

    /// Checks that span several values: unique names, page rules. Spans
    /// come from `text`, which the problems are located in.
    fn semantic_errors(&self, text: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.daemon.lease.0 < std::time::Duration::from_secs(3) {
            problems.push(Problem::at(
                text,
                0,
                "daemon.lease must be at least 3s".into(),
            ));
        }
        if self.output.refresh.0 < std::time::Duration::from_millis(100) {
            let message = "output.refresh must be at least 100ms".into();
            problems.push(Problem::at(text, 0, message));
        }
        problems.extend(self.bad_rules(text));
        if let Some(message) = self.events.problem() {
            let at = text.find("[events]").unwrap_or(0);
            problems.push(Problem::at(text, at, message));
        }
        if self.daemon.keep.0 < self.output.window.0 {
            // Pointing at `keep` when it is written, else at `window`, which
            // then grew past the default.
            let at = KeepSpans::find(text);
            let message = format!(
                "daemon.keep ({}) must be at least output.window ({}): stories still in the feed would be deleted",
                self.daemon.keep, self.output.window
            );
            problems.push(Problem::at(text, at, message));
        }
        let spans = SourceSpans::find(text);
        let start_of = |i: usize| spans.get(i).map_or(0, |s| s.name.span().start);
        let mut seen = HashMap::new();
        for (i, source) in self.sources.iter().enumerate() {
            if let Some(first) = seen.insert(source.name.as_str(), i) {
                let (line, _) = line_column(text, start_of(first));
                let message = format!(
                    "duplicate source name {:?} (first used on line {line})",
                    source.name
                );
                problems.push(Problem::at(text, start_of(i), message));
            }
            if let Some(message) = source.problem() {
                problems.push(Problem::at(text, start_of(i), message));
            }
        }
        problems
    }

    /// Every `keep`/`drop` rule whose regex does not compile, located at
    /// the rule and naming its scope.
    fn bad_rules(&self, text: &str) -> Vec<Problem> {
        let mut scopes: Vec<(String, &[Rule], &[Rule])> = Vec::new();
        scopes.push(("output".into(), &self.output.keep, &self.output.drop));
        for (name, group) in &self.groups {
            scopes.push((format!("group {name:?}"), &group.keep, &group.drop));
        }
        for source in &self.sources {
            let scope = format!("source {:?}", source.name);
            scopes.push((scope, &source.keep, &source.drop));
        }
        let mut problems = Vec::new();
        for (scope, keep, drop) in scopes {
            let kinds = [("keep", keep), ("drop", drop)];
            for (kind, rule) in kinds
                .iter()
                .flat_map(|(k, rs)| rs.iter().map(move |r| (k, r)))
            {
                if let Some(e) = rule.error() {
                    let message = format!("{scope}: {kind} rule: {e}");
                    problems.push(Problem::at(text, rule.span.start, message));
                }
            }
        }
        problems
    }

    /// Compiles every scope's `keep` and `drop` rules.
    pub fn compile_filters(&mut self) {
        self.output.filter = Filter::new(&self.output.keep, &self.output.drop);
        for group in self.groups.values_mut() {
            group.filter = Filter::new(&group.keep, &group.drop);
        }
        for source in &mut self.sources {
            source.filter = Filter::new(&source.keep, &source.drop);
        }
    }

    /// Every enabled source's password or cookie that could not be read,
    /// located at the key that names it (`check` reports them as errors;
    /// the daemon logs them and runs the other sources).
    pub fn credential_problems(&self, text: &str) -> Vec<Problem> {
        let spans = SourceSpans::find(text);
        self.sources
            .iter()
            .enumerate()
            .filter(|(_, s)| s.enabled)
            .filter_map(|(i, source)| {
                let problem = source.credentials.problem.as_ref()?;
                let message = format!("source {:?}: {problem}", source.name);
                let at = spans.get(i).map_or(0, NameSpan::secret_start);
                Some(Problem::at(text, at, message))
            })
            .collect()
    }

    /// The source named `name`, if the config has it.
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// Things that are allowed but probably wrong, each `line:col`: a
    /// `file://` or relative source path that does not exist (yet), a
    /// `[group.NAME]` table no source belongs to.
    pub fn warnings(&self, text: &str) -> Vec<Problem> {
        let spans = SourceSpans::find(text);
        let mut warnings = Vec::new();
        for name in self.groups.keys() {
            if !self.sources.iter().any(|s| s.groups.contains(name)) {
                let at = text.find(&format!("[group.{name}]")).unwrap_or(0);
                let message =
                    format!("warning: [group.{name}]: no source has {name:?} in its groups");
                warnings.push(Problem::at(text, at, message));
            }
        }
        if let Some(warning) = self.hub_warning(text) {
            warnings.push(warning);
        }
        if let Some(warning) = self.subscribe_warning(text) {
            warnings.push(warning);
        }
        for (i, source) in self.sources.iter().enumerate() {
            let Ok(url) = self.source_url(source) else {
                continue;
            };
            let Ok(file) = url.to_file_path() else {
                continue;
            };
            if url.scheme() == "file" && !file.exists() {
                let at = spans
                    .get(i)
                    .and_then(|s| s.url.as_ref())
                    .map_or(0, |u| u.span().start);
                let message = format!(
                    "warning: source {:?}: {} does not exist; fetching it fails until it does",
                    source.name,
                    file.display()
                );
                warnings.push(Problem::at(text, at, message));
            }
        }
        warnings
    }

    /// A hub cannot fetch feeds whose self links point at this machine's
    /// loopback address (the default `output.base_url`).
    fn hub_warning(&self, text: &str) -> Option<Problem> {
        self.output.websub_hub.as_ref()?;
        let base = &self.output.base_url;
        if !is_loopback(base) {
            return None;
        }
        let at = text.find("websub_hub").unwrap_or(0);
        let message = format!(
            "warning: output.websub_hub is set but output.base_url is {base}: the hub fetches the feeds from there, so set base_url to the server's public address"
        );
        Some(Problem::at(text, at, message))
    }

    /// Hubs elsewhere cannot call back to a loopback `output.base_url`.
    fn subscribe_warning(&self, text: &str) -> Option<Problem> {
        let base = &self.output.base_url;
        if !self.output.websub_subscribe || !is_loopback(base) {
            return None;
        }
        let at = text.find("websub_subscribe").unwrap_or(0);
        let message = format!(
            "warning: output.websub_subscribe is on but output.base_url is {base}: hubs call back there, so only hubs on this machine can be subscribed to; set base_url to the server's public address"
        );
        Some(Problem::at(text, at, message))
    }

    /// The database URL with a relative SQLite path resolved against the
    /// service's state directory when systemd gives one (`StateDirectory=`
    /// sets `$STATE_DIRECTORY`), else against the config file's folder.
    pub fn database_url(&self) -> String {
        // systemd lists several directories separated by ':'; ours is the first.
        let state = std::env::var("STATE_DIRECTORY")
            .ok()
            .and_then(|dirs| dirs.split(':').next().map(PathBuf::from))
            .filter(|d| !d.as_os_str().is_empty());
        resolve_database_url(
            &self.daemon.database,
            state.as_deref().unwrap_or(&self.base_dir),
        )
    }

    /// The URL a source is fetched from, with relative paths made `file://` URLs.
    pub fn source_url(&self, source: &Source) -> Result<url::Url, String> {
        match &source.url {
            Location::Url(url) => Ok(url.clone()),
            Location::Path(path) => {
                let full = self.base_dir.join(path);
                let full =
                    std::path::absolute(&full).map_err(|e| format!("{}: {e}", full.display()))?;
                url::Url::from_file_path(&full)
                    .map_err(|()| format!("{} is not a usable file path", full.display()))
            }
        }
    }

    /// Enabled sources only.
    pub fn enabled_sources(&self) -> impl Iterator<Item = &Source> {
        self.sources.iter().filter(|s| s.enabled)
    }
}

/// The first `[source.page]` selector that is not valid CSS, as a message.
fn bad_selector(page: &PageRules) -> Option<String> {
    let link = page
        .link
        .rsplit_once('@')
        .map_or(page.link.as_str(), |(css, _)| css);
    let selectors = [
        Some(page.item.as_str()),
        Some(link),
        page.title.as_deref(),
        page.date.as_deref(),
    ];
    selectors
        .into_iter()
        .flatten()
        .filter(|css| !css.is_empty())
        .find_map(|css| {
            scraper::Selector::parse(css).err().map(|e| {
                // scraper's text for some errors spans lines; a problem is one line.
                let reason = e.to_string().replace('\n', ": ");
                format!("bad CSS selector {css:?}: {reason}")
            })
        })
}

/// Makes `sqlite://relative.db` relative to `base_dir`; other URLs pass unchanged.
fn resolve_database_url(url: &str, base_dir: &Path) -> String {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return url.to_owned();
    };
    let (file, query) = rest
        .split_once('?')
        .map_or((rest, None), |(f, q)| (f, Some(q)));
    if file.is_empty() || file == ":memory:" || Path::new(file).is_absolute() {
        return url.to_owned();
    }
    let full = base_dir.join(file);
    let full = std::path::absolute(&full).unwrap_or(full);
    match query {
        Some(q) => format!("sqlite://{}?{q}", full.display()),
        None => format!("sqlite://{}", full.display()),
    }
}

/// Where `daemon.keep` (else `output.window`) is written, read in a
/// lenient second pass like [`SourceSpans`]; 0 when neither is.
#[derive(Deserialize)]
struct KeepSpans {
    #[serde(default)]
    daemon: Option<KeepSpan>,
    #[serde(default)]
    output: Option<WindowSpan>,
}

#[derive(Deserialize)]
struct KeepSpan {
    #[serde(default)]
    keep: Option<toml::Spanned<toml::Value>>,
}

#[derive(Deserialize)]
struct WindowSpan {
    #[serde(default)]
    window: Option<toml::Spanned<toml::Value>>,
}

impl KeepSpans {
    fn find(text: &str) -> usize {
        let Ok(spans) = toml::from_str::<KeepSpans>(text) else {
            return 0;
        };
        let keep = spans.daemon.and_then(|d| d.keep);
        let window = spans.output.and_then(|o| o.window);
        keep.or(window).map_or(0, |v| v.span().start)
    }
}

/// Spans of `[[source]]` names, read in a second, lenient pass: only needed to
/// point at the right line when a check across sources fails.
#[derive(Deserialize)]
struct SourceSpans {
    #[serde(default)]
    source: Vec<NameSpan>,
}

#[derive(Deserialize)]
struct NameSpan {
    name: toml::Spanned<String>,
    #[serde(default)]
    url: Option<toml::Spanned<String>>,
    #[serde(default)]
    password_file: Option<toml::Spanned<toml::Value>>,
    #[serde(default)]
    password_env: Option<toml::Spanned<toml::Value>>,
    #[serde(default)]
    cookie_file: Option<toml::Spanned<toml::Value>>,
}

impl NameSpan {
    /// Where the source's secret is named: its password's key, else its
    /// cookie file's, else its name.
    fn secret_start(&self) -> usize {
        [&self.password_file, &self.password_env, &self.cookie_file]
            .into_iter()
            .flatten()
            .next()
            .map_or(self.name.span().start, |v| v.span().start)
    }
}

impl SourceSpans {
    fn find(text: &str) -> Vec<NameSpan> {
        toml::from_str::<SourceSpans>(text)
            .map(|s| s.source)
            .unwrap_or_default()
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Parses a default written in this file; a failure is a bug caught by the tests.
fn parse_builtin<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    // Cannot fail on a user's input: every caller passes a string literal
    // of this file, and `defaults_are_valid` parses each one.
    #[allow(clippy::expect_used)]
    s.parse().expect("built-in default must parse")
}

fn default_kind() -> SourceKind {
    SourceKind::Feed
}

/// Whether `url` points at this machine only (loopback, unspecified, or
/// `localhost`), where no hub elsewhere can reach it.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        None => true,
    }
}

fn default_true() -> bool {
    true
}

#[cfg(test)]
mod tests {
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
    fn events_settings_parse_and_are_checked() {
        let d = parse("").unwrap().events;
        assert!(d.enabled);
        assert_eq!(d.window.0.as_secs(), 72 * 3600);
        assert_eq!(d.options(), crate::events::EventOptions::default());
        let c = parse("[events]\nenabled = false\nwindow = \"24h\"\nthreshold = 0.5\n").unwrap();
        let o = c.events.options();
        assert!(!o.enabled);
        assert_eq!(o.window_secs, 86_400);
        assert!((o.threshold - 0.5).abs() < 1e-6);
        let e = error_of("[events]\nthreshold = 0.05\n");
        assert!(
            e.contains(":1:1: events.threshold must be at least 0.1"),
            "{e}"
        );
        let e = error_of("\n[events]\nwindow = \"10m\"\n");
        assert!(e.contains(":2:1: events.window must be at least 1h"), "{e}");
        assert!(error_of("[events]\nthreshold = 2\n").contains("fraction"));
        assert!(error_of("[events]\nspeed = 1\n").contains("speed"));
    }

    #[test]
    fn keep_shorter_than_the_window_is_an_error_at_keep() {
        let e = error_of("[output]\nwindow = \"7d\"\n\n[daemon]\nkeep = \"3d\"\n");
        assert!(
            e.contains(":5:8: daemon.keep (3d) must be at least output.window (7d)"),
            "{e}"
        );
        // Without `keep`, a window past the 90-day default is what is wrong.
        let e = error_of("[output]\nwindow = \"100d\"\n");
        assert!(
            e.contains(":2:10: daemon.keep (90d) must be at least output.window (100d)"),
            "{e}"
        );
        let ok = parse("[daemon]\nkeep = \"7d\"\n[output]\nwindow = \"7d\"\n").unwrap();
        assert_eq!(ok.daemon.keep.0.as_secs(), 7 * 86_400);
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
    fn distances_past_what_is_served_are_refused_with_the_reason() {
        assert_eq!(
            parse("[dedup]\ndistance = 24\n").unwrap().dedup.distance,
            Distance(24)
        );
        for wide in [25, 28, 31] {
            let e = error_of(&format!("[dedup]\nwindow = \"7d\"\ndistance = {wide}\n"));
            assert!(e.starts_with("feedfold.toml:3:12: "), "{e}");
            assert!(
                e.contains("between 0 and 24") && e.contains("unrelated"),
                "{e}"
            );
        }
    }

    #[test]
    fn verification_bars_are_fractions() {
        let d = parse("[dedup]\nresemblance = 0.35\ncontainment = 1\n")
            .unwrap()
            .dedup;
        assert_eq!(
            (d.resemblance, d.containment),
            (Fraction(350), Fraction(1000))
        );
        let d = parse("").unwrap().dedup;
        assert_eq!(
            (d.resemblance, d.containment),
            (Fraction(500), Fraction(700))
        );
        assert_eq!("0.35".parse(), Ok(Fraction(350)));
        assert_eq!(Fraction(700).to_string(), "0.7");
        assert!("x".parse::<Fraction>().is_err() && "-0.1".parse::<Fraction>().is_err());
        let e = error_of("[dedup]\nresemblance = 1.5\n");
        assert!(
            e.starts_with("feedfold.toml:2:15: ") && e.contains("from 0 to 1"),
            "{e}"
        );
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
        let text = "[[source]]\nname = \"a\"\nurl = \"a.xml\"\n\n[[source]]\nname = \"a\"\nurl = \"b.xml\"\n";
        let e = error_of(text);
        assert_eq!(
            e,
            "feedfold.toml:6:8: duplicate source name \"a\" (first used on line 2)"
        );
    }

    #[test]
    fn page_sources_need_selectors() {
        let e =
            error_of("[[source]]\nname = \"p\"\nurl = \"https://example.org/\"\nkind = \"page\"\n");
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
    fn filters_parse_at_every_scope_and_compile() {
        let config = parse(
            "[output]\ndrop = [\"title:(?-i)AD\"]\nclean_titles = false\n\
             [group.zh]\nkeep = [\"疫情\"]\n\
             [[source]]\nname = \"a\"\nurl = \"a.xml\"\ngroups = [\"zh\"]\ntitle = \"A 报\"\n\
             keep = [\"strike\", \"category:world\"]\ndrop = [\"link:/sport/\"]\n",
        )
        .unwrap();
        assert!(!config.output.clean_titles);
        assert!(!config.output.filter.is_empty());
        assert!(!config.groups["zh"].filter.is_empty());
        let a = config.source("a").unwrap();
        assert_eq!(a.title.as_deref(), Some("A 报"));
        assert_eq!(a.keep.len(), 2);
        assert!(!a.filter.is_empty());
        assert!(parse("").unwrap().output.clean_titles);
    }

    #[test]
    fn a_bad_regex_names_its_scope_line_and_column() {
        let text = "[output]\ndrop = [\"ok\", \"(中文\"]\n\n[group.g]\nkeep = [\"[z-a]\"]\n\n\
                    [[source]]\nname = \"hn\"\nurl = \"a.xml\"\ndrop = [\"title:*x\"]\n";
        let e = error_of(text);
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines.len(), 3, "{e}");
        assert!(
            lines[0].starts_with(
                "feedfold.toml:2:15: output: drop rule: bad regular expression \"(中文\": "
            ),
            "{e}"
        );
        assert!(
            lines[1].starts_with(
                "feedfold.toml:5:9: group \"g\": keep rule: bad regular expression \"[z-a]\""
            ),
            "{e}"
        );
        assert!(
            lines[2].starts_with(
                "feedfold.toml:10:9: source \"hn\": drop rule: bad regular expression \"title:*x\""
            ),
            "{e}"
        );
        let e = error_of("[group.g]\nkeep = \"x\"\n");
        assert!(e.starts_with("feedfold.toml:2:8: "), "{e}");
    }

    #[test]
    fn a_group_table_no_source_has_is_a_warning() {
        let text = "[group.world]\ndrop = [\"x\"]\n[[source]]\nname = \"a\"\nurl = \"https://example.org/\"\ngroups = [\"zh\"]\n";
        let warnings = warnings_of(text);
        assert_eq!(
            warnings,
            ["1:1: warning: [group.world]: no source has \"world\" in its groups"]
        );
    }

    #[test]
    fn request_settings_are_checked_without_showing_secrets() {
        let source = |extra: &str| {
            format!("[[source]]\nname = \"s\"\nurl = \"https://example.org/\"\n{extra}\n")
        };
        for (extra, wanted) in [
            (
                "username = \"u\"\npassword_file = \"a\"\npassword_env = \"B\"",
                "keep one",
            ),
            ("password_env = \"B\"", "no username"),
            ("username = \"a:b\"", "contains ':'"),
            ("cookie = \"a\"\ncookie_file = \"c\"", "keep one"),
            (
                "headers = { \"Bad Name\" = \"x\" }",
                "not a valid header name",
            ),
            (
                "headers = { If-None-Match = \"x\" }",
                "set by feedfold itself",
            ),
            ("headers = { User-Agent = \"x\" }", "(use user_agent)"),
            (
                "headers = { X-Key = \"top\\nsecret\" }",
                "not a valid header value",
            ),
            ("proxy = \"socks5://p:1080\"", "unsupported proxy scheme"),
        ] {
            let e = error_of(&source(extra));
            assert!(e.contains(wanted), "{extra}: {e}");
            assert!(!e.contains("secret"), "{e}");
        }
        let ok = parse(&source(
            "username = \"u\"\npassword_env = \"FEEDFOLD_TEST_UNSET_VARIABLE\"\ncookie = \"k=v\"",
        ))
        .unwrap();
        let s = &ok.sources[0];
        assert_eq!(
            s.credentials.cookie.as_ref().map(Secret::expose),
            Some("k=v")
        );
        let problem = s.credentials.problem.as_deref().unwrap();
        assert_eq!(
            problem,
            "password_env: environment variable FEEDFOLD_TEST_UNSET_VARIABLE is not set"
        );
    }

    /// What `check` warns about `text`, as printed.
    fn warnings_of(text: &str) -> Vec<String> {
        let config = parse(text).unwrap();
        config
            .warnings(text)
            .iter()
            .map(|w| w.to_string())
            .collect()
    }

    #[test]
    fn a_hub_needs_a_public_base_url() {
        let text = "[output]\nwebsub_hub = \"https://hub.example.org/\"\n";
        let warnings = warnings_of(text);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("2:1: warning: output.websub_hub is set but output.base_url is http://127.0.0.1:8080/"),
            "{warnings:?}"
        );
        let public = format!("{text}base_url = \"https://news.example.org/\"\n");
        assert!(warnings_of(&public).is_empty());
        let e = error_of("[output]\nwebsub_hub = \"ftp://hub.example.org/\"\n");
        assert!(e.starts_with("feedfold.toml:2:14: hub URL"), "{e}");
    }

    #[test]
    fn subscribing_warns_about_a_loopback_base_url() {
        let text = "[output]\nwebsub_subscribe = true\n";
        let warnings = warnings_of(text);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("2:1: warning: output.websub_subscribe is on but output.base_url is http://127.0.0.1:8080/"),
            "{warnings:?}"
        );
        let public = format!("{text}base_url = \"https://news.example.org/\"\n");
        assert!(warnings_of(&public).is_empty());
        let off = "[output]\nwebsub_subscribe = false\n";
        assert!(parse(off).unwrap().warnings(off).is_empty());
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
}
