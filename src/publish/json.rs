//! JSON Feed 1.1, with the other copies in a `_feedfold` extension.

use serde::Serialize;

use super::{AlsoReported, FeedMeta, Format, Item, PublishError, Related, UNKNOWN_TYPE};

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    /// WebSub hubs (JSON Feed 1.1 `hubs`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub>,
    items: Vec<JsonItem<'a>>,
}

/// One `hubs` entry.
#[derive(Serialize)]
struct Hub {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    title: &'a str,
    content_html: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    date_published: String,
    date_modified: String,
    authors: Vec<Author<'a>>,
    /// JSON Feed 1.0's singular form, still read by older readers.
    author: Author<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
    #[serde(rename = "_feedfold")]
    feedfold: Extension<'a>,
}

/// JSON Feed 1.1 requires `mime_type`; the size is optional.
#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

#[derive(Serialize, Clone, Copy)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Extension<'a> {
    about: &'static str,
    source: &'a str,
    source_title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_title: Option<&'a str>,
    also_reported_by: &'a [AlsoReported],
    /// Other stories about the same event (related coverage).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    related: &'a [Related],
}

pub(super) fn render(meta: &FeedMeta, items: &[Item]) -> Result<String, PublishError> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: meta.display_title(),
        home_page_url: meta.base_url.to_string(),
        feed_url: meta.self_url(Format::Json),
        hubs: meta
            .hub
            .iter()
            .map(|hub| Hub {
                kind: "WebSub",
                url: hub.to_string(),
            })
            .collect(),
        items: items.iter().map(item).collect(),
    };
    serde_json::to_string_pretty(&feed).map_err(|e| PublishError::Write {
        format: Format::Json,
        message: e.to_string(),
    })
}

fn item(item: &Item) -> JsonItem<'_> {
    let author = Author {
        name: item.author.as_deref().unwrap_or(&item.source_title),
    };
    JsonItem {
        id: &item.id,
        url: item.url.as_deref(),
        title: &item.title,
        content_html: &item.content_html,
        summary: item.summary.as_deref(),
        date_published: item.published.to_rfc3339(),
        date_modified: item.updated.to_rfc3339(),
        authors: vec![author],
        author,
        attachments: item
            .enclosures
            .iter()
            .map(|e| Attachment {
                url: &e.url,
                mime_type: e.mime.as_deref().unwrap_or(UNKNOWN_TYPE),
                size_in_bytes: e.length,
            })
            .collect(),
        tags: &item.categories,
        feedfold: Extension {
            about: "https://github.com/feedfold/feedfold",
            source: &item.source,
            source_title: &item.source_title,
            original_title: item.original_title.as_deref(),
            also_reported_by: &item.also,
            related: &item.related,
        },
    }
}
