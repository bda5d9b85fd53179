//! Candidates, cleaned, and the rule that keeps one.
//!
//! The rule: the site's own `content_selector` wins whenever it matched
//! text. Otherwise Readability's candidate stands unless it is implausible
//! next to the densest-prose candidate, in one of three ways, each checked
//! on the cleaned text:
//!
//! 1. it misses the feed's summary, which the other contains;
//! 2. it is mostly link text, and the other is not;
//! 3. it carries less than half the prose the other does, the other is not
//!    link-heavy and holds Readability's text too (Readability dropped part
//!    of the article, rather than the two finding different blocks), unless
//!    the block around the story's opening is Readability's (two ways of
//!    finding the story agree on its container);
//! 4. the two found different blocks, and Readability's is a list (under a
//!    fifth of it prose: a "Support local business" box, a "Buy the
//!    book from these retailers" list, a teaser list) while the other is
//!    mostly running text of comparable size (not many times longer, as a
//!    page's comments are);
//! 5. it is far shorter than the dense block's prose (under a quarter of
//!    it, all its text counted), and that block is running text long
//!    enough for a story: a blog's tagline, a contact or hotline box, an
//!    "about me" blurb chosen where the page has an article.
//!
//! Then, whichever won, the story's opening paragraph (found by its summary
//! or under its headline, see `anchor`) has the last word: a winner that
//! does not touch it yields to the candidate drawn around it, if that one
//! is not a list of teasers and says clearly more of the headline's words
//! (a third of them at least, or a sixth where the paragraph was found by
//! the summary, which is evidence of its own, or where the winner is weak:
//! a list of teasers, or held whole by the block around the opening; or
//! any more of them at all where the winner says none of the headline and
//! is mostly not prose, and the other is running text with more prose). A
//! standfirst standing alone (one paragraph) never displaces running text
//! many times its length: it sums up the story, it is not the story.
//!
//! Prose is text in paragraphs that read as sentences (long enough, few
//! links), so a longer candidate that only adds menus and link lists does
//! not win by length. Body text is the last resort.

use dom_query::{Document, NodeRef};

use super::Strategy;
use super::anchor::{Anchor, Found};
use super::blocks::{self, Block};
use super::cleanup::{self, Context};
use super::features::{self, Features};
use super::title;
use super::tokens::PairKeys;

/// One candidate article, cut into paragraphs and judged by the cleanup
/// rules.
pub(crate) struct Draft {
    /// Where it came from.
    pub strategy: Strategy,
    source: Source,
    blocks: Vec<Block>,
    keep: Vec<bool>,
}

/// A candidate's HTML: parsed, or (read off the page before Readability
/// rewrote it) kept as text and parsed only if it wins.
enum Source {
    Parsed(Document),
    Html(String),
}

impl Draft {
    /// Reads a candidate's HTML into paragraphs, all kept until
    /// [`Draft::clean`].
    pub fn new(strategy: Strategy, html: &str) -> Draft {
        let document = Document::fragment(html);
        let blocks = blocks::blocks(&document.root());
        let keep = vec![true; blocks.len()];
        Draft {
            strategy,
            source: Source::Parsed(document),
            blocks,
            keep,
        }
    }

    /// Reads a candidate straight off the page's tree.
    pub fn of_node(strategy: Strategy, node: &NodeRef<'_>) -> Draft {
        let blocks = blocks::blocks(node);
        let keep = vec![true; blocks.len()];
        Draft {
            strategy,
            source: Source::Html(node.html().to_string()),
            blocks,
            keep,
        }
    }

    /// Judges the paragraphs by the cleanup rules.
    pub fn clean(&mut self, context: &Context<'_>) {
        self.keep = cleanup::keep(&self.blocks, context);
    }

    /// The kept paragraphs, for cleaning another candidate against.
    pub fn core(&self) -> cleanup::Core {
        cleanup::Core::new(self.kept())
    }

    /// The first of `cores` that shares text with this candidate.
    pub fn nearest<'c>(&self, cores: &'c [cleanup::Core]) -> Option<&'c cleanup::Core> {
        cores.iter().find(|core| core.overlaps(self.blocks.iter()))
    }

    /// Whether the candidate has no text at all.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The paragraphs cleanup kept.
    pub(crate) fn kept(&self) -> impl Iterator<Item = &Block> {
        self.blocks
            .iter()
            .zip(&self.keep)
            .filter(|(_, k)| **k)
            .map(|(b, _)| b)
    }

    /// The cleaned text, one paragraph per line.
    pub fn text(&self) -> String {
        let kept: Vec<Block> = self.kept().cloned().collect();
        blocks::render(&kept)
    }

    /// The cleaned HTML: dropped paragraphs' text removed, then the
    /// elements left empty.
    pub fn html(&self) -> String {
        let parsed;
        let (document, blocks) = match &self.source {
            Source::Parsed(document) => (document, None),
            Source::Html(html) => {
                parsed = Document::fragment(html.as_str());
                let blocks = blocks::blocks(&parsed.root());
                (&parsed, Some(blocks))
            }
        };
        let blocks = blocks.as_deref().unwrap_or(&self.blocks);
        // Read again from the same HTML, the paragraphs line up; if they
        // somehow do not, nothing is cut rather than the wrong thing.
        if blocks.len() == self.keep.len() {
            for (block, keep) in blocks.iter().zip(&self.keep) {
                if !keep {
                    for id in &block.nodes {
                        NodeRef::new(*id, &document.tree).remove_from_parent();
                    }
                }
            }
        }
        prune_empty(&document.root());
        document.root().inner_html().to_string()
    }

    /// Non-space characters kept.
    pub(crate) fn chars(&self) -> usize {
        self.kept().map(|b| b.chars).sum()
    }

    /// Paragraphs kept.
    pub(crate) fn paragraphs(&self) -> usize {
        self.kept().count()
    }

    /// Share of the kept characters inside links.
    pub(crate) fn link_density(&self) -> f64 {
        let links: usize = self.kept().map(|b| b.link_chars).sum();
        match self.chars() {
            0 => 0.0,
            all => links as f64 / all as f64,
        }
    }

    /// Characters in paragraphs that read as running text.
    pub(crate) fn prose(&self) -> usize {
        self.kept()
            .filter(|b| b.reads_as_prose())
            .map(|b| b.chars)
            .sum()
    }

    /// Whether the kept paragraphs are teasers: at least three links, most
    /// of them followed straight by a paragraph of text (a title, then its
    /// summary). A story's boxes of links come in runs, one text paragraph
    /// after a whole run.
    pub(crate) fn is_teaser_list(&self) -> bool {
        let kept: Vec<&Block> = self.kept().collect();
        let is_link = |b: &Block| b.link_density() >= 0.6;
        let links = kept.iter().filter(|b| is_link(b)).count();
        let titled = kept
            .windows(2)
            .filter(|w| is_link(w[0]) && !is_link(w[1]) && w[1].chars >= TEASER)
            .count();
        links >= 3 && titled * 2 >= links
    }

    /// Share of the summary's token pairs (words, or characters in CJK
    /// text) found in the text.
    fn covers(&self, summary: &str) -> f64 {
        let mut have = Vec::new();
        let mut keys = PairKeys::default();
        for block in self.kept() {
            keys.feed(&block.text, |k| have.push(k));
        }
        have.sort_unstable();
        let want = PairKeys::of(summary);
        if want.is_empty() {
            return 1.0;
        }
        let held = want
            .iter()
            .filter(|k| have.binary_search(k).is_ok())
            .count();
        held as f64 / want.len() as f64
    }
}

/// Cleans every candidate by the cleanup rules. The densest block and the
/// block around the story's opening are cleaned first: Readability's
/// candidate is cleaned of the furniture around the densest block, or where
/// it shares nothing with that block (another story, a gallery) around the
/// opening's (the site's selector is trusted).
pub(crate) fn clean_all(drafts: &mut [Draft], context: &Context<'_>) {
    let is_core = |d: &Draft| matches!(d.strategy, Strategy::Density | Strategy::Anchored);
    drafts.sort_by_key(|d| (!is_core(d), d.strategy));
    let mut cores: Vec<cleanup::Core> = Vec::new();
    for draft in drafts {
        let core = (draft.strategy == Strategy::Readability)
            .then(|| draft.nearest(&cores))
            .flatten();
        draft.clean(&Context { core, ..*context });
        if is_core(draft) {
            cores.push(draft.core());
        }
    }
}

/// Characters from which a paragraph after a link can be its summary.
const TEASER: usize = 40;

/// A candidate with little running text: under a fifth of its characters
/// are in prose paragraphs (long, few links). Lines that merely end like
/// sentences do not count: a list's "Buy the book from these retailers:"
/// counts as a line of the list.
fn is_list(draft: &Draft) -> bool {
    draft.prose() * 5 < draft.chars()
}

/// A candidate that is mostly running text, and enough of it for a story.
fn is_running_text(draft: &Draft) -> bool {
    draft.prose() * 2 > draft.chars() && draft.prose() >= MIN_STORY
}

/// Prose characters (non-space) below which a candidate is too little to
/// replace another: a caption or a blurb, not a story.
const MIN_STORY: usize = 100;

/// How many times a candidate's whole text the page's main prose must
/// be for the candidate to be a blurb beside the article, not the article.
const FAR_SHORTER: usize = 4;

/// Prose characters (non-space) from which a block is a page's main prose:
/// a story's worth, more than a caption or a box of contact details.
const MAIN_PROSE: usize = 300;

/// Removes elements left without text or media, deepest first.
pub(crate) fn prune_empty(root: &NodeRef<'_>) {
    let mut elements: Vec<NodeRef<'_>> = root.descendants_it().filter(|n| n.is_element()).collect();
    elements.reverse();
    for element in elements {
        let name = element.node_name();
        let name = name.as_deref().unwrap_or("");
        let keeps_empty = matches!(
            name,
            "img" | "br" | "hr" | "video" | "audio" | "picture" | "source" | "iframe" | "td" | "th"
        );
        let has_media = element.descendants_it().any(|d| {
            matches!(
                d.node_name().as_deref(),
                Some("img" | "video" | "picture" | "audio")
            )
        });
        if !keeps_empty && !has_media && element.text().trim().is_empty() {
            element.remove_from_parent();
        }
    }
}

/// The winning draft and why, by the rule in the module documentation.
pub(crate) fn choose<'a>(
    drafts: &'a [Draft],
    summary: Option<&str>,
    anchor: Option<&Anchor>,
    title: &str,
) -> (Option<&'a Draft>, &'static str) {
    let find = |s: Strategy| drafts.iter().find(|d| d.strategy == s && d.chars() > 0);
    if let Some(selected) = find(Strategy::Selector) {
        return (Some(selected), "the source's content_selector matched");
    }
    let (readable, dense) = (find(Strategy::Readability), find(Strategy::Density));
    let (winner, reason) = match (readable, dense) {
        (Some(r), Some(d)) => {
            let (winner, reason) = judge(r, d, summary, find(Strategy::Anchored));
            (Some(winner), reason)
        }
        (Some(r), None) => (Some(r), "readability's article; no dense block to compare"),
        (None, Some(d)) => (Some(d), "readability found no article"),
        (None, None) => match find(Strategy::Anchored) {
            Some(a) => (
                Some(a),
                "only the block around the story's opening was drawn",
            ),
            None => (None, "no article found; the page's text"),
        },
    };
    if let Some(anchor) = anchor
        && let Some(opening) = opening_elsewhere(drafts, winner, anchor, title)
    {
        let reason = match anchor.found {
            Found::Summary => "only this block holds the paragraph the story's summary opens",
            Found::Headline => "only this block holds the prose under the story's headline",
        };
        return (Some(opening), reason);
    }
    match (winner, find(Strategy::Body)) {
        (Some(winner), _) => (Some(winner), reason),
        (None, Some(body)) => (Some(body), reason),
        // Candidates were drawn, and cleanup found only page furniture in
        // them: there is no text to fall back on, and the reason says so.
        (None, None) => (None, NOTHING_LEFT),
    }
}

/// Why nothing was chosen when every candidate's text was cleaned away.
const NOTHING_LEFT: &str = "no article found; the candidates held only page furniture";

/// How one candidate measures up, as [`choose`] sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Measures {
    /// The strategy that drew it.
    pub strategy: &'static str,
    /// What the choice weighs.
    #[serde(flatten)]
    pub features: Features,
    /// Its cleaned text (not written in reports of one page).
    #[serde(skip)]
    pub text: String,
}

/// Every candidate's measures, for reports.
pub(crate) fn measures(
    drafts: &[Draft],
    summary: Option<&str>,
    anchor: Option<&Anchor>,
    title: &str,
) -> Vec<Measures> {
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let texts: Vec<String> = drafts.iter().map(Draft::text).collect();
    let features = features::features(drafts, &texts, summary, anchor, title);
    drafts
        .iter()
        .zip(features)
        .zip(texts)
        .map(|((d, f), text)| Measures {
            strategy: d.strategy.name(),
            features: Features {
                link_density: round(f.link_density),
                punctuation: round(f.punctuation),
                headline: round(f.headline),
                opening: f.opening.map(round),
                summary: f.summary.map(round),
                holds: round(f.holds),
                held: round(f.held),
                ..f
            },
            text,
        })
        .collect()
}

/// Share of the opening paragraph's token pairs a candidate must hold to
/// hold the story's opening.
const HOLDS_OPENING: f64 = 0.6;

/// Share of the opening paragraph a winner may hold and still be kept: a
/// story that says part of the paragraph (a caption's sentence, one of its
/// "highlights") is the story the paragraph belongs to, and the block
/// holding all of it a piece beside it.
const TOUCHES_OPENING: f64 = 0.3;

/// Link density above which a block holding the story's opening is mostly
/// links, whatever else it holds.
const OPENING_LINKS: f64 = 0.5;

/// Share of the headline's words a block holding the story's opening must
/// say to displace another: one word of three is chance.
const HEADLINE_AGREES: f64 = 0.3;

/// The same share when the opening was found by the story's summary.
const SUMMARY_HEADLINE_AGREES: f64 = 0.15;

/// By how much more of the headline's words a candidate holding the
/// story's opening must say than a winner that does not.
const HEADLINE_MARGIN: f64 = 0.15;

/// The candidate to take instead of `winner` when `winner` misses the
/// story's opening paragraph: one that holds it, is not a list, and agrees
/// with the headline clearly more than `winner` does (so a wrong anchor, a
/// site's tagline matching its generic description, cannot displace a
/// story that is about its headline).
fn opening_elsewhere<'a>(
    drafts: &'a [Draft],
    winner: Option<&Draft>,
    anchor: &Anchor,
    title: &str,
) -> Option<&'a Draft> {
    if winner.is_some_and(|w| w.covers(&anchor.text) >= TOUCHES_OPENING) {
        return None;
    }
    let said = winner.map_or(0.0, |w| title::agreement(title, &w.text()));
    drafts
        .iter()
        .filter(|d| d.strategy != Strategy::Body && d.chars() > 0 && !is_list(d))
        // A block of teasers holds a story's summary too, under a link.
        .filter(|d| d.link_density() < OPENING_LINKS && !d.is_teaser_list())
        .filter(|d| d.covers(&anchor.text) >= HOLDS_OPENING)
        .filter(|d| !winner.is_some_and(|w| is_standfirst_beside(d, w)))
        .find(|d| {
            let says = title::agreement(title, &d.text());
            (says >= headline_bar(anchor, winner, d) && says >= said + HEADLINE_MARGIN)
                || outweighs_mute(d, winner, said, says)
        })
}

/// Share of the headline's words under which a winner says nothing of it.
const MUTE: f64 = 0.05;

/// Whether `holder`, which holds the story's opening, outweighs a `winner`
/// that misses it, says none of the headline and is mostly not prose (a
/// list of a site's podcasts, a box of links beside a story of four short
/// paragraphs): `holder` says some of the headline and is running text.
fn outweighs_mute(holder: &Draft, winner: Option<&Draft>, said: f64, says: f64) -> bool {
    said < MUTE
        && says > said
        && is_running_text(holder)
        && winner.is_some_and(|w| w.prose() * 2 < w.chars() && holder.prose() > w.prose())
}

/// The share of the headline's words a block holding the story's opening
/// must say to displace `winner`. A paragraph that opens with the story's
/// summary is itself evidence, and so is a winner that is weak on its own:
/// a list of teasers, or a block wholly inside the one holding the opening
/// (taking that one then loses nothing the winner had). Either way the
/// block need only say some of the headline.
fn headline_bar(anchor: &Anchor, winner: Option<&Draft>, holder: &Draft) -> f64 {
    let is_weak = |w: &Draft| w.is_teaser_list() || holder.covers(&w.text()) >= HOLDS_WINNER;
    match anchor.found {
        Found::Summary => SUMMARY_HEADLINE_AGREES,
        Found::Headline if winner.is_some_and(is_weak) => SUMMARY_HEADLINE_AGREES,
        Found::Headline => HEADLINE_AGREES,
    }
}

/// Share of a winner's token pairs a block must hold to hold the winner.
const HOLDS_WINNER: f64 = 0.8;

/// Whether `holder` is a story's standfirst standing alone (one paragraph)
/// beside `winner`, running text many times as long: the summary of the
/// story, drawn as a block of its own, never the story itself.
fn is_standfirst_beside(holder: &Draft, winner: &Draft) -> bool {
    holder.paragraphs() <= 1
        && holder.chars() * FAR_SHORTER < winner.prose()
        && winner.prose() >= MAIN_PROSE
        && is_running_text(winner)
}

/// Readability's candidate against the densest block, by rules 1 to 5 of
/// the module documentation. `around` is the block around the story's
/// opening, when it was drawn.
fn judge<'a>(
    r: &'a Draft,
    d: &'a Draft,
    summary: Option<&str>,
    around: Option<&Draft>,
) -> (&'a Draft, &'static str) {
    if let Some(summary) = summary.filter(|s| s.chars().count() >= 20)
        && r.covers(summary) < 0.5
        && d.covers(summary) >= 0.8
    {
        return (d, "only the dense block contains the feed's summary");
    }
    if r.link_density() > 0.5 && d.link_density() < 0.3 {
        return (d, "readability's text is mostly links");
    }
    // Where the block around the story's opening is Readability's, two
    // ways of finding the story agree on its container: the densest
    // block's extra prose is the page's, not a part Readability dropped.
    if r.prose() * 2 < d.prose()
        && d.link_density() < 0.25
        && d.covers(&r.text()) >= 0.8
        && !around.is_some_and(|a| same_text(a, r))
    {
        return (d, "readability kept under half the page's prose");
    }
    if is_list(r) && is_running_text(d) && d.chars() <= 3 * r.chars() && d.covers(&r.text()) < 0.2 {
        return (d, "readability found a list; the dense block is the prose");
    }
    if r.chars() * FAR_SHORTER < d.prose()
        && d.prose() >= MAIN_PROSE
        && is_running_text(d)
        && d.link_density() < 0.25
    {
        return (
            d,
            "readability's block is far shorter than the page's main prose",
        );
    }
    (r, "readability's article")
}

/// Whether two candidates hold each other's text (most of it).
fn same_text(a: &Draft, b: &Draft) -> bool {
    a.covers(&b.text()) >= HOLDS_WINNER && b.covers(&a.text()) >= HOLDS_WINNER
}

/// A candidate read from `html` and cleaned with no context, for tests.
#[cfg(test)]
pub(crate) fn cleaned(strategy: Strategy, html: &str) -> Draft {
    let mut draft = Draft::new(strategy, html);
    draft.clean(&Context::default());
    draft
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::cleaned as draft;

    #[test]
    fn dropped_paragraphs_leave_the_html_too() {
        let d = draft(
            Strategy::Readability,
            "<div><p>Dock workers voted on Sunday night to accept a revised pay offer.</p>\
             <p>编辑：陈迪</p><ul><li><a href='/a'>One more story here</a></li><li><a href='/b'>Another story here</a></li></ul></div>",
        );
        assert_eq!(
            d.text(),
            "Dock workers voted on Sunday night to accept a revised pay offer."
        );
        let html = d.html();
        assert!(
            !html.contains("陈迪") && !html.contains("<li") && !html.contains("<ul"),
            "{html}"
        );
        assert!(html.contains("<p>Dock workers"), "{html}");
    }

    #[test]
    fn readability_stands_unless_implausible() {
        const SENTENCES: [&str; 5] = [
            "Dock workers at the container terminal voted on Sunday night to accept a revised pay offer.",
            "The twelve-day strike had left more than forty ships anchored offshore and freight delayed.",
            "Union leaders said the deal raises wages by six percent over two years and limits overtime.",
            "Shipping lines expect the backlog of containers to clear by the end of next week at the latest.",
            "The port authority thanked residents for their patience during the long and costly stoppage.",
        ];
        let para = |n: usize| format!("<p>{}</p>", SENTENCES[n]);
        let paras = |n: usize| (0..n).map(para).collect::<String>();
        let prose = para(0);
        let short = draft(Strategy::Readability, &prose);
        let long = draft(Strategy::Density, &paras(4));
        let drafts = [short, long];
        let (winner, reason) = choose(&drafts, None, None, "");
        assert_eq!(
            winner.map(|d| d.strategy),
            Some(Strategy::Density),
            "{reason}"
        );

        let r = draft(Strategy::Readability, &paras(3));
        let d = draft(Strategy::Density, &paras(4));
        assert_eq!(
            choose(&[r, d], None, None, "").0.map(|d| d.strategy),
            Some(Strategy::Readability)
        );

        let r = draft(Strategy::Readability, &paras(3));
        let d = draft(
            Strategy::Density,
            &format!(
                "{}<p>The union said members were relieved to be back at work on Monday.</p>",
                paras(3)
            ),
        );
        let summary = Some("The union said members were relieved to be back at work on Monday.");
        let drafts = [r, d];
        let (winner, reason) = choose(&drafts, summary, None, "");
        assert_eq!(
            winner.map(|d| d.strategy),
            Some(Strategy::Density),
            "{reason}"
        );
    }

    fn opening(text: &str, found: Found) -> Anchor {
        Anchor {
            node: Document::fragment("<p>x</p>").root().id,
            text: text.to_owned(),
            found,
        }
    }

    const TITLE: &str = "Dowling out for weeks with knee injury";
    const LEDE: &str = "Munster star Ian Dowling is set to spend a spell on the sidelines after sustaining a knee injury.";

    fn gallery() -> String {
        (0..8)
            .map(|i| format!("<p>Flags fluttered in Chicago as the president delivered his victory speech, photo {i}.</p>"))
            .collect()
    }

    #[test]
    fn the_block_holding_the_story_opening_beats_one_about_something_else() {
        let story = format!(
            "<p>{LEDE}</p><p>The winger could be out for eight weeks with the knee problem.</p>"
        );
        let drafts = [
            draft(Strategy::Readability, &gallery()),
            draft(Strategy::Density, &gallery()),
            draft(Strategy::Anchored, &story),
        ];
        for found in [Found::Summary, Found::Headline] {
            let anchor = opening(LEDE, found);
            let (winner, reason) = choose(&drafts, None, Some(&anchor), TITLE);
            assert_eq!(
                winner.map(|d| d.strategy),
                Some(Strategy::Anchored),
                "{reason}"
            );
        }
        // No opening found: the longer block stands.
        let (winner, _) = choose(&drafts, None, None, TITLE);
        assert_eq!(winner.map(|d| d.strategy), Some(Strategy::Readability));
    }

    #[test]
    fn a_block_opening_with_the_summary_need_say_less_of_the_headline() {
        let lede = "Treasury Secretary Timothy Geithner warned German leaders against leaving Europe on the edge of a recession.";
        let story = format!(
            "<p>{lede}</p><p>He spoke in Berlin after talks with the finance minister on Monday.</p>"
        );
        let register = "<p>Thank you for registering.</p><p>We sent an email to you: please click on the link inside the email to complete your registration.</p>\
             <p>Please register to gain free access to our tools, which are free for every reader.</p>";
        let drafts = [
            draft(Strategy::Readability, register),
            draft(Strategy::Density, &story),
        ];
        // One headline word of five in the story's opening.
        let title = "Geithner Urges Action on Debt Crisis";
        let (winner, reason) = choose(&drafts, None, Some(&opening(lede, Found::Summary)), title);
        assert_eq!(
            winner.map(|d| d.strategy),
            Some(Strategy::Density),
            "{reason}"
        );
        // Found under the headline instead, that is too little.
        let (winner, _) = choose(&drafts, None, Some(&opening(lede, Found::Headline)), title);
        assert_eq!(winner.map(|d| d.strategy), Some(Strategy::Readability));
    }

    #[test]
    fn a_list_saying_none_of_the_headline_yields_to_the_opening() {
        let lede =
            "Former rapper turned preacher M.C. Hammer is about to become a dotcom entrepreneur.";
        let story = format!(
            "<p>{lede}</p><p>He is best known for a hit single, but lost the millions he made in music.</p>\
             <p>The performer will join the company as co-founder and chief strategy officer.</p>"
        );
        // Too short beside the story for the list rules of `judge`.
        let podcasts = "<p>TED takeaway</p><p>TED ringtones:</p><p>Classic [mp3]</p>";
        let drafts = [
            draft(Strategy::Readability, podcasts),
            draft(Strategy::Density, &story),
        ];
        // One headline word of four in the story, none in the list.
        let title = "Hammer Time In Silicone Valley";
        let anchor = opening(lede, Found::Headline);
        assert_chosen(&drafts, &anchor, title, Strategy::Density);
        // A winner that says some of the headline stands.
        let title = "TED ringtones and the Hammer";
        assert_chosen(&drafts, &anchor, title, Strategy::Readability);
    }

    #[test]
    fn readability_is_trimmed_around_the_opening_where_the_densest_block_is_elsewhere() {
        let lede = "<p>Ferry services to the northern islands were suspended on Tuesday as gales \
                    closed in, the operator said, with waves of six metres forecast.</p>";
        let readable = format!(
            "<p>Posted on Tuesday</p>{lede}<p>Read more</p><p>Check out more articles!</p>\
             <p>Saving...</p><p>This post has been added to your feed</p>"
        );
        let council = "<p>Elsewhere, the council met for a long evening session on the harbour budget, \
                       where members argued over dredging and the price of berths.</p>";
        let readability_cleaned = |mut drafts: Vec<Draft>| {
            clean_all(&mut drafts, &Context::default());
            drafts
                .iter()
                .find(|d| d.strategy == Strategy::Readability)
                .map(Draft::text)
                .unwrap_or_default()
        };
        let readable_and_council = || {
            vec![
                Draft::new(Strategy::Readability, &readable),
                Draft::new(Strategy::Density, council),
            ]
        };
        // The opening's block: what Readability adds past "Read more" goes,
        // and the label before it.
        let mut drafts = readable_and_council();
        drafts.push(Draft::new(Strategy::Anchored, lede));
        let text = readability_cleaned(drafts);
        assert!(text.starts_with("Ferry services"), "{text}");
        assert!(text.ends_with("forecast."), "{text}");
        // With no block around the opening, nothing is trimmed.
        let text = readability_cleaned(readable_and_council());
        assert!(text.contains("Saving..."), "{text}");
    }

    #[test]
    fn readability_stands_where_the_block_around_the_opening_agrees() {
        let story = format!(
            "<p>{LEDE}</p><p>The winger could be out for eight weeks with the knee problem.</p>"
        );
        let others: String = (0..6)
            .map(|i| format!("<p>Elsewhere in the league, another club announced a signing of its own today, number {i}.</p>"))
            .collect();
        let drafts = [
            draft(Strategy::Readability, &story),
            draft(Strategy::Density, &format!("{story}{others}")),
            draft(Strategy::Anchored, &story),
        ];
        let (winner, reason) = choose(&drafts, None, None, TITLE);
        assert_eq!(
            winner.map(|d| d.strategy),
            Some(Strategy::Readability),
            "{reason}"
        );
        // Without that block, the densest one's extra prose may be a part
        // Readability dropped.
        let (winner, _) = choose(&drafts[..2], None, None, TITLE);
        assert_eq!(winner.map(|d| d.strategy), Some(Strategy::Density));
    }

    #[test]
    fn a_winner_about_its_headline_or_touching_the_opening_stands() {
        let story: String = (0..5)
            .map(|i| format!("<p>Dowling hurt his knee against Ulster and faces weeks of absence, report {i}.</p>"))
            .collect();
        // A list of teasers holds the summary, its titles as links.
        let teasers = format!(
            "<h5><a href='/a'>Dowling set for absence</a></h5><p>{LEDE}</p>\
             <h5><a href='/b'>Another story of the week</a></h5><p>Another summary of another story, written at length.</p>"
        );
        let anchor = opening(LEDE, Found::Summary);
        let drafts = [
            draft(Strategy::Readability, &story),
            draft(Strategy::Anchored, &teasers),
        ];
        let (winner, reason) = choose(&drafts, None, Some(&anchor), TITLE);
        assert_eq!(
            winner.map(|d| d.strategy),
            Some(Strategy::Readability),
            "{reason}"
        );
        // A block holding the opening but no more about the headline than
        // the winner does not displace it.
        let standfirst = format!("<p>{LEDE}</p>");
        let drafts = [
            draft(Strategy::Readability, &story),
            draft(Strategy::Anchored, &standfirst),
        ];
        let anchor = opening(LEDE, Found::Headline);
        let (winner, reason) = choose(&drafts, None, Some(&anchor), TITLE);
        assert_eq!(
            winner.map(|d| d.strategy),
            Some(Strategy::Readability),
            "{reason}"
        );
    }

    /// Asserts which strategy's draft `choose` keeps, given the opening.
    fn assert_chosen(drafts: &[Draft], anchor: &Anchor, title: &str, expected: Strategy) {
        let (winner, reason) = choose(drafts, None, Some(anchor), title);
        assert_eq!(winner.map(|d| d.strategy), Some(expected), "{reason}");
    }

    #[test]
    fn a_standfirst_alone_does_not_displace_the_story_it_sums_up() {
        // A narrative story that opens far from its headline's words, and
        // its standfirst drawn as a block of its own.
        let story: String = (0..12)
            .map(|i| format!("<p>Tracey Owings is fighting hard to keep the home that has been in his family for years, part {i}.</p>"))
            .collect();
        let dek = "Liberals question why poor voters who use public assistance still vote for Republicans.";
        let standfirst = format!("<p>{dek}</p>");
        let anchor = opening(dek, Found::Summary);
        let title = "Working class voters: why America's poor vote Republican";
        let drafts = [
            draft(Strategy::Readability, &story),
            draft(Strategy::Anchored, &standfirst),
        ];
        assert_chosen(&drafts, &anchor, title, Strategy::Readability);
        // Beside a winner of its own size, the paragraph still wins.
        let caption = "<p>Flags fluttered in Chicago as the president delivered his victory speech.</p>\
             <p>Flags fluttered.</p>";
        let drafts = [
            draft(Strategy::Readability, caption),
            draft(Strategy::Anchored, &standfirst),
        ];
        assert_chosen(&drafts, &anchor, title, Strategy::Anchored);
    }

    #[test]
    fn a_weak_winner_yields_to_the_opening_on_less_headline() {
        let lede = "Secretary of State Hillary Clinton on Monday pledged new funding to curb the global AIDS pandemic.";
        let story = format!(
            "<p>{lede}</p><p>She said drugs now reach developing countries at a faster pace than before.</p>\
             <p>The initiatives are part of a priority the administration set late last year.</p>"
        );
        // One headline word of five ("pledges", "funds" are not said).
        let title = "U.S. Pledges More Funds to Fight AIDS";
        let teasers: String = (0..4)
            .map(|i| format!("<p><a href='/{i}'>Another story of the day, number {i}</a></p><p>A summary of that other story, told in a sentence or two.</p>"))
            .collect();
        let anchor = opening(lede, Found::Headline);
        let drafts = [
            draft(Strategy::Readability, &teasers),
            draft(Strategy::Density, &story),
        ];
        assert_chosen(&drafts, &anchor, title, Strategy::Density);
        // A notice that the block around the opening holds as well.
        let notice = "<p>This page is best viewed in an up-to-date web browser with style sheets enabled.</p>";
        let drafts = [
            draft(Strategy::Readability, notice),
            draft(Strategy::Anchored, &format!("{story}{notice}")),
        ];
        assert_chosen(&drafts, &anchor, title, Strategy::Anchored);
        // A winner of its own, which the block does not hold, stands.
        let drafts = [
            draft(Strategy::Readability, &gallery()),
            draft(Strategy::Anchored, &story),
        ];
        assert_chosen(&drafts, &anchor, title, Strategy::Readability);
    }

    #[test]
    fn candidates_cleaned_to_nothing_say_so() {
        let furniture = "<p>Share this article: Facebook | Twitter | Email</p><p>12 Comments</p>";
        let drafts = [
            draft(Strategy::Readability, furniture),
            draft(Strategy::Density, furniture),
        ];
        let (winner, reason) = choose(&drafts, None, None, "");
        assert!(winner.is_none());
        assert_eq!(reason, NOTHING_LEFT);
    }

    #[test]
    fn a_blurb_far_shorter_than_the_main_prose_loses() {
        let tagline =
            "<p>Thoughts on food, travel and the odd recipe, from a kitchen in Leeds.</p>";
        let steps = |n: usize| -> String {
            (0..n)
                .map(|i| format!("<p>Brown the onions slowly in butter for twenty minutes before adding the stock, step {i}.</p>"))
                .collect()
        };
        let post = steps(30);
        let drafts = [
            draft(Strategy::Readability, tagline),
            draft(Strategy::Density, &post),
        ];
        let (winner, reason) = choose(&drafts, None, None, "");
        assert_eq!(
            winner.map(|d| d.strategy),
            Some(Strategy::Density),
            "{reason}"
        );
        assert!(reason.contains("far shorter"), "{reason}");
        // A short story beside a block of similar size stands.
        let drafts = [
            draft(Strategy::Readability, &steps(3)),
            draft(Strategy::Density, &steps(5)),
        ];
        assert_eq!(
            choose(&drafts, None, None, "").0.map(|d| d.strategy),
            Some(Strategy::Readability)
        );
    }

    #[test]
    fn a_list_loses_to_the_prose_of_another_block() {
        let list: String = [
            "Support Local Business",
            "AJ Power Supply",
            "\"Get your mojo going!\"",
            "4120 Industrial Ave",
            "412-4525",
            "Burt's Kitchen",
            "\"Let's do lunch!\"",
            "7070 Airport Road",
            "412-3900",
        ]
        .iter()
        .map(|l| format!("<p>{l}</p>"))
        .collect();
        let story = "<p>Sprint Nextel said Friday it plans to lay off 4,000 employees and close 125 stores.</p>\
             <p>The company has lost more than a million contract customers in the past year.</p>";
        let drafts = [
            draft(Strategy::Readability, &list),
            draft(Strategy::Density, story),
        ];
        let (winner, reason) = choose(&drafts, None, None, "");
        assert_eq!(
            winner.map(|d| d.strategy),
            Some(Strategy::Density),
            "{reason}"
        );
        // A story told in short lines is not displaced by a block a few
        // times longer (comments, say).
        let comments = "<p>I have read this author for years and this is the best thing written so far, thanks.</p>".repeat(6);
        let drafts = [
            draft(Strategy::Readability, &list),
            draft(Strategy::Density, &comments),
        ];
        assert_eq!(
            choose(&drafts, None, None, "").0.map(|d| d.strategy),
            Some(Strategy::Readability)
        );
    }
}
