//! How alike two stories' write-ups are: weighted term cosine, title and
//! entity overlap, a margin against one site's own stories, and time.

use super::idf::DocFreq;
use super::terms::Terms;
use super::vector::TermVector;

/// Weight of the title cosine added to the body cosine (measured on the dev
/// set, `scripts/events-eval.py`).
pub const TITLE_WEIGHT: f32 = 0.2;

/// Weight of the entity-token cosine (measured; names shared by two
/// different happenings of one topic are as common as by one happening).
pub const ENTITY_WEIGHT: f32 = 0.0;

/// Subtracted when two stories share a source: a site's own vocabulary
/// makes all its stories look alike, and a site seldom writes one event up
/// twice as different stories.
pub const SAME_SOURCE_MARGIN: f32 = 0.2;

/// At the edge of the window a score keeps this share of its value.
const EDGE_OF_WINDOW: f32 = 0.75;

/// Fewest weighted terms a story needs to be grouped at all: very short
/// texts share a couple of words with anything.
pub const MIN_TERMS: usize = 12;

/// Largest share of digits in a text that is grouped: tables and results
/// lists are alike in their digits, not in their event.
pub const MAX_DIGIT_SHARE: f32 = 0.4;

/// What a story brings to scoring.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Weighted terms of title and body.
    pub body: TermVector,
    /// Weighted terms of the title.
    pub title: TermVector,
    /// Weighted entity-like tokens.
    pub entities: TermVector,
    /// Published time, Unix seconds.
    pub time: i64,
    /// Sources (sites) that ran the story, sorted.
    pub sources: Vec<String>,
    /// False for stories that are never grouped (too short, mostly
    /// digits, or in a script without a rule).
    pub eligible: bool,
}

impl Profile {
    /// The profile of a story's terms under the document frequencies `df`.
    pub fn new(terms: &Terms, df: &DocFreq, time: i64, mut sources: Vec<String>) -> Profile {
        sources.sort();
        sources.dedup();
        let body = TermVector::of(terms, df);
        let eligible = body.len() >= MIN_TERMS && terms.digit_share <= MAX_DIGIT_SHARE;
        Profile {
            title: TermVector::of_set(&terms.title, df),
            entities: TermVector::of_set(&terms.entities, df),
            body,
            time,
            sources,
            eligible,
        }
    }
}

/// The parts of one pair's score.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Score {
    /// The combined score compared with the threshold.
    pub value: f32,
    /// Cosine of the weighted term vectors.
    pub cosine: f32,
    /// Cosine of the title vectors.
    pub title: f32,
    /// Cosine of the entity vectors.
    pub entities: f32,
    /// True when the stories share a source.
    pub same_source: bool,
    /// Seconds between the stories.
    pub gap_secs: i64,
    /// Shared terms with their contribution to `cosine`, largest first
    /// (filled by [`explained`] only).
    pub shared: Vec<(u64, f32)>,
}

/// Scores two profiles; `None` when either is not eligible or they are
/// further apart than `window_secs`.
pub fn score(a: &Profile, b: &Profile, window_secs: i64) -> Option<Score> {
    let gap_secs = (a.time - b.time).abs();
    if !a.eligible || !b.eligible || gap_secs > window_secs {
        return None;
    }
    let cosine = a.body.cosine(&b.body);
    let title = a.title.cosine(&b.title);
    let entities = a.entities.cosine(&b.entities);
    let same_source = a.sources.iter().any(|s| b.sources.binary_search(s).is_ok());
    let raw = cosine + TITLE_WEIGHT * title + ENTITY_WEIGHT * entities
        - if same_source { SAME_SOURCE_MARGIN } else { 0.0 };
    let closeness = 1.0 - (1.0 - EDGE_OF_WINDOW) * gap_secs as f32 / window_secs.max(1) as f32;
    Some(Score {
        value: raw * closeness,
        cosine,
        title,
        entities,
        same_source,
        gap_secs,
        shared: Vec::new(),
    })
}

/// [`score`] with the shared terms filled in, for explanations.
pub fn explained(a: &Profile, b: &Profile, window_secs: i64) -> Option<Score> {
    score(a, b, window_secs).map(|mut s| {
        s.shared = a.body.shared(&b.body).1;
        s
    })
}

#[cfg(test)]
mod tests {
    use super::super::terms::terms;
    use super::*;

    const PORT: &str = "Dock workers at the container port voted to end their twelve-day strike \
        after the operator raised its pay offer. Ships waiting offshore began unloading on \
        Thursday and exporters said perishable cargo had spoiled during the stoppage.";

    fn profiles(texts: &[(&str, &str, i64, &str)]) -> Vec<Profile> {
        let all: Vec<Terms> = texts.iter().map(|(t, b, _, _)| terms(t, b)).collect();
        let mut df = DocFreq::default();
        for t in &all {
            df.add(t.counts.iter().map(|(term, _)| term));
        }
        all.iter()
            .zip(texts)
            .map(|(t, (_, _, time, site))| Profile::new(t, &df, *time, vec![(*site).to_owned()]))
            .collect()
    }

    #[test]
    fn time_and_window_and_source_shape_the_score() {
        let p = profiles(&[
            ("Port strike ends", PORT, 0, "a"),
            ("Port strike ends", PORT, 3600, "b"),
            ("Port strike ends", PORT, 3600, "a"),
            ("Port strike ends", PORT, 90 * 3600, "c"),
        ]);
        let near = explained(&p[0], &p[1], 72 * 3600).unwrap();
        assert!(near.value > 0.9, "{near:?}");
        let own = score(&p[0], &p[2], 72 * 3600).unwrap();
        assert!(own.same_source && own.value < near.value);
        assert!(
            score(&p[0], &p[3], 72 * 3600).is_none(),
            "outside the window"
        );
        assert!(!near.shared.is_empty());
    }

    #[test]
    fn short_and_numeric_texts_are_not_eligible() {
        let p = profiles(&[
            ("Strike", "Port closed.", 0, "a"),
            (
                "Results",
                "12 34 56 78 90 11 22 33 44 55 66 77 88 99 10 20 30 40 50 60 70 80",
                0,
                "b",
            ),
            ("Port strike ends", PORT, 0, "c"),
        ]);
        assert!(!p[0].eligible && !p[1].eligible && p[2].eligible);
        assert!(score(&p[0], &p[2], 3600).is_none());
    }
}
