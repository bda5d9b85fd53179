//! Hints that bring a candidate's data into the CPU's caches before it is
//! judged. Candidates lie anywhere in tens of megabytes of items and
//! sketches, and judging one is short: without the hints, judging was
//! mostly waiting for one cache miss after another (the item, then the
//! lines of its sketch that a binary search reads in turn).

/// How many candidates ahead a candidate's sketch is fetched; its item,
/// whose sketch's address is then read, twice as many.
pub(crate) const DISTANCE: usize = 3;

/// Before judging `list[at]`: calls `entry` with the candidate
/// `2 * DISTANCE` places ahead and `sketch` with the one `DISTANCE`
/// ahead, so that each candidate's entry, then its sketch (whose address
/// is read from the entry), is in cache by its turn.
#[inline(always)]
pub(crate) fn ahead<I: Copy>(list: &[I], at: usize, entry: impl FnOnce(I), sketch: impl FnOnce(I)) {
    if let Some(&far) = list.get(at + 2 * DISTANCE) {
        entry(far);
    }
    if let Some(&near) = list.get(at + DISTANCE) {
        sketch(near);
    }
}

/// Fetches the cache lines holding `value`.
#[inline(always)]
pub(crate) fn value<T>(value: &T) {
    lines(std::ptr::from_ref(value).cast(), std::mem::size_of::<T>());
}

/// Fetches every cache line of `values`.
#[inline(always)]
pub(crate) fn slice<T>(values: &[T]) {
    lines(values.as_ptr().cast(), std::mem::size_of_val(values));
}

/// Fetches the lines of the `bytes` bytes from `start`, from the line
/// `start` is in (an unaligned start would miss the last one).
#[inline(always)]
fn lines(start: *const u8, bytes: usize) {
    let first = start.wrapping_sub(start as usize % 64);
    let end = start as usize + bytes;
    let mut at = first;
    while (at as usize) < end {
        line(at);
        at = at.wrapping_add(64);
    }
}

#[inline(always)]
fn line(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(address.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
