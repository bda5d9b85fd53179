//! One story as a feed item: its representative copy, sanitised, plus who
//! else ran it.

use chrono::{DateTime, Utc};

use crate::dedup::template::Templates;
use crate::dedup::{Candidate, RepresentativeRule, TitleRules, representative};
use crate::extract::{html_to_text, sanitize};
use crate::source::{Enclosure, strip_control};
use crate::store::{StoryCopy, StoryRecord};
use crate::text::markup::{escape_html, plain_line};

/// Another source's copy of the same story.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlsoReported {
    /// Source name: the config's stable key.
    pub source: String,
    /// The source's display name (its `title`, else its feed's title, else
    /// its name).
    pub source_title: String,
    /// That copy's title.
    pub title: String,
    /// That copy's link.
    pub url: Option<String>,
}

/// Another story about the same event: related coverage (see
/// `crate::events`), a different write-up rather than a copy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Related {
    /// That story's id (tag URI), as its own item has it.
    pub id: String,
    /// Its earliest copy's title.
    pub title: String,
    /// That copy's link.
    pub url: Option<String>,
    /// That copy's source name.
    pub source: String,
    /// That source's display name.
    pub source_title: String,
}

impl Related {
    /// The related story with its title cleaned as items' titles are
    /// (`output.clean_titles`).
    pub fn with_clean_title(mut self, rules: &TitleRules) -> Related {
        let cleaned = clean_title(rules, &self.title);
        if !cleaned.is_empty() {
            self.title = cleaned;
        }
        self
    }
}

/// A story ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Stable public id: a tag URI from the story key.
    pub id: String,
    /// The representative's title (cleaned of wire and site decorations
    /// with `output.clean_titles`).
    pub title: String,
    /// The representative's title as its source wrote it, when the
    /// published title was cleaned into something else.
    pub original_title: Option<String>,
    /// The representative's link.
    pub url: Option<String>,
    /// The representative's author.
    pub author: Option<String>,
    /// The source the representative came from (its name).
    pub source: String,
    /// That source's display name.
    pub source_title: String,
    /// When the story first appeared.
    pub published: DateTime<Utc>,
    /// When any copy last changed.
    pub updated: DateTime<Utc>,
    /// Sanitised HTML body with absolute links, ending with the "Also reported by" list.
    pub content_html: String,
    /// Plain-text summary, at most about 300 characters.
    pub summary: Option<String>,
    /// The first image of the representative's body, else of its summary
    /// (1×1 tracking pixels skipped): an absolute http(s) URL.
    pub image: Option<String>,
    /// The representative's attached media: http(s) only, each URL once.
    /// A podcast episode is one file, so the copy whose text is published
    /// also gives the file; other copies' files are not added to it.
    pub enclosures: Vec<Enclosure>,
    /// The representative's categories, as plain lines, each once. Only the
    /// representative's, like its title and body: each site files a story
    /// under its own scheme ("World", "国际", "Top stories"), and a union
    /// would mix those schemes in one item.
    pub categories: Vec<String>,
    /// The other copies.
    pub also: Vec<AlsoReported>,
    /// Other stories about the same event, earliest first.
    pub related: Vec<Related>,
}

impl Item {
    /// Builds the item for a story, its representative chosen by `rules`;
    /// `None` for a story with no copies.
    pub fn from_story(story: &StoryRecord, rules: &[RepresentativeRule]) -> Option<Item> {
        Item::from_story_cut(story, rules, &mut Templates::default())
    }

    /// As [`Item::from_story`], the representative's body without the
    /// paragraphs `templates` knows as its site's template (see
    /// `output.cut_site_templates`).
    pub fn from_story_cut(
        story: &StoryRecord,
        rules: &[RepresentativeRule],
        templates: &mut Templates,
    ) -> Option<Item> {
        let chosen = Item::representative(story, rules)?;
        let rep = &story.copies[chosen];
        let also: Vec<AlsoReported> = story
            .copies
            .iter()
            .enumerate()
            .filter(|&(i, c)| i != chosen && c.source != rep.source)
            .map(|(_, c)| AlsoReported {
                source: strip_control(c.source.clone()),
                source_title: display_name(c),
                title: strip_control(plain_line(&c.title)),
                url: c.url.clone().map(strip_control),
            })
            .collect();
        let body = rep
            .content
            .as_deref()
            .or(rep.summary.as_deref())
            .unwrap_or("");
        let cut = templates.cut_html(&rep.source, body);
        let body = cut.as_ref().map_or(body, |(cut, _)| cut.as_str());
        // The whole body, "also reported" list included, goes through the
        // sanitiser: names and titles in it come from feeds too.
        let content_html = sanitize(&format!("{body}{}", also_html(&also)), rep.url.as_deref());
        // Characters XML 1.0 forbids make the whole document unreadable to a
        // strict reader. Entries are cleaned on the way in, but stored rows
        // from older versions, scraped pages and decoded references
        // (`&#1;` in a body becomes U+0001 once sanitised) are not: every
        // published field is cleaned again here, after decoding.
        // Feeds often put the picture in the summary and the text in the body.
        let image = first_image(&content_html).or_else(|| {
            let summary = rep.summary.as_deref()?;
            first_image(&sanitize(summary, rep.url.as_deref()))
        });
        Some(Item {
            image: image.map(strip_control),
            id: strip_control(story_id(&story.key)),
            title: strip_control(plain_line(&rep.title)),
            original_title: None,
            url: rep.url.clone().map(strip_control),
            author: rep.author.as_deref().map(plain_line).map(strip_control),
            source: strip_control(rep.source.clone()),
            source_title: display_name(rep),
            published: timestamp(story.published),
            updated: timestamp(story.updated),
            content_html: strip_control(content_html),
            summary: rep
                .summary
                .as_deref()
                .map(html_to_text)
                .map(|t| shorten(&strip_control(t), 300))
                .filter(|t| !t.is_empty()),
            enclosures: clean_enclosures(&rep.enclosures),
            categories: clean_categories(&rep.categories),
            also,
            related: Vec::new(),
        })
    }
}

impl Item {
    /// Which of `story`'s copies is published, by `rules`; `None` for a
    /// story with no copies.
    pub fn representative(story: &StoryRecord, rules: &[RepresentativeRule]) -> Option<usize> {
        let candidates: Vec<Candidate> = story
            .copies
            .iter()
            .map(|c| Candidate {
                priority: c.priority,
                body_len: body_len(c),
                published: c.published,
                source: &c.source,
                guid: &c.guid,
            })
            .collect();
        representative(&candidates, rules)
    }

    /// The item with `related` as its related coverage, also listed at the
    /// end of its body (after "Also reported by") for readers that show
    /// only the body.
    pub fn with_related(mut self, related: Vec<Related>) -> Item {
        if related.is_empty() {
            return self;
        }
        let related: Vec<Related> = related
            .into_iter()
            .map(|r| Related {
                id: strip_control(r.id),
                title: strip_control(plain_line(&r.title)),
                url: r.url.and_then(|u| web_url(&u)),
                source: strip_control(r.source),
                source_title: strip_control(plain_line(&r.source_title)),
            })
            .collect();
        let footer = sanitize(&related_html(&related), self.url.as_deref());
        self.content_html.push_str(&strip_control(footer));
        self.related = related;
        self
    }

    /// The item with its title cleaned of the wire and site decorations
    /// `rules` strip for comparison (`(聚焦疫情防控)`, `BREAKING:`,
    /// ` - Reuters`), the original kept in `original_title`. A title that
    /// would be left empty, or is already clean, stays as it is.
    pub fn with_clean_title(mut self, rules: &TitleRules) -> Item {
        let cleaned = clean_title(rules, &self.title);
        if !cleaned.is_empty() && cleaned != self.title {
            self.original_title = Some(std::mem::replace(&mut self.title, cleaned));
        }
        self
    }
}

/// `title` without its decorations, as it was written: dedup's cleaning
/// works on the NFKC form (full-width `：` becomes `:`), so the cleaned
/// text is mapped back onto the original characters where it can be.
fn clean_title(rules: &TitleRules, title: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let cleaned = rules.clean(title);
    if cleaned.is_empty() {
        return cleaned;
    }
    // Each original character's NFKC form, and where it starts in the
    // concatenation (which equals the NFKC of the whole but for rare
    // compositions across characters; then the cleaned form is used).
    let mut normal = String::with_capacity(title.len());
    let mut starts = Vec::new();
    for (at, c) in title.char_indices() {
        starts.push((normal.len(), at));
        normal.extend(c.nfkc());
    }
    let (Some(from), true) = (normal.find(&cleaned), !starts.is_empty()) else {
        return cleaned;
    };
    let to = from + cleaned.len();
    let start = starts.iter().find(|&&(n, _)| n == from).map(|&(_, o)| o);
    let end = starts
        .iter()
        .find(|&&(n, _)| n == to)
        .map(|&(_, o)| o)
        .or((to == normal.len()).then_some(title.len()));
    match (start, end) {
        (Some(start), Some(end)) => title[start..end].to_owned(),
        _ => cleaned,
    }
}

/// The tag URI that is a story's public id.
pub fn story_id(key: &str) -> String {
    format!("{STORY_TAG}{key}")
}

/// The story key in a public id made by [`story_id`].
pub fn story_key(id: &str) -> Option<&str> {
    id.strip_prefix(STORY_TAG)
}

const STORY_TAG: &str = "tag:feedfold,2026:story/";

/// A copy's source as readers see it: its display name, else its name.
pub(super) fn display_name(copy: &StoryCopy) -> String {
    let name = copy
        .source_title
        .as_deref()
        .map(plain_line)
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| copy.source.clone());
    strip_control(name)
}

/// Most categories an item carries: a feed that tags every item with its
/// whole keyword list must not bloat the merged feed.
const MAX_CATEGORIES: usize = 20;

/// Most enclosures an item carries; RSS readers show only the first.
const MAX_ENCLOSURES: usize = 10;

/// Enclosures fit to publish. Stored ones were checked on the way in, but
/// rows from older versions and other writers were not, and a URL ends up
/// in an attribute readers fetch.
fn clean_enclosures(enclosures: &[Enclosure]) -> Vec<Enclosure> {
    let mut seen = std::collections::HashSet::new();
    enclosures
        .iter()
        .filter_map(|e| {
            let url = web_url(&e.url)?;
            Some(Enclosure {
                url,
                mime: e.mime.as_deref().and_then(media_type),
                length: e.length.filter(|&n| n > 0),
            })
        })
        .filter(|e| seen.insert(e.url.clone()))
        .take(MAX_ENCLOSURES)
        .collect()
}

/// `url` if it is an absolute http(s) URL, serialised by the URL parser
/// (so spaces and other characters come out percent-encoded).
fn web_url(url: &str) -> Option<String> {
    let parsed = url::Url::parse(strip_control(url.trim().to_owned()).as_str()).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

/// A MIME type of the form `type/subtype` (parameters dropped, lowercased);
/// anything else is unknown rather than passed on.
fn media_type(mime: &str) -> Option<String> {
    let essence = mime.split(';').next()?.trim().to_ascii_lowercase();
    let (kind, sub) = essence.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    (token(kind) && token(sub)).then_some(essence)
}

/// Categories as plain lines without controls, empty and repeated ones dropped.
fn clean_categories(categories: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    categories
        .iter()
        .map(|c| plain_line(&strip_control(c.clone())))
        .filter(|c| !c.is_empty() && seen.insert(c.clone()))
        .take(MAX_CATEGORIES)
        .collect()
}

/// The first http(s) image in sanitised HTML; 1×1 tracking pixels are skipped.
fn first_image(html: &str) -> Option<String> {
    let selector = scraper::Selector::parse("img[src]").ok()?;
    let fragment = scraper::Html::parse_fragment(html);
    fragment
        .select(&selector)
        .filter(|img| {
            let tiny = |a: &str| img.value().attr(a).is_some_and(|v| v.trim() == "1");
            !(tiny("width") || tiny("height"))
        })
        .filter_map(|img| img.value().attr("src"))
        .find(|src| src.starts_with("http://") || src.starts_with("https://"))
        .map(str::to_owned)
}

fn body_len(copy: &StoryCopy) -> usize {
    copy.content
        .as_deref()
        .or(copy.summary.as_deref())
        .map_or(0, |b| b.chars().count())
}

fn also_html(also: &[AlsoReported]) -> String {
    if also.is_empty() {
        return String::new();
    }
    let links: Vec<String> = also
        .iter()
        .map(|a| {
            let name = escape_html(&a.source_title);
            match a
                .url
                .as_deref()
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
            {
                Some(url) => format!(
                    "<a href=\"{}\" title=\"{}\">{name}</a>",
                    escape_html(url),
                    escape_html(&a.title)
                ),
                None => name,
            }
        })
        .collect();
    format!(
        "<p class=\"feedfold-also\">Also reported by: {}</p>",
        links.join(", ")
    )
}

fn related_html(related: &[Related]) -> String {
    let links: Vec<String> = related
        .iter()
        .map(|r| {
            let title = escape_html(&r.title);
            let name = escape_html(&r.source_title);
            match &r.url {
                Some(url) => format!("<a href=\"{}\">{title}</a> ({name})", escape_html(url)),
                None => format!("{title} ({name})"),
            }
        })
        .collect();
    format!(
        "<p class=\"feedfold-related\">Related coverage: {}</p>",
        links.join("; ")
    )
}

fn shorten(text: &str, max_chars: usize) -> String {
    let flat = crate::text::space::collapse(text);
    match flat.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", flat[..cut].trim_end()),
        None => flat,
    }
}

fn timestamp(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::UNIX_EPOCH)
}
