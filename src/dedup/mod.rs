//! Deciding which entries are the same story: canonical URLs for exact
//! duplicates; folded text → features → 64-bit simhash → band index for near
//! duplicates; and which copy represents a story.

mod batch;
mod cluster;
mod features;
mod fold;
pub mod index;
pub mod jsonl;
pub mod normalize;
pub(crate) mod prefetch;
mod representative;
pub(crate) mod scan;
pub mod shingle_index;
mod simd;
mod simhash;
pub mod sketch;
pub mod template;
mod traditional;
mod traditional_table;
mod url;

pub use batch::{BatchClusterer, Explanation};
pub use cluster::{
    DEFAULT_CONTAINMENT, DEFAULT_DISTANCE, DEFAULT_RESEMBLANCE, Decision, Evidence, MatchOptions,
    Neighbour, UNVERIFIED_DISTANCE, decide, matched_clusters, survivor,
};
pub use features::{FeatureOptions, for_each_feature};
pub(crate) use fold::six_byte_hash;
pub use index::BandIndex;
pub use normalize::TitleRules;
pub use representative::{Candidate, DEFAULT_RULES, RepresentativeRule, representative};
pub use simhash::{Fingerprint, Fingerprinter, MIN_FEATURES, Simhash};
pub use sketch::{Overlap, Sketch, Traits};
pub use url::canonical_url;
