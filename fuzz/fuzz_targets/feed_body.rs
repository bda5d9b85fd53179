//! Deep and malformed HTML through the feed-body path: what an item's
//! content, summary or title goes through between the feed and the merged
//! feed (the depth pre-scan, text, plain titles, the sanitiser). The input
//! is taken as one fragment; a leading byte picks a wrapper that repeats it,
//! so small inputs reach the nesting depths that once overflowed the stack.
#![no_main]

use feedfold::extract::{html_to_text, sanitize};
use feedfold::text::markup;
use libfuzzer_sys::fuzz_target;

/// Largest document built from one input.
const MAX_BYTES: usize = 4 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&repeat, rest)) = data.split_first() else {
        return;
    };
    let fragment = String::from_utf8_lossy(rest);
    // Up to 255 × 256 copies: deep enough to pass every depth limit when
    // the fragment opens an element and never closes it; at most 4 MiB, so
    // long inputs do not run into libFuzzer's memory and time limits.
    let copies = (usize::from(repeat) * 256 + 1).min(MAX_BYTES / fragment.len().max(1)).max(1);
    let html = fragment.repeat(copies);
    let text = html_to_text(&html);
    let title = markup::plain_line(&html);
    let tag_start = title.as_bytes().windows(2).any(|w| {
        w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?'))
    });
    assert!(!tag_start, "markup survived in a title: {title:?}");
    let _ = sanitize(&html, Some("https://example.org/a"));
    let _ = markup::shape(&html, usize::MAX);
    let _ = text;
});
