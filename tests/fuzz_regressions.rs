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

/// An XML declaration longer than the 512 bytes the charset sniffer reads:
/// its `encoding` was not rewritten to UTF-8, and quick-xml (inside
/// feed-rs) panicked switching decoders after its 64-byte prefix buffer
/// drained. `parse_raw` catches that panic, so the cost was the whole feed
/// (and a panic message in the log), not the thread; the feed must parse.
#[test]
fn feed_declaration_longer_than_the_sniffed_head() {
    let pad = "k".repeat(600);
    let docs = [
        format!(
            "<?xml version=\"1.0\" encoding=\"iso-8859-1\" {pad}?>\n<rss version=\"2.0\"><channel><item><title>t</title></item></channel></rss>"
        ),
        format!("<?xml version=\"1.0\" {pad} encoding='windows-1255'?><rss>"),
        format!("<rss><?xml {pad} encoding = \"koi8-r\"?><channel></channel></rss>"),
    ];
    for doc in &docs {
        for content_type in [None, Some("application/rss+xml")] {
            if let Err(e) =
                feed::parse(doc.as_bytes(), content_type, "https://example.org/feed.xml")
            {
                assert!(!e.to_string().contains("panicked"), "{e}");
            }
        }
    }
    // A declaration that is read still decodes as the UTF-8 it now is.
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"iso-8859-1\" {pad}?>\n<rss version=\"2.0\"><channel><item><title>北京 café</title><link>https://example.org/a</link></item></channel></rss>"
    );
    let entries = feed::parse(doc.as_bytes(), None, "https://example.org/feed.xml")
        .expect("a feed with a long declaration parses");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].title, "北京 café");
}

/// feed-rs 3.0 slices one byte before an e-mail address in an author field
/// (`parse_person_name_email`), which panics when a non-ASCII character that
/// is not a letter stands there: the fuzzer's input had U+008D, real
/// Chinese feeds write a full-width parenthesis. `parse_raw` caught the
/// panic, so the whole feed was lost; it must parse, with its item.
#[test]
fn feed_email_after_a_non_ascii_character() {
    let docs = [
        "<rss version=\"2.0\"><channel><webMaster>Example editor (\u{8d}e@example.com)</webMaster><item><title>t</title></item></channel></rss>",
        "<rss version=\"2.0\"><channel><managingEditor>新华网（webmaster@news.cn）</managingEditor><item><title>标题</title><author>记者：reporter@news.cn</author></item></channel></rss>",
        r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","title":"标题","content_text":"x","authors":[{"name":"编辑（a@b.cn）"}]}]}"#,
    ];
    for doc in docs {
        let entries = feed::parse(doc.as_bytes(), None, "https://example.org/feed")
            .unwrap_or_else(|e| panic!("{doc}: {e}"));
        assert_eq!(entries.len(), 1, "{doc}");
    }
}
