//! Every document the server offers, rendered at once after a change, so
//! requests are answered from memory.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::chrome::SiteChrome;
use super::item::{display_name, story_id, story_key};
use super::{Document, FeedMeta, Format, Item, PublishError, Related, render, render_page, shown};
use crate::config::Config;
use crate::dedup::TitleRules;
use crate::store::{RelatedStory, Store, StoryRecord};

/// The stories one feed shows, newest first, as items.
pub async fn load_items(
    store: &Store,
    config: &Config,
    group: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<Item>, PublishError> {
    load_items_cut(store, config, group, now, &mut SiteChrome::default()).await
}

/// As [`load_items`], with the site templates read so far (by the other
/// feeds of one rendering) in `chrome`.
async fn load_items_cut(
    store: &Store,
    config: &Config,
    group: Option<&str>,
    now: DateTime<Utc>,
    chrome: &mut SiteChrome,
) -> Result<Vec<Item>, PublishError> {
    let output = &config.output;
    let window = chrono::TimeDelta::from_std(output.window.0).unwrap_or(chrono::TimeDelta::MAX);
    let since = now
        .checked_sub_signed(window)
        .map_or(i64::MIN, |t| t.timestamp());
    let wanted = output.items.get();
    let rules = &config.dedup.representative;
    let titles = output
        .clean_titles
        .then(|| TitleRules::with_extra(&config.dedup.title_prefixes, &config.dedup.title_sites));
    // Stories whose every copy a rule holds back leave gaps: read further
    // back until the feed is full, the window is exhausted, or (against a
    // rule that drops nearly everything) 64 times the feed was read.
    let mut limit = wanted;
    loop {
        let stories = store.recent_stories(since, limit, group).await?;
        let exhausted = stories.len() < limit;
        let shown: Vec<(StoryRecord, usize)> = stories
            .into_iter()
            .filter_map(|s| shown(config, group, s))
            .filter_map(|s| Item::representative(&s, rules).map(|chosen| (s, chosen)))
            .take(wanted)
            .collect();
        if output.cut_site_templates {
            let sites = shown
                .iter()
                .map(|(s, chosen)| s.copies[*chosen].source.as_str());
            chrome.load(store, sites, now.timestamp()).await?;
        }
        let items: Vec<Item> = shown
            .iter()
            .filter_map(|(s, _)| Item::from_story_cut(s, rules, chrome.templates()))
            .map(|item| match &titles {
                Some(titles) => item.with_clean_title(titles),
                None => item,
            })
            .take(wanted)
            .collect();
        if items.len() >= wanted || exhausted || limit >= wanted.saturating_mul(64) {
            return with_related(store, config, group, titles.as_ref(), items).await;
        }
        limit = limit.saturating_mul(4);
    }
}

/// Most related stories listed under one item.
const MAX_RELATED: usize = 10;

/// `items`, each with the other stories of its event that the feed of
/// `group` would show (none with `events.enabled = false`), their titles
/// cleaned by `titles` as the items' are.
async fn with_related(
    store: &Store,
    config: &Config,
    group: Option<&str>,
    titles: Option<&TitleRules>,
    items: Vec<Item>,
) -> Result<Vec<Item>, PublishError> {
    if !config.events.enabled {
        return Ok(items);
    }
    let keys: Vec<&str> = items.iter().filter_map(|i| story_key(&i.id)).collect();
    let mut found = store.related_stories(&keys, MAX_RELATED).await?;
    Ok(items
        .into_iter()
        .map(|item| {
            let related = story_key(&item.id)
                .and_then(|k| found.remove(k))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|r| related(config, group, r))
                .map(|r| match titles {
                    Some(rules) => r.with_clean_title(rules),
                    None => r,
                })
                .collect();
            item.with_related(related)
        })
        .collect())
}

/// A related story as the feed of `group` lists it; `None` when a
/// `keep`/`drop` rule holds its copy back there.
fn related(config: &Config, group: Option<&str>, story: RelatedStory) -> Option<Related> {
    let shown = shown(
        config,
        group,
        StoryRecord {
            key: story.key,
            published: story.published,
            updated: story.published,
            copies: vec![story.copy],
        },
    )?;
    let copy = shown.copies.into_iter().next()?;
    Some(Related {
        id: story_id(&shown.key),
        source_title: display_name(&copy),
        title: copy.title,
        url: copy.url,
        source: copy.source,
    })
}

/// The merged feed and every group feed, in every format.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    documents: HashMap<(Option<String>, Format), Document>,
    /// The web page for `/`.
    page: String,
    /// When this snapshot was rendered.
    pub rendered_at: Option<DateTime<Utc>>,
}

impl Snapshot {
    /// Renders the merged feed and one feed per group.
    pub async fn build(
        store: &Store,
        config: &Config,
        groups: &[String],
        now: DateTime<Utc>,
    ) -> Result<Snapshot, PublishError> {
        let output = &config.output;
        let mut documents = HashMap::new();
        let mut page = String::new();
        let feeds = std::iter::once(None).chain(groups.iter().map(Some));
        let mut chrome = SiteChrome::default();
        for group in feeds {
            let group_name = group.map(String::as_str);
            let items = load_items_cut(store, config, group_name, now, &mut chrome).await?;
            if group.is_none() {
                let names: Vec<&str> = groups.iter().map(String::as_str).collect();
                page = render_page(&output.title, &items, &names, &output.timezone);
            }
            let meta = FeedMeta {
                title: output.title.clone(),
                base_url: output.base_url.clone(),
                group: group.cloned(),
                hub: output.websub_hub.as_ref().map(|h| h.0.clone()),
            };
            for format in Format::ALL {
                documents.insert((group.cloned(), format), render(format, &meta, &items)?);
            }
        }
        Ok(Snapshot {
            documents,
            page,
            rendered_at: Some(now),
        })
    }

    /// A snapshot of already rendered documents.
    pub fn from_documents(documents: HashMap<(Option<String>, Format), Document>) -> Snapshot {
        Snapshot {
            documents,
            page: String::new(),
            rendered_at: None,
        }
    }

    /// One document: the merged feed (`group = None`) or a group's feed.
    pub fn get(&self, group: Option<&str>, format: Format) -> Option<&Document> {
        self.documents.get(&(group.map(str::to_owned), format))
    }

    /// Keeps `Last-Modified` moving forward: a document whose text changed
    /// without a newer story (a second change in the same second, a story
    /// leaving the window) still gets a later time than the one clients hold,
    /// so `If-Modified-Since` alone never hides the change.
    pub fn advance_from(&mut self, previous: &Snapshot, now: DateTime<Utc>) {
        for (key, doc) in &mut self.documents {
            let Some(old) = previous.documents.get(key) else {
                continue;
            };
            if old.etag != doc.etag && doc.last_modified <= old.last_modified {
                doc.last_modified = now.max(old.last_modified + chrono::TimeDelta::seconds(1));
            }
        }
    }

    /// The feeds (group, format) whose text differs from `previous`'s, or
    /// that it did not have: what a WebSub hub is told about.
    pub fn changed_since(&self, previous: &Snapshot) -> Vec<(Option<&str>, Format)> {
        let mut changed: Vec<(Option<&str>, Format)> = self
            .documents
            .iter()
            .filter(|(key, doc)| {
                previous
                    .documents
                    .get(*key)
                    .is_none_or(|old| old.etag != doc.etag)
            })
            .map(|((group, format), _)| (group.as_deref(), *format))
            .collect();
        changed.sort_by_key(|(group, format)| (*group, format.extension()));
        changed
    }

    /// The web page for `/`.
    pub fn page(&self) -> &str {
        &self.page
    }

    /// The groups that have feeds, sorted.
    pub fn groups(&self) -> Vec<&str> {
        let mut groups: Vec<&str> = self
            .documents
            .keys()
            .filter_map(|(g, _)| g.as_deref())
            .collect();
        groups.sort_unstable();
        groups.dedup();
        groups
    }
}
