//! The zone of times written without one, in seconds east of UTC, from
//! what a document says about where it comes from: its host's country, its
//! declared language, or the script it is written in. Feeds, list pages and
//! articles all ask here, so one story's copies get one instant.

use super::script::cjk_share;

/// China's offset, for hosts under .cn (and .hk, .mo and .tw, which share
/// it) and documents in Chinese.
pub const CHINA: i64 = 8 * 3600;
/// Japan's offset, for documents in Japanese.
pub const JAPAN: i64 = 9 * 3600;

/// The zone of dates that name none, where the host's country tells it
/// (.cn, .hk, .mo, .tw).
pub fn host_zone(base_url: &str) -> Option<i64> {
    let host = url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))?;
    [".cn", ".hk", ".mo", ".tw"]
        .iter()
        .any(|t| host.ends_with(t))
        .then_some(CHINA)
}

/// The zone of dates that name none, where a declared language tells it.
pub fn language_zone(language: &str) -> Option<i64> {
    let language = language.to_ascii_lowercase();
    if language.starts_with("zh") {
        Some(CHINA)
    } else if language.starts_with("ja") {
        Some(JAPAN)
    } else {
        None
    }
}

/// The zone of times an HTML page writes without one: the host's country,
/// the declared language, else China's for a page mostly in CJK
/// characters; `None` when nothing tells.
pub fn page_zone(url: Option<&str>, lang: Option<&str>, html: &str) -> Option<i64> {
    url.and_then(host_zone)
        .or_else(|| lang.and_then(language_zone))
        .or_else(|| (cjk_share(html) > 0.3).then_some(CHINA))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_languages_and_scripts_tell_the_zone() {
        assert_eq!(host_zone("https://news.example.cn/a"), Some(CHINA));
        assert_eq!(host_zone("https://example.org/a"), None);
        assert_eq!(host_zone("not a url"), None);
        assert_eq!(language_zone("zh-CN"), Some(CHINA));
        assert_eq!(language_zone("JA"), Some(JAPAN));
        assert_eq!(language_zone("en"), None);
        let chinese = "<p>温州市疫情防控工作新闻发布会</p>";
        assert_eq!(page_zone(None, None, chinese), Some(CHINA));
        assert_eq!(page_zone(None, Some("ja"), chinese), Some(JAPAN));
        assert_eq!(page_zone(None, None, "<p>Plain English news</p>"), None);
    }
}
