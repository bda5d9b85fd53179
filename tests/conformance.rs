//! Conformance sweep over feedparser's test documents (kept outside the
//! repository, in `../shared/corpora/feedparser`): every document goes through
//! `feed::parse` on its own thread, so a panic or a hang is counted rather than
//! fatal. Ignored by default; run with
//! `cargo test --test conformance -- --ignored --nocapture`.
//!
//! Many of these documents are deliberately invalid or are fragments, so a
//! rejection is not a failure here: only panics and hangs are. Set
//! `CONFORMANCE_VERBOSE=1` to list every rejected file with its message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// How one document fared.
enum Outcome {
    Parsed(usize),
    Rejected(String),
    Panicked(String),
    Hung,
}

#[test]
#[ignore = "needs the feedparser corpus; run with --ignored"]
fn feedparser_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/feedparser");
    if !root.is_dir() {
        println!("skipped: no corpus at {}", root.display());
        return;
    }
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();

    let mut entries = 0;
    let mut parsed = 0;
    let mut rejected: Vec<(String, String)> = Vec::new();
    let mut panics = Vec::new();
    let mut hangs = Vec::new();
    for path in &files {
        let name = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        match run_one(path, &name) {
            Outcome::Parsed(n) => {
                parsed += 1;
                entries += n;
            }
            Outcome::Rejected(message) => rejected.push((name, message)),
            Outcome::Panicked(message) => panics.push(format!("{name}: {message}")),
            Outcome::Hung => hangs.push(name),
        }
    }

    println!("files total: {}", files.len());
    println!("parsed OK:   {parsed} ({entries} entries)");
    println!("rejected:    {}", rejected.len());
    print_reasons(&rejected);
    if std::env::var_os("CONFORMANCE_VERBOSE").is_some() {
        for (name, message) in &rejected {
            println!("  rejected {name}: {message}");
        }
    }
    println!("panics:      {}", panics.len());
    for p in &panics {
        println!("  {p}");
    }
    println!("hangs:       {}", hangs.len());
    for h in &hangs {
        println!("  {h}");
    }
    assert!(
        panics.is_empty() && hangs.is_empty(),
        "{} panics, {} hangs",
        panics.len(),
        hangs.len()
    );
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

fn run_one(path: &Path, name: &str) -> Outcome {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return Outcome::Rejected(format!("unreadable: {e}")),
    };
    let content_type = simulated_content_type(&bytes);
    let base_url = format!("http://127.0.0.1/feedparser/{name}");
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let result = std::panic::catch_unwind(|| {
                feedfold::source::feed::parse(&bytes, content_type.as_deref(), &base_url)
                    .map(|entries| entries.len())
                    .map_err(|e| e.to_string())
            });
            // The receiver is gone only after a timeout, when nobody is listening.
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Outcome::Panicked(format!("cannot start a thread: {e}"));
    }
    match rx.recv_timeout(TIMEOUT) {
        Ok(Ok(Ok(n))) => Outcome::Parsed(n),
        Ok(Ok(Err(message))) => Outcome::Rejected(message),
        Ok(Err(panic)) => Outcome::Panicked(panic_message(&*panic)),
        // A hung worker is left running: a thread cannot be stopped from outside.
        Err(_) => Outcome::Hung,
    }
}

/// The `Header: Content-type: …` line feedparser's tests use to simulate the
/// HTTP header, read from the leading comment (UTF-16 files decoded first).
fn simulated_content_type(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(4096)];
    let text = match encoding_rs::Encoding::for_bom(head) {
        Some((encoding, _)) => encoding.decode_with_bom_removal(head).0.into_owned(),
        None => String::from_utf8_lossy(head).into_owned(),
    };
    text.lines().find_map(|line| {
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
