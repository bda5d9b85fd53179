//! Charset decoding of arbitrary bytes with arbitrary `Content-Type` and URL
//! hints: the input is `content type \n url \n body`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let content_type = parts.next().map(String::from_utf8_lossy);
    let url = parts.next().map(String::from_utf8_lossy);
    let body = parts.next().unwrap_or_default();
    let content_type = content_type.as_deref().filter(|c| !c.is_empty());
    let url = url.as_deref().filter(|u| !u.is_empty());
    let html = feedfold::text::charset::decode(body, content_type, url);
    let xml = feedfold::text::charset::decode_xml(body, content_type, url);
    // Decoding never invents text from nothing.
    assert!(!body.is_empty() || (html.is_empty() && xml.is_empty()));
    let _ = feedfold::text::charset::encoding_for(body, content_type, url);
});
