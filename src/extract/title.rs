//! The headline, reconciled: the feed's title, `og:title`, JSON-LD
//! `headline`, each `<h1>` and the `<title>` (and its parts either side of a
//! site-name separator) are candidates; the one whose words the article's
//! opening agrees with most wins, so a page whose `<title>` belongs to
//! another story still gets its own headline.

use dom_query::Document;

use super::tokens::squash;
use crate::text::script::is_cjk;

/// Where a title candidate came from, most trusted first: the order
/// breaks ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    Feed,
    Meta,
    Heading,
    Title,
}

/// A possible headline.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    text: String,
    origin: Origin,
}

impl Candidate {
    /// The candidate's text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Share of `title`'s content words (of four letters or more; CJK:
/// character pairs) that `text`'s opening says too, not counting lines that
/// are the headline itself or a variant of it (a block that merely
/// repeats the headline is not thereby about it).
pub(crate) fn agreement(title: &str, text: &str) -> f64 {
    let wanted = content_words(title);
    if wanted.0.is_empty() {
        return 0.0;
    }
    let longest = 2 * title.chars().count() + 20;
    let is_headline = |line: &str| {
        let (shared, total) = content_words(line).shared(&wanted);
        line.chars().count() <= longest && shared * 5 >= total * 4
    };
    let opening: String = text
        .lines()
        .filter(|line| !is_headline(line))
        .flat_map(|line| line.chars().chain(['\n']))
        .take(OPENING)
        .collect();
    let (shared, total) = content_words(&opening).shared(&wanted);
    shared as f64 / total as f64
}

/// The grams of a text that carry meaning: words of four letters or more,
/// CJK character pairs.
fn content_words(text: &str) -> Grams {
    let mut grams = Grams::of(text);
    grams
        .0
        .retain(|g| g.chars().any(is_cjk) || g.chars().count() >= 4);
    grams
}

/// How much of the body the agreement is measured against.
const OPENING: usize = 2000;

/// Below this agreement the body says nothing about the title; trust wins.
const WEAK: f64 = 0.34;

/// Chooses among `candidates` the title for an article whose text is
/// `body`: of those the opening agrees with at all, the one with most
/// agreeing words less twice the disagreeing (so neither a fragment nor a
/// title with the site's name appended wins), else the most trusted. A
/// winner that another candidate continues (a cut-off `og:title`, a title
/// ending in "…") is completed.
pub(crate) fn reconcile(candidates: &[Candidate], body: &str) -> String {
    if let Some(confirmed) = confirmed_feed_title(candidates) {
        return complete(&confirmed.text, candidates);
    }
    let opening: String = body.chars().take(OPENING).collect();
    let opening = Grams::of(&opening);
    let scored: Vec<(f64, f64, &Candidate)> = candidates
        .iter()
        .map(|c| {
            let (shared, total) = opening.shared(&Grams::of(&c.text));
            let ratio = if total == 0 {
                0.0
            } else {
                shared as f64 / total as f64
            };
            (ratio, shared as f64 - 2.0 * (total - shared) as f64, c)
        })
        .collect();
    let best = scored
        .iter()
        .filter(|(ratio, _, _)| *ratio >= WEAK)
        .max_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then(b.2.origin.cmp(&a.2.origin))
                .then(b.2.text.len().cmp(&a.2.text.len()))
        })
        .or_else(|| scored.iter().min_by_key(|(_, _, c)| c.origin));
    best.map(|(_, _, c)| complete(&c.text, candidates))
        .unwrap_or_default()
}

/// The feed's title when the page says it too, word for word, as its
/// heading, its meta title or its `<title>` (or a part of it): two sources
/// agreeing on a headline outweigh the body, whose densest block may be
/// the site's "about us" footer naming the site that the `<title>` also
/// names. Only a headline of three words (six CJK characters) or more: a
/// bare site name can be a feed's title and a page's logo at once.
fn confirmed_feed_title(candidates: &[Candidate]) -> Option<&Candidate> {
    let feed = candidates.iter().find(|c| c.origin == Origin::Feed)?;
    let long_enough = if feed.text.chars().any(is_cjk) {
        feed.text.chars().filter(|c| !c.is_whitespace()).count() >= 6
    } else {
        feed.text.split_whitespace().count() >= 3
    };
    let key = squash(&feed.text);
    let confirmed = candidates
        .iter()
        .any(|c| c.origin != Origin::Feed && squash(&c.text) == key);
    (long_enough && confirmed).then_some(feed)
}

/// The shortest candidate that continues `title` past a cut (not past a
/// separator before a site name), or `title` itself.
fn complete(title: &str, candidates: &[Candidate]) -> String {
    let stem = title.trim_end_matches(['…', '.']).trim_end();
    if stem.chars().count() < 4 {
        return title.to_owned();
    }
    candidates
        .iter()
        .filter_map(|c| c.text.strip_prefix(stem).map(|rest| (c, rest)))
        .filter(|(_, rest)| {
            !rest.is_empty()
                && rest.trim() != title[stem.len()..].trim()
                && !starts_with_separator(rest)
                && rest.chars().count() <= stem.chars().count()
        })
        .min_by_key(|(c, _)| c.text.len())
        .map_or_else(|| title.to_owned(), |(c, _)| c.text.clone())
}

/// The page's possible headlines (read before Readability rewrites the
/// document).
pub(crate) fn candidates(document: &Document, feed_title: Option<&str>) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut push = |text: &str, origin: Origin| {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() && text.chars().count() <= 300 {
            out.push(Candidate { text, origin });
        }
    };
    if let Some(title) = feed_title {
        push(title, Origin::Feed);
    }
    for node in document.select("meta").iter() {
        let key = ["property", "name"].iter().find_map(|a| node.attr(a));
        let titled = key.is_some_and(|k| {
            ["og:title", "twitter:title", "title", "headline"]
                .iter()
                .any(|t| k.eq_ignore_ascii_case(t))
        });
        if titled && let Some(content) = node.attr("content") {
            push(&content, Origin::Meta);
        }
    }
    for node in document.select("h1").iter().take(3) {
        push(&node.text(), Origin::Heading);
    }
    if let Some(title) = document.select("head title").iter().next() {
        let title = title.text();
        push(&title, Origin::Title);
        for part in site_parts(&title) {
            push(part, Origin::Title);
        }
    }
    out
}

/// Where sites join a headline to their own name ("Port strike ends -
/// Harbour Wire", "标题_新闻_温州网", "明日股市预测--标题").
const SEPARATORS: &[&str] = &[
    " | ", " - ", " – ", " — ", " :: ", " · ", "——", "--", "_", "｜", "|", "－", "—", "-",
];

fn starts_with_separator(text: &str) -> bool {
    SEPARATORS
        .iter()
        .any(|s| text.starts_with(s.trim()) || text.starts_with(s))
}

/// A `<title>` cut at each separator: the parts before and after every
/// cut, for the body to choose among.
fn site_parts(title: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    for separator in SEPARATORS {
        for (at, _) in title.match_indices(separator) {
            // A bare hyphen joins English words ("Fact-Checker"); it
            // separates a site's name only next to Chinese characters.
            let beside = |text: &str| text.chars().next().is_some_and(is_cjk);
            let cjk_around = beside(&title[at + separator.len()..])
                || title[..at].chars().next_back().is_some_and(is_cjk);
            if *separator == "-" && !cjk_around {
                continue;
            }
            for part in [&title[..at], &title[at + separator.len()..]] {
                let part = part.trim();
                if part.chars().count() >= 4 && !parts.contains(&part) {
                    parts.push(part);
                }
            }
        }
    }
    parts
}

/// Word or character-bigram set of a text, for agreement.
struct Grams(std::collections::HashSet<String>);

impl Grams {
    fn of(text: &str) -> Grams {
        let lower = text.to_lowercase();
        let mut grams = std::collections::HashSet::new();
        let mut han = Vec::new();
        for word in lower.split(|c: char| !c.is_alphanumeric()) {
            for c in word.chars() {
                if is_cjk(c) {
                    han.push(c);
                } else {
                    pairs(&mut han, &mut grams);
                }
            }
            pairs(&mut han, &mut grams);
            let latin: String = word.chars().filter(|c| !is_cjk(*c)).collect();
            if latin.chars().count() > 1 {
                grams.insert(latin);
            }
        }
        Grams(grams)
    }

    /// How many of `title`'s grams occur in this (the body's), of how many.
    fn shared(&self, title: &Grams) -> (usize, usize) {
        let shared = title.0.iter().filter(|g| self.0.contains(*g)).count();
        (shared, title.0.len())
    }
}

fn pairs(han: &mut Vec<char>, grams: &mut std::collections::HashSet<String>) {
    for pair in han.windows(2) {
        grams.insert(pair.iter().collect());
    }
    if han.len() == 1 {
        grams.insert(han[0].to_string());
    }
    han.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headline_the_body_agrees_with_beats_a_wrong_title() {
        let html = "<html><head><title>国家发展改革委等部门关于印发《电解铝行业节能降碳专项行动计划》的通知</title></head>\
            <body><h1>市四套班子领导分赴各地,督查基层疫情防控工作落实情况</h1></body></html>";
        let body = "连日来,陈伟俊等市四套班子领导分赴各地,开展疫情防控督导检查。\n继前两天督查基层疫情防控工作落实情况后……";
        let document = Document::from(html);
        assert_eq!(
            reconcile(&candidates(&document, None), body),
            "市四套班子领导分赴各地,督查基层疫情防控工作落实情况"
        );
    }

    #[test]
    fn cut_titles_are_completed_and_fragments_lose() {
        let html = r#"<html><head><meta property="og:title" content="多地项目连环爆雷 狂奔的龙湖集团"><title>多地项目连环爆雷 狂奔的龙湖集团"暗伤"曝露？_网易新闻</title></head><body></body></html>"#;
        let body = "多地项目连环爆雷，狂奔的龙湖集团暗伤曝露。记者了解到，涉事项目……";
        assert_eq!(
            reconcile(&candidates(&Document::from(html), None), body),
            "多地项目连环爆雷 狂奔的龙湖集团\"暗伤\"曝露？"
        );
        let html = "<html><head><title>男孩因不想上补习班 写下一封信-新华网</title></head><body></body></html>";
        let body = "男孩因不想上补习班，写下一封信给妈妈。";
        assert_eq!(
            reconcile(&candidates(&Document::from(html), None), body),
            "男孩因不想上补习班 写下一封信"
        );
    }

    #[test]
    fn hyphenated_english_words_are_not_cut() {
        let html = "<html><head><title>'Neutral' Snopes Fact-Checker David Emery asks a question</title></head><body></body></html>";
        let body =
            "Snopes fact checker and staff writer David Emery posted to Twitter asking a question.";
        assert_eq!(
            reconcile(&candidates(&Document::from(html), None), body),
            "'Neutral' Snopes Fact-Checker David Emery asks a question"
        );
    }

    #[test]
    fn the_site_name_comes_off_and_trust_breaks_ties() {
        let document = Document::from(
            "<html><head><title>Port strike ends - Harbour Wire</title></head><body></body></html>",
        );
        let body = "The port strike ends after twelve days.";
        assert_eq!(
            reconcile(&candidates(&document, None), body),
            "Port strike ends"
        );
        assert_eq!(
            reconcile(
                &candidates(&document, Some("Port strike ends after 12 days")),
                "Nothing related."
            ),
            "Port strike ends after 12 days"
        );
    }

    #[test]
    fn a_feed_title_the_page_repeats_beats_a_footer_naming_the_site() {
        let document = Document::from(
            "<html><head><title>Chelsea hoping to sign Anelka | U.S. | Reuters</title></head>\
             <body><h1>Chelsea hoping to sign Anelka</h1></body></html>",
        );
        let footer = "Reuters is the world's largest international multimedia news agency.";
        let feed = Some("Chelsea hoping to sign Anelka");
        assert_eq!(
            reconcile(&candidates(&document, feed), footer),
            "Chelsea hoping to sign Anelka"
        );
        // Unconfirmed by the page, or a bare name: the body decides.
        assert_eq!(reconcile(&candidates(&document, None), footer), "Reuters");
        assert_eq!(
            reconcile(&candidates(&document, Some("Reuters")), footer),
            "Reuters"
        );
    }
}
