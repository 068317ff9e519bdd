//! Which instruction set the weekly step is compiled for, chosen once per
//! process at run time.
//!
//! The step is compiled three times (baseline x86-64, AVX2 with FMA, and
//! AVX-512), and the widest one the CPU supports runs. All three give the
//! same bits: lanes compute exactly the scalar IEEE operations and
//! `mul_add` is a fused multiply-add everywhere (in hardware, or in
//! software where the CPU has no FMA, which is correct but slow). A fourth
//! level, [`Level::Unfused`], is the path for x86-64 CPUs without FMA: the
//! baseline build with unfused multiply-adds, several times faster than
//! software FMA there, with results that may differ in the last bits. A
//! caller may cap the choice with [`set_cap`] (the command line does, from
//! the environment variable `GOODHART_SIMD`, or by timing the levels), so
//! the tests can check these claims and benchmarks can show what each
//! level gains; the engine itself reads no environment.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// An instruction-set level of the weekly step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Baseline x86-64 with unfused multiply-adds: the path for CPUs
    /// without FMA (results differ from the other levels' in the last
    /// bits; see [`crate::fastmath::Arith`]).
    Unfused,
    /// Baseline x86-64 (or the target's baseline) with fused
    /// multiply-adds, in software where the CPU has no FMA instruction.
    Baseline,
    Avx2,
    Avx512,
}

/// The warning for a CPU without fused multiply-add.
pub const NO_FMA_WARNING: &str = "warning: this CPU has no fused multiply-add (FMA) instruction, so goodhart computes with unfused multiply-adds: results may differ from other machines' in the last bits (more, where a rounding difference tips a random draw), and runs take about three times as long as with AVX2 and FMA. GOODHART_SIMD=baseline gives the portable bits, about twice as slow still.";

impl Level {
    pub const ALL: [Level; 4] = [Level::Unfused, Level::Baseline, Level::Avx2, Level::Avx512];

    /// The level named `unfused`, `baseline`, `avx2` or `avx512`.
    pub fn from_name(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Unfused => "unfused",
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }
}

/// The widest level this CPU supports.
pub fn detected() -> Level {
    static DETECTED: OnceLock<Level> = OnceLock::new();
    *DETECTED.get_or_init(detect)
}

/// Whether this CPU has hardware fused multiply-add (x86-64: the FMA
/// extension; other architectures' baselines have it).
pub fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        true
    }
}

fn detect() -> Level {
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
        if !std::arch::is_x86_feature_detected!("fma") {
            return Level::Unfused;
        }
    }
    Level::Baseline
}

/// The cap set by [`set_cap`] (as a `Level` discriminant).
static CAP: AtomicU8 = AtomicU8::new(Level::Avx512 as u8);

/// Caps the level the step runs at (for the whole process, from the next
/// week on). Results are the same at every level but [`Level::Unfused`];
/// only speed changes.
pub fn set_cap(cap: Level) {
    CAP.store(cap as u8, Ordering::Relaxed);
}

/// The level the step runs at: the widest this CPU supports, capped by
/// [`set_cap`]. On a CPU without FMA (detected as `Unfused`) a cap of
/// `Baseline` still runs the baseline build, with fused multiply-adds in
/// software: slow, but the portable bits.
pub fn level() -> Level {
    let cap = Level::ALL[usize::from(CAP.load(Ordering::Relaxed)).min(3)];
    resolve(detected(), cap)
}

/// The level for a CPU whose widest is `detected`, capped at `cap`.
fn resolve(detected: Level, cap: Level) -> Level {
    match detected {
        Level::Unfused if cap == Level::Baseline => Level::Baseline,
        widest => widest.min(cap),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_resolve_to_a_level_the_cpu_runs() {
        use Level::*;
        // An AVX-512 CPU runs any cap, the unfused path included.
        for cap in Level::ALL {
            assert_eq!(resolve(Avx512, cap), cap);
        }
        assert_eq!(resolve(Avx2, Avx512), Avx2);
        // Without FMA: the unfused path, unless the portable baseline
        // (software FMA) is asked for.
        assert_eq!(resolve(Unfused, Avx512), Unfused);
        assert_eq!(resolve(Unfused, Avx2), Unfused);
        assert_eq!(resolve(Unfused, Baseline), Baseline);
        assert_eq!(resolve(Unfused, Unfused), Unfused);
    }
}
