//! `feedfold dedup --events`: the dedup JSONL contract with `"event"` added
//! to each line. Stories are the clusters; each is represented by its item
//! with the longest body, dated by its earliest item, and carries every
//! source that ran it. Items of one cluster therefore always share an
//! event. An event is named by the cluster name of its earliest story.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde_json::Value;

use super::EventOptions;
use super::group::{Story, group};
use super::terms::named_terms;
use crate::dedup::jsonl::{ClusteredItem, JsonlError, LineError, cluster, write};
use crate::dedup::{FeatureOptions, MatchOptions};

/// Shared terms shown in an explanation.
const EXPLAINED_TERMS: usize = 8;

/// Clusters and groups the items of `input` and writes one line per usable
/// item: `{"id","cluster","event"}`, plus with `explain` the dedup `"why"`
/// and an `"event_why"` for items whose story joined an event.
pub fn run(
    input: impl BufRead,
    output: impl Write,
    options: MatchOptions,
    features: FeatureOptions,
    events: EventOptions,
    explain: bool,
) -> Result<Vec<LineError>, JsonlError> {
    let mut clustered = cluster(input, options, features, explain)?;
    let (stories, story_of, named_by) = stories(&mut clustered.items);
    let items = &clustered.items;
    let grouping = group(&stories, &events);
    let name = |story: usize| items[named_by[story]].id.clone();
    write(output, items, |at| {
        let story = story_of[at];
        let mut fields = vec![("event", name(grouping.event[story]))];
        if let (true, Some((other, s))) = (explain, &grouping.link[story]) {
            let lead = &stories[story];
            let names = named_terms(&format!("{}\n{}", lead.title, lead.body));
            let terms: Vec<Value> = s
                .shared
                .iter()
                .filter_map(|(t, w)| names.get(t).map(|n| serde_json::json!([n, round(*w)])))
                .take(EXPLAINED_TERMS)
                .collect();
            fields.push((
                "event_why",
                serde_json::json!({
                    "with": name(*other),
                    "score": round(s.value),
                    "cosine": round(s.cosine),
                    "title": round(s.title),
                    "same_source": s.same_source,
                    "gap_hours": round(s.gap_secs as f32 / 3600.0),
                    "terms": terms,
                }),
            ));
        }
        fields
    })?;
    Ok(clustered.errors)
}

fn round(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

/// One story per cluster, in order of first appearance; each item's story;
/// and each story's cluster-naming item. A story's key is that item's
/// index, zero-padded so keys order like indices. The texts move from the
/// items into the stories (only the lead's is kept): the output needs ids.
fn stories(items: &mut [ClusteredItem]) -> (Vec<Story>, Vec<usize>, Vec<usize>) {
    let mut by_cluster: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (at, item) in items.iter().enumerate() {
        by_cluster.entry(item.cluster).or_default().push(at);
    }
    let mut story_of = vec![0; items.len()];
    let mut stories = Vec::with_capacity(by_cluster.len());
    let mut named_by = Vec::with_capacity(by_cluster.len());
    for (cluster, members) in by_cluster {
        let lead = members
            .iter()
            .copied()
            .max_by(|&a, &b| {
                items[a]
                    .body
                    .len()
                    .cmp(&items[b].body.len())
                    .then(b.cmp(&a))
            })
            .unwrap_or(cluster);
        for &m in &members {
            story_of[m] = stories.len();
        }
        named_by.push(cluster);
        let (title, body) = (
            std::mem::take(&mut items[lead].title),
            std::mem::take(&mut items[lead].body),
        );
        for &m in &members {
            items[m].body = String::new();
        }
        stories.push(Story {
            key: format!("{cluster:012}"),
            title,
            body,
            time: members.iter().map(|&m| items[m].time).min().unwrap_or(0),
            sources: members
                .iter()
                .filter_map(|&m| items[m].site.clone())
                .collect(),
        });
    }
    (stories, story_of, named_by)
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::fixtures::{FILLER, PORT, QUAKE_A, QUAKE_B};

    fn run_on(lines: &[Value], explain: bool) -> Vec<Value> {
        let input = lines
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        let mut out = Vec::new();
        let errors = run(
            input.as_bytes(),
            &mut out,
            MatchOptions::default(),
            FeatureOptions::default(),
            EventOptions::default(),
            explain,
        )
        .unwrap();
        assert!(errors.is_empty());
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn input() -> Vec<Value> {
        let item = |id: &str, title: &str, text: &str, at: &str, site: &str| serde_json::json!({"id": id, "title": title, "text": text, "published": at, "source": site});
        let mut v = vec![
            item(
                "a",
                "Banten earthquake kills seven",
                QUAKE_A,
                "2024-05-10T01:00:00Z",
                "wire",
            ),
            item(
                "a2",
                "Banten earthquake kills seven",
                QUAKE_A,
                "2024-05-10T02:00:00Z",
                "copy",
            ),
            item(
                "b",
                "Seven dead as quake hits Banten",
                QUAKE_B,
                "2024-05-10T05:00:00Z",
                "daily",
            ),
            item(
                "p",
                "Port strike ends",
                PORT,
                "2024-05-10T03:00:00Z",
                "harbour",
            ),
        ];
        for (i, o) in FILLER[..5].iter().enumerate() {
            v.push(item(&format!("o{i}"), o, o, "2024-05-10T04:00:00Z", "misc"));
        }
        v
    }

    #[test]
    fn clusters_share_an_event_and_write_ups_of_one_event_join_it() {
        let lines = run_on(&input(), false);
        assert_eq!(lines[1]["cluster"], "a", "a copy folds into the story");
        assert_eq!(lines[0]["event"], "a");
        assert_eq!(lines[1]["event"], "a", "one cluster, one event");
        assert_eq!(lines[2]["event"], "a", "another write-up of the quake");
        assert_eq!(lines[3]["event"], "p");
        assert!(lines[0].get("event_why").is_none());
    }

    #[test]
    fn explain_says_which_link_and_which_terms() {
        let lines = run_on(&input(), true);
        let why = &lines[2]["event_why"];
        assert_eq!(why["with"], "a");
        assert!(why["score"].as_f64().unwrap() >= f64::from(super::super::DEFAULT_THRESHOLD));
        assert!(!why["terms"].as_array().unwrap().is_empty(), "{why}");
        assert_eq!(why["gap_hours"], 4.0);
        assert!(lines[3].get("event_why").is_none());
    }
}
