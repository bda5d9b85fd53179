//! The site templates a rendering needs: the template lines of the sites
//! whose copies it publishes, read from the store once per site, so that
//! published bodies leave out what the site repeats on every page (see
//! `output.cut_site_templates`).

use std::collections::HashSet;

use crate::dedup::template::Templates;
use crate::extract::batch::Extracted;
use crate::extract::html_to_text;
use crate::store::{Store, StoreError};

/// Pages of a site a short line must be seen on before published bodies
/// leave it out (prose-length lines: one more). One more than dedup needs
/// to leave a line out of the fingerprint: a site that runs one article
/// twice (an update under a new id) would otherwise lose the article's
/// short paragraphs, its subheads and one-line quotes, from both copies.
/// (`Store::shared_lines` and its index read lines from this many pages.)
pub const PUBLISH_MIN_PAGES: u32 = 3;

/// What one rendering knows of its sites' templates.
#[derive(Debug)]
pub struct SiteChrome {
    templates: Templates,
    loaded: HashSet<String>,
}

impl Default for SiteChrome {
    fn default() -> Self {
        SiteChrome {
            templates: Templates::new(PUBLISH_MIN_PAGES),
            loaded: HashSet::new(),
        }
    }
}

impl SiteChrome {
    /// Reads the templates of those of `sites` not read yet, as they stand
    /// at `now`.
    pub async fn load<'a>(
        &mut self,
        store: &Store,
        sites: impl Iterator<Item = &'a str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut missing: Vec<&str> = sites.filter(|s| !self.loaded.contains(*s)).collect();
        missing.sort_unstable();
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        let lines = store.shared_lines(&missing, now).await?;
        for (site, counts) in lines {
            self.templates.load(&site, counts);
        }
        self.loaded.extend(missing.into_iter().map(str::to_owned));
        Ok(())
    }

    /// The templates read so far.
    pub fn templates(&mut self) -> &mut Templates {
        &mut self.templates
    }
}

/// What the daemon would publish of a batch of extracted pages (`feedfold
/// extract --batch --site-templates`): each page's site (its URL's host)
/// learns its template from the other pages of the batch, as the daemon
/// learns it from a source's stored pages, and each article leaves out its
/// site's template paragraphs as published bodies do. Pages without a URL
/// are left as they are. Returns how many paragraphs went in all.
pub fn cut_pages(pages: &mut [Extracted]) -> usize {
    let site_of = |page: &Extracted| {
        let url = url::Url::parse(page.url.as_deref()?).ok()?;
        url.host_str().map(str::to_owned)
    };
    let sites: Vec<Option<String>> = pages.iter().map(site_of).collect();
    let mut templates = Templates::new(PUBLISH_MIN_PAGES);
    for (page, site) in pages.iter().zip(&sites) {
        if let Some(site) = site {
            templates.learn(site, &html_to_text(&page.html));
        }
    }
    let mut cut = 0;
    for (page, site) in pages.iter_mut().zip(&sites) {
        let Some(site) = site.as_deref() else {
            continue;
        };
        if let Some((html, gone)) = templates.cut_html(site, &page.html) {
            page.text = html_to_text(&html);
            page.html = html;
            cut += gone;
        }
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(id: &str, url: Option<String>, story: &str) -> Extracted {
        Extracted {
            id: id.to_owned(),
            url,
            text: String::new(),
            html: format!("<p>{story}</p><p>Sign up for our newsletter</p>"),
            title: String::new(),
            strategy: "density",
            reason: String::new(),
            ms: 0.0,
            err: None,
            candidates: Vec::new(),
        }
    }

    #[test]
    fn a_batch_learns_each_sites_template_from_its_other_pages() {
        let a = |n: u32| Some(format!("https://a.example/{n}"));
        let b = |n: u32| Some(format!("https://b.example/{n}"));
        let mut pages = vec![
            page("1", a(1), "Dock workers accept the offer."),
            page("2", a(2), "Ferries stop for the storm."),
            page("3", a(3), "Rail fares rise in January."),
            page("4", b(4), "Dock workers accept the offer."),
            page("5", b(5), "Ferries stop for the storm."),
            page("6", None, "Ferries stop for the storm."),
        ];
        assert_eq!(cut_pages(&mut pages), 3);
        assert_eq!(pages[0].text, "Dock workers accept the offer.");
        assert_eq!(pages[1].html, "<p>Ferries stop for the storm.</p>");
        // Two pages of a site are not enough (one story run twice would
        // lose its short paragraphs); no site, nothing to learn from.
        assert!(pages[3].html.contains("newsletter"));
        assert!(pages[5].html.contains("newsletter"));
    }
}
