//! The JSONL batch contract: any input lines, results thrown away.
#![no_main]

use feedfold::dedup::{FeatureOptions, MatchOptions, jsonl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = jsonl::run(
        data,
        std::io::sink(),
        MatchOptions::default(),
        FeatureOptions::default(),
    );
});
