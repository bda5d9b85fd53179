//! Which copy of a story the merged feed shows, by configurable rules: by
//! default the highest source priority, then the longest body, then the
//! earliest published.

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
pub struct Candidate {
    /// The source's `priority`.
    pub priority: i64,
    /// Length of the body in characters.
    pub body_len: usize,
    /// Publication time, Unix seconds.
    pub published: i64,
}

/// Index of the copy that represents the story under `rules` (first rule
/// first; full ties keep the earlier copy); `None` only for an empty slice.
pub fn representative(candidates: &[Candidate], rules: &[RepresentativeRule]) -> Option<usize> {
    (0..candidates.len()).min_by(|&a, &b| rank(&candidates[a], &candidates[b], rules))
}

/// `Less` means "a is the better representative".
fn rank(a: &Candidate, b: &Candidate, rules: &[RepresentativeRule]) -> Ordering {
    rules.iter().fold(Ordering::Equal, |order, rule| {
        order.then_with(|| match rule {
            RepresentativeRule::Priority => b.priority.cmp(&a.priority),
            RepresentativeRule::Longest => b.body_len.cmp(&a.body_len),
            RepresentativeRule::Earliest => a.published.cmp(&b.published),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(priority: i64, body_len: usize, published: i64) -> Candidate {
        Candidate {
            priority,
            body_len,
            published,
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
}
