//! Deciding a whole batch in memory: the decisions, in item order, that
//! storing the items one statement at a time would make, so the batch can be
//! read and written in a few statements.
//!
//! The state starts as the rows read before planning (see `batch::read`)
//! and follows every row the batch writes: a later item sees an earlier
//! one's edit, and can join the story of an item stored just before it. New
//! rows carry pending ids until they are inserted.
//!
//! A new entry that matches members of several stories bridges them: they
//! merge into the one that started first (ties: the smallest story key),
//! whose id and key stay; the others keep their rows, empty, pointing at it.
//! So the final stories are the connected components of the match relation,
//! whatever order entries arrive in, as long as the window allows (see
//! README, "Stable stories"). Stories holding an entry the user split out
//! are never merged.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::super::candidates::Candidates;
use super::{Incoming, IngestReport, Origin, story_key, usable_fingerprint};
use crate::dedup::shingle_index::shares_keys;
use crate::dedup::{Decision, Evidence, Neighbour, Traits, decide, matched_clusters, survivor};
use crate::source::Enclosure;

/// Pending ids start here, above any stored id: a pending row sorts after
/// every stored one, as its real id will, and ties in `decide` (lowest
/// cluster, lowest item) come out the same.
pub(super) const PENDING: i64 = 1 << 62;

/// What the decisions need of an entry, stored or pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Row {
    pub story: i64,
    /// Its source's id.
    pub source: i64,
    pub fingerprint: Option<i64>,
    pub canonical_url: Option<String>,
    pub published: Option<i64>,
    pub first_seen: i64,
    /// Its sketch and title key (none when stored before sketches were).
    pub traits: Traits,
}

impl Row {
    /// `COALESCE(published, first_seen)`: the time neighbours are compared by.
    fn time(&self) -> i64 {
        self.published.unwrap_or(self.first_seen)
    }
}

/// The fields an edit can change; equal means the item is unchanged.
/// Categories compare as a set: feeds that list an item's tags in another
/// order on each fetch (from a hash map) have not edited it.
#[derive(Debug, Clone, Copy, Eq)]
pub(super) struct Text<'a> {
    pub url: Option<&'a str>,
    pub title: &'a str,
    pub author: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub content: Option<&'a str>,
    pub published: Option<i64>,
    pub enclosures: &'a [Enclosure],
    pub categories: &'a [String],
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.url == other.url
            && self.title == other.title
            && self.author == other.author
            && self.summary == other.summary
            && self.content == other.content
            && self.published == other.published
            && self.enclosures == other.enclosures
            && same_set(self.categories, other.categories)
    }
}

/// Whether `a` and `b` hold the same strings, in any order.
fn same_set(a: &[String], b: &[String]) -> bool {
    if a == b {
        return true;
    }
    if a.len() != b.len() {
        return false;
    }
    let mut a: Vec<&String> = a.iter().collect();
    let mut b: Vec<&String> = b.iter().collect();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

impl<'a> Text<'a> {
    fn of(item: &'a Incoming) -> Text<'a> {
        let entry = &item.entry;
        Text {
            url: entry.url.as_deref(),
            title: &entry.title,
            author: entry.author.as_deref(),
            summary: entry.summary.as_deref(),
            content: entry.content.as_deref(),
            published: published(item),
            enclosures: &entry.enclosures,
            categories: &entry.categories,
        }
    }
}

/// An entry of this source stored before the batch, with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Existing {
    pub id: i64,
    pub url: Option<String>,
    pub title: String,
    pub author: Option<String>,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub published: Option<i64>,
    pub enclosures: Vec<Enclosure>,
    pub categories: Vec<String>,
}

impl Existing {
    fn text(&self) -> Text<'_> {
        Text {
            url: self.url.as_deref(),
            title: &self.title,
            author: self.author.as_deref(),
            summary: self.summary.as_deref(),
            content: self.content.as_deref(),
            published: self.published,
            enclosures: &self.enclosures,
            categories: &self.categories,
        }
    }
}

/// What was read before planning, besides this source's stored entries.
#[derive(Debug, Default)]
pub(super) struct Known {
    /// Every entry read, by id.
    pub rows: HashMap<i64, Row>,
    /// When each story read started (its `published`), by id.
    pub started: HashMap<i64, i64>,
    /// The key of each story read, by id.
    pub story_keys: HashMap<i64, String>,
    /// Stories read that hold an entry the user split out.
    pub pinned: HashSet<i64>,
    /// Stored stories among the keys new entries would found, by key.
    pub keys: HashMap<String, i64>,
    /// Each new item's candidates from the copy, by GUID: found once to
    /// read their rows, and used again when the item is planned.
    pub matched: HashMap<String, Vec<i64>>,
}

/// A story to insert.
#[derive(Debug)]
pub(super) struct NewStory {
    pub key: String,
    pub published: i64,
}

/// An entry to insert, and why it is in its story.
#[derive(Debug)]
pub(super) struct NewEntry<'a> {
    /// The item; a later copy of the same GUID in the batch replaces it.
    pub item: &'a Incoming,
    pub story: i64,
    pub decision: Decision,
}

/// Two stories become one: every member of `absorbed` moves to `survivor`
/// because the new entry `bridge` matched both.
#[derive(Debug, Clone, Copy)]
pub(super) struct Merge {
    pub absorbed: i64,
    pub survivor: i64,
    pub bridge: i64,
}

/// A stored entry to update.
#[derive(Debug)]
pub(super) struct Update<'a> {
    pub id: i64,
    pub item: &'a Incoming,
}

/// The batch's decisions and the writes they need.
pub(super) struct Plan<'a> {
    origin: &'a Origin<'a>,
    rows: HashMap<i64, Row>,
    started: HashMap<i64, i64>,
    story_keys: HashMap<i64, String>,
    pinned: HashSet<i64>,
    /// Stories merged in this batch, and where into.
    merged_into: HashMap<i64, i64>,
    keys: HashMap<String, i64>,
    matched: HashMap<String, Vec<i64>>,
    /// Entry ids by canonical URL; an id may linger under an old URL.
    by_url: HashMap<String, Vec<i64>>,
    /// The fingerprinted rows this batch wrote: few enough to compare each
    /// with every new item.
    written: HashSet<i64>,
    /// This source's entries by GUID, with their current text.
    current: HashMap<&'a str, (i64, Text<'a>)>,
    /// Stories to insert; pending story `PENDING + i` is `stories[i]`.
    pub stories: Vec<NewStory>,
    /// Entries to insert; pending entry `PENDING + i` is `inserts[i]`.
    pub inserts: Vec<NewEntry<'a>>,
    /// Stored entries to update, each once, with its last text.
    pub updates: Vec<Update<'a>>,
    /// Stored stories whose `updated` becomes now.
    pub touched: BTreeSet<i64>,
    /// Merges, in the order they are made.
    pub merges: Vec<Merge>,
    /// Stored stories that now start earlier: an earlier copy joined.
    pub restarts: BTreeMap<i64, i64>,
    pub report: IngestReport,
}

/// The item's date as stored: as the feed gave it, so an unchanged
/// future-dated item compares equal on the next fetch.
pub(super) fn published(item: &Incoming) -> Option<i64> {
    item.entry.published.map(|t| t.timestamp())
}

/// The item's time for ordering and windows: its date, clamped to now.
pub(super) fn time(item: &Incoming, now: i64) -> i64 {
    published(item).map_or(now, |p| p.min(now))
}

impl<'a> Plan<'a> {
    /// Starts from what was read: this source's stored entries by GUID, and the rest.
    pub(super) fn new(
        origin: &'a Origin<'a>,
        existing: &'a HashMap<String, Existing>,
        known: Known,
    ) -> Plan<'a> {
        let mut by_url: HashMap<String, Vec<i64>> = HashMap::new();
        for (&id, row) in &known.rows {
            if let Some(url) = &row.canonical_url {
                by_url.entry(url.clone()).or_default().push(id);
            }
        }
        let current = existing
            .iter()
            .map(|(guid, e)| (guid.as_str(), (e.id, e.text())))
            .collect();
        Plan {
            origin,
            rows: known.rows,
            started: known.started,
            story_keys: known.story_keys,
            pinned: known.pinned,
            merged_into: HashMap::new(),
            keys: known.keys,
            matched: known.matched,
            by_url,
            written: HashSet::new(),
            current,
            stories: Vec::new(),
            inserts: Vec::new(),
            updates: Vec::new(),
            touched: BTreeSet::new(),
            merges: Vec::new(),
            restarts: BTreeMap::new(),
            report: IngestReport::default(),
        }
    }

    /// Decides the next item. Stored entries it edits go into `candidates`
    /// now, as they would have; new ones once they have their ids.
    pub(super) fn add(&mut self, item: &'a Incoming, candidates: &mut Candidates) {
        let text = Text::of(item);
        match self.current.get(item.entry.id.as_str()) {
            None => match self.insert(item) {
                Decision::New => self.report.new += 1,
                _ => {
                    self.report.new += 1;
                    self.report.merged += 1;
                }
            },
            Some(&(_, stored)) if stored == text => self.report.unchanged += 1,
            Some(&(id, _)) => {
                self.update(id, item, candidates);
                self.report.updated += 1;
            }
        }
    }

    fn insert(&mut self, item: &'a Incoming) -> Decision {
        let options = self.origin.options;
        let time = time(item, self.origin.now);
        let canonical = super::matching_url(item);
        let same_url = canonical
            .as_deref()
            .map(|url| self.same_url(url, time - options.window_secs))
            .unwrap_or_default();
        let neighbours = match usable_fingerprint(item) {
            Some(fp) if options.distance > 0 => self.neighbours(item, fp, time),
            _ => Vec::new(),
        };
        let url_stories: Vec<i64> = same_url.iter().map(|&(_, story)| story).collect();
        let matched =
            matched_clusters(&url_stories, item.simhash, Some(time), &neighbours, options);
        // A story holding an entry the user split out is neither merged nor
        // merged into; it is joined only when nothing else matches.
        let free: Vec<i64> = matched
            .iter()
            .copied()
            .filter(|story| !self.pinned.contains(story))
            .collect();
        let keep = |story: i64| free.is_empty() || free.contains(&story);
        let same_url = same_url.into_iter().find(|&(_, story)| keep(story));
        let neighbours: Vec<Neighbour> =
            neighbours.into_iter().filter(|n| keep(n.cluster)).collect();
        let decision = decide(same_url, item.simhash, Some(time), neighbours, options);
        let id = PENDING + self.inserts.len() as i64;
        let story = match decision.cluster() {
            Some(joined) => {
                let story = match self.survivor(&free) {
                    Some(survivor) if free.len() > 1 => {
                        for &other in &free {
                            if other != survivor {
                                self.merge(other, survivor, id);
                            }
                        }
                        survivor
                    }
                    _ => joined,
                };
                self.touch(story);
                self.restart(story, time);
                story
            }
            None => self.found_story(&item.entry.id, time),
        };
        let row = Row {
            story,
            source: self.origin.source_id,
            fingerprint: usable_fingerprint(item),
            canonical_url: canonical,
            published: published(item),
            first_seen: self.origin.now,
            traits: super::matching_traits(item).clone(),
        };
        self.put(id, row);
        self.current.insert(&item.entry.id, (id, Text::of(item)));
        self.inserts.push(NewEntry {
            item,
            story,
            decision,
        });
        decision
    }

    /// An edited entry keeps its story (its id is published); only its text
    /// and fingerprint follow the edit.
    fn update(&mut self, id: i64, item: &'a Incoming, candidates: &mut Candidates) {
        let Some(old) = self.rows.get(&id) else {
            return;
        };
        let row = Row {
            fingerprint: usable_fingerprint(item),
            canonical_url: super::matching_url(item),
            published: published(item),
            traits: super::matching_traits(item).clone(),
            ..old.clone()
        };
        self.touch(row.story);
        let time = row.time();
        self.put(id, row);
        self.current.insert(&item.entry.id, (id, Text::of(item)));
        if let Some(pending) = self.pending_entry(id) {
            pending.item = item;
            return;
        }
        candidates.put(
            id,
            usable_fingerprint(item),
            super::matching_traits(item).clone(),
            self.origin.source_id,
            time,
        );
        match self.updates.iter_mut().find(|u| u.id == id) {
            Some(update) => update.item = item,
            None => self.updates.push(Update { id, item }),
        }
    }

    fn pending_entry(&mut self, id: i64) -> Option<&mut NewEntry<'a>> {
        let index = usize::try_from(id.checked_sub(PENDING)?).ok()?;
        self.inserts.get_mut(index)
    }

    /// Records a row's new state where the lookups find it.
    fn put(&mut self, id: i64, row: Row) {
        if let Some(url) = &row.canonical_url {
            let ids = self.by_url.entry(url.clone()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        match row.fingerprint {
            Some(_) => self.written.insert(id),
            None => self.written.remove(&id),
        };
        self.rows.insert(id, row);
    }

    /// The story `story` stands for now: itself, or the one it was merged into.
    fn resolve(&self, mut story: i64) -> i64 {
        while let Some(&into) = self.merged_into.get(&story) {
            story = into;
        }
        story
    }

    /// Of stories to merge, the one that keeps its id and key: the earliest
    /// started, ties to the smallest key.
    fn survivor(&self, stories: &[i64]) -> Option<i64> {
        survivor(stories.iter().map(|&story| {
            let key = match usize::try_from(story.saturating_sub(PENDING)) {
                Ok(index) if story >= PENDING => self.stories.get(index).map(|s| s.key.as_str()),
                _ => self.story_keys.get(&story).map(String::as_str),
            };
            let started = self.started.get(&story).copied().unwrap_or(i64::MAX);
            (story, started, key.unwrap_or(""))
        }))
    }

    /// Moves every member of `absorbed` to `survivor`, which starts when
    /// the earlier of the two did.
    fn merge(&mut self, absorbed: i64, survivor: i64, bridge: i64) {
        self.merged_into.insert(absorbed, survivor);
        if let Some(&started) = self.started.get(&absorbed) {
            self.restart(survivor, started);
        }
        self.merges.push(Merge {
            absorbed,
            survivor,
            bridge,
        });
        self.report.merged_stories += 1;
    }

    /// A story starts at its earliest copy's time, whichever came first.
    fn restart(&mut self, story: i64, time: i64) {
        let started = self.started.entry(story).or_insert(time);
        if time >= *started {
            return;
        }
        *started = time;
        match usize::try_from(story.saturating_sub(PENDING)) {
            Ok(index) if story >= PENDING => {
                if let Some(pending) = self.stories.get_mut(index) {
                    pending.published = time;
                }
            }
            _ => {
                self.restarts.insert(story, time);
            }
        }
    }

    /// The story a new entry founds: its key's stored story if there is one
    /// (as `INSERT … ON CONFLICT` would find), else a pending one.
    fn found_story(&mut self, guid: &str, time: i64) -> i64 {
        let key = story_key("entry", self.origin.source_name, guid);
        if let Some(&story) = self.keys.get(&key) {
            let story = self.resolve(story);
            self.touch(story);
            return story;
        }
        let story = PENDING + self.stories.len() as i64;
        self.keys.insert(key.clone(), story);
        self.started.insert(story, time);
        self.stories.push(NewStory {
            key,
            published: time,
        });
        story
    }

    /// A pending story is inserted with `updated` = now already.
    fn touch(&mut self, story: i64) {
        if story < PENDING {
            self.touched.insert(story);
        }
    }

    /// The entries with this canonical URL whose stories started inside the
    /// window, oldest first, each with its story. (A link reused for a daily
    /// briefing must not fold today's briefing into last month's story.)
    fn same_url(&self, url: &str, since: i64) -> Vec<(i64, i64)> {
        let mut found: Vec<(i64, i64)> = self
            .by_url
            .get(url)
            .into_iter()
            .flatten()
            .filter_map(|&id| Some((id, self.rows.get(&id)?)))
            .filter(|(_, row)| row.canonical_url.as_deref() == Some(url))
            .map(|(id, row)| (id, self.resolve(row.story)))
            .filter(|(_, story)| self.started.get(story).is_some_and(|&s| s >= since))
            .collect();
        found.sort_unstable();
        found
    }

    /// Entries within the distance of this fingerprint or sharing sketch
    /// keys with it, inside the time window: those the copy found for the
    /// item when the rows were read, plus the rows this batch wrote; each
    /// with what its sketch and title share with `traits`.
    fn neighbours(&self, item: &Incoming, fingerprint: i64, time: i64) -> Vec<Neighbour> {
        let options = self.origin.options;
        let since = time.saturating_sub(options.window_secs);
        let until = time.saturating_add(options.window_secs);
        let traits = super::matching_traits(item);
        let mine = traits.keys();
        // Found when the rows were read, the only rows read besides those
        // this batch wrote (`written`): every new item with a fingerprint
        // was asked then.
        let mut ids = self
            .matched
            .get(&item.entry.id)
            .cloned()
            .unwrap_or_default();
        ids.extend(&self.written);
        ids.sort_unstable();
        ids.dedup();
        // Older items' band candidates are a superset, and the rows written
        // in this batch are all offered: keep the candidates, by either way
        // of finding them.
        let query = fingerprint as u64;
        let candidate = |row: &Row| {
            row.fingerprint
                .is_some_and(|f| (f as u64 ^ query).count_ones() <= options.distance)
                || shares_keys(mine, row.traits.keys())
        };
        ids.into_iter()
            .filter(|id| self.rows.get(id).is_some_and(candidate))
            .filter_map(|id| self.neighbour(id, since, until, traits))
            .collect()
    }

    fn neighbour(&self, id: i64, since: i64, until: i64, traits: &Traits) -> Option<Neighbour> {
        let row = self.rows.get(&id)?;
        let story = self.resolve(row.story);
        let started = *self.started.get(&story)?;
        let time = row.time();
        (since <= time && time <= until && started >= since).then_some(Neighbour {
            item: id,
            cluster: story,
            cluster_started: started,
            fingerprint: row.fingerprint? as u64,
            time: Some(time),
            evidence: Evidence::between(traits, &row.traits, row.source == self.origin.source_id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(categories: &[String]) -> Text<'_> {
        Text {
            url: None,
            title: "t",
            author: None,
            summary: None,
            content: None,
            published: None,
            enclosures: &[],
            categories,
        }
    }

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn reordered_categories_are_no_edit_changed_ones_are() {
        let stored = tags(&["World", "港口"]);
        assert_eq!(text(&stored), text(&tags(&["港口", "World"])));
        assert_ne!(text(&stored), text(&tags(&["World", "Sport"])));
        assert_ne!(text(&stored), text(&tags(&["World"])));
        assert_ne!(text(&stored), text(&tags(&["World", "港口", "港口"])));
    }
}
