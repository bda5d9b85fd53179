//! The `feedfold extract --batch` contract, for evaluations over thousands
//! of pages in one process: lines of `id<TAB>path<TAB>url` in (the URL may
//! be empty or absent), JSON lines `{"id","text","title","strategy","reason","ms","err"}` out, in input
//! order. `ms` is the in-process time from bytes to article, reading the
//! file excluded. With [`Options::candidates`] each line also carries every
//! candidate's features and cleaned text, for studying the choice.

use std::io::{BufRead, Write};
use std::time::Instant;

use serde::Serialize;

use super::choose::Measures;
use super::{Hints, Strategy, page};

/// One listed page, extracted: what its output line says.
#[derive(Debug, Serialize)]
pub struct Extracted {
    /// The page's id in the list.
    pub id: String,
    /// Its URL, when the list gave one (not written out).
    #[serde(skip)]
    pub url: Option<String>,
    /// The article's text, one paragraph per line.
    pub text: String,
    /// The article's HTML (not written out).
    #[serde(skip)]
    pub html: String,
    /// The article's headline.
    pub title: String,
    /// The strategy whose candidate won.
    pub strategy: &'static str,
    /// Why it won.
    pub reason: String,
    /// In-process milliseconds from bytes to article.
    pub ms: f64,
    /// Why the page could not be read.
    pub err: Option<String>,
    /// Every candidate, when [`Options::candidates`] asked.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "with_texts")]
    pub candidates: Vec<Measures>,
}

/// How a batch is run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Use only this strategy, for comparing them.
    pub only: Option<Strategy>,
    /// Write every candidate's features and cleaned text too.
    pub candidates: bool,
}

/// Writes candidates with their texts, which reports of one page leave out.
fn with_texts<S: serde::Serializer>(candidates: &[Measures], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct WithText<'a> {
        #[serde(flatten)]
        measures: &'a Measures,
        text: &'a str,
    }
    s.collect_seq(candidates.iter().map(|m| WithText {
        measures: m,
        text: &m.text,
    }))
}

/// Why the run stopped (a page that cannot be read is reported in its own
/// line instead).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// Reading the list or writing output failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Encoding a result failed.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}

/// Extracts every page listed in `input` and writes one line per listed
/// page to `output` as it goes; blank lines are skipped.
pub fn run(
    input: impl BufRead,
    mut output: impl Write,
    options: Options,
) -> Result<(), BatchError> {
    for line in input.lines() {
        if let Some(page) = extract_line(&line?, options) {
            write_one(&page, &mut output)?;
        }
    }
    output.flush()?;
    Ok(())
}

/// Every page listed in `input`, extracted, in order: for a caller that
/// reads them all before it writes (learning site templates across them).
pub fn extract_all(input: impl BufRead, options: Options) -> Result<Vec<Extracted>, BatchError> {
    let mut pages = Vec::new();
    for line in input.lines() {
        pages.extend(extract_line(&line?, options));
    }
    Ok(pages)
}

/// Writes one output line per page.
pub fn write_all(pages: &[Extracted], mut output: impl Write) -> Result<(), BatchError> {
    for page in pages {
        write_one(page, &mut output)?;
    }
    output.flush()?;
    Ok(())
}

fn write_one(page: &Extracted, output: &mut impl Write) -> Result<(), BatchError> {
    serde_json::to_writer(&mut *output, page)?;
    output.write_all(b"\n")?;
    Ok(())
}

/// The page a list line names, extracted; `None` for a blank line.
fn extract_line(line: &str, options: Options) -> Option<Extracted> {
    if line.trim().is_empty() {
        return None;
    }
    let mut fields = line.splitn(3, '\t');
    let id = fields.next().unwrap_or_default().to_owned();
    let path = fields.next().unwrap_or_default();
    let url = fields
        .next()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    let read = std::fs::read(path).map_err(|e| e.to_string());
    let page_bytes = read.and_then(|b| match super::sniff::check(&b) {
        Ok(()) => Ok(b),
        Err(not) => Err(not.to_string()),
    });
    let bytes = match page_bytes {
        Ok(bytes) => bytes,
        Err(e) => {
            return Some(Extracted {
                id,
                url,
                text: String::new(),
                html: String::new(),
                title: String::new(),
                strategy: "none",
                reason: String::new(),
                ms: 0.0,
                err: Some(format!("{path}: {e}")),
                candidates: Vec::new(),
            });
        }
    };
    let started = Instant::now();
    let hints = Hints {
        url: url.as_deref(),
        only: options.only,
        report: options.candidates,
        ..Hints::default()
    };
    let extraction = page(&bytes, None, &hints);
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    Some(Extracted {
        id,
        url,
        text: extraction.article.text,
        html: extraction.article.html,
        title: extraction.article.title,
        strategy: extraction.strategy.name(),
        reason: extraction.reason.to_string(),
        ms,
        err: None,
        candidates: extraction.candidates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_listed_page_errors_included() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("a.html");
        std::fs::write(
            &page,
            "<html><body><article><p>Dock workers voted to accept the offer.</p></article></body></html>",
        )
        .unwrap();
        let list = format!(
            "a\t{}\thttps://example.org/a\n\nb\t{}/missing.html\n",
            page.display(),
            dir.path().display()
        );
        let mut out = Vec::new();
        run(list.as_bytes(), &mut out, Options::default()).unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["id"], "a");
        assert!(lines[0]["text"].as_str().unwrap().contains("Dock workers"));
        assert!(lines[0]["err"].is_null());
        assert_eq!(lines[1]["id"], "b");
        assert!(lines[1]["err"].as_str().unwrap().contains("missing.html"));
    }
}
