//! Stories into events, in one batch, with an outcome that does not depend
//! on the order the stories came in.
//!
//! Every candidate pair (from the inverted index) is scored; the pairs that
//! pass the threshold are taken strongest first (ties by the stories'
//! keys), and two groups merge only when a strict majority of the pairs
//! between them pass: a story that passes with one member of an event but
//! not the others stays out, so no event grows through a weak chain. An
//! event is named by its earliest story (then the smallest key).

use std::collections::HashSet;

use super::EventOptions;
use super::idf::DocFreq;
use super::index::{INDEXED_TERMS, InvertedIndex, Scratch};
use super::parallel;
use super::score::{Profile, Score, explained, score};
use super::terms::{Terms, terms};

/// One story as events need it.
#[derive(Debug, Clone)]
pub struct Story {
    /// Stable key: what names the story, and breaks ties.
    pub key: String,
    /// Title of the story's representative.
    pub title: String,
    /// Body of the story's representative.
    pub body: String,
    /// Earliest published time of its items, Unix seconds.
    pub time: i64,
    /// Sources that ran it.
    pub sources: Vec<String>,
}

/// The events of a batch of stories.
#[derive(Debug, Clone)]
pub struct Grouping {
    /// For each story, the index of the story that names its event (itself
    /// when alone).
    pub event: Vec<usize>,
    /// For each story in an event with others, its strongest passing link
    /// inside the event: the other story and the pair's score.
    pub link: Vec<Option<(usize, Score)>>,
    /// Candidate pairs scored.
    pub scored: usize,
}

/// The events of `stories` (all of them, learnt together: document
/// frequencies from these stories, as a store would have them).
pub fn group(stories: &[Story], options: &EventOptions) -> Grouping {
    let all: Vec<Terms> = parallel::map(stories, STORIES_PER_BLOCK, |s| terms(&s.title, &s.body));
    let profiles = profiles(&all, stories);
    drop(all);
    group_profiles(stories, &profiles, options)
}

/// The profiles of `stories` from their terms (`all`, one per story), with
/// document frequencies learnt from these stories.
pub fn profiles(all: &[Terms], stories: &[Story]) -> Vec<Profile> {
    let mut df = DocFreq::default();
    for t in all {
        df.add(t.counts.iter().map(|(term, _)| term));
    }
    let pairs: Vec<(&Terms, &Story)> = all.iter().zip(stories).collect();
    parallel::map(&pairs, STORIES_PER_BLOCK, |(t, s)| {
        Profile::new(t, &df, s.time, s.sources.clone())
    })
}

/// Stories to a unit of parallel work: enough that handing it out costs
/// nothing next to it, few enough that the threads finish together.
const STORIES_PER_BLOCK: usize = 64;

/// The candidate pairs `(i, j)`, `i` in `stories` and `j > i`, that pass
/// the threshold, with their scores; and how many candidates were scored.
fn passing_pairs(
    stories: std::ops::Range<usize>,
    strongest: &[Vec<u64>],
    index: &InvertedIndex,
    profiles: &[Profile],
    options: &EventOptions,
) -> (usize, Vec<(f32, usize, usize, Score)>) {
    // One counter array per block of stories (grown to the highest story
    // a posting names), reused for each story of the block.
    let mut scratch = Scratch::default();
    let (mut scored, mut edges) = (0, Vec::new());
    for i in stories {
        for (j, _) in index.candidates_with(&strongest[i], &mut scratch) {
            let j = j as usize;
            if j <= i {
                continue;
            }
            scored += 1;
            if let Some(s) = score(&profiles[i], &profiles[j], options.window_secs)
                && s.value >= options.threshold
            {
                let s = explained(&profiles[i], &profiles[j], options.window_secs).unwrap_or(s);
                edges.push((s.value, i, j, s));
            }
        }
    }
    (scored, edges)
}

/// As [`group`], with the profiles already made.
pub fn group_profiles(stories: &[Story], profiles: &[Profile], options: &EventOptions) -> Grouping {
    let n = stories.len();
    let mut grouping = Grouping {
        event: (0..n).collect(),
        link: vec![None; n],
        scored: 0,
    };
    if !options.enabled {
        return grouping;
    }
    let strongest: Vec<Vec<u64>> = parallel::map(profiles, STORIES_PER_BLOCK, |p| {
        if p.eligible {
            p.body.strongest(INDEXED_TERMS)
        } else {
            Vec::new()
        }
    });
    let mut index = InvertedIndex::default();
    for (i, terms) in strongest.iter().enumerate() {
        index.add(u32::try_from(i).unwrap_or(u32::MAX), terms);
    }
    let mut edges: Vec<(f32, usize, usize, Score)> = Vec::new();
    let found = parallel::map_blocks(strongest.len(), STORIES_PER_BLOCK, |stories| {
        passing_pairs(stories, &strongest, &index, profiles, options)
    });
    for (scored, block) in found {
        grouping.scored += scored;
        edges.extend(block);
    }
    let key = |i: usize| stories[i].key.as_str();
    edges.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| (key(a.1), key(a.2)).cmp(&(key(b.1), key(b.2))))
    });
    let passing: HashSet<(usize, usize)> = edges.iter().map(|e| (e.1, e.2)).collect();
    let passes = |a: usize, b: usize| passing.contains(&(a.min(b), a.max(b)));
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut group_of: Vec<usize> = (0..n).collect();
    for (_, i, j, s) in edges {
        let (gi, gj) = (group_of[i], group_of[j]);
        if gi == gj {
            continue;
        }
        let cross = members[gi].len() * members[gj].len();
        let agree = members[gi]
            .iter()
            .flat_map(|&a| members[gj].iter().map(move |&b| (a, b)))
            .filter(|&(a, b)| passes(a, b))
            .count();
        if agree * 2 <= cross && cross > 1 {
            continue;
        }
        let moved = std::mem::take(&mut members[gj]);
        for &m in &moved {
            group_of[m] = gi;
        }
        members[gi].extend(moved);
        // Edges come strongest first: the first link a story gets is its
        // strongest into the event as it stood.
        if grouping.link[j].is_none() {
            grouping.link[j] = Some((i, s.clone()));
        }
        if grouping.link[i].is_none() {
            grouping.link[i] = Some((j, s));
        }
    }
    for group in members.iter().filter(|m| !m.is_empty()) {
        let name = group
            .iter()
            .copied()
            .min_by(|&a, &b| (stories[a].time, key(a)).cmp(&(stories[b].time, key(b))))
            .unwrap_or(group[0]);
        for &m in group {
            grouping.event[m] = name;
        }
    }
    grouping
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::fixtures::{FILLER, PORT, QUAKE_A, QUAKE_B, QUAKE_C};

    fn story(key: &str, title: &str, body: &str, hours: i64, site: &str) -> Story {
        Story {
            key: key.into(),
            title: title.into(),
            body: body.into(),
            time: hours * 3600,
            sources: vec![site.into()],
        }
    }

    fn stories() -> Vec<Story> {
        let mut s = vec![
            story("q1", "Banten earthquake kills seven", QUAKE_A, 0, "wire"),
            story("q2", "Seven dead as quake hits Banten", QUAKE_B, 5, "daily"),
            story(
                "q3",
                "Quake damages mosque in Sumedang",
                QUAKE_C,
                30,
                "times",
            ),
            story("p1", "Port strike ends", PORT, 2, "harbour"),
        ];
        for (i, f) in FILLER.iter().enumerate() {
            s.push(story(&format!("f{i}"), f, f, 1, "misc"));
        }
        s
    }

    #[test]
    fn two_write_ups_of_one_quake_share_an_event_another_quake_does_not() {
        let s = stories();
        let g = group(&s, &EventOptions::default());
        assert_eq!(g.event[0], g.event[1], "{:?}", g.link[1]);
        assert_ne!(g.event[2], g.event[0]);
        assert_ne!(g.event[3], g.event[0]);
        assert_eq!(g.event[0], 0, "named by the earliest story");
        assert!(g.link[1].is_some());
    }

    #[test]
    fn the_outcome_does_not_depend_on_order() {
        let s = stories();
        let g = group(&s, &EventOptions::default());
        let mut reversed = s.clone();
        reversed.reverse();
        let r = group(&reversed, &EventOptions::default());
        let n = s.len();
        for i in 0..n {
            assert_eq!(s[g.event[i]].key, reversed[r.event[n - 1 - i]].key);
        }
    }

    #[test]
    fn the_off_switch_leaves_every_story_alone() {
        let s = stories();
        let options = EventOptions {
            enabled: false,
            ..EventOptions::default()
        };
        let g = group(&s, &options);
        assert_eq!(g.event, (0..s.len()).collect::<Vec<_>>());
    }

    #[test]
    fn one_story_from_a_hundred_sources_and_bad_input_never_group_by_accident() {
        let mut s: Vec<Story> = (0..100)
            .map(|i| {
                story(
                    &format!("s{i}"),
                    "Results",
                    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
                    0,
                    &format!("site{i}"),
                )
            })
            .collect();
        s.push(story("short", "Port", "Strike ends.", 0, "x"));
        s.push(story(
            "thai",
            "ข่าว",
            "ผู้ว่าราชการจังหวัดประกาศปิดโรงเรียนทุกแห่งเป็นเวลาสามวัน",
            0,
            "y",
        ));
        s.push(story("empty", "", "", 0, "z"));
        let g = group(&s, &EventOptions::default());
        assert_eq!(g.event, (0..s.len()).collect::<Vec<_>>());
    }
}
