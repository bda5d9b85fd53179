//! Hints that bring a candidate's data into the CPU's caches before it is
//! judged. Candidates lie anywhere in tens of megabytes of items and
//! sketches, and judging one is short: without the hints, judging was
//! mostly waiting for one cache miss after another (the item, then the
//! lines of its sketch that a binary search reads in turn).

/// How many candidates ahead a candidate's sketch is fetched; its item,
/// whose sketch's address is then read, twice as many.
pub(crate) const DISTANCE: usize = 3;

/// Fetches the cache line holding `value`.
#[inline(always)]
pub(crate) fn value<T>(value: &T) {
    line(std::ptr::from_ref(value).cast());
}

/// Fetches every cache line of `values`.
#[inline(always)]
pub(crate) fn slice<T>(values: &[T]) {
    let bytes = std::mem::size_of_val(values);
    let start: *const u8 = values.as_ptr().cast();
    for offset in (0..bytes).step_by(64) {
        line(start.wrapping_add(offset));
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
