//! What response headers say about when to come back: `Cache-Control:
//! max-age` / `Expires` (how long the document stays fresh) and
//! `Retry-After` (how long a 429 or 503 asks us to stay away).

use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap};

/// How long the response stays fresh, from `Cache-Control: max-age` (minus
/// `Age`) or else `Expires` (relative to `Date`, or to `now` without one).
/// `None` when the response says nothing or must be revalidated every time.
pub fn fresh_for(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let cache_control = header_str(headers, header::CACHE_CONTROL);
    if let Some(value) = cache_control {
        let directives: Vec<(String, Option<&str>)> = value
            .split(',')
            .map(|d| {
                let (name, arg) = d.split_once('=').map_or((d, None), |(n, a)| (n, Some(a)));
                (name.trim().to_ascii_lowercase(), arg.map(str::trim))
            })
            .collect();
        if directives
            .iter()
            .any(|(n, _)| n == "no-cache" || n == "no-store")
        {
            return None;
        }
        let max_age = directives
            .iter()
            .find(|(n, _)| n == "max-age")
            .and_then(|(_, a)| a.and_then(|a| a.trim_matches('"').parse::<u64>().ok()));
        if let Some(max_age) = max_age {
            let age = header_str(headers, header::AGE)
                .and_then(|a| a.trim().parse::<u64>().ok())
                .unwrap_or(0);
            return Some(Duration::from_secs(max_age.saturating_sub(age))).filter(|d| !d.is_zero());
        }
    }
    let expires = httpdate::parse_http_date(header_str(headers, header::EXPIRES)?).ok()?;
    let date = header_str(headers, header::DATE)
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or(now);
    expires.duration_since(date).ok().filter(|d| !d.is_zero())
}

/// The wait a `Retry-After` header asks for: delta-seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = header_str(headers, header::RETRY_AFTER)?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    // A date in the past means "now".
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name)?.to_str().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn max_age_minus_age_wins_over_expires() {
        let now = SystemTime::now();
        let h = headers(&[
            ("cache-control", "public, max-age=600"),
            ("age", "100"),
            ("expires", "Thu, 01 Jan 2099 00:00:00 GMT"),
        ]);
        assert_eq!(fresh_for(&h, now), Some(Duration::from_secs(500)));
        let h = headers(&[("cache-control", "max-age=60, no-cache")]);
        assert_eq!(fresh_for(&h, now), None);
        assert_eq!(fresh_for(&headers(&[]), now), None);
    }

    #[test]
    fn expires_counts_from_the_date_header() {
        let h = headers(&[
            ("date", "Sat, 28 Nov 2026 10:00:00 GMT"),
            ("expires", "Sat, 28 Nov 2026 10:15:00 GMT"),
        ]);
        assert_eq!(
            fresh_for(&h, SystemTime::now()),
            Some(Duration::from_secs(900))
        );
        let h = headers(&[("expires", "0")]);
        assert_eq!(fresh_for(&h, SystemTime::now()), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = httpdate::parse_http_date("Sat, 28 Nov 2026 10:00:00 GMT").unwrap();
        let h = headers(&[("retry-after", "120")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        let h = headers(&[("retry-after", "Sat, 28 Nov 2026 11:00:00 GMT")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(3600)));
        let h = headers(&[("retry-after", "Sat, 28 Nov 2026 09:00:00 GMT")]);
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        let h = headers(&[("retry-after", "soon")]);
        assert_eq!(retry_after(&h, now), None);
    }
}
