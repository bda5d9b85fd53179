//! Site templates: text lines that recur across a site's pages (navigation
//! rows, footers, "related" lists, credit boxes that extraction kept) are
//! the site's, not the story's, and leave the text before fingerprinting.
//! Two copies of one wire story on two sites then compare their stories,
//! not their chromes, and two stories on one site no longer share chrome.
//!
//! A line is template once it has been seen on [`Templates::min_pages`]
//! different pages of one site; a line seen on one page only is never
//! removed. Lines are compared folded (case, width, punctuation, script),
//! by a stable 64-bit hash.

use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::normalize::fold_into;

/// Pages of one site a short line must appear on to count as template: two,
/// since chrome is on every page.
pub const MIN_PAGES: u32 = 2;

/// Lines at least this long (in characters, a Han character counting two)
/// are prose more often than chrome, and a site may run one story twice (an
/// update, a second section): such a line must be seen on one page more.
const PROSE: usize = 60;

/// Distinct lines remembered per site: when a site passes it, the lines
/// seen on one page only are forgotten first.
const MAX_LINES_PER_SITE: usize = 20_000;

/// Fixed seed: line keys may be stored and shared by daemons.
const SEED: u64 = 0x7465_6d70_6c61_7465;

/// What is known of each site's template.
#[derive(Debug, Clone)]
pub struct Templates {
    sites: HashMap<String, Site>,
    min_pages: u32,
    folded: String,
}

#[derive(Debug, Clone, Default)]
struct Site {
    /// Pages each line was seen on.
    pages: HashMap<u64, u32>,
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new(MIN_PAGES)
    }
}

impl Templates {
    /// No site known yet; a line is template from `min_pages` pages on
    /// (at least 2).
    pub fn new(min_pages: u32) -> Templates {
        Templates {
            sites: HashMap::new(),
            min_pages: min_pages.max(2),
            folded: String::new(),
        }
    }

    /// Counts the lines of one page of `site` (each line once per page).
    pub fn learn(&mut self, site: &str, text: &str) {
        let keys = self.page_keys(text);
        self.learn_keys(site, &keys);
    }

    /// The keys of a page's lines, each once, sorted: what [`Templates::learn`]
    /// counts, and what the store records for the page.
    pub fn page_keys(&mut self, text: &str) -> Vec<u64> {
        let lines = self.line_keys(text);
        page_keys_of(&lines)
    }

    /// The key of each line of `text`, in order (`None` for a line with no
    /// letters or digits): fold a page once, then learn and strip from it.
    pub fn line_keys(&mut self, text: &str) -> Vec<Option<u64>> {
        text.lines().map(|l| key_of(&mut self.folded, l)).collect()
    }

    /// Counts one page of `site` whose line keys (each once) are `keys`.
    pub fn learn_keys(&mut self, site: &str, keys: &[u64]) {
        let entry = self.sites.entry(site.to_owned()).or_default();
        for &key in keys {
            *entry.pages.entry(key).or_default() += 1;
        }
        if entry.pages.len() > MAX_LINES_PER_SITE {
            entry.pages.retain(|_, pages| *pages > 1);
        }
    }

    /// Adds counts learnt elsewhere (the store's) to what is known of `site`.
    pub fn load(&mut self, site: &str, counts: impl IntoIterator<Item = (u64, u32)>) {
        let entry = self.sites.entry(site.to_owned()).or_default();
        for (key, pages) in counts {
            let known = entry.pages.entry(key).or_default();
            *known = known.saturating_add(pages);
        }
    }

    /// Whether `line` (one paragraph) is a template line of `site`.
    pub fn is_template_line(&mut self, site: &str, line: &str) -> bool {
        let Some(known) = self.sites.get(site) else {
            return false;
        };
        let key = key_of(&mut self.folded, line);
        self.is_known_template(known, line, key)
    }

    /// Whether a site knows `line`, whose key is `key`, from enough pages.
    fn is_known_template(&self, known: &Site, line: &str, key: Option<u64>) -> bool {
        let needed = self.min_pages + u32::from(weight(line) >= PROSE);
        key.and_then(|k| known.pages.get(&k))
            .is_some_and(|&pages| pages >= needed)
    }

    /// `html` (an article body of `site`) without its template paragraphs,
    /// and how many went; `None` when nothing goes (see
    /// [`crate::extract::drop_paragraphs`] for what is never cut).
    pub fn cut_html(&mut self, site: &str, html: &str) -> Option<(String, usize)> {
        if !self.knows(site) {
            return None;
        }
        crate::extract::drop_paragraphs(html, |line| self.is_template_line(site, line))
    }

    /// Whether `site` has any template line yet (a line seen on enough
    /// pages): if not, nothing of its pages need be looked at.
    pub fn knows(&self, site: &str) -> bool {
        self.sites
            .get(site)
            .is_some_and(|s| s.pages.values().any(|&pages| pages >= self.min_pages))
    }

    /// The text of a page of `site` without its template lines, and how many
    /// lines went. A page that is all template (an extraction that found
    /// only the site's chrome) comes out empty: its chrome says nothing of
    /// its story, and left in, it would match every such page of the site.
    pub fn strip(&mut self, site: &str, text: &str) -> (String, usize) {
        let keys = self.line_keys(text);
        self.strip_keyed(site, text, &keys)
    }

    /// As [`Templates::strip`], with the page's [`Templates::line_keys`]
    /// already computed.
    pub fn strip_keyed(&self, site: &str, text: &str, keys: &[Option<u64>]) -> (String, usize) {
        let Some(known) = self.sites.get(site) else {
            return (text.to_owned(), 0);
        };
        let mut kept = String::with_capacity(text.len());
        let mut removed = 0;
        for (line, key) in text.lines().zip(keys) {
            if self.is_known_template(known, line, *key) {
                removed += 1;
                continue;
            }
            if !kept.is_empty() {
                kept.push('\n');
            }
            kept.push_str(line);
        }
        (kept, removed)
    }
}

/// A page's line keys, each once, sorted.
pub fn page_keys_of(lines: &[Option<u64>]) -> Vec<u64> {
    let mut keys: Vec<u64> = lines.iter().flatten().copied().collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// A line's length for [`PROSE`]: characters other than whitespace, a CJK
/// character counting two (it says about as much as a short word).
fn weight(line: &str) -> usize {
    line.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if crate::text::script::is_cjk(c) { 2 } else { 1 })
        .sum()
}

/// The stable key of a line: the hash of its folded form; `None` for a line
/// with no letters or digits.
fn key_of(buffer: &mut String, line: &str) -> Option<u64> {
    buffer.clear();
    fold_into(line, buffer);
    (!buffer.is_empty()).then(|| xxh3_64_with_seed(buffer.as_bytes(), SEED))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAV: &str = "Home | World | Business\nSign up for our newsletter";

    #[test]
    fn lines_on_several_pages_of_a_site_go_lines_on_one_stay() {
        let mut t = Templates::default();
        let a = format!("{NAV}\nPort strike ends after twelve days.\nShips leave.");
        let b = format!("{NAV}\nStorm Brenna closes ferries.\nHOME | world | business");
        t.learn("harbour", &a);
        t.learn("harbour", &b);
        t.learn("other", "Port strike ends after twelve days.");
        let (text, removed) = t.strip("harbour", &a);
        assert_eq!(text, "Port strike ends after twelve days.\nShips leave.");
        assert_eq!(removed, 2);
        // Another site's lines are its own; an unknown site keeps everything.
        assert_eq!(t.strip("other", &a).1, 0);
        assert_eq!(t.strip("nowhere", &a).0, a);
    }

    #[test]
    fn a_page_of_chrome_alone_is_stripped_to_nothing() {
        let mut t = Templates::default();
        t.learn("harbour", &format!("{NAV}\nPort strike ends."));
        t.learn("harbour", &format!("{NAV}\nFerries stop."));
        assert_eq!(t.strip("harbour", NAV), (String::new(), 2));
    }

    #[test]
    fn a_story_run_twice_on_one_site_is_not_its_template() {
        let mut t = Templates::default();
        let story = "Dock workers voted on Sunday night to accept a revised pay offer, ending a twelve-day strike.\n\
                     The stoppage had left more than forty ships anchored offshore and freight disrupted for weeks.";
        t.learn("harbour", &format!("{NAV}\n{story}"));
        t.learn("harbour", &format!("{story}\nUpdated at noon."));
        t.learn(
            "harbour",
            &format!("{NAV}\nStorm Brenna closes ferries across the bay."),
        );
        let page = format!("{story}\nUpdated at noon.");
        assert_eq!(t.strip("harbour", &page), (page.clone(), 0));
        let other = format!("{NAV}\nStorm Brenna closes ferries across the bay.");
        assert_eq!(t.strip("harbour", &other).1, 2);
    }

    #[test]
    fn a_line_repeated_within_one_page_is_not_template() {
        let mut t = Templates::default();
        t.learn("s", "Advertisement\nBody one.\nAdvertisement");
        assert_eq!(t.strip("s", "Advertisement\nBody one.").1, 0);
    }

    #[test]
    fn memory_per_site_is_bounded() {
        let mut t = Templates::default();
        for page in 0..30 {
            let lines: String = (0..1_000)
                .map(|i| format!("page {page} line {i}\n"))
                .collect();
            t.learn("big", &format!("{lines}{NAV}"));
        }
        let site = &t.sites["big"];
        assert!(site.pages.len() <= MAX_LINES_PER_SITE + 1_000);
        let page =
            format!("{NAV}\nA fresh story, its one line long enough to be most of the page.");
        assert_eq!(t.strip("big", &page).1, 2);
    }
}
