//! Dates as pages and feeds write them, read into UTC instants: RFC 3339
//! and RFC 2822, numeric year-first forms (`2026-11-28`, `2026/11/28 14:05`,
//! `2026.11.28`), Chinese (`2026年11月28日 14时05分`) and English
//! (`Nov 28, 2026`, `28 November 2026`). A date that names no zone is read
//! in the zone the caller gives (see [`super::zone`]).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// Reads a date written on a page or in a feed: RFC 3339, RFC 2822, numeric
/// year-first forms, Chinese and English ones. `offset` (seconds east of
/// UTC) is the zone of a date that names none; see [`super::zone`].
pub fn parse_local_date(text: &str, offset: i64) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) =
        DateTime::parse_from_rfc3339(text).or_else(|_| DateTime::parse_from_rfc2822(text))
    {
        return Some(t.to_utc());
    }
    let (local, zone) = split_zone(text);
    let naive = numeric_date(local).or_else(|| english_date(local))?;
    Some(naive.and_utc() - chrono::TimeDelta::seconds(zone.unwrap_or(offset)))
}

/// Splits a trailing zone (`+08:00`, `+0800`, `-05:00`, `Z`, `UTC`, `GMT`)
/// off a date, as seconds east of UTC. A zone counts only right after a
/// time, so the dashes of `2026-11-28` are not taken for one.
fn split_zone(text: &str) -> (&str, Option<i64>) {
    let after_time = |head: &str| {
        head.rfind(':').is_some_and(|colon| {
            head[colon + 1..]
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c.is_whitespace())
        })
    };
    for name in ["Z", "UTC", "GMT"] {
        let cut = text.len().saturating_sub(name.len());
        if text.is_char_boundary(cut)
            && text[cut..].eq_ignore_ascii_case(name)
            && after_time(&text[..cut])
        {
            return (text[..cut].trim_end(), Some(0));
        }
    }
    let Some(at) = text.rfind(['+', '-']) else {
        return (text, None);
    };
    let zone = &text[at + 1..];
    if !after_time(&text[..at]) || !zone.chars().all(|c| c.is_ascii_digit() || c == ':') {
        return (text, None);
    }
    let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
    let (h, m) = match digits.len() {
        4 => (&digits[..2], &digits[2..]),
        2 => (&digits[..], "0"),
        _ => return (text, None),
    };
    let (Ok(h), Ok(m)) = (h.parse::<i64>(), m.parse::<i64>()) else {
        return (text, None);
    };
    if h > 14 || m > 59 {
        return (text, None);
    }
    let sign = if text[at..].starts_with('-') { -1 } else { 1 };
    (text[..at].trim_end(), Some(sign * (h * 3600 + m * 60)))
}

/// `2026-11-28`, `2026/11/28 14:05`, `2026年11月28日 14时05分`, `2026.11.28`.
fn numeric_date(text: &str) -> Option<NaiveDateTime> {
    let numbers: Vec<u32> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    let [year, month, day, rest @ ..] = numbers.as_slice() else {
        return None;
    };
    if !(1990..=2100).contains(year) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(*year as i32, *month, *day)?;
    let time = match rest {
        [h, m, s, ..] => NaiveTime::from_hms_opt(*h, *m, *s)?,
        [h, m] => NaiveTime::from_hms_opt(*h, *m, 0)?,
        _ => NaiveTime::MIN,
    };
    Some(date.and_time(time))
}

/// `Nov 28, 2026`, `November 28, 2026`, `28 Nov 2026`.
fn english_date(text: &str) -> Option<NaiveDateTime> {
    let cleaned = text.replace(',', " ");
    let words = cleaned
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    ["%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(&words, f).ok())
        .map(|d| d.and_time(NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_several_forms() {
        assert!(parse_local_date("2026-11-28", 0).is_some());
        assert!(parse_local_date("2026/11/28 08:30:15", 0).is_some());
        assert!(parse_local_date("28 November 2026", 0).is_some());
        assert!(parse_local_date("Sat, 28 Nov 2026 10:00:00 +0800", 0).is_some());
        assert!(parse_local_date("2026-13-45", 0).is_none());
        assert_eq!(
            parse_local_date("2026-11-28 14:05 +0800", 0)
                .unwrap()
                .to_rfc3339(),
            "2026-11-28T06:05:00+00:00"
        );
        assert_eq!(
            parse_local_date("2026/11/28 14:05:30 +08:00", 0)
                .unwrap()
                .to_rfc3339(),
            "2026-11-28T06:05:30+00:00"
        );
        assert!(parse_local_date("yesterday", 0).is_none());
        // The dashes of a date are no zone, not even after a time.
        assert_eq!(split_zone("2026-11-08"), ("2026-11-08", None));
        assert_eq!(split_zone("14:05 2026-11-08"), ("14:05 2026-11-08", None));
    }

    #[test]
    fn zones_west_of_utc_and_named_utc_and_the_default_offset() {
        assert_eq!(
            parse_local_date("2026-11-28 14:05:00 -0500", 0)
                .unwrap()
                .to_rfc3339(),
            "2026-11-28T19:05:00+00:00"
        );
        assert_eq!(
            parse_local_date("2026-11-28 14:05 UTC", 0)
                .unwrap()
                .to_rfc3339(),
            "2026-11-28T14:05:00+00:00"
        );
        let china = 8 * 3600;
        assert_eq!(
            parse_local_date("2026年11月28日 14:05", china)
                .unwrap()
                .to_rfc3339(),
            "2026-11-28T06:05:00+00:00"
        );
        assert_eq!(
            parse_local_date("2026-11-28 14:05 +0000", china)
                .unwrap()
                .to_rfc3339(),
            "2026-11-28T14:05:00+00:00"
        );
        assert_eq!(
            parse_local_date("2026-11-28", china).unwrap().to_rfc3339(),
            "2026-11-27T16:00:00+00:00"
        );
    }
}
