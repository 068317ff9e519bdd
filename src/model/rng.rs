//! Named, portable random streams.
//!
//! Two kinds, both portable and value-stable (unlike `StdRng`):
//! - The population's attributes are drawn once, per team, from a
//!   `Pcg64Mcg` generator (rand_pcg) seeded from (run seed, stream name,
//!   team) by SplitMix64 mixing ([`stream`]); rejection samplers take a
//!   variable number of draws, which a sequential stream allows.
//! - The weekly draws are counter-based ([`word`]): the draw of slot k of
//!   employee e in week w is output number (w, e, k) (packed into
//!   disjoint bit fields) of SplitMix64 seeded with the run's key. Every
//!   draw is a pure function of its position, so a vectorised loop
//!   computes its agents' draws in its lanes, each team's draws are the
//!   positions of its members (its own stream, overlapping no other), and
//!   nothing depends on which thread steps a team or how teams are
//!   batched.
//!
//! The run seed itself comes from (master seed, replicate), so replicate r
//! of every sweep point shares its seeds (common random numbers).

use rand_pcg::Pcg64Mcg;

/// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective mixer.
pub const fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a hash of a stream name (stable across platforms and versions).
const fn fnv1a(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
        i += 1;
    }
    h
}

/// The seed of replicate `replicate` of a batch with master seed `master`.
pub fn run_seed(master: u64, replicate: u64) -> u64 {
    splitmix64(splitmix64(master ^ fnv1a("replicate")) ^ replicate)
}

/// The generator of stream `name` for unit `index` (a team) of a run.
pub fn stream(run_seed: u64, name: &str, index: u64) -> Pcg64Mcg {
    let a = splitmix64(run_seed ^ fnv1a(name));
    let b = splitmix64(a ^ index);
    let c = splitmix64(b ^ 0x5851_F42D_4C95_7F2D);
    Pcg64Mcg::new(((b as u128) << 64) | c as u128)
}

/// SplitMix64's increment (the golden ratio as a 64-bit odd number).
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Bits of a week's draw position given to the employee number (the
/// validator allows at most 10^8 < 2^27 employees) and to the draw slot.
const EMPLOYEE_BITS: u32 = 27;
const SLOT_BITS: u32 = 4;

/// The draws of one agent in one week, each at its own slot of the
/// agent's counter range (see [`word`]).
pub mod slots {
    /// Radius uniforms of the value shocks (52 bits each): the Box-Muller
    /// pair's and the single normal's ([`crate::fastmath::Maths::normal_f32`]).
    pub const RADIUS_0: u64 = 0;
    pub const RADIUS_1: u64 = 2;
    /// Both angle uniforms: the word's high and low 32 bits.
    pub const ANGLES: u64 = 1;
    /// Incidents (Poisson inversion, 52 bits).
    pub const INCIDENTS: u64 = 3;
    /// Audit detection and belief evidence: the high and low 32 bits.
    pub const DETECTION_EVIDENCE: u64 = 4;
    /// Seeds of the sequential generators for the rare draws that need
    /// more than one uniform (incident rates above 500, n_obs above 16).
    pub const INCIDENTS_EXTRA: u64 = 5;
    pub const EVIDENCE_EXTRA: u64 = 6;
}

/// The key of a run's weekly draws.
pub fn step_key(run_seed: u64) -> u64 {
    splitmix64(splitmix64(run_seed ^ fnv1a("step")))
}

/// The position of slot `slot` of employee `employee` in week `week`:
/// (week, employee, slot) packed into disjoint bit fields (17 + 27 + 4 bits
/// for the validator's limits), so every draw of a run has its own
/// position and teams' draws never overlap.
#[inline(always)]
pub fn position(week: u64, employee: u64, slot: u64) -> u64 {
    (((week << EMPLOYEE_BITS) | employee) << SLOT_BITS) | slot
}

/// How far apart consecutive employees' positions of one slot are.
pub const EMPLOYEE_STRIDE: u64 = 1 << SLOT_BITS;

/// The counter-based draw at `position` of the stream with key `key`:
/// output `position` of SplitMix64 (Steele, Lea & Flood 2014; Java's
/// `SplittableRandom`) seeded with `key`, i.e. its mixer applied to
/// `key + (position + 1) * GAMMA`. A pure function of the position, so a
/// pass computes any agent's draws in any order, lanes of a SIMD loop
/// included, and the results do not depend on threads or blocks.
#[inline(always)]
pub fn word(key: u64, position: u64) -> u64 {
    mix(state_at(key, position))
}

/// The draw at the position whose SplitMix64 state, before mixing, is
/// `state` (`key + (position + 1) * GAMMA`): vectorised loops advance the
/// state by `EMPLOYEE_STRIDE * GAMMA` per agent instead of multiplying.
#[inline(always)]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The unmixed SplitMix64 state of `position` (see [`mix`]).
#[inline(always)]
pub fn state_at(key: u64, position: u64) -> u64 {
    key.wrapping_add(position.wrapping_mul(GAMMA))
        .wrapping_add(GAMMA)
}

/// The state step between consecutive employees of one slot.
pub const EMPLOYEE_STATE_STEP: u64 = EMPLOYEE_STRIDE.wrapping_mul(GAMMA);

/// A uniform in [0, 1) from the top 52 bits of a word (a double in [1, 2)
/// minus one: exact, and three instructions in a SIMD loop, where a
/// 64-bit integer conversion is not available before AVX-512).
#[inline(always)]
pub fn unit52(bits: u64) -> f64 {
    f64::from_bits((bits >> 12) | 0x3FF0_0000_0000_0000) - 1.0
}

/// A uniform in (0, 1] from the top 52 bits of a word (never 0, so its
/// logarithm is finite).
#[inline(always)]
pub fn open52(bits: u64) -> f64 {
    2.0 - f64::from_bits((bits >> 12) | 0x3FF0_0000_0000_0000)
}

/// A uniform in [0, 1) from the high 32 bits of a word (where 2^-32 is fine
/// enough: an angle, a Bernoulli or binomial threshold), so one word gives
/// two with [`low32`].
#[inline(always)]
pub fn high32(bits: u64) -> f64 {
    f64::from_bits(((bits >> 32) << 20) | 0x3FF0_0000_0000_0000) - 1.0
}

/// A uniform in [0, 1) from the low 32 bits of a word (see [`high32`]).
#[inline(always)]
pub fn low32(bits: u64) -> f64 {
    f64::from_bits(((bits & 0xFFFF_FFFF) << 20) | 0x3FF0_0000_0000_0000) - 1.0
}

/// A uniform on the lattice (k + 1/2) 2^-32 - 1/2, k = 0 .. 2^32 - 1,
/// from the low 32 bits of a word: in (-1/2, 1/2) and symmetric about 0
/// (`low32(bits) - 1/2` would include -1/2 but not 1/2), for the angle of
/// [`crate::fastmath::Maths::normal_f32`].
#[inline(always)]
pub fn centred_low32(bits: u64) -> f64 {
    // 1 + k 2^-32 minus (3/2 - 2^-33), both exact.
    f64::from_bits(((bits & 0xFFFF_FFFF) << 20) | 0x3FF0_0000_0000_0000) - (1.5 - 0.5f64.powi(33))
}

/// The sequential generator of one agent's rare extra draws in one week
/// (seeded from the counter-based word at `slot`).
pub fn extra(key: u64, week: u64, employee: u64, slot: u64) -> Pcg64Mcg {
    // Seeded as `stream` seeds, by SplitMix64 mixing (not rand's
    // `seed_from_u64`, whose expansion rand does not promise to keep).
    let w = word(key, position(week, employee, slot));
    Pcg64Mcg::new(((w as u128) << 64) | splitmix64(w ^ 0x5851_F42D_4C95_7F2D) as u128)
}

/// Named streams used by the engine.
pub mod names {
    /// Attribute draws, per team.
    pub const POPULATION: &str = "population";
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_value_stable() {
        // Golden values: a change here changes every result of the project.
        let mut r = stream(run_seed(1, 0), "choice", 3);
        let got = [r.next_u64(), r.next_u64()];
        assert_eq!(got, GOLDEN, "stream derivation changed: {got:?}");
    }
    const GOLDEN: [u64; 2] = [5660218581221658587, 12361929802190851784];

    #[test]
    fn counter_words_are_splitmix64_outputs() {
        // SplitMix64 seeded with `key`: state += GAMMA, then mix.
        let key = step_key(9);
        let mut state = key;
        let mut seq = Vec::new();
        for _ in 0..40 {
            state = state.wrapping_add(GAMMA);
            seq.push(mix(state));
        }
        for (i, &w) in seq.iter().enumerate() {
            assert_eq!(word(key, i as u64), w);
            assert_eq!(mix(state_at(key, i as u64)), w);
        }
        // Consecutive employees' states are EMPLOYEE_STATE_STEP apart.
        let a = state_at(key, position(3, 10, slots::DETECTION_EVIDENCE));
        let b = state_at(key, position(3, 11, slots::DETECTION_EVIDENCE));
        assert_eq!(b.wrapping_sub(a), EMPLOYEE_STATE_STEP);
        // Positions are distinct across weeks, employees and slots.
        assert_ne!(position(0, 1, 0), position(0, 0, 1));
        assert_eq!(position(99_999, 99_999_999, 15) >> 48, 0);
    }

    #[test]
    fn thirty_two_bit_halves_are_independent_uniforms() {
        assert_eq!(high32(0), 0.0);
        assert_eq!(low32(0), 0.0);
        assert_eq!(high32(u64::MAX), 1.0 - 2f64.powi(-32));
        assert_eq!(low32(u64::MAX), 1.0 - 2f64.powi(-32));
        assert_eq!(high32(1 << 32), 2f64.powi(-32));
        assert_eq!(low32(1), 2f64.powi(-32));
        // The halves of a word are uncorrelated: within 5 standard errors
        // (1 / (12 sqrt n) for the covariance of two uniforms) of 0.
        let key = step_key(3);
        let n = 100_000;
        let cov = (0..n)
            .map(|i| word(key, i))
            .map(|w| (high32(w) - 0.5) * (low32(w) - 0.5))
            .sum::<f64>()
            / n as f64;
        assert!(cov.abs() < 5.0 / (12.0 * (n as f64).sqrt()), "{cov}");
    }

    #[test]
    fn centred_angles_are_symmetric_about_zero() {
        let half_step = 0.5f64.powi(33);
        assert_eq!(centred_low32(0), -0.5 + half_step);
        assert_eq!(centred_low32(0xFFFF_FFFF), 0.5 - half_step);
        for k in [0u64, 1, 12345, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE] {
            // Lattice point k mirrors 2^32 - 1 - k exactly; the high bits
            // are ignored.
            let x = centred_low32(k | 0xABCD_0000_0000_0000);
            assert_eq!(x, -centred_low32(0xFFFF_FFFF - k));
            assert_eq!(x, (k as f64 + 0.5) * 0.5f64.powi(32) - 0.5);
        }
    }

    #[test]
    fn fifty_two_bit_uniforms_stay_in_their_intervals() {
        for w in [0, 1, u64::MAX, 1 << 63, 0xFFF, 0x1000] {
            let (u, v) = (unit52(w), open52(w));
            assert!((0.0..1.0).contains(&u), "{w}: {u}");
            assert!(v > 0.0 && v <= 1.0, "{w}: {v}");
            assert_eq!(u + v, 1.0);
        }
        assert_eq!(unit52(0), 0.0);
        assert_eq!(open52(0), 1.0);
        assert_eq!(open52(u64::MAX), f64::EPSILON);
    }

    #[test]
    fn streams_differ_by_name_index_and_seed() {
        let first = |s: u64, n: &str, i: u64| stream(s, n, i).next_u64();
        let base = first(7, "choice", 0);
        assert_ne!(base, first(7, "events", 0));
        assert_ne!(base, first(7, "choice", 1));
        assert_ne!(base, first(8, "choice", 0));
        assert_ne!(run_seed(1, 0), run_seed(1, 1));
    }
}
