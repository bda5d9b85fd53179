//! Work of one events pass spread over the machine's cores, with the
//! outcome of one core: results come back in the order of the work, so what
//! a pass decides never depends on how many threads ran it.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Most threads a pass uses: the daemon's fetches and the database need
/// their share of a larger machine too.
const MAX_THREADS: usize = 4;

/// Threads a pass uses: the cores this process may run on, at most
/// [`MAX_THREADS`].
pub fn threads() -> usize {
    // Asked once: on Linux the answer reads the cgroup files.
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS)
    })
}

/// `work` of the blocks of `0..n` (`block` indices each, the last one
/// shorter), in block order. Threads take the next block as they finish
/// one, so uneven blocks (a story with many candidates) balance out.
pub fn map_blocks<U: Send>(
    n: usize,
    block: usize,
    work: impl Fn(Range<usize>) -> U + Sync,
) -> Vec<U> {
    let block = block.max(1);
    let blocks = n.div_ceil(block);
    let range = |b: usize| b * block..((b + 1) * block).min(n);
    let threads = threads().min(blocks);
    if threads <= 1 {
        return (0..blocks).map(|b| work(range(b))).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, U)>> = Mutex::new(Vec::with_capacity(blocks));
    let run = || {
        let mut mine = Vec::new();
        loop {
            let b = next.fetch_add(1, Ordering::Relaxed);
            if b >= blocks {
                break;
            }
            mine.push((b, work(range(b))));
        }
        // No work runs under the lock, so nothing can poison it; should it
        // be, the scope is re-raising a worker's panic and nothing is read.
        if let Ok(mut done) = done.lock() {
            done.extend(mine);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(run);
        }
        run();
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_unstable_by_key(|(b, _)| *b);
    done.into_iter().map(|(_, u)| u).collect()
}

/// `f` of every item of `items`, in order, `block` items to a unit of
/// work.
pub fn map<T: Sync, U: Send>(items: &[T], block: usize, f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    map_blocks(items.len(), block, |r| {
        items[r].iter().map(&f).collect::<Vec<U>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_order_whatever_the_threads() {
        let items: Vec<u64> = (0..10_007).collect();
        let squares = map(&items, 13, |x| x * x);
        assert_eq!(squares, items.iter().map(|x| x * x).collect::<Vec<_>>());
        let ranges = map_blocks(10, 3, |r| (r.start, r.end));
        assert_eq!(ranges, [(0, 3), (3, 6), (6, 9), (9, 10)]);
        assert!(map_blocks(0, 8, |r| r.len()).is_empty());
    }
}
