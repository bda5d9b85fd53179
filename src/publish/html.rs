//! The web page at `/`: the merged stories, newest first, each with the
//! sources that also ran it, and links to the feeds (with autodiscovery).
//! Server-rendered, a small stylesheet, no JavaScript.

use chrono::{DateTime, Utc};

use super::{Item, escape_html};

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#222}\
h1{font-size:1.4rem}ol{padding:0;list-style:none}li{margin:0 0 1.1rem}\
a{color:#0645ad;text-decoration:none}a:hover{text-decoration:underline}\
.story{font-size:1.05rem;font-weight:600}.meta,.also,nav{font-size:.85rem;color:#555}\
@media(prefers-color-scheme:dark){body{background:#111;color:#ddd}a{color:#8ab4f8}.meta,.also,nav{color:#aaa}}";

/// The page for `items`, with links to the merged feed and each group's.
pub fn render_page(title: &str, items: &[Item], groups: &[&str]) -> String {
    let title = escape_html(title);
    let mut out = format!(
        "<!doctype html>\n<html lang=\"und\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title>\
         <link rel=\"alternate\" type=\"application/atom+xml\" href=\"feed.atom\" title=\"{title} (Atom)\">\
         <link rel=\"alternate\" type=\"application/rss+xml\" href=\"feed.rss\" title=\"{title} (RSS)\">\
         <link rel=\"alternate\" type=\"application/feed+json\" href=\"feed.json\" title=\"{title} (JSON Feed)\">\
         <style>{STYLE}</style></head>\n<body><h1>{title}</h1>\n{}<ol>\n",
        feed_links(groups)
    );
    for item in items {
        out.push_str(&story(item));
    }
    if items.is_empty() {
        out.push_str("<li>No stories yet.</li>\n");
    }
    out.push_str("</ol></body></html>\n");
    out
}

fn feed_links(groups: &[&str]) -> String {
    let mut nav = String::from(
        "<nav>Feeds: <a href=\"feed.atom\">Atom</a> · <a href=\"feed.rss\">RSS</a> · <a href=\"feed.json\">JSON Feed</a>",
    );
    for group in groups {
        let g = escape_html(group);
        nav.push_str(&format!(" · {g}: <a href=\"feeds/{g}.atom\">Atom</a> <a href=\"feeds/{g}.rss\">RSS</a> <a href=\"feeds/{g}.json\">JSON</a>"));
    }
    nav.push_str(" · <a href=\"sources\">Sources</a></nav>\n");
    nav
}

fn story(item: &Item) -> String {
    let title = escape_html(&item.title);
    let headline = match web_link(item.url.as_deref()) {
        Some(url) => {
            format!("<a class=\"story\" href=\"{url}\" rel=\"noopener noreferrer\">{title}</a>")
        }
        None => format!("<span class=\"story\">{title}</span>"),
    };
    let mut out = format!(
        "<li>{headline}<div class=\"meta\">{} · <time datetime=\"{}\">{}</time></div>",
        escape_html(&item.source),
        item.published.to_rfc3339(),
        short(item.published)
    );
    if !item.also.is_empty() {
        let others: Vec<String> = item
            .also
            .iter()
            .map(|a| {
                let name = escape_html(&a.source);
                match web_link(a.url.as_deref()) {
                    Some(url) => format!(
                        "<a href=\"{url}\" title=\"{}\" rel=\"noopener noreferrer\">{name}</a>",
                        escape_html(&a.title)
                    ),
                    None => name,
                }
            })
            .collect();
        out.push_str(&format!(
            "<div class=\"also\">Also reported by {}</div>",
            others.join(", ")
        ));
    }
    out.push_str("</li>\n");
    out
}

/// An http(s) link, escaped for an attribute; anything else (javascript:,
/// data:) is not linked.
fn web_link(url: Option<&str>) -> Option<String> {
    let parsed = url::Url::parse(url?).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| escape_html(parsed.as_str()))
}

fn short(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}
