//! Data flows one way through feedfold's modules: each top-level module of
//! `src/` may use only the modules on floors below its own, and `text`, the
//! ground floor, uses none. This test reads every `crate::` path (and every
//! `super::` path that climbs out of its module) in `src/**/*.rs`, `use`
//! lines and inline paths alike, and fails on one that points up or
//! sideways, naming the file and line. A new top-level module fails it too
//! until it is given a floor below.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The floors, top first. A module may use the modules of any floor below
/// its own, never its own floor's neighbours or anything above. `main.rs`
/// is the command line, above all of them, and `lib.rs` only declares them.
const FLOORS: &[&[&str]] = &[
    &["daemon"],
    &["serve"],
    &["publish"],
    &["store"],
    &["fetch", "schedule"],
    &["config"],
    &["events"],
    &["dedup", "filter"],
    &["source"],
    &["extract"],
    &["text", "logging"],
];

fn floor(module: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&module))
}

/// One use of another top-level module.
#[derive(Debug, PartialEq, Eq)]
struct Use {
    line: usize,
    target: String,
}

/// The module path of a file under `src/`: `source/page.rs` is
/// `["source", "page"]`, `source/mod.rs` is `["source"]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" {
            parts.push(stem.to_owned());
        }
    }
    parts
}

/// The code of a line without its comment (`//`, `///`, `//!`); string
/// literals are kept whole, so a `//` inside one does not cut the line.
fn code_of(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The top-level modules a source file uses, with the line of each use.
/// `crate::{a, b::c}` groups count every member; `super::` chains are
/// followed up from the file's own module path and the inline modules
/// (`mod tests { … }`) around them.
fn uses(source: &str, module: &[String]) -> Vec<Use> {
    let mut found = Vec::new();
    // Paths may span lines inside `use crate::{ … };`, so read the code as
    // one text and map offsets back to lines.
    let mut code = String::new();
    let mut line_starts = Vec::new();
    let mut inline_depth = Vec::new();
    // Indents of the inline modules open at this line (rustfmt closes each
    // at its own indent).
    let mut open: Vec<usize> = Vec::new();
    for line in source.lines() {
        let code_line = code_of(line);
        let indent = line.len() - line.trim_start().len();
        if code_line.trim() == "}" && open.last() == Some(&indent) {
            open.pop();
        }
        line_starts.push(code.len());
        inline_depth.push(open.len());
        if is_inline_module(code_line) {
            open.push(indent);
        }
        code.push_str(code_line);
        code.push('\n');
    }
    let line_at = |offset: usize| line_starts.partition_point(|&s| s <= offset);
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let from = at + "crate::".len();
        for (offset, target) in path_heads(&code[from..]) {
            found.push(Use {
                line: line_at(from + offset),
                target,
            });
        }
    }
    for (at, _) in code.match_indices("super::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let mut rest = &code[at..];
        let mut depth = module.len() + inline_depth[line_at(at) - 1];
        while let Some(r) = rest.strip_prefix("super::") {
            rest = r;
            depth = depth.saturating_sub(1);
        }
        if depth == 0 {
            let from = code.len() - rest.len();
            for (offset, target) in path_heads(rest) {
                found.push(Use {
                    line: line_at(from + offset),
                    target,
                });
            }
        }
    }
    found
}

/// Whether a line opens an inline module: `mod tests {`, `pub mod kind {`.
fn is_inline_module(code: &str) -> bool {
    let code = code.trim();
    // Any visibility: `pub`, `pub(crate)`, `pub(super)`, `pub(in …)`.
    let code = match code.strip_prefix("pub") {
        Some(rest) if rest.starts_with('(') => rest.split_once(") ").map_or(code, |(_, r)| r),
        Some(rest) => rest.trim_start(),
        None => code,
    };
    code.strip_prefix("mod ")
        .is_some_and(|rest| rest.trim_end().ends_with('{'))
}

/// The first segment of a path, or of each member of a `{…}` group, with
/// its offset in `rest`.
fn path_heads(rest: &str) -> Vec<(usize, String)> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let Some(group) = rest.strip_prefix('{') else {
        return vec![(0, ident(rest))];
    };
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut member_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                member_start = true;
                continue;
            }
            _ => {}
        }
        if member_start && !c.is_whitespace() {
            heads.push((i + 1, ident(&group[i..])));
            member_start = false;
        }
    }
    heads.retain(|(_, h)| !h.is_empty() && h != "self");
    heads
}

/// Every use in `files` (path under `src/`, text) that breaks the floors.
fn violations(files: &[(PathBuf, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, source) in files {
        let module = module_path(path);
        let Some(own) = module.first() else {
            continue;
        };
        if own == "main" || own == "lib" {
            continue;
        }
        let Some(own_floor) = floor(own) else {
            problems.push(format!(
                "src/{}: module `{own}` has no floor in tests/layers.rs",
                path.display()
            ));
            continue;
        };
        for u in uses(source, &module) {
            if &u.target == own {
                continue;
            }
            let allowed = floor(&u.target).is_some_and(|f| f > own_floor);
            if !allowed {
                problems.push(format!(
                    "src/{}:{}: `{own}` uses `{}`, which is not on a floor below it",
                    path.display(),
                    u.line,
                    u.target
                ));
            }
        }
    }
    problems
}

fn rust_files(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.strip_prefix(root).unwrap().to_path_buf(), text));
        }
    }
}

#[test]
fn no_module_uses_a_module_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &root, &mut files);
    // The checker must have something to check: the tree really is read.
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|(p, _)| module_path(p).first().cloned())
        .collect();
    for name in FLOORS.iter().flat_map(|f| f.iter()) {
        assert!(
            modules.contains(*name),
            "tests/layers.rs names `{name}`, which src/ no longer has"
        );
    }
    let problems = violations(&files);
    assert!(
        problems.is_empty(),
        "upward imports:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_sees_upward_and_sideways_uses_in_every_spelling() {
    let file = |path: &str, text: &str| (PathBuf::from(path), text.to_owned());
    let files = [
        file("text/date.rs", "use crate::source::page::PageRules;\n"),
        file(
            "source/page.rs",
            "use crate::{\n    text::date,\n    config::PageRules,\n};\n",
        ),
        file("extract/mod.rs", "fn f() { crate::dedup::x(); }\n"),
        file("fetch/mod.rs", "use super::schedule::first_run;\n"),
        file(
            "store/leases.rs",
            "fn f() {}\n\n#[cfg(test)]\npub(super) mod tests {\n    use super::*;\n    use super::super::fetch::x;\n    fn g() {\n        super::super::super::daemon::run();\n    }\n}\n",
        ),
        file(
            "source/feed.rs",
            "use crate::extract::html_to_text; // config\n",
        ),
        file(
            "dedup/fold.rs",
            "// use crate::daemon;\n/// See [`crate::serve`].\n",
        ),
        file("newmod.rs", "fn f() {}\n"),
    ];
    let problems = violations(&files);
    let expected = [
        "src/text/date.rs:1: `text` uses `source`",
        "src/source/page.rs:3: `source` uses `config`",
        "src/extract/mod.rs:1: `extract` uses `dedup`",
        "src/fetch/mod.rs:1: `fetch` uses `schedule`",
        "src/store/leases.rs:8: `store` uses `daemon`",
        "src/newmod.rs: module `newmod` has no floor",
    ];
    for e in expected {
        assert!(
            problems.iter().any(|p| p.starts_with(e)),
            "missing {e:?} in {problems:#?}"
        );
    }
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
}
