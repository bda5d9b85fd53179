//! The text model extraction reasons about: a tree read as blocks, one per
//! paragraph, split at block-level elements and `<br>`, each knowing how
//! much of its text is link text and which text nodes it came from (so a
//! block judged boilerplate can be cut from the HTML as well as the text).

use dom_query::{NodeId, NodeRef};

use crate::text::markup::is_block;

/// One paragraph of text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Block {
    /// The text, runs of whitespace collapsed to one space.
    pub text: String,
    /// Non-space characters of the text.
    pub chars: usize,
    /// Non-space characters inside links.
    pub link_chars: usize,
    /// The text nodes the block was read from.
    pub nodes: Vec<NodeId>,
    /// Inside `<li>`.
    pub list_item: bool,
    /// Inside `<h1>`…`<h6>`.
    pub heading: bool,
    /// Comes right after an image (so may be its caption).
    pub after_image: bool,
}

impl Block {
    /// Share of the text that is link text.
    pub fn link_density(&self) -> f64 {
        if self.chars == 0 {
            0.0
        } else {
            self.link_chars as f64 / self.chars as f64
        }
    }

    /// Whether the paragraph reads as running text: long enough for a
    /// sentence (fewer characters carry one in Chinese than in English),
    /// few links, and no program code (a page whose `<script>` tag was cut
    /// off shows its code as text, which is long and has no links).
    pub fn reads_as_prose(&self) -> bool {
        // The script is read only where it decides: this runs each time a
        // paragraph's prose is weighed.
        let sentence =
            self.chars >= 60 || (self.chars >= 20 && crate::text::script::has_cjk(&self.text));
        sentence && self.link_density() < 0.3 && !is_code(&self.text, self.chars)
    }
}

/// Whether a text of `chars` non-space characters reads as program code:
/// braces or assignments, and code punctuation (`{ } ; =`) at least one
/// character in fifty, which prose, where a semicolon is rare and braces
/// never appear, does not reach. Counted over bytes: the marks are ASCII,
/// and this runs each time a paragraph's prose is weighed.
fn is_code(text: &str, chars: usize) -> bool {
    let (mut code, mut marks) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'{' | b'}' | b'=' => (code, marks) = (code + 1, marks + 1),
            b';' => code += 1,
            _ => {}
        }
    }
    marks > 0 && code * 50 >= chars
}

/// Elements whose text is never content.
pub(crate) fn is_hidden(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "button"
            | "select"
            | "option"
            | "textarea"
            | "head"
            | "title"
            | "iframe"
            | "object"
            | "canvas"
            | "input"
    )
}

/// An element the page hides (`hidden`, `aria-hidden`, `display: none`).
pub(crate) fn is_concealed(node: &NodeRef<'_>) -> bool {
    node.has_attr("hidden")
        || node
            .attr("aria-hidden")
            .is_some_and(|v| v.as_ref() == "true")
        || node.attr("style").is_some_and(|style| {
            squeezed_has(&style, b"display:none") || squeezed_has(&style, b"visibility:hidden")
        })
}

/// Whether `style`, with white space removed and ASCII letters lowercased,
/// contains `pattern` (ASCII, at most 32 bytes): read in place, since
/// every element with a style attribute is asked.
fn squeezed_has(style: &str, pattern: &[u8]) -> bool {
    let n = pattern.len();
    let mut window = [0u8; 32];
    let mut seen = 0usize;
    for c in style.chars().filter(|c| !c.is_whitespace()) {
        // No byte of a non-ASCII character is an ASCII one.
        window[seen % n] = if c.is_ascii() {
            (c as u8).to_ascii_lowercase()
        } else {
            0x80
        };
        seen += 1;
        if seen >= n && (0..n).all(|i| window[(seen - n + i) % n] == pattern[i]) {
            return true;
        }
    }
    false
}

/// Reads `root`'s subtree as blocks, in document order; empty paragraphs
/// are skipped.
pub(crate) fn blocks(root: &NodeRef<'_>) -> Vec<Block> {
    let mut reader = Reader::default();
    reader.walk(root);
    reader.flush();
    reader.blocks
}

/// The text of blocks, one paragraph per line.
pub(crate) fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&block.text);
    }
    out
}

#[derive(Clone, Copy, Default)]
struct Context {
    link: bool,
    list_item: bool,
    heading: bool,
    /// Inside `<pre>`: line breaks are paragraph breaks.
    pre: bool,
}

#[derive(Default)]
struct Reader {
    blocks: Vec<Block>,
    current: Block,
    raw: String,
    /// An image was passed since the last paragraph.
    image: bool,
}

/// One step of the walk: a node to read, or the end of a block element.
enum Step<'a> {
    Visit(NodeRef<'a>, Context),
    Close,
}

impl Reader {
    /// Reads `root`'s subtree in document order. The walk keeps its own
    /// stack: markup comes from outside, and one call frame per level of
    /// nesting would let a hostile page overflow the thread's stack.
    fn walk(&mut self, root: &NodeRef<'_>) {
        let mut steps = vec![Step::Visit(*root, Context::default())];
        while let Some(step) = steps.pop() {
            match step {
                Step::Close => self.flush(),
                Step::Visit(node, context) => self.visit(&node, context, &mut steps),
            }
        }
    }

    fn visit<'a>(&mut self, node: &NodeRef<'a>, context: Context, steps: &mut Vec<Step<'a>>) {
        if node.is_text() {
            self.text(node, context);
            return;
        }
        if !(node.is_element() || node.is_document() || node.is_fragment()) {
            return;
        }
        let name = node.node_name();
        let name = name.as_deref().unwrap_or("");
        if is_hidden(name) || is_concealed(node) {
            return;
        }
        if matches!(name, "img" | "picture" | "video") {
            self.flush();
            self.image = true;
            return;
        }
        if is_block(name) {
            self.flush();
            steps.push(Step::Close);
        }
        let context = Context {
            link: context.link || name == "a",
            list_item: context.list_item || name == "li",
            heading: context.heading || matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6"),
            pre: context.pre || name == "pre",
        };
        // Last child first, so the first is read first.
        steps.extend(
            node.children_it(true)
                .map(|child| Step::Visit(child, context)),
        );
    }

    fn text(&mut self, node: &NodeRef<'_>, context: Context) {
        let text = node.text();
        if context.pre && text.contains('\n') {
            let mut lines = text.split('\n').peekable();
            while let Some(line) = lines.next() {
                self.add(node, context, line);
                if lines.peek().is_some() {
                    self.flush();
                }
            }
        } else {
            self.add(node, context, &text);
        }
    }

    fn add(&mut self, node: &NodeRef<'_>, context: Context, text: &str) {
        // Icon-font glyphs live in the private use area; they are not text.
        let text: std::borrow::Cow<'_, str> = if !text.is_ascii() && text.contains(is_private_use) {
            text.replace(is_private_use, "").into()
        } else {
            text.into()
        };
        let chars = non_space_chars(&text);
        if chars == 0 {
            self.raw.push(' ');
            return;
        }
        self.raw.push_str(&text);
        self.current.chars += chars;
        if context.link {
            self.current.link_chars += chars;
        }
        self.current.list_item |= context.list_item;
        self.current.heading |= context.heading;
        if self.current.nodes.last() != Some(&node.id) {
            self.current.nodes.push(node.id);
        }
    }

    fn flush(&mut self) {
        let mut block = std::mem::take(&mut self.current);
        if block.chars > 0 {
            block.text = crate::text::space::collapse(&self.raw);
            block.after_image = std::mem::take(&mut self.image);
            match self.blocks.last_mut() {
                Some(previous) if continues(previous, &block) => previous.absorb(block),
                _ => self.blocks.push(block),
            }
        }
        self.raw.clear();
    }
}

/// Whether `next` is the rest of `previous`'s sentence, split off by markup
/// (`…症状中，<u>味觉…指标</u>。`): it starts with closing punctuation, or
/// `previous` ends with a comma, which no Chinese paragraph ends with.
fn continues(previous: &Block, next: &Block) -> bool {
    const CLOSING: &[char] = &[
        '。', '，', '、', '；', '：', '！', '？', '）', '」', '』', '”', '》',
    ];
    !previous.heading
        && !next.heading
        && (next.text.starts_with(CLOSING) || previous.text.ends_with(['，', '、']))
}

impl Block {
    fn absorb(&mut self, next: Block) {
        self.text.push_str(&next.text);
        self.chars += next.chars;
        self.link_chars += next.link_chars;
        self.nodes.extend(next.nodes);
        self.list_item |= next.list_item;
    }
}

/// Characters of `text` that are not white space (as `char::is_whitespace`
/// has it); ASCII text is counted a byte at a time.
fn non_space_chars(text: &str) -> usize {
    if text.is_ascii() {
        return text
            .bytes()
            .filter(|b| !matches!(b, b' ' | b'\t'..=b'\r'))
            .count();
    }
    text.chars().filter(|c| !c.is_whitespace()).count()
}

fn is_private_use(c: char) -> bool {
    ('\u{e000}'..='\u{f8ff}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(html: &str) -> Vec<Block> {
        let doc = dom_query::Document::fragment(html);
        blocks(&doc.root())
    }

    #[test]
    fn hidden_styles_are_found_through_case_and_spaces() {
        for (style, hidden) in [
            ("DISPLAY : None; color: red", true),
            ("color:red;visibility:\thidden", true),
            ("display:block", false),
            ("display:nonè", false),
            ("displày:none", false),
            ("", false),
        ] {
            let html = format!("<p style='{style}'>x</p>");
            let doc = dom_query::Document::fragment(html.as_str());
            let p = doc.select("p").nodes().first().cloned();
            assert_eq!(p.is_some_and(|p| is_concealed(&p)), hidden, "{style}");
        }
    }

    #[test]
    fn non_space_characters_are_counted_alike_in_ascii_and_beyond() {
        for text in ["a b\tc\nd\x0be\x0cf\rg", "  ", "", "x\u{85}y\u{a0}z 港口"] {
            let reference = text.chars().filter(|c| !c.is_whitespace()).count();
            assert_eq!(non_space_chars(text), reference, "{text:?}");
        }
    }

    #[test]
    fn code_shown_as_text_is_no_prose() {
        let code = "pe, fn, false ); EventCache.add(obj, type, fn); } else if (obj.attachEvent) { \
                    obj[type+fn] = function() { obj.handler( window.event ); }";
        let prose = "The council voted on Tuesday; the harbour budget passed by seven votes to \
                     four, and the breakwater (a long-promised project) will be built next year.";
        let b = read(&format!("<p>{code}</p><p>{prose}</p>"));
        assert!(!b[0].reads_as_prose(), "{code}");
        assert!(b[1].reads_as_prose(), "{prose}");
    }

    #[test]
    fn paragraphs_split_at_blocks_and_breaks() {
        let b = read(
            "<div>One <b>two</b><br>three<p>four <a href='x'>link</a></p>  </div><script>x()</script>",
        );
        let texts: Vec<&str> = b.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["One two", "three", "four link"]);
        assert_eq!(b[2].link_chars, 4);
        assert_eq!(b[2].chars, 8);
        assert_eq!(b[0].nodes.len(), 2);
    }

    #[test]
    fn markup_inside_a_sentence_does_not_split_it() {
        let b = read(
            "<p>此前，发烧被认为是主要症状。最新研究发现：新冠感染症状中，</p><p><u>味觉丧失更具特异性</u></p><p>。</p><p>下一段。</p>",
        );
        let texts: Vec<&str> = b.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "此前，发烧被认为是主要症状。最新研究发现：新冠感染症状中，味觉丧失更具特异性。",
                "下一段。"
            ]
        );
    }

    #[test]
    fn code_keeps_its_lines_icons_go_captions_are_marked() {
        let b = read(
            "<pre><code>int main() {\n  return 0;\n}</code></pre><p>\u{e621}Lead</p><img src='a.png'><p>活动现场</p>",
        );
        let texts: Vec<&str> = b.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            ["int main() {", "return 0;", "}", "Lead", "活动现场"]
        );
        assert!(b[4].after_image && !b[3].after_image);
    }

    #[test]
    fn list_items_and_headings_are_marked() {
        let b = read("<h2>Head</h2><ul><li><a href='/a'>A story</a></li></ul>");
        assert!(b[0].heading && !b[0].list_item);
        assert!(b[1].list_item && (b[1].link_density() - 1.0).abs() < 1e-9);
    }
}

#[cfg(test)]
mod deep {
    use super::*;

    #[test]
    fn a_tree_deeper_than_the_stack_allows_is_read() {
        // Built through the tree API, not the parser, so no depth guard
        // stands in front of the walk.
        let doc = dom_query::Document::fragment("<div id='top'></div>");
        let mut node = doc.select("#top").nodes()[0];
        for _ in 0..200_000 {
            let child = doc.tree.new_element("div");
            node.append_child(&child);
            node = child;
        }
        let text = doc.tree.new_text("deep");
        node.append_child(&text);
        let read = blocks(&doc.root());
        assert_eq!(render(&read), "deep");
    }
}
