//! Allowlist sanitising of HTML that feedfold stores or republishes.

/// Allowlist-sanitises HTML from a feed and makes its links absolute against
/// the article's URL.
pub fn sanitize(html: &str, base: Option<&str>) -> String {
    let base = base.and_then(|b| url::Url::parse(b).ok());
    let mut builder = ammonia::Builder::default();
    builder.link_rel(Some("noopener noreferrer nofollow"));
    match base {
        Some(base) => builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base)),
        None => builder.url_relative(ammonia::UrlRelative::Deny),
    };
    builder.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_bad_urls_go_links_become_absolute() {
        let out = sanitize(
            "<p onclick='x()'>a <a href='/b'>b</a><script>alert(1)</script><a href='javascript:evil()'>c</a><iframe src='//x'></iframe></p>",
            Some("https://example.org/news/1"),
        );
        assert!(
            !out.contains("onclick")
                && !out.contains("script")
                && !out.contains("javascript")
                && !out.contains("iframe"),
            "{out}"
        );
        assert!(out.contains("href=\"https://example.org/b\""), "{out}");
        assert!(!sanitize("<a href='/b'>b</a>", None).contains("href"));
    }
}
