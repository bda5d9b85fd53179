//! feedfold: a news aggregator daemon that fetches feeds and pages, folds
//! duplicate stories together and republishes one merged feed.
//!
//! Modules follow the pipeline, and data flows one way through them:
//! `config` → `schedule` → `fetch` → `source` → `dedup` → `store` → `publish` → `serve`,
//! wired together by `daemon`. Imports point the other way, down a fixed
//! order of floors (`daemon`, `serve`, `publish`, `store`, `fetch`/`schedule`,
//! `config`, `dedup`, `source`, `extract`, `text`); `text` is the ground
//! floor and uses nothing of ours. `tests/layers.rs` holds the order and
//! fails on an import that climbs.

pub mod config;
pub mod daemon;
pub mod dedup;
pub mod events;
pub mod extract;
pub mod fetch;
pub mod filter;
pub mod logging;
pub mod publish;
pub mod schedule;
pub mod serve;
pub mod source;
pub mod store;
pub mod text;
