//! The SSRF guard: feedfold fetches URLs that strangers wrote (feed links,
//! redirects), so by default it refuses to connect anywhere that is not the
//! public internet. The check runs on the address actually connected to — our
//! DNS resolver filters what it returns — and on IP-literal URLs, which never
//! reach a resolver, before every hop.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Which addresses may be connected to.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allow: Arc<Vec<IpNet>>,
}

impl AddressPolicy {
    /// Public addresses plus the `allow`ed networks.
    pub fn new(allow: Vec<IpNet>) -> AddressPolicy {
        AddressPolicy {
            allow: Arc::new(allow),
        }
    }

    /// Why `ip` may not be connected to, or `None` if it may.
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        if self.allow.iter().any(|net| net.contains(&ip)) {
            return None;
        }
        special_range(ip)
    }

    /// Refuses an IP-literal URL that points at a non-public address. Host
    /// names are checked when they resolve.
    pub fn check_url(&self, url: &Url) -> Result<(), String> {
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        match self.refusal(ip) {
            Some(why) => Err(refused(&ip.to_string(), ip, why)),
            None => Ok(()),
        }
    }

    /// For a request a proxy makes on our behalf: resolves `url`'s host
    /// and refuses it when any address is refused (the proxy may pick any
    /// of them) or none can be found (nothing to vet). The proxy resolves
    /// the name again itself, so a DNS answer that changes in between is
    /// not seen here.
    pub async fn check_resolved(&self, url: &Url) -> Result<(), String> {
        self.check_url(url)?;
        let Some(Host::Domain(host)) = url.host() else {
            return Ok(());
        };
        let port = url.port_or_known_default().unwrap_or(0);
        let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("cannot resolve {host} to check it before asking the proxy: {e}"))?
            .collect();
        if found.is_empty() {
            return Err(format!("{host} has no addresses"));
        }
        for addr in found {
            if let Some(why) = self.refusal(addr.ip()) {
                return Err(refused(host, addr.ip(), why));
            }
        }
        Ok(())
    }
}

fn refused(host: &str, ip: IpAddr, why: &str) -> String {
    let resolved = if host == ip.to_string() {
        String::new()
    } else {
        format!(" ({ip})")
    };
    format!("refusing to connect to {host}{resolved}: {why} address (see fetch.allow_networks)")
}

/// The resolver's error when every address of a name is refused; the
/// fetcher finds it in reqwest's error chain to report a refusal, not a
/// connection failure.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(String);

/// The kind of special-purpose range `ip` is in, if any.
fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => {
            // ::ffff:10.0.0.1 reaches 10.0.0.1; so do the deprecated
            // IPv4-compatible and the NAT64 well-known forms.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return special_v4(v4).or(Some("IPv4-mapped"));
            }
            special_v6(v6)
        }
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() || a == 0 => "unspecified",
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_private() => "private",
        _ if ip.is_link_local() => "link-local",
        (100, 64..=127, _) => "shared (CGNAT)",
        (192, 0, 0) => "IETF protocol",
        // Deprecated (RFC 7526): whoever answers the anycast is a stranger's relay.
        (192, 88, 99) => "6to4 relay anycast",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        _ if ip.is_multicast() => "multicast",
        _ if a >= 240 => "reserved",
        _ => return None,
    })
}

/// IANA's IPv6 special-purpose registry, the ranges not globally reachable
/// (and the tunnels whose far end a URL cannot show).
fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    Some(match segments {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_multicast() => "multicast",
        [s, ..] if s & 0xfe00 == 0xfc00 => "unique-local",
        [s, ..] if s & 0xffc0 == 0xfe80 => "link-local",
        [s, ..] if s & 0xffc0 == 0xfec0 => "site-local",
        [0x2001, 0x0db8, ..] => "documentation",
        [0x3fff, s, ..] if s < 0x1000 => "documentation",
        // Teredo tunnels to an (obfuscated) IPv4 address we cannot vet.
        [0x2001, 0, ..] => "Teredo",
        [0x2001, s, ..] if s < 0x0200 => "IETF protocol",
        [0x0064, 0xff9b, 0, 0, 0, 0, _, _] => return special_v4(nat64_v4(ip)),
        // Local-use (64:ff9b:1::/48) and unassigned: translated by someone's own gateway.
        [0x0064, 0xff9b, ..] => "local NAT64",
        [0x0100, 0, 0, 0, ..] => "discard-only",
        [0x5f00, ..] => "SRv6 segment identifier",
        [0, 0, 0, 0, 0, 0, _, _] => "IPv4-compatible",
        [0, 0, 0, 0, 0xffff, 0, _, _] => "IPv4-translated",
        [0x2002, ..] => return special_v4(sixtofour_v4(ip)),
        _ => return None,
    })
}

/// The IPv4 address in a NAT64 well-known-prefix address (64:ff9b::/96).
fn nat64_v4(ip: Ipv6Addr) -> Ipv4Addr {
    let o = ip.octets();
    Ipv4Addr::new(o[12], o[13], o[14], o[15])
}

/// The IPv4 address inside a 6to4 address (2002:AABB:CCDD::/48).
fn sixtofour_v4(ip: Ipv6Addr) -> Ipv4Addr {
    let o = ip.octets();
    Ipv4Addr::new(o[2], o[3], o[4], o[5])
}

/// A DNS resolver that drops addresses the policy refuses, so a name that
/// resolves to 127.0.0.1 (or to a mix including it) never connects there.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    policy: AddressPolicy,
}

impl GuardedResolver {
    /// A system resolver filtered by `policy`.
    pub fn new(policy: AddressPolicy) -> GuardedResolver {
        GuardedResolver { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refusal = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match policy.refusal(addr.ip()) {
                    Some(why) => {
                        refusal.get_or_insert_with(|| refused(&host, addr.ip(), why));
                        false
                    }
                    None => true,
                })
                .collect();
            match (allowed.is_empty(), refusal) {
                (true, Some(message)) => Err(Box::new(Refusal(message)) as _),
                (true, None) => Err(format!("{host} has no addresses").into()),
                (false, _) => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ip: &str) -> bool {
        AddressPolicy::default()
            .refusal(ip.parse().unwrap())
            .is_some()
    }

    #[test]
    fn special_addresses_are_refused_and_public_ones_pass() {
        for ip in [
            "127.0.0.1",
            "127.1.2.3",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:8.8.8.8",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            // 6to4 relay anycast, Teredo and the rest of 2001::/23.
            "192.88.99.1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:2::1",
            "2001:10::1",
            // 6to4 and NAT64 around private, link-local, CGNAT addresses.
            "2002:c0a8:101::1",
            "2002:a9fe:a9fe::",
            "2002:6440:1::",
            "64:ff9b::192.168.1.1",
            "64:ff9b::169.254.169.254",
            "64:ff9b:1::8.8.8.8",
            "::127.0.0.1",
            "::8.8.8.8",
            "::ffff:0:10.0.0.1",
            "::ffff:0:8.8.8.8",
            "100::1",
            "3fff::1",
            "5f00::1",
            "ff02::1",
            "fec0::1",
            // IPv4 special-purpose ranges.
            "100.127.255.255",
            "198.18.0.1",
            "198.19.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.1",
            "240.0.0.1",
            "239.255.255.250",
        ] {
            assert!(refused(ip), "{ip} should be refused");
        }
        for ip in [
            "8.8.8.8",
            "93.184.216.34",
            "2606:4700::1111",
            "1.1.1.1",
            "192.88.98.1",
            "192.88.100.1",
            "100.128.0.1",
            "198.20.0.1",
            "2001:200::1",
            "2002:808:808::1",
            "64:ff9b::808:808",
            "3fff:1000::1",
        ] {
            assert!(!refused(ip), "{ip} should pass");
        }
    }

    #[test]
    fn the_allowlist_opens_exactly_its_networks() {
        let policy = AddressPolicy::new(vec!["127.0.0.1/32".parse().unwrap()]);
        assert_eq!(policy.refusal("127.0.0.1".parse().unwrap()), None);
        assert_eq!(
            policy.refusal("127.0.0.2".parse().unwrap()),
            Some("loopback")
        );
        let url = Url::parse("http://[::1]:8080/feed").unwrap();
        assert!(policy.check_url(&url).unwrap_err().contains("loopback"));
        let url = Url::parse("http://169.254.169.254/latest/meta-data/").unwrap();
        assert!(policy.check_url(&url).unwrap_err().contains("link-local"));
        assert!(
            policy
                .check_url(&Url::parse("http://127.0.0.1:9/").unwrap())
                .is_ok()
        );
    }

    #[tokio::test]
    async fn targets_behind_a_proxy_are_vetted_by_their_addresses() {
        let policy = AddressPolicy::new(vec!["127.0.0.1/32".parse().unwrap()]);
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(
            policy
                .check_resolved(&url("http://127.0.0.1:9/"))
                .await
                .is_ok()
        );
        let e = policy
            .check_resolved(&url("http://169.254.169.254/"))
            .await
            .unwrap_err();
        assert!(e.contains("link-local"), "{e}");
        let e = AddressPolicy::default()
            .check_resolved(&url("http://localhost:9/"))
            .await
            .unwrap_err();
        assert!(e.contains("loopback"), "{e}");
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused() {
        let resolver = GuardedResolver::new(AddressPolicy::default());
        let name: Name = "localhost".parse().unwrap();
        let error = match resolver.resolve(name).await {
            Ok(_) => panic!("localhost must not resolve through the guard"),
            Err(e) => e.to_string(),
        };
        assert!(error.contains("loopback"), "{error}");
    }
}
