//! The site templates a rendering needs: the template lines of the sites
//! whose copies it publishes, read from the store once per site, so that
//! published bodies leave out what the site repeats on every page (see
//! `output.cut_site_templates`).

use std::collections::HashSet;

use crate::dedup::template::Templates;
use crate::store::{Store, StoreError};

/// What one rendering knows of its sites' templates.
#[derive(Debug, Default)]
pub struct SiteChrome {
    templates: Templates,
    loaded: HashSet<String>,
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
