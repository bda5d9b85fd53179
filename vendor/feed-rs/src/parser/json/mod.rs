use std::io::Read;

use mediatype::{MediaTypeBuf, names};

use crate::model::{Category, Content, Entry, Feed, FeedType, Image, Link, Person, Text};
use crate::parser::util::if_some_then;
use crate::parser::{ParseFeedError, ParseFeedResult, Parser};

#[cfg(test)]
mod tests;

/// Parses a JSON feed into our model
pub(crate) fn parse<R: Read>(parser: &Parser, stream: R) -> ParseFeedResult<Feed> {
    let parsed = serde_json::from_reader(stream);
    if let Ok(json_feed) = parsed {
        convert(parser, json_feed)
    } else {
        // Unable to parse the JSON
        Err(ParseFeedError::JsonSerde(parsed.err().unwrap()))
    }
}

// Convert the JSON Feed into our standard model
fn convert(parser: &Parser, jf: JsonFeed) -> ParseFeedResult<Feed> {
    let mut feed = Feed::new(FeedType::JSON);

    // feedfold patch: real feeds write the version as "1.1", 1.1, a URL with
    // "http:" or none at all; only a version that names another major version
    // is refused.
    if let Some(version) = &jf.version {
        let major = version.trim_start_matches("https://jsonfeed.org/version/").trim_start_matches("http://jsonfeed.org/version/");
        if !(major.starts_with('1') || version.is_empty()) {
            return ParseFeedResult::Err(ParseFeedError::JsonUnsupportedVersion(version.clone()));
        }
    }

    // Convert feed level fields
    feed.title = jf.title.map(Text::new);

    if_some_then(jf.home_page_url, |uri| feed.links.push(Link::new(uri, None)));

    if_some_then(jf.feed_url, |uri| feed.links.push(Link::new(uri, None)));

    if_some_then(jf.description, |text| feed.description = Some(Text::new(text)));

    if_some_then(jf.icon, |uri| feed.logo = Some(Image::new(uri)));

    if_some_then(jf.language, |language| feed.language = Some(language));

    if_some_then(jf.favicon, |uri| feed.icon = Some(Image::new(uri)));

    handle_authors(&mut feed.authors, &jf.author, &jf.authors);

    // Convert items within the JSON feed
    jf.items.into_iter().for_each(|ji| {
        feed.entries.push(handle_item(parser, ji));
    });

    // Per the spec, any items without an author inherit the feed
    if !feed.authors.is_empty() {
        feed.entries.iter_mut().for_each(|entry| {
            if entry.authors.is_empty() {
                entry.authors.append(&mut feed.authors.clone());
            }
        });
    }

    Ok(feed)
}

fn accumulate_author(authors: &mut Vec<Person>, ja: &JsonAuthor) {
    // Only add if we haven't already seen this person
    if let Some(name) = &ja.name {
        if !authors.iter().any(|a| a.name.is_some() && a.name.as_ref().unwrap() == name) {
            let mut person = Person::parse(name).role("author");
            person.uri.clone_from(&ja.url);

            authors.push(person);
        }
    }
}

// Handles an attachment
fn handle_attachment(attachment: JsonAttachment) -> Link {
    let mut link = Link::new(&attachment.url, None);

    link.media_type = attachment.mime_type;
    // feedfold patch: attachments are enclosures, not alternate links.
    link.rel = Some("enclosure".into());
    link.title = attachment.title;
    link.length = attachment.size_in_bytes;

    link
}

// Converts author / authors objects into our model
fn handle_authors(accumulated: &mut Vec<Person>, author: &Option<JsonAuthor>, authors: &Option<Vec<JsonAuthor>>) {
    if let Some(ja) = author {
        accumulate_author(accumulated, ja);
    }

    if let Some(jas) = authors {
        for ja in jas {
            accumulate_author(accumulated, ja);
        }
    }
}

// Handles HTML or plain text content
fn handle_content(content: Option<String>, content_type: MediaTypeBuf) -> Option<Content> {
    content.map(|body| Content {
        length: Some(body.len() as u64),
        body: Some(body.trim().into()),
        content_type,
        ..Default::default()
    })
}

// Converts a JSON feed item into our model
fn handle_item(parser: &Parser, ji: JsonItem) -> Entry {
    let mut entry = Entry {
        id: ji.id.unwrap_or("".into()),
        ..Default::default()
    };

    if_some_then(ji.url, |uri| entry.links.push(Link::new(uri, None)));

    if_some_then(ji.external_url, |uri| entry.links.push(Link::new(uri, None)));

    if_some_then(ji.title, |text| entry.title = Some(Text::new(text)));

    // Content HTML, content text and summary are mapped across to our model with the preference toward HTML and explicit summary fields
    entry.content = handle_content(ji.content_html, MediaTypeBuf::new(names::TEXT, names::HTML));
    entry.summary = ji.summary.map(Text::new);
    if let Some(content_text) = handle_content(ji.content_text, MediaTypeBuf::new(names::TEXT, names::PLAIN)) {
        // If we don't have HTML content, use the text content as the entry content
        // otherwise, if the summary was not provided, we push the text there

        if entry.content.is_none() {
            entry.content = Some(content_text);
        } else if entry.summary.is_none() {
            entry.summary = content_text.body.map(Text::new);
        }
    }

    if_some_then(ji.date_published, |published| entry.published = parser.parse_timestamp(&published));

    if_some_then(ji.date_modified, |modified| entry.updated = parser.parse_timestamp(&modified));

    handle_authors(&mut entry.authors, &ji.author, &ji.authors);

    if_some_then(ji.tags, |tags| {
        tags.into_iter().flatten().map(|t| Category::new(&t)).for_each(|category| entry.categories.push(category))
    });

    if_some_then(ji.attachments, |attachments| {
        attachments.into_iter().flatten().map(handle_attachment).for_each(|link| entry.links.push(link))
    });

    entry
}

// feedfold patch: every field is lenient. Real JSON Feeds write numbers
// where strings belong (ids, versions, sizes), leave out "title" or
// "items", and put null or objects where a string is due; one odd field
// used to reject the whole feed, now it is read as text or left out.

/// A string, number or boolean as text; anything else as absent.
fn lenient_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match <serde_json::Value as serde::Deserialize>::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// A non-negative number, or a string holding one.
fn lenient_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match <serde_json::Value as serde::Deserialize>::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// One value or a list of them; elements that do not fit are left out.
fn lenient_list<'de, D: serde::Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<Option<Vec<Option<T>>>, D::Error> {
    Ok(match <serde_json::Value as serde::Deserialize>::deserialize(d)? {
        serde_json::Value::Array(items) => Some(items.into_iter().map(|v| serde_json::from_value(v).ok()).collect()),
        serde_json::Value::Null => None,
        other => Some(vec![serde_json::from_value(other).ok()]),
    })
}

/// An object, or absent if it is anything else.
fn lenient_object<'de, D: serde::Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    Ok(serde_json::from_value(<serde_json::Value as serde::Deserialize>::deserialize(d)?).ok())
}

#[derive(Debug, Deserialize)]
struct JsonFeed {
    #[serde(default, deserialize_with = "lenient_string")]
    pub version: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub home_page_url: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub feed_url: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub language: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub icon: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub favicon: Option<String>,
    #[serde(default, deserialize_with = "lenient_object")]
    pub author: Option<JsonAuthor>,
    #[serde(default, deserialize_with = "lenient_authors")]
    pub authors: Option<Vec<JsonAuthor>>,
    #[serde(default, deserialize_with = "lenient_items")]
    pub items: Vec<JsonItem>,
}

/// Authors, leaving out entries that are no author object.
fn lenient_authors<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<JsonAuthor>>, D::Error> {
    Ok(lenient_list::<D, JsonAuthor>(d)?.map(|list| list.into_iter().flatten().collect()))
}

/// Items, leaving out entries that are no object.
fn lenient_items<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<JsonItem>, D::Error> {
    Ok(lenient_list::<D, JsonItem>(d)?.map(|list| list.into_iter().flatten().collect()).unwrap_or_default())
}

#[derive(Debug, Deserialize)]
struct JsonAttachment {
    #[serde(deserialize_with = "lenient_string_required")]
    url: String,
    #[serde(default, deserialize_with = "lenient_string")]
    mime_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    size_in_bytes: Option<u64>,
}

/// A string (or number) that must be there.
fn lenient_string_required<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    lenient_string(d)?.ok_or_else(|| serde::de::Error::custom("expected a string"))
}

#[derive(Debug, Deserialize)]
struct JsonAuthor {
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct JsonItem {
    #[serde(default, deserialize_with = "lenient_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub external_url: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub content_html: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub content_text: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub date_published: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub date_modified: Option<String>,
    #[serde(default, deserialize_with = "lenient_object")]
    pub author: Option<JsonAuthor>,
    #[serde(default, deserialize_with = "lenient_authors")]
    pub authors: Option<Vec<JsonAuthor>>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub tags: Option<Vec<Option<String>>>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub attachments: Option<Vec<Option<JsonAttachment>>>,
}
