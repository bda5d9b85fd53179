//! The ground floor: facts about text that every stage needs, and that
//! depend on nothing else of feedfold's. Bytes become text here
//! ([`charset`]); the script a text is written in ([`script`]), dates and
//! the zone of those that name none ([`date`], [`zone`]), white space
//! between words ([`space`]), and raw markup
//! read without a parser ([`markup`], [`entity`]) are answered here. Every
//! other module may import from this one; this one imports from none of
//! them (`tests/layers.rs` checks it).

pub mod charset;
pub mod date;
pub mod entity;
pub mod markup;
pub mod script;
pub mod space;
pub mod zone;
