//! The `feedfold dedup` contract: JSON lines of items in, JSON lines of
//! `{"id","cluster"}` out, in input order, through the same normalise →
//! extract → fingerprint → cluster code the daemon runs.

use std::io::{BufRead, Write};

use chrono::DateTime;
use serde::Deserialize;
use serde_json::Value;

use super::{
    BatchClusterer, FeatureOptions, Fingerprinter, MatchOptions, TitleRules, canonical_url,
};
use crate::extract;

/// One input line.
#[derive(Debug, Deserialize)]
struct Item {
    id: Value,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    html: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[allow(dead_code)] // accepted for the contract; clustering does not use it
    #[serde(default)]
    source: Option<String>,
}

/// A line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

/// Why the run stopped.
#[derive(Debug, thiserror::Error)]
pub enum JsonlError {
    /// Reading input or writing output failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Clusters the items read from `input` and writes one result line per
/// usable item to `output`. Unusable lines are skipped and returned.
pub fn run(
    input: impl BufRead,
    mut output: impl Write,
    options: MatchOptions,
    features: FeatureOptions,
) -> Result<Vec<LineError>, JsonlError> {
    let mut fingerprinter = Fingerprinter::new(TitleRules::default(), features);
    let mut clusterer = BatchClusterer::new(options);
    let mut cluster_ids: Vec<Value> = Vec::new();
    let mut errors = Vec::new();
    let now = chrono::Utc::now().timestamp();
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let item: Item = match serde_json::from_str(&line) {
            Ok(item) => item,
            Err(e) => {
                errors.push(LineError {
                    line: n + 1,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let (title, body) = item_text(&item);
        let simhash = fingerprinter.story(&title, &body);
        // Undated items arrive now, as in the daemon.
        let time = Some(
            item.published
                .as_deref()
                .and_then(parse_time)
                .unwrap_or(now),
        );
        let canonical = item.url.as_deref().and_then(canonical_url);
        let cluster = clusterer.add(simhash, canonical.as_deref(), time);
        if cluster == cluster_ids.len() {
            cluster_ids.push(item.id.clone());
        }
        let result = serde_json::json!({ "id": item.id, "cluster": cluster_ids[cluster] });
        writeln!(output, "{result}")?;
    }
    output.flush()?;
    Ok(errors)
}

/// Title and body: given as text, or extracted from the page.
fn item_text(item: &Item) -> (String, String) {
    match (&item.text, &item.html) {
        (Some(text), _) => (item.title.clone().unwrap_or_default(), text.clone()),
        (None, Some(html)) => {
            let article = extract::article(html, item.url.as_deref());
            (item.title.clone().unwrap_or(article.title), article.text)
        }
        (None, None) => (item.title.clone().unwrap_or_default(), String::new()),
    }
}

fn parse_time(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "人力资源社会保障部日前印发通知,要求各地人力资源社会保障部门在冬春季呼吸道传染病防控工作中,切实关心关爱奋战在一线的医务人员和基层防控工作人员。通知提出,要及时足额发放临时性工作补助,合理安排轮换休息。";

    fn run_on(input: &str) -> (Vec<Value>, Vec<LineError>) {
        let mut out = Vec::new();
        let errors = run(
            input.as_bytes(),
            &mut out,
            MatchOptions::default(),
            FeatureOptions::default(),
        )
        .unwrap();
        let lines = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (lines, errors)
    }

    #[test]
    fn seed_page_titles_with_the_same_body_share_a_cluster() {
        let input = [
            serde_json::json!({"id": "a", "title": "(聚焦疫情防控)人力资源社会保障部:切实关心激励表彰疫情防控人员", "text": BODY}),
            serde_json::json!({"id": "b", "title": "人力资源社会保障部:切实关心激励表彰疫情防控人员", "text": BODY}),
            serde_json::json!({"id": 3, "title": "市图书馆延长周末开放时间", "text": "自12月起,市图书馆总馆及8个分馆周六、周日开放时间延长至晚上9点,自习区将增设400个座位。"}),
        ]
        .map(|v| v.to_string())
        .join("\n");
        let (lines, errors) = run_on(&input);
        assert!(errors.is_empty());
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], serde_json::json!({"id": "a", "cluster": "a"}));
        assert_eq!(lines[1], serde_json::json!({"id": "b", "cluster": "a"}));
        assert_eq!(lines[2], serde_json::json!({"id": 3, "cluster": 3}));
    }

    #[test]
    fn bad_lines_are_reported_and_the_rest_kept() {
        let (lines, errors) = run_on(
            "{\"id\":\"x\",\"title\":\"t\",\"text\":\"x\"}\nnot json\n\n{\"title\":\"no id\"}\n",
        );
        assert_eq!(lines.len(), 1);
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![2, 4]
        );
    }

    #[test]
    fn html_items_are_extracted_and_urls_fold() {
        let page = |chrome: &str| {
            format!(
                "<html><body><nav>{chrome}</nav><article><p>{}</p></article><footer>{chrome}</footer></body></html>",
                BODY.repeat(3)
            )
        };
        let input = [
            serde_json::json!({"id": "p1", "html": page("新华网 首页 国内 国际"), "url": "https://a.example.org/1"}),
            serde_json::json!({"id": "p2", "html": page("人民网 要闻 社会"), "url": "https://b.example.org/2"}),
            serde_json::json!({"id": "p3", "title": "x", "text": "", "url": "https://A.example.org/1#top"}),
        ]
        .map(|v| v.to_string())
        .join("\n");
        let (lines, _) = run_on(&input);
        assert_eq!(lines[1]["cluster"], "p1");
        assert_eq!(lines[2]["cluster"], "p1", "same canonical URL");
    }
}
