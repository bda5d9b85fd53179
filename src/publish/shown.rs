//! Which stored copies a feed shows: the `keep`/`drop` rules of the copy's
//! source, of the output and of the feed's group, applied when the feed is
//! rendered, so a changed rule applies to everything stored.

use crate::config::Config;
use crate::extract::html_to_text;
use crate::filter::{Fields, Filter, Verdict};
use crate::store::{StoryCopy, StoryRecord};

/// Whose rules a verdict is; named only when shown, since feeds are
/// rendered often and copies are rarely held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// A source's rules, by its name.
    Source(&'a str),
    /// `[output]`'s rules.
    Output,
    /// A group's rules, by its name.
    Group(&'a str),
}

impl std::fmt::Display for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Source(name) => write!(f, "source {name:?}"),
            Scope::Output => f.write_str("output"),
            Scope::Group(name) => write!(f, "group {name:?}"),
        }
    }
}

/// The rules that keep a copy out of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held<'a> {
    /// Whose rules: `source "NAME"`, `output` or `group "NAME"`.
    pub scope: Scope<'a>,
    /// What they said.
    pub verdict: Verdict,
}

impl std::fmt::Display for Held<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.verdict {
            Verdict::Dropped { rule, field } => write!(
                f,
                "dropped by {}: drop rule {rule:?} matched its {field}",
                self.scope
            ),
            Verdict::NotKept => write!(f, "not kept by {}: no keep rule matched", self.scope),
            Verdict::Pass => write!(f, "shown by {}", self.scope),
        }
    }
}

/// The first scope whose rules keep `copy` out of the feed of `group`
/// (the merged feed when `None`), or `None` when it is shown there.
pub fn held_by<'a>(config: &'a Config, group: Option<&str>, copy: &StoryCopy) -> Option<Held<'a>> {
    let source = config.source(&copy.source);
    let mut scopes: Vec<(Scope<'a>, &Filter)> = Vec::new();
    if let Some(source) = source {
        scopes.push((Scope::Source(&source.name), &source.filter));
    }
    scopes.push((Scope::Output, &config.output.filter));
    if let Some((name, table)) = group.and_then(|g| config.groups.get_key_value(g)) {
        scopes.push((Scope::Group(name), &table.filter));
    }
    scopes.retain(|(_, filter)| !filter.is_empty());
    if scopes.is_empty() {
        return None;
    }
    let body = copy.content.as_deref().or(copy.summary.as_deref());
    let text = match scopes.iter().any(|(_, f)| f.reads_text()) {
        true => body.map(html_to_text).unwrap_or_default(),
        false => String::new(),
    };
    let summary = copy
        .summary
        .as_deref()
        .map(html_to_text)
        .unwrap_or_default();
    let fields = Fields {
        title: &copy.title,
        link: copy.url.as_deref(),
        author: copy.author.as_deref(),
        summary: &summary,
        text: &text,
        categories: &copy.categories,
    };
    scopes.into_iter().find_map(|(scope, filter)| {
        let verdict = filter.verdict(&fields);
        (!verdict.passes()).then_some(Held { scope, verdict })
    })
}

/// The story as the feed of `group` shows it: only the copies no rule
/// holds back, each with its source's display name (the config's `title`
/// first, else the feed's own); `None` when no copy is left.
pub fn shown(config: &Config, group: Option<&str>, mut story: StoryRecord) -> Option<StoryRecord> {
    story
        .copies
        .retain(|copy| held_by(config, group, copy).is_none());
    for copy in &mut story.copies {
        if let Some(title) = config.source(&copy.source).and_then(|s| s.title.clone()) {
            copy.source_title = Some(title);
        }
    }
    (!story.copies.is_empty()).then_some(story)
}
