//! Changing the config file in place (`feedfold opml import`, `feedfold
//! add`): new
//! `[[source]]` tables are appended with toml_edit, so the user's comments,
//! order and formatting stay as they were.

use std::collections::HashSet;

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use super::opml::Subscription;

/// What happened to one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// Appended under this source name.
    New(String),
    /// A source with this URL is already configured (its name).
    AlreadyThere(String),
}

/// Why the config could not be edited.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The file is not TOML (run `feedfold check`).
    #[error("cannot edit the config: {0}")]
    Toml(#[from] toml_edit::TomlError),
    /// `source` exists but is not an array of tables.
    #[error("cannot edit the config: `source` is not a list of [[source]] tables")]
    Shape,
}

/// The config text with a `[[source]]` table appended per subscription whose
/// URL is not configured yet.
pub fn add_sources(
    text: &str,
    subscriptions: &[Subscription],
) -> Result<(String, Vec<Added>), EditError> {
    let mut doc: DocumentMut = text.parse()?;
    if !doc.contains_key("source") {
        doc.insert("source", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let sources = doc
        .get_mut("source")
        .and_then(Item::as_array_of_tables_mut)
        .ok_or(EditError::Shape)?;
    let mut names: HashSet<String> = sources
        .iter()
        .filter_map(|t| t.get("name").and_then(Item::as_str).map(str::to_owned))
        .collect();
    let mut urls: Vec<(String, String)> = sources
        .iter()
        .filter_map(|t| {
            Some((
                t.get("url")?.as_str()?.to_owned(),
                t.get("name")?.as_str()?.to_owned(),
            ))
        })
        .collect();
    let mut report = Vec::new();
    for sub in subscriptions {
        if let Some((_, name)) = urls.iter().find(|(u, _)| *u == sub.url) {
            report.push(Added::AlreadyThere(name.clone()));
            continue;
        }
        // A name feedfold exported is kept (made unique); others come from
        // the title.
        let given = sub.extra.iter().find(|(k, _)| k == "name").map(|(_, v)| v);
        let name = unique_name(
            &given.map_or_else(|| slug(&sub.title), |n| n.trim().to_owned()),
            &names,
        );
        sources.push(table_for(&name, sub));
        names.insert(name.clone());
        urls.push((sub.url.clone(), name.clone()));
        report.push(Added::New(name));
    }
    Ok((doc.to_string(), report))
}

fn table_for(name: &str, sub: &Subscription) -> Table {
    let extra = |key: &str| {
        sub.extra
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let mut table = Table::new();
    table.insert("name", value(name));
    table.insert("url", value(sub.url.as_str()));
    if extra("name").is_some() && sub.title != name {
        table.insert("title", value(sub.title.as_str()));
    }
    if extra("kind") == Some("page") {
        table.insert("kind", value("page"));
    }
    if let Some(schedule) = extra("schedule") {
        table.insert("schedule", value(schedule));
    }
    if !sub.groups.is_empty() {
        table.insert(
            "groups",
            value(sub.groups.iter().map(String::as_str).collect::<Array>()),
        );
    }
    if let Some(priority) = extra("priority").and_then(|p| p.parse::<i64>().ok()) {
        table.insert("priority", value(priority));
    }
    if extra("enabled") == Some("false") {
        table.insert("enabled", value(false));
    }
    if let Some(item) = extra("item") {
        let mut page = Table::new();
        page.insert("item", value(item));
        for key in ["title", "link", "date"] {
            if let Some(v) = extra(key) {
                page.insert(key, value(v));
            }
        }
        table.insert("page", Item::Table(page));
    }
    table
}

/// A source name from a feed title: lower case, letters and digits (any
/// script), other runs as `-`.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let slug: String = out.trim_matches('-').chars().take(48).collect();
    if slug.is_empty() {
        "source".into()
    } else {
        slug.trim_end_matches('-').to_owned()
    }
}

fn unique_name(base: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|name| !taken.contains(name))
        .unwrap_or_else(|| base.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, opml};
    use std::path::Path;

    const CONFIG: &str = "# my feeds\n[daemon]\nlisten = \"127.0.0.1:8080\"  # keep this comment\n\n[[source]]\nname = \"bbc\"   # the BBC\nurl = \"https://feeds.bbci.co.uk/news/world/rss.xml\"\ngroups = [\"world\"]\n";

    const OPML: &str = r#"<?xml version="1.0"?>
<opml version="2.0"><head><title>Mine</title></head><body>
  <outline text="World"><outline type="rss" text="BBC" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
    <outline type="rss" text="The Guardian &amp; friends" xmlUrl="https://www.theguardian.com/world/rss"/></outline>
  <outline text="中文"><outline type="rss" title="联合早报 中国" xmlUrl="https://www.zaobao.com.sg/rss/realtime/china" category="/news,/asia"/></outline>
  <outline type="rss" text="Loose" xmlUrl="https://example.org/feed.xml"/>
</body></opml>"#;

    #[test]
    fn import_keeps_comments_skips_known_urls_and_names_new_sources() {
        let subs = opml::import(OPML).unwrap().subscriptions;
        assert_eq!(subs.len(), 4);
        let (text, report) = add_sources(CONFIG, &subs).unwrap();
        assert!(
            text.starts_with(CONFIG.trim_end()),
            "existing text untouched:\n{text}"
        );
        assert!(text.contains("# keep this comment") && text.contains("# the BBC"));
        assert_eq!(
            report,
            vec![
                Added::AlreadyThere("bbc".into()),
                Added::New("the-guardian-friends".into()),
                Added::New("联合早报-中国".into()),
                Added::New("loose".into()),
            ]
        );
        let config = Config::parse(&text, Path::new("f.toml"), Path::new("/")).unwrap();
        let zaobao = config
            .sources
            .iter()
            .find(|s| s.name == "联合早报-中国")
            .unwrap();
        assert_eq!(zaobao.groups, ["中文", "news", "asia"]);
    }

    #[test]
    fn export_then_import_loses_nothing() {
        let text = "[[source]]\nname = \"a\"\ntitle = \"Agence A\"\nurl = \"https://a.example.org/feed\"\ngroups = [\"world\", \"en\"]\npriority = 7\nschedule = \"*/5 * * * *\"\nenabled = false\n\n[[source]]\nname = \"p\"\nurl = \"https://p.example.org/list\"\nkind = \"page\"\n[source.page]\nitem = \"ul.news li\"\ndate = \"span.date\"\n\n[[source]]\nname = \"plain\"\nurl = \"https://x.example.org/rss\"\n";
        let original = Config::parse(text, Path::new("f.toml"), Path::new("/")).unwrap();
        let exported = opml::export(&original);
        assert!(
            exported.contains("text=\"Agence A\"") && exported.contains("feedfold:name=\"a\""),
            "{exported}"
        );
        let (rebuilt, _) =
            add_sources("", &opml::import(&exported).unwrap().subscriptions).unwrap();
        let round = Config::parse(&rebuilt, Path::new("f.toml"), Path::new("/")).unwrap();
        let summary = |c: &Config| {
            let mut v: Vec<String> = c
                .sources
                .iter()
                .map(|s| {
                    format!(
                        "{}|{:?}|{:?}|{:?}|{:?}|{}|{}|{:?}",
                        s.name, s.title, s.url, s.kind, s.groups, s.priority, s.enabled, s.page
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(summary(&round), summary(&original));
        assert_eq!(opml::export(&round), exported);
    }

    #[test]
    fn broken_opml_and_broken_config_are_errors() {
        assert!(
            opml::import("<opml><body><outline xmlUrl=\"a\" xmlUrl=\"b\"/></body></opml>").is_err()
        );
        assert!(add_sources("not = [toml", &[]).is_err());
        assert!(matches!(
            add_sources("source = 3", &[]),
            Err(EditError::Shape)
        ));
    }
}
