//! Related coverage: stories (the near-duplicate tier) whose write-ups
//! report one event (same happening, place, actors and time, in other
//! words, at another length, from another angle) form an event.
//!
//! Pipeline, pure values in and out: [`terms`] (words, Chinese character
//! bigrams, entity-like tokens) → [`idf`] (document frequencies learnt from
//! the stories seen, bounded) → [`vector`] (top weighted terms, unit
//! length) → [`index`] (candidates by shared strongest terms) → [`score`]
//! (cosine, title overlap, same-source margin, time) → [`group`] (events
//! that do not depend on arrival order and never grow through weak
//! chains). [`jsonl`] is the `feedfold dedup --events` contract.
//!
//! Precision first: very short texts, texts that are mostly digits and
//! scripts without a rule here never join an event.

#[cfg(test)]
mod fixtures;
pub mod group;
pub mod idf;
pub mod index;
pub mod jsonl;
pub mod parallel;
pub mod score;
pub mod terms;
pub mod vector;

pub use group::{Grouping, Story, group};

/// Default score two stories need to share an event (measured on the dev
/// set, `scripts/events-eval.py`; see README "Related coverage").
pub const DEFAULT_THRESHOLD: f32 = 0.37;

/// Default window: stories further apart than this never share an event.
pub const DEFAULT_WINDOW_SECS: i64 = 72 * 3600;

/// How stories are grouped into events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventOptions {
    /// Off: every story is its own event.
    pub enabled: bool,
    /// Stories further apart than this many seconds are never compared.
    pub window_secs: i64,
    /// Score a pair needs (see [`score::score`]).
    pub threshold: f32,
}

impl Default for EventOptions {
    fn default() -> Self {
        EventOptions {
            enabled: true,
            window_secs: DEFAULT_WINDOW_SECS,
            threshold: DEFAULT_THRESHOLD,
        }
    }
}
