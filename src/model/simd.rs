//! Which instruction set the weekly step is compiled for, chosen once per
//! process at run time.
//!
//! The step is compiled three times (baseline x86-64, AVX2 with FMA, and
//! AVX-512), and the widest one the CPU supports runs. All three give the
//! same bits: lanes compute exactly the scalar IEEE operations and
//! `mul_add` is a fused multiply-add everywhere (in hardware, or in
//! software where the CPU has no FMA, which is correct but slow). The
//! environment variable `GOODHART_SIMD` (`baseline`, `avx2` or `avx512`)
//! caps the choice, so the tests can check that claim and benchmarks can
//! show what each level gains.

use std::sync::OnceLock;

/// An instruction-set level of the weekly step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Baseline,
    Avx2,
    Avx512,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }
}

/// The widest level this CPU supports.
fn detected() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            return Level::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Level::Avx2;
        }
    }
    Level::Baseline
}

/// The level the step runs at: the detected one, capped by
/// `GOODHART_SIMD` (an unknown value is ignored).
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cap = match std::env::var("GOODHART_SIMD").as_deref() {
            Ok("baseline") => Level::Baseline,
            Ok("avx2") => Level::Avx2,
            _ => Level::Avx512,
        };
        detected().min(cap)
    })
}
