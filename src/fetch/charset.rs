//! Turning downloaded bytes into text: BOM, then valid UTF-8, then the HTTP
//! `charset`, then the document's own declaration (`<meta charset>`,
//! `http-equiv`, XML declaration), then detection (chardetng, hinted by the
//! URL's TLD).

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
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return encoding;
    }
    // Non-ASCII text that is valid UTF-8 is UTF-8, whatever the page claims:
    // legacy encodings almost never produce valid UTF-8 by accident, while
    // pages converted to UTF-8 often keep an old `charset=gb2312`.
    if !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok() {
        return encoding_rs::UTF_8;
    }
    if let Some(encoding) = content_type.and_then(charset_param).and_then(label) {
        return encoding;
    }
    if let Some(encoding) = declared(bytes) {
        return encoding;
    }
    if bytes.is_ascii() {
        return encoding_rs::UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let tld = url.and_then(|u| url::Url::parse(u).ok()).and_then(|u| {
        u.host_str()
            .and_then(|h| h.rsplit('.').next())
            .map(|t| t.to_ascii_lowercase())
    });
    detector.guess(tld.as_deref().map(str::as_bytes), true)
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
                // UTF-16 cannot be declared from inside ASCII-compatible bytes.
                return Some(
                    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
                        encoding_rs::UTF_8
                    } else {
                        encoding
                    },
                );
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
}
