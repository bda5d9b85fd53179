//! Turning a downloaded document into entries: feeds (`feed`) and HTML list
//! pages (`page`). Both produce the same [`Entry`].

pub mod feed;
pub mod page;

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
}

/// Why a document could not be read as entries.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Not a feed feed-rs understands, even after repair.
    #[error("not a valid feed: {0}")]
    Feed(String),
    /// A `[source.page]` selector is not valid CSS.
    #[error("bad selector {selector:?}: {message}")]
    Selector {
        /// The selector as configured.
        selector: String,
        /// The parser's complaint.
        message: String,
    },
}
