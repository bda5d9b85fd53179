//! Atom 1.0 (RFC 4287): one `id` and `updated` per entry, a `rel="self"` link.

use std::collections::BTreeMap;

use atom_syndication::extension::{Extension, ExtensionMap};
use atom_syndication::{Category, Content, Entry, Feed, Generator, Link, Person, Text};
use chrono::{DateTime, Utc};

use super::{FeedMeta, Format, Item, NAMESPACE, PublishError};

pub(super) fn render(
    meta: &FeedMeta,
    items: &[Item],
    updated: DateTime<Utc>,
) -> Result<String, PublishError> {
    let feed = Feed {
        id: meta.feed_id(),
        title: Text::plain(meta.display_title()),
        updated: updated.fixed_offset(),
        links: vec![
            link(
                meta.self_url(Format::Atom),
                "self",
                Some("application/atom+xml"),
            ),
            link(meta.base_url.to_string(), "alternate", None),
        ]
        .into_iter()
        .chain(
            meta.hub
                .iter()
                .map(|hub| link(hub.to_string(), "hub", None)),
        )
        .collect(),
        generator: Some(Generator {
            value: "feedfold".into(),
            uri: Some("https://github.com/feedfold/feedfold".into()),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        entries: items.iter().map(entry).collect(),
        namespaces: BTreeMap::from([("feedfold".into(), NAMESPACE.into())]),
        ..Feed::default()
    };
    let bytes = feed.write_to(Vec::new()).map_err(|e| PublishError::Write {
        format: Format::Atom,
        message: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| PublishError::Write {
        format: Format::Atom,
        message: e.to_string(),
    })
}

fn entry(item: &Item) -> Entry {
    let author = item
        .author
        .clone()
        .unwrap_or_else(|| item.source_title.clone());
    Entry {
        id: item.id.clone(),
        title: Text::plain(item.title.clone()),
        updated: item.updated.fixed_offset(),
        published: Some(item.published.fixed_offset()),
        authors: vec![Person {
            name: author,
            ..Person::default()
        }],
        links: item
            .url
            .iter()
            .map(|u| link(u.clone(), "alternate", Some("text/html")))
            .chain(item.enclosures.iter().map(|e| Link {
                length: e.length.map(|n| n.to_string()),
                ..link(e.url.clone(), "enclosure", e.mime.as_deref())
            }))
            // Related coverage: other stories about the event, by their link.
            .chain(item.related.iter().filter_map(|r| {
                Some(Link {
                    title: Some(r.title.clone()),
                    ..link(r.url.clone()?, "related", Some("text/html"))
                })
            }))
            .collect(),
        categories: item
            .categories
            .iter()
            .map(|term| Category {
                term: term.clone(),
                ..Category::default()
            })
            .collect(),
        summary: item.summary.clone().map(Text::plain),
        content: Some(Content {
            value: Some(item.content_html.clone()),
            content_type: Some("html".into()),
            ..Content::default()
        }),
        extensions: original_title(item),
        ..Entry::default()
    }
}

fn link(href: String, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: mime.map(Into::into),
        ..Link::default()
    }
}

/// `<feedfold:original-title>` when the published title was cleaned.
fn original_title(item: &Item) -> ExtensionMap {
    let Some(original) = &item.original_title else {
        return ExtensionMap::default();
    };
    let element = Extension {
        name: "feedfold:original-title".into(),
        value: Some(original.clone()),
        ..Extension::default()
    };
    BTreeMap::from([(
        "feedfold".into(),
        BTreeMap::from([("original-title".into(), vec![element])]),
    )])
}
