//! A source's own selectors (`content_selector`, `remove_selectors`), which
//! take precedence over the general strategies for that site.

use dom_query::Document;

/// Selectors checked when the config is loaded, applied to each page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteRules {
    content: Option<String>,
    remove: Vec<String>,
}

/// A selector that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("bad CSS selector {selector:?}")]
pub struct RulesError {
    /// The selector as written.
    pub selector: String,
}

impl SiteRules {
    /// Rules from a source's config; every selector must parse.
    pub fn new(content: Option<&str>, remove: &[String]) -> Result<SiteRules, RulesError> {
        let check = |css: &str| match dom_query::Matcher::new(css) {
            Ok(_) => Ok(css.to_owned()),
            Err(_) => Err(RulesError {
                selector: css.to_owned(),
            }),
        };
        Ok(SiteRules {
            content: content.map(check).transpose()?,
            remove: remove
                .iter()
                .map(|css| check(css))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether there is anything to apply.
    pub fn is_empty(&self) -> bool {
        self.content.is_none() && self.remove.is_empty()
    }

    /// Removes what `remove_selectors` match.
    pub(crate) fn remove_from(&self, document: &Document) {
        for css in &self.remove {
            if let Some(found) = document.try_select(css) {
                found.remove();
            }
        }
    }

    /// The outer HTML of what `content_selector` matches, all matches in
    /// document order, if it matches anything with text.
    pub(crate) fn content_of(&self, document: &Document) -> Option<String> {
        let found = document.try_select(self.content.as_deref()?)?;
        let html: String = found.iter().map(|n| n.html().to_string()).collect();
        (!found.text().trim().is_empty()).then_some(html)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_checked_and_applied() {
        assert!(SiteRules::new(Some("div[["), &[]).is_err());
        assert!(SiteRules::new(None, &["p:nope(".into()]).is_err());
        let rules = SiteRules::new(Some(".story p"), &[".ad".into()]).unwrap();
        let document =
            Document::from("<div class='story'><p>One.</p><p class='ad'>Buy!</p><p>Two.</p></div>");
        rules.remove_from(&document);
        assert_eq!(
            rules.content_of(&document).unwrap(),
            "<p>One.</p><p>Two.</p>"
        );
        let none = SiteRules::new(Some(".missing"), &[]).unwrap();
        assert_eq!(none.content_of(&document), None);
    }
}
