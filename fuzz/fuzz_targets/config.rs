//! Config parsing and validation from TOML text, without touching the
//! filesystem.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = feedfold::config::Config::parse(
        text,
        Path::new("fuzz.toml"),
        Path::new("/nonexistent-feedfold-fuzz"),
    );
});
