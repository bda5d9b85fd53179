//! Inputs the fuzz targets in `fuzz/` found crashing, hanging or running out
//! of memory, reduced by hand to what still triggers the fault (so no corpus
//! text is kept here). Each must now give an answer, not a panic.

use feedfold::source::feed;

/// An XML declaration with no `?>` before a second one: both were read as
/// ending at the second's `?>`, the same `encoding` value was queued for
/// rewriting twice, and splicing the overlapping edits sliced out of order.
#[test]
fn feed_unterminated_declaration_before_another() {
    let docs: [&[u8]; 3] = [
        b"<?xml version=\"1.0\" <?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss/>",
        b"<?xml <?xml <?xml encoding='gb2312'?>\n<rss version=\"2.0\"><channel><item><title>t</title></item></channel></rss>",
        b"<?xml encoding=\"latin1\"?><?xml version='1.0'?><?xml <?xml encoding=\"koi8-r\"?>",
    ];
    for doc in docs {
        for content_type in [None, Some("text/xml; charset=us-ascii")] {
            let _ = feed::parse(doc, content_type, "https://example.org/feed.xml");
        }
    }
}
