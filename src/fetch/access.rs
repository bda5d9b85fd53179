//! What a source's requests carry and which way they go: its User-Agent,
//! the headers, basic auth and cookie meant for its own site, and the proxy
//! (its own, else `HTTPS_PROXY`/`HTTP_PROXY` unless `NO_PROXY` says no).
//!
//! Credentials go only to the source's own site, its registrable domain
//! (`feeds.example.com` and `www.example.com` are one site): never to the
//! other sites its entries link to, nor across a redirect that leaves it,
//! since a feed's links are written by strangers.

use std::sync::Arc;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::politeness::domain_key;
use super::{FetchError, Limits};
use crate::config::{Config, ProxyUrl, Secret, Source};

/// Everything one request needs besides its URL: limits and access.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Timeouts, body cap, redirect limit.
    pub limits: Limits,
    /// Headers, credentials and proxy.
    pub access: Arc<Access>,
}

impl Profile {
    /// `limits` with nothing added to the requests.
    pub fn plain(limits: Limits) -> Profile {
        Profile {
            limits,
            access: Arc::default(),
        }
    }

    /// The profile of `source`: its limits over `[fetch]`'s, its headers,
    /// credentials and proxy. Fails when its password or cookie could not
    /// be read at load.
    pub fn for_source(config: &Config, source: &Source) -> Result<Profile, FetchError> {
        Ok(Profile {
            limits: Limits::for_source(config, source),
            access: Arc::new(Access::for_source(config, source)?),
        })
    }

    /// The same profile under other limits.
    pub fn with_limits(&self, limits: Limits) -> Profile {
        Profile {
            limits,
            access: self.access.clone(),
        }
    }
}

/// A source's headers, credentials and proxy.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Overrides the client's User-Agent on every request.
    user_agent: Option<HeaderValue>,
    /// The source's site (see [`domain_key`]); `None` sends nothing extra.
    site: Option<String>,
    /// Headers for the site only, secrets marked sensitive.
    site_headers: HeaderMap,
    /// Basic auth for the site only.
    basic_auth: Option<(String, Secret)>,
    /// The source's own proxy, over the environment's.
    proxy: Option<ProxyUrl>,
}

impl Access {
    /// The access settings `source` asks for.
    pub fn for_source(config: &Config, source: &Source) -> Result<Access, FetchError> {
        if let Some(problem) = &source.credentials.problem {
            return Err(FetchError::Credentials(problem.clone()));
        }
        let site = config.source_url(source).ok().map(|u| domain_key(&u));
        let mut site_headers = HeaderMap::new();
        for (name, value) in &source.headers {
            // The config check refused bad names and values already.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value.expose()),
            ) {
                site_headers.insert(name, sensitive(value));
            }
        }
        if let Some(cookie) = &source.credentials.cookie
            && let Ok(value) = HeaderValue::from_str(cookie.expose())
        {
            site_headers.insert(header::COOKIE, sensitive(value));
        }
        let basic_auth = source.username.as_ref().map(|user| {
            let password = source.credentials.password.clone().unwrap_or_default();
            (user.clone(), password)
        });
        Ok(Access {
            user_agent: source
                .user_agent
                .as_deref()
                .and_then(|ua| HeaderValue::from_str(ua).ok()),
            site,
            site_headers,
            basic_auth,
            proxy: source.proxy.clone(),
        })
    }

    /// The source's own proxy, if it has one.
    pub fn proxy(&self) -> Option<&ProxyUrl> {
        self.proxy.as_ref()
    }

    /// Adds what a request to `url` carries to `request`.
    pub(super) fn apply(
        &self,
        url: &Url,
        mut request: reqwest::RequestBuilder,
    ) -> reqwest::RequestBuilder {
        if let Some(agent) = &self.user_agent {
            request = request.header(header::USER_AGENT, agent.clone());
        }
        if !self.is_own_site(url) {
            return request;
        }
        request = request.headers(self.site_headers.clone());
        if let Some((user, password)) = &self.basic_auth {
            request = request.basic_auth(user, Some(password.expose()));
        }
        request
    }

    /// A digest of everything a request to `url` carries beside the URL
    /// (User-Agent, and on the source's own site its headers, cookie and
    /// basic auth) and of the way it goes (proxy): two profiles with the
    /// same key get the same answer from the site. Secrets go into the
    /// digest only, never into a key anyone can read back.
    pub fn request_key(&self, url: &Url) -> u128 {
        let mut bytes: Vec<u8> = Vec::new();
        let mut field = |part: &[u8]| {
            bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
            bytes.extend_from_slice(part);
        };
        field(self.user_agent.as_ref().map_or(b"", |v| v.as_bytes()));
        field(
            self.proxy
                .as_ref()
                .map_or("", |p| p.expose().as_str())
                .as_bytes(),
        );
        if self.is_own_site(url) {
            let mut headers: Vec<(&str, &[u8])> = self
                .site_headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes()))
                .collect();
            headers.sort_unstable();
            for (name, value) in headers {
                field(name.as_bytes());
                field(value);
            }
            if let Some((user, password)) = &self.basic_auth {
                field(b"basic");
                field(user.as_bytes());
                field(password.expose().as_bytes());
            }
        }
        xxhash_rust::xxh3::xxh3_128(&bytes)
    }

    /// Whether `url` is on the source's site, where its credentials go.
    pub fn is_own_site(&self, url: &Url) -> bool {
        self.site
            .as_deref()
            .is_some_and(|site| domain_key(url) == site)
    }
}

fn sensitive(mut value: HeaderValue) -> HeaderValue {
    value.set_sensitive(true);
    value
}

/// `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` (lowercase names first, as
/// curl reads them), read once when the fetcher is made.
#[derive(Debug, Clone, Default)]
pub struct EnvProxies {
    http: Option<ProxyUrl>,
    https: Option<ProxyUrl>,
    no_proxy: Vec<String>,
}

impl EnvProxies {
    /// The proxies the process environment names; a value that is not a
    /// usable proxy URL is ignored with a warning.
    pub fn from_env() -> EnvProxies {
        let var = |names: [&str; 2]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        let proxy = |names: [&str; 2]| {
            let text = var(names)?;
            match text.trim().parse::<ProxyUrl>() {
                Ok(url) => Some(url),
                Err(e) => {
                    tracing::warn!("{}: {e}; requests go direct", names[1]);
                    None
                }
            }
        };
        EnvProxies {
            http: proxy(["http_proxy", "HTTP_PROXY"]),
            https: proxy(["https_proxy", "HTTPS_PROXY"]),
            no_proxy: var(["no_proxy", "NO_PROXY"])
                .map(|v| parse_no_proxy(&v))
                .unwrap_or_default(),
        }
    }

    /// Proxies given directly (for tests and embedding).
    pub fn new(http: Option<ProxyUrl>, https: Option<ProxyUrl>, no_proxy: &str) -> EnvProxies {
        EnvProxies {
            http,
            https,
            no_proxy: parse_no_proxy(no_proxy),
        }
    }

    /// The proxy for `url`, unless `NO_PROXY` exempts its host.
    pub fn for_url(&self, url: &Url) -> Option<&ProxyUrl> {
        let proxy = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        }?;
        (!self.exempts(url)).then_some(proxy)
    }

    /// `NO_PROXY` as curl reads it: `*` for every host; a name for itself
    /// and its subdomains (a leading dot changes nothing); an address or
    /// CIDR block for the addresses in it; `host:port` for that port only.
    fn exempts(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let port = url.port_or_known_default();
        self.no_proxy.iter().any(|entry| {
            if entry == "*" {
                return true;
            }
            let (pattern, wanted_port) = split_port(entry);
            if wanted_port.is_some_and(|p| Some(p) != port) {
                return false;
            }
            if let (Ok(net), Ok(ip)) = (
                pattern.parse::<ipnet::IpNet>(),
                host.parse::<std::net::IpAddr>(),
            ) {
                return net.contains(&ip);
            }
            if let (Ok(a), Ok(b)) = (
                pattern.parse::<std::net::IpAddr>(),
                host.parse::<std::net::IpAddr>(),
            ) {
                return a == b;
            }
            let name = pattern.trim_start_matches('.');
            host == name || host.ends_with(&format!(".{name}"))
        })
    }
}

/// `NO_PROXY`'s comma- (or space-) separated entries, lower-cased.
fn parse_no_proxy(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(|e| e.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .collect()
}

/// `host:port` → (`host`, port); IPv6 addresses and CIDRs keep their colons.
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once("]:") {
            Some((ip, port)) => (ip, port.parse().ok()),
            None => (rest.trim_end_matches(']'), None),
        };
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(port) => (host, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn no_proxy_matches_names_subdomains_addresses_and_ports() {
        let proxy = Some("http://proxy:3128".parse::<ProxyUrl>().unwrap());
        let env = EnvProxies::new(
            proxy.clone(),
            None,
            "example.org, .corp.test,10.0.0.0/8, 192.0.2.7 ,::1,intra:8080",
        );
        for exempt in [
            "http://example.org/",
            "http://www.example.org/feed",
            "http://a.corp.test/",
            "http://corp.test/",
            "http://10.1.2.3/",
            "http://192.0.2.7:81/",
            "http://[::1]/",
            "http://intra:8080/",
        ] {
            assert_eq!(env.for_url(&url(exempt)), None, "{exempt}");
        }
        for proxied in [
            "http://notexample.org/",
            "http://example.org.evil.test/",
            "http://11.0.0.1/",
            "http://intra/",
        ] {
            assert_eq!(env.for_url(&url(proxied)), proxy.as_ref(), "{proxied}");
        }
        // No HTTPS proxy set: HTTPS goes direct.
        assert_eq!(env.for_url(&url("https://elsewhere.test/")), None);
        let all = EnvProxies::new(proxy, None, "*");
        assert_eq!(all.for_url(&url("http://elsewhere.test/")), None);
    }

    #[test]
    fn credentials_go_to_the_sources_own_site_only() {
        let text = "[[source]]\nname = \"a\"\nurl = \"https://feeds.example.com/rss\"\n\
                    username = \"me\"\ncookie = \"s=1\"\nuser_agent = \"Mine/1\"\n\
                    headers = { X-Key = \"k\" }\nproxy = \"http://u:pxpass@proxy.example:3128\"\n";
        let config = Config::parse(
            text,
            std::path::Path::new("f.toml"),
            std::path::Path::new("/"),
        )
        .unwrap();
        let access = Access::for_source(&config, &config.sources[0]).unwrap();
        let client = reqwest::Client::new();
        let headers = |target: &str| {
            let target = url(target);
            access
                .apply(&target, client.get(target.clone()))
                .build()
                .unwrap()
                .headers()
                .clone()
        };
        let own = headers("https://www.example.com/story");
        assert_eq!(own["x-key"], "k");
        assert_eq!(own["cookie"], "s=1");
        assert!(own.contains_key("authorization"));
        assert_eq!(own["user-agent"], "Mine/1");
        let other = headers("https://tracker.example.net/story");
        assert!(!other.contains_key("x-key"));
        assert!(!other.contains_key("cookie"));
        assert!(!other.contains_key("authorization"));
        assert_eq!(other["user-agent"], "Mine/1");
        // Debug output never shows the values.
        let shown = format!("{access:?} {:?}", config.sources[0]);
        assert!(
            !shown.contains("s=1") && !shown.contains("\"k\""),
            "{shown}"
        );
        assert!(
            !shown.contains("pxpass") && shown.contains("proxy.example"),
            "{shown}"
        );
        let env = EnvProxies::new(config.sources[0].proxy.clone(), None, "");
        assert!(!format!("{env:?}").contains("pxpass"));
    }
}
