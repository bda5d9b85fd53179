//! Deciding which entries are the same story. Today: exact duplicates by
//! canonical URL ([`canonical_url`]) and the choice of which copy represents a
//! story ([`representative`]).

mod representative;
mod url;

pub use representative::{Candidate, representative};
pub use url::canonical_url;
