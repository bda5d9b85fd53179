//! The title and the teaser repeated before the lead: a first paragraph
//! that is (nearly) the headline, or a summary ("摘要：…", "划重点：…", a
//! standfirst, the headline run into a cut-off teaser) whose words the
//! paragraphs after it say again — once, not in paragraph after paragraph
//! (that is a page repeating itself, and nothing is dropped).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule, squash};
use crate::extract::blocks::Block;

/// Drops a repeated title or teaser at the top.
pub(crate) struct Teaser;

/// How many leading paragraphs are looked at.
const HEAD: usize = 6;

/// Share of a paragraph's character 4-grams found later that makes it a
/// repeat.
const REPEATED: f64 = 0.7;

/// Labels of a summary box.
static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    built_in(r"^(?:摘要|导语|导读|划重点|核心提示|内容提要|提要|summary)\s*[:：]?\s*")
});

impl Rule for Teaser {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], context: &Context<'_>) {
        let title = squash(context.title);
        let summary = context.summary.map(squash).unwrap_or_default();
        // Only the top of the story is compared.
        let squashed: Vec<String> = blocks
            .iter()
            .take(2 * HEAD + 1)
            .map(|b| squash(&b.text))
            .collect();
        for i in 0..blocks.len().min(HEAD) {
            if !keep[i] {
                continue;
            }
            let labelled = LABEL
                .find(&blocks[i].text)
                .map(|m| &blocks[i].text[m.end()..]);
            let text = squash(labelled.unwrap_or(&blocks[i].text));
            let rest = text.strip_prefix(title.as_str()).unwrap_or(&text);
            if rest.is_empty() && (!title.is_empty() || labelled.is_some()) {
                keep[i] = false;
                continue;
            }
            if i == first_kept(keep) && is_headline(&blocks[i].text, &title) {
                keep[i] = false;
                continue;
            }
            let first = i == first_kept(keep) || labelled.is_some();
            let later = later_text(&squashed, keep, i);
            let repeated = first
                && rest.chars().count() >= 10
                && containment(rest, &later.concat()) >= REPEATED
                && later
                    .iter()
                    .filter(|l| containment(rest, l) >= REPEATED)
                    .count()
                    < 2;
            let is_summary = !summary.is_empty()
                && rest == summary
                && later.iter().any(|l| l.contains(&summary));
            if repeated || is_summary {
                keep[i] = false;
            }
        }
    }
}

fn first_kept(keep: &[bool]) -> usize {
    keep.iter().position(|k| *k).unwrap_or(keep.len())
}

/// A line that is the headline again, perhaps reworded a little: no full
/// stop, not much longer, and most of its character pairs shared.
fn is_headline(text: &str, title: &str) -> bool {
    let squashed = squash(text);
    let (length, title_length) = (squashed.chars().count(), title.chars().count());
    title_length > 0
        && !text.contains(['。', '.'])
        && length * 10 <= title_length * 13
        && dice(&squashed, title) >= 0.7
}

/// The next few kept paragraphs after `i`, squashed: a teaser is said
/// again near the top. A paragraph said again in several of them is a
/// motif of the page, not a teaser.
fn later_text<'a>(squashed: &'a [String], keep: &[bool], i: usize) -> Vec<&'a str> {
    squashed[i + 1..]
        .iter()
        .zip(&keep[i + 1..])
        .filter(|(_, k)| **k)
        .map(|(s, _)| s.as_str())
        .take(HEAD)
        .collect()
}

fn grams(text: &str, n: usize) -> HashSet<&str> {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    bounds.windows(n + 1).map(|w| &text[w[0]..w[n]]).collect()
}

/// Share of `part`'s character 4-grams that occur in `whole`. Only the
/// (small) part's grams are collected; the whole is streamed past them.
fn containment(part: &str, whole: &str) -> f64 {
    let wanted = grams(part, 4);
    if wanted.is_empty() {
        return 0.0;
    }
    let mut found: HashSet<&str> = HashSet::with_capacity(wanted.len());
    let mut window: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    for (at, _) in whole
        .char_indices()
        .chain(std::iter::once((whole.len(), ' ')))
    {
        window.push_back(at);
        if window.len() > 5 {
            window.pop_front();
        }
        if window.len() == 5 {
            let gram = &whole[window[0]..window[4]];
            if wanted.contains(gram) {
                found.insert(gram);
                if found.len() == wanted.len() {
                    break;
                }
            }
        }
    }
    found.len() as f64 / wanted.len() as f64
}

/// Dice similarity of two texts' character pairs.
fn dice(a: &str, b: &str) -> f64 {
    let (a, b) = (grams(a, 2), grams(b, 2));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(&b).count() as f64 / (a.len() + b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    fn run(blocks: &[Block], title: &str, summary: Option<&str>) -> Vec<String> {
        let mut keep = vec![true; blocks.len()];
        Teaser.apply(
            blocks,
            &mut keep,
            &Context {
                title,
                summary,
                core: None,
            },
        );
        kept(blocks, &keep)
    }

    #[test]
    fn title_and_teaser_before_the_lead_go() {
        let title = "市四套班子领导分赴各地,督查基层疫情防控工作落实情况";
        let lead = "连日来,陈伟俊、姚高员、葛益平、陈作荣、陈浩等市四套班子领导,分赴我市12个县(市、区),开展疫情防控督导检查。";
        let next = "继前两天赴鹿城、龙湾、瓯海、乐清等地明察暗访后。";
        let blocks = [
            block(
                &format!(
                    "{title}连日来,陈伟俊、姚高员、葛益平、陈作荣、陈浩等市四套班子领导,分赴我市12个县"
                ),
                0,
            ),
            block(lead, 0),
            block(next, 0),
        ];
        assert_eq!(run(&blocks, title, None), [lead, next]);

        let blocks = [
            block("Port strike ends", 0),
            block("Dock workers voted.", 0),
        ];
        assert_eq!(
            run(&blocks, "Port Strike Ends", None),
            ["Dock workers voted."]
        );
    }

    #[test]
    fn labelled_summaries_and_reworded_headlines_go() {
        let lead = "2014年8月22日，某公司发布了新一代芯片，性能提升一倍，功耗降低一半。";
        let blocks = [
            block(
                "摘要：2014年8月22日，某公司发布了新一代芯片，性能提升一倍。",
                0,
            ),
            block(lead, 0),
        ];
        assert_eq!(run(&blocks, "新芯片发布", None), [lead]);

        let blocks = [
            block("姚明对周琦说了啥？大魔王上下半场判若两人", 0),
            block(lead, 0),
        ];
        assert_eq!(
            run(&blocks, "姚明对周琦说了啥？大魔王判若两人", None),
            [lead]
        );
    }

    #[test]
    fn a_lead_that_is_not_repeated_stays() {
        let blocks = [
            block("Dock workers voted on Sunday to accept the offer.", 0),
            block("The strike had lasted twelve days.", 0),
        ];
        let summary = Some("Dock workers voted on Sunday to accept the offer.");
        assert_eq!(run(&blocks, "Port strike ends", summary).len(), 2);
        let blocks = [
            block("下周一，", 0),
            block("对标诺贝尔奖", 0),
            block("正文。", 0),
        ];
        assert_eq!(run(&blocks, "对标诺贝尔奖的科学大奖揭晓", None).len(), 3);
    }
}
