//! The headline, reconciled: the feed's title, `og:title`, JSON-LD
//! `headline`, each `<h1>` and the `<title>` (and its parts either side of a
//! site-name separator) are candidates; the one whose words the article's
//! opening agrees with most wins, so a page whose `<title>` belongs to
//! another story still gets its own headline.

use dom_query::Document;
use xxhash_rust::xxh3::xxh3_64;

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
    /// The whole `<title>`, not a part of it cut at a separator.
    whole: bool,
    /// The site's name, or a headline with the site's name still on it:
    /// chosen only when nothing else is left.
    site: bool,
}

impl Candidate {
    /// The candidate's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether it is the site's name rather than a headline.
    pub fn is_site(&self) -> bool {
        self.site
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
        line.chars().count() <= longest && {
            let (shared, total) = content_words(line).shared(&wanted);
            shared * 5 >= total * 4
        }
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
    Grams::with_words_from(text, 4)
}

/// How much of the body the agreement is measured against.
const OPENING: usize = 2000;

/// Below this agreement the body says nothing about the title; trust wins.
const WEAK: f64 = 0.34;

/// From this agreement a headline clearly belongs to the body: a section
/// label or site name of one or two words then loses to it.
const CLEAR: f64 = 0.5;

/// A candidate with how much of it the body's opening says.
struct Scored<'a> {
    candidate: &'a Candidate,
    /// Share of its grams the opening says.
    ratio: f64,
    /// Agreeing grams less twice the disagreeing.
    score: f64,
}

impl<'a> Scored<'a> {
    fn of(candidate: &'a Candidate, opening: &Grams) -> Scored<'a> {
        let (shared, total) = opening.shared(&Grams::of(&candidate.text));
        let ratio = if total == 0 {
            0.0
        } else {
            shared as f64 / total as f64
        };
        let score = shared as f64 - 2.0 * (total - shared) as f64;
        Scored {
            candidate,
            ratio,
            score,
        }
    }
}

/// Chooses among `candidates` the title for an article whose text is
/// `body`: of those the opening agrees with at all, the one with most
/// agreeing words less twice the disagreeing (so neither a fragment nor a
/// title with the site's name appended wins), else the most trusted. The
/// site's own name, a section label of one or two words and a whole
/// `<title>` whose headline part agrees too are passed over while a
/// headline is left (a site name or label says few words, all of which a
/// page's byline or dateline may repeat). A winner that another candidate
/// continues (a cut-off `og:title`, a title ending in "…") is completed.
pub(crate) fn reconcile(candidates: &[Candidate], body: &str) -> String {
    reconciled(candidates, body).0
}

/// [`reconcile`], and whether the title was chosen by agreement with the
/// body (or confirmed by the page) rather than by trust alone.
fn reconciled(candidates: &[Candidate], body: &str) -> (String, bool) {
    if let Some(confirmed) = confirmed_feed_title(candidates) {
        return (complete(&confirmed.text, candidates), true);
    }
    let opening: String = body.chars().take(OPENING).collect();
    let opening = Grams::of(&opening);
    let named: Vec<&Candidate> = candidates.iter().filter(|c| !c.site).collect();
    let pool = if named.is_empty() {
        candidates.iter().collect()
    } else {
        named
    };
    let scored: Vec<Scored> = pool.iter().map(|c| Scored::of(c, &opening)).collect();
    let agreeing: Vec<&Scored> = scored.iter().filter(|s| s.ratio >= WEAK).collect();
    let best = agreeing
        .iter()
        .filter(|s| !outdone_label(s.candidate, &agreeing))
        .filter(|s| !outdone_by_part(s.candidate, &agreeing, candidates))
        .max_by(|a, b| {
            a.score
                .total_cmp(&b.score)
                .then(b.candidate.origin.cmp(&a.candidate.origin))
                .then(b.candidate.text.len().cmp(&a.candidate.text.len()))
        })
        .map(|s| s.candidate);
    let agreed = best.is_some();
    let best = best.or_else(|| pool.iter().copied().min_by_key(|c| c.origin));
    let title = best
        .map(|c| complete(&c.text, candidates))
        .unwrap_or_default();
    (title, agreed)
}

/// [`reconcile`] against each candidate article in turn, most trusted
/// first: the first headline (not a label) that an article agrees with
/// gives the title, else the first headline chosen by trust, else the
/// first reconciliation. A block that is not the story (a registration
/// form saying "WSJ", a footer naming the site, a "best viewed with style
/// sheets" notice) agrees with the site's name or with nothing, where the
/// story's own block beside it says the page's `<h1>`.
pub(crate) fn reconcile_any(
    candidates: &[Candidate],
    bodies: impl IntoIterator<Item = String>,
) -> String {
    let (mut first, mut trusted) = (None, None);
    for body in bodies {
        let (title, agreed) = reconciled(candidates, &body);
        let headline = !is_label(&title);
        if agreed && headline {
            return title;
        }
        if headline && trusted.is_none() {
            trusted = Some(title.clone());
        }
        first.get_or_insert(title);
    }
    trusted
        .or(first)
        .unwrap_or_else(|| reconcile(candidates, ""))
}

/// A section label or a site's name rather than a headline: one or two
/// words (under five CJK characters).
fn is_label(text: &str) -> bool {
    if text.chars().any(is_cjk) {
        text.chars().filter(|c| c.is_alphanumeric()).count() < 5
    } else {
        // "Technology | Reuters" is two words, not three.
        text.split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .count()
            < 3
    }
}

/// Whether `label`, one or two words, is a section's or site's name beside
/// a headline from a source as trusted that clearly agrees with the body
/// and does not contain it (a short headline with the site's name appended
/// is no headline beside it; a short `<h1>` outweighs a `<title>`).
fn outdone_label(label: &Candidate, agreeing: &[&Scored]) -> bool {
    if !is_label(&label.text) {
        return false;
    }
    let key = squash(&label.text);
    agreeing.iter().any(|s| {
        let other = s.candidate;
        s.ratio >= CLEAR
            && other.origin <= label.origin
            && !is_label(&other.text)
            && !squash(&other.text).contains(&key)
    })
}

/// Whether `whole`, the `<title>` or a part of it that no other source
/// repeats, holds a shorter part that agrees with the body and is at least
/// half of it: the rest is the site's or section's name, whose words a
/// byline or dateline may say too.
fn outdone_by_part(whole: &Candidate, agreeing: &[&Scored], all: &[Candidate]) -> bool {
    if whole.origin != Origin::Title {
        return false;
    }
    let key = squash(&whole.text);
    let repeated = all
        .iter()
        .any(|c| c.origin != Origin::Title && squash(&c.text) == key);
    let length = whole.text.chars().count();
    !repeated
        && agreeing.iter().any(|s| {
            let part = s.candidate;
            part.origin == Origin::Title
                && !part.whole
                && part.text.len() < whole.text.len()
                && whole.text.contains(part.text.as_str())
                && 2 * part.text.chars().count() >= length
        })
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
    let mut sites = Vec::new();
    if let Some(title) = feed_title {
        push(&mut out, title, Origin::Feed, false);
    }
    for node in document.select("meta").iter() {
        let key = ["property", "name"].iter().find_map(|a| node.attr(a));
        let is = |names: &[&str]| {
            key.as_ref()
                .is_some_and(|k| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
        };
        let Some(content) = node.attr("content") else {
            continue;
        };
        if is(&["og:title", "twitter:title", "title", "headline"]) {
            push(&mut out, &content, Origin::Meta, false);
        } else if is(&["og:site_name"]) {
            sites.push(crate::text::space::collapse(&content));
        }
    }
    for node in document.select("h1").iter().take(3) {
        let text = node.text();
        if is_logo(&node) {
            sites.push(crate::text::space::collapse(&text));
        }
        push(&mut out, &text, Origin::Heading, false);
    }
    if let Some(title) = page_title(document) {
        push(&mut out, &title, Origin::Title, true);
        for part in site_parts(&title) {
            push(&mut out, part, Origin::Title, false);
        }
        sites.extend(colon_site(&title, &out));
    }
    mark_sites(&mut out, &sites);
    out
}

/// The name before a `<title>`'s first colon when the page's `<h1>` says
/// just that name and a headline of three words or more follows ("Harbour
/// Notes: Cranes return to work" under the blog's `<h1>Harbour Notes`): a
/// blog's name, which blog engines put before the post's title.
fn colon_site(title: &str, candidates: &[Candidate]) -> Option<String> {
    let (name, rest) = title.split_once(": ")?;
    let key = squash(name);
    let heading = candidates
        .iter()
        .any(|c| c.origin == Origin::Heading && squash(&c.text) == key);
    (heading && !key.is_empty() && rest.split_whitespace().count() >= 3)
        .then(|| name.trim().to_owned())
}

/// Whether a heading is the site's logo: all its text one link to the
/// site's home page (`<h1><a href="/">Harbour Notes</a></h1>`), which blog
/// engines write above every post.
fn is_logo(heading: &dom_query::Selection<'_>) -> bool {
    let links = heading.select("a");
    let [link] = links.nodes() else {
        return false;
    };
    let whole = squash(&heading.text()) == squash(&link.text());
    whole && link.attr("href").is_some_and(|href| is_home(href.as_ref()))
}

/// Whether `href` leads to a site's home page: its root, or its index.
fn is_home(href: &str) -> bool {
    let href = href.trim();
    let path = match url::Url::parse(href) {
        Ok(url) if url.query().is_none() => url.path().to_owned(),
        Ok(_) => return false,
        Err(_) => href.to_owned(),
    };
    matches!(
        path.as_str(),
        "/" | "./" | "/index.html" | "/index.htm" | "/index.php"
    )
}

/// Adds a candidate, whitespace collapsed, unless empty, overlong or there.
fn push(out: &mut Vec<Candidate>, text: &str, origin: Origin, whole: bool) {
    let text = crate::text::space::collapse(text);
    let there = out.iter().any(|c| c.origin == origin && c.text == text);
    if !text.is_empty() && text.chars().count() <= 300 && !there {
        out.push(Candidate {
            text,
            origin,
            whole,
            site: false,
        });
    }
}

/// The `<title>`: the head's, else the first outside an SVG or MathML
/// drawing (a `<title>` written after the page's first content is moved
/// into the body by the parser).
fn page_title(document: &Document) -> Option<String> {
    if let Some(title) = document.select("head title").iter().next() {
        return Some(title.text().to_string());
    }
    document
        .select("title")
        .iter()
        .find(|t| !t.is("svg title, math title"))
        .map(|t| t.text().to_string())
}

/// Marks the candidates that are a site's name, or a headline with one at
/// either end past a separator (or a colon), and adds the headline without
/// it.
fn mark_sites(candidates: &mut Vec<Candidate>, sites: &[String]) {
    // A page that names itself after its headline names no site.
    let sites: Vec<&String> = sites
        .iter()
        .filter(|s| {
            let key = squash(s);
            !key.is_empty()
                && !candidates
                    .iter()
                    .any(|c| c.origin == Origin::Meta && squash(&c.text) == key)
        })
        .collect();
    let keys: Vec<String> = sites.iter().map(|s| squash(s)).collect();
    let mut stripped = Vec::new();
    for c in candidates.iter_mut() {
        if keys.contains(&squash(&c.text)) {
            c.site = true;
        } else if let Some(rest) = sites.iter().find_map(|s| without_site(&c.text, s)) {
            c.site = true;
            stripped.push((rest, c.origin));
        }
    }
    for (rest, origin) in stripped {
        push(candidates, &rest, origin, false);
    }
}

/// `text` less `site` at its start or end and the separator between them.
fn without_site(text: &str, site: &str) -> Option<String> {
    let n = site.len();
    if site.is_empty() || text.len() <= n {
        return None;
    }
    let head = text.get(..n).filter(|h| h.eq_ignore_ascii_case(site));
    let tail = text
        .get(text.len() - n..)
        .filter(|t| t.eq_ignore_ascii_case(site));
    let rest = if head.is_some() {
        text.get(n..)?.trim_start().strip_prefix(is_separator)?
    } else if tail.is_some() {
        text.get(..text.len() - n)?
            .trim_end()
            .strip_suffix(is_separator)?
    } else {
        return None;
    };
    let rest = rest.trim_matches(|c: char| c.is_whitespace() || is_separator(c));
    (rest.chars().count() >= 4).then(|| rest.to_owned())
}

/// A character that joins a headline to a site's name.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        '|' | '-' | '–' | '—' | ':' | '·' | '«' | '»' | '_' | '｜' | '－' | '/' | '>' | '•'
    )
}

/// Where sites join a headline to their own name ("Port strike ends -
/// Harbour Wire", "标题_新闻_温州网", "明日股市预测--标题").
const SEPARATORS: &[&str] = &[
    " | ", " - ", " – ", " — ", " :: ", " · ", " « ", " » ", " • ", "——", "--", "_", "｜", "|",
    "－", "—", "-",
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

/// Word or character-bigram set of a text, for agreement. Each gram is
/// kept as a 64-bit hash of its text (equal grams, equal keys; unequal
/// ones collide about once in 2^64): a body's opening has hundreds.
struct Grams(std::collections::HashSet<u64>);

impl Grams {
    fn of(text: &str) -> Grams {
        Grams::with_words_from(text, 2)
    }

    /// The grams of `text`: its CJK character pairs (a lone CJK character
    /// alone), and its words of at least `letters` characters.
    fn with_words_from(text: &str, letters: usize) -> Grams {
        let lower = text.to_lowercase();
        let mut grams = std::collections::HashSet::new();
        let mut han = Vec::new();
        let mut latin = String::new();
        for word in lower.split(|c: char| !c.is_alphanumeric()) {
            latin.clear();
            for c in word.chars() {
                if is_cjk(c) {
                    han.push(c);
                } else {
                    pairs(&mut han, &mut grams);
                    latin.push(c);
                }
            }
            pairs(&mut han, &mut grams);
            if latin.chars().count() >= letters {
                grams.insert(xxh3_64(latin.as_bytes()));
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

fn pairs(han: &mut Vec<char>, grams: &mut std::collections::HashSet<u64>) {
    let mut utf8 = [0u8; 8];
    for pair in han.windows(2) {
        let first = pair[0].encode_utf8(&mut utf8).len();
        let second = pair[1].encode_utf8(&mut utf8[first..]).len();
        grams.insert(xxh3_64(&utf8[..first + second]));
    }
    if let [one] = han.as_slice() {
        grams.insert(xxh3_64(one.encode_utf8(&mut utf8).as_bytes()));
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
    fn a_logo_heading_is_the_sites_name() {
        let html = "<html><head><title>Cranes return to work | Harbour Rumors</title></head><body>\
            <h1 id='logo'><a href='https://harbour.example/'>Harbour Rumors</a></h1>\
            <h3><a href='/cranes-return'>Cranes return to work</a></h3></body></html>";
        // The sidebar names the site more often than the post says its
        // headline's words.
        let body =
            "Harbour Rumors has no affiliation with Harbour Rumors' sponsors. Cranes worked.";
        let found = candidates(&Document::from(html), None);
        assert!(
            found
                .iter()
                .any(|c| c.text == "Harbour Rumors" && c.is_site())
        );
        assert_eq!(reconcile(&found, body), "Cranes return to work");
        // A heading linking to a post, or with more than the link, is no logo.
        for heading in [
            "<h1><a href='https://harbour.example/cranes'>Harbour Rumors</a></h1>",
            "<h1><a href='/'>Harbour Rumors</a>: today's post</h1>",
            "<h1><a href=''>Harbour Rumors</a></h1>",
            "<h1><a href='/?page=2'>Harbour Rumors</a></h1>",
        ] {
            let document = Document::from(format!("<html><body>{heading}</body></html>"));
            assert!(
                candidates(&document, None).iter().all(|c| !c.is_site()),
                "{heading}"
            );
        }
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

    #[test]
    fn a_block_naming_only_the_site_yields_to_the_story_beside_it() {
        let document = Document::from(
            "<html><head><title>Ferry services suspended as gales close in - WSJ.com</title>\
             </head><body><h1>Ferry services suspended as gales close in</h1></body></html>",
        );
        let found = candidates(&document, None);
        let form = "Please register to gain free access to WSJ tools.\nFirst Name\nLast Name";
        let story = "Ferry services were suspended on Tuesday as gales closed in on the islands.";
        assert_eq!(reconcile(&found, form), "WSJ.com");
        assert_eq!(
            reconcile_any(&found, [form.to_string(), story.to_string()]),
            "Ferry services suspended as gales close in"
        );
        // A headline nothing agrees with (another story's `og:title` left on
        // the page) yields to the one the story's block says.
        let document = Document::from(
            "<html><head><meta property=\"og:title\" content=\"Stuxnet thwarted by code update\">\
             </head><body><h1>Ferry services suspended as gales close in</h1></body></html>",
        );
        let stale = candidates(&document, None);
        let notice = "This page is best viewed in a browser with style sheets enabled.";
        assert_eq!(reconcile(&stale, notice), "Stuxnet thwarted by code update");
        assert_eq!(
            reconcile_any(&stale, [notice.to_string(), story.to_string()]),
            "Ferry services suspended as gales close in"
        );
        assert_eq!(
            reconcile_any(&stale, [notice.to_string()]),
            "Stuxnet thwarted by code update",
            "trust decides where no block agrees"
        );
        // Where no block says more than the site's name, the first decides.
        assert_eq!(reconcile_any(&found, [form.to_string()]), "WSJ.com");
        assert_eq!(
            reconcile_any(&found, Vec::new()),
            reconcile(&found, ""),
            "no candidate article at all"
        );
    }

    fn title_of(html: &str, body: &str) -> String {
        reconcile(&candidates(&Document::from(html), None), body)
    }

    #[test]
    fn a_title_the_parser_moved_into_the_body_is_read() {
        let html = "<html><body><div>Menu</div><title>Harbour cranes return to work</title>\
            <p>Cranes at the harbour returned to work on Monday.</p></body></html>";
        let body = "Cranes at the harbour returned to work on Monday.";
        assert_eq!(title_of(html, body), "Harbour cranes return to work");
        let svg = "<html><head></head><body><svg><title>Logo</title></svg></body></html>";
        assert_eq!(title_of(svg, "Logo of the site."), "");
    }

    #[test]
    fn the_site_named_by_og_site_name_is_neither_chosen_nor_kept() {
        let html = r#"<html><head><meta property="og:site_name" content="Harbour Wire">
            <title>Harbour Wire: Cranes return to work at the port</title></head>
            <body><h1>Harbour Wire</h1></body></html>"#;
        let body = "Harbour Wire reporters saw the cranes return to work at the port.";
        assert_eq!(title_of(html, body), "Cranes return to work at the port");
        let html = r#"<html><head><meta property="og:site_name" content="Harbour Wire">
            <title>Cranes return - Harbour Wire</title></head><body></body></html>"#;
        assert_eq!(
            title_of(html, "Cranes return, Harbour Wire says."),
            "Cranes return"
        );
    }

    #[test]
    fn a_section_label_loses_to_a_headline_the_body_agrees_with() {
        let html = "<html><body><h1>Business</h1>\
            <h1>Mill closure costs the valley four hundred jobs</h1></body></html>";
        let body =
            "Business desk. The mill closure will cost the valley its jobs, the owners said.";
        assert_eq!(
            title_of(html, body),
            "Mill closure costs the valley four hundred jobs"
        );
        // A short heading still beats a longer `<title>`.
        let html = "<html><head><title>Photographs of the northern coast of Wales</title></head>\
            <body><h1>Welsh coast</h1></body></html>";
        let body = "The Welsh coast in photographs: the northern beaches in winter.";
        assert_eq!(title_of(html, body), "Welsh coast");
    }

    #[test]
    fn a_whole_title_loses_to_its_headline_part() {
        let html = "<html><head><title>Ferry timetable changes for winter | Island News Online</title></head></html>";
        let body = "Ferry timetable changes for winter start next week, the island's news office said online.";
        assert_eq!(title_of(html, body), "Ferry timetable changes for winter");
        let html =
            "<html><head><title>Pickling plums at home « Kitchen Notes</title></head></html>";
        let body = "Pickling plums at home takes a week. From my kitchen notes: salt first.";
        assert_eq!(title_of(html, body), "Pickling plums at home");
        // A part still holding the section's name loses to the headline.
        let html = "<html><head><title>Cranes return to work | Port News - Harbour Wire</title></head></html>";
        let body = "Cranes return to work, the port news desk says.";
        assert_eq!(title_of(html, body), "Cranes return to work");
    }

    #[test]
    fn a_blog_name_before_a_colon_comes_off() {
        let html = "<html><head><title>Harbour Notes: Cranes return to work</title></head>\
            <body><h1>Harbour Notes</h1></body></html>";
        let body = "Cranes returned to work at the harbour, my notes say.";
        assert_eq!(title_of(html, body), "Cranes return to work");
        // Without the name as the page's heading, the colon is the headline's.
        let html = "<html><head><title>Mayor: Cranes return to work</title></head></html>";
        let body = "The mayor said cranes return to work on Monday.";
        assert_eq!(title_of(html, body), "Mayor: Cranes return to work");
    }
}
