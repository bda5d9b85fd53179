//! OPML 2.0 in and out: subscription lists from and for other readers.
//! Groups are folders (and the `category` attribute); feedfold's own source
//! settings ride along as `feedfold:` attributes, so a round trip through
//! OPML keeps everything.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{Config, Location, Source, SourceKind};
use crate::text::markup::escape_html;

/// Why an OPML document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    /// Not well-formed XML.
    #[error("not valid OPML: {0}")]
    Xml(String),
}

/// One subscription read from OPML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The outline's title (or text).
    pub title: String,
    /// The feed URL (`xmlUrl`).
    pub url: String,
    /// Folder names and categories.
    pub groups: Vec<String>,
    /// `feedfold:` attributes: key (without prefix) and value.
    pub extra: Vec<(String, String)>,
}

/// An outline whose feed URL was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The outline's title (or text).
    pub title: String,
    /// The `xmlUrl` as written.
    pub url: String,
    /// Why it was not imported.
    pub reason: String,
}

/// What an OPML document offers: subscriptions to add, and outlines left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Outlines with an absolute http(s) feed URL, in document order.
    pub subscriptions: Vec<Subscription>,
    /// Outlines whose feed URL is anything else.
    pub skipped: Vec<Skipped>,
}

const NAMESPACE: &str = "https://github.com/feedfold/feedfold/opml";

/// Writes the config's sources as OPML 2.0, grouped into folders by their
/// first group.
pub fn export(config: &Config) -> String {
    export_with_titles(config, &std::collections::HashMap::new())
}

/// [`export`], each outline titled with its source's display name: its
/// `title`, else its feed's own title from `feed_titles` (by source name),
/// else its name. A title other than the name carries the name along in
/// `feedfold:name`, so importing the file back keeps the names.
pub fn export_with_titles(
    config: &Config,
    feed_titles: &std::collections::HashMap<String, String>,
) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\" xmlns:feedfold=\"{NAMESPACE}\">\n<head><title>{}</title></head>\n<body>\n",
        escape_html(&config.output.title)
    );
    let mut folders: Vec<&str> = config
        .sources
        .iter()
        .filter_map(|s| s.groups.first().map(String::as_str))
        .collect();
    folders.sort_unstable();
    folders.dedup();
    for source in config.sources.iter().filter(|s| s.groups.is_empty()) {
        out.push_str(&outline(config, feed_titles, source, "  "));
    }
    for folder in folders {
        out.push_str(&format!(
            "  <outline text=\"{0}\" title=\"{0}\">\n",
            escape_html(folder)
        ));
        for source in config
            .sources
            .iter()
            .filter(|s| s.groups.first().map(String::as_str) == Some(folder))
        {
            out.push_str(&outline(config, feed_titles, source, "    "));
        }
        out.push_str("  </outline>\n");
    }
    out.push_str("</body>\n</opml>\n");
    out
}

fn outline(
    config: &Config,
    feed_titles: &std::collections::HashMap<String, String>,
    source: &Source,
    indent: &str,
) -> String {
    let url = match &source.url {
        Location::Url(url) => url.to_string(),
        Location::Path(path) => config
            .source_url(source)
            .map_or_else(|_| path.clone(), |u| u.to_string()),
    };
    let title = source
        .title
        .as_ref()
        .or_else(|| feed_titles.get(&source.name))
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(&source.name);
    let mut attrs = vec![
        ("type", "rss".to_owned()),
        ("text", title.clone()),
        ("title", title.clone()),
        ("xmlUrl", url),
    ];
    if *title != source.name {
        attrs.push(("feedfold:name", source.name.clone()));
    }
    if !source.groups.is_empty() {
        let categories: Vec<String> = source.groups.iter().map(|g| format!("/{g}")).collect();
        attrs.push(("category", categories.join(",")));
    }
    if source.kind == SourceKind::Page {
        attrs.push(("feedfold:kind", "page".into()));
    }
    if let Some(schedule) = &source.schedule {
        attrs.push(("feedfold:schedule", schedule.as_str().to_owned()));
    }
    if source.priority != 0 {
        attrs.push(("feedfold:priority", source.priority.to_string()));
    }
    if !source.enabled {
        attrs.push(("feedfold:enabled", "false".into()));
    }
    if let Some(page) = &source.page {
        attrs.push(("feedfold:item", page.item.clone()));
        attrs.push(("feedfold:link", page.link.clone()));
        if let Some(title) = &page.title {
            attrs.push(("feedfold:title", title.clone()));
        }
        if let Some(date) = &page.date {
            attrs.push(("feedfold:date", date.clone()));
        }
    }
    let attrs: Vec<String> = attrs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_html(v)))
        .collect();
    format!("{indent}<outline {}/>\n", attrs.join(" "))
}

/// Reads every outline with an `xmlUrl`, with the folders it sits in. Only
/// absolute `http(s)` URLs are subscriptions: an OPML file comes from
/// elsewhere, and a `file://` URL or a relative path in it would make the
/// daemon read (and republish) local files.
pub fn import(text: &str) -> Result<Imported, OpmlError> {
    let mut reader = Reader::from_str(text);
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut found = Imported::default();
    loop {
        match reader
            .read_event()
            .map_err(|e| OpmlError::Xml(e.to_string()))?
        {
            Event::Start(e) if e.local_name().as_ref() == "outline" => {
                // An outline with children is a folder; one with a feed URL is
                // a subscription even when it has children.
                let attrs = attributes(&e)?;
                if let Some(sub) = subscription(&attrs, &folders) {
                    found.add(sub);
                    folders.push(None);
                } else {
                    folders.push(text_of(&attrs));
                }
            }
            Event::Empty(e) if e.local_name().as_ref() == "outline" => {
                if let Some(sub) = subscription(&attributes(&e)?, &folders) {
                    found.add(sub);
                }
            }
            Event::End(e) if e.local_name().as_ref() == "outline" => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(found)
}

impl Imported {
    /// Keeps `sub` if its URL may be fetched, else records why not.
    fn add(&mut self, sub: Subscription) {
        match refusal(&sub.url) {
            None => self.subscriptions.push(sub),
            Some(reason) => self.skipped.push(Skipped {
                title: sub.title,
                url: sub.url,
                reason,
            }),
        }
    }
}

/// Why a feed URL from OPML is not imported, or `None` when it may be.
fn refusal(url: &str) -> Option<String> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => None,
        Ok(parsed) => Some(format!(
            "{}: URL scheme is not allowed from OPML (only http and https)",
            parsed.scheme()
        )),
        Err(error) => Some(format!("not an absolute http(s) URL ({error})")),
    }
}

fn attributes(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, OpmlError> {
    e.attributes()
        .map(|a| {
            let a = a.map_err(|e| OpmlError::Xml(e.to_string()))?;
            let key = a.key.as_ref().to_owned();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| OpmlError::Xml(e.to_string()))?
                .into_owned();
            Ok((key, value))
        })
        .collect()
}

fn get<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn text_of(attrs: &[(String, String)]) -> Option<String> {
    get(attrs, "title")
        .or_else(|| get(attrs, "text"))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn subscription(attrs: &[(String, String)], folders: &[Option<String>]) -> Option<Subscription> {
    let url = get(attrs, "xmlUrl")?.trim().to_owned();
    let mut groups: Vec<String> = folders.iter().flatten().cloned().collect();
    for category in get(attrs, "category").unwrap_or("").split(',') {
        let name = category.trim().trim_start_matches('/').to_owned();
        if !name.is_empty() && !name.contains('/') && !groups.contains(&name) {
            groups.push(name);
        }
    }
    let extra = attrs
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("feedfold:")
                .map(|k| (k.to_owned(), v.clone()))
        })
        .collect();
    Some(Subscription {
        title: text_of(attrs).unwrap_or_else(|| url.clone()),
        url,
        groups,
        extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_imported_and_the_rest_say_why() {
        let opml = r#"<opml version="2.0"><body>
  <outline text="ok" xmlUrl="https://example.org/feed.xml"/>
  <outline text="plain" xmlUrl=" HTTP://example.net/rss "/>
  <outline text="passwd" xmlUrl="file:///etc/passwd"/>
  <outline text="host" xmlUrl="../../etc/hostname"/>
  <outline text="abs" xmlUrl="/etc/hostname"/>
  <outline text="js" xmlUrl="javascript:alert(1)"/>
  <outline text="ftp" xmlUrl="ftp://example.org/feed"/>
  <outline text="empty" xmlUrl=""/>
</body></opml>"#;
        let imported = import(opml).unwrap();
        let urls: Vec<&str> = imported
            .subscriptions
            .iter()
            .map(|s| s.url.as_str())
            .collect();
        assert_eq!(
            urls,
            ["https://example.org/feed.xml", "HTTP://example.net/rss"]
        );
        let skipped: Vec<(&str, &str)> = imported
            .skipped
            .iter()
            .map(|s| (s.title.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(skipped.len(), 6, "{skipped:?}");
        assert!(skipped[0].0 == "passwd" && skipped[0].1.starts_with("file: URL scheme"));
        assert!(skipped[1].0 == "host" && skipped[1].1.starts_with("not an absolute"));
        assert!(skipped.iter().all(|(_, reason)| !reason.is_empty()));
    }
}
