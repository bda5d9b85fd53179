//! Raw markup read in one linear pass, without building a tree.
//!
//! Two uses. Before any fragment is parsed, [`shape`] bounds how deep the
//! parser's tree can nest: html5ever's tree builder scans its stack of open
//! elements for many tags, so parsing is quadratic in depth (100,000 nested
//! `<address>`s took 35 s), and any recursive walk over a deep tree
//! overflows the stack. And for markup refused for that, [`text`] still
//! gives its words, so a hostile item loses its layout, not its text.
//!
//! The depth model follows the HTML tree-construction rules closely enough
//! to stay an upper bound of the real depth (up to a small constant factor)
//! on hostile input while not over-counting sloppy real pages: implied end
//! tags (`<p>`, `<li>`, table cells) close what the parser closes, an end
//! tag closes only what the parser would, and `/>` counts only inside SVG
//! and MathML. Where the rules are too intricate to follow (the adoption
//! agency, `<select>`), the model closes less than the parser, never more.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

/// Deepest nesting [`shape`] accepts: twice what extraction lets through after
/// parsing, so a sloppy page that the model over-counts still gets parsed
/// and measured exactly, while a hostile page is stopped before its parse
/// gets expensive.
pub const MAX_DEPTH: usize = 1_024;

/// Most parser work [`shape`] accepts (see [`Shape::work`]). The heaviest of
/// 2,723 real pages measured 149,035; a thousand levels of nesting followed
/// by a million paragraphs would cost the parser seconds.
pub const MAX_WORK: u64 = 5_000_000;

/// What the pre-scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Deepest nesting of elements reached (stops counting at the limit).
    pub depth: usize,
    /// Start tags seen.
    pub elements: usize,
    /// The depth at each start tag, summed: what the parser's scans of its
    /// stack cost, roughly.
    pub work: u64,
}

/// Whether `html` nests deeper than [`MAX_DEPTH`], or so deep for its size
/// that parsing it costs more than [`MAX_WORK`], found without parsing it.
pub fn too_complex(html: &str) -> bool {
    let shape = shape(html, MAX_DEPTH);
    shape.depth > MAX_DEPTH || shape.work > MAX_WORK
}

/// How deep the tree built from `html` can nest; the scan stops as soon as
/// the depth passes `limit` or the work [`MAX_WORK`].
pub fn shape(html: &str, limit: usize) -> Shape {
    scan(html, limit, false).0
}

/// `html` without what the parser would turn into nothing but comments and
/// the code of `<script>` and `<style>` elements: the elements and text it
/// builds from what is left are the same, and on news pages those are a
/// fifth of the bytes it would tokenize. JSON data (`application/ld+json`)
/// is kept, since dates and titles are read from it. `None` for markup
/// [`too_complex`] to parse.
pub fn lean(html: &str) -> Option<Cow<'_, str>> {
    let (shape, inert) = scan(html, MAX_DEPTH, true);
    if shape.depth > MAX_DEPTH || shape.work > MAX_WORK {
        return None;
    }
    if inert.is_empty() {
        return Some(Cow::Borrowed(html));
    }
    let dropped: usize = inert.iter().map(|r| r.len()).sum();
    let mut out = String::with_capacity(html.len() - dropped.min(html.len()));
    let mut at = 0;
    for range in inert {
        // Every range starts and ends at ASCII markup; a miss is a bug
        // of the scan, and the page is then parsed whole.
        let (Some(kept), true) = (html.get(at..range.start), html.is_char_boundary(range.end))
        else {
            return Some(Cow::Borrowed(html));
        };
        out.push_str(kept);
        at = range.end;
    }
    out.push_str(html.get(at..).unwrap_or_default());
    Some(Cow::Owned(out))
}

/// [`shape`], and (when asked to `collect` them) the byte ranges [`lean`]
/// drops, in order.
fn scan(html: &str, limit: usize, collect: bool) -> (Shape, Vec<Range<usize>>) {
    let mut tokens = Tokens::new(html);
    tokens.inert = collect.then(Vec::new);
    let mut tree = Model::new();
    let (mut elements, mut work) = (0, 0u64);
    while let Some(token) = tokens.next() {
        match token {
            Token::Text(_) => {}
            Token::Start(tag) => {
                elements += 1;
                work += tree.depth() as u64;
                let name = lower(tag.name);
                tokens.lost |= tree.at_integration_point();
                if matches!(name.as_ref(), "pre" | "listing") {
                    tokens.keep_comment_at = tokens.at;
                }
                if tree.start(&name, &tag) && !tree.foreign() {
                    let body = tokens.at;
                    tokens.after_start(&name);
                    if matches!(name.as_ref(), "script" | "style") && !says_json(tag.attributes) {
                        tokens.drop_code(body);
                    }
                }
                if tree.depth() > limit || work > MAX_WORK {
                    break;
                }
            }
            Token::End(name) => tree.end(&lower(name)),
        }
        // Inside SVG and MathML, `<![CDATA[` makes text of what follows.
        tokens.html_content = !tree.foreign();
    }
    let shape = Shape {
        depth: tree.deepest,
        elements,
        work,
    };
    (shape, tokens.inert.unwrap_or_default())
}

/// Whether a tag's attributes mention JSON (`type="application/ld+json"`).
fn says_json(attributes: &[u8]) -> bool {
    attributes
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"json"))
}

/// The text of markup read without a parser: tags dropped, scripts and
/// styles skipped, block tags and `<br>` break lines, character references
/// decoded, runs of spaces collapsed. For markup too deep to parse.
pub fn text(html: &str) -> String {
    let mut tokens = Tokens::new(html);
    let mut out = String::new();
    let mut line = String::new();
    let flush = |line: &mut String, out: &mut String| {
        let mut words = line.split_whitespace();
        if let Some(first) = words.next() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(first);
            for word in words {
                out.push(' ');
                out.push_str(word);
            }
        }
        line.clear();
    };
    while let Some(token) = tokens.next() {
        let name = match token {
            Token::Text(raw) => {
                line.push_str(&decode(raw));
                continue;
            }
            Token::Start(tag) => {
                let name = lower(tag.name);
                tokens.after_start(&name);
                name
            }
            Token::End(name) => lower(name),
        };
        if is_block(&name) {
            flush(&mut line, &mut out);
        } else {
            // Inline tags still separate words the way a browser's layout
            // would not: better "a b" than "ab" for a fallback.
            line.push(' ');
        }
    }
    flush(&mut line, &mut out);
    out
}

/// Elements that end one paragraph and start another.
pub fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "table"
            | "tr"
            | "td"
            | "th"
            | "section"
            | "article"
            | "main"
            | "header"
            | "footer"
            | "nav"
            | "aside"
            | "figure"
            | "figcaption"
            | "hr"
            | "form"
            | "center"
            | "address"
            | "details"
            | "summary"
            | "body"
            | "html"
    )
}

/// Escapes text for an HTML attribute or text node.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Rounds of decoding a one-line text may take before what is left of
/// markup in it is defused instead of read.
const DECODE_ROUNDS: usize = 4;

/// A one-line plain text (a title, an author) that no reader can take for
/// markup, however it renders it: markup is read as text, and read again
/// while decoding its references turned up more (`&amp;LT;img…&amp;GT;`
/// is markup after two decodings); a `<` that still starts a tag after
/// that becomes `‹`. Whitespace runs become one space.
pub fn plain_line(text: &str) -> String {
    let mut line = std::borrow::Cow::Borrowed(text);
    for _ in 0..DECODE_ROUNDS {
        if !has_tag(&line) {
            break;
        }
        line = self::text(&line).into();
    }
    let mut out = crate::text::space::collapse(&line);
    if has_tag(&out) {
        out = out.replace('<', "‹");
    }
    out
}

/// Whether a `<` in `text` starts a tag, comment or declaration.
fn has_tag(text: &str) -> bool {
    text.match_indices('<').any(|(at, _)| {
        text[at + 1..]
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'))
    })
}

/// A tag name in lower case, copied only when it is not already (most are
/// not: the pre-scan reads every tag of every fragment).
fn lower(name: &str) -> std::borrow::Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        name.to_ascii_lowercase().into()
    } else {
        name.into()
    }
}

/// Decodes character references (`&amp;`, `&#60;`, `&#x3c;`, `&LT;`); a
/// malformed or unknown one stays as written.
fn decode(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.contains('&') {
        return raw.into();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match reference(rest) {
            Some((decoded, len)) => {
                out.push_str(&decoded);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out.into()
}

/// The character(s) a reference at the start of `at` stands for, and its
/// length in bytes (the `;` included).
fn reference(at: &str) -> Option<(String, usize)> {
    let body = at.strip_prefix('&')?;
    // No entity name is longer than this; `;` is ASCII, so a char boundary.
    let end = body.bytes().take(40).position(|b| b == b';')?;
    let name = &body[..end];
    let decoded = if let Some(number) = name.strip_prefix('#') {
        let value = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        // What HTML does with the null character and surrogates.
        char::from_u32(value)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{fffd}')
            .to_string()
    } else {
        let (first, second) = super::entity::named(name)?;
        let mut s = first.to_string();
        s.extend(second);
        s
    };
    Some((decoded, end + 2))
}

/// A start tag as the tokenizer reads it.
#[derive(Debug)]
struct Tag<'a> {
    name: &'a str,
    /// Written `<name …/>`.
    self_closing: bool,
    /// Carries `color`, `face` or `size`: a `<font>` with one of those
    /// leaves SVG and MathML.
    font_attributes: bool,
    /// Everything between its name and its `>`.
    attributes: &'a [u8],
}

#[derive(Debug)]
enum Token<'a> {
    Text(&'a str),
    Start(Tag<'a>),
    End(&'a str),
}

/// HTML's tokenizer, reduced to what the depth model and the fallback text
/// need: tags, their names, `/>`, and text between them. Comments, doctypes
/// and processing instructions are skipped; the contents of raw-text
/// elements are skipped when the caller says a tag starts one.
struct Tokens<'a> {
    html: &'a str,
    at: usize,
    /// Where comments and code the parser makes nothing of lie, when
    /// [`lean`] asks.
    inert: Option<Vec<Range<usize>>>,
    /// Whether the current node is an HTML element (set by the caller).
    html_content: bool,
    /// Set where this reader may part ways with the parser, after which
    /// nothing is noted as inert: a `<![CDATA[` (in SVG or MathML, text up
    /// to `]]>`), a script the parser reads "double escaped", a tag inside
    /// an SVG or MathML element that holds HTML (`<foreignObject>`, `<mi>`…).
    lost: bool,
    /// A comment starting here is kept: right after `<pre>` it takes the
    /// place of the line break the parser drops.
    keep_comment_at: usize,
}

impl<'a> Tokens<'a> {
    fn new(html: &'a str) -> Self {
        Tokens {
            html,
            at: 0,
            inert: None,
            html_content: true,
            lost: false,
            keep_comment_at: usize::MAX,
        }
    }

    /// Notes `range` as inert, where that is safe.
    fn note(&mut self, range: Range<usize>) {
        if let (Some(inert), true, false) = (&mut self.inert, self.html_content, self.lost) {
            inert.push(range);
        }
    }

    /// Called after [`after_start`](Self::after_start) skipped a script or
    /// style from `body` on: notes its code as inert. Code that opens a
    /// comment and then says `<script` may not end at the first
    /// `</script>` for the parser ("double escaped"), so there the reader
    /// stops noting altogether.
    fn drop_code(&mut self, body: usize) {
        if self.inert.is_none() {
            return;
        }
        let code = self.html.as_bytes().get(body..self.at).unwrap_or_default();
        let escaped = memchr::memmem::find(code, b"<!--").is_some_and(|at| {
            code[at..]
                .windows(7)
                .any(|w| w.eq_ignore_ascii_case(b"<script"))
        });
        self.lost |= escaped;
        self.note(body..self.at);
    }

    /// Called after a start tag in HTML content: skips the contents of an
    /// element whose contents are not markup.
    fn after_start(&mut self, name: &str) {
        match name {
            "script" | "style" | "xmp" | "iframe" | "noembed" | "noframes" | "textarea"
            | "title" => self.skip_raw_text(name),
            // Everything after `<plaintext>` is text.
            "plaintext" => self.at = self.html.len(),
            _ => {}
        }
    }

    fn skip_raw_text(&mut self, name: &str) {
        let bytes = self.html.as_bytes();
        let mut from = self.at;
        while let Some(offset) = memchr::memmem::find(&bytes[from..], b"</") {
            let start = from + offset + 2;
            let end = start + name.len();
            let named = bytes
                .get(start..end)
                .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()));
            let delimited = matches!(
                bytes.get(end),
                Some(b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>')
            );
            if named && delimited {
                self.at = start - 2;
                return;
            }
            from = start;
        }
        self.at = bytes.len();
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let bytes = self.html.as_bytes();
        loop {
            if self.at >= bytes.len() {
                return None;
            }
            let Some(offset) = memchr::memchr(b'<', &bytes[self.at..]) else {
                let text = &self.html[self.at..];
                self.at = bytes.len();
                return Some(Token::Text(text));
            };
            if offset > 0 {
                let text = &self.html[self.at..self.at + offset];
                self.at += offset;
                return Some(Token::Text(text));
            }
            let lt = self.at;
            match bytes.get(lt + 1) {
                Some(b'!') if bytes[lt..].starts_with(b"<!--") => {
                    self.at = comment_end(bytes, lt + 4);
                    if lt != self.keep_comment_at {
                        self.note(lt..self.at);
                    }
                }
                Some(b'!' | b'?') => {
                    self.lost |= bytes[lt..].starts_with(b"<![CDATA[");
                    self.at = after_gt(bytes, lt + 2);
                }
                Some(b'/') => match bytes.get(lt + 2) {
                    Some(c) if c.is_ascii_alphabetic() => {
                        let scanned = tag(bytes, lt + 2)?;
                        self.at = scanned.end;
                        return Some(Token::End(&self.html[lt + 2..scanned.name_end]));
                    }
                    Some(b'>') => self.at = lt + 3,
                    _ => self.at = after_gt(bytes, lt + 2),
                },
                Some(c) if c.is_ascii_alphabetic() => {
                    let scanned = tag(bytes, lt + 1)?;
                    self.at = scanned.end;
                    return Some(Token::Start(Tag {
                        name: &self.html[lt + 1..scanned.name_end],
                        self_closing: scanned.self_closing,
                        font_attributes: scanned.font_attributes,
                        attributes: &bytes[scanned.name_end..scanned.end],
                    }));
                }
                _ => {
                    self.at = lt + 1;
                    return Some(Token::Text("<"));
                }
            }
        }
    }
}

/// Just past the `-->` (or `--!>`, `<!-->`) that ends a comment whose text
/// starts at `from`; the end of input when none does.
fn comment_end(bytes: &[u8], from: usize) -> usize {
    if bytes.get(from) == Some(&b'>') {
        return from + 1;
    }
    if bytes[from.min(bytes.len())..].starts_with(b"->") {
        return from + 2;
    }
    let mut at = from;
    while let Some(offset) = memchr::memmem::find(&bytes[at..], b"--") {
        let dashes = at + offset;
        match bytes.get(dashes + 2) {
            Some(b'>') => return dashes + 3,
            Some(b'!') if bytes.get(dashes + 3) == Some(&b'>') => return dashes + 4,
            _ => at = dashes + 1,
        }
    }
    bytes.len()
}

/// Just past the next `>` at or after `from`.
fn after_gt(bytes: &[u8], from: usize) -> usize {
    memchr::memchr(b'>', &bytes[from.min(bytes.len())..]).map_or(bytes.len(), |n| from + n + 1)
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// A tag read from the markup.
struct Scanned {
    /// Where its name ends.
    name_end: usize,
    /// Just past its `>`.
    end: usize,
    /// Written `/>`.
    self_closing: bool,
    /// Carries `color`, `face` or `size`.
    font_attributes: bool,
}

/// Reads a tag whose name starts at `from`; `None` when input ends inside
/// the tag (the tokenizer then drops it).
fn tag(bytes: &[u8], from: usize) -> Option<Scanned> {
    let name_end = bytes[from..]
        .iter()
        .position(|&b| is_space(b) || b == b'/' || b == b'>')
        .map_or(bytes.len(), |n| from + n);
    let mut at = name_end;
    let mut slash = false;
    let mut font = false;
    loop {
        let &b = bytes.get(at)?;
        if is_space(b) {
            slash = false;
            at += 1;
            continue;
        }
        match b {
            b'>' => {
                return Some(Scanned {
                    name_end,
                    end: at + 1,
                    self_closing: slash,
                    font_attributes: font,
                });
            }
            b'/' => {
                slash = true;
                at += 1;
                continue;
            }
            _ => slash = false,
        }
        // An attribute name (its first character may be `=`).
        let start = at;
        at += 1;
        while bytes
            .get(at)
            .is_some_and(|&b| !is_space(b) && !matches!(b, b'/' | b'>' | b'='))
        {
            at += 1;
        }
        let name = &bytes[start..at];
        font |= [&b"color"[..], b"face", b"size"]
            .iter()
            .any(|a| name.eq_ignore_ascii_case(a));
        while bytes.get(at).copied().is_some_and(is_space) {
            at += 1;
        }
        if bytes.get(at) != Some(&b'=') {
            continue;
        }
        at += 1;
        while bytes.get(at).copied().is_some_and(is_space) {
            at += 1;
        }
        match bytes.get(at) {
            Some(&quote @ (b'"' | b'\'')) => at += memchr::memchr(quote, &bytes[at + 1..])? + 2,
            _ => {
                while bytes.get(at).is_some_and(|&b| !is_space(b) && b != b'>') {
                    at += 1;
                }
            }
        }
    }
}

/// Kinds of element, as the tree-construction rules group them.
mod kind {
    /// Closes nothing and holds nothing.
    pub const VOID: u16 = 1;
    /// Bounds "has an element in scope" (the default scope).
    pub const SCOPE: u16 = 1 << 1;
    /// The HTML "special" category: "any other end tag" stops at one.
    pub const SPECIAL: u16 = 1 << 2;
    /// Special, but not `address`, `div` or `p`: stops `<li>`'s search.
    pub const LIST_STOP: u16 = 1 << 3;
    /// Bounds "table scope".
    pub const TABLE: u16 = 1 << 4;
    /// An SVG or MathML element.
    pub const FOREIGN: u16 = 1 << 5;
    /// Its start tag closes an open `<p>` (in button scope).
    pub const CLOSES_P: u16 = 1 << 6;
    /// Its end tag closes everything above it up to a scope boundary.
    pub const BLOCK_END: u16 = 1 << 7;
    /// Its start tag leaves SVG and MathML.
    pub const BREAKOUT: u16 = 1 << 8;
    /// `ol` and `ul`: with the default scope's, bound "list item scope".
    pub const LIST: u16 = 1 << 9;
    /// A formatting element (`b`, `font`…): the parser re-opens it after
    /// anything but its own end tag closed it.
    pub const FORMAT: u16 = 1 << 10;
    /// Puts a marker in the list of formatting elements while open.
    pub const MARKER: u16 = 1 << 11;
}

/// The element kinds of a lower-cased tag name.
fn kinds(name: &str) -> u16 {
    use kind::*;
    let mut k = 0;
    if matches!(
        name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "image"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    ) {
        k |= VOID;
    }
    // Always counted as scope boundaries, even outside SVG and MathML where
    // some are not: a boundary too many makes the model close less.
    if matches!(
        name,
        "applet"
            | "caption"
            | "html"
            | "table"
            | "td"
            | "th"
            | "marquee"
            | "object"
            | "template"
            | "mi"
            | "mo"
            | "mn"
            | "ms"
            | "mtext"
            | "annotation-xml"
            | "foreignobject"
            | "desc"
            | "title"
            | "button"
            | "select"
    ) {
        k |= SCOPE | SPECIAL | LIST_STOP;
    }
    if matches!(name, "html" | "table" | "template") {
        k |= TABLE;
    }
    if matches!(name, "ol" | "ul") {
        k |= LIST;
    }
    if matches!(
        name,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    ) {
        k |= FORMAT;
    }
    if matches!(
        name,
        "td" | "th" | "caption" | "applet" | "marquee" | "object" | "template"
    ) {
        k |= MARKER;
    }
    if matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "header"
            | "hgroup"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "search"
            | "section"
            | "summary"
            | "ul"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "pre"
            | "listing"
            | "form"
            | "li"
            | "dd"
            | "dt"
            | "plaintext"
            | "xmp"
    ) {
        k |= CLOSES_P | BLOCK_END | SPECIAL;
        if !matches!(name, "address" | "div" | "p") {
            k |= LIST_STOP;
        }
    }
    if matches!(
        name,
        "body"
            | "frameset"
            | "head"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
            | "script"
            | "style"
            | "textarea"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "colgroup"
    ) || k & VOID != 0
    {
        k |= SPECIAL | LIST_STOP;
    }
    if matches!(
        name,
        "b" | "big"
            | "blockquote"
            | "body"
            | "br"
            | "center"
            | "code"
            | "dd"
            | "div"
            | "dl"
            | "dt"
            | "em"
            | "embed"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "head"
            | "hr"
            | "i"
            | "img"
            | "li"
            | "listing"
            | "menu"
            | "meta"
            | "nobr"
            | "ol"
            | "p"
            | "pre"
            | "ruby"
            | "s"
            | "small"
            | "span"
            | "strong"
            | "strike"
            | "sub"
            | "sup"
            | "table"
            | "tt"
            | "u"
            | "ul"
            | "var"
    ) {
        k |= BREAKOUT;
    }
    k
}

/// One open element of the model's stack.
#[derive(Debug, Clone, Copy)]
struct Open {
    name: u32,
    kinds: u16,
    /// Its entry in the list of formatting elements.
    entry: Option<u64>,
}

/// The parser's list of active formatting elements, reduced to what depth
/// needs: a formatting element closed by anything but its own end tag stays
/// in the list and is re-opened before the next text or element, so it
/// still counts toward depth. Its length is not bounded by the parser
/// (elements with different attributes are all kept), which is what a
/// hostile page uses to nest without nesting tags.
#[derive(Default)]
struct Formatting {
    entries: Vec<Entry>,
    next_id: u64,
    /// Entries whose element is not open: each will be re-opened.
    closed: usize,
}

#[derive(Clone, Copy)]
enum Entry {
    Marker,
    Element { id: u64, name: u32, open: bool },
}

impl Formatting {
    fn push(&mut self, name: u32) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.entries.push(Entry::Element {
            id,
            name,
            open: true,
        });
        id
    }

    /// The element of entry `id` was closed by something else than its own
    /// end tag.
    fn closed_by_other(&mut self, id: u64) {
        for entry in self.entries.iter_mut().rev() {
            if let Entry::Element { id: e, open, .. } = entry
                && *e == id
            {
                if *open {
                    *open = false;
                    self.closed += 1;
                }
                return;
            }
        }
    }

    /// Removes the last entry named `name` after the last marker (what an
    /// end tag or a second `<a>` does); returns its id.
    fn remove_last(&mut self, name: u32) -> Option<u64> {
        for at in (0..self.entries.len()).rev() {
            match self.entries[at] {
                Entry::Marker => return None,
                Entry::Element { id, name: n, open } if n == name => {
                    self.entries.remove(at);
                    self.closed -= usize::from(!open);
                    return Some(id);
                }
                Entry::Element { .. } => {}
            }
        }
        None
    }

    /// Drops entries back to the last marker, which goes too.
    fn clear_to_marker(&mut self) {
        while let Some(entry) = self.entries.pop() {
            match entry {
                Entry::Marker => return,
                Entry::Element { open, .. } => self.closed -= usize::from(!open),
            }
        }
    }
}

/// Names the tree-construction rules ask about, interned first so that
/// their ids are the constants of [`id`]: no lookup by name per tag.
const KNOWN: [&str; 18] = [
    "p", "li", "dd", "dt", "td", "th", "tr", "tbody", "thead", "tfoot", "option", "table", "h1",
    "h2", "h3", "h4", "h5", "h6",
];

/// Ids of [`KNOWN`] names, by position.
mod id {
    pub const P: u32 = 0;
    pub const LI: u32 = 1;
    pub const DD: u32 = 2;
    pub const DT: u32 = 3;
    pub const TD: u32 = 4;
    pub const TH: u32 = 5;
    pub const TR: u32 = 6;
    pub const TBODY: u32 = 7;
    pub const THEAD: u32 = 8;
    pub const TFOOT: u32 = 9;
    pub const OPTION: u32 = 10;
    pub const TABLE: u32 = 11;
    pub const H1: u32 = 12;
    pub const H2: u32 = 13;
    pub const H3: u32 = 14;
    pub const H4: u32 = 15;
    pub const H5: u32 = 16;
    pub const H6: u32 = 17;
    pub const HEADINGS: [u32; 6] = [H1, H2, H3, H4, H5, H6];
}

/// The stack of open elements, with, for each name and each kind the rules
/// ask about, where the topmost such element is, so every question is
/// answered without scanning the stack (a scan per tag would make the
/// pre-scan as quadratic as the parse it guards).
struct Model {
    stack: Vec<Open>,
    names: HashMap<String, u32>,
    kinds_of: Vec<u16>,
    /// Positions on the stack, per interned name.
    by_name: Vec<Vec<usize>>,
    /// Positions on the stack, per kind bit (index = bit number).
    by_kind: [Vec<usize>; 12],
    formatting: Formatting,
    deepest: usize,
}

impl Model {
    /// An empty stack, with the names the rules ask about interned.
    fn new() -> Model {
        let mut model = Model {
            stack: Vec::new(),
            names: HashMap::new(),
            kinds_of: Vec::new(),
            by_name: Vec::new(),
            by_kind: Default::default(),
            formatting: Formatting::default(),
            deepest: 0,
        };
        for name in KNOWN {
            model.intern(name);
        }
        model
    }

    /// The stack's depth, plus the formatting elements the parser will
    /// open again.
    fn depth(&self) -> usize {
        self.stack.len() + self.formatting.closed
    }

    /// Whether the current node is an SVG or MathML element whose content
    /// the parser reads as HTML, which this model does not follow.
    fn at_integration_point(&self) -> bool {
        const POINTS: [&str; 9] = [
            "foreignobject",
            "desc",
            "title",
            "mi",
            "mo",
            "mn",
            "ms",
            "mtext",
            "annotation-xml",
        ];
        self.foreign()
            && self.stack.last().is_some_and(|top| {
                POINTS
                    .iter()
                    .any(|p| self.names.get(*p).is_some_and(|&id| id == top.name))
            })
    }

    fn foreign(&self) -> bool {
        self.stack
            .last()
            .is_some_and(|o| o.kinds & kind::FOREIGN != 0)
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.names.get(name) {
            return id;
        }
        let id = self.kinds_of.len() as u32;
        self.names.insert(name.to_owned(), id);
        self.kinds_of.push(kinds(name));
        self.by_name.push(Vec::new());
        id
    }

    /// Topmost position of an element named `name`.
    fn top_of(&self, name: u32) -> Option<usize> {
        self.by_name.get(name as usize)?.last().copied()
    }

    /// Whether the topmost `name` sits above every element of kind `bit`.
    fn open_above(&self, name: u32, bit: u16) -> Option<usize> {
        let at = self.top_of(name)?;
        (!self.kind_above(bit, at)).then_some(at)
    }

    /// Like [`Model::open_above`] for the topmost of several names.
    fn any_open_above(&self, names: &[u32], bit: u16) -> Option<usize> {
        names
            .iter()
            .filter_map(|&id| self.open_above(id, bit))
            .max()
    }

    fn push(&mut self, name: u32, extra: u16) {
        let kinds = self.kinds_of[name as usize] | extra;
        let at = self.stack.len();
        self.by_name[name as usize].push(at);
        for (bit, positions) in self.by_kind.iter_mut().enumerate() {
            if kinds & (1 << bit) != 0 {
                positions.push(at);
            }
        }
        let entry = (kinds & kind::FORMAT != 0).then(|| self.formatting.push(name));
        if kinds & kind::MARKER != 0 {
            self.formatting.entries.push(Entry::Marker);
        }
        self.stack.push(Open { name, kinds, entry });
        self.deepest = self.deepest.max(self.depth());
    }

    /// Pops everything from position `at` up.
    fn pop_to(&mut self, at: usize) {
        while self.stack.len() > at {
            let Some(open) = self.stack.pop() else {
                break;
            };
            self.by_name[open.name as usize].pop();
            for (bit, positions) in self.by_kind.iter_mut().enumerate() {
                if open.kinds & (1 << bit) != 0 {
                    positions.pop();
                }
            }
            if let Some(id) = open.entry {
                self.formatting.closed_by_other(id);
            }
            if open.kinds & kind::MARKER != 0 {
                self.formatting.clear_to_marker();
            }
        }
    }

    /// A start tag. Returns whether the element was opened (so a raw-text
    /// element's contents follow).
    fn start(&mut self, name: &str, tag: &Tag<'_>) -> bool {
        let id = self.intern(name);
        let kinds = self.kinds_of[id as usize];
        if self.foreign() {
            let breakout = kinds & kind::BREAKOUT != 0 || (name == "font" && tag.font_attributes);
            if !breakout {
                if !tag.self_closing {
                    self.push(id, kind::FOREIGN);
                }
                return false;
            }
            while self.foreign() {
                self.pop_to(self.stack.len() - 1);
            }
        }
        if kinds & kind::VOID != 0 {
            return false;
        }
        if matches!(name, "html" | "head" | "body") && self.top_of(id).is_some() {
            return false;
        }
        self.close_implied(name, kinds);
        if name == "a"
            && let Some(removed) = self.formatting.remove_last(id)
        {
            self.forget_entry(removed);
        }
        if matches!(name, "svg" | "math") {
            if !tag.self_closing {
                self.push(id, kind::FOREIGN);
            }
            return false;
        }
        self.open_table_parts(name);
        self.push(id, 0);
        true
    }

    /// What a start tag closes before it opens.
    fn close_implied(&mut self, name: &str, kinds: u16) {
        if kinds & kind::CLOSES_P != 0
            && let Some(at) = self.open_above(id::P, kind::SCOPE)
        {
            self.pop_to(at);
        }
        let at = match name {
            "li" => self.any_open_above(&[id::LI], kind::LIST_STOP),
            "dd" | "dt" => self.any_open_above(&[id::DD, id::DT], kind::LIST_STOP),
            "td" | "th" => self.any_open_above(&[id::TD, id::TH], kind::TABLE),
            "tr" => self.any_open_above(&[id::TR], kind::TABLE),
            "tbody" | "thead" | "tfoot" => {
                self.any_open_above(&[id::TBODY, id::THEAD, id::TFOOT], kind::TABLE)
            }
            "option" | "optgroup" => self.top_named(&[id::OPTION]),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => self.top_named(&id::HEADINGS),
            _ => None,
        };
        if let Some(at) = at {
            self.pop_to(at);
        }
    }

    /// The top of the stack's position, when it is one of `names`.
    fn top_named(&self, names: &[u32]) -> Option<usize> {
        let top = self.stack.last()?;
        names.contains(&top.name).then(|| self.stack.len() - 1)
    }

    /// The `<tbody>` and `<tr>` the parser inserts for a row or cell written
    /// straight into a table.
    fn open_table_parts(&mut self, name: &str) {
        if !matches!(name, "tr" | "td" | "th") {
            return;
        }
        if self.top_named(&[id::TABLE]).is_some() {
            self.push(id::TBODY, 0);
        }
        if name != "tr" && self.top_named(&[id::TBODY, id::THEAD, id::TFOOT]).is_some() {
            self.push(id::TR, 0);
        }
    }

    /// An end tag closes its element only where the parser would.
    fn end(&mut self, name: &str) {
        // After `</body>` or `</html>` the parser goes on adding to the
        // elements still open, so those close nothing.
        if matches!(name, "html" | "body") {
            return;
        }
        let Some(&id) = self.names.get(name) else {
            return;
        };
        let kinds = self.kinds_of[id as usize];
        // A formatting element's end tag drops its entry from the list even
        // when something else closed the element already.
        if kinds & kind::FORMAT != 0
            && let Some(removed) = self.formatting.remove_last(id)
        {
            self.forget_entry(removed);
        }
        let Some(at) = self.top_of(id) else {
            return;
        };
        let boundaries: &[u16] = if name == "li" {
            &[kind::SCOPE, kind::LIST]
        } else if kinds & (kind::BLOCK_END | kind::SCOPE | kind::TABLE) != 0 {
            &[kind::SCOPE]
        } else {
            &[kind::SPECIAL]
        };
        let blocked = boundaries.iter().any(|&bit| self.kind_above(bit, at));
        if !blocked {
            self.pop_to(at);
        }
    }

    /// The open element of a removed formatting entry no longer has one.
    fn forget_entry(&mut self, removed: u64) {
        if let Some(open) = self
            .stack
            .iter_mut()
            .rev()
            .find(|o| o.entry == Some(removed))
        {
            open.entry = None;
        }
    }

    /// Whether an element of kind `bit` other than the one at `at` sits
    /// above position `at` (an element is its own boundary).
    fn kind_above(&self, bit: u16, at: usize) -> bool {
        self.by_kind[bit.trailing_zeros() as usize]
            .iter()
            .rev()
            .find(|&&b| b != at)
            .is_some_and(|&b| b > at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(html: &str) -> usize {
        shape(html, usize::MAX).depth
    }

    #[test]
    fn nesting_of_ordinary_markup_is_counted_as_the_parser_builds_it() {
        assert_eq!(
            depth("<div><p><span>a</span><br><div><B>b</B></div></p></div><DIV>"),
            3
        );
        assert_eq!(depth("<p><b>bold<p>more</b>"), 2);
        // The second `</b>` ends the formatting element the first `<p>`
        // closed, so the parser does not re-open it under the last `<p>`.
        assert_eq!(depth("<p><b>bold<p>more</b><p><i>x</i>"), 2);
        assert_eq!(
            depth("<table><tr><td><font>a</td><td><font>b</td></tr></table>"),
            5
        );
        assert_eq!(depth("<p>one<p>two<p>three"), 1);
        assert_eq!(depth("<ul><li>a<li>b<li><a href=x>c</a></ul>"), 3);
        assert_eq!(depth("<div><p>sloppy</div><div><p>sloppy</div>"), 2);
        assert_eq!(depth("<table><tr><td>a<td>b<tr><td>c</table>"), 4);
        assert_eq!(depth("<h1>a<h2>b</h2>"), 1);
        assert_eq!(
            depth("<svg><path d='M0 0'/><rect/><g><circle/></g></svg>"),
            2
        );
        assert_eq!(depth("<br/><img src=x><input>"), 0);
    }

    #[test]
    fn text_inside_raw_elements_comments_and_attributes_is_not_markup() {
        let html = "<script>var s = '<div><div><div>';</script>\
                    <!-- <div><div> --><title><div></title>\
                    <a title='<div><div>' href=\"a>b\">x</a><textarea><div></textarea>";
        assert_eq!(depth(html), 1);
        // Inside SVG, <style> and <title> are ordinary elements.
        assert_eq!(depth("<svg><style><g><g></style>"), 4);
    }

    #[test]
    fn lean_markup_drops_comments_and_code_only() {
        let html = "<html><head><title>A <!-- not a comment --> title</title>\
                    <script src=x.js>var a = '</div>';</script><STYLE>p { color: red }</STYLE>\
                    <script type=\"application/ld+json\">{\"datePublished\":\"2024-01-01\"}</script>\
                    </head><body><!-- a comment --><p>One<!-- x -->two</p>\
                    <textarea><!-- kept --></textarea><script><!-- ok(); --></script>\
                    <script><!-- document.write('<script>x</script>'); --></script>\
                    <svg><style>svg text</style></svg><!-- after it --><p>end</p></body></html>";
        assert_eq!(
            lean(html).as_deref(),
            Some(
                "<html><head><title>A <!-- not a comment --> title</title>\
                 <script src=x.js></script><STYLE></STYLE>\
                 <script type=\"application/ld+json\">{\"datePublished\":\"2024-01-01\"}</script>\
                 </head><body><p>Onetwo</p>\
                 <textarea><!-- kept --></textarea><script></script>\
                 <script><!-- document.write('<script>x</script>'); --></script>\
                 <svg><style>svg text</style></svg><!-- after it --><p>end</p></body></html>"
            )
        );
        // In SVG, CDATA is text up to `]]>`: nothing after it is touched.
        let cdata = "<!-- a --><svg><![CDATA[ > <!-- b --> ]]></svg><!-- c -->";
        assert_eq!(
            lean(cdata).as_deref(),
            Some("<svg><![CDATA[ > <!-- b --> ]]></svg><!-- c -->")
        );
        assert_eq!(lean("<p>plain</p>"), Some(Cow::Borrowed("<p>plain</p>")));
        // A script the parser reads "double escaped" ends at its second
        // `</script>`: nothing after it is touched.
        let escaped = "<script><!--\ndocument.write('<script src=a.js></script>'); // <!-- end\n\
                       </script><p>Kept</p><!-- footer -->";
        assert_eq!(lean(escaped).as_deref(), Some(escaped));
        // HTML inside SVG's <foreignObject> is beyond the model.
        let svg = "<svg><foreignObject><div>Label</div></foreignObject><style>.a{}</style></svg>\
                   <!-- c -->";
        assert_eq!(lean(svg).as_deref(), Some(svg));
        let icon = "<svg><title>Search</title><path d='M0'/></svg><!-- c --><p>x</p>";
        assert_eq!(
            lean(icon).as_deref(),
            Some("<svg><title>Search</title><path d='M0'/></svg><p>x</p>")
        );
        // Right after <pre>, a comment keeps the line break from being dropped.
        assert_eq!(
            lean("<pre><!-- c -->\nText<!-- d --></pre>").as_deref(),
            Some("<pre><!-- c -->\nText</pre>")
        );
        assert_eq!(lean(&"<div>".repeat(MAX_DEPTH + 10)), None);
        // An unterminated comment runs to the end, as in the parser.
        assert_eq!(lean("<p>a</p><!-- open").as_deref(), Some("<p>a</p>"));
    }

    #[test]
    fn hostile_nesting_is_not_under_counted() {
        let n = 2_000;
        for (open, close) in [
            ("<div>", ""),
            ("<address>", ""),
            ("<span><div></span>", ""),
            ("<li><section>", ""),
            ("<a><div></a>", ""),
            ("<table><tr><td>", ""),
            ("<svg><font color=red><section/>", ""),
            ("<svg><g><div/>", ""),
            ("<p><b class=x>", "x"),
            ("<dl><dd><dl><dt>", ""),
            ("<li><ul></li>", ""),
            ("<span></body>", ""),
        ] {
            let html: String = (0..n)
                .map(|i| open.replace("=x", &format!("=x{i}")))
                .collect::<String>()
                + close;
            let found = shape(&html, usize::MAX);
            assert!(
                found.depth >= n || found.work > MAX_WORK,
                "{open}: {found:?}"
            );
            assert!(too_complex(&html), "{open}");
        }
    }

    #[test]
    fn known_names_have_their_fixed_ids() {
        let model = Model::new();
        for (i, name) in KNOWN.iter().enumerate() {
            assert_eq!(model.names[*name] as usize, i, "{name}");
        }
        assert_eq!(model.names["h6"], id::H6);
        assert_eq!(model.names["table"], id::TABLE);
    }

    #[test]
    fn the_scan_stops_at_the_limit_and_counts_elements() {
        let html = "<div>".repeat(10_000);
        assert_eq!(shape(&html, 100).depth, 101);
        // Shallow enough, but a million paragraphs at that depth would cost
        // the parser seconds.
        let wide = format!("{}{}", "<div>".repeat(1_000), "<p>a</p>".repeat(10_000));
        assert!(!too_complex(&"<div>".repeat(1_000)));
        assert!(too_complex(&wide));
        assert_eq!(shape("<p>a</p><p>b</p><br>", 100).elements, 3);
    }

    #[test]
    fn one_line_texts_never_carry_markup() {
        let cases = [
            ("Hi <img src=x onerror=alert(1)> there", "Hi there"),
            (
                "Hi &lt;img src=x onerror=alert(1)&gt; there",
                "Hi &lt;img src=x onerror=alert(1)&gt; there",
            ),
            (
                "<b>Bold</b> &amp;LT;script&amp;GT;x",
                "Bold &LT;script&GT;x",
            ),
            ("<i>&lt;img src=x onerror=alert(1)&gt;</i> end", "end"),
            (
                "<p>&amp;lt;svg onload=alert(1)&amp;gt;</p>",
                "&lt;svg onload=alert(1)&gt;",
            ),
            ("a <3 b", "a <3 b"),
            ("x < y and y > z", "x < y and y > z"),
            ("第一条  新闻", "第一条 新闻"),
        ];
        for (input, expected) in cases {
            let out = plain_line(input);
            assert_eq!(out, expected, "{input}");
            assert!(!has_tag(&out), "{input}");
        }
        // Markup nested in references many times over is defused.
        let mut nested = String::from("<img src=x onerror=alert(1)>");
        for _ in 0..8 {
            nested = format!("<b>{}</b>", escape_html(&nested));
        }
        assert!(!has_tag(&plain_line(&nested)));
    }

    #[test]
    fn fallback_text_keeps_words_and_lines() {
        let deep = format!(
            "{}<p>First &amp; <b>best</b></p><p>Second&#x3c;3 &LT;ok&GT;</p>{}",
            "<div>".repeat(5_000),
            "</div>".repeat(5_000)
        );
        assert_eq!(text(&deep), "First & best\nSecond<3 <ok>");
        assert_eq!(
            text("<script>x<y</script>a<style>p{}</style>b<!-- c -->d"),
            "a bd"
        );
        assert_eq!(text("2 < 3 and &bogus; &#xZZ;"), "2 < 3 and &bogus; &#xZZ;");
        assert_eq!(text("<p>unterminated <a href='x"), "unterminated");
    }
}
