//! Whether bytes are an HTML page at all: a PDF, an image or a text file
//! served where an article was expected gets a clear reason, not its bytes
//! read as a story.

/// Why bytes are not an HTML page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotHtml {
    /// The bytes start like a known binary format (the whole reason).
    #[error("{0}")]
    Format(&'static str),
    /// The bytes hold many control bytes (NUL and the like): binary data
    /// of some kind.
    #[error("not an HTML page: binary data")]
    Binary,
    /// The text has no markup at all.
    #[error("not an HTML page: no markup in it (plain text?)")]
    NoMarkup,
}

impl NotHtml {
    /// The reason, as a constant (extraction reasons are stored as such).
    pub fn reason(self) -> &'static str {
        match self {
            NotHtml::Format(reason) => reason,
            NotHtml::Binary => "not an HTML page: binary data",
            NotHtml::NoMarkup => "not an HTML page: no markup in it (plain text?)",
        }
    }
}

/// Formats recognised by their first bytes.
const MAGIC: &[(&[u8], &str)] = &[
    (b"%PDF-", "not an HTML page: a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "not an HTML page: a PNG image"),
    (b"GIF87a", "not an HTML page: a GIF image"),
    (b"GIF89a", "not an HTML page: a GIF image"),
    (b"\xff\xd8\xff", "not an HTML page: a JPEG image"),
    (
        b"PK\x03\x04",
        "not an HTML page: a ZIP archive (or an office document)",
    ),
    (b"\x1f\x8b", "not an HTML page: gzip-compressed data"),
    (b"\x7fELF", "not an HTML page: an executable"),
    (b"ID3", "not an HTML page: an MP3 file"),
];

/// How much of the page is looked at: markup shows up early in any page.
const SNIFF: usize = 64 * 1024;

/// Share of control bytes (NUL, and the other C0 codes text never uses)
/// above which bytes are binary. Binary formats are full of them (random
/// bytes hold about one in ten); a real page damaged in transit or capture
/// can carry a few stray NULs in tens of kilobytes of markup and is still
/// a page.
const BINARY_SHARE: f64 = 0.01;

/// Checks that `bytes` can be an HTML page: not a known binary format, few
/// control bytes (outside UTF-16, which has a BOM), and some markup (`<`
/// before a letter, `!` or `/`).
pub fn check(bytes: &[u8]) -> Result<(), NotHtml> {
    if let Some((_, what)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Err(NotHtml::Format(what));
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Err(NotHtml::Format("not an HTML page: a WebP image"));
    }
    let head = &bytes[..bytes.len().min(SNIFF)];
    let utf16 = head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff");
    if utf16 || head.is_empty() {
        return Ok(());
    }
    let control = head.iter().filter(|b| is_binary_byte(**b)).count();
    if control as f64 > BINARY_SHARE * head.len() as f64 {
        return Err(NotHtml::Binary);
    }
    let markup = head.windows(2).any(|w| {
        w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'!' | b'/' | b'?'))
    });
    if markup {
        Ok(())
    } else {
        Err(NotHtml::NoMarkup)
    }
}

/// C0 control bytes that no text encoding of a page uses (tab, line
/// feed, form feed, carriage return and escape, used by ISO-2022, are
/// text).
fn is_binary_byte(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | 0x1b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_pass_and_other_bytes_say_what_they_are() {
        assert_eq!(check(b"<!doctype html><p>Story</p>"), Ok(()));
        assert_eq!(check(b"\n\n  <html><body>x"), Ok(()));
        assert_eq!(check(b"\xff\xfe<\0h\0t\0m\0l\0>\0"), Ok(()));
        assert_eq!(check(b""), Ok(()));
        assert_eq!(
            check(b"%PDF-1.7\n..."),
            Err(NotHtml::Format("not an HTML page: a PDF document"))
        );
        assert_eq!(
            check(b"\x89PNG\r\n\x1a\n\0\0"),
            Err(NotHtml::Format("not an HTML page: a PNG image"))
        );
        assert_eq!(
            check(b"RIFF\0\0\0\0WEBPVP8 "),
            Err(NotHtml::Format("not an HTML page: a WebP image"))
        );
        assert_eq!(check(b"abc\0def <p>"), Err(NotHtml::Binary));
        // A page with a few stray NULs in its markup is still a page.
        let mut damaged = b"<html><body>".to_vec();
        for _ in 0..50 {
            damaged.extend_from_slice(b"<p>A paragraph of the story, long enough to be one.</p>\n");
        }
        damaged[100] = 0;
        damaged[900] = 0;
        assert_eq!(check(&damaged), Ok(()));
        let random: Vec<u8> = (0u32..4096)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert_eq!(check(&random), Err(NotHtml::Binary));
        assert_eq!(
            check(b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"),
            Err(NotHtml::NoMarkup)
        );
        assert_eq!(
            NotHtml::Format("not an HTML page: a PDF document").to_string(),
            "not an HTML page: a PDF document"
        );
    }
}
