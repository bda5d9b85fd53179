//! Turning downloaded bytes into text: BOM, then valid UTF-8, then the HTTP
//! `charset`, then the document's own declaration (`<meta charset>`,
//! `http-equiv`, XML declaration), then detection (chardetng, hinted by the
//! URL's TLD). A label that says UTF-8 is believed only when the bytes
//! (nearly) are.

use std::borrow::Cow;

use encoding_rs::Encoding;

/// Decodes an HTML (or XML) document. `content_type` is the HTTP header,
/// `url` the address it came from (its top-level domain helps detection).
pub fn decode(bytes: &[u8], content_type: Option<&str>, url: Option<&str>) -> String {
    encoding_for(bytes, content_type, url)
        .decode_with_bom_removal(bytes)
        .0
        .into_owned()
}

/// The encoding `decode` would use.
pub fn encoding_for(
    bytes: &[u8],
    content_type: Option<&str>,
    url: Option<&str>,
) -> &'static Encoding {
    choose(bytes, content_type, url, declared)
}

/// Decodes an XML document (a feed) to text. As [`decode`], except that the
/// only declaration read is the XML declaration's `encoding` (a `charset=`
/// quoted in an item must not override it), and that UTF-16 and UTF-32
/// without a BOM are recognised by how `<?` is spelled, as XML 1.0
/// appendix F describes.
pub fn decode_xml<'a>(
    bytes: &'a [u8],
    content_type: Option<&str>,
    url: Option<&str>,
) -> Cow<'a, str> {
    if let Some(text) = decode_utf32(bytes) {
        return Cow::Owned(text);
    }
    let encoding =
        utf16_without_bom(bytes).unwrap_or_else(|| choose(bytes, content_type, url, xml_declared));
    encoding.decode_with_bom_removal(bytes).0
}

fn choose(
    bytes: &[u8],
    content_type: Option<&str>,
    url: Option<&str>,
    declared: impl Fn(&[u8]) -> Option<&'static Encoding>,
) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return encoding;
    }
    // Non-ASCII text that is valid UTF-8 is UTF-8, whatever the page claims:
    // legacy encodings almost never produce valid UTF-8 by accident, while
    // pages converted to UTF-8 often keep an old `charset=gb2312`. A body cut
    // off inside a character still counts.
    if !bytes.is_ascii() && utf8_but_cut_short(bytes) {
        return encoding_rs::UTF_8;
    }
    // The converse: a label saying UTF-8 on bytes that are not is the label
    // of a template, not of these bytes (GBK text declared `utf-8`); nor is
    // UTF-16 plausible for text without a NUL byte.
    let believable = |e: &&'static Encoding| {
        if *e == encoding_rs::UTF_8 {
            mostly_utf8(bytes)
        } else if *e == encoding_rs::UTF_16LE || *e == encoding_rs::UTF_16BE {
            bytes.iter().take(64).any(|&b| b == 0)
        } else {
            true
        }
    };
    if let Some(encoding) = content_type
        .and_then(charset_param)
        .and_then(label)
        .filter(believable)
    {
        return encoding;
    }
    if let Some(encoding) = declared(bytes).filter(believable) {
        return encoding;
    }
    if bytes.is_ascii() {
        return encoding_rs::UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(&around_non_ascii(bytes), true);
    let tld = url.and_then(|u| url::Url::parse(u).ok()).and_then(|u| {
        u.host_str()
            .and_then(|h| h.rsplit('.').next())
            .map(|t| t.to_ascii_lowercase())
    });
    detector.guess(tld.as_deref().map(str::as_bytes), true)
}

/// Bytes of context kept on each side of a run of non-ASCII bytes for the
/// detector: enough for the words the candidates score around a letter.
const CONTEXT: usize = 24;

/// What the detector reads of `bytes`: each run of non-ASCII bytes with
/// [`CONTEXT`] bytes around it, runs apart joined by a line break. The
/// detector spends about the same on every byte, and in a legacy-encoded
/// page nine bytes in ten are ASCII markup far from any non-ASCII text,
/// which tells it nothing.
fn around_non_ascii(bytes: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Vec<u8> = Vec::new();
    let mut kept_to = 0;
    let mut at = 0;
    while let Some(offset) = bytes[at..].iter().position(|b| !b.is_ascii()) {
        let run_start = at + offset;
        let run_end = bytes[run_start..]
            .iter()
            .position(u8::is_ascii)
            .map_or(bytes.len(), |n| run_start + n);
        let from = run_start.saturating_sub(CONTEXT).max(kept_to);
        let to = (run_end + CONTEXT).min(bytes.len());
        if from > kept_to && !out.is_empty() {
            out.push(b'\n');
        }
        out.extend_from_slice(&bytes[from..to]);
        kept_to = to;
        at = to.max(run_end);
        if at >= bytes.len() {
            break;
        }
    }
    if out.len() * 2 > bytes.len() {
        return Cow::Borrowed(bytes);
    }
    Cow::Owned(out)
}

/// Valid UTF-8, or valid up to a character cut off at the very end.
fn utf8_but_cut_short(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// UTF-8 with at most a stray bad byte per ten characters, as left by one
/// pasted Latin-1 quote; legacy CJK text read as UTF-8 fails far more often.
fn mostly_utf8(bytes: &[u8]) -> bool {
    // ASCII is UTF-8; checked first because counting characters costs a
    // tenth of a feed's whole parse.
    if bytes.is_ascii() {
        return true;
    }
    let (mut good, mut bad) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        good += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        bad += usize::from(!chunk.invalid().is_empty());
    }
    bad * 10 <= good
}

/// UTF-16 cannot be declared from inside ASCII-compatible bytes: such a
/// label is a leftover, and the bytes are (at least) ASCII.
fn ascii_compatible(encoding: &'static Encoding) -> &'static Encoding {
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        encoding_rs::UTF_8
    } else {
        encoding
    }
}

/// The byte range and value of `encoding="…"` in a leading XML declaration.
pub(crate) fn xml_declaration(bytes: &[u8]) -> Option<(std::ops::Range<usize>, String)> {
    let head = &bytes[..bytes.len().min(512)];
    let start = head.windows(5).position(|w| w == b"<?xml")?;
    let end = start + head[start..].windows(2).position(|w| w == b"?>")?;
    let decl = &head[start..end];
    let at = decl.windows(8).position(|w| w == b"encoding")?;
    let rest = &decl[at + 8..];
    let quote_at = rest.iter().position(|&b| b == b'"' || b == b'\'')?;
    let quote = rest[quote_at];
    let value_start = start + at + 8 + quote_at + 1;
    let len = bytes[value_start..end].iter().position(|&b| b == quote)?;
    let label = String::from_utf8_lossy(&bytes[value_start..value_start + len]).into_owned();
    Some((value_start..value_start + len, label))
}

fn xml_declared(bytes: &[u8]) -> Option<&'static Encoding> {
    xml_declaration(bytes)
        .and_then(|(_, name)| label(&name))
        .map(ascii_compatible)
}

/// `<?` in UTF-16 without a BOM.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes.get(..4)? {
        [0, b'<', 0, b'?'] => Some(encoding_rs::UTF_16BE),
        [b'<', 0, b'?', 0] => Some(encoding_rs::UTF_16LE),
        _ => None,
    }
}

/// UTF-32 (which encoding_rs does not know), by BOM or by how `<` is spelled.
fn decode_utf32(bytes: &[u8]) -> Option<String> {
    let (big_endian, body) = match bytes.get(..4)? {
        [0, 0, 0xFE, 0xFF] => (true, &bytes[4..]),
        [0xFF, 0xFE, 0, 0] => (false, &bytes[4..]),
        [0, 0, 0, b'<'] => (true, bytes),
        [b'<', 0, 0, 0] => (false, bytes),
        _ => return None,
    };
    let text = body
        .chunks(4)
        .map(|c| {
            let mut word = [0u8; 4];
            word[..c.len()].copy_from_slice(c);
            let n = if big_endian {
                u32::from_be_bytes(word)
            } else {
                u32::from_le_bytes(word)
            };
            char::from_u32(n).unwrap_or(char::REPLACEMENT_CHARACTER)
        })
        .collect();
    Some(text)
}

/// `charset=…` from a Content-Type value.
fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

/// The encoding declared in the first 2 KiB: `<meta charset>`, `http-equiv`
/// content, or an XML declaration.
fn declared(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(2048)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    for marker in ["charset=", "encoding="] {
        let mut rest = text.as_str();
        while let Some(at) = rest.find(marker) {
            rest = &rest[at + marker.len()..];
            let value: String = rest
                .trim_start_matches(['"', '\'', ' '])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
                .collect();
            if let Some(encoding) = label(&value) {
                return Some(ascii_compatible(encoding));
            }
        }
    }
    None
}

fn label(name: &str) -> Option<&'static Encoding> {
    // GB2312 and GBK pages routinely use GB18030 characters; decode with the superset.
    let encoding = Encoding::for_label(name.trim().as_bytes())?;
    Some(if encoding == encoding_rs::GBK {
        encoding_rs::GB18030
    } else {
        encoding
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(text: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(text).0.into_owned()
    }

    #[test]
    fn legacy_encodings_named_by_meta_or_http_equiv_decode() {
        let cases: &[(&str, &str)] = &[
            ("Big5", "立法院今日三讀通過預算案"),
            ("Shift_JIS", "東京都で新しい条例が成立した"),
            ("EUC-JP", "大阪で記録的な大雨が降った"),
            ("EUC-KR", "서울시가 새로운 교통 정책을 발표했다"),
            ("windows-1251", "Правительство утвердило бюджет"),
            ("windows-1252", "Ça coûte très cher, déjà"),
            ("ISO-8859-2", "Zażółć gęślą jaźń w Łodzi"),
            ("ISO-8859-7", "Η κυβέρνηση ενέκρινε τον προϋπολογισμό"),
        ];
        for (label, text) in cases {
            let encoding = Encoding::for_label(label.as_bytes()).unwrap();
            for head in [
                format!("<meta charset=\"{label}\">"),
                format!(
                    "<meta http-equiv=\"Content-Type\" content=\"text/html; charset={label}\">"
                ),
            ] {
                let page = format!("<html><head>{head}</head><body><p>{text}</p></body></html>");
                let bytes = encoding.encode(&page).0.into_owned();
                let decoded = decode(&bytes, Some("text/html"), Some("https://news.example.com/"));
                assert!(decoded.contains(text), "{label} via {head}: {decoded}");
            }
        }
    }

    #[test]
    fn undeclared_legacy_pages_are_detected_with_the_tld_hint() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "Shift_JIS",
                "https://www.example.co.jp/news",
                "東京都で新しい条例が成立した。関係者によると、施行は来年四月からとなる見通しだ。",
            ),
            (
                "EUC-KR",
                "https://news.example.kr/a",
                "서울시가 새로운 교통 정책을 발표했다. 시민들은 대체로 환영하는 분위기다.",
            ),
            (
                "Big5",
                "https://news.example.tw/a",
                "立法院今日三讀通過預算案，行政院表示將依法執行並向國會報告。",
            ),
            (
                "windows-1251",
                "https://news.example.ru/a",
                "Правительство утвердило бюджет на следующий год, сообщили в министерстве.",
            ),
        ];
        for (label, url, text) in cases {
            let encoding = Encoding::for_label(label.as_bytes()).unwrap();
            let page = format!("<html><body><p>{text}</p></body></html>");
            let bytes = encoding.encode(&page).0.into_owned();
            let decoded = decode(&bytes, Some("text/html"), Some(url));
            assert!(decoded.contains(text), "{label}: {decoded}");
        }
    }

    #[test]
    fn the_detector_reads_text_and_its_surroundings_and_guesses_as_from_the_whole_page() {
        let guess = |bytes: &[u8], tld: &[u8]| {
            let mut detector = chardetng::EncodingDetector::new();
            detector.feed(bytes, true);
            detector.guess(Some(tld), true)
        };
        let chrome = "<div class=\"nav\"><a href=\"/section/world\">World</a> | \
                      <a href=\"/section/sport\">Sport</a></div>\n<script>var x = 1;</script>\n";
        let cases: &[(&str, &[u8], &str)] = &[
            (
                "GBK",
                b"cn",
                "温州市四套班子领导分赴各地督查基层疫情防控工作落实情况。",
            ),
            (
                "Shift_JIS",
                b"jp",
                "東京都で新しい条例が成立した。施行は来年四月からとなる。",
            ),
            (
                "windows-1252",
                b"fr",
                "Le gouvernement a présenté un budget équilibré, déclaré « prudent ».",
            ),
            (
                "windows-1251",
                b"ru",
                "Правительство утвердило бюджет на следующий год.",
            ),
            (
                "ISO-8859-2",
                b"pl",
                "Rząd przedstawił budżet na przyszły rok, mówią źródła.",
            ),
        ];
        for (label, tld, text) in cases {
            let encoding = Encoding::for_label(label.as_bytes()).unwrap();
            let page = format!(
                "<html><body>{}<p>{text}</p>{}</body></html>",
                chrome.repeat(40),
                chrome.repeat(40)
            );
            let bytes = encoding.encode(&page).0.into_owned();
            let around = around_non_ascii(&bytes);
            assert!(
                around.len() * 10 < bytes.len(),
                "{label}: {} of {}",
                around.len(),
                bytes.len()
            );
            assert_eq!(guess(&around, tld), guess(&bytes, tld), "{label}");
            assert_eq!(guess(&around, tld), encoding, "{label}");
        }
        // Mostly non-ASCII bytes are read whole.
        let gbk_text = gbk(&"疫情防控".repeat(50));
        assert!(matches!(around_non_ascii(&gbk_text), Cow::Borrowed(_)));
    }

    #[test]
    fn declared_gbk_pages_decode() {
        let mut page = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"></head><body>".to_vec();
        page.extend(gbk("人力资源社会保障部"));
        assert!(decode(&page, None, None).contains("人力资源社会保障部"));
        let mut meta = b"<meta charset='GBK'>".to_vec();
        meta.extend(gbk("疫情防控"));
        assert!(decode(&meta, None, None).ends_with("疫情防控"));
    }

    #[test]
    fn http_header_beats_the_document_and_bom_beats_both() {
        let bytes = gbk("新闻");
        assert_eq!(decode(&bytes, Some("text/html; charset=GBK"), None), "新闻");
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend("新闻".as_bytes());
        assert_eq!(decode(&bom, Some("text/html; charset=GBK"), None), "新闻");
    }

    #[test]
    fn utf8_pages_that_claim_gb2312_are_read_as_utf8() {
        let page = "<meta charset=\"gb2312\"><p>人力资源社会保障部</p>";
        assert_eq!(
            decode(page.as_bytes(), Some("text/html; charset=gbk"), None),
            page
        );
    }

    #[test]
    fn undeclared_bytes_are_detected() {
        assert_eq!(
            decode("plain utf-8 ü".as_bytes(), None, None),
            "plain utf-8 ü"
        );
        let text =
            "温州市四套班子领导分赴各地督查基层疫情防控工作落实情况,确保实现攻坚目标。".repeat(4);
        assert_eq!(
            decode(&gbk(&text), None, Some("https://news.example.cn/a")),
            text
        );
    }

    #[test]
    fn a_utf8_label_on_bytes_that_are_not_is_ignored() {
        let text = "温州市四套班子领导分赴各地督查基层疫情防控工作落实情况".repeat(3);
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>".to_vec();
        bytes.extend(gbk(&text));
        let url = Some("https://news.example.cn/rss");
        assert!(decode_xml(&bytes, Some("text/xml; charset=utf-8"), url).contains(&text));
        // One stray Latin-1 byte in UTF-8 text is a typo, not another encoding.
        let mut typo = format!("<t>{text}").into_bytes();
        typo.push(0xA0);
        assert_eq!(
            encoding_for(&typo, Some("text/xml; charset=utf-8"), None),
            encoding_rs::UTF_8
        );
    }

    #[test]
    fn utf8_cut_off_inside_a_character_is_still_utf8() {
        let text = "<t>人力资源社会保障部".as_bytes();
        let cut = &text[..text.len() - 1];
        assert_eq!(
            encoding_for(cut, Some("text/html; charset=gbk"), None),
            encoding_rs::UTF_8
        );
    }

    #[test]
    fn xml_uses_its_declaration_not_a_quoted_charset() {
        let mut bytes =
            b"<?xml version=\"1.0\" encoding=\"gbk\"?><d>&lt;meta charset=utf-8&gt;".to_vec();
        bytes.extend(gbk("新闻"));
        assert!(decode_xml(&bytes, None, None).ends_with("新闻"));
        assert_eq!(
            xml_declaration(&bytes).map(|(range, label)| (range.len(), label)),
            Some((3, "gbk".to_owned()))
        );
    }

    #[test]
    fn utf16_and_utf32_xml_without_a_bom_are_recognised() {
        let doc = "<?xml version=\"1.0\"?><t>Grüße</t>";
        let utf16le: Vec<u8> = doc.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode_xml(&utf16le, None, None), doc);
        let utf32be: Vec<u8> = doc
            .chars()
            .flat_map(|c| u32::from(c).to_be_bytes())
            .collect();
        assert_eq!(decode_xml(&utf32be, None, None), doc);
        let mut utf32le_bom = vec![0xFF, 0xFE, 0, 0];
        utf32le_bom.extend(doc.chars().flat_map(|c| u32::from(c).to_le_bytes()));
        assert_eq!(decode_xml(&utf32le_bom, None, None), doc);
    }
}
