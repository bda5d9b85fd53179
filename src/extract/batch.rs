//! The `feedfold extract --batch` contract, for evaluations over thousands
//! of pages in one process: lines of `id<TAB>path<TAB>url` in (the URL may
//! be empty or absent), JSON lines `{"id","text","ms","err"}` out, in input
//! order. `ms` is the in-process time from bytes to article, reading the
//! file excluded.

use std::io::{BufRead, Write};
use std::time::Instant;

use serde::Serialize;

use super::{Hints, Strategy, page};

/// One output line.
#[derive(Debug, Serialize)]
struct Outcome<'a> {
    id: &'a str,
    text: String,
    title: String,
    strategy: &'static str,
    ms: f64,
    err: Option<String>,
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
/// page to `output`; blank lines are skipped.
/// `only` restricts extraction to one strategy, for comparing them.
pub fn run(
    input: impl BufRead,
    mut output: impl Write,
    only: Option<Strategy>,
) -> Result<(), BatchError> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = line.splitn(3, '\t');
        let id = fields.next().unwrap_or_default();
        let path = fields.next().unwrap_or_default();
        let url = fields.next().map(str::trim).filter(|u| !u.is_empty());
        let read = std::fs::read(path).map_err(|e| e.to_string());
        let page_bytes = read.and_then(|b| match super::sniff::check(&b) {
            Ok(()) => Ok(b),
            Err(not) => Err(not.to_string()),
        });
        let outcome = match page_bytes {
            Ok(bytes) => {
                let started = Instant::now();
                let hints = Hints {
                    url,
                    only,
                    ..Hints::default()
                };
                let extraction = page(&bytes, None, &hints);
                Outcome {
                    id,
                    text: extraction.article.text,
                    title: extraction.article.title,
                    strategy: extraction.strategy.name(),
                    ms: started.elapsed().as_secs_f64() * 1000.0,
                    err: None,
                }
            }
            Err(e) => Outcome {
                id,
                text: String::new(),
                title: String::new(),
                strategy: "none",
                ms: 0.0,
                err: Some(format!("{path}: {e}")),
            },
        };
        serde_json::to_writer(&mut output, &outcome)?;
        output.write_all(b"\n")?;
    }
    output.flush()?;
    Ok(())
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
        run(list.as_bytes(), &mut out, None).unwrap();
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
