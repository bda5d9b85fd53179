//! The web page at `/`: the merged stories, newest first, each with the
//! sources that also ran it, and links to the feeds (with autodiscovery).
//! Server-rendered, a small stylesheet, no JavaScript.

use super::item::{AlsoReported, Related};
use super::{Item, escape_html};
use crate::config::TimeZone;
use crate::extract::html_to_text;

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#222}\
h1{font-size:1.4rem}ol{padding:0;list-style:none}ol>li{margin:0 0 1.4rem;overflow:hidden}\
a{color:#0645ad;text-decoration:none}a:hover{text-decoration:underline}\
.story{font-size:1.05rem;font-weight:600}.meta,.also,.related,nav{font-size:.85rem;color:#555}\
.related{margin-top:.2rem;padding-left:.6rem;border-left:3px solid #ccd}\
.sum{margin:.25rem 0;color:#333}.thumb{float:right;margin:0 0 .4rem .8rem;max-width:8rem;max-height:6rem;object-fit:cover;border-radius:3px}\
.also .t{color:#444}\
@media(prefers-color-scheme:dark){body{background:#111;color:#ddd}a{color:#8ab4f8}.meta,.also,.related,nav{color:#aaa}.related{border-color:#445}.sum,.also .t{color:#ccc}}";

/// Characters of a story's text shown under its title.
const SUMMARY_CHARS: usize = 200;

/// The page for `items`, with links to the merged feed and each group's;
/// times are shown in `zone`.
pub fn render_page(title: &str, items: &[Item], groups: &[&str], zone: &TimeZone) -> String {
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
    // A story listed under the lead story of its event (the first of the
    // event on the page) is not listed again on its own.
    let mut under_lead = std::collections::HashSet::new();
    for item in items {
        if under_lead.contains(item.id.as_str()) {
            continue;
        }
        under_lead.extend(item.related.iter().map(|r| r.id.as_str()));
        out.push_str(&story(item, zone));
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

fn story(item: &Item, zone: &TimeZone) -> String {
    let title = escape_html(&item.title);
    let headline = match web_link(item.url.as_deref()) {
        Some(url) => {
            format!("<a class=\"story\" href=\"{url}\" rel=\"noopener noreferrer\">{title}</a>")
        }
        None => format!("<span class=\"story\">{title}</span>"),
    };
    let summary = summary(item);
    let lang = script_lang(&format!(
        "{} {}",
        item.title,
        summary.as_deref().unwrap_or("")
    ))
    .map_or_else(String::new, |l| format!(" lang=\"{l}\""));
    let image = item.image.as_deref().and_then(|src| web_link(Some(src)));
    let image = image.map_or_else(String::new, |src| {
        format!(
            "<img class=\"thumb\" src=\"{src}\" alt=\"\" loading=\"lazy\" decoding=\"async\" \
             referrerpolicy=\"no-referrer\" width=\"128\" height=\"96\">"
        )
    });
    let mut out = format!(
        "<li{lang}>{image}{headline}<div class=\"meta\">{} · <time datetime=\"{}\">{}</time>{}</div>",
        escape_html(&item.source_title),
        item.published.to_rfc3339(),
        zone.show(item.published),
        source_count(item)
    );
    if let Some(summary) = summary {
        out.push_str(&format!("<p class=\"sum\">{}</p>", escape_html(&summary)));
    }
    if !item.also.is_empty() {
        out.push_str(&also(&item.also));
    }
    if !item.related.is_empty() {
        out.push_str(&related(&item.related));
    }
    out.push_str("</li>\n");
    out
}

/// " · 3 sources" when others ran the story too.
fn source_count(item: &Item) -> String {
    let mut sources: Vec<&str> = item.also.iter().map(|a| a.source.as_str()).collect();
    sources.push(&item.source);
    sources.sort_unstable();
    sources.dedup();
    match sources.len() {
        1 => String::new(),
        n => format!(" · {n} sources"),
    }
}

/// Each other copy: its source, linked, and its own title (copies are
/// often retitled, and the titles tell a reader which copy to open).
fn also(also: &[AlsoReported]) -> String {
    let others: Vec<String> = also
        .iter()
        .map(|a| {
            let name = escape_html(&a.source_title);
            let source = match web_link(a.url.as_deref()) {
                Some(url) => format!(
                    "<a href=\"{url}\" title=\"{}\" rel=\"noopener noreferrer\">{name}</a>",
                    escape_html(&a.title)
                ),
                None => name,
            };
            format!(
                "{source}: <span class=\"t\">{}</span>",
                escape_html(&a.title)
            )
        })
        .collect();
    format!(
        "<div class=\"also\">Also reported by {}</div>",
        others.join("; ")
    )
}

/// The event's other stories: "2 more reports: title (source); …".
fn related(related: &[Related]) -> String {
    let others: Vec<String> = related
        .iter()
        .map(|r| {
            let title = escape_html(&r.title);
            let headline = match web_link(r.url.as_deref()) {
                Some(url) => format!("<a href=\"{url}\" rel=\"noopener noreferrer\">{title}</a>"),
                None => title,
            };
            format!(
                "{headline} <span class=\"t\">({})</span>",
                escape_html(&r.source_title)
            )
        })
        .collect();
    let count = match related.len() {
        1 => "1 more report".to_owned(),
        n => format!("{n} more reports"),
    };
    format!(
        "<div class=\"related\">{count}: {}</div>",
        others.join("; ")
    )
}

/// The first ~200 characters of the story's text: the feed's summary, else
/// its body without the "Also reported by" list; plain text (escaped when
/// written), `None` when there is nothing beyond the title.
fn summary(item: &Item) -> Option<String> {
    let text = match &item.summary {
        Some(summary) => summary.clone(),
        None => {
            let mut text = html_to_text(&item.content_html);
            // The footers the body ends with are not its text.
            for (has, footer) in [
                (!item.related.is_empty(), "Related coverage:"),
                (!item.also.is_empty(), "Also reported by"),
            ] {
                if let (true, Some(cut)) = (has, text.rfind(footer)) {
                    text.truncate(cut);
                }
            }
            text
        }
    };
    let flat = crate::text::space::collapse(&text);
    let short = match flat.char_indices().nth(SUMMARY_CHARS) {
        Some((cut, _)) => format!("{}…", flat[..cut].trim_end()),
        None => flat,
    };
    (!short.is_empty() && short != item.title).then_some(short)
}

/// The language a story's script shows: `zh`, `ja` or `ko`; `None` for
/// other text, which keeps the page's `und` rather than a guess.
fn script_lang(text: &str) -> Option<&'static str> {
    let letters: Vec<char> = text
        .chars()
        .filter(|c| c.is_alphabetic())
        .take(500)
        .collect();
    let count = |f: &dyn Fn(char) -> bool| letters.iter().filter(|c| f(**c)).count();
    let kana = count(&|c| ('\u{3040}'..='\u{30ff}').contains(&c));
    let hangul = count(&|c| ('\u{ac00}'..='\u{d7af}').contains(&c));
    let han = count(&crate::text::script::is_han);
    let third = letters.len() / 3;
    if kana > letters.len() / 20 && kana + han > third {
        Some("ja")
    } else if hangul > third {
        Some("ko")
    } else if han > third {
        Some("zh")
    } else {
        None
    }
}

/// An http(s) link, escaped for an attribute; anything else (javascript:,
/// data:) is not linked.
fn web_link(url: Option<&str>) -> Option<String> {
    let parsed = url::Url::parse(url?).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| escape_html(parsed.as_str()))
}
