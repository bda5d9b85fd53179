//! feedfold: a news aggregator daemon that fetches feeds and pages, folds
//! duplicate stories together and republishes one merged feed.
//!
//! Modules follow the pipeline, and data flows one way through them:
//! `config` → `schedule` → `fetch` → `source` → `dedup` → `store` → `publish` → `serve`,
//! wired together by `daemon`.

pub mod config;
pub mod daemon;
pub mod dedup;
pub mod extract;
pub mod fetch;
pub mod filter;
pub mod logging;
pub mod publish;
pub mod schedule;
pub mod script;
pub mod serve;
pub mod source;
pub mod store;
