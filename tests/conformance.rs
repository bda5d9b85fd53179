//! Agreement with feedparser's test suite (kept outside the repository, in
//! `../shared/corpora/feedparser`). Every document goes through
//! `feed::parse` on its own thread, so a panic or a hang is counted rather
//! than fatal; then each `Expect:` line in the document's header comment is
//! read (a small Python-expression subset, `conformance/pyexpr.rs`) and every
//! clause about a field feedfold uses — entry count, title, link, id,
//! published, author, enclosure, category — becomes a check against what
//! feedfold read. Clauses about anything else (bozo, feed-level fields,
//! summaries, sanitising) are not feedfold's business and are skipped.
//!
//! A disagreement passes only if `conformance/feedparser-differences.txt`
//! lists it with a reason; a listed difference that no longer occurs fails
//! too, so the list stays exactly what feedfold does differently. Without
//! the corpus the test says so and passes (CI places the repository next
//! to `../shared`, so it runs there). `CONFORMANCE_VERBOSE=1` also lists
//! the deliberate differences and every rejected document.

#[path = "conformance/pyexpr.rs"]
mod pyexpr;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use feedfold::source::Entry;
use pyexpr::Expr;

const TIMEOUT: Duration = Duration::from_secs(20);

/// How one document fared.
enum Outcome {
    Parsed(Vec<Entry>),
    Rejected(String),
    Panicked(String),
    Hung,
}

/// A field of feedfold's entries that an expectation can speak about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Count,
    Title,
    Link,
    Id,
    Published,
    Author,
    Enclosure,
    Category,
}

impl Field {
    const ALL: [Field; 8] = [
        Field::Count,
        Field::Title,
        Field::Link,
        Field::Id,
        Field::Published,
        Field::Author,
        Field::Enclosure,
        Field::Category,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::Count => "count",
            Field::Title => "title",
            Field::Link => "link",
            Field::Id => "id",
            Field::Published => "published",
            Field::Author => "author",
            Field::Enclosure => "enclosure",
            Field::Category => "category",
        }
    }
}

/// One expectation compared with what feedfold read.
struct Check {
    file: String,
    field: Field,
    expected: String,
    got: String,
    agrees: bool,
}

/// One line of the reviewed list of deliberate differences.
struct Difference {
    pattern: String,
    field: String,
    reason: String,
    used: usize,
}

#[test]
fn feedparser_agreement() {
    let root = std::env::var_os("FEEDFOLD_CORPORA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"))
        .join("feedparser");
    if !root.is_dir() {
        println!(
            "SKIPPED feedparser agreement: no corpus at {} (set FEEDFOLD_CORPORA)",
            root.display()
        );
        eprintln!(
            "SKIPPED feedparser agreement: no corpus at {}",
            root.display()
        );
        return;
    }
    let mut differences = load_differences();
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    assert!(
        files.len() > 2000,
        "only {} documents under {}",
        files.len(),
        root.display()
    );

    let mut entries = 0;
    let mut parsed = 0;
    let mut rejected: Vec<(String, String)> = Vec::new();
    let mut panics = Vec::new();
    let mut hangs = Vec::new();
    let mut checks = Vec::new();
    for path in &files {
        let name = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        let Ok(bytes) = std::fs::read(path) else {
            panic!("cannot read {}", path.display());
        };
        let header = header(&bytes);
        let outcome = run_one(bytes, simulated_content_type(&header), &name);
        let read: Result<&[Entry], String> = match &outcome {
            Outcome::Parsed(list) => {
                parsed += 1;
                entries += list.len();
                Ok(list)
            }
            Outcome::Rejected(message) => {
                rejected.push((name.clone(), message.clone()));
                Err(format!("(rejected: {message})"))
            }
            Outcome::Panicked(message) => {
                panics.push(format!("{name}: {message}"));
                Err("(panicked)".into())
            }
            Outcome::Hung => {
                hangs.push(name.clone());
                Err("(hung)".into())
            }
        };
        if let Some(expr) = expectation(&header).and_then(|e| pyexpr::parse(&e)) {
            checks.extend(checks_for(&name, &expr, read));
        }
    }

    println!(
        "documents: {} ({parsed} read, {entries} entries)",
        files.len()
    );
    println!("rejected:  {}", rejected.len());
    print_reasons(&rejected);
    let verbose = std::env::var_os("CONFORMANCE_VERBOSE").is_some();
    if verbose {
        for (name, message) in &rejected {
            println!("  rejected {name}: {message}");
        }
    }
    println!("panics:    {}", panics.len());
    for p in &panics {
        println!("  {p}");
    }
    println!("hangs:     {}", hangs.len());
    for h in &hangs {
        println!("  {h}");
    }

    let mut unexplained = Vec::new();
    let mut table: BTreeMap<Field, (usize, usize, usize)> = BTreeMap::new();
    for check in &checks {
        let row = table.entry(check.field).or_default();
        row.0 += 1;
        if check.agrees {
            row.1 += 1;
            continue;
        }
        let listed = differences
            .iter_mut()
            .find(|d| d.field == check.field.name() && glob(&d.pattern, &check.file));
        match listed {
            Some(difference) => {
                difference.used += 1;
                row.2 += 1;
                if verbose {
                    println!(
                        "  deliberate {} {}: expected {:?}, got {:?} ({})",
                        check.file,
                        check.field.name(),
                        check.expected,
                        check.got,
                        difference.reason
                    );
                }
            }
            None => unexplained.push(check),
        }
    }
    println!(
        "agreement with feedparser's expectations (agreement = agree / checks; listed = in the differences list):"
    );
    println!(
        "  {:<10} {:>6} {:>6} {:>10} {:>9}",
        "field", "checks", "agree", "listed", "agreement"
    );
    for field in Field::ALL {
        let (total, agree, deliberate) = table.get(&field).copied().unwrap_or_default();
        let rate = if total == 0 {
            1.0
        } else {
            agree as f64 / total as f64
        };
        println!(
            "  {:<10} {total:>6} {agree:>6} {deliberate:>10} {rate:>9.3}",
            field.name()
        );
    }
    for check in &unexplained {
        println!(
            "  DIFFERS {} {}: expected {:?}, got {:?}",
            check.file,
            check.field.name(),
            check.expected,
            check.got
        );
    }
    let stale: Vec<&Difference> = differences.iter().filter(|d| d.used == 0).collect();
    for d in &stale {
        println!(
            "  STALE difference (no longer occurs): {} {} — {}",
            d.pattern, d.field, d.reason
        );
    }
    assert!(
        panics.is_empty() && hangs.is_empty(),
        "{} panics, {} hangs",
        panics.len(),
        hangs.len()
    );
    assert!(
        unexplained.is_empty(),
        "{} disagreements with feedparser are not in conformance/feedparser-differences.txt",
        unexplained.len()
    );
    assert!(
        stale.is_empty(),
        "{} listed differences no longer occur",
        stale.len()
    );
}

/// The reviewed list: `pattern field reason…` per line, `#` comments.
fn load_differences() -> Vec<Difference> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/feedparser-differences.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut list = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, char::is_whitespace);
        let (Some(pattern), Some(field), Some(reason)) = (parts.next(), parts.next(), parts.next())
        else {
            panic!(
                "{}:{}: want `pattern field reason`",
                path.display(),
                number + 1
            );
        };
        assert!(
            Field::ALL.iter().any(|f| f.name() == field),
            "{}:{}: unknown field {field}",
            path.display(),
            number + 1
        );
        list.push(Difference {
            pattern: pattern.to_owned(),
            field: field.to_owned(),
            reason: reason.trim().to_owned(),
            used: 0,
        });
    }
    list
}

/// `*` matches any run of characters (slashes too); everything else itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i == parts.len() - 1 {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// The checks one document's expectation makes of what feedfold read.
fn checks_for(file: &str, expr: &Expr, read: Result<&[Entry], String>) -> Vec<Check> {
    let mut clauses = Vec::new();
    conjuncts(expr, &mut clauses);
    let mut out = Vec::new();
    let mut at_least = None;
    let mut exact = None;
    for clause in &clauses {
        entry_refs(clause, &mut at_least);
        let Expr::Compare(operands, ops) = clause else {
            continue;
        };
        if ops.iter().any(|op| op != "==") {
            continue;
        }
        let literals: Vec<&Expr> = operands.iter().filter(|o| literal(o).is_some()).collect();
        let [expected] = literals[..] else {
            continue;
        };
        let Some(expected) = literal(expected) else {
            continue;
        };
        for operand in operands {
            if is_len_of_entries(operand) {
                exact = expected.parse::<usize>().ok();
                continue;
            }
            let Some((index, path)) = entry_path(operand) else {
                continue;
            };
            let Some(field) = field_of(&path) else {
                continue;
            };
            let got = match &read {
                Ok(list) => match list.get(index) {
                    Some(entry) => value_of(entry, &path).unwrap_or_else(|| "(none)".into()),
                    None => format!("(no entry {index})"),
                },
                Err(why) => why.clone(),
            };
            let agrees = agrees(field, &expected, &got);
            out.push(Check {
                file: file.to_owned(),
                field,
                expected: expected.clone(),
                got,
                agrees,
            });
        }
    }
    let count = exact.map(|n| (n, true)).or(at_least.map(|n| (n, false)));
    if let Some((wanted, is_exact)) = count {
        let got = read.as_ref().map_or(0, |list| list.len());
        out.push(Check {
            file: file.to_owned(),
            field: Field::Count,
            expected: if is_exact {
                format!("{wanted}")
            } else {
                format!(">= {wanted}")
            },
            got: match &read {
                Ok(_) => got.to_string(),
                Err(why) => why.clone(),
            },
            agrees: if is_exact {
                got == wanted
            } else {
                got >= wanted
            },
        });
    }
    out
}

fn conjuncts<'a>(expr: &'a Expr, out: &mut Vec<&'a Expr>) {
    match expr {
        Expr::And(parts) => parts.iter().for_each(|p| conjuncts(p, out)),
        other => out.push(other),
    }
}

/// Raises `at_least` to one more than the highest `entries[i]` in `expr`:
/// feedparser found that many entries.
fn entry_refs(expr: &Expr, at_least: &mut Option<usize>) {
    match expr {
        Expr::Index(base, index) => {
            if let (Expr::Name(name), Expr::Int(i)) = (&**base, &**index)
                && name == "entries"
                && let Ok(i) = usize::try_from(*i)
            {
                let n = i + 1;
                *at_least = Some(at_least.map_or(n, |m: usize| m.max(n)));
            }
            entry_refs(base, at_least);
            entry_refs(index, at_least);
        }
        Expr::Attr(base, _) | Expr::Not(base) => entry_refs(base, at_least),
        Expr::Call(base, args) => {
            entry_refs(base, at_least);
            args.iter().for_each(|a| entry_refs(a, at_least));
        }
        Expr::And(parts) | Expr::Or(parts) | Expr::Tuple(parts) | Expr::Compare(parts, _) => {
            parts.iter().for_each(|p| entry_refs(p, at_least))
        }
        _ => {}
    }
}

fn is_len_of_entries(expr: &Expr) -> bool {
    matches!(expr, Expr::Call(f, args)
        if **f == Expr::Name("len".into()) && args[..] == [Expr::Name("entries".into())])
}

/// A literal as text: strings as they are, numbers in decimal, a
/// `time.struct_time` tuple as `YYYY-MM-DD HH:MM:SS` (UTC).
fn literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Str(s) => Some(s.clone()),
        Expr::Int(n) => Some(n.to_string()),
        Expr::Tuple(items) if items.len() == 9 => {
            let n: Vec<i64> = items
                .iter()
                .map(|i| match i {
                    Expr::Int(n) => Some(*n),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            Some(format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                n[0], n[1], n[2], n[3], n[4], n[5]
            ))
        }
        _ => None,
    }
}

/// One step of a path into feedparser's result.
#[derive(Debug, PartialEq)]
enum Seg {
    Key(String),
    At(i64),
}

/// `entries[i]…` as the entry's index and the steps after it.
fn entry_path(expr: &Expr) -> Option<(usize, Vec<Seg>)> {
    let (base, seg) = match expr {
        Expr::Index(base, index) => match &**index {
            Expr::Str(key) => (base, Seg::Key(key.clone())),
            Expr::Int(i) => {
                if **base == Expr::Name("entries".into()) {
                    return usize::try_from(*i).ok().map(|i| (i, Vec::new()));
                }
                (base, Seg::At(*i))
            }
            _ => return None,
        },
        Expr::Attr(base, name) => (base, Seg::Key(name.clone())),
        Expr::Call(f, args) => match (&**f, &args[..]) {
            (Expr::Attr(base, get), [Expr::Str(key)]) if get == "get" => {
                (base, Seg::Key(key.clone()))
            }
            _ => return None,
        },
        _ => return None,
    };
    let (index, mut path) = entry_path(base)?;
    path.push(seg);
    Some((index, path))
}

fn field_of(path: &[Seg]) -> Option<Field> {
    use Seg::{At, Key};
    let keys: Vec<&str> = path
        .iter()
        .map(|s| match s {
            Key(k) => k.as_str(),
            At(_) => "#",
        })
        .collect();
    Some(match keys[..] {
        ["title"] | ["title_detail", "value"] => Field::Title,
        ["link"] => Field::Link,
        ["links", "#", "href"] if path[1] == At(0) => Field::Link,
        ["id"] | ["guid"] => Field::Id,
        ["published_parsed"] | ["updated_parsed"] | ["created_parsed"] => Field::Published,
        ["author"] | ["author_detail", "name"] | ["authors", "#", "name"] => Field::Author,
        ["enclosures", "#", "href" | "length" | "type"] => Field::Enclosure,
        ["tags", "#", "term"] | ["category"] => Field::Category,
        _ => return None,
    })
}

/// What feedfold read for `path` (one of `field_of`'s), as text.
fn value_of(entry: &Entry, path: &[Seg]) -> Option<String> {
    let at = |i: usize| match path.get(i) {
        Some(Seg::At(n)) => usize::try_from(*n).ok(),
        _ => None,
    };
    let key = |i: usize| match path.get(i) {
        Some(Seg::Key(k)) => k.as_str(),
        _ => "",
    };
    match key(0) {
        "title" | "title_detail" => Some(entry.title.clone()),
        "link" | "links" => entry.url.clone(),
        "id" | "guid" => Some(entry.id.clone()),
        "published_parsed" | "updated_parsed" | "created_parsed" => entry
            .published
            .map(|d: DateTime<Utc>| d.format("%Y-%m-%d %H:%M:%S").to_string()),
        "author" | "author_detail" => entry.author.clone(),
        "authors" => entry
            .author
            .as_deref()
            .and_then(|a| a.split(", ").nth(at(1)?))
            .map(str::to_owned),
        "enclosures" => {
            let enclosure = entry.enclosures.get(at(1)?)?;
            match key(2) {
                "href" => Some(enclosure.url.clone()),
                "length" => enclosure.length.map(|n| n.to_string()),
                _ => enclosure.mime.clone(),
            }
        }
        "tags" => entry.categories.get(at(1)?).cloned(),
        "category" => entry.categories.first().cloned(),
        _ => None,
    }
}

/// Whether feedfold's `got` says what feedparser's `expected` says, given
/// what feedfold promises: titles are plain text (feedparser keeps a title's
/// markup, sanitised), authors are display names (feedparser keeps an
/// e-mail address beside the name).
fn agrees(field: Field, expected: &str, got: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    match field {
        Field::Title => {
            squash(expected) == squash(got)
                || squash(&feedfold::extract::html_to_text(expected)) == squash(got)
        }
        Field::Author => {
            let name = match expected.trim().split_once(" (") {
                Some((a, b)) if a.contains('@') => b.trim_end_matches(')'),
                Some((a, b)) if b.contains('@') => a,
                _ => expected,
            };
            squash(name) == squash(got)
        }
        Field::Enclosure => expected.trim() == got.trim() || (expected == "0" && got == "(none)"),
        _ => expected.trim() == got.trim(),
    }
}

/// Feed documents under `dir`; the corpus's README and LICENSE are not.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in read.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "xml" || e == "json") {
            files.push(path);
        }
    }
}

fn run_one(bytes: Vec<u8>, content_type: Option<String>, name: &str) -> Outcome {
    // feedparser's tests are served from this address; expectations name it.
    let base_url = format!("http://127.0.0.1:8097/tests/{name}");
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let result = std::panic::catch_unwind(|| {
                feedfold::source::feed::parse(&bytes, content_type.as_deref(), &base_url)
                    .map_err(|e| e.to_string())
            });
            // The receiver is gone only after a timeout, when nobody is listening.
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Outcome::Panicked(format!("cannot start a thread: {e}"));
    }
    match rx.recv_timeout(TIMEOUT) {
        Ok(Ok(Ok(entries))) => Outcome::Parsed(entries),
        Ok(Ok(Err(message))) => Outcome::Rejected(message),
        Ok(Err(panic)) => Outcome::Panicked(panic_message(&*panic)),
        // A hung worker is left running: a thread cannot be stopped from outside.
        Err(_) => Outcome::Hung,
    }
}

/// The document's first 4 KiB as text (UTF-16/32 files decoded by their BOM),
/// where its header comment is.
fn header(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(4096)];
    match encoding_rs::Encoding::for_bom(head) {
        Some((encoding, _)) => encoding.decode_with_bom_removal(head).0.into_owned(),
        None if head.len() > 3 && head[1] == 0 && head[3] == 0 => encoding_rs::UTF_16LE
            .decode_without_bom_handling(head)
            .0
            .into_owned(),
        None if head.len() > 3 && head[0] == 0 && head[2] == 0 => encoding_rs::UTF_16BE
            .decode_without_bom_handling(head)
            .0
            .into_owned(),
        None => String::from_utf8_lossy(head).into_owned(),
    }
}

/// The `Expect:` expression of the header comment (it runs to the `-->`).
fn expectation(header: &str) -> Option<String> {
    let start = header.find("Expect:")? + "Expect:".len();
    let rest = &header[start..];
    let end = rest.find("-->")?;
    Some(rest[..end].trim().to_owned())
}

/// The `Header: Content-type: …` line feedparser's tests use to simulate the
/// HTTP header.
fn simulated_content_type(header: &str) -> Option<String> {
    header.lines().find_map(|line| {
        let header = line.trim().strip_prefix("Header:")?.trim();
        let (key, value) = header.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case("content-type")
            .then(|| value.trim().to_owned())
    })
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Rejection messages grouped once their specifics (positions, names in
/// backticks or quotes) are blanked out, most common first.
fn print_reasons(rejected: &[(String, String)]) {
    let mut groups: BTreeMap<String, (usize, &str)> = BTreeMap::new();
    for (name, message) in rejected {
        let group = groups.entry(normalise(message)).or_insert((0, name));
        group.0 += 1;
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
    for (reason, (count, example)) in groups.iter().take(15) {
        println!("  {count:>5}  {reason}   (e.g. {example})");
    }
}

fn normalise(message: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut last_digit = false;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => {
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None if matches!(c, '`' | '"') => {
                out.push(c);
                out.push('…');
                quote = Some(c);
            }
            None if c.is_ascii_digit() => {
                if !last_digit {
                    out.push('N');
                }
            }
            None => out.push(c),
        }
        last_digit = c.is_ascii_digit();
    }
    out
}

#[test]
fn globs_and_author_names() {
    assert!(glob("wellformed/rss/*", "wellformed/rss/a.xml"));
    assert!(glob("*/item_*_title.xml", "wellformed/x/item_dc_title.xml"));
    assert!(!glob("wellformed/atom/*", "wellformed/atom10/a.xml"));
    assert!(glob("exact.xml", "exact.xml") && !glob("exact.xml", "exact.xml2"));
    assert!(agrees(
        Field::Author,
        "Example author (me@example.com)",
        "Example author"
    ));
    assert!(agrees(
        Field::Author,
        "me@example.com (Example editor)",
        "Example editor"
    ));
    assert!(!agrees(Field::Author, "Ann", "Bob"));
    assert!(agrees(Field::Title, "<b>&amp;</b>", "&"));
    assert!(!agrees(Field::Title, "<b>x</b>", "y"));
}
