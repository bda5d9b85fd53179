//! Feed parsing, repair included: any bytes, under a few content types and
//! base URLs (a `.cn` host turns on the +08:00 date rule).
#![no_main]

use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [Option<&str>; 5] = [
    None,
    Some("application/rss+xml"),
    Some("application/atom+xml; charset=gb2312"),
    Some("text/xml; charset=utf-8"),
    Some("application/feed+json"),
];
const BASES: [&str; 2] = [
    "https://example.org/feed.xml",
    "https://news.example.cn/rss",
];

fuzz_target!(|data: &[u8]| {
    // The first byte picks the hints, so one corpus covers every combination.
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(pick) % CONTENT_TYPES.len()];
    let base = BASES[usize::from(pick >> 4) % BASES.len()];
    // libfuzzer-sys aborts on every panic, caught or not: one inside the
    // vendored feed-rs (which `feed::parse` would catch) is a finding too.
    let _ = feedfold::source::feed::parse(bytes, content_type, base);
});
