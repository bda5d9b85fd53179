//! Canonical article URLs: two links that differ only in tracking decoration
//! point at one story.

use url::Url;

/// Query parameters that only track where a click came from.
const TRACKING_PARAMS: &[&str] = &["fbclid", "gclid", "mc_cid", "mc_eid", "igshid", "spm"];

/// The canonical form of an article URL: scheme and host lower-cased, default
/// port, fragment and `utm_*` (and other click-tracking) parameters removed.
/// `None` for strings that are not absolute URLs.
pub fn canonical_url(raw: &str) -> Option<String> {
    // `Url` lower-cases scheme and host and drops default ports itself.
    let mut url = Url::parse(raw.trim()).ok()?;
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else if url.query_pairs().count() != kept.len() {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(url.into())
}

fn is_tracking(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("utm_") || TRACKING_PARAMS.contains(&key.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_and_case_do_not_make_a_new_story() {
        let a =
            canonical_url("HTTPS://News.Example.org:443/2026/a?utm_source=rss&utm_medium=feed#top");
        let b = canonical_url("https://news.example.org/2026/a");
        assert_eq!(a, b);
        assert_eq!(a.as_deref(), Some("https://news.example.org/2026/a"));
    }

    #[test]
    fn meaningful_parameters_and_path_case_are_kept() {
        assert_eq!(
            canonical_url("https://example.org/a?id=7&utm_campaign=x").as_deref(),
            Some("https://example.org/a?id=7")
        );
        assert_eq!(
            canonical_url("https://example.org/A?id=7").as_deref(),
            Some("https://example.org/A?id=7")
        );
        assert_ne!(
            canonical_url("https://example.org/a?id=7"),
            canonical_url("https://example.org/a?id=8")
        );
    }

    #[test]
    fn canonicalisation_is_idempotent_and_rejects_relative_urls() {
        for raw in [
            "https://EXAMPLE.org/x?b=2&a=1&utm_x=3#f",
            "http://example.org",
            "https://例子.example/新闻?q=中文",
        ] {
            let once = canonical_url(raw).unwrap();
            assert_eq!(canonical_url(&once).as_deref(), Some(once.as_str()));
        }
        assert_eq!(canonical_url("/relative/path"), None);
    }
}
