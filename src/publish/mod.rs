//! The merged feed: one item per story, rendered as Atom 1.0, RSS 2.0 and
//! JSON Feed 1.1. Rendering is pure: stories in, document text out, so the
//! daemon's server and `feedfold feed` print the same bytes.

mod atom;
mod chrome;
mod html;
mod item;
mod json;
mod rss;
mod shown;
mod snapshot;

use chrono::{DateTime, Utc};
use xxhash_rust::xxh3::xxh3_64;

pub use crate::text::markup::escape_html;
pub use chrome::cut_pages;
pub use html::render_page;
pub use item::{AlsoReported, Item, Related, story_id};
pub use shown::{Held, Scope, held_by, shown};
pub use snapshot::{Snapshot, load_items};

/// The XML namespace of feedfold's own elements in Atom and RSS items
/// (`feedfold:original-title`); readers skip elements they do not know.
pub const NAMESPACE: &str = "https://github.com/feedfold/feedfold/ns/1";

/// The MIME type written for an enclosure whose feed named none, where the
/// format requires one (RSS `type`, JSON Feed `mime_type`).
pub(crate) const UNKNOWN_TYPE: &str = "application/octet-stream";

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
    /// The WebSub hub the feed names (`rel="hub"`), if any.
    pub hub: Option<url::Url>,
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
mod tests {
    use super::*;
    use crate::source::Enclosure;
    use crate::store::{StoryCopy, StoryRecord};

    fn copy(source: &str, priority: i64, title: &str, url: &str, content: &str) -> StoryCopy {
        StoryCopy {
            source: source.into(),
            source_title: None,
            priority,
            guid: format!("{source}-{title}"),
            url: Some(url.into()),
            title: title.into(),
            author: None,
            summary: Some("<p>Short &amp; sweet.</p>".into()),
            content: Some(content.into()),
            published: 1_795_000_000,
            enclosures: Vec::new(),
            categories: Vec::new(),
        }
    }

    fn stories() -> Vec<StoryRecord> {
        vec![
            StoryRecord {
                key: "00000000000000aa".into(),
                published: 1_795_000_100,
                updated: 1_795_000_200,
                copies: vec![
                    copy(
                        "low",
                        1,
                        "UPDATE: Port strike ends",
                        "https://b.example.org/x",
                        "<p>longer body text here</p>",
                    ),
                    copy(
                        "high",
                        9,
                        "Port strike ends",
                        "https://a.example.org/news/x",
                        "<p onclick=\"evil()\">Body <a href=\"/more\">more</a><script>alert(1)</script></p>",
                    ),
                ],
            },
            StoryRecord {
                key: "00000000000000bb".into(),
                published: 1_795_000_000,
                updated: 1_795_000_000,
                copies: vec![copy(
                    "solo",
                    0,
                    "人力资源社会保障部:切实关心",
                    "https://c.example.org/zh",
                    "<p>正文</p>",
                )],
            },
        ]
    }

    fn meta() -> FeedMeta {
        FeedMeta {
            title: "merged".into(),
            base_url: url::Url::parse("http://127.0.0.1:8080/").unwrap(),
            group: None,
            hub: None,
        }
    }

    fn items() -> Vec<Item> {
        stories()
            .iter()
            .filter_map(|s| Item::from_story(s, crate::dedup::DEFAULT_RULES))
            .collect()
    }

    #[test]
    fn the_image_comes_from_the_body_else_the_summary_and_never_a_pixel() {
        let image_of = |content: &str, summary: &str| {
            let mut story = stories().remove(1);
            story.copies[0].content = Some(content.into());
            story.copies[0].summary = Some(summary.into());
            Item::from_story(&story, crate::dedup::DEFAULT_RULES)
                .unwrap()
                .image
        };
        let pic = "<img src=\"https://img.example.org/a.jpg\">";
        let pixel = "<img src=\"https://t.example.org/p.gif\" width=\"1\" height=\"1\">";
        assert_eq!(
            image_of(&format!("{pixel}<p>x</p>{pic}"), "").as_deref(),
            Some("https://img.example.org/a.jpg")
        );
        assert_eq!(
            image_of("<p>text</p>", pic).as_deref(),
            Some("https://img.example.org/a.jpg")
        );
        assert_eq!(image_of("<img src=\"javascript:alert(1)\">", pixel), None);
    }

    #[test]
    fn representative_is_sanitised_and_names_the_others() {
        let items = items();
        let first = &items[0];
        assert_eq!(first.title, "Port strike ends");
        assert_eq!(first.source, "high");
        assert_eq!(first.id, "tag:feedfold,2026:story/00000000000000aa");
        assert!(!first.content_html.contains("script") && !first.content_html.contains("onclick"));
        assert!(
            first
                .content_html
                .contains("href=\"https://a.example.org/more\""),
            "{}",
            first.content_html
        );
        assert!(
            first
                .content_html
                .contains("Also reported by: <a href=\"https://b.example.org/x\"")
        );
        assert_eq!(first.also.len(), 1);
        assert_eq!(first.summary.as_deref(), Some("Short & sweet."));
    }

    #[test]
    fn every_format_parses_back_with_one_item_per_story() {
        let items = items();
        for format in Format::ALL {
            let doc = render(format, &meta(), &items).unwrap();
            let feed = feed_rs::parser::parse(doc.body.as_bytes())
                .unwrap_or_else(|e| panic!("{format:?}: {e}\n{}", doc.body));
            assert_eq!(feed.entries.len(), 2, "{format:?}");
            assert_eq!(
                feed.entries[0].id, "tag:feedfold,2026:story/00000000000000aa",
                "{format:?}"
            );
            assert_eq!(
                feed.entries[0].title.as_ref().unwrap().content,
                "Port strike ends",
                "{format:?}"
            );
            assert_eq!(
                feed.entries[1].title.as_ref().unwrap().content,
                "人力资源社会保障部:切实关心",
                "{format:?}"
            );
            assert_eq!(
                feed.entries[0].links[0].href, "https://a.example.org/news/x",
                "{format:?}"
            );
            assert!(
                doc.body.contains("http://127.0.0.1:8080/feed."),
                "{format:?} has a self link"
            );
            assert_eq!(doc.last_modified.timestamp(), 1_795_000_200);
        }
    }

    /// The first story, its copies carrying files and categories (some unfit).
    fn stories_with_media() -> Vec<StoryRecord> {
        let mut stories = stories();
        let file = |url: &str, mime: Option<&str>, length: Option<u64>| Enclosure {
            url: url.into(),
            mime: mime.map(Into::into),
            length,
        };
        // "high" is the representative; "low" is not.
        stories[0].copies[1].enclosures = vec![
            file("javascript:alert(1)", Some("audio/mpeg"), Some(5)),
            file(
                "https://cdn.example.org/ep 1.mp3",
                Some("Audio/MPEG; x=1"),
                Some(1234),
            ),
            file("https://cdn.example.org/ep1.jpg", Some("<b>"), Some(0)),
        ];
        stories[0].copies[1].categories = vec![
            " World ".into(),
            "World".into(),
            "a\u{1}b <i>c</i>".into(),
            "".into(),
        ];
        stories[0].copies[0].enclosures = vec![file("https://b.example.org/other.mp3", None, None)];
        stories[0].copies[0].categories = vec!["Elsewhere".into()];
        stories
    }

    #[test]
    fn items_carry_the_representatives_files_and_categories_cleaned() {
        let items: Vec<Item> = stories_with_media()
            .iter()
            .filter_map(|s| Item::from_story(s, crate::dedup::DEFAULT_RULES))
            .collect();
        let first = &items[0];
        assert_eq!(first.source, "high");
        let files: Vec<(&str, Option<&str>, Option<u64>)> = first
            .enclosures
            .iter()
            .map(|e| (e.url.as_str(), e.mime.as_deref(), e.length))
            .collect();
        assert_eq!(
            files,
            [
                (
                    "https://cdn.example.org/ep%201.mp3",
                    Some("audio/mpeg"),
                    Some(1234)
                ),
                ("https://cdn.example.org/ep1.jpg", None, None),
            ]
        );
        assert_eq!(first.categories, ["World", "ab c"]);
        assert!(items[1].enclosures.is_empty() && items[1].categories.is_empty());
    }

    #[test]
    fn every_format_carries_files_and_categories() {
        let items: Vec<Item> = stories_with_media()
            .iter()
            .filter_map(|s| Item::from_story(s, crate::dedup::DEFAULT_RULES))
            .collect();
        for format in Format::ALL {
            let body = render(format, &meta(), &items).unwrap().body;
            let feed = feed_rs::parser::parse(body.as_bytes()).unwrap();
            let entry = &feed.entries[0];
            let terms: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
            assert_eq!(terms, ["World", "ab c"], "{format:?}");
            let mut files: Vec<String> = entry
                .links
                .iter()
                .filter(|l| l.rel.as_deref() == Some("enclosure"))
                .map(|l| l.href.clone())
                .collect();
            files.extend(
                entry
                    .media
                    .iter()
                    .flat_map(|m| &m.content)
                    .filter_map(|c| c.url.as_ref().map(|u| u.to_string())),
            );
            // RSS has room for one enclosure an item.
            let expected = if format == Format::Rss { 1 } else { 2 };
            assert_eq!(files.len(), expected, "{format:?}: {files:?}\n{body}");
            assert_eq!(files[0], "https://cdn.example.org/ep%201.mp3", "{format:?}");
        }
        let rss = render(Format::Rss, &meta(), &items).unwrap().body;
        assert!(
            rss.contains(r#"<enclosure url="https://cdn.example.org/ep%201.mp3" length="1234" type="audio/mpeg"/>"#),
            "{rss}"
        );
        let atom = render(Format::Atom, &meta(), &items).unwrap().body;
        let atom = feed_rs::parser::parse(atom.as_bytes()).unwrap();
        let link = atom.entries[0]
            .links
            .iter()
            .find(|l| l.rel.as_deref() == Some("enclosure"))
            .unwrap();
        assert_eq!(
            (link.length, link.media_type.as_deref()),
            (Some(1234), Some("audio/mpeg"))
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(Format::Json, &meta(), &items).unwrap().body).unwrap();
        assert_eq!(
            json["items"][0]["attachments"],
            serde_json::json!([
                {"url": "https://cdn.example.org/ep%201.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 1234},
                {"url": "https://cdn.example.org/ep1.jpg", "mime_type": "application/octet-stream"},
            ])
        );
        assert_eq!(
            json["items"][0]["tags"],
            serde_json::json!(["World", "ab c"])
        );
        assert!(json["items"][1].get("attachments").is_none());
    }

    #[test]
    fn clean_titles_lose_wire_decorations_as_written_and_keep_the_original() {
        let rules = crate::dedup::TitleRules::default();
        let cleaned = |title: &str| {
            let mut story = stories().remove(1);
            story.copies[0].title = title.into();
            let item = Item::from_story(&story, crate::dedup::DEFAULT_RULES).unwrap();
            let item = item.with_clean_title(&rules);
            (item.title, item.original_title)
        };
        let (title, original) = cleaned("BREAKING: Port Strike Ends - Reuters");
        assert_eq!(title, "Port Strike Ends");
        assert_eq!(
            original.as_deref(),
            Some("BREAKING: Port Strike Ends - Reuters")
        );
        // Full-width punctuation is kept as written, not NFKC-folded.
        let (title, original) = cleaned("(聚焦疫情防控)人力资源社会保障部：切实关心激励");
        assert_eq!(title, "人力资源社会保障部：切实关心激励");
        assert!(original.is_some());
        assert_eq!(cleaned("【快讯】温州 新增病例").0, "温州 新增病例");
        // Nothing to strip, or nothing left after stripping: unchanged.
        assert_eq!(
            cleaned("Port strike ends"),
            ("Port strike ends".into(), None)
        );
        assert_eq!(cleaned("UPDATE:"), ("UPDATE:".into(), None));
    }

    #[test]
    fn cleaned_titles_and_display_names_reach_every_format() {
        let mut story = stories().remove(0);
        story.copies[1].title = "UPDATE: Port strike ends | 新华网".into();
        story.copies[0].source_title = Some("Low & Times".into());
        let item = Item::from_story(&story, crate::dedup::DEFAULT_RULES)
            .unwrap()
            .with_clean_title(&crate::dedup::TitleRules::default());
        assert_eq!(item.also[0].source_title, "Low & Times");
        assert!(
            item.content_html.contains(">Low &amp; Times</a>"),
            "{}",
            item.content_html
        );
        let items = [item];
        for format in Format::ALL {
            let body = render(format, &meta(), &items).unwrap().body;
            let feed = feed_rs::parser::parse(body.as_bytes()).unwrap();
            let title = &feed.entries[0].title.as_ref().unwrap().content;
            assert_eq!(title, "Port strike ends", "{format:?}");
            let original = match format {
                Format::Json => "\"original_title\": \"UPDATE: Port strike ends | 新华网\"",
                _ => {
                    "<feedfold:original-title>UPDATE: Port strike ends | 新华网</feedfold:original-title>"
                }
            };
            assert!(body.contains(original), "{format:?}\n{body}");
            assert!(
                body.contains(NAMESPACE) || format == Format::Json,
                "{format:?}"
            );
        }
    }

    #[test]
    fn characters_xml_forbids_never_reach_a_document() {
        // Found by tests/properties.rs: a stored title with U+0000 was written
        // into the Atom document as is, making it invalid XML.
        let mut stories = stories();
        let copy = &mut stories[1].copies[0];
        copy.title = "Port\u{0} strike\u{1b}".into();
        copy.source = "so\u{1}lo".into();
        copy.author = Some("A\u{7}uthor".into());
        copy.content = Some("<p>a&#1;b\u{8}c\u{fffe}</p>".into());
        copy.summary = Some("sum&#2;mary".into());
        let items: Vec<Item> = stories
            .iter()
            .filter_map(|s| Item::from_story(s, crate::dedup::DEFAULT_RULES))
            .collect();
        assert_eq!(items[1].title, "Port strike");
        for format in Format::ALL {
            let body = render(format, &meta(), &items).unwrap().body;
            let bad = body.chars().find(|&c| {
                (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
                    || matches!(c, '\u{fffe}' | '\u{ffff}')
            });
            assert_eq!(bad, None, "{format:?}");
            // JSON escapes them, so look at what a reader would decode too.
            let feed = feed_rs::parser::parse(body.as_bytes()).unwrap();
            let title = &feed.entries[1].title.as_ref().unwrap().content;
            assert_eq!(title, "Port strike", "{format:?}");
        }
    }

    #[test]
    fn same_content_same_etag_and_changes_change_it() {
        let a = render(Format::Atom, &meta(), &items()).unwrap();
        let b = render(Format::Atom, &meta(), &items()).unwrap();
        assert_eq!(a, b);
        assert!(a.etag.starts_with("W/\""));
        let c = render(Format::Atom, &meta(), &items()[..1]).unwrap();
        assert_ne!(a.etag, c.etag);
    }

    #[test]
    fn changed_documents_get_a_later_last_modified() {
        let store_less = |items: &[Item]| {
            let mut documents = std::collections::HashMap::new();
            documents.insert(
                (None, Format::Atom),
                render(Format::Atom, &meta(), items).unwrap(),
            );
            Snapshot::from_documents(documents)
        };
        let all = items();
        let before = store_less(&all);
        // The newest story left: the text changed, the newest update did not.
        let mut after = store_less(&all[..1]);
        let old = before.get(None, Format::Atom).unwrap().last_modified;
        let now = chrono::DateTime::from_timestamp(old.timestamp() - 100, 0).unwrap();
        after.advance_from(&before, now);
        assert_eq!(
            after
                .get(None, Format::Atom)
                .unwrap()
                .last_modified
                .timestamp(),
            old.timestamp() + 1
        );
        let mut same = store_less(&all);
        same.advance_from(&before, now);
        assert_eq!(
            same.get(None, Format::Atom).unwrap().last_modified,
            old,
            "unchanged text keeps its time"
        );
    }

    #[test]
    fn the_web_page_lists_stories_and_escapes_everything() {
        let mut hostile = stories();
        hostile[1].copies[0].title =
            "<script>alert(1)</script>\"><img src=x onerror=alert(2)>".into();
        hostile[1].copies[0].url = Some("javascript:alert(3)".into());
        hostile[0].copies[0].source = "\"><svg onload=alert(4)>".into();
        let items: Vec<Item> = hostile
            .iter()
            .filter_map(|s| Item::from_story(s, crate::dedup::DEFAULT_RULES))
            .collect();
        let page = render_page(
            "merged <b>",
            &items,
            &["zh"],
            &crate::config::TimeZone::default(),
        );
        assert!(
            page.contains("rel=\"alternate\" type=\"application/atom+xml\" href=\"feed.atom\"")
        );
        assert!(page.contains("href=\"feeds/zh.atom\""));
        assert!(page.contains(">Port strike ends</a>"), "{page}");
        assert!(
            page.contains("Also reported by <a href=\"https://b.example.org/x\""),
            "{page}"
        );
        for bad in ["<script", "<img", "<svg", "javascript:", "<b>"] {
            assert!(!page.contains(bad), "{bad} survived:\n{page}");
        }
    }

    /// The two stories of `items()` as one event, the second also naming a
    /// story outside the feed, with a hostile title and link.
    fn related_items() -> Vec<Item> {
        let mut items = items();
        let of = |item: &Item| Related {
            id: item.id.clone(),
            title: item.title.clone(),
            url: item.url.clone(),
            source: item.source.clone(),
            source_title: item.source_title.clone(),
        };
        let (first, second) = (of(&items[0]), of(&items[1]));
        let elsewhere = Related {
            id: "tag:feedfold,2026:story/00000000000000cc".into(),
            title: "<script>alert(1)</script>Harbour reopens".into(),
            url: Some("javascript:alert(2)".into()),
            source: "wire".into(),
            source_title: "Wire".into(),
        };
        items[0] = items[0].clone().with_related(vec![second]);
        items[1] = items[1].clone().with_related(vec![first, elsewhere]);
        items
    }

    #[test]
    fn related_coverage_reaches_every_format() {
        let items = related_items();
        assert!(
            items[0].content_html.ends_with("</p>"),
            "{}",
            items[0].content_html
        );
        let body = &items[0].content_html;
        assert!(
            body.contains("Related coverage: <a href=\"https://c.example.org/zh\""),
            "{body}"
        );
        assert_eq!(items[1].related[1].url, None, "javascript: is no link");
        for format in Format::ALL {
            let doc = render(format, &meta(), &items).unwrap();
            assert!(!doc.body.contains("<script>alert"), "{format:?}");
            let feed = feed_rs::parser::parse(doc.body.as_bytes()).unwrap();
            assert_eq!(feed.entries.len(), 2);
            match format {
                Format::Atom => {
                    let related: Vec<&str> = feed.entries[0]
                        .links
                        .iter()
                        .filter(|l| l.rel.as_deref() == Some("related"))
                        .map(|l| l.href.as_str())
                        .collect();
                    assert_eq!(related, ["https://c.example.org/zh"]);
                }
                Format::Json => {
                    let json: serde_json::Value = serde_json::from_str(&doc.body).unwrap();
                    let related = &json["items"][1]["_feedfold"]["related"];
                    assert_eq!(related[0]["id"], "tag:feedfold,2026:story/00000000000000aa");
                    assert_eq!(related[1]["title"], "Harbour reopens", "a plain line");
                    assert!(json["items"][0]["_feedfold"]["related"].is_array());
                }
                Format::Rss => assert!(doc.body.contains("Related coverage:")),
            }
        }
    }

    #[test]
    fn the_web_page_lists_an_events_other_stories_under_its_first() {
        let grouped = related_items();
        let page = render_page("merged", &grouped, &[], &crate::config::TimeZone::default());
        assert_eq!(
            page.matches("<li").count() - page.matches("<link").count(),
            1,
            "{page}"
        );
        assert!(
            page.contains("1 more report: <a href=\"https://c.example.org/zh\""),
            "{page}"
        );
        // Without a feed summary the page's summary comes from the body,
        // which ends with the related-coverage footer (and, here, no "Also
        // reported by" list to cut before it).
        let mut lead = grouped[1].clone();
        lead.summary = None;
        assert!(lead.also.is_empty() && lead.content_html.contains("Related coverage:"));
        let page = render_page("merged", &[lead], &[], &crate::config::TimeZone::default());
        assert!(page.contains("<p class=\"sum\">正文</p>"), "{page}");
        assert!(
            !page.contains("Related coverage"),
            "the summary leaves the footer out: {page}"
        );
        let alone = render_page(
            "merged",
            &items()[..],
            &[],
            &crate::config::TimeZone::default(),
        );
        assert_eq!(
            alone.matches("<li").count() - alone.matches("<link").count(),
            2
        );
    }

    #[test]
    fn empty_feeds_are_valid_and_group_feeds_link_to_themselves() {
        let meta = FeedMeta {
            group: Some("zh".into()),
            hub: None,
            ..meta()
        };
        for format in Format::ALL {
            let doc = render(format, &meta, &[]).unwrap();
            let feed = feed_rs::parser::parse(doc.body.as_bytes()).unwrap();
            assert!(feed.entries.is_empty());
            assert!(doc.body.contains(&format!(
                "http://127.0.0.1:8080/feeds/zh.{}",
                format.extension()
            )));
        }
    }
}
