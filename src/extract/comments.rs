//! Readers' comments, taken off the page before either strategy looks for
//! the article. A comment thread is the one part of a page whose text
//! reads like an article's (long, punctuated paragraphs, often more of
//! them than the story has), so text features alone let it win over a
//! short post; its markup names it, though (`id="comments"`,
//! `class="commentlist"`, `id="disqus_thread"`), and that name is read
//! here and nowhere else. An element so named that holds the page's
//! headline (`<h1>`) is kept: that is a page built around comments, or a
//! name used loosely.

use std::sync::LazyLock;

use dom_query::{Document, NodeRef};
use regex::Regex;

use super::built_in;

/// A class or id naming a comment section or a single comment.
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?i)^(?:comments?(?:[-_]?(?:list|area|section|wrap|wrapper|container|thread|block|box|body|content|holder|widget))?|commentlist|disqus_thread|dsq-content|respond)$",
    )
});

/// Whether an element's class or id names it a comment section.
fn is_named_comments(node: &NodeRef<'_>) -> bool {
    ["id", "class"].iter().any(|name| {
        node.attr(name)
            .is_some_and(|value| value.split_whitespace().any(|token| NAME.is_match(token)))
    })
}

/// Removes the page's comment sections; returns how many were removed.
pub(crate) fn remove(document: &Document) -> usize {
    let Some(body) = document.body() else {
        return 0;
    };
    let mut found = Vec::new();
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        for child in node.children_it(false).filter(|c| c.is_element()) {
            if is_named_comments(&child) && !holds_headline(&child) {
                found.push(child);
            } else {
                stack.push(child);
            }
        }
    }
    for node in &found {
        node.remove_from_parent();
    }
    found.len()
}

fn holds_headline(node: &NodeRef<'_>) -> bool {
    node.descendants_it()
        .any(|d| d.node_name().as_deref() == Some("h1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_sections_go_the_story_stays() {
        let document = Document::from(
            "<html><body><div class='post'><h1>Keeper emails</h1><p>For the past week I have been getting great emails.</p></div>\
             <div id='comments'><p>Thanks for this Bob. On your recommendation I just signed up.</p></div>\
             <ol class='commentlist'><li class='comment'>Great post.</li></ol>\
             <div class='comments-enabled post-footer'><p>Share this</p></div>\
             <section class='comment'><h1>Comments on a page built of them</h1></section></body></html>",
        );
        assert_eq!(remove(&document), 2);
        let text = document.body().unwrap().text();
        assert!(text.contains("great emails"), "{text}");
        assert!(!text.contains("Thanks for this Bob"), "{text}");
        assert!(!text.contains("Great post"), "{text}");
        assert!(text.contains("Share this"), "{text}");
        assert!(text.contains("page built of them"), "{text}");
    }
}
