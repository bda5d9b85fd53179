//! WebSub discovery (W3C WebSub §4): the hub a feed advertises and the
//! topic URL to subscribe to. HTTP `Link:` headers are looked at first, as
//! the Recommendation asks, then the document's own links: Atom
//! `<link rel="hub">`, RSS `<atom:link rel="hub">`, JSON Feed `hubs`. The
//! topic is the `rel="self"` link found in the same place as the hub, else
//! the URL the feed was fetched from.

use feed_rs::model;
use url::Url;

/// The hub and topic links a document carries, as written (unresolved).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocLinks {
    /// The first `rel="hub"` link.
    pub hub: Option<String>,
    /// The first `rel="self"` link.
    pub topic: Option<String>,
}

/// Where to subscribe, and to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubLinks {
    /// The hub (http or https).
    pub hub: Url,
    /// The topic (http or https).
    pub topic: Url,
}

/// The hub and self links among a feed-rs feed's links (Atom, and RSS with
/// the Atom namespace).
pub fn from_feed_links(links: &[model::Link]) -> DocLinks {
    let first = |rel: &str| {
        links
            .iter()
            .find(|l| {
                l.rel
                    .as_deref()
                    .is_some_and(|r| r.trim().eq_ignore_ascii_case(rel))
            })
            .map(|l| l.href.clone())
    };
    DocLinks {
        hub: first("hub"),
        topic: first("self"),
    }
}

/// A JSON Feed's `hubs` (the first one; its `type` is not checked, as
/// feeds write "WebSub", "websub" or nothing) and `feed_url`; nothing for
/// text that is not a JSON object.
pub fn from_json(text: &str) -> DocLinks {
    #[derive(serde::Deserialize)]
    struct Hub {
        url: String,
    }
    #[derive(serde::Deserialize)]
    struct Feed {
        #[serde(default)]
        hubs: Vec<Hub>,
        feed_url: Option<String>,
    }
    if !text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
    {
        return DocLinks::default();
    }
    match serde_json::from_str::<Feed>(text) {
        Ok(feed) => DocLinks {
            hub: feed.hubs.into_iter().next().map(|h| h.url),
            topic: feed.feed_url,
        },
        Err(_) => DocLinks::default(),
    }
}

/// The hub and self links in HTTP `Link:` header values (RFC 8288):
/// `<https://hub.example/>; rel="hub", <https://example.org/feed>; rel=self`.
/// A `rel` may list several relation types.
pub fn from_link_header(values: &[String]) -> DocLinks {
    let mut links = DocLinks::default();
    for value in values {
        for (target, rels) in link_values(value) {
            for rel in rels.split_ascii_whitespace() {
                let slot = if rel.eq_ignore_ascii_case("hub") {
                    &mut links.hub
                } else if rel.eq_ignore_ascii_case("self") {
                    &mut links.topic
                } else {
                    continue;
                };
                slot.get_or_insert_with(|| target.clone());
            }
        }
    }
    links
}

/// Each `<target>; params` of one header value, with its `rel` parameter.
fn link_values(value: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let target = rest[open + 1..open + close].trim().to_owned();
        let after = &rest[open + close + 1..];
        // Parameters run to the next link; a `<` inside a quoted
        // parameter value is not expected from feeds' servers.
        let end = after.find('<').unwrap_or(after.len());
        let params = &after[..end];
        if let Some(rel) = rel_param(params) {
            found.push((target, rel));
        }
        rest = &after[end..];
    }
    found
}

/// The value of `rel=` among `params` (quoted or not).
fn rel_param(params: &str) -> Option<String> {
    params.split(';').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("rel") {
            return None;
        }
        let value = value.trim().trim_end_matches(',').trim();
        Some(value.trim_matches('"').to_owned())
    })
}

/// Where to subscribe: the header's links when they name a hub, else the
/// document's; the topic is the self link from the same place, else
/// `fetched_from`. Relative links resolve against `fetched_from`; only
/// http(s) hubs and topics count.
pub fn discover(header: &DocLinks, document: &DocLinks, fetched_from: &Url) -> Option<HubLinks> {
    let links = if header.hub.is_some() {
        header
    } else {
        document
    };
    let web = |text: &str| {
        fetched_from
            .join(text.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
    };
    let hub = web(links.hub.as_deref()?)?;
    // A `file://` feed has no topic a hub could fetch.
    let topic = links
        .topic
        .as_deref()
        .and_then(web)
        .or_else(|| web(fetched_from.as_str()))?;
    Some(HubLinks { hub, topic })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn link_headers_name_hub_and_self() {
        let values = vec![
            r#"<https://hub.example/>; rel="hub", </feed.xml>; rel="self alternate""#.to_owned(),
            "<https://other.example/>; rel=hub".to_owned(),
        ];
        let links = from_link_header(&values);
        assert_eq!(links.hub.as_deref(), Some("https://hub.example/"));
        assert_eq!(links.topic.as_deref(), Some("/feed.xml"));
        let found = discover(&links, &DocLinks::default(), &url("https://x.org/a/b")).unwrap();
        assert_eq!(found.topic.as_str(), "https://x.org/feed.xml");
    }

    #[test]
    fn the_header_wins_and_the_topic_defaults_to_the_feed_url() {
        let header = DocLinks {
            hub: Some("https://h1.example/".into()),
            topic: None,
        };
        let document = DocLinks {
            hub: Some("https://h2.example/".into()),
            topic: Some("https://x.org/self".into()),
        };
        let from = url("https://x.org/feed");
        let found = discover(&header, &document, &from).unwrap();
        assert_eq!(found.hub.as_str(), "https://h1.example/");
        assert_eq!(found.topic, from);
        let found = discover(&DocLinks::default(), &document, &from).unwrap();
        assert_eq!(found.hub.as_str(), "https://h2.example/");
        assert_eq!(found.topic.as_str(), "https://x.org/self");
    }

    #[test]
    fn hubs_that_are_not_web_urls_are_ignored() {
        let document = DocLinks {
            hub: Some("javascript:alert(1)".into()),
            topic: None,
        };
        assert_eq!(
            discover(&DocLinks::default(), &document, &url("https://x.org/")),
            None
        );
        assert_eq!(from_link_header(&["garbage <".into()]), DocLinks::default());
        assert_eq!(
            from_link_header(&["<x>; title=y".into()]),
            DocLinks::default()
        );
    }

    #[test]
    fn json_feeds_list_hubs() {
        let text = r#"{"version":"https://jsonfeed.org/version/1.1","feed_url":"https://x.org/f.json",
            "hubs":[{"type":"WebSub","url":"https://hub.example/"}],"items":[]}"#;
        let links = from_json(text);
        assert_eq!(links.hub.as_deref(), Some("https://hub.example/"));
        assert_eq!(links.topic.as_deref(), Some("https://x.org/f.json"));
        assert_eq!(from_json("<rss/>"), DocLinks::default());
        assert_eq!(from_json("{not json"), DocLinks::default());
    }
}
