//! The merged feed: one item per story, rendered as Atom 1.0, RSS 2.0 and
//! JSON Feed 1.1. Rendering is pure: stories in, document text out, so the
//! daemon's server and `feedfold feed` print the same bytes.

mod atom;
mod html;
mod item;
mod json;
mod rss;
mod snapshot;

use chrono::{DateTime, Utc};
use xxhash_rust::xxh3::xxh3_64;

pub use html::render_page;
pub use item::{AlsoReported, Item, escape_html};
pub use snapshot::{Snapshot, load_items};

/// A feed format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    /// Atom 1.0 (RFC 4287).
    Atom,
    /// RSS 2.0.
    Rss,
    /// JSON Feed 1.1.
    Json,
}

impl Format {
    /// Every format, in the order documents are produced.
    pub const ALL: [Format; 3] = [Format::Atom, Format::Rss, Format::Json];

    /// The file extension used in feed paths.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Atom => "atom",
            Format::Rss => "rss",
            Format::Json => "json",
        }
    }

    /// The HTTP `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// The format a path extension names.
    pub fn from_extension(ext: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.extension() == ext)
    }
}

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The XML writer failed.
    #[error("cannot write {format:?} feed: {message}")]
    Write {
        /// The format being written.
        format: Format,
        /// The writer's error.
        message: String,
    },
    /// Stories could not be read.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// What a feed document says about itself.
#[derive(Debug, Clone)]
pub struct FeedMeta {
    /// Feed title.
    pub title: String,
    /// The server's public base URL (ends with `/`).
    pub base_url: url::Url,
    /// The group this feed is restricted to, if any.
    pub group: Option<String>,
}

impl FeedMeta {
    /// The feed's own URL in `format`.
    pub fn self_url(&self, format: Format) -> String {
        let path = match &self.group {
            Some(group) => format!("feeds/{group}.{}", format.extension()),
            None => format!("feed.{}", format.extension()),
        };
        self.base_url.join(&path).map_or(path, |u| u.to_string())
    }

    /// A stable id for the feed itself.
    pub fn feed_id(&self) -> String {
        match &self.group {
            Some(group) => format!("{}feeds/{group}", self.base_url),
            None => self.base_url.to_string(),
        }
    }

    /// The title shown to readers, with the group if any.
    pub fn display_title(&self) -> String {
        match &self.group {
            Some(group) => format!("{} — {group}", self.title),
            None => self.title.clone(),
        }
    }
}

/// A rendered feed document with its HTTP validators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The format.
    pub format: Format,
    /// The document text.
    pub body: String,
    /// A weak ETag derived from the body, so every daemon computes the same one.
    pub etag: String,
    /// Newest change among the items (the Unix epoch for an empty feed).
    pub last_modified: DateTime<Utc>,
}

/// Renders `items` (newest first) as a feed document.
pub fn render(format: Format, meta: &FeedMeta, items: &[Item]) -> Result<Document, PublishError> {
    let updated = items
        .iter()
        .map(|i| i.updated)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    let body = match format {
        Format::Atom => atom::render(meta, items, updated)?,
        Format::Rss => rss::render(meta, items, updated)?,
        Format::Json => json::render(meta, items)?,
    };
    let etag = format!("W/\"{:016x}\"", xxh3_64(body.as_bytes()));
    Ok(Document {
        format,
        body,
        etag,
        last_modified: updated,
    })
}

#[cfg(test)]
mod tests;
