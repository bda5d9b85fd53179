//! Which copy of a story the merged feed shows, by configurable rules: by
//! default the highest source priority, then the longest body, then the
//! earliest published. A copy's stable key (source name, then GUID) settles
//! whatever the rules leave tied, so the choice depends only on the set of
//! copies, never on the order they arrived or were stored in.

use std::cmp::Ordering;

/// One criterion for choosing a cluster's representative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepresentativeRule {
    /// Higher source `priority` wins.
    Priority,
    /// Longer body wins.
    Longest,
    /// Earlier publication wins.
    Earliest,
}

/// The default order: priority, then longest, then earliest.
pub const DEFAULT_RULES: &[RepresentativeRule] = &[
    RepresentativeRule::Priority,
    RepresentativeRule::Longest,
    RepresentativeRule::Earliest,
];

/// What the choice looks at for one copy of a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// The source's `priority`.
    pub priority: i64,
    /// Length of the body in characters.
    pub body_len: usize,
    /// Publication time, Unix seconds.
    pub published: i64,
    /// The copy's source name: the first part of its stable key.
    pub source: &'a str,
    /// The copy's GUID in that source: the second part.
    pub guid: &'a str,
}

/// Index of the copy that represents the story under `rules` (first rule
/// first; copies the rules leave tied go to the smallest source name, then
/// GUID; full ties, i.e. the same copy listed twice, keep the earlier);
/// `None` only for an empty slice.
pub fn representative(candidates: &[Candidate], rules: &[RepresentativeRule]) -> Option<usize> {
    (0..candidates.len()).min_by(|&a, &b| rank(&candidates[a], &candidates[b], rules))
}

/// `Less` means "a is the better representative".
fn rank(a: &Candidate, b: &Candidate, rules: &[RepresentativeRule]) -> Ordering {
    rules
        .iter()
        .fold(Ordering::Equal, |order, rule| {
            order.then_with(|| match rule {
                RepresentativeRule::Priority => b.priority.cmp(&a.priority),
                RepresentativeRule::Longest => b.body_len.cmp(&a.body_len),
                RepresentativeRule::Earliest => a.published.cmp(&b.published),
            })
        })
        .then_with(|| (a.source, a.guid).cmp(&(b.source, b.guid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(priority: i64, body_len: usize, published: i64) -> Candidate<'static> {
        Candidate {
            priority,
            body_len,
            published,
            source: "s",
            guid: "g",
        }
    }

    #[test]
    fn priority_then_length_then_earliest() {
        let rules = DEFAULT_RULES;
        assert_eq!(representative(&[c(0, 900, 1), c(5, 10, 9)], rules), Some(1));
        assert_eq!(representative(&[c(5, 10, 1), c(5, 900, 9)], rules), Some(1));
        assert_eq!(representative(&[c(5, 10, 9), c(5, 10, 1)], rules), Some(1));
        // Full ties keep the first copy.
        assert_eq!(representative(&[c(1, 1, 1), c(1, 1, 1)], rules), Some(0));
        assert_eq!(representative(&[], rules), None);
    }

    #[test]
    fn rules_are_configurable() {
        use RepresentativeRule::*;
        let copies = [c(9, 10, 5), c(0, 900, 9), c(0, 10, 1)];
        assert_eq!(representative(&copies, &[Longest]), Some(1));
        assert_eq!(representative(&copies, &[Earliest, Priority]), Some(2));
        assert_eq!(representative(&copies, &[]), Some(0));
    }

    #[test]
    fn ties_go_to_the_smallest_stable_key_in_any_order() {
        let copy = |source, guid| Candidate {
            source,
            guid,
            ..c(1, 100, 50)
        };
        let copies = [
            copy("b", "1"),
            copy("a", "2"),
            copy("a", "10"),
            copy("c", "0"),
        ];
        let mut order: Vec<usize> = (0..copies.len()).collect();
        // Every rotation and its reverse: the same copy wins each time.
        for turn in 0..copies.len() * 2 {
            order.rotate_left(1);
            if turn == copies.len() {
                order.reverse();
            }
            let listed: Vec<Candidate> = order.iter().map(|&i| copies[i]).collect();
            let chosen = representative(&listed, DEFAULT_RULES).unwrap();
            assert_eq!((listed[chosen].source, listed[chosen].guid), ("a", "10"));
        }
        // The rules still come first.
        let better = Candidate {
            body_len: 101,
            ..copy("z", "z")
        };
        assert_eq!(representative(&[copies[2], better], DEFAULT_RULES), Some(1));
    }
}
