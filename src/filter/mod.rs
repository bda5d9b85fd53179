//! Keep and drop rules: which entries a source, a group feed or the merged
//! output shows.
//!
//! A rule is a regular expression (the `regex` crate's syntax, so matching
//! time is linear in the text) matched anywhere in a field, so Chinese
//! keywords need no word boundaries. It is case-insensitive unless it says
//! `(?-i)`. Without a prefix it is tried on the title, summary, text,
//! categories and author; `title:`, `link:`, `author:`, `category:` or
//! `text:` restricts it to that field. An entry is dropped when any `drop`
//! rule matches, else kept when there are no `keep` rules or one matches.
//! Each scope's rules are compiled once, into one `RegexSet` per field.

use std::ops::Range;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;

/// Why a rule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The regular expression does not compile.
    #[error("bad regular expression {pattern:?}: {reason}")]
    BadRegex {
        /// The rule as written, prefix included.
        pattern: String,
        /// The regex compiler's complaint, on one line.
        reason: String,
    },
}

/// The part of an entry a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Title, summary, text, categories and author.
    Any,
    /// The title.
    Title,
    /// The article link.
    Link,
    /// The author.
    Author,
    /// Each category.
    Category,
    /// The body text (the summary when there is no body).
    Text,
}

impl Field {
    /// Every field, in the order verdicts are looked for.
    const ALL: [Field; 6] = [
        Field::Any,
        Field::Title,
        Field::Link,
        Field::Author,
        Field::Category,
        Field::Text,
    ];

    /// The prefix that names the field (`""` for all of them).
    pub fn prefix(self) -> &'static str {
        match self {
            Field::Any => "",
            Field::Title => "title:",
            Field::Link => "link:",
            Field::Author => "author:",
            Field::Category => "category:",
            Field::Text => "text:",
        }
    }

    /// Splits a rule into its field and its pattern.
    fn of(rule: &str) -> (Field, &str) {
        Field::ALL[1..]
            .iter()
            .find_map(|&f| rule.strip_prefix(f.prefix()).map(|rest| (f, rest)))
            .unwrap_or((Field::Any, rule))
    }
}

/// One `keep` or `drop` rule as written in the config, with where it is
/// (byte offsets into the config text) so `check` can point at it.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule as written, prefix included.
    pub text: String,
    /// Byte offsets of the rule's string in the config file.
    pub span: Range<usize>,
    field: Field,
    /// The compiled pattern, or why it does not compile.
    compiled: Result<Regex, FilterError>,
}

impl Rule {
    /// Reads a rule (`[field:]regex`); a bad regex is kept with its error,
    /// which [`Rule::error`] reports.
    pub fn new(text: &str, span: Range<usize>) -> Rule {
        let (field, pattern) = Field::of(text);
        let compiled = RegexBuilder::new(pattern)
            .case_insensitive(true)
            .build()
            .map_err(|e| FilterError::BadRegex {
                pattern: text.to_owned(),
                reason: one_line(&e.to_string()),
            });
        Rule {
            text: text.to_owned(),
            span,
            field,
            compiled,
        }
    }

    /// The field the rule looks at.
    pub fn field(&self) -> Field {
        self.field
    }

    /// Why the rule cannot be used, if it cannot.
    pub fn error(&self) -> Option<&FilterError> {
        self.compiled.as_ref().err()
    }

    /// The pattern without its field prefix.
    fn pattern(&self) -> &str {
        &self.text[self.field.prefix().len()..]
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = toml::Spanned::<String>::deserialize(d)?;
        Ok(Rule::new(spanned.get_ref(), spanned.span()))
    }
}

/// regex's errors draw a caret diagram over several lines; a config
/// problem is one line.
fn one_line(message: &str) -> String {
    let last = message
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message);
    last.trim().trim_start_matches("error: ").to_owned()
}

/// The fields of an entry, as plain text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields<'a> {
    /// Title.
    pub title: &'a str,
    /// Article link.
    pub link: Option<&'a str>,
    /// Author.
    pub author: Option<&'a str>,
    /// Summary, as text.
    pub summary: &'a str,
    /// Body, as text.
    pub text: &'a str,
    /// Categories.
    pub categories: &'a [String],
}

impl<'a> Fields<'a> {
    /// The texts a rule on `field` is tried on, with the name of each.
    fn texts(&self, field: Field) -> Vec<(&'static str, &'a str)> {
        let mut texts = Vec::new();
        let categories = || {
            self.categories
                .iter()
                .map(|c| ("category", c.as_str()))
                .collect::<Vec<_>>()
        };
        match field {
            Field::Any => {
                texts.push(("title", self.title));
                texts.push(("summary", self.summary));
                texts.push(("text", self.text));
                texts.extend(categories());
                texts.extend(self.author.map(|a| ("author", a)));
            }
            Field::Title => texts.push(("title", self.title)),
            Field::Link => texts.extend(self.link.map(|l| ("link", l))),
            Field::Author => texts.extend(self.author.map(|a| ("author", a))),
            Field::Category => texts.extend(categories()),
            Field::Text => texts.push(("text", self.text)),
        }
        texts
    }
}

/// What a scope's rules say about an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Shown.
    Pass,
    /// A `drop` rule matched.
    Dropped {
        /// The rule as written.
        rule: String,
        /// The field it matched in.
        field: &'static str,
    },
    /// There are `keep` rules and none matched.
    NotKept,
}

impl Verdict {
    /// True when the entry is shown.
    pub fn passes(&self) -> bool {
        *self == Verdict::Pass
    }
}

/// One scope's rules, compiled: a source's, a group's or the output's.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    keep: RuleSet,
    drop: RuleSet,
}

impl Filter {
    /// Compiles `keep` and `drop`; rules that do not compile are left out
    /// (the config check refuses them before this runs).
    pub fn new(keep: &[Rule], drop: &[Rule]) -> Filter {
        Filter {
            keep: RuleSet::new(keep),
            drop: RuleSet::new(drop),
        }
    }

    /// True when there are no rules: everything passes.
    pub fn is_empty(&self) -> bool {
        self.keep.rules.is_empty() && self.drop.rules.is_empty()
    }

    /// True when some rule reads the body text (so the caller must supply it).
    pub fn reads_text(&self) -> bool {
        [&self.keep, &self.drop]
            .iter()
            .flat_map(|s| &s.rules)
            .any(|r| matches!(r.field, Field::Any | Field::Text))
    }

    /// What the rules say about `fields`. `drop` wins over `keep`.
    pub fn verdict(&self, fields: &Fields<'_>) -> Verdict {
        if let Some((rule, field)) = self.drop.first_match(fields) {
            return Verdict::Dropped {
                rule: rule.to_owned(),
                field,
            };
        }
        if self.keep.rules.is_empty() || self.keep.first_match(fields).is_some() {
            Verdict::Pass
        } else {
            Verdict::NotKept
        }
    }
}

/// Rules of one kind, with one set per field so an entry is scanned once
/// per field, not once per rule.
#[derive(Debug, Clone, Default)]
struct RuleSet {
    rules: Vec<Rule>,
    /// For each field that has rules: the set, and the rule index of each
    /// pattern in it.
    sets: Vec<(Field, RegexSet, Vec<usize>)>,
}

impl RuleSet {
    fn new(rules: &[Rule]) -> RuleSet {
        let rules: Vec<Rule> = rules
            .iter()
            .filter(|r| r.error().is_none())
            .cloned()
            .collect();
        let mut sets = Vec::new();
        for field in Field::ALL {
            let members: Vec<usize> = (0..rules.len())
                .filter(|&i| rules[i].field == field)
                .collect();
            if members.is_empty() {
                continue;
            }
            let built = RegexSetBuilder::new(members.iter().map(|&i| rules[i].pattern()))
                .case_insensitive(true)
                .build();
            // Each pattern compiled alone; together they can only exceed
            // the size limit, and then each rule is its own set.
            match built {
                Ok(set) => sets.push((field, set, members)),
                Err(_) => sets.extend(members.iter().filter_map(|&i| {
                    let set = RegexSetBuilder::new([rules[i].pattern()])
                        .case_insensitive(true)
                        .build()
                        .ok()?;
                    Some((field, set, vec![i]))
                })),
            }
        }
        RuleSet { rules, sets }
    }

    /// The first rule (in config order) that matches, with the field it
    /// matched in.
    fn first_match(&self, fields: &Fields<'_>) -> Option<(&str, &'static str)> {
        let mut best: Option<(usize, &'static str)> = None;
        for (field, set, members) in &self.sets {
            for (name, text) in fields.texts(*field) {
                let hit = set.matches(text).iter().map(|m| members[m]).min();
                if let Some(i) = hit
                    && best.is_none_or(|(b, _)| i < b)
                {
                    best = Some((i, name));
                }
            }
        }
        best.map(|(i, name)| (self.rules[i].text.as_str(), name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(texts: &[&str]) -> Vec<Rule> {
        texts.iter().map(|t| Rule::new(t, 0..0)).collect()
    }

    fn entry<'a>(title: &'a str, categories: &'a [String]) -> Fields<'a> {
        Fields {
            title,
            link: Some("https://example.org/sport/1"),
            author: Some("Jane Roe"),
            summary: "A summary",
            text: "Body text about the match.",
            categories,
        }
    }

    #[test]
    fn drop_wins_over_keep_and_names_the_rule_and_field() {
        let filter = Filter::new(&rules(&["strike"]), &rules(&["link:/sport/", "football"]));
        let v = filter.verdict(&entry("Port strike ends", &[]));
        assert_eq!(
            v,
            Verdict::Dropped {
                rule: "link:/sport/".into(),
                field: "link"
            }
        );
    }

    #[test]
    fn keep_rules_keep_only_what_they_match() {
        let filter = Filter::new(&rules(&["title:strike"]), &[]);
        assert!(filter.verdict(&entry("Port STRIKE ends", &[])).passes());
        assert_eq!(filter.verdict(&entry("Weather", &[])), Verdict::NotKept);
        assert!(Filter::default().verdict(&entry("x", &[])).passes());
    }

    #[test]
    fn chinese_keywords_match_without_word_boundaries() {
        let filter = Filter::new(&[], &rules(&["疫情"]));
        let v = filter.verdict(&entry("温州市切实做好疫情防控工作", &[]));
        assert!(
            matches!(v, Verdict::Dropped { field: "title", .. }),
            "{v:?}"
        );
        assert!(filter.verdict(&entry("铝产业政策", &[])).passes());
    }

    #[test]
    fn case_is_ignored_unless_the_rule_says_otherwise() {
        let filter = Filter::new(&[], &rules(&["(?-i)BBC"]));
        assert!(filter.verdict(&entry("bbc says", &[])).passes());
        assert!(!filter.verdict(&entry("BBC says", &[])).passes());
    }

    #[test]
    fn fields_are_chosen_by_prefix() {
        let sport = ["Sport".to_owned()];
        let filter = Filter::new(&[], &rules(&["category:^sport$"]));
        assert!(!filter.verdict(&entry("x", &sport)).passes());
        assert!(filter.verdict(&entry("sport", &[])).passes());
        let author = Filter::new(&[], &rules(&["author:roe"]));
        assert!(!author.verdict(&entry("x", &[])).passes());
        let text = Filter::new(&[], &rules(&["text:the match"]));
        assert!(!text.verdict(&entry("x", &[])).passes());
        // An unknown prefix is part of the pattern.
        let other = Filter::new(&[], &rules(&["https://example"]));
        assert!(other.verdict(&entry("x", &[])).passes());
        let link = Filter::new(&[], &rules(&["link:https://example"]));
        assert!(!link.verdict(&entry("x", &[])).passes());
    }

    #[test]
    fn the_first_rule_in_config_order_is_named() {
        let filter = Filter::new(&[], &rules(&["title:ends", "port", "strike"]));
        let v = filter.verdict(&entry("Port strike ends", &[]));
        assert_eq!(
            v,
            Verdict::Dropped {
                rule: "title:ends".into(),
                field: "title"
            }
        );
    }

    #[test]
    fn bad_regexes_say_why_on_one_line() {
        let rule = Rule::new("title:(unclosed", 0..0);
        let e = rule.error().unwrap().to_string();
        assert!(
            e.starts_with("bad regular expression \"title:(unclosed\": ") && !e.contains('\n'),
            "{e}"
        );
        assert!(e.contains("unclosed"), "{e}");
        // Left out of the compiled filter rather than failing it.
        let filter = Filter::new(&[], &[rule, Rule::new("x", 0..0)]);
        assert!(!filter.verdict(&entry("x", &[])).passes());
    }
}
