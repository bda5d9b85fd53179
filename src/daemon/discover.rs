//! `feedfold add`: a site's feeds found through the daemon's own fetcher
//! (SSRF guard, robots.txt for the page, limits, politeness). A URL that
//! already is a feed is the answer; else the page's `<link
//! rel="alternate">` feeds; else the first common feed path that is one.
//! Every candidate is fetched and parsed before it is offered.

use url::Url;

use crate::fetch::{FetchError, Fetcher, Profile, Validators};
use crate::source::discover::{FeedInfo, as_feed, common_feed_urls, feed_links};

/// A feed found on a site, read to be sure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Where it is.
    pub url: Url,
    /// Its title, type and item count.
    pub info: FeedInfo,
}

/// Why no feed could be offered.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// The page itself could not be fetched.
    #[error("{url}: {error}")]
    Fetch {
        /// The page.
        url: Url,
        /// Why.
        error: FetchError,
    },
    /// The page is no feed, announces none that reads as one, and no
    /// common path serves one.
    #[error("no feed found at {url}: {why}")]
    NoFeeds {
        /// The page.
        url: Url,
        /// What was tried.
        why: String,
    },
}

/// The feeds `url` is or leads to, in the order found.
pub async fn discover(
    fetcher: &Fetcher,
    profile: &Profile,
    url: &Url,
) -> Result<Vec<Found>, DiscoverError> {
    let none = Validators::default();
    let page = fetcher
        .get_page(url, &none, profile)
        .await
        .map_err(|error| DiscoverError::Fetch {
            url: url.clone(),
            error,
        })?;
    let content_type = page.content_type.as_deref();
    if let Some(info) = as_feed(&page.bytes, content_type, &page.final_url) {
        return Ok(vec![Found {
            url: url.clone(),
            info,
        }]);
    }
    let links = feed_links(&page.bytes, content_type, &page.final_url);
    let mut found = Vec::new();
    let mut failed = Vec::new();
    for link in &links {
        match read_feed(fetcher, profile, link).await {
            Ok(feed) if !found.iter().any(|f: &Found| f.url == feed.url) => found.push(feed),
            Ok(_) => {}
            Err(why) => failed.push(format!("{link}: {why}")),
        }
    }
    if !found.is_empty() {
        return Ok(found);
    }
    // Common paths only when the page announces nothing usable: they are
    // guesses, and the first one that reads as a feed is the site's.
    for candidate in common_feed_urls(&page.final_url) {
        if let Ok(feed) = read_feed(fetcher, profile, &candidate).await {
            return Ok(vec![feed]);
        }
    }
    let announced = if links.is_empty() {
        "the page announces no feed (<link rel=\"alternate\">)".to_owned()
    } else {
        format!(
            "the feeds the page announces failed ({})",
            failed.join("; ")
        )
    };
    Err(DiscoverError::NoFeeds {
        url: url.clone(),
        why: format!(
            "it is not a feed, {announced}, and none of {} on its site is one",
            crate::source::discover::COMMON_PATHS.join(", ")
        ),
    })
}

/// `url` fetched and read as a feed, or why it is not one. Feeds are not
/// subject to robots.txt (as in the daemon).
async fn read_feed(fetcher: &Fetcher, profile: &Profile, url: &Url) -> Result<Found, String> {
    let fetched = fetcher
        .get_with(url, &Validators::default(), profile)
        .await
        .map_err(|e| e.to_string())?;
    let info = as_feed(&fetched.bytes, fetched.content_type.as_deref(), url)
        .ok_or_else(|| "not a feed".to_owned())?;
    Ok(Found {
        url: url.clone(),
        info,
    })
}
