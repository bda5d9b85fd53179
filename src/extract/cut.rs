//! Cutting whole paragraphs out of article HTML by what they say: a site's
//! template lines (its footer, promo and credit boxes, learnt from its
//! other pages) leave the text feedfold republishes, even where one page's
//! extraction kept them.

use std::collections::HashMap;

use dom_query::{Document, NodeId, NodeRef};

use super::blocks::{self, Block};
use super::choose::prune_empty;
use super::{MAX_DEPTH, nesting};
use crate::text::markup;

/// `html` without the paragraphs `drop` picks, each judged by its text as
/// [`super::html_to_text`] gives it (one line per paragraph), the elements
/// they leave empty gone too; and how many went. `None` when nothing goes,
/// when the markup is too deep to cut safely, or when every paragraph
/// would go: a body of chrome alone is shown as it is rather than as
/// nothing, so a template learnt wrongly never empties a story.
pub fn drop_paragraphs(html: &str, mut drop: impl FnMut(&str) -> bool) -> Option<(String, usize)> {
    if markup::too_complex(html) {
        return None;
    }
    let fragment = Document::fragment(html);
    if nesting(&fragment) > MAX_DEPTH {
        return None;
    }
    let blocks = blocks::blocks(&fragment.root());
    let texts = blocks.iter().filter(|b| b.chars > 0).count();
    let gone: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.chars > 0 && !in_kept_element(b, &fragment) && drop(&b.text))
        .collect();
    if gone.is_empty() || gone.len() == texts {
        return None;
    }
    // A text node can feed several blocks (lines split at `<br>`); it goes
    // only with the last of them.
    let mut uses: HashMap<NodeId, usize> = HashMap::new();
    for id in blocks.iter().flat_map(|b| &b.nodes) {
        *uses.entry(*id).or_default() += 1;
    }
    for id in gone.iter().flat_map(|b| &b.nodes) {
        if let Some(left) = uses.get_mut(id) {
            *left -= 1;
            if *left == 0 {
                NodeRef::new(*id, &fragment.tree).remove_from_parent();
            }
        }
    }
    let root = fragment.root();
    prune_empty(&root);
    // A fragment parses into an `<html>` element; its content is the body.
    let html = root
        .children()
        .into_iter()
        .find(|n| n.node_name().as_deref() == Some("html"))
        .map_or_else(|| root.inner_html(), |element| element.inner_html());
    Some((html.to_string(), gone.len()))
}

/// Whether `block` sits in a table cell or preformatted text: a site's
/// tables repeat their headers and short cells ("Pts", "2025", "N/A") and
/// its code listings their common lines on many pages, and a story without
/// them would be wrong rather than cleaner.
fn in_kept_element(block: &Block, fragment: &Document) -> bool {
    let Some(&first) = block.nodes.first() else {
        return false;
    };
    NodeRef::new(first, &fragment.tree)
        .ancestors_it(None)
        .any(|a| matches!(a.node_name().as_deref(), Some("td" | "th" | "pre" | "code")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_paragraphs_go_with_the_elements_they_leave_empty() {
        let html = "<p>Dock workers accepted the offer.</p>\
                    <div class=promo><p>Sign up for our <a href=/n>newsletter</a></p></div>\
                    <p>Ships leave on Monday.<br>Share this story</p>\
                    <figure><img src=/a.jpg></figure>";
        let chrome = ["Sign up for our newsletter", "Share this story"];
        let (cut, gone) = drop_paragraphs(html, |line| chrome.contains(&line)).unwrap();
        assert_eq!(gone, 2);
        assert!(
            !cut.contains("newsletter") && !cut.contains("promo"),
            "{cut}"
        );
        assert!(!cut.contains("Share"), "{cut}");
        assert!(
            cut.contains("<p>Dock workers accepted the offer.</p>"),
            "{cut}"
        );
        assert!(cut.contains("Ships leave on Monday."), "{cut}");
        // Pictures have no text, yet stay.
        assert!(cut.contains("<img src=\"/a.jpg\">"), "{cut}");
    }

    #[test]
    fn nothing_named_or_everything_named_leaves_the_body_alone() {
        let html = "<p>Sign up for our newsletter</p><p>Share this story</p>";
        assert_eq!(drop_paragraphs(html, |_| false), None);
        assert_eq!(drop_paragraphs(html, |_| true), None);
        assert_eq!(drop_paragraphs("", |_| true), None);
        let deep = "<div>".repeat(100_000);
        assert_eq!(drop_paragraphs(&deep, |_| true), None);
    }

    #[test]
    fn table_cells_and_code_stay_and_shared_text_nodes_go_only_whole() {
        let html = "<table><tr><th>Team</th><th>Pts</th></tr><tr><td>Rovers</td><td>12</td></tr></table>\
                    <pre>import numpy as np\nprint(1)</pre>\
                    <p>Rovers won again.</p><p>Share this story</p>";
        let named = [
            "Team",
            "Pts",
            "12",
            "import numpy as np",
            "Share this story",
        ];
        let (cut, gone) = drop_paragraphs(html, |line| named.contains(&line)).unwrap();
        assert_eq!(gone, 1, "{cut}");
        assert!(
            cut.contains("<th>Pts</th>") && cut.contains("<td>12</td>"),
            "{cut}"
        );
        assert!(cut.contains("import numpy as np\nprint(1)"), "{cut}");
        // Lines split by <br>: the named one goes, its neighbour stays.
        let html = "<p>Rovers won.</p><p>Sign up now<br>Ferries stop.</p>";
        let (cut, _) = drop_paragraphs(html, |line| line == "Sign up now").unwrap();
        assert!(
            cut.contains("Ferries stop.") && !cut.contains("Sign up"),
            "{cut}"
        );
    }

    #[test]
    fn chinese_paragraphs_are_judged_whole() {
        let html = "<p>新华社北京12月3日电 记者从交通运输部获悉。</p><p>责任编辑：张三</p>";
        let (cut, gone) = drop_paragraphs(html, |line| line == "责任编辑：张三").unwrap();
        assert_eq!(gone, 1);
        assert_eq!(cut, "<p>新华社北京12月3日电 记者从交通运输部获悉。</p>");
    }
}
