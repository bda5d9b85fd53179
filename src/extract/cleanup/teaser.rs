//! The title and the teaser repeated before the lead: a first paragraph
//! that is the headline, or the headline run into a cut-off teaser
//! ("市四套班子…情况连日来,陈伟俊…开展") that the next paragraphs say in
//! full.

use super::{Context, Rule, squash};
use crate::extract::blocks::Block;

/// Drops a repeated title or teaser at the top.
pub(crate) struct Teaser;

/// How many leading paragraphs are looked at.
const HEAD: usize = 3;

impl Rule for Teaser {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], context: &Context<'_>) {
        let title = squash(context.title);
        let summary = context.summary.map(squash).unwrap_or_default();
        for i in 0..blocks.len().min(HEAD) {
            if !keep[i] {
                continue;
            }
            let text = squash(&blocks[i].text);
            let rest = text.strip_prefix(title.as_str()).unwrap_or(&text);
            if !title.is_empty() && rest.is_empty() {
                keep[i] = false;
                continue;
            }
            let repeated = rest.chars().count() >= 10
                && (i + 1..blocks.len().min(i + 1 + HEAD)).any(|j| {
                    let later = squash(&blocks[j].text);
                    keep[j] && later.len() > rest.len() && later.starts_with(rest)
                });
            let is_summary = !summary.is_empty() && rest == summary && i + 1 < blocks.len();
            if repeated || (is_summary && later_contains(blocks, keep, i, &summary)) {
                keep[i] = false;
            }
        }
    }
}

/// Whether a kept paragraph after `i` contains `needle` (squashed).
fn later_contains(blocks: &[Block], keep: &[bool], i: usize, needle: &str) -> bool {
    blocks[i + 1..]
        .iter()
        .zip(&keep[i + 1..])
        .any(|(b, k)| *k && squash(&b.text).contains(needle))
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    #[test]
    fn title_and_teaser_before_the_lead_go() {
        let title = "市四套班子领导分赴各地,督查基层疫情防控工作落实情况";
        let lead = "连日来,陈伟俊、姚高员、葛益平、陈作荣、陈浩等市四套班子领导,分赴我市12个县(市、区),开展疫情防控督导检查。";
        let blocks = [
            block(
                &format!(
                    "{title}连日来,陈伟俊、姚高员、葛益平、陈作荣、陈浩等市四套班子领导,分赴我市12个县"
                ),
                0,
            ),
            block(lead, 0),
            block("继前两天赴鹿城、龙湾、瓯海、乐清等地明察暗访后。", 0),
        ];
        let mut keep = vec![true; blocks.len()];
        let context = Context {
            title,
            summary: None,
        };
        Teaser.apply(&blocks, &mut keep, &context);
        assert_eq!(
            kept(&blocks, &keep),
            [lead, "继前两天赴鹿城、龙湾、瓯海、乐清等地明察暗访后。"]
        );

        let blocks = [
            block("Port strike ends", 0),
            block("Dock workers voted.", 0),
        ];
        let mut keep = vec![true; 2];
        Teaser.apply(
            &blocks,
            &mut keep,
            &Context {
                title: "Port Strike Ends",
                summary: None,
            },
        );
        assert_eq!(kept(&blocks, &keep), ["Dock workers voted."]);
    }

    #[test]
    fn a_lead_that_is_not_repeated_stays() {
        let blocks = [
            block("Dock workers voted on Sunday to accept the offer.", 0),
            block("The strike had lasted twelve days.", 0),
        ];
        let mut keep = vec![true; 2];
        let context = Context {
            title: "Port strike ends",
            summary: Some("Dock workers voted on Sunday to accept the offer."),
        };
        Teaser.apply(&blocks, &mut keep, &context);
        assert_eq!(kept(&blocks, &keep).len(), 2);
    }
}
