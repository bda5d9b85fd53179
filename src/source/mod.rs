//! Turning a downloaded document into entries: feeds (`feed`, with the
//! fixes for broken ones in `repair`) and HTML list pages (`page`). Both
//! produce the same [`Entry`].

pub mod base;
pub mod discover;
pub mod feed;
pub mod hubs;
pub mod page;
pub mod repair;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One item read from a source, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The source's own id for the item (GUID); stable across fetches.
    pub id: String,
    /// Link to the article, absolute.
    pub url: Option<String>,
    /// Title as plain text.
    pub title: String,
    /// Author names, comma separated.
    pub author: Option<String>,
    /// When the item was published (or last updated, if that is all we have).
    pub published: Option<DateTime<Utc>>,
    /// Short description, HTML as the source gave it.
    pub summary: Option<String>,
    /// Full content, HTML as the source gave it.
    pub content: Option<String>,
    /// Attached media (podcast audio, images), in document order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub enclosures: Vec<Enclosure>,
    /// Categories or tags as the source named them, in document order,
    /// without repeats.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
}

/// A media file attached to an entry (RSS `<enclosure>`, Atom
/// `link rel="enclosure"`, JSON Feed `attachments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Enclosure {
    /// Absolute http(s) URL of the file.
    pub url: String,
    /// MIME type, if given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mime: Option<String>,
    /// Size in bytes, if given (and not zero: feeds write 0 for unknown).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub length: Option<u64>,
}

impl Entry {
    /// The entry with characters that XML 1.0 forbids (and PostgreSQL's TEXT
    /// rejects, like NUL) removed from every field: one bad byte in a feed
    /// must not make the merged feed invalid or a source fail forever.
    pub fn without_control_chars(self) -> Entry {
        Entry {
            id: strip_control(self.id),
            url: self.url.map(strip_control),
            title: strip_control(self.title),
            author: self.author.map(strip_control),
            published: self.published,
            summary: self.summary.map(strip_control),
            content: self.content.map(strip_control),
            enclosures: self
                .enclosures
                .into_iter()
                .map(|e| Enclosure {
                    url: strip_control(e.url),
                    mime: e.mime.map(strip_control),
                    length: e.length,
                })
                .collect(),
            categories: self.categories.into_iter().map(strip_control).collect(),
        }
    }
}

/// Removes C0 controls other than tab, newline and carriage return, and the
/// noncharacters U+FFFE and U+FFFF. C1 controls (U+0080–U+009F) become the
/// windows-1252 characters they stand for (`don\u{92}t` → `don’t`): no news
/// text means a C1 control, they come from windows-1252 read as ISO-8859-1
/// somewhere upstream.
pub fn strip_control(text: String) -> String {
    let bad = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
            || ('\u{80}'..='\u{9f}').contains(&c)
            || matches!(c, '\u{fffe}' | '\u{ffff}')
    };
    if !may_hold_control(text.as_bytes()) || !text.contains(bad) {
        return text;
    }
    text.chars()
        .filter_map(|c| match c {
            '\u{80}'..='\u{9f}' => web_atoms::C1_REPLACEMENTS[c as usize - 0x80],
            _ if bad(c) => None,
            _ => Some(c),
        })
        .collect()
}

/// Whether UTF-8 `bytes` may hold a character [`strip_control`] removes: a C0
/// control byte, or the lead byte of U+0080–U+009F (`C2`) or of U+FFFE/U+FFFF
/// (`EF`). A byte test the compiler vectorises, so the character-by-character
/// check runs only on the rare text that may need it.
fn may_hold_control(bytes: &[u8]) -> bool {
    let suspect =
        |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) | (b == 0xc2) | (b == 0xef);
    // Whole chunks without an early exit, which is what lets it vectorise.
    bytes
        .chunks(64)
        .any(|chunk| chunk.iter().fold(false, |seen, &b| seen | suspect(b)))
}

/// Why a document could not be read as entries.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Not a feed feed-rs understands, even after repair: its complaint
    /// about the document as it came, and what the repairs tried.
    #[error("not a valid feed: {0}")]
    Feed(String),
    /// No feed at all: empty, an HTML page, an image.
    #[error(transparent)]
    NotAFeed(#[from] repair::RepairError),
    /// A `[source.page]` selector is not valid CSS.
    #[error("bad selector {selector:?}: {message}")]
    Selector {
        /// The selector as configured.
        selector: String,
        /// The parser's complaint.
        message: String,
    },
    /// A list page nested so deep that parsing it would take unbounded
    /// time (the parser is quadratic in depth); it is not read.
    #[error(
        "the page nests elements deeper than {} levels; not read",
        crate::text::markup::MAX_DEPTH
    )]
    TooDeep,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_go_and_c1_controls_become_windows_1252() {
        assert_eq!(strip_control("a\u{0}b\tc\u{fffe}".into()), "ab\tc");
        assert_eq!(
            strip_control("don\u{92}t \u{93}x\u{94}\u{81}".into()),
            "don\u{2019}t \u{201c}x\u{201d}"
        );
        assert_eq!(strip_control("plain ünïcode".into()), "plain ünïcode");
    }
}
