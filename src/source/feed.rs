//! RSS 0.9x/1.0/2.0, Atom and JSON Feed documents, through feed-rs.
//!
//! feed-rs gets the raw bytes (it honours the document's own encoding
//! declaration) and always a base URI, so relative links resolve and entries
//! without a GUID get an id derived from link and title that is the same on
//! every fetch.

use feed_rs::model;
use xxhash_rust::xxh3::xxh3_64;

use super::{Entry, SourceError};
use crate::extract::html_to_text;

/// Parses a feed document fetched from `base_url`.
pub fn parse(bytes: &[u8], base_url: &str) -> Result<Vec<Entry>, SourceError> {
    let bytes = &*fix_encoding(bytes, base_url);
    let feed = match parse_raw(bytes, base_url) {
        Ok(feed) => feed,
        // Junk before the document (a BOM-less UTF-16 marker, whitespace, a PHP
        // warning) is common enough to retry once without it.
        Err(first) => match skip_leading_junk(bytes) {
            Some(trimmed) if trimmed.len() != bytes.len() => {
                parse_raw(trimmed, base_url).map_err(|_| first)?
            }
            _ => return Err(first),
        },
    };
    let mut seen = std::collections::HashSet::new();
    let entries = feed
        .entries
        .into_iter()
        .map(|e| convert(e).without_control_chars())
        // A feed that repeats an item keeps its first copy.
        .filter(|entry| seen.insert(entry.id.clone()))
        .collect();
    Ok(entries)
}

fn parse_raw(bytes: &[u8], base_url: &str) -> Result<model::Feed, SourceError> {
    feed_rs::parser::Builder::new()
        .base_uri(Some(base_url))
        // Ids feed-rs would invent are left empty; `convert` derives a stable one
        // from whatever the entry has, including its text.
        .id_generator(|_, _, _| String::new())
        .build()
        .parse(bytes)
        .map_err(|e| SourceError::Feed(e.to_string()))
}

/// Makes the bytes and their declaration agree before feed-rs sees them:
/// valid UTF-8 declared as a legacy encoding gets its declaration corrected,
/// and undeclared legacy bytes (GBK without `encoding=`) are transcoded.
fn fix_encoding<'a>(bytes: &'a [u8], base_url: &str) -> std::borrow::Cow<'a, [u8]> {
    use std::borrow::Cow;
    let declared = xml_declared_encoding(bytes);
    if std::str::from_utf8(bytes).is_ok() {
        return match declared {
            Some((range, label))
                if !label.eq_ignore_ascii_case("utf-8") && !label.eq_ignore_ascii_case("utf8") =>
            {
                let mut fixed = bytes[..range.start].to_vec();
                fixed.extend_from_slice(b"utf-8");
                fixed.extend_from_slice(&bytes[range.end..]);
                Cow::Owned(fixed)
            }
            _ => Cow::Borrowed(bytes),
        };
    }
    if declared.is_some() || encoding_rs::Encoding::for_bom(bytes).is_some() {
        return Cow::Borrowed(bytes);
    }
    Cow::Owned(crate::fetch::charset::decode(bytes, None, Some(base_url)).into_bytes())
}

/// The byte range and value of `encoding="…"` in a leading XML declaration.
fn xml_declared_encoding(bytes: &[u8]) -> Option<(std::ops::Range<usize>, String)> {
    let head = &bytes[..bytes.len().min(256)];
    let start = head.windows(5).position(|w| w == b"<?xml")?;
    let end = start + head[start..].windows(2).position(|w| w == b"?>")?;
    let decl = &head[start..end];
    let at = decl.windows(8).position(|w| w == b"encoding")?;
    let rest = &decl[at + 8..];
    let quote_at = rest.iter().position(|&b| b == b'"' || b == b'\'')?;
    let quote = rest[quote_at];
    let value_start = start + at + 8 + quote_at + 1;
    let len = bytes[value_start..end].iter().position(|&b| b == quote)?;
    let label = String::from_utf8_lossy(&bytes[value_start..value_start + len]).into_owned();
    Some((value_start..value_start + len, label))
}

fn skip_leading_junk(bytes: &[u8]) -> Option<&[u8]> {
    let start = bytes.iter().position(|&b| b == b'<' || b == b'{')?;
    Some(&bytes[start..])
}

fn convert(entry: model::Entry) -> Entry {
    // Only web links: a `javascript:` or `data:` link from a feed must never
    // become an item link readers click.
    let url = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| entry.links.first())
        .map(|l| l.href.trim().to_owned())
        .filter(|href| url::Url::parse(href).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
    let summary = entry
        .summary
        .map(|t| t.content)
        .filter(|s| !s.trim().is_empty());
    let content = entry
        .content
        .and_then(|c| c.body)
        .filter(|s| !s.trim().is_empty());
    let title = entry
        .title
        .map(|t| title_text(&t))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| fallback_title(summary.as_deref().or(content.as_deref())));
    let authors: Vec<&str> = entry.authors.iter().filter_map(author_name).collect();
    let published = entry.published.or(entry.updated);
    let id = if entry.id.trim().is_empty() {
        derived_id(
            url.as_deref(),
            &title,
            summary.as_deref().or(content.as_deref()),
        )
    } else {
        entry.id.trim().to_owned()
    };
    Entry {
        id,
        url,
        title,
        author: (!authors.is_empty()).then(|| authors.join(", ")),
        published,
        summary,
        content,
    }
}

/// A person's display name. RSS writes `email (Name)`, which arrives as the
/// name `(Name)`; a bare email is better than nothing.
fn author_name(person: &model::Person) -> Option<&str> {
    let name = person.name.as_deref().map(str::trim).unwrap_or("");
    let name = name
        .strip_prefix('(')
        .and_then(|n| n.strip_suffix(')'))
        .unwrap_or(name)
        .trim();
    if name.is_empty() {
        person
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
    } else {
        Some(name)
    }
}

fn title_text(text: &model::Text) -> String {
    // Titles are plain text; markup in one (declared or not) is dropped, since
    // many readers render RSS titles as HTML.
    let raw =
        if text.content_type.essence().to_string().contains("html") || text.content.contains('<') {
            html_to_text(&text.content)
        } else {
            text.content.clone()
        };
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The start of the body, for items that have no title at all.
fn fallback_title(body: Option<&str>) -> String {
    let text = body.map(html_to_text).unwrap_or_default();
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.is_empty() {
        return "(untitled)".into();
    }
    match words.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &words[..cut]),
        None => words,
    }
}

/// An id for an entry without a GUID: a stable hash of what identifies it.
fn derived_id(url: Option<&str>, title: &str, body: Option<&str>) -> String {
    let mut key = String::new();
    for part in [url.unwrap_or(""), title, body.unwrap_or("")] {
        key.push_str(part);
        key.push('\u{1f}');
    }
    format!("feedfold:{:016x}", xxh3_64(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://example.org/feeds/world.xml";

    #[test]
    fn rss_without_guids_gets_the_same_ids_every_time() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
            <item><title>A &amp; B</title><link>/a.html</link><description>one</description>
              <author>desk@example.org (Mara Lindqvist)</author></item>
            <item><title>C</title><description>two</description></item>
            </channel></rss>"#;
        let first = parse(rss, BASE).unwrap();
        let second = parse(rss, BASE).unwrap();
        assert_eq!(first, second);
        assert_eq!(first[0].title, "A & B");
        assert_eq!(first[0].url.as_deref(), Some("https://example.org/a.html"));
        assert_eq!(first[0].author.as_deref(), Some("Mara Lindqvist"));
        assert!(first[1].id.starts_with("feedfold:"));
        assert_ne!(first[0].id, first[1].id);
    }

    #[test]
    fn atom_html_titles_become_text_and_dates_fall_back_to_updated() {
        let atom = br#"<?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id><updated>2026-11-01T00:00:00Z</updated>
            <entry><id>urn:e1</id><title type="html">&lt;b&gt;Bold&lt;/b&gt; news</title>
            <updated>2026-11-02T03:04:05Z</updated><author><name>Ann</name></author>
            <content type="html">&lt;p&gt;Body&lt;/p&gt;</content></entry></feed>"#;
        let entries = parse(atom, BASE).unwrap();
        assert_eq!(entries[0].id, "urn:e1");
        assert_eq!(entries[0].title, "Bold news");
        assert_eq!(entries[0].author.as_deref(), Some("Ann"));
        assert_eq!(
            entries[0].published.unwrap().to_rfc3339(),
            "2026-11-02T03:04:05+00:00"
        );
        assert_eq!(entries[0].content.as_deref(), Some("<p>Body</p>"));
    }

    #[test]
    fn json_feed_and_untitled_items() {
        let json = br#"{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[
            {"id":"1","url":"https://example.org/1","content_text":"A story without a title about ports"}]}"#;
        let entries = parse(json, BASE).unwrap();
        assert_eq!(entries[0].title, "A story without a title about ports");
    }

    #[test]
    fn junk_before_the_document_is_skipped_and_garbage_is_an_error() {
        let junk = b"\n\nWarning: something<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>x</title><guid>g</guid></item></channel></rss>";
        assert_eq!(parse(junk, BASE).unwrap().len(), 1);
        let err = parse(b"<html><body>Not a feed</body></html>", BASE).unwrap_err();
        assert!(err.to_string().starts_with("not a valid feed"), "{err}");
        assert!(parse(b"", BASE).is_err());
    }

    #[test]
    fn utf8_feeds_declared_gb2312_and_undeclared_gbk_feeds_read_right() {
        let utf8 = "<?xml version=\"1.0\" encoding=\"gb2312\"?><rss version=\"2.0\"><channel><title>t</title><item><guid>1</guid><title>人力资源社会保障部</title></item></channel></rss>";
        assert_eq!(
            parse(utf8.as_bytes(), BASE).unwrap()[0].title,
            "人力资源社会保障部"
        );
        let undeclared = utf8.replace(" encoding=\"gb2312\"", "").replace(
            "人力资源社会保障部",
            &"人力资源社会保障部切实关心激励表彰疫情防控人员".repeat(3),
        );
        let gbk = encoding_rs::GBK.encode(&undeclared).0.into_owned();
        assert!(
            parse(&gbk, BASE).unwrap()[0]
                .title
                .starts_with("人力资源社会保障部")
        );
        let declared = encoding_rs::GBK
            .encode(&utf8.replace("gb2312", "gbk"))
            .0
            .into_owned();
        assert_eq!(
            parse(&declared, BASE).unwrap()[0].title,
            "人力资源社会保障部"
        );
    }

    #[test]
    fn control_characters_are_dropped() {
        let json = "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"j\",\"items\":[{\"id\":\"1\",\"title\":\"a\\u0001b\\u0000c\",\"content_text\":\"x\\u000by\"}]}";
        let entries = parse(json.as_bytes(), BASE).unwrap();
        assert_eq!(entries[0].title, "abc");
        assert_eq!(entries[0].content.as_deref(), Some("xy"));
    }

    #[test]
    fn repeated_guids_keep_the_first_item() {
        let rss = br#"<rss version="2.0"><channel><title>t</title>
            <item><title>first</title><guid>same</guid></item>
            <item><title>second</title><guid>same</guid></item></channel></rss>"#;
        let entries = parse(rss, BASE).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].title, "first");
    }
}
