//! Which copy of a story the merged feed shows: highest source priority, then
//! the longest body, then the earliest published.

use std::cmp::Ordering;

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

/// Index of the copy that represents the story; `None` only for an empty slice.
pub fn representative(candidates: &[Candidate]) -> Option<usize> {
    (0..candidates.len()).min_by(|&a, &b| rank(&candidates[a], &candidates[b]))
}

/// `Less` means "a is the better representative".
fn rank(a: &Candidate, b: &Candidate) -> Ordering {
    b.priority
        .cmp(&a.priority)
        .then(b.body_len.cmp(&a.body_len))
        .then(a.published.cmp(&b.published))
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
        assert_eq!(representative(&[c(0, 900, 1), c(5, 10, 9)]), Some(1));
        assert_eq!(representative(&[c(5, 10, 1), c(5, 900, 9)]), Some(1));
        assert_eq!(representative(&[c(5, 10, 9), c(5, 10, 1)]), Some(1));
        // Full ties keep the first copy.
        assert_eq!(representative(&[c(1, 1, 1), c(1, 1, 1)]), Some(0));
        assert_eq!(representative(&[]), None);
    }
}
