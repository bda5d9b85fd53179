//! Article extraction from an arbitrary page (run with `-max_len=65536`:
//! the extractor's own limits are about elements, not bytes).
#![no_main]

use feedfold::extract::Hints;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let hints = Hints {
        url: Some("https://example.cn/a.html"),
        ..Hints::default()
    };
    let _ = feedfold::extract::page(data, None, &hints);
});
