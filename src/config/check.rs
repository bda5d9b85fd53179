//! Every problem in a config file in one pass, not just the first.
//!
//! serde stops at the first bad value. To go on, the entry it complained
//! about (a key and its value, or a whole table) is blanked out with spaces
//! and the text deserialised again, until it passes. Blanking keeps every
//! byte offset, so each problem is reported where it is in the file as
//! written.

use std::ops::Range;

/// Upper bound on deserialisation rounds: a file with more problems than
/// this gets the first ones, which is plenty to start fixing.
const MAX_ROUNDS: usize = 200;

/// What [`deserialize_all`] found.
pub(super) struct Outcome<T> {
    /// The value deserialised once the problems were blanked out.
    pub value: Option<T>,
    /// The text as deserialised: the input with the problems blanked out,
    /// every offset unchanged. Later checks take spans from it, so that the
    /// n-th source in it is the n-th in `value`.
    pub text: String,
    /// Each problem as (byte offset, message), in the order found.
    pub problems: Vec<(usize, String)>,
}

/// Deserialises `text`, blanking out each problem found until it passes.
pub(super) fn deserialize_all<T: serde::de::DeserializeOwned>(text: &str) -> Outcome<T> {
    // A syntax error leaves no tree to blank entries in: report it alone.
    if let Err(e) = toml_edit::Document::parse(text) {
        let at = e.span().map_or(0, |s| s.start);
        return Outcome {
            value: None,
            text: text.to_owned(),
            problems: vec![(at, e.message().trim().to_owned())],
        };
    }
    let mut text = text.to_owned();
    let mut problems = Vec::new();
    let mut blanked_keys = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let error = match toml::from_str::<T>(&text) {
            Ok(value) => {
                return Outcome {
                    value: Some(value),
                    text,
                    problems,
                };
            }
            Err(e) => e,
        };
        let message = error.message().trim().to_owned();
        let at = error.span().map_or(0, |s| s.start);
        let missing = missing_field(&message);
        // A key blanked for a bad value is then missing: said once is enough.
        if !missing.is_some_and(|key| blanked_keys.iter().any(|k| k == key)) {
            problems.push((at, message.clone()));
        }
        let Some((range, key)) = entry_at(&text, at, missing.is_some()) else {
            break;
        };
        blanked_keys.extend(key);
        blank(&mut text, range);
        // Blanking must leave valid TOML; if it did not, what follows would be
        // errors of ours, not the user's.
        if toml_edit::Document::parse(text.as_str()).is_err() {
            break;
        }
    }
    Outcome {
        value: None,
        text,
        problems,
    }
}

/// `missing field `url`` → `url`.
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(key, _)| key)
}

/// Replaces the bytes of `range` with spaces, keeping line breaks, so that
/// offsets and line numbers of everything else stay as they were.
fn blank(text: &mut String, range: Range<usize>) {
    let blanked: String = text
        .get(range.clone())
        .unwrap_or_default()
        .bytes()
        .map(|b| if b == b'\n' { '\n' } else { ' ' })
        .collect();
    text.replace_range(range, &blanked);
}

/// What to blank for a problem at byte `at`: the innermost key-value there
/// (with its key's name), or for a whole-table problem (`whole_table`, or
/// no key-value there) the innermost table with its header.
fn entry_at(text: &str, at: usize, whole_table: bool) -> Option<(Range<usize>, Option<String>)> {
    let document = toml_edit::Document::parse(text).ok()?;
    let mut found = Found::default();
    visit_table(text, document.as_table(), at, &mut found);
    match (whole_table, found.key_value, found.table) {
        (false, Some((range, key)), _) => Some((range, Some(key))),
        (_, _, Some(table)) => Some((table, None)),
        (true, Some((range, key)), None) => Some((range, Some(key))),
        (_, None, None) => None,
    }
}

/// The innermost entries containing the offset being looked for.
#[derive(Default)]
struct Found {
    key_value: Option<(Range<usize>, String)>,
    table: Option<Range<usize>>,
}

/// Records the key-values and tables of `table` that contain `at`, inner
/// ones last; returns the table's extent (header to last entry).
fn visit_table(
    text: &str,
    table: &toml_edit::Table,
    at: usize,
    found: &mut Found,
) -> Option<Range<usize>> {
    let mut extent = table.span();
    for (key, item) in table.iter() {
        let child = match item {
            toml_edit::Item::Value(value) => {
                let start = table
                    .key(key)
                    .and_then(toml_edit::Key::span)
                    .map(|s| line_start_of_dotted_key(text, s.start));
                let range = start.zip(value.span()).map(|(s, v)| s..v.end);
                if let Some(range) = &range
                    && range.contains(&at)
                {
                    found.key_value = Some((range.clone(), key.to_owned()));
                }
                range
            }
            toml_edit::Item::Table(inner) => visit_subtable(text, inner, at, found),
            toml_edit::Item::ArrayOfTables(array) => array
                .iter()
                .filter_map(|inner| visit_subtable(text, inner, at, found))
                .reduce(union),
            toml_edit::Item::None => None,
        };
        extent = match (extent, child) {
            (Some(a), Some(b)) => Some(union(a, b)),
            (a, b) => a.or(b),
        };
    }
    extent
}

fn visit_subtable(
    text: &str,
    table: &toml_edit::Table,
    at: usize,
    found: &mut Found,
) -> Option<Range<usize>> {
    let extent = visit_table(text, table, at, found)?;
    // Dotted-key tables (`page.item = …`) have no header of their own.
    if table.span().is_some()
        && extent.contains(&at)
        && found.table.as_ref().is_none_or(|t| t.start <= extent.start)
    {
        found.table = Some(extent.clone());
    }
    Some(extent)
}

/// Where the key-value whose last key part starts at `key_start` starts: for
/// a dotted key (`fetch.timeout = …`) that is the line's first key part,
/// found by looking back over key characters only (an inline table's `{`
/// or `,` ends the look).
fn line_start_of_dotted_key(text: &str, key_start: usize) -> usize {
    let before = text.get(..key_start).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let prefix = &before[line_start..];
    let dotted = prefix.trim_end().ends_with('.')
        && prefix
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '"' | '\'' | ' ' | '\t'));
    if dotted {
        line_start + (prefix.len() - prefix.trim_start().len())
    } else {
        key_start
    }
}

fn union(a: Range<usize>, b: Range<usize>) -> Range<usize> {
    a.start.min(b.start)..a.end.max(b.end)
}

#[cfg(test)]
// The fields exist to be deserialised; the tests look at what is rejected.
#[allow(dead_code)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[serde(default)]
        a: Option<Section>,
        #[serde(default)]
        item: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Section {
        #[serde(default)]
        n: u8,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Item {
        name: String,
        #[serde(default)]
        n: u8,
    }

    fn lines_of(text: &str) -> Vec<usize> {
        let problems = deserialize_all::<Doc>(text).problems;
        let mut lines: Vec<usize> = problems
            .iter()
            .map(|(at, _)| text[..*at].matches('\n').count() + 1)
            .collect();
        lines.sort_unstable();
        lines
    }

    #[test]
    fn every_bad_key_and_value_is_found() {
        // Unknown keys, wrong types, a missing required key, an unknown table.
        let text = "[a]\nn = 300\nm = 1\n\n[[item]]\nname = \"x\"\nn = \"y\"\n\n[[item]]\nn = 1\n\n[b]\nz = 1\n";
        assert_eq!(lines_of(text), vec![2, 3, 7, 9, 12]);
    }

    #[test]
    fn a_good_file_has_no_problems_and_a_bad_one_yields_no_value() {
        let good = deserialize_all::<Doc>("[a]\nn = 1\n[[item]]\nname = \"x\"\n");
        assert!(good.value.is_some() && good.problems.is_empty());
        let bad = deserialize_all::<Doc>("[a]\nn = = 1\n");
        assert!(bad.value.is_none());
        assert_eq!(bad.problems.len(), 1);
    }

    #[test]
    fn dotted_keys_are_blanked_whole() {
        let text = "a.n = 300\na.m = 1\n";
        assert_eq!(lines_of(text), vec![1, 2]);
    }

    #[test]
    fn a_blanked_required_key_is_not_reported_again_as_missing() {
        let problems = deserialize_all::<Doc>("[[item]]\nname = 5\n").problems;
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
