//! The headline, reconciled: the feed's title, `og:title`, JSON-LD
//! `headline`, each `<h1>` and the `<title>` (and its parts either side of a
//! site-name separator) are candidates; the one whose words the article's
//! opening agrees with most wins, so a page whose `<title>` belongs to
//! another story still gets its own headline.

use dom_query::Document;

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

/// How much of the body the agreement is measured against.
const OPENING: usize = 2000;

/// Below this agreement the body says nothing about the title; trust wins.
const WEAK: f64 = 0.34;

/// Chooses among `candidates` the title for an article whose text is
/// `body`.
pub(crate) fn reconcile(candidates: &[Candidate], body: &str) -> String {
    let opening: String = body.chars().take(OPENING).collect();
    let opening = Grams::of(&opening);
    let scored: Vec<(f64, &Candidate)> = candidates
        .iter()
        .map(|c| (opening.agreement(&Grams::of(&c.text)), c))
        .collect();
    let best = scored
        .iter()
        .filter(|(score, _)| *score >= WEAK)
        .max_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(b.1.origin.cmp(&a.1.origin))
                .then(a.1.text.len().cmp(&b.1.text.len()))
        })
        .or_else(|| scored.iter().min_by_key(|(_, c)| c.origin));
    best.map(|(_, c)| c.text.clone()).unwrap_or_default()
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
    for css in [
        r#"meta[property="og:title"]"#,
        r#"meta[name="twitter:title"]"#,
        r#"meta[name="title"]"#,
        r#"meta[name="headline"]"#,
    ] {
        for node in document.select(css).iter() {
            if let Some(content) = node.attr("content") {
                push(&content, Origin::Meta);
            }
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

/// A `<title>` split at the separators sites put before their name
/// ("Port strike ends - Harbour Wire", "标题_新闻_温州网").
fn site_parts(title: &str) -> Vec<&str> {
    const SEPARATORS: &[&str] = &[
        " | ", " - ", " – ", " — ", " :: ", " · ", "_", "｜", "|", "－", "—",
    ];
    let Some(separator) = SEPARATORS.iter().find(|s| title.contains(**s)) else {
        return Vec::new();
    };
    let parts: Vec<&str> = title.split(separator).map(str::trim).collect();
    let first = parts.first().copied().unwrap_or_default();
    let longest = parts
        .iter()
        .copied()
        .max_by_key(|p| p.chars().count())
        .unwrap_or_default();
    if first == longest {
        vec![first]
    } else {
        vec![first, longest]
    }
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

    /// Share of `title`'s grams that occur in this (the body's).
    fn agreement(&self, title: &Grams) -> f64 {
        if title.0.is_empty() {
            return 0.0;
        }
        let shared = title.0.iter().filter(|g| self.0.contains(*g)).count();
        shared as f64 / title.0.len() as f64
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

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7af | 0xf900..=0xfaff)
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
}
