//! Related-link and "more stories" lists: runs of paragraphs that are
//! mostly link text, or headlines each followed by a date
//! ("贵州大方:众志成城抗疫情2024-08-19"), with the separators between them.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule, is_prose, is_separator_only};
use crate::extract::blocks::Block;

/// Drops link lists.
pub(crate) struct LinkLists;

/// A date (and time) closing a short headline.
static TRAILING_DATE: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?:\d{4}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?\s*[)）\]】]?$",
    )
});

/// A paragraph that is a date alone, maybe run into a view count
/// ("2019-09-06107").
static DATE_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"^(?:\d{4}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?\s*\d*$",
    )
});

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Running text.
    Text,
    /// Mostly link text.
    Link,
    /// A headline closed by a date.
    Dated,
    /// Separators only ("-", "|").
    Separator,
    /// A short line that is not a sentence: a headline, maybe of a list.
    Short,
}

fn kind(block: &Block) -> Kind {
    if is_separator_only(&block.text) {
        Kind::Separator
    } else if block.link_density() >= 0.6 {
        Kind::Link
    } else if is_dated_headline(&block.text) || DATE_ONLY.is_match(&block.text) {
        Kind::Dated
    } else if block.chars <= 40 && !block.text.contains(['。', '！', '？', '，']) {
        Kind::Short
    } else {
        Kind::Text
    }
}

fn is_dated_headline(text: &str) -> bool {
    let Some(date) = TRAILING_DATE.find(text) else {
        return false;
    };
    let headline = text[..date.start()].trim();
    let length = headline.chars().count();
    (4..=80).contains(&length) && !headline.contains(['。', '；'])
}

impl Rule for LinkLists {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        let kinds: Vec<Kind> = blocks.iter().map(kind).collect();
        let prose: Vec<usize> = (0..blocks.len())
            .filter(|&i| is_prose(&blocks[i]))
            .collect();
        let (first, last) = (prose.first().copied(), prose.last().copied());
        let mut i = 0;
        while i < blocks.len() {
            if kinds[i] == Kind::Text {
                i += 1;
                continue;
            }
            let end = (i..blocks.len())
                .find(|&j| kinds[j] == Kind::Text)
                .unwrap_or(blocks.len());
            // A list of links inside the story (a blog post's list of bugs
            // fixed) is content; one before or after it is furniture.
            let edge = first.is_none_or(|f| end <= f) || last.is_none_or(|l| i > l);
            let run = (&kinds[i..end], &blocks[i..end]);
            if is_list(run.0, run.1) && (edge || dated_list(run.0) || is_navigation(run.0, run.1)) {
                keep[i..end].fill(false);
            }
            i = end;
        }
    }
}

/// Whether a run is a site's navigation: at least five linked list items,
/// most of them labels of a word or three ("Weather", "Maps & Directions").
/// A list of links a story itself gives (bugs fixed, sources) names things
/// at more length, and a table of linked names is data, not a list; so
/// this one goes even from the middle of a story, where a page's layout
/// dropped it between paragraphs.
fn is_navigation(kinds: &[Kind], blocks: &[Block]) -> bool {
    let labels: Vec<usize> = blocks
        .iter()
        .zip(kinds)
        .filter(|(b, k)| **k == Kind::Link && b.list_item)
        .map(|(b, _)| b.text.split_whitespace().count())
        .collect();
    let short = labels.iter().filter(|&&words| words <= 3).count();
    labels.len() >= 5 && short * 4 >= labels.len() * 3
}

fn dated_list(kinds: &[Kind]) -> bool {
    kinds.iter().filter(|&&k| k == Kind::Dated).count() >= 2
}

/// Whether a run of non-text paragraphs is a list: three links, two dated
/// headlines, or two linked list items.
fn is_list(kinds: &[Kind], blocks: &[Block]) -> bool {
    let count = |k: Kind| kinds.iter().filter(|&&x| x == k).count();
    let links = count(Kind::Link);
    let dated = count(Kind::Dated);
    let items = blocks
        .iter()
        .zip(kinds)
        .filter(|(b, k)| **k == Kind::Link && b.list_item)
        .count();
    links + dated >= 3 || dated >= 2 || items >= 2
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    #[test]
    fn headline_lists_go_a_linked_sentence_stays() {
        let prose = "市委副书记陈浩赴乐清先后察看甬台温高速乐清北出口等地防控措施落实情况。";
        let blocks = [
            block(prose, 0),
            block("See the full report on the council's site.", 20),
            block(prose, 0),
            block("-", 0),
            block("贵州大方:众志成城抗疫情2024-08-19", 0),
            block("-", 0),
            block("市民无偿献血助力春城战胜疫情2024-08-19", 0),
            block("-", 0),
            block("北京小汤山医院启动修缮工程 视疫情变化随时启用2024-08-19", 0),
        ];
        let mut keep = vec![true; blocks.len()];
        LinkLists.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(
            kept(&blocks, &keep),
            [prose, "See the full report on the council's site.", prose]
        );
    }

    #[test]
    fn navigation_goes_from_mid_story_a_list_of_things_stays() {
        let prose = "The strike ended on Sunday night after a twelve-day stoppage at the port, the union and the operator said in a joint statement issued late on Sunday evening.";
        let nav = [
            "News",
            "Opinion",
            "Sports",
            "Weather",
            "Maps & Directions",
            "Your Commute",
        ];
        let mut blocks = vec![block(prose, 0)];
        let item = |text: &str| Block {
            list_item: true,
            ..block(text, text.len())
        };
        blocks.extend(nav.iter().map(|n| item(n)));
        blocks.push(block(prose, 0));
        let mut keep = vec![true; blocks.len()];
        LinkLists.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep), [prose, prose]);
        let fixed = [
            "Crash when a feed has no title element",
            "Wrong charset picked for GBK pages without a meta tag",
            "Timeouts ignored for redirects to another host",
            "Duplicate entries after a restart during a fetch",
            "Scheduler drifting by a second per day on slow disks",
        ];
        let mut blocks = vec![block(prose, 0)];
        blocks.extend(fixed.iter().map(|n| item(n)));
        blocks.push(block(prose, 0));
        let mut keep = vec![true; blocks.len()];
        LinkLists.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep).len(), 7);
        // Linked names in table cells are data.
        let mut blocks = vec![block(prose, 0)];
        blocks.extend(nav.iter().map(|n| block(n, n.len())));
        blocks.push(block(prose, 0));
        let mut keep = vec![true; blocks.len()];
        LinkLists.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep).len(), 8);
    }

    #[test]
    fn runs_of_links_go() {
        let prose = "The strike ended on Sunday night after a twelve-day stoppage.";
        let blocks = [
            block(prose, 0),
            block("Port strike talks resume", 24),
            block("Ships queue off the coast", 25),
            block("Freight rates climb", 19),
        ];
        let mut keep = vec![true; blocks.len()];
        LinkLists.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep), [prose]);
    }
}
