//! RSS 0.9x/1.0/2.0, Atom and JSON Feed documents, through feed-rs.
//!
//! The bytes are decoded here (BOM, valid UTF-8, HTTP charset, XML
//! declaration, detection) and feed-rs gets UTF-8 declared as such, so a
//! declaration that lies cannot garble the text. feed-rs always gets a base
//! URI, so relative links resolve and entries without a GUID get an id
//! derived from link and title that is the same on every fetch. A document
//! feed-rs rejects is repaired (`super::repair`) and tried once more.

use std::borrow::Cow;
use std::sync::LazyLock;

use feed_rs::model;
use regex::Regex;
use xxhash_rust::xxh3::xxh3_64;

use super::{Enclosure, Entry, SourceError, base, repair};
use crate::extract::{built_in, html_to_text, sanitize};
use crate::text::charset;
use crate::text::markup::plain_line;

/// Parses a feed document fetched from `base_url`; `content_type` is the
/// HTTP `Content-Type` header, whose `charset` is used for bytes without a
/// BOM that are not UTF-8.
pub fn parse(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: &str,
) -> Result<Vec<Entry>, SourceError> {
    parse_reporting(bytes, content_type, base_url).map(|parsed| parsed.entries)
}

/// A feed's entries and what it took to read them.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The feed's title as one plain line, if it has a non-empty one (a
    /// source's default display name).
    pub title: Option<String>,
    /// The entries, each once.
    pub entries: Vec<Entry>,
    /// What was done to the document, in order: fixes made to every
    /// document that needs them (Atom 0.3, dates feed-rs would drop), then,
    /// when feed-rs rejected it, the repairs that let it be read.
    pub repairs: Vec<&'static str>,
    /// feed-rs's complaint about the document as it came, when it rejected
    /// it and the repairs saved it.
    pub rejected: Option<String>,
    /// What a truncated document lost when it was cut after its last
    /// complete item.
    pub lost: Option<repair::Lost>,
    /// The WebSub hub and self links the document carries.
    pub links: super::hubs::DocLinks,
}

impl Parsed {
    /// One line saying what was repaired and lost, or `None` when the
    /// document was read as it came.
    pub fn summary(&self) -> Option<String> {
        if self.repairs.is_empty() {
            return None;
        }
        let mut line = format!("repaired: {}", self.repairs.join(", "));
        if let Some(rejected) = &self.rejected {
            line.push_str(&format!(" (feed-rs rejected it as it came: {rejected})"));
        }
        if let Some(lost) = &self.lost {
            line.push_str(&format!("; lost {lost}"));
        }
        Some(line)
    }
}

/// [`parse`] for the daemon's source `name`, with what had to be repaired
/// logged under the source's name: a warning when feed-rs rejected the
/// document as it came (the site serves it broken, and a truncated one
/// loses items), debug for the routine fixes every such document gets.
pub fn parse_source(
    name: &str,
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: &str,
) -> Result<Parsed, SourceError> {
    let parsed = parse_reporting(bytes, content_type, base_url)?;
    if let Some(summary) = parsed.summary() {
        if parsed.rejected.is_some() {
            tracing::warn!(source = %name, entries = parsed.entries.len(), "feed {summary}");
        } else {
            tracing::debug!(source = %name, "feed {summary}");
        }
    }
    Ok(parsed)
}

/// [`parse`], also reading the feed's title and saying what was repaired and lost on the way.
pub fn parse_reporting(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: &str,
) -> Result<Parsed, SourceError> {
    let mut text = fix_encoding(bytes, content_type, base_url);
    let mut repairs = Vec::new();
    // What feed-rs would silently drop rather than reject is fixed up front.
    if let Some(upgraded) = repair::upgrade_atom03(&text) {
        text = Cow::Owned(upgraded);
        repairs.push("read Atom 0.3 as Atom 1.0");
    }
    if let Some(fixed) = repair::fix_dates(&text, base_url) {
        text = Cow::Owned(fixed);
        repairs.push("rewrote dates feed-rs cannot read");
    }
    let (feed, rejected, lost) = match parse_raw(text.as_bytes(), base_url) {
        Ok(feed) => (feed, None, None),
        Err(first) => {
            let (feed, repaired) = reparse(bytes, &text, base_url, first.clone())?;
            repairs.extend(repaired.applied);
            (feed, Some(first), repaired.lost)
        }
    };
    let mut links = super::hubs::from_feed_links(&feed.links);
    if links.hub.is_none() {
        // feed-rs does not read JSON Feed's `hubs`.
        links = super::hubs::from_json(&text);
    }
    let mut seen = std::collections::HashSet::new();
    let entries = feed
        .entries
        .into_iter()
        .map(|e| convert(e, base_url).without_control_chars())
        // A feed that repeats an item keeps its first copy.
        .filter(|entry| seen.insert(entry.id.clone()))
        .collect();
    let title = feed
        .title
        .as_ref()
        .map(|t| super::strip_control(title_text(t)))
        .filter(|t| !t.trim().is_empty());
    Ok(Parsed {
        title,
        entries,
        repairs,
        rejected,
        lost,
        links,
    })
}

/// The second try, after repair. The error keeps feed-rs's complaint about
/// the document as it came, which names the real fault, and adds what the
/// repairs did.
fn reparse(
    raw: &[u8],
    text: &str,
    base_url: &str,
    first: String,
) -> Result<(model::Feed, repair::Repaired), SourceError> {
    if let Some(reason) = repair::diagnose(raw, text) {
        return Err(reason.into());
    }
    let repaired = repair::repair(text);
    if repaired.applied.is_empty() {
        return Err(SourceError::Feed(format!("{first} (no repair applies)")));
    }
    match parse_raw(repaired.text.as_bytes(), base_url) {
        Ok(feed) => Ok((feed, repaired)),
        Err(second) => Err(SourceError::Feed(format!(
            "{first} (after repair: {}; still: {second})",
            repaired.applied.join(", ")
        ))),
    }
}

fn parse_raw(bytes: &[u8], base_url: &str) -> Result<model::Feed, String> {
    match parse_guarded(bytes, base_url) {
        Ok(parsed) => parsed.map_err(|e| e.to_string()),
        Err(Panicked) => Err("the feed parser panicked".to_owned()),
    }
}

/// The feed parser panicked (caught).
struct Panicked;

fn parse_guarded(
    bytes: &[u8],
    base_url: &str,
) -> Result<Result<model::Feed, feed_rs::parser::ParseFeedError>, Panicked> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base_url))
        // Ids feed-rs would invent are left empty; `convert` derives a stable one
        // from whatever the entry has, including its text.
        .id_generator(|_, _, _| String::new())
        .build();
    // quick-xml asserts on some encoding switches mid-document; one hostile
    // feed must cost its source an error, not the worker thread.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(bytes)))
        .map_err(|_| Panicked)
}

/// `encoding="…"` (or `'…'`) inside an XML declaration. The pattern is a
/// constant the declaration tests exercise, so no input reaches
/// `built_in`'s panic.
static ENCODING: LazyLock<Regex> =
    LazyLock::new(|| built_in(r#"encoding\s*=\s*(?:"([^"]*)"|'([^']*)')"#));

/// The document as UTF-8 text, declared as UTF-8: feed-rs would otherwise
/// decode it again with whatever its XML declaration claims. Declarations
/// further on (documents pasted together) are rewritten too: quick-xml
/// panics when one switches encodings mid-document, or once the 64 bytes
/// it reads ahead are used up, so a declaration is read to its `?>` however
/// far that is (the charset sniffer looks at 512 bytes only).
fn fix_encoding<'a>(bytes: &'a [u8], content_type: Option<&str>, base_url: &str) -> Cow<'a, str> {
    let text = charset::decode_xml(bytes, content_type, Some(base_url));
    let mut edits = Vec::new();
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&text.as_bytes()[from..], b"<?xml") {
        let start = from + found;
        // quick-xml ends a processing instruction at the first `?>`; one
        // that never ends is an error to it, but rewriting it is harmless.
        let end = text[start + 2..]
            .find("?>")
            .map_or(text.len(), |at| start + 2 + at + 2);
        for caps in ENCODING.captures_iter(&text[start..end]) {
            let Some(value) = caps.get(1).or_else(|| caps.get(2)) else {
                continue;
            };
            if encoding_rs::Encoding::for_label(value.as_str().as_bytes())
                != Some(encoding_rs::UTF_8)
            {
                edits.push(start + value.start()..start + value.end());
            }
        }
        // A `<?xml` inside this declaration is part of it, not a new one:
        // edits stay ordered and disjoint, as `splice` needs.
        from = end;
    }
    if edits.is_empty() {
        return text;
    }
    Cow::Owned(repair::splice(
        &text,
        edits.into_iter().map(|range| (range, "utf-8")),
    ))
}

fn convert(entry: model::Entry, base_url: &str) -> Entry {
    // Only web links: a `javascript:` or `data:` link from a feed must never
    // become an item link readers click.
    let url = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| {
            entry
                .links
                .iter()
                .find(|l| l.rel.as_deref() != Some("enclosure"))
        })
        .map(|l| l.href.trim().to_owned())
        .filter(|href| url::Url::parse(href).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
    let summary = entry
        .summary
        .map(|t| t.content)
        .filter(|s| !s.trim().is_empty())
        .map(|s| with_base(s, entry.summary_base.as_deref(), base_url));
    let content = entry
        .content
        .and_then(|c| c.body)
        .filter(|s| !s.trim().is_empty())
        .map(|s| with_base(s, entry.content_base.as_deref(), base_url));
    // A video or podcast item may name itself only in its media:title.
    let title = entry
        .title
        .as_ref()
        .map(title_text)
        .filter(|t| !t.is_empty())
        .or_else(|| {
            entry
                .media
                .iter()
                .filter_map(|m| m.title.as_ref())
                .map(title_text)
                .find(|t| !t.is_empty())
        })
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
        enclosures: enclosures(&entry.links, &entry.media),
        categories: categories(&entry.categories),
    }
}

/// `html` with its relative references resolved against the `xml:base` in
/// scope where it was, if the document set one (see `super::base`).
fn with_base(html: String, in_scope: Option<&str>, document: &str) -> String {
    match base::declared_base(in_scope, document) {
        Some(declared) => base::resolve_relative(&html, &declared).into_owned(),
        None => html,
    }
}

/// RSS `<enclosure>`s and Media RSS files (feed-rs reads both as media
/// objects), then Atom `link rel="enclosure"` and JSON Feed attachments;
/// each URL once, http(s) only, as item links.
fn enclosures(links: &[model::Link], media: &[model::MediaObject]) -> Vec<Enclosure> {
    let from_media = media.iter().flat_map(|m| &m.content).filter_map(|c| {
        Some(Enclosure {
            url: c.url.as_ref()?.to_string(),
            mime: c.content_type.as_ref().map(|t| t.to_string()),
            length: c.size,
        })
    });
    let from_links = links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
        .map(|l| Enclosure {
            url: l.href.trim().to_owned(),
            mime: l.media_type.clone(),
            length: l.length,
        });
    let mut seen = std::collections::HashSet::new();
    from_media
        .chain(from_links)
        .filter(|e| url::Url::parse(&e.url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
        .map(|e| Enclosure {
            mime: e
                .mime
                .map(|m| m.trim().to_owned())
                .filter(|m| !m.is_empty()),
            // Feeds write 0 (or junk) when they do not know the size.
            length: e.length.filter(|&n| n > 0),
            ..e
        })
        .filter(|e| seen.insert(e.url.clone()))
        .collect()
}

/// Category terms, trimmed, each once.
fn categories(categories: &[model::Category]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    categories
        .iter()
        .map(|c| plain_line(&repair::decode_html_entities(&c.term)))
        .filter(|term| !term.is_empty() && seen.insert(term.clone()))
        .collect()
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
    // Decoding can turn up markup (`&LT;img…&GT;`), so what comes out is
    // made plain once more, whichever way it went in.
    let raw =
        if text.content_type.essence().to_string().contains("html") || text.content.contains('<') {
            html_to_text(&text.content)
        } else {
            repair::decode_html_entities(&text.content).into_owned()
        };
    let line = plain_line(&raw);
    if line.is_empty() && text.content.contains('<') {
        // A title that is only markup (an image, say) has no text, but it is
        // not untitled either. Other readers show the markup; titles here
        // never carry markup (readers render them as HTML), so the image's
        // own words stand in: its alt or title text, else its file name.
        return markup_title(&sanitize(&text.content, None));
    }
    line
}

/// `alt="…"`, `title="…"` or `src="…"` in sanitised markup (ammonia
/// writes attributes double-quoted). A constant pattern the title tests
/// exercise, so no input reaches `built_in`'s panic.
static MARKUP_WORDS: LazyLock<Regex> = LazyLock::new(|| built_in(r#"\b(alt|title|src)="([^"]*)""#));

/// The words a markup-only title stands for, or "" if it has none.
fn markup_title(html: &str) -> String {
    let mut src = None;
    for caps in MARKUP_WORDS.captures_iter(html) {
        let value = plain_line(&repair::decode_html_entities(&caps[2]));
        if value.is_empty() {
            continue;
        }
        if &caps[1] == "src" {
            src.get_or_insert(value);
        } else {
            return value;
        }
    }
    // The file name, without query, of the first source.
    src.and_then(|s| {
        let path = s.split(['?', '#']).next().unwrap_or("");
        path.rsplit('/').next().map(str::to_owned)
    })
    .filter(|name| !name.is_empty())
    .unwrap_or_default()
}

/// The start of the body, for items that have no title at all.
fn fallback_title(body: Option<&str>) -> String {
    let text = body.map(html_to_text).unwrap_or_default();
    let words = crate::text::space::collapse(&text);
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
        let first = parse(rss, None, BASE).unwrap();
        let second = parse(rss, None, BASE).unwrap();
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
        let entries = parse(atom, None, BASE).unwrap();
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
    fn xml_base_resolves_links_files_and_references_in_html() {
        let atom = br#"<?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://example.com/parent/">
            <title>t</title><id>urn:x</id><updated>2026-11-01T00:00:00Z</updated>
            <entry xml:base="http://example.com/"><id>urn:e1</id><title>T</title>
            <updated>2026-11-02T03:04:05Z</updated>
            <link href="story.html"/><link rel="enclosure" href="audio/ep.mp3" type="audio/mpeg"/>
            <summary type="html">&lt;a href="s.html"&gt;s&lt;/a&gt;</summary>
            <content type="xhtml" xml:base="test/"><div xmlns="http://www.w3.org/1999/xhtml">Example <a href="test.html">test</a> <img src="/i.png"/></div></content>
            </entry></feed>"#;
        let entry = &parse(atom, None, BASE).unwrap()[0];
        assert_eq!(entry.url.as_deref(), Some("http://example.com/story.html"));
        assert_eq!(entry.enclosures[0].url, "http://example.com/audio/ep.mp3");
        assert_eq!(
            entry.summary.as_deref(),
            Some(r#"<a href="http://example.com/s.html">s</a>"#)
        );
        let content = entry.content.as_deref().unwrap();
        assert!(
            content.contains(r#"href="http://example.com/test/test.html""#)
                && content.contains(r#"src="http://example.com/i.png""#),
            "{content}"
        );
        // RSS with a base on the root, and a feed without one: its relative
        // references are left for the publisher (resolved against the item link).
        let rss = r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xml:base="http://any.test/">
            <channel><title>t</title><item><title>x</title>
            <content:encoded>&lt;a href=&quot;&#192;&quot;&gt;uri&lt;/a&gt;</content:encoded></item></channel></rss>"#;
        let entry = &parse(rss.as_bytes(), None, BASE).unwrap()[0];
        assert_eq!(
            entry.content.as_deref(),
            Some(r#"<a href="http://any.test/%C3%80">uri</a>"#)
        );
        let plain = rss.replace(r#" xml:base="http://any.test/""#, "");
        let entry = &parse(plain.as_bytes(), None, BASE).unwrap()[0];
        assert_eq!(entry.content.as_deref(), Some("<a href=\"\u{c0}\">uri</a>"));
    }

    #[test]
    fn dublin_core_itunes_and_atom_03_fallbacks_give_authors_and_dates() {
        let rss = br#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
            xmlns:dcterms="http://purl.org/dc/terms/" xmlns:itunes="http://www.itunes.com/DTDs/Podcast-1.0.dtd">
            <channel><title>t</title>
            <item><guid>1</guid><title>a</title><dc:author>Example editor</dc:author>
              <dcterms:issued>2003-12-31T10:14:55Z</dcterms:issued></item>
            <item><guid>2</guid><title>b</title><itunes:author>Mark Pilgrim</itunes:author>
              <dcterms:modified>2004-01-01T00:00:00Z</dcterms:modified></item>
            <item><guid>3</guid><title>c</title><author>x@example.org (Ann)</author><itunes:author>Show</itunes:author>
              <pubDate>Sat, 21 Nov 2026 08:00:00 +0000</pubDate><dcterms:created>2003-12-31T10:14:55Z</dcterms:created></item>
            </channel></rss>"#;
        let entries = parse(rss, None, BASE).unwrap();
        let got: Vec<(Option<&str>, String)> = entries
            .iter()
            .map(|e| (e.author.as_deref(), e.published.unwrap().to_rfc3339()))
            .collect();
        assert_eq!(
            got,
            [
                (Some("Example editor"), "2003-12-31T10:14:55+00:00".into()),
                (Some("Mark Pilgrim"), "2004-01-01T00:00:00+00:00".into()),
                (Some("Ann"), "2026-11-21T08:00:00+00:00".into()),
            ]
        );
        let atom03 = br#"<feed version="0.3" xmlns="http://purl.org/atom/ns#" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <entry><id>e</id><title>t</title><dc:creator>Cy</dc:creator>
            <created>2010-12-01T10:14:55Z</created><created>2003-12-31T10:14:55Z</created></entry></feed>"#;
        let entry = &parse(atom03, None, BASE).unwrap()[0];
        assert_eq!(entry.author.as_deref(), Some("Cy"));
        assert_eq!(
            entry.published.unwrap().to_rfc3339(),
            "2003-12-31T10:14:55+00:00"
        );
    }

    #[test]
    fn media_titles_and_rss_090_items_are_read() {
        let media = br#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title>
            <item><guid>v1</guid><media:title>Launch video</media:title></item>
            <item><guid>v2</guid><title>Own title</title><media:title>Not this</media:title></item>
            </channel></rss>"#;
        let titles: Vec<String> = parse(media, None, BASE)
            .unwrap()
            .into_iter()
            .map(|e| e.title)
            .collect();
        assert_eq!(titles, ["Launch video", "Own title"]);
        let rss090 = br#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
            <channel><title>c</title><link>https://example.org/</link></channel>
            <item><title>Item title</title><link>https://example.org/1</link></item></rdf:RDF>"#;
        let entries = parse(rss090, None, BASE).unwrap();
        assert_eq!(entries[0].title, "Item title");
        assert_eq!(entries[0].url.as_deref(), Some("https://example.org/1"));
    }

    #[test]
    fn atom_links_written_as_text_are_read() {
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id>
            <entry><id>urn:1</id><title>a</title><link> https://example.org/a </link></entry>
            <entry><id>urn:2</id><title>b</title><link rel="enclosure">https://example.org/b.mp3</link>
              <link rel="alternate" href="https://example.org/b"/></entry></feed>"#;
        let entries = parse(atom, None, BASE).unwrap();
        assert_eq!(entries[0].url.as_deref(), Some("https://example.org/a"));
        assert_eq!(entries[1].url.as_deref(), Some("https://example.org/b"));
        assert_eq!(entries[1].enclosures[0].url, "https://example.org/b.mp3");
    }

    #[test]
    fn userland_rss_namespace_and_atom_items_are_read() {
        let userland = br#"<r:rss version="2.0" xmlns:r="http://backend.userland.com/rss2"><r:channel>
            <r:title>t</r:title><r:item><r:title>Namespaced</r:title><r:link>https://example.org/n</r:link></r:item>
            </r:channel></r:rss>"#;
        let entries = parse(userland, None, BASE).unwrap();
        assert_eq!(entries[0].title, "Namespaced");
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id>
            <item><id>urn:1</id><title>Item for entry</title></item></feed>"#;
        assert_eq!(parse(atom, None, BASE).unwrap()[0].title, "Item for entry");
    }

    #[test]
    fn json_feed_and_untitled_items() {
        let json = br#"{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[
            {"id":"1","url":"https://example.org/1","content_text":"A story without a title about ports"}]}"#;
        let entries = parse(json, None, BASE).unwrap();
        assert_eq!(entries[0].title, "A story without a title about ports");
    }

    #[test]
    fn real_world_variants_keep_their_items() {
        // JSON Feed with a bare-number version, a numeric id and no feed title.
        let json = br#"{"version":1.1,"items":[{"id":7,"title":"Seven","url":"https://example.org/7",
            "tags":["a","b",{"x":3}],"attachments":[{"url":"https://example.org/7.mp3","mime_type":"audio/mpeg","size_in_bytes":"1200"}]}]}"#;
        let entries = parse(json, None, BASE).unwrap();
        assert_eq!(entries[0].id, "7");
        assert_eq!(entries[0].title, "Seven");
        assert_eq!(entries[0].url.as_deref(), Some("https://example.org/7"));
        assert_eq!(entries[0].categories, ["a", "b"]);
        assert_eq!(
            entries[0].enclosures,
            [Enclosure {
                url: "https://example.org/7.mp3".into(),
                mime: Some("audio/mpeg".into()),
                length: Some(1200)
            }]
        );
        // RSS 1.0 items without <link>: rdf:about is their id and link.
        let rdf = br#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
            xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="https://example.org/"><title>t</title></channel>
            <item rdf:about="https://example.org/1"><dc:title>One</dc:title><dc:subject>Port</dc:subject></item></rdf:RDF>"#;
        let entries = parse(rdf, None, BASE).unwrap();
        assert_eq!(entries[0].id, "https://example.org/1");
        assert_eq!(entries[0].url.as_deref(), Some("https://example.org/1"));
        assert_eq!(entries[0].title, "One");
        assert_eq!(entries[0].categories, ["Port"]);
        // Atom: a <source>, a base64 title, naked markup, an enclosure link.
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
            <entry><id>urn:1</id><title type="text/html" mode="base64">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</title>
              <source><id>urn:s</id><title>elsewhere</title><updated>2026-01-01T00:00:00Z</updated></source>
              <link rel="enclosure" href="https://example.org/a.mp4" type="video/mp4" length="0"/>
              <category term="news"/></entry>
            <entry><id>urn:2</id><title>Example <b>Atom</b></title></entry>
            <entry><id>urn:3</id><title type="html">&lt;img src="https://example.org/i/cam.jpg"&gt;</title></entry>
            <entry><id>urn:4</id><title></title><summary>Only a summary</summary></entry></feed>"#;
        let entries = parse(atom, None, BASE).unwrap();
        let titles: Vec<&str> = entries.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(
            titles,
            ["Example Atom", "Example Atom", "cam.jpg", "Only a summary"]
        );
        assert_eq!(entries[0].enclosures[0].url, "https://example.org/a.mp4");
        assert_eq!(entries[0].enclosures[0].length, None);
        assert_eq!(entries[0].url, None);
        assert_eq!(entries[0].categories, ["news"]);
        // An e-mail address right after a full-width bracket (feed-rs 3.0 panicked).
        let rss = "<rss version=\"2.0\"><channel><title>t</title><item><guid>1</guid><title>x</title>\
            <author>新华网（webmaster@news.cn）</author></item></channel></rss>";
        assert_eq!(parse(rss.as_bytes(), None, BASE).unwrap().len(), 1);
    }

    #[test]
    fn junk_before_the_document_is_skipped_and_garbage_is_an_error() {
        let junk = b"\n\nWarning: something<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>x</title><guid>g</guid></item></channel></rss>";
        assert_eq!(parse(junk, None, BASE).unwrap().len(), 1);
        let err = parse(b"<html><body>Not a feed</body></html>", None, BASE).unwrap_err();
        assert_eq!(err.to_string(), "not a feed: looks like HTML");
        let err = parse(b" \n", None, BASE).unwrap_err();
        assert_eq!(err.to_string(), "empty document");
        let err = parse(b"<rss version=\"2.0\"><channel><item><a></b>", None, BASE).unwrap_err();
        assert!(err.to_string().starts_with("not a valid feed"), "{err}");
    }

    #[test]
    fn utf8_feeds_declared_gb2312_and_undeclared_gbk_feeds_read_right() {
        let utf8 = "<?xml version=\"1.0\" encoding=\"gb2312\"?><rss version=\"2.0\"><channel><title>t</title><item><guid>1</guid><title>人力资源社会保障部</title></item></channel></rss>";
        assert_eq!(
            parse(utf8.as_bytes(), None, BASE).unwrap()[0].title,
            "人力资源社会保障部"
        );
        let undeclared = utf8.replace(" encoding=\"gb2312\"", "").replace(
            "人力资源社会保障部",
            &"人力资源社会保障部切实关心激励表彰疫情防控人员".repeat(3),
        );
        let gbk = encoding_rs::GBK.encode(&undeclared).0.into_owned();
        assert!(
            parse(&gbk, None, BASE).unwrap()[0]
                .title
                .starts_with("人力资源社会保障部")
        );
        let declared = encoding_rs::GBK
            .encode(&utf8.replace("gb2312", "gbk"))
            .0
            .into_owned();
        assert_eq!(
            parse(&declared, None, BASE).unwrap()[0].title,
            "人力资源社会保障部"
        );
    }

    #[test]
    fn control_characters_are_dropped() {
        let json = "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"j\",\"items\":[{\"id\":\"1\",\"title\":\"a\\u0001b\\u0000c\",\"content_text\":\"x\\u000by\"}]}";
        let entries = parse(json.as_bytes(), None, BASE).unwrap();
        assert_eq!(entries[0].title, "abc");
        assert_eq!(entries[0].content.as_deref(), Some("xy"));
    }

    #[test]
    fn repeated_guids_keep_the_first_item() {
        let rss = br#"<rss version="2.0"><channel><title>t</title>
            <item><title>first</title><guid>same</guid></item>
            <item><title>second</title><guid>same</guid></item></channel></rss>"#;
        let entries = parse(rss, None, BASE).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].title, "first");
    }

    /// An RSS document with one item titled `title`, in `encoding`, declared
    /// as `label` (an empty label: no `encoding=` at all).
    fn encoded_rss(encoding: &'static encoding_rs::Encoding, label: &str, title: &str) -> Vec<u8> {
        let declared = if label.is_empty() {
            String::new()
        } else {
            format!(" encoding=\"{label}\"")
        };
        let doc = format!(
            "<?xml version=\"1.0\"{declared}?><rss version=\"2.0\"><channel>\
             <title>t</title><item><guid>1</guid><title>{title}</title></item></channel></rss>"
        );
        let (bytes, _, unmappable) = encoding.encode(&doc);
        assert!(!unmappable, "{title} is not in {label}");
        bytes.into_owned()
    }

    #[test]
    fn declared_legacy_encodings_read_right() {
        let cases = [
            (encoding_rs::BIG5, "big5", "總統府發布新聞稿"),
            (encoding_rs::SHIFT_JIS, "Shift_JIS", "東京都の天気予報"),
            (encoding_rs::EUC_KR, "euc-kr", "서울 날씨 뉴스"),
            (encoding_rs::WINDOWS_1251, "windows-1251", "Новости Москвы"),
            (encoding_rs::ISO_8859_2, "iso-8859-2", "Zażółć gęślą jaźń"),
        ];
        for (encoding, label, title) in cases {
            let bytes = encoded_rss(encoding, label, title);
            let entries = parse(&bytes, None, BASE).unwrap();
            assert_eq!(entries[0].title, title, "{label}");
        }
    }

    #[test]
    fn the_http_charset_labels_undeclared_bytes_and_validity_beats_declarations() {
        let title = "人力资源社会保障部";
        let undeclared = encoded_rss(encoding_rs::GBK, "", title);
        let ct = Some("application/rss+xml; charset=GBK");
        assert_eq!(parse(&undeclared, ct, BASE).unwrap()[0].title, title);
        // The header, not detection, decides: the same bytes labelled Big5.
        let gbk_title = encoding_rs::GBK.encode(title).0;
        let as_big5 = encoding_rs::BIG5.decode(&gbk_title).0;
        assert_ne!(as_big5, title);
        let ct = Some("application/rss+xml; charset=big5");
        assert_eq!(parse(&undeclared, ct, BASE).unwrap()[0].title, as_big5);
        // GBK bytes that claim UTF-8 are not UTF-8: no mojibake, no U+FFFD.
        let lying = encoded_rss(encoding_rs::GBK, "utf-8", &title.repeat(4));
        let read = parse(&lying, None, "https://www.example.cn/rss").unwrap();
        assert_eq!(read[0].title, title.repeat(4));
        // …and the HTTP header saying UTF-8 is not believed either.
        let read = parse(
            &lying,
            Some("text/xml; charset=utf-8"),
            "https://www.example.cn/rss",
        );
        assert_eq!(read.unwrap()[0].title, title.repeat(4));
    }

    #[test]
    fn utf16_without_a_bom_and_a_second_declaration_do_not_panic() {
        let doc = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel>\
            <title>t</title><item><guid>1</guid><title>Grüße</title></item></channel></rss>";
        let be: Vec<u8> = doc.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(parse(&be, None, BASE).unwrap()[0].title, "Grüße");
        let le: Vec<u8> = doc.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(parse(&le, None, BASE).unwrap()[0].title, "Grüße");
        // Two documents pasted together: quick-xml asserts when the second
        // declaration switches encodings after the start.
        let pasted = format!(
            "{}<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>{}",
            doc.replace("utf-16", "utf-8")
                .trim_end_matches("</channel></rss>"),
            "</channel></rss>"
        );
        if let Err(e) = parse(pasted.as_bytes(), None, BASE) {
            assert!(!e.to_string().contains("panicked"), "{e}");
        }
    }

    #[test]
    fn broken_feeds_are_repaired_and_keep_their_items() {
        let broken = "\n<?xml version=\"1.0\"?><rss><channel><title>t</title>\
            <item><guid>1</guid><title>AT&T&nbsp;wins</title><link>http://a.example/?x=1&y=2</link></item>\
            <item><guid>2</guid><title>Caf&eacute; &mdash; news&hellip;</title></item>\
            <item><guid>3</guid><title>cut off he";
        let entries = parse(broken.as_bytes(), None, BASE).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].title, "AT&T wins");
        assert_eq!(entries[0].url.as_deref(), Some("http://a.example/?x=1&y=2"));
        assert_eq!(entries[1].title, "Café — news…");
    }

    #[test]
    fn html_entities_in_a_valid_feed_do_not_show_in_titles() {
        let rss = b"<rss version=\"2.0\"><channel><title>t</title>\
            <item><guid>1</guid><title>Caf&eacute;&nbsp;&amp;&nbsp;bar</title></item></channel></rss>";
        assert_eq!(parse(rss, None, BASE).unwrap()[0].title, "Café & bar");
    }

    #[test]
    fn errors_say_what_was_wrong_and_what_repair_tried() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10";
        let err = parse(png, Some("image/png"), BASE).unwrap_err();
        assert_eq!(err.to_string(), "not a feed: binary data (image/png?)");
        let err = parse(b"<rss><channel><item><title>a</x></item>", None, BASE).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("not a valid feed: unable to parse"),
            "{message}"
        );
        assert!(
            message.contains("after repair: set the RSS version"),
            "{message}"
        );
        assert!(message.contains("still: "), "{message}");
    }

    #[test]
    fn dates_feed_rs_cannot_read_are_kept() {
        let rss = "<rss version=\"2.0\"><channel><title>t</title>\
            <item><guid>1</guid><title>a</title><pubDate>2024年08月19日 10:30</pubDate></item>\
            <item><guid>2</guid><title>b</title><pubDate>2024-08-19 10:30:00</pubDate></item>\
            <item><guid>3</guid><title>c</title><pubDate>2024/8/19 10:30</pubDate></item>\
            </channel></rss>";
        let entries = parse(rss.as_bytes(), None, "https://news.example.com.cn/rss.xml").unwrap();
        for entry in &entries {
            assert_eq!(
                entry.published.map(|d| d.to_rfc3339()).as_deref(),
                Some("2024-08-19T02:30:00+00:00"),
                "{}",
                entry.title
            );
        }
        let entries = parse(rss.as_bytes(), None, BASE).unwrap();
        let published: Vec<_> = entries
            .iter()
            .map(|e| e.published.map(|d| d.to_rfc3339()))
            .collect();
        assert_eq!(
            published,
            [
                Some("2024-08-19T02:30:00+00:00".to_owned()),
                Some("2024-08-19T10:30:00+00:00".to_owned()),
                Some("2024-08-19T10:30:00+00:00".to_owned()),
            ]
        );
    }

    #[test]
    fn entity_expansion_bombs_are_not_expanded() {
        let mut dtd = String::from("<!ENTITY lol0 \"lol\">");
        for level in 1..=9 {
            let refs = format!("&lol{};", level - 1).repeat(10);
            dtd.push_str(&format!("<!ENTITY lol{level} \"{refs}\">"));
        }
        let bomb = format!(
            "<?xml version=\"1.0\"?><!DOCTYPE rss [{dtd}]><rss version=\"2.0\"><channel>\
             <title>&lol9;</title><item><guid>1</guid><title>&lol9; &lol9;</title>\
             <description>&lol9;</description></item></channel></rss>"
        );
        let started = std::time::Instant::now();
        let result = parse(bomb.as_bytes(), None, BASE);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // Kept as written: nothing was expanded, so nothing big was allocated.
        assert_eq!(result.unwrap()[0].title, "&lol9; &lol9;");
        // The same bomb in a document that needs repair stays harmless too.
        let broken = bomb.replace(
            "<title>&lol9; &lol9;</title>",
            "<title>&lol9; & &nbsp;</title>",
        );
        let started = std::time::Instant::now();
        let entries = parse(broken.as_bytes(), None, BASE).unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(entries[0].title.len() < 32, "{}", entries[0].title);
    }

    #[test]
    fn every_truncation_keeps_the_items_before_the_cut() {
        let item = |n: u32| {
            format!(
                "<item><guid>{n}</guid><title>第{n}条 &amp; “news” &nbsp;é</title>\
                 <pubDate>2024年08月1{n}日 10:30</pubDate>\
                 <description><![CDATA[<p>正文 {n}</p>]]></description></item>"
            )
        };
        let doc = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
             <title>t</title>{}{}{}</channel></rss>",
            item(1),
            item(2),
            item(3)
        );
        let ends: Vec<usize> = doc.match_indices("</item>").map(|(at, _)| at + 7).collect();
        for cut in 1..doc.len() {
            let complete = ends.iter().filter(|&&end| end <= cut).count();
            match parse(&doc.as_bytes()[..cut], None, "https://example.cn/rss") {
                Ok(entries) => assert_eq!(entries.len(), complete, "cut at {cut}"),
                Err(_) => assert_eq!(complete, 0, "cut at {cut}"),
            }
        }
    }

    #[test]
    fn mangled_documents_never_panic() {
        let doc = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY e \"x\">]><rss version=\"2.0\">\
            <channel><title a='1' b=\"2\">t</title><item><guid>1</guid><title>AT&amp;T 新闻</title>\
            <pubDate>2024-08-19 10:30</pubDate><description><![CDATA[<p>x</p>]]></description>\
            <!-- c --></item></channel></rss>";
        let pieces = [
            "<",
            ">",
            "&",
            ";",
            "\"",
            "'",
            "=",
            "/",
            "]]>",
            "<![CDATA[",
            "<!--",
            "<?",
            "<!",
            "&#",
            "&#x",
            "é",
            "新",
            "</",
            "<item>",
            "</item>",
            "<rss>",
            "<feed>",
            "\u{0}",
            "[",
            "]",
        ];
        // A fixed xorshift sequence: the same mangles on every run.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        for _ in 0..2000 {
            let mut mangled = doc.to_owned();
            for _ in 0..1 + next(3) {
                let at = mangled.floor_char_boundary(next(mangled.len() + 1));
                if next(4) == 0 {
                    let end = mangled.floor_char_boundary(at + next(8));
                    mangled.replace_range(at..end, "");
                } else {
                    mangled.insert_str(at, pieces[next(pieces.len())]);
                }
            }
            let _ = parse(mangled.as_bytes(), None, BASE);
        }
    }
}
