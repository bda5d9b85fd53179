//! The JSONL batch contract: any input lines, results thrown away.
#![no_main]

use feedfold::dedup::{FeatureOptions, MatchOptions, jsonl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Odd first bytes also explain each decision (`dedup --explain`).
    let explain = data.first().is_some_and(|b| b & 1 == 1);
    let _ = jsonl::run(
        data,
        std::io::sink(),
        MatchOptions::default(),
        FeatureOptions::default(),
        explain,
    );
});
