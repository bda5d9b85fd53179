//! RSS 2.0 with an `atom:link rel="self"` and `dc:creator` authors.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::extension::{Extension, ExtensionMap};
use rss::{Category, Channel, Enclosure, Guid, Item as RssItem};

use super::{FeedMeta, Format, Item, NAMESPACE, PublishError, UNKNOWN_TYPE};

pub(super) fn render(
    meta: &FeedMeta,
    items: &[Item],
    updated: DateTime<Utc>,
) -> Result<String, PublishError> {
    let self_link = Link {
        href: meta.self_url(Format::Rss),
        rel: "self".into(),
        mime_type: Some("application/rss+xml".into()),
        ..Link::default()
    };
    let channel = Channel {
        title: meta.display_title(),
        link: meta.base_url.to_string(),
        description: format!(
            "{}: one item per story, with who else reported it",
            meta.display_title()
        ),
        generator: Some(concat!("feedfold ", env!("CARGO_PKG_VERSION")).into()),
        last_build_date: Some(updated.to_rfc2822()),
        atom_ext: Some(AtomExtension {
            links: std::iter::once(self_link)
                .chain(meta.hub.iter().map(|hub| Link {
                    href: hub.to_string(),
                    rel: "hub".into(),
                    ..Link::default()
                }))
                .collect(),
        }),
        namespaces: BTreeMap::from([
            ("atom".into(), "http://www.w3.org/2005/Atom".into()),
            ("dc".into(), "http://purl.org/dc/elements/1.1/".into()),
            ("feedfold".into(), NAMESPACE.into()),
        ]),
        items: items.iter().map(item).collect(),
        ..Channel::default()
    };
    let bytes = channel
        .pretty_write_to(Vec::new(), b' ', 1)
        .map_err(|e| PublishError::Write {
            format: Format::Rss,
            message: e.to_string(),
        })?;
    String::from_utf8(bytes).map_err(|e| PublishError::Write {
        format: Format::Rss,
        message: e.to_string(),
    })
}

fn item(item: &Item) -> RssItem {
    let creator = item
        .author
        .clone()
        .unwrap_or_else(|| item.source_title.clone());
    RssItem {
        title: Some(item.title.clone()),
        link: item.url.clone(),
        description: Some(item.content_html.clone()),
        guid: Some(Guid {
            value: item.id.clone(),
            permalink: false,
        }),
        pub_date: Some(item.published.to_rfc2822()),
        // RSS 2.0 allows one enclosure per item, and requires its length and
        // type: 0 is the customary "unknown" length.
        enclosure: item.enclosures.first().map(|e| Enclosure {
            url: e.url.clone(),
            length: e.length.unwrap_or(0).to_string(),
            mime_type: e.mime.clone().unwrap_or_else(|| UNKNOWN_TYPE.into()),
        }),
        categories: item
            .categories
            .iter()
            .map(|name| Category {
                name: name.clone(),
                domain: None,
            })
            .collect(),
        dublin_core_ext: Some(DublinCoreExtension {
            creators: vec![creator],
            ..DublinCoreExtension::default()
        }),
        extensions: original_title(item),
        ..RssItem::default()
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
