//! What a person would look at to choose between candidates, measured on
//! each cleaned candidate: how much running text, how many links, whether
//! it says the headline and holds the story's opening or the feed's
//! summary, how much of the others it holds and what it says that they do
//! not. `feedfold extract --format json` shows them per candidate, and
//! `--batch --candidates` writes them with each candidate's text for
//! `scripts/extract-choice.py`, which scores every candidate against human
//! gold and fits a linear score on them (see README, "Extraction quality
//! and speed", for why the stated rules in [`super::choose`] still decide).

use std::collections::HashSet;

use super::anchor::Anchor;
use super::choose::Draft;
use super::title;
use super::tokens;

/// One candidate's features, measured on its cleaned text.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Features {
    /// Non-space characters kept after cleanup.
    pub chars: usize,
    /// Of those, characters in paragraphs of running text.
    pub prose: usize,
    /// Paragraphs kept.
    pub paragraphs: usize,
    /// Share of the kept characters inside links.
    pub link_density: f64,
    /// Sentence ends (`.`, `!`, `?`, `。`, `！`, `？`) per hundred characters.
    pub punctuation: f64,
    /// Share of the headline's content words its opening says.
    pub headline: f64,
    /// Share of the story's opening paragraph it holds, if one was found.
    pub opening: Option<f64>,
    /// Share of the feed's summary it holds, if the feed gave one.
    pub summary: Option<f64>,
    /// Whether it reads as a list of teasers (a link, then its summary).
    pub teasers: bool,
    /// The largest share of another candidate's word pairs it holds.
    pub holds: f64,
    /// The largest share of its word pairs another candidate holds.
    pub held: f64,
    /// Characters in paragraphs no other candidate has.
    pub own_chars: usize,
    /// Of those, characters in paragraphs of running text.
    pub own_prose: usize,
    /// Of those, characters inside links.
    pub own_links: usize,
}

/// Summaries shorter than this (characters) say too little to judge by.
const MIN_SUMMARY: usize = 20;

/// Every draft's features, each measured against the others; `texts`
/// are the drafts' cleaned texts, in order.
pub(crate) fn features(
    drafts: &[Draft],
    texts: &[String],
    summary: Option<&str>,
    anchor: Option<&Anchor>,
    title: &str,
) -> Vec<Features> {
    let pairs: Vec<HashSet<u64>> = texts.iter().map(|t| pair_hashes(t)).collect();
    let pairs = &pairs;
    let summary = summary
        .filter(|s| s.chars().count() >= MIN_SUMMARY)
        .map(pair_hashes);
    let opening = anchor.map(|a| pair_hashes(&a.text));
    let paragraphs: Vec<HashSet<String>> = drafts
        .iter()
        .map(|d| d.kept().map(|b| tokens::squash(&b.text)).collect())
        .collect();
    drafts
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let others = || (0..drafts.len()).filter(move |&j| j != i && !pairs[j].is_empty());
            Features {
                chars: d.chars(),
                prose: d.prose(),
                paragraphs: d.paragraphs(),
                link_density: d.link_density(),
                punctuation: punctuation(&texts[i], d.chars()),
                headline: title::agreement(title, &texts[i]),
                opening: opening.as_ref().map(|o| share(o, &pairs[i])),
                summary: summary.as_ref().map(|s| share(s, &pairs[i])),
                teasers: d.is_teaser_list(),
                holds: others()
                    .map(|j| share(&pairs[j], &pairs[i]))
                    .fold(0.0, f64::max),
                held: others()
                    .map(|j| share(&pairs[i], &pairs[j]))
                    .fold(0.0, f64::max),
                ..own(d, i, &paragraphs)
            }
        })
        .collect()
}

/// What draft `i` says that no other does: its paragraphs that are in no
/// other candidate, measured.
fn own(draft: &Draft, i: usize, paragraphs: &[HashSet<String>]) -> Features {
    let mut own = Features::default();
    for block in draft.kept() {
        let key = tokens::squash(&block.text);
        if paragraphs
            .iter()
            .enumerate()
            .any(|(j, p)| j != i && p.contains(&key))
        {
            continue;
        }
        own.own_chars += block.chars;
        own.own_links += block.link_chars;
        if block.reads_as_prose() {
            own.own_prose += block.chars;
        }
    }
    own
}

/// Sentence ends per hundred non-space characters.
fn punctuation(text: &str, chars: usize) -> f64 {
    let ends = text
        .chars()
        .filter(|c| matches!(c, '.' | '!' | '?' | '。' | '！' | '？'))
        .count();
    if chars == 0 {
        0.0
    } else {
        100.0 * ends as f64 / chars as f64
    }
}

/// Keys of consecutive token pairs (words, or characters of CJK text).
pub(crate) fn pair_hashes(text: &str) -> HashSet<u64> {
    tokens::PairKeys::of(text).into_iter().collect()
}

/// Share of `want` found in `have` (1 when `want` is empty: nothing is
/// missing).
pub(crate) fn share(want: &HashSet<u64>, have: &HashSet<u64>) -> f64 {
    if want.is_empty() {
        return 1.0;
    }
    want.iter().filter(|p| have.contains(*p)).count() as f64 / want.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Strategy;
    use crate::extract::choose::cleaned as draft;

    const STORY: [&str; 3] = [
        "Dock workers at the container terminal voted on Sunday night to accept a revised pay offer.",
        "The twelve-day strike had left more than forty ships anchored offshore and freight delayed.",
        "Union leaders said the deal raises wages by six percent over two years and limits overtime.",
    ];

    #[test]
    fn a_candidate_holding_another_says_what_it_adds() {
        let story: String = STORY.iter().map(|p| format!("<p>{p}</p>")).collect();
        let more = format!(
            "{story}<p>Shipping lines expect the backlog to clear by the end of next week at the latest.</p>\
             <p><a href='/a'>Port news</a></p>"
        );
        let drafts = [
            draft(Strategy::Density, &story),
            draft(Strategy::Readability, &more),
        ];
        let summary = "Dock workers at the container terminal voted on Sunday night";
        let texts: Vec<String> = drafts.iter().map(Draft::text).collect();
        let f = features(
            &drafts,
            &texts,
            Some(summary),
            None,
            "Dock workers accept pay offer",
        );
        let (dense, readable) = (&f[0], &f[1]);
        assert_eq!(dense.held, 1.0);
        assert_eq!(readable.holds, 1.0);
        assert!(readable.held < 0.9, "{readable:?}");
        assert_eq!(dense.own_chars, 0);
        assert!(readable.own_prose > 60, "{readable:?}");
        assert_eq!(readable.own_links, "Portnews".len());
        assert_eq!(dense.summary, Some(1.0));
        assert_eq!(dense.paragraphs, 3);
        assert!(dense.headline > 0.5, "{dense:?}");
        assert!(dense.punctuation > 0.0 && dense.link_density == 0.0);
        assert_eq!(dense.opening, None);
    }

    #[test]
    fn short_summaries_and_empty_candidates_measure_nothing() {
        let drafts = [
            draft(Strategy::Density, ""),
            draft(Strategy::Readability, "<p>x</p>"),
        ];
        let texts: Vec<String> = drafts.iter().map(Draft::text).collect();
        let f = features(&drafts, &texts, Some("too short"), None, "");
        assert_eq!(f[0].summary, None);
        assert_eq!((f[0].chars, f[0].punctuation, f[0].holds), (0, 0.0, 0.0));
        // The empty candidate is no other candidate to hold.
        assert_eq!(f[1].held, 0.0);
    }
}
