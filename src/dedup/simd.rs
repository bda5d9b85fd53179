//! Which vector extensions the hashing loops of folding and sketching have
//! copies compiled for, and which of them this CPU runs.

use std::sync::OnceLock;

/// The vector extensions the hashing loops have copies for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Simd {
    /// AVX-512F, DQ and VL.
    Avx512,
    /// AVX2.
    Avx2,
    /// Neither (or not x86-64).
    Scalar,
}

impl Simd {
    /// The widest this CPU runs, found once per process: asked for every
    /// text that is fingerprinted.
    pub(super) fn detect() -> Simd {
        static FOUND: OnceLock<Simd> = OnceLock::new();
        *FOUND.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                {
                    return Simd::Avx512;
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    return Simd::Avx2;
                }
            }
            Simd::Scalar
        })
    }
}
