//! Value types written as strings in the config file: durations, sizes, cron
//! expressions, source URLs. Each validates itself while deserialising, so the
//! TOML parser reports a bad value with the line and column it came from.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds};
use serde::de::{self, Deserialize, Deserializer};

/// A duration written as `"90s"`, `"15m"`, `"24h"`, `"7d"` (also `ms`, `w`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub std::time::Duration);

impl FromStr for Duration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (number, unit) = split_number(s)?;
        let millis_per_unit: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "" => return Err(format!("duration {s:?} needs a unit: ms, s, m, h, d or w")),
            other => {
                return Err(format!(
                    "unknown duration unit {other:?} in {s:?} (use ms, s, m, h, d or w)"
                ));
            }
        };
        number
            .checked_mul(millis_per_unit)
            .map(|ms| Duration(std::time::Duration::from_millis(ms)))
            .ok_or_else(|| format!("duration {s:?} is too large"))
    }
}

/// The largest whole unit that says it exactly: `7d`, `90s`, `250ms`.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
        match units
            .iter()
            .find(|(n, _)| secs > 0 && secs.is_multiple_of(*n))
        {
            Some((n, unit)) if self.0.subsec_millis() == 0 => write!(f, "{}{unit}", secs / n),
            _ => write!(f, "{}ms", self.0.as_millis()),
        }
    }
}

/// An IP network written as a CIDR (`"10.0.0.0/8"`, `"fd00::/8"`) or a single
/// address (`"127.0.0.1"`, meaning just that address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network(pub ipnet::IpNet);

impl FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(net) = s.parse::<ipnet::IpNet>() {
            return Ok(Network(net));
        }
        s.parse::<std::net::IpAddr>()
            .map(|ip| Network(ipnet::IpNet::from(ip)))
            .map_err(|_| format!("{s:?} is not an IP network such as \"10.0.0.0/8\" or an address"))
    }
}

/// A time zone by its IANA name (`"Asia/Shanghai"`, `"Europe/Berlin"`,
/// `"UTC"`): how times are shown to people. Stored times stay UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl FromStr for TimeZone {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| {
                format!(
                    "unknown time zone {s:?}: use an IANA name such as \"Asia/Shanghai\" or \"UTC\""
                )
            })
    }
}

/// UTC, the zone feeds are written in.
impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(chrono_tz::UTC)
    }
}

impl TimeZone {
    /// `t` as people read it in this zone: `2026-11-28 22:05 CST`.
    pub fn show(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.0)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }
}

/// A byte size written as `"512KiB"`, `"15MiB"`, `"1GiB"`, `"2MB"` or a plain number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (number, unit) = split_number(s)?;
        let factor: u64 = match unit.to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" => 1_000,
            "kib" | "k" => 1 << 10,
            "mb" => 1_000_000,
            "mib" | "m" => 1 << 20,
            "gb" => 1_000_000_000,
            "gib" | "g" => 1 << 30,
            _ => {
                return Err(format!(
                    "unknown size unit {unit:?} in {s:?} (use B, KiB, MiB, GiB, kB, MB or GB)"
                ));
            }
        };
        number
            .checked_mul(factor)
            .map(ByteSize)
            .ok_or_else(|| format!("size {s:?} is too large"))
    }
}

/// Splits `"15MiB"` into `(15, "MiB")`.
fn split_number(s: &str) -> Result<(u64, &str), String> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if digits == 0 {
        return Err(format!(
            "{s:?} must start with a whole number, e.g. \"30s\" or \"15MiB\""
        ));
    }
    let number = s[..digits]
        .parse::<u64>()
        .map_err(|e| format!("{s:?}: {e}"))?;
    Ok((number, s[digits..].trim()))
}

/// A cron expression: standard 5-field crontab syntax, or 6 fields with seconds
/// first. Evaluated in UTC.
#[derive(Clone)]
pub struct CronExpr {
    text: String,
    cron: croner::Cron,
}

impl CronExpr {
    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first time strictly after `after` that the expression matches, if any.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }

    /// The latest time at or before `at` that the expression matches, if any.
    pub fn last_at_or_before(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_previous_occurrence(&at, true).ok()
    }
}

impl FromStr for CronExpr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check_cron_fields(s).map_err(|e| format!("bad cron expression {s:?}: {e}"))?;
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(s.trim())
            .map_err(|e| format!("bad cron expression {s:?}: {e}"))?;
        // An expression that parses but never fires (e.g. 30 February) would stall
        // the source silently; refuse it up front.
        if cron.find_next_occurrence(&Utc::now(), false).is_err() {
            return Err(format!("cron expression {s:?} never fires"));
        }
        Ok(CronExpr {
            text: s.trim().to_owned(),
            cron,
        })
    }
}

/// The fields of a crontab line: name, smallest and largest value.
const CRON_FIELDS: [(&str, u32, u32); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 7),
];

/// Field count and numeric ranges, checked before croner so the message
/// names the field ("minute field: 61 is out of range 0–59"); names (`MON`),
/// `L`, `W` and `#` are left to croner.
fn check_cron_fields(s: &str) -> Result<(), String> {
    let fields: Vec<&str> = s.split_whitespace().collect();
    let names: Vec<(&str, u32, u32)> = match fields.len() {
        5 => CRON_FIELDS.to_vec(),
        6 => std::iter::once(("second", 0, 59))
            .chain(CRON_FIELDS)
            .collect(),
        n => {
            return Err(format!(
                "{n} fields; give 5 (minute hour day-of-month month day-of-week) \
                 or 6 (second first)"
            ));
        }
    };
    for (field, (name, low, high)) in fields.iter().zip(names) {
        check_cron_field(field, low, high).map_err(|e| format!("{name} field: {e}"))?;
    }
    Ok(())
}

/// One field: comma-separated `*`, `N`, `N-M`, each with an optional `/STEP`.
fn check_cron_field(field: &str, low: u32, high: u32) -> Result<(), String> {
    for part in field.split(',') {
        let (range, step) = part
            .split_once('/')
            .map_or((part, None), |(r, s)| (r, Some(s)));
        if let Some(step) = step
            && step.parse::<u32>().map_or(true, |n| n == 0)
        {
            return Err(format!("step {step:?} must be a whole number from 1"));
        }
        for value in range.split('-') {
            // Only plain numbers are ours to judge; the rest is croner's.
            let Ok(n) = value.parse::<u32>() else {
                if value.is_empty() {
                    return Err(format!("{part:?} is missing a value"));
                }
                continue;
            };
            if !(low..=high).contains(&n) {
                return Err(format!("{n} is out of range {low}–{high}"));
            }
        }
    }
    Ok(())
}

impl fmt::Debug for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronExpr({:?})", self.text)
    }
}

impl PartialEq for CronExpr {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// Where a source lives, as written: an `http(s)://` or `file://` URL, or a path
/// relative to the config file. Resolved against the config file's folder by
/// [`crate::config::Config::load`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An absolute URL with a supported scheme.
    Url(url::Url),
    /// A filesystem path, relative to the config file's folder unless absolute.
    Path(String),
}

impl FromStr for Location {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match url::Url::parse(s) {
            Ok(url) => match url.scheme() {
                "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => {
                    Ok(Location::Url(url))
                }
                "http" | "https" => Err(format!("URL {s:?} has no host")),
                "file" => Ok(Location::Url(url)),
                other => Err(format!(
                    "unsupported URL scheme {other:?} in {s:?} (use http, https, file or a path)"
                )),
            },
            Err(url::ParseError::RelativeUrlWithoutBase) if !s.trim().is_empty() => {
                Ok(Location::Path(s.to_owned()))
            }
            Err(e) => Err(format!("bad URL {s:?}: {e}")),
        }
    }
}

/// Deserialises any `FromStr` type from a TOML string, keeping its error text.
macro_rules! deserialize_from_str {
    ($($ty:ty),*) => {$(
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(de::Error::custom)
            }
        }
    )*};
}

deserialize_from_str!(Duration, ByteSize, CronExpr, Location, Network, TimeZone);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!("90s".parse::<Duration>().unwrap().0.as_secs(), 90);
        assert_eq!("15m".parse::<Duration>().unwrap().0.as_secs(), 900);
        assert_eq!("7d".parse::<Duration>().unwrap().0.as_secs(), 7 * 86_400);
        assert_eq!("250ms".parse::<Duration>().unwrap().0.as_millis(), 250);
        assert!("15".parse::<Duration>().is_err());
        assert!("m15".parse::<Duration>().is_err());
        assert!("15 fortnights".parse::<Duration>().is_err());
        assert!("99999999999999999999d".parse::<Duration>().is_err());
    }

    #[test]
    fn sizes_parse_binary_and_decimal_units() {
        assert_eq!("15MiB".parse::<ByteSize>().unwrap().0, 15 << 20);
        assert_eq!("512KiB".parse::<ByteSize>().unwrap().0, 512 << 10);
        assert_eq!("2MB".parse::<ByteSize>().unwrap().0, 2_000_000);
        assert_eq!("1024".parse::<ByteSize>().unwrap().0, 1024);
        assert!("12 parsecs".parse::<ByteSize>().is_err());
    }

    #[test]
    fn cron_accepts_five_and_six_fields_and_rejects_nonsense() {
        let five: CronExpr = "*/30 * * * *".parse().unwrap();
        let t = DateTime::parse_from_rfc3339("2026-11-28T10:07:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            five.next_after(t).unwrap().to_rfc3339(),
            "2026-11-28T10:30:00+00:00"
        );
        let six: CronExpr = "15 0 * * * *".parse().unwrap();
        assert_eq!(
            six.next_after(t).unwrap().to_rfc3339(),
            "2026-11-28T11:00:15+00:00"
        );
        // Sunday is 0 in crontab syntax.
        let sunday: CronExpr = "0 6 * * 0".parse().unwrap();
        assert_eq!(
            sunday.next_after(t).unwrap().to_rfc3339(),
            "2026-11-29T06:00:00+00:00"
        );
        let five_again: CronExpr = "0 9 * * MON-FRI".parse().unwrap();
        assert_eq!(five_again.as_str(), "0 9 * * MON-FRI");
        assert!("61 * * * *".parse::<CronExpr>().is_err());
        assert!("every hour".parse::<CronExpr>().is_err());
        assert!("0 0 30 2 *".parse::<CronExpr>().is_err());
    }

    #[test]
    fn time_zones_are_iana_names_and_show_local_time() {
        let t = DateTime::parse_from_rfc3339("2026-11-28T14:05:00Z")
            .unwrap()
            .to_utc();
        let shanghai: TimeZone = "Asia/Shanghai".parse().unwrap();
        assert_eq!(shanghai.show(t), "2026-11-28 22:05 CST");
        let utc: TimeZone = "UTC".parse().unwrap();
        assert_eq!(utc.show(t), "2026-11-28 14:05 UTC");
        let berlin: TimeZone = "Europe/Berlin".parse().unwrap();
        assert_eq!(berlin.show(t), "2026-11-28 15:05 CET");
        let e = "Mars/Olympus".parse::<TimeZone>().unwrap_err();
        assert!(e.contains("unknown time zone \"Mars/Olympus\""), "{e}");
    }

    #[test]
    fn cron_errors_name_the_field() {
        let error = |s: &str| s.parse::<CronExpr>().unwrap_err();
        assert_eq!(
            error("61 * * * *"),
            "bad cron expression \"61 * * * *\": minute field: 61 is out of range 0–59"
        );
        assert!(error("0 24 * * *").ends_with("hour field: 24 is out of range 0–23"));
        assert!(error("0 0 0 * *").ends_with("day-of-month field: 0 is out of range 1–31"));
        assert!(error("0 0 * 13 *").ends_with("month field: 13 is out of range 1–12"));
        assert!(error("0 0 * * 1-9").ends_with("day-of-week field: 9 is out of range 0–7"));
        assert!(error("60 0 * * * *").ends_with("second field: 60 is out of range 0–59"));
        assert!(error("*/0 * * * *").contains("minute field: step"));
        assert!(error("* * * *").contains("4 fields; give 5"));
        assert!(error("0 0 0 * * * *").contains("7 fields; give 5"));
    }

    #[test]
    fn locations_are_urls_or_paths() {
        assert!(matches!(
            "https://example.org/feed".parse(),
            Ok(Location::Url(_))
        ));
        assert!(matches!(
            "file:///tmp/feed.xml".parse(),
            Ok(Location::Url(_))
        ));
        assert_eq!(
            "demo/a.xml".parse::<Location>(),
            Ok(Location::Path("demo/a.xml".into()))
        );
        assert!("ftp://example.org/feed".parse::<Location>().is_err());
        assert!("http://exa mple.org/".parse::<Location>().is_err());
        assert!("".parse::<Location>().is_err());
    }
}
