//! Article text from HTML. For now: readable plain text of an HTML fragment,
//! used for titles and summaries; main-content extraction grows here.

use scraper::Html;

/// Plain text of an HTML fragment: tags dropped, entities decoded, block
/// elements separated by newlines, runs of spaces collapsed.
pub fn html_to_text(html: &str) -> String {
    let fragment = Html::parse_fragment(html);
    let mut out = String::new();
    for node in fragment.root_element().descendants() {
        if let Some(text) = node.value().as_text() {
            let hidden = node
                .parent()
                .and_then(|p| p.value().as_element().map(|e| e.name()))
                .is_some_and(|name| matches!(name, "script" | "style" | "noscript" | "template"));
            if !hidden {
                out.push_str(text);
            }
        } else if let Some(element) = node.value().as_element()
            && is_block(element.name())
        {
            out.push('\n');
        }
    }
    out.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
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
            | "section"
            | "article"
            | "header"
            | "footer"
            | "figure"
            | "figcaption"
            | "hr"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_paragraphs_and_decodes_entities() {
        assert_eq!(
            html_to_text("<p>One &amp; <b>two</b></p><p>Three</p>"),
            "One & two\nThree"
        );
        assert_eq!(html_to_text("plain   text"), "plain text");
        assert_eq!(
            html_to_text("<p>a</p><script>x()</script><style>p{}</style>"),
            "a"
        );
        assert_eq!(html_to_text(""), "");
    }
}
