//! RSS 2.0 with an `atom:link rel="self"` and `dc:creator` authors.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Channel, Guid, Item as RssItem};

use super::{FeedMeta, Format, Item, PublishError};

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
            links: vec![self_link],
        }),
        namespaces: BTreeMap::from([
            ("atom".into(), "http://www.w3.org/2005/Atom".into()),
            ("dc".into(), "http://purl.org/dc/elements/1.1/".into()),
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
    let creator = item.author.clone().unwrap_or_else(|| item.source.clone());
    RssItem {
        title: Some(item.title.clone()),
        link: item.url.clone(),
        description: Some(item.content_html.clone()),
        guid: Some(Guid {
            value: item.id.clone(),
            permalink: false,
        }),
        pub_date: Some(item.published.to_rfc2822()),
        dublin_core_ext: Some(DublinCoreExtension {
            creators: vec![creator],
            ..DublinCoreExtension::default()
        }),
        ..RssItem::default()
    }
}
