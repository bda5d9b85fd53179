//! Repairs for feed documents feed-rs rejects, and the reason given for
//! documents that are no feed at all.
//!
//! feed-rs (through quick-xml) reads strict XML: one bare `&`, an `<rss>`
//! without a version it knows or a body cut off by a size cap loses every
//! item. [`repair`] fixes the common breakages in the text and is tried only
//! after feed-rs refused the document as it came. Dates are different:
//! feed-rs does not fail on a date it cannot read, it drops it silently, so
//! [`fix_dates`] runs on every document; so does [`upgrade_atom03`], since
//! feed-rs reads an Atom 0.3 feed as one without entries.
//!
//! Entities declared in a DOCTYPE are never expanded (feed-rs keeps an
//! unknown `&name;` as text), so entity-expansion bombs cost nothing; the
//! repairs leave the DOCTYPE, comments and CDATA sections untouched.

use std::borrow::Cow;
use std::ops::Range;

use chrono::{DateTime, SecondsFormat};

use crate::text::date::parse_local_date;
use crate::text::entity;
use crate::text::zone::{CHINA, host_zone, language_zone};

/// Why a document is no feed at all; no repair is tried on these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepairError {
    /// Nothing but whitespace and comments.
    #[error("empty document")]
    Empty,
    /// An HTML page: a login wall, an error page, the site's home page.
    #[error("not a feed: looks like HTML")]
    Html,
    /// An image, archive or other binary file, with its type if recognised.
    #[error("not a feed: binary data{}", .0.map(|t| format!(" ({t}?)")).unwrap_or_default())]
    Binary(Option<&'static str>),
}

/// A document after [`repair`], and what was done to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    /// The repaired text.
    pub text: String,
    /// The repairs that changed something, in the order they ran.
    pub applied: Vec<&'static str>,
    /// What closing a truncated document cut off, when it did.
    pub lost: Option<Lost>,
}

/// The tail a truncated document loses when it is cut after its last
/// complete item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Lost {
    /// Bytes of text cut off.
    pub bytes: usize,
    /// Items or entries that had started in them (cut off unfinished).
    pub items: usize,
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = if self.items == 1 { "" } else { "s" };
        write!(
            f,
            "{} bytes after the last complete item ({} unfinished item{plural})",
            self.bytes, self.items
        )
    }
}

/// One repair: its name (for error messages) and the function, which
/// returns `None` when it has nothing to change.
type Step = (&'static str, fn(&str) -> Option<String>);

const STEPS: [Step; 7] = [
    ("skipped junk before the document", skip_leading_junk),
    ("set the RSS version", rss_version),
    ("normalised Atom text types", atom_text_types),
    (
        "turned HTML entities into character references",
        html_entities,
    ),
    ("escaped bare ampersands", bare_ampersands),
    (CLOSE_TRUNCATED, close_truncated),
    ("wrapped RSS items in a channel", rss_channel),
];

/// The name of the repair that cuts a truncated document, which is the one
/// that loses text.
const CLOSE_TRUNCATED: &str = "closed a truncated document";

/// Applies every repair in turn to a document feed-rs rejected.
pub fn repair(text: &str) -> Repaired {
    let mut current = Cow::Borrowed(text);
    let mut applied = Vec::new();
    let mut lost = None;
    for (name, step) in STEPS {
        // Measured on the text this step gets, before it cuts.
        let tail = (name == CLOSE_TRUNCATED)
            .then(|| truncation(&current).map(|t| t.lost(&current)))
            .flatten();
        if let Some(fixed) = step(&current) {
            current = Cow::Owned(fixed);
            applied.push(name);
            lost = lost.or(tail);
        }
    }
    Repaired {
        text: current.into_owned(),
        applied,
        lost,
    }
}

/// What a rejected document is, when it is no feed at all. `raw` is the
/// body as downloaded, `text` the same decoded.
pub fn diagnose(raw: &[u8], text: &str) -> Option<RepairError> {
    if is_prolog(text.trim_start_matches('\u{feff}')) {
        return Some(RepairError::Empty);
    }
    if let Some(kind) = binary_kind(raw) {
        return Some(RepairError::Binary(kind));
    }
    looks_like_html(text).then_some(RepairError::Html)
}

/// Signatures of the binary files servers send in place of a feed.
const MAGIC: [(&[u8], &str); 9] = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"\x28\xb5\x2f\xfd", "application/zstd"),
    (b"\x00\x00\x01\x00", "image/x-icon"),
];

/// `Some(type)` for a recognised binary file, `Some(None)` for other bytes
/// no text has (NUL, outside UTF-16 and UTF-32), `None` for text.
fn binary_kind(raw: &[u8]) -> Option<Option<&'static str>> {
    if let Some((_, kind)) = MAGIC.iter().find(|(magic, _)| raw.starts_with(magic)) {
        return Some(Some(kind));
    }
    if raw.len() > 12 && raw.starts_with(b"RIFF") && &raw[8..12] == b"WEBP" {
        return Some(Some("image/webp"));
    }
    let head = &raw[..raw.len().min(1024)];
    let wide_text = encoding_rs::Encoding::for_bom(raw).is_some()
        || raw.starts_with(&[0, 0])
        || head.windows(2).any(|w| w == b"<\0" || w == b"\0<");
    (!wide_text && head.contains(&0)).then_some(None)
}

/// A root element that says HTML, or, without one, a DOCTYPE that does.
/// (Feeds have been served with an XHTML DOCTYPE before their `<rss>`.)
fn looks_like_html(text: &str) -> bool {
    let mut html_doctype = false;
    for (range, tag) in Tags::new(text) {
        match tag {
            Tag::Verbatim => {
                let markup = &text[range];
                let doctype = markup.get(..14).unwrap_or(markup);
                html_doctype |= doctype.eq_ignore_ascii_case("<!doctype html");
            }
            Tag::Open { name, .. } => {
                return ["html", "head", "body"]
                    .iter()
                    .any(|h| name.eq_ignore_ascii_case(h));
            }
            Tag::Close { .. } => break,
        }
    }
    html_doctype
}

/// Drops whatever precedes the XML declaration or the root element (a PHP
/// warning, a stray line) when it is more than whitespace and markup.
fn skip_leading_junk(text: &str) -> Option<String> {
    let start = document_start(text)?;
    let prefix = &text[..start];
    (start > 0 && !is_prolog(prefix)).then(|| text[start..].to_owned())
}

/// Where the document proper starts: its XML declaration, else its feed
/// root element, else (JSON Feed) its first brace.
fn document_start(text: &str) -> Option<usize> {
    let root = Tags::new(text).find_map(|(range, tag)| match tag {
        Tag::Open { name, .. } if is_feed_root(name) => Some(range.start),
        _ => None,
    });
    match root {
        Some(root) => Some(text[..root].find("<?xml").unwrap_or(root)),
        None if !text.trim_start().starts_with('<') => text.find('{'),
        None => None,
    }
}

fn is_feed_root(name: &str) -> bool {
    matches!(local_name(name), "rss" | "feed" | "RDF")
}

fn local_name(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

/// Only whitespace, comments, processing instructions and a DOCTYPE.
fn is_prolog(prefix: &str) -> bool {
    let mut tags = Tags::new(prefix);
    let mut at = 0;
    for (range, tag) in tags.by_ref() {
        if tag != Tag::Verbatim || !prefix[at..range.start].trim().is_empty() {
            return false;
        }
        at = range.end;
    }
    tags.cut_at.is_none() && prefix[at..].trim().is_empty()
}

/// The `version` values feed-rs dispatches on; any other, or none, makes it
/// reject an `<rss>` document as having no feed root.
const RSS_VERSIONS: [&str; 4] = ["2.0", "", "0.91", "0.92"];

/// Gives an `<rss>` root without a version feed-rs knows `version="2.0"`,
/// whose parser reads every RSS 0.9x and 2.x element.
fn rss_version(text: &str) -> Option<String> {
    let (range, tag) = Tags::new(text).find(|(_, t)| matches!(t, Tag::Open { .. }))?;
    if !matches!(tag, Tag::Open { name: "rss", .. }) {
        return None;
    }
    let start_tag = &text[range.clone()];
    let edit = match attribute(start_tag, "version") {
        Some(value) if RSS_VERSIONS.contains(&&start_tag[value.clone()]) => return None,
        Some(value) => (range.start + value.start..range.start + value.end, "2.0"),
        None => (range.start + 4..range.start + 4, " version=\"2.0\""),
    };
    Some(splice(text, [edit]))
}

/// Wraps the children of an `<rss>` root that has no `<channel>` in one:
/// feed-rs looks for items only there.
fn rss_channel(text: &str) -> Option<String> {
    let mut tags = Tags::new(text).filter(|(_, tag)| *tag != Tag::Verbatim);
    let (
        root,
        Tag::Open {
            name: "rss",
            empty: false,
        },
    ) = tags.next()?
    else {
        return None;
    };
    if tags.any(|(_, tag)| {
        matches!(
            tag,
            Tag::Open {
                name: "channel",
                ..
            }
        )
    }) {
        return None;
    }
    let close = text.rfind("</rss").filter(|&at| at >= root.end)?;
    Some(splice(
        text,
        [
            (root.end..root.end, "<channel>"),
            (close..close, "</channel>"),
        ],
    ))
}

/// Atom text constructs feed-rs reads: any other `type` fails the feed.
const TEXT_ELEMENTS: [&str; 5] = ["title", "subtitle", "summary", "rights", "content"];

/// Maps the `type` of Atom text constructs to one feed-rs accepts: Atom
/// 0.3's MIME types (`text/plain`, `application/xhtml+xml`), odd case, an
/// empty value, and (except on `content`, which may hold any media type)
/// anything else, read as text. Elements of other vocabularies (Media RSS's
/// `media:title type="plain"`) keep theirs.
fn atom_text_types(text: &str) -> Option<String> {
    let mut edits = Vec::new();
    for (range, tag) in Tags::new(text) {
        let Tag::Open { name, .. } = tag else {
            continue;
        };
        let local = local_name(name);
        let atom = local.len() == name.len() || name.starts_with("atom:");
        if !atom || !TEXT_ELEMENTS.contains(&local) {
            continue;
        }
        let start_tag = &text[range.clone()];
        let Some(value) = attribute(start_tag, "type") else {
            continue;
        };
        let current = &start_tag[value.clone()];
        let wanted = match current.trim().to_ascii_lowercase().as_str() {
            "" | "text" | "text/plain" => "text",
            "html" | "text/html" => "html",
            "xhtml" | "application/xhtml+xml" => "xhtml",
            _ if local == "content" => continue,
            _ => "text",
        };
        if current != wanted {
            edits.push((range.start + value.start..range.start + value.end, wanted));
        }
    }
    (!edits.is_empty()).then(|| splice(text, edits))
}

/// The five entities XML predefines; every other name needs a DTD.
const XML_ENTITIES: [&str; 5] = ["amp", "lt", "gt", "quot", "apos"];

/// Replaces HTML named entities (`&nbsp;`, `&eacute;`, `&hellip;`) with
/// numeric character references, which need no DTD.
fn html_entities(text: &str) -> Option<String> {
    rewrite_references(text, |at| {
        let (name, len) = entity_name(at)?;
        let (first, second) = html_entity(name)?;
        let reference = match second {
            Some(second) => format!("&#{};&#{};", u32::from(first), u32::from(second)),
            None => format!("&#{};", u32::from(first)),
        };
        Some((len, Cow::Owned(reference)))
    })
}

/// The characters of an HTML named entity other than the five XML ones.
fn html_entity(name: &str) -> Option<(char, Option<char>)> {
    if XML_ENTITIES.contains(&name) {
        return None;
    }
    entity::named(name)
}

/// `name` and the length of `&name;` at the start of `at`.
fn entity_name(at: &str) -> Option<(&str, usize)> {
    let body = at.strip_prefix('&')?;
    let len = body
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(body.len());
    let name = &body[..len];
    let starts_with_letter = name.starts_with(|c: char| c.is_ascii_alphabetic());
    (starts_with_letter && body[len..].starts_with(';')).then_some((name, len + 2))
}

/// Escapes every `&` that starts no reference (`AT&T`, `?a=1&b=2`), and
/// lowercases the `X` of `&#X41;`, which HTML allows and XML does not.
fn bare_ampersands(text: &str) -> Option<String> {
    rewrite_references(text, |at| {
        if entity_name(at).is_some() {
            return None;
        }
        let escape = Some((1, Cow::Borrowed("&amp;")));
        let Some(number) = at.strip_prefix("&#") else {
            return escape;
        };
        let (digits, radix) = match number.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16),
            None => (number, 10),
        };
        let len = digits
            .find(|c: char| !c.is_digit(radix))
            .unwrap_or(digits.len());
        if len == 0 || !digits[len..].starts_with(';') {
            escape
        } else if number.starts_with('X') {
            Some((3, Cow::Borrowed("&#x")))
        } else {
            None
        }
    })
}

/// Cuts a document that ends early (a size cap, a dropped connection) after
/// its last complete item or entry and closes the elements still open
/// there (`</channel></rss>`, `</feed>`, `</rdf:RDF>`), so the complete
/// items survive. A document without items is cut after its last complete
/// tag; one whose every item is cut off is left to fail: an empty feed
/// would hide that.
fn close_truncated(text: &str) -> Option<String> {
    let truncation = truncation(text)?;
    let mut fixed = text[..truncation.cut].to_owned();
    for name in truncation.still_open.iter().rev() {
        fixed.push_str("</");
        fixed.push_str(name);
        fixed.push('>');
    }
    (fixed != text).then_some(fixed)
}

/// Where [`close_truncated`] cuts a document, and the elements it closes.
struct Truncation<'a> {
    cut: usize,
    still_open: Vec<&'a str>,
}

impl Truncation<'_> {
    /// What cutting `text` (the text this was found in) loses.
    fn lost(&self, text: &str) -> Lost {
        let tail = &text[self.cut..];
        let items = Tags::new(tail)
            .filter(|(_, tag)| matches!(tag, Tag::Open { name, .. } if is_item(name)))
            .count();
        Lost {
            bytes: tail.trim_end().len(),
            items,
        }
    }
}

/// Where a document that ends early should be cut; `None` when it is
/// complete, or when its every item is cut off.
fn truncation(text: &str) -> Option<Truncation<'_>> {
    let mut tags = Tags::new(text);
    let mut open: Vec<&str> = Vec::new();
    let mut after_item: Option<(usize, Vec<&str>)> = None;
    let mut item_started = false;
    let mut complete_to = 0;
    for (range, tag) in tags.by_ref() {
        match tag {
            Tag::Open { name, empty: false } => {
                item_started |= is_item(name);
                open.push(name);
            }
            // An end tag closes whatever was left open inside its element
            // (`<br>` in unescaped HTML); a stray one closes nothing.
            Tag::Close { name } => {
                if let Some(depth) = open.iter().rposition(|&n| n == name) {
                    open.truncate(depth);
                    if is_item(name) {
                        after_item = Some((range.end, open.clone()));
                    }
                }
            }
            _ => {}
        }
        complete_to = range.end;
    }
    if open.is_empty() && tags.cut_at.is_none() {
        return None;
    }
    let (cut, still_open) = match after_item {
        Some(after_item) => after_item,
        None if item_started => return None,
        None => (complete_to, open),
    };
    Some(Truncation { cut, still_open })
}

fn is_item(name: &str) -> bool {
    matches!(local_name(name), "item" | "entry")
}

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";

/// Atom 0.3 element names and their Atom 1.0 successors.
const ATOM_03_NAMES: [(&str, &str); 4] = [
    ("issued", "published"),
    ("modified", "updated"),
    ("tagline", "subtitle"),
    ("copyright", "rights"),
];

/// Rewrites an Atom 0.3 document as Atom 1.0: its namespace, and the
/// elements 1.0 renamed. feed-rs knows only 1.0's namespace and reads a 0.3
/// feed, without an error, as one without entries, so this runs on every
/// document; it costs one look at the root element when there is nothing
/// to do. (Differences in content modes are left to the repairs.)
pub fn upgrade_atom03(text: &str) -> Option<String> {
    let (root, tag) = Tags::new(text).find(|(_, t)| matches!(t, Tag::Open { .. }))?;
    let Tag::Open {
        name: root_name, ..
    } = tag
    else {
        return None;
    };
    if local_name(root_name) != "feed" {
        return None;
    }
    let prefix = &root_name[..root_name.len() - "feed".len()];
    let xmlns = match prefix.strip_suffix(':') {
        Some(prefix) => format!("xmlns:{prefix}"),
        None => "xmlns".to_owned(),
    };
    let namespace = attribute(&text[root.clone()], &xmlns)?;
    if text[root.clone()][namespace.clone()].trim() != ATOM_03 {
        return None;
    }
    let mut edits = vec![(
        root.start + namespace.start..root.start + namespace.end,
        ATOM_10,
    )];
    for (range, tag) in Tags::new(text) {
        let (name, at) = match tag {
            Tag::Open { name, .. } => (name, range.start + 1),
            Tag::Close { name } => (name, range.start + 2),
            Tag::Verbatim => continue,
        };
        let Some(local) = name.strip_prefix(prefix) else {
            continue;
        };
        if let Some((_, new)) = ATOM_03_NAMES.iter().find(|(old, _)| *old == local) {
            edits.push((at + prefix.len()..at + name.len(), new));
        }
    }
    Some(splice(text, edits))
}

/// Rewrites, into RFC 3339, the dates feed-rs cannot read and would drop:
/// numeric ones without a zone or in Chinese (`2024-08-19 10:30:00`,
/// `2024/8/19 10:30`, `2024年08月19日 10:30`) in `pubDate`, `dc:date`,
/// `published`, `updated` and `lastBuildDate`. A date without a zone is
/// local time where [`document_zone`] knows the zone, China's when written
/// in Chinese, else UTC. English forms are left to feed-rs, whose RFC 2822
/// reading is lenient. Returns `None`, having copied nothing, when no date
/// needs it.
pub fn fix_dates(text: &str, base_url: &str) -> Option<String> {
    if !may_hold_numeric_date(text) {
        return None;
    }
    let mut zone = None;
    let mut edits = Vec::new();
    for (range, tag) in Tags::new(text) {
        let Tag::Open { name, empty: false } = tag else {
            continue;
        };
        if !is_date_element(name) {
            continue;
        }
        let Some((body, date)) = element_text(text, range.end) else {
            continue;
        };
        if !needs_fixing(date) {
            continue;
        }
        let zone = *zone.get_or_insert_with(|| document_zone(text, base_url));
        let han = date.contains(crate::text::script::is_han);
        let offset = zone.or(han.then_some(CHINA)).unwrap_or(0);
        if let Some(date) = parse_local_date(date, offset) {
            edits.push((body, date.to_rfc3339_opts(SecondsFormat::Secs, true)));
        }
    }
    (!edits.is_empty()).then(|| splice(text, edits))
}

/// Whether any element's text (or CDATA section) may start with a year, as
/// every date [`needs_fixing`] does: four digits right after a `>` or `[`.
/// Most feeds write RFC 2822 or RFC 3339 dates and have none to fix, and
/// this byte scan spares them the tag-by-tag walk of the whole document.
fn may_hold_numeric_date(text: &str) -> bool {
    memchr::memchr2_iter(b'>', b'[', text.as_bytes()).any(|at| {
        // Whitespace may come first, as `needs_fixing`'s `trim` allows; `at`
        // is an ASCII byte, so `at + 1` is a character boundary.
        let rest = text[at + 1..].trim_start().as_bytes();
        rest.get(..4)
            .is_some_and(|year| year.iter().all(u8::is_ascii_digit))
    })
}

fn is_date_element(name: &str) -> bool {
    let local = local_name(name);
    matches!(local, "pubDate" | "published" | "updated" | "lastBuildDate")
        || (local == "date" && local.len() < name.len())
}

/// A year-first date that is not RFC 3339: feed-rs reads those only in the
/// few forms its RFC 3339 fix-ups cover, and the page date reader reads them
/// all (the same instant where both do).
fn needs_fixing(date: &str) -> bool {
    let date = date.trim();
    date.len() >= 8
        && date.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && DateTime::parse_from_rfc3339(date).is_err()
}

/// The text of the element whose start tag ends at `at`, plain or in one
/// CDATA section, and the range to replace it in; `None` for mixed content.
fn element_text(text: &str, at: usize) -> Option<(Range<usize>, &str)> {
    let rest = &text[at..];
    let lt = rest.find('<')?;
    if rest[lt..].starts_with("</") {
        return Some((at..at + lt, &rest[..lt]));
    }
    let inner = rest[lt..].strip_prefix("<![CDATA[")?;
    let inner_len = inner.find("]]>")?;
    let end = lt + "<![CDATA[".len() + inner_len + "]]>".len();
    let closed = rest[end..].trim_start().starts_with("</");
    (rest[..lt].trim().is_empty() && closed).then(|| (at..at + end, &inner[..inner_len]))
}

/// The zone of dates that name none, in seconds east of UTC, where the host
/// or the document's declared language tells it.
fn document_zone(text: &str, base_url: &str) -> Option<i64> {
    if let Some(zone) = host_zone(base_url) {
        return Some(zone);
    }
    let head = &text[..text.floor_char_boundary(4096)];
    language_zone(declared_language(head)?)
}

/// `<language>` (RSS), `<dc:language>` or the first `xml:lang`.
fn declared_language(head: &str) -> Option<&str> {
    if let Some(at) = head.find("language>") {
        let value = &head[at + "language>".len()..];
        return Some(value[..value.find('<')?].trim());
    }
    let at = head.find("lang=")?;
    let value = head[at + "lang=".len()..].trim_start_matches(['"', '\'']);
    Some(&value[..value.find(['"', '\''])?])
}

/// Replaces HTML named entities in text with their characters. feed-rs
/// keeps an entity XML does not define (`&nbsp;`) as it is: right in an HTML
/// field, a stray `&nbsp;` in a plain-text one such as a title.
pub(crate) fn decode_html_entities(text: &str) -> Cow<'_, str> {
    let mut edits = Vec::new();
    let mut next_free = 0;
    for (at, _) in text.match_indices('&') {
        if at < next_free {
            continue;
        }
        let Some((name, len)) = entity_name(&text[at..]) else {
            continue;
        };
        if let Some((first, second)) = html_entity(name) {
            let mut with = String::from(first);
            with.extend(second);
            edits.push((at..at + len, with));
            next_free = at + len;
        }
    }
    if edits.is_empty() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(splice(text, edits))
    }
}

/// Applies `f` to every `&` outside verbatim sections (comments, CDATA, the
/// DOCTYPE): `f` gets the text from that `&` on and returns how many bytes
/// to replace, and with what.
fn rewrite_references(
    text: &str,
    f: impl Fn(&str) -> Option<(usize, Cow<'static, str>)>,
) -> Option<String> {
    let verbatim = verbatim_spans(text);
    let mut verbatim = verbatim.iter().peekable();
    let mut edits = Vec::new();
    let mut next_free = 0;
    for (at, _) in text.match_indices('&') {
        if at < next_free {
            continue;
        }
        while verbatim.next_if(|span| span.end <= at).is_some() {}
        if verbatim.peek().is_some_and(|span| span.start <= at) {
            continue;
        }
        if let Some((len, with)) = f(&text[at..]) {
            edits.push((at..at + len, with));
            next_free = at + len;
        }
    }
    (!edits.is_empty()).then(|| splice(text, edits))
}

/// Comments, CDATA sections, processing instructions and the DOCTYPE, in
/// order; a document cut off inside markup counts as verbatim from there.
fn verbatim_spans(text: &str) -> Vec<Range<usize>> {
    let mut tags = Tags::new(text);
    let mut spans: Vec<_> = tags
        .by_ref()
        .filter(|(_, tag)| *tag == Tag::Verbatim)
        .map(|(range, _)| range)
        .collect();
    spans.extend(tags.cut_at.map(|at| at..text.len()));
    spans
}

/// `text` with each range replaced. The ranges come from scanning broken
/// documents, so they are put in order first, and one that overlaps an
/// earlier edit, runs backwards or splits a character is left out rather
/// than sliced (the fuzzer found an Atom 0.3 feed behind an unterminated
/// declaration whose renames came before the root's).
pub(crate) fn splice<S: AsRef<str>>(
    text: &str,
    edits: impl IntoIterator<Item = (Range<usize>, S)>,
) -> String {
    let mut edits: Vec<(Range<usize>, S)> = edits.into_iter().collect();
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(text.len() + 64);
    let mut copied = 0;
    for (range, with) in edits {
        let usable = copied <= range.start
            && range.start <= range.end
            && range.end <= text.len()
            && text.is_char_boundary(range.start)
            && text.is_char_boundary(range.end);
        if !usable {
            continue;
        }
        out.push_str(&text[copied..range.start]);
        out.push_str(with.as_ref());
        copied = range.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// The byte range of the value of attribute `wanted` in a start tag.
fn attribute(start_tag: &str, wanted: &str) -> Option<Range<usize>> {
    let mut at = start_tag.find(|c: char| c.is_whitespace() || matches!(c, '>' | '/'))?;
    loop {
        at += start_tag[at..].find(|c: char| !c.is_whitespace() && c != '/')?;
        let rest = &start_tag[at..];
        if rest.starts_with('>') {
            return None;
        }
        let name_len = rest.find(|c: char| c.is_whitespace() || matches!(c, '=' | '>' | '/'))?;
        let name = &rest[..name_len];
        at += name_len;
        let after = start_tag[at..].trim_start();
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        at = start_tag.len() - value.len();
        let (range, next) = match value.chars().next()? {
            quote @ ('"' | '\'') => {
                let len = value[1..].find(quote)?;
                (at + 1..at + 1 + len, at + len + 2)
            }
            _ => {
                let len = value
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .unwrap_or(value.len());
                (at..at + len, at + len)
            }
        };
        if name == wanted {
            return Some(range);
        }
        at = next;
    }
}

/// A piece of markup found by [`Tags`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag<'a> {
    /// A start tag; `empty` when it closes itself (`<link …/>`).
    Open { name: &'a str, empty: bool },
    /// An end tag.
    Close { name: &'a str },
    /// A comment, CDATA section, processing instruction or DOCTYPE.
    Verbatim,
}

/// The tags of a document in order, with their byte ranges; text between
/// them is skipped. Stops at markup that is cut off, noting where in
/// `cut_at`. Forgiving where XML is not: a `<` that starts no markup is text.
struct Tags<'a> {
    text: &'a str,
    at: usize,
    cut_at: Option<usize>,
}

impl<'a> Tags<'a> {
    fn new(text: &'a str) -> Self {
        Tags {
            text,
            at: 0,
            cut_at: None,
        }
    }
}

impl<'a> Iterator for Tags<'a> {
    type Item = (Range<usize>, Tag<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        while self.cut_at.is_none() {
            let start = self.at + self.text[self.at..].find('<')?;
            match markup_at(&self.text[start..]) {
                Markup::Complete(len, tag) => {
                    self.at = start + len;
                    return Some((start..start + len, tag));
                }
                Markup::Text => self.at = start + 1,
                Markup::CutOff => self.cut_at = Some(start),
            }
        }
        None
    }
}

/// What a `<` starts.
enum Markup<'a> {
    /// A whole tag, so many bytes long.
    Complete(usize, Tag<'a>),
    /// Nothing: a `<` in text.
    Text,
    /// Markup the document ends inside of.
    CutOff,
}

fn markup_at(rest: &str) -> Markup<'_> {
    for (open, close) in [("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>")] {
        if let Some(inside) = rest.strip_prefix(open) {
            return match memchr::memmem::find(inside.as_bytes(), close.as_bytes()) {
                Some(len) => Markup::Complete(open.len() + len + close.len(), Tag::Verbatim),
                None => Markup::CutOff,
            };
        }
    }
    if rest.starts_with("<!") {
        return match declaration_len(rest) {
            Some(len) => Markup::Complete(len, Tag::Verbatim),
            None => Markup::CutOff,
        };
    }
    let (body, closing) = match rest.strip_prefix("</") {
        Some(body) => (body, true),
        None => (&rest[1..], false),
    };
    let name_len = body
        .find(|c: char| c.is_whitespace() || matches!(c, '>' | '/'))
        .unwrap_or(body.len());
    let name = &body[..name_len];
    if !name.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return if body.is_empty() {
            Markup::CutOff
        } else {
            Markup::Text
        };
    }
    let Some(end) = tag_end(body) else {
        return Markup::CutOff;
    };
    let len = rest.len() - body.len() + end + 1;
    let tag = if closing {
        Tag::Close { name }
    } else {
        Tag::Open {
            name,
            empty: body[..end].ends_with('/'),
        }
    };
    Markup::Complete(len, tag)
}

/// The index of the `>` that ends a tag, skipping quoted attribute values.
fn tag_end(body: &str) -> Option<usize> {
    let mut quote = None;
    let mut after_equals = false;
    for (i, c) in body.char_indices() {
        match quote {
            None if c == '>' => return Some(i),
            None if after_equals && matches!(c, '"' | '\'') => quote = Some(c),
            Some(q) if c == q => quote = None,
            _ => {}
        }
        if !c.is_whitespace() {
            after_equals = quote.is_none() && c == '=';
        }
    }
    None
}

/// The length of `<!DOCTYPE …>`, internal subset (in brackets) included.
fn declaration_len(rest: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote = None;
    for (i, c) in rest.char_indices().skip(2) {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => depth = depth.saturating_sub(1),
            (None, '>') if depth == 0 => return Some(i + 1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {

    #[test]
    #[allow(clippy::reversed_empty_ranges)] // a backwards range is what a broken scan can yield
    fn splice_leaves_out_edits_out_of_order_or_overlapping() {
        let text = "abcdef";
        let edits = [
            (4..5, "E"),
            (0..1, "A"),
            (0..2, "X"),
            (5..3, "?"),
            (2..9, "?"),
        ];
        assert_eq!(splice(text, edits), "AbcdEf");
        assert_eq!(splice("é", [(1..2, "x")]), "é");
        // A closing tag before the root put a rename before the namespace
        // edit; the fuzzer's input panicked here.
        let doc = r#"</tagline><feed version="0.3" xmlns="http://purl.org/atom/ns#"><tagline>T</tagline></feed>"#;
        let upgraded = upgrade_atom03(doc).unwrap_or_default();
        assert!(
            upgraded.contains("http://www.w3.org/2005/Atom"),
            "{upgraded}"
        );
    }

    use super::*;

    const RSS_END: &str = "</channel></rss>";

    fn rss(items: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>{items}{RSS_END}"
        )
    }

    #[test]
    fn junk_before_the_declaration_or_root_is_dropped_a_prolog_is_kept() {
        let warning = "PHP Warning: <b>deprecated</b> in x.php\n<?xml version=\"1.0\"?><rss/>";
        assert_eq!(
            skip_leading_junk(warning).as_deref(),
            Some("<?xml version=\"1.0\"?><rss/>")
        );
        assert_eq!(
            skip_leading_junk("\u{3000}oops<feed xmlns=\"a\"/>").as_deref(),
            Some("<feed xmlns=\"a\"/>")
        );
        assert_eq!(
            skip_leading_junk(")]}'\n{\"version\":\"x\"}").as_deref(),
            Some("{\"version\":\"x\"}")
        );
        let prolog = "  <!-- generated --><!DOCTYPE rss [<!ENTITY a \"b\">]>\n<rss/>";
        assert_eq!(skip_leading_junk(prolog), None);
        assert_eq!(skip_leading_junk("<html><p>no feed</p></html>"), None);
    }

    #[test]
    fn rss_without_a_version_feed_rs_knows_gets_2_0() {
        assert_eq!(
            rss_version("<rss><channel/></rss>").as_deref(),
            Some("<rss version=\"2.0\"><channel/></rss>")
        );
        assert_eq!(
            rss_version("<!-- x --><rss version='0.94' xmlns:dc=\"d\">").as_deref(),
            Some("<!-- x --><rss version='2.0' xmlns:dc=\"d\">")
        );
        assert_eq!(rss_version("<rss version=\"0.91\">"), None);
        assert_eq!(
            rss_version("<feed xmlns=\"http://www.w3.org/2005/Atom\">"),
            None
        );
    }

    #[test]
    fn items_directly_under_rss_get_a_channel() {
        assert_eq!(
            rss_channel("<rss version=\"2.0\"><item><title>a</title></item></rss>").as_deref(),
            Some("<rss version=\"2.0\"><channel><item><title>a</title></item></channel></rss>")
        );
        assert_eq!(rss_channel(&rss("<item/>")), None);
    }

    #[test]
    fn atom_text_types_become_ones_feed_rs_reads() {
        let atom = "<feed><title type=\"text/plain\">a</title><entry>\
            <summary type=\"\">b</summary><content type=\"HTML\">c</content>\
            <rights type=\"application/octet-stream\">d</rights>\
            <content type=\"image/png\">e</content><media:title type=\"plain\">f</media:title>\
            <title type=\"xhtml\">g</title></entry></feed>";
        assert_eq!(
            atom_text_types(atom).as_deref(),
            Some(
                "<feed><title type=\"text\">a</title><entry>\
            <summary type=\"text\">b</summary><content type=\"html\">c</content>\
            <rights type=\"text\">d</rights>\
            <content type=\"image/png\">e</content><media:title type=\"plain\">f</media:title>\
            <title type=\"xhtml\">g</title></entry></feed>"
            )
        );
        assert_eq!(atom_text_types("<feed><title>a</title></feed>"), None);
    }

    #[test]
    fn html_entities_become_numeric_outside_cdata_and_comments() {
        let doc = "<title a=\"&eacute;\">&nbsp;&eacute;&mdash;&hellip;&amp;&lt;&bogus;\
            &NotEqualTilde;</title><!-- &nbsp; --><d><![CDATA[&nbsp;]]></d>";
        assert_eq!(
            html_entities(doc).as_deref(),
            Some(
                "<title a=\"&#233;\">&#160;&#233;&#8212;&#8230;&amp;&lt;&bogus;\
            &#8770;&#824;</title><!-- &nbsp; --><d><![CDATA[&nbsp;]]></d>"
            )
        );
        assert_eq!(html_entities("<t>&amp; &#160;</t>"), None);
    }

    #[test]
    fn bare_ampersands_are_escaped_and_references_kept() {
        let doc = "<link>http://a/?x=1&y=2&z</link><t>AT&T & co &amp; &#38; &#x26; &#X41; &#; &name;</t>\
            <d><![CDATA[AT&T]]></d><!-- & -->";
        assert_eq!(
            bare_ampersands(doc).as_deref(),
            Some(
                "<link>http://a/?x=1&amp;y=2&amp;z</link><t>AT&amp;T &amp; co &amp; &#38; &#x26; &#x41; &amp;#; &name;</t>\
            <d><![CDATA[AT&T]]></d><!-- & -->"
            )
        );
        assert_eq!(bare_ampersands("<t>&amp;</t>"), None);
    }

    #[test]
    fn the_date_pre_scan_passes_every_date_that_may_need_fixing() {
        assert!(may_hold_numeric_date("<pubDate>2024-08-19 10:30</pubDate>"));
        assert!(may_hold_numeric_date(
            "<dc:date><![CDATA[ 2024/8/19]]></dc:date>"
        ));
        assert!(may_hold_numeric_date(
            "<pubDate>\u{3000}2024年8月19日</pubDate>"
        ));
        assert!(!may_hold_numeric_date(
            "<pubDate>Tue, 02 Dec 2026 10:30:00 +0000</pubDate><title>In 2026</title>"
        ));
        assert!(
            fix_dates(
                "<pubDate>\u{3000}2024-08-19 10:30</pubDate>",
                "https://a.cn/"
            )
            .is_some()
        );
    }

    #[test]
    fn repair_says_what_a_cut_loses_and_only_when_it_cuts() {
        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id></entry>\
                    <entry><id>2</id></entry><entry><id>3";
        let repaired = repair(atom);
        assert_eq!(repaired.applied, ["closed a truncated document"]);
        let lost = repaired.lost.unwrap();
        assert_eq!(
            lost,
            Lost {
                bytes: "<entry><id>3".len(),
                items: 1
            }
        );
        assert_eq!(
            lost.to_string(),
            "12 bytes after the last complete item (1 unfinished item)"
        );
        // Other repairs lose nothing.
        let repaired = repair("<rss><channel><item><title>A & B</title></item></channel></rss>");
        assert!(!repaired.applied.is_empty());
        assert_eq!(repaired.lost, None);
    }

    #[test]
    fn truncated_documents_keep_their_complete_items() {
        let item = |n: u8| format!("<item><title>{n}</title><guid>{n}</guid></item>");
        let whole = rss(&format!("{}{}", item(1), item(2)));
        let cut = &whole[..whole.find("<guid>2").unwrap_or(0) + 4];
        let expected = rss(&item(1));
        assert_eq!(close_truncated(cut).as_deref(), Some(expected.as_str()));
        assert_eq!(close_truncated(&whole), None);

        let atom =
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id></entry><entry><id>2";
        assert_eq!(
            close_truncated(atom).as_deref(),
            Some("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id></entry></feed>")
        );
        let rdf = "<rdf:RDF><channel/><item><title>1</title></item><item><title>2</tit";
        assert_eq!(
            close_truncated(rdf).as_deref(),
            Some("<rdf:RDF><channel/><item><title>1</title></item></rdf:RDF>")
        );
        // Every item cut off: nothing to save.
        let partial = rss("<item><title><![CD");
        assert_eq!(close_truncated(partial.trim_end_matches(RSS_END)), None);
        // No items: cut after the last complete tag.
        assert_eq!(
            close_truncated("<rss version=\"2.0\"><channel><title>t</title></channel></rss")
                .as_deref(),
            Some("<rss version=\"2.0\"><channel><title>t</title></channel></rss>")
        );
        // A CDATA section cut off is not read as markup.
        let cdata = rss(&format!("{}<item><description><![CDATA[<p>x</p>", item(1)));
        assert_eq!(
            close_truncated(&cdata).as_deref(),
            Some(rss(&item(1)).as_str())
        );
    }

    #[test]
    fn numeric_and_chinese_dates_become_rfc3339() {
        let doc = rss("<item><pubDate>2024年08月19日 10:30</pubDate></item>\
            <item><dc:date>2024-08-19 10:30:00</dc:date></item>\
            <item><pubDate><![CDATA[2024/8/19 10:30]]></pubDate></item>\
            <item><pubDate>Mon, 19 Aug 2024 10:30:00 +0800</pubDate></item>\
            <item><updated>2024-08-19T10:30:00Z</updated><date>2024-08-19 10:30</date></item>");
        let fixed = fix_dates(&doc, "https://www.example.com.cn/rss.xml").unwrap_or_default();
        assert_eq!(
            fixed,
            rss("<item><pubDate>2024-08-19T02:30:00Z</pubDate></item>\
            <item><dc:date>2024-08-19T02:30:00Z</dc:date></item>\
            <item><pubDate>2024-08-19T02:30:00Z</pubDate></item>\
            <item><pubDate>Mon, 19 Aug 2024 10:30:00 +0800</pubDate></item>\
            <item><updated>2024-08-19T10:30:00Z</updated><date>2024-08-19 10:30</date></item>")
        );
        // Elsewhere a date without a zone is UTC, unless written in Chinese.
        let fixed = fix_dates(&doc, "https://example.org/rss.xml").unwrap_or_default();
        assert!(
            fixed.contains("<pubDate>2024-08-19T02:30:00Z</pubDate>"),
            "{fixed}"
        );
        assert!(
            fixed.contains("<dc:date>2024-08-19T10:30:00Z</dc:date>"),
            "{fixed}"
        );
        let chinese = doc.replace("<title>t</title>", "<language>zh-CN</language>");
        let fixed = fix_dates(&chinese, "https://example.org/rss.xml").unwrap_or_default();
        assert!(
            fixed.contains("<dc:date>2024-08-19T02:30:00Z</dc:date>"),
            "{fixed}"
        );
        // Nothing to do: nothing copied.
        assert_eq!(
            fix_dates(
                &rss("<item><pubDate>Mon, 19 Aug 2024 10:30:00 GMT</pubDate></item>"),
                ""
            ),
            None
        );
    }

    #[test]
    fn documents_that_are_no_feed_say_what_they_are() {
        let diagnose_bytes = |b: &[u8]| diagnose(b, &String::from_utf8_lossy(b));
        assert_eq!(diagnose_bytes(b" \n\t"), Some(RepairError::Empty));
        assert_eq!(
            diagnose_bytes(b"<!-- nothing -->"),
            Some(RepairError::Empty)
        );
        assert_eq!(
            diagnose_bytes(b"<!DOCTYPE html>\n<html><body>Log in</body></html>"),
            Some(RepairError::Html)
        );
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(
            diagnose_bytes(png),
            Some(RepairError::Binary(Some("image/png")))
        );
        assert_eq!(
            RepairError::Binary(Some("image/png")).to_string(),
            "not a feed: binary data (image/png?)"
        );
        assert_eq!(
            diagnose_bytes(b"ab\0\x01\x02cd"),
            Some(RepairError::Binary(None))
        );
        let xhtml_doctype =
            b"<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\" \"x\"><rss><channel/></rss>";
        assert_eq!(diagnose_bytes(xhtml_doctype), None);
        assert_eq!(diagnose_bytes(rss("").as_bytes()), None);
    }

    #[test]
    fn html_entities_in_plain_text_decode() {
        assert_eq!(
            decode_html_entities("Caf&eacute;&nbsp;&amp; AT&T"),
            "Café\u{a0}&amp; AT&T"
        );
        assert!(matches!(decode_html_entities("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn repair_runs_every_step_and_names_what_it_did() {
        let broken = "junk<rss><channel><item><title>AT&T&nbsp;news</title></item><item><title>cut";
        let repaired = repair(broken);
        assert_eq!(
            repaired.text,
            "<rss version=\"2.0\"><channel><item><title>AT&amp;T&#160;news</title></item></channel></rss>"
        );
        assert_eq!(
            repaired.applied,
            [
                "skipped junk before the document",
                "set the RSS version",
                "turned HTML entities into character references",
                "escaped bare ampersands",
                "closed a truncated document",
            ]
        );
    }

    #[test]
    fn attributes_are_found_with_any_quoting() {
        let tag = "<rss a=\"1\" b='2' c=3 d version = \"2.0\">";
        let value = |name| attribute(tag, name).map(|r| &tag[r]);
        assert_eq!(value("a"), Some("1"));
        assert_eq!(value("b"), Some("2"));
        assert_eq!(value("c"), Some("3"));
        assert_eq!(value("d"), None);
        assert_eq!(value("version"), Some("2.0"));
    }

    #[test]
    fn atom_03_becomes_atom_10() {
        let atom03 = "<?xml version=\"1.0\"?><feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\" \
            xmlns:dcterms=\"http://purl.org/dc/terms/\"><tagline>t</tagline><entry><issued>2004-01-02T00:00:00Z</issued>\
            <modified>2004-01-03T00:00:00Z</modified><dcterms:modified>x</dcterms:modified></entry></feed>";
        assert_eq!(
            upgrade_atom03(atom03).as_deref(),
            Some(
                "<?xml version=\"1.0\"?><feed version=\"0.3\" xmlns=\"http://www.w3.org/2005/Atom\" \
            xmlns:dcterms=\"http://purl.org/dc/terms/\"><subtitle>t</subtitle><entry><published>2004-01-02T00:00:00Z</published>\
            <updated>2004-01-03T00:00:00Z</updated><dcterms:modified>x</dcterms:modified></entry></feed>"
            )
        );
        let prefixed = "<a:feed xmlns:a=\"http://purl.org/atom/ns#\"><a:entry><a:issued>x</a:issued></a:entry></a:feed>";
        assert_eq!(
            upgrade_atom03(prefixed).as_deref(),
            Some(
                "<a:feed xmlns:a=\"http://www.w3.org/2005/Atom\"><a:entry><a:published>x</a:published></a:entry></a:feed>"
            )
        );
        assert_eq!(
            upgrade_atom03("<feed xmlns=\"http://www.w3.org/2005/Atom\"/>"),
            None
        );
        assert_eq!(upgrade_atom03(&rss("<item/>")), None);
    }
}
