//! An entity-expansion ("billion laughs") feed costs neither time nor
//! memory: feed-rs never expands entities declared in a DOCTYPE, and the
//! repairs leave the DOCTYPE alone. A test binary of its own, since it counts
//! every allocation through a global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The system allocator, counting the bytes asked for.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is the one `System.alloc` needs.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        // SAFETY: as for `dealloc`, and `new_size` is the caller's to vouch for.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Nine levels of ten references each: 10⁹ copies of "lol" if expanded.
fn bomb(title: &str) -> String {
    let mut dtd = String::from("<!ENTITY lol0 \"lol\">");
    for level in 1..=9 {
        let refs = format!("&lol{};", level - 1).repeat(10);
        dtd.push_str(&format!("<!ENTITY lol{level} \"{refs}\">"));
    }
    format!(
        "<?xml version=\"1.0\"?><!DOCTYPE rss [{dtd}]><rss version=\"2.0\"><channel>\
         <title>&lol9;</title><item><guid>1</guid><title>{title}</title>\
         <description>&lol9;&lol9;</description></item></channel></rss>"
    )
}

#[test]
fn billion_laughs_is_neither_expanded_nor_slow() {
    // The first document parses as it is; the second needs repair first.
    for title in ["&lol9;", "&lol9; & &nbsp;"] {
        let doc = bomb(title);
        let before = ALLOCATED.load(Ordering::Relaxed);
        let started = Instant::now();
        let entries = feedfold::source::feed::parse(doc.as_bytes(), None, "https://example.org/f")
            .map(|entries| entries.len());
        let elapsed = started.elapsed();
        let allocated = ALLOCATED.load(Ordering::Relaxed) - before;
        assert_eq!(entries.ok(), Some(1), "{title}");
        assert!(elapsed < Duration::from_secs(2), "{title}: {elapsed:?}");
        assert!(allocated < 4 << 20, "{title}: {allocated} bytes allocated");
        println!("{title}: {allocated} bytes allocated in {elapsed:?}");
    }
}
