//! The functions of the choice pass in single precision: the normal CDF of
//! the ranks, the logistic of the usage bar and the top-k curve, the
//! softmax's exponentials and the value shocks' normals.
//!
//! Their arguments and results are doubles, but they compute in `f32`
//! with polynomials of lower degree (a degree-11 erfc instead of 22, a
//! degree-6 exponential instead of 11) and cheaper divisions and square
//! roots, so each agent's chain of dependent operations, which bounds
//! these loops, is about half as long; the engine's step runs about 15%
//! faster for it (docs/PERFORMANCE.md). Their errors (tests below)
//! are a few parts in 10^7 (the softmax's shares up to about 1.5e-6 where
//! the top-k curve steepens a rank's error), against a choice noise of
//! 0.2 and Monte Carlo errors of 10^-3 and more in every output the model
//! reports (docs/MODEL.md, item 15, "Parallel work and numerics"). Every
//! operation is an IEEE single-precision one and conversions round to
//! nearest, so the bits are the same on every machine, as in double
//! precision.
//!
//! Domains: [`Maths::exp_f32_lanes`] clamps its argument to [-80, 80]
//! (e^-80 = 1.8e-35), so no result is a subnormal number, which some
//! CPUs process a hundred times slower; the CDF is exactly 0.5 at 0 and
//! within 3e-7 of the true value everywhere.

use super::{Arith, Maths};

/// 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to the nearest
/// integer and leaves that integer in the low bits.
const ROUND_SHIFT: f32 = 12_582_912.0;
/// ln 2 split into a high part with 9 significant bits (so that e times it
/// is exact for |e| < 2^15) and the rest (Cephes' constants).
const LN2_HI: f32 = 0.693_359_375;
const LN2_LO: f32 = -2.121_944_4e-4;
/// The largest argument magnitude of the exponential (see the module).
const EXP_LIMIT: f32 = 80.0;
/// The CDF's standard scores are clamped to this: Phi(-9) = 1.1e-19, and
/// its exponential, e^-40.5, is a normal number.
const CDF_LIMIT: f64 = 9.0;

/// e^r for |r| <= ln(2) / 2 as a polynomial of degree 6: 1 + r + r^2/2 +
/// r^3 q(r), with q the Chebyshev interpolation of (e^r - 1 - r - r^2/2) /
/// r^3 of degree 3 (mpmath), rounded to `f32`: relative error 2.0e-8.
pub(super) const EXP: [f32; 7] = [
    1.0,
    1.0,
    0.5,
    0.166_666_314,
    0.041_666_623_2,
    0.008_357_199_84,
    0.001_391_871_37,
];

/// erfc in the form of Shepherd & Laframboise (1981): f(y) = (1 + 2t)
/// e^(t^2) erfc(t) with y = (t - K) / (t + K), here K = 3, as a
/// polynomial of degree 11 in y (Chebyshev interpolation with mpmath;
/// relative error 7.1e-9 before rounding to `f32`; the double-precision
/// CDF that this replaced needed degree 22 with K = 3.75 for 1e-16). Of
/// K = 2, 2.5, 3 and 3.75, 3 was the most accurate at degree 11.
const ERFC_K: f32 = 3.0;
pub(super) const ERFC: [f32; 12] = [
    1.253_008_01,
    -0.135_621_101,
    -0.047_562_155_9,
    0.129_644_722,
    -0.119_275_279,
    0.068_313_196_3,
    -0.023_763_559_8,
    0.002_506_778_58,
    0.001_875_060_26,
    -0.000_734_082_074,
    -9.253_768_8e-5,
    8.007_454_74e-5,
];

/// ln m = 2 atanh(f) = 2f + 2f s q(s) with s = f^2 <= 0.0294 (as the
/// double-precision `LN_ATANH`), q of degree 2 here: Chebyshev
/// interpolation, error 9.4e-8 in q, so below 1e-9 in ln m.
pub(super) const LN_ATANH: [f32; 3] = [0.333_333_433, 0.199_943_9, 0.147_899_747];

/// (sin x / x - 1) / x^2 and (1 - cos x) / x^2 as polynomials of degree 3
/// in x^2 for |x| <= pi / 4 (Chebyshev interpolation; errors 2.8e-11 and
/// 3.1e-10 before rounding to `f32`, 2.4e-9 in sin x after).
pub(super) const SIN: [f32; 4] = [
    -0.166_666_672,
    0.008_333_331_91,
    -0.000_198_400_87,
    2.724_992_56e-6,
];
pub(super) const COS: [f32; 4] = [0.5, -0.041_666_649_3, 0.001_388_758_89, -2.446_378_86e-5];

/// (sin x / x - 1) / x^2 as a polynomial of degree 4 in x^2 for |x| <=
/// pi / 2 (Chebyshev interpolation, error 2.8e-11 before rounding to
/// `f32`, 1.9e-8 in sin x after).
pub(super) const SIN_WIDE: [f32; 5] = [
    -0.166_666_672,
    0.008_333_332_84,
    -0.000_198_410_868,
    2.753_646_41e-6,
    -2.408_019_03e-8,
];

/// Horner's rule at `L` points in single precision (see `horner_lanes`).
#[inline(always)]
fn horner_lanes<A: Arith, const N: usize, const L: usize>(x: [f32; L], c: &[f32; N]) -> [f32; L] {
    let mut p = [c[N - 1]; L];
    for &k in c[..N - 1].iter().rev() {
        for (p, &x) in p.iter_mut().zip(&x) {
            *p = A::madd32(*p, x, k);
        }
    }
    p
}

impl Maths {
    /// e^x in single precision for `L` arguments, each clamped to [-80,
    /// 80] (see the module).
    #[inline(always)]
    pub fn exp_f32_lanes<A: Arith, const L: usize>(&self, x: [f32; L]) -> [f32; L] {
        self.exp_f32_in_range::<A, L>(x.map(|x| x.clamp(-EXP_LIMIT, EXP_LIMIT)))
    }

    /// [`Self::exp_f32_lanes`] for arguments already in [-80, 80] (the
    /// CDF's, whose clamped scores keep them there): the same bits
    /// without the clamp, which would lengthen every lane's chain.
    #[inline(always)]
    fn exp_f32_in_range<A: Arith, const L: usize>(&self, x: [f32; L]) -> [f32; L] {
        let shifted = x.map(|x| A::madd32(x, std::f32::consts::LOG2_E, ROUND_SHIFT));
        let r = std::array::from_fn(|l| {
            let k = shifted[l] - ROUND_SHIFT;
            A::madd32(-k, LN2_LO, A::madd32(-k, LN2_HI, x[l]))
        });
        let p = horner_lanes::<A, 7, L>(r, &self.exp_f32);
        std::array::from_fn(|l| {
            let k = shifted[l].to_bits().wrapping_sub(ROUND_SHIFT.to_bits());
            p[l] * f32::from_bits(k.wrapping_add(127) << 23)
        })
    }

    /// Natural logarithm in single precision of a positive, finite, normal
    /// `f32`.
    #[inline(always)]
    pub fn ln_f32<A: Arith>(&self, x: f32) -> f32 {
        let bits = x.to_bits();
        // x = 2^e m, m in [1, 2), as the double-precision `ln`.
        let two23 = f32::from_bits(0x4B00_0000);
        let e = f32::from_bits(0x4B00_0000 | (bits >> 23)) - two23 - 127.0;
        let m = f32::from_bits((bits & 0x007F_FFFF) | 0x3F80_0000);
        let high = m > std::f32::consts::SQRT_2;
        let m = if high { 0.5 * m } else { m };
        let e = if high { e + 1.0 } else { e };
        let f = (m - 1.0) / (m + 1.0);
        let s = f * f;
        let [q] = horner_lanes::<A, 3, 1>([s], &self.ln_f32);
        let two_f = f + f;
        let ln_m = A::madd32(two_f * s, q, two_f);
        A::madd32(e, LN2_HI, A::madd32(e, LN2_LO, ln_m))
    }

    /// Logistic function 1 / (1 + e^-x), computed in single precision
    /// (relative error below 6e-8 (|x| + 5), most of it from rounding x
    /// to `f32`; 1.8e-35 below x = -80, exactly 1 above about 17).
    #[inline(always)]
    pub fn logistic<A: Arith>(&self, x: f64) -> f64 {
        let [e] = self.exp_f32_lanes::<A, 1>([-x as f32]);
        f64::from(1.0 / (1.0 + e))
    }

    /// Standard normal CDF, computed in single precision (absolute error
    /// below 3e-7).
    #[inline(always)]
    pub fn normal_cdf<A: Arith>(&self, z: f64) -> f64 {
        let [p] = self.normal_cdf_lanes::<A, 1>([z]);
        p
    }

    /// [`Self::normal_cdf`] of `L` arguments, step by step for all of them
    /// (two CDFs of an agent are two independent chains side by side): the
    /// same bits as `L` calls.
    #[inline(always)]
    pub fn normal_cdf_lanes<A: Arith, const L: usize>(&self, z: [f64; L]) -> [f64; L] {
        let z = z.map(|z| z.clamp(-CDF_LIMIT, CDF_LIMIT) as f32);
        let t = z.map(|z| z.abs() * std::f32::consts::FRAC_1_SQRT_2);
        // One division for both y = (t - K) / (t + K) and 1 / (1 + 2t).
        let d = t.map(|t| 1.0 / ((t + ERFC_K) * (1.0 + 2.0 * t)));
        let y = std::array::from_fn(|l| (t[l] - ERFC_K) * (1.0 + 2.0 * t[l]) * d[l]);
        let f = horner_lanes::<A, 12, L>(y, &self.erfc_f32);
        // -z^2 / 2 >= -40.5, within the exponential's range.
        let e = self.exp_f32_in_range::<A, L>(z.map(|z| -0.5 * z * z));
        std::array::from_fn(|l| {
            let inv_1_2t = (t[l] + ERFC_K) * d[l];
            let half_erfc = 0.5 * f[l] * inv_1_2t * e[l];
            f64::from(if z[l] < 0.0 {
                half_erfc
            } else {
                1.0 - half_erfc
            })
        })
    }

    /// Two standard normals from uniforms `u1` in (0, 1] and `u2` in [0, 1)
    /// by Box and Muller, as [`Maths::normal_pair`] but in single
    /// precision: each uniform is rounded to `f32` (24 bits; `u1` keeps
    /// its smallest values, so the tails reach the same 8.5 sd). Rounding
    /// `u1` near 1 loses 1 - u1, so the radius's error is absolute, not
    /// relative: at most about 2e-4 (when 1 - u1 < 2^-25 the radius is
    /// 0), above 1e-6 in about 5e-4 of draws; the distribution is the
    /// same to that resolution.
    #[inline(always)]
    pub fn normal_pair_f32<A: Arith>(&self, u1: f64, u2: f64) -> (f64, f64) {
        let r = self.radius_f32::<A>(u1);
        let (sin, cos) = self.sin_cos_turns_f32::<A>(u2 as f32);
        (f64::from(r * cos), f64::from(r * sin))
    }

    /// The Box-Muller radius sqrt(-2 ln u1), `u1` rounded to `f32`.
    #[inline(always)]
    fn radius_f32<A: Arith>(&self, u1: f64) -> f32 {
        (-2.0 * self.ln_f32::<A>(u1 as f32)).sqrt()
    }

    /// (sin 2 pi u, cos 2 pi u) in single precision, as
    /// [`Maths::sin_cos_turns`].
    #[inline(always)]
    fn sin_cos_turns_f32<A: Arith>(&self, u: f32) -> (f32, f32) {
        let quarters = 4.0 * u;
        let shifted = quarters + ROUND_SHIFT;
        let k = shifted.to_bits().wrapping_sub(ROUND_SHIFT.to_bits());
        let x = (quarters - (shifted - ROUND_SHIFT)) * std::f32::consts::FRAC_PI_2;
        let x2 = x * x;
        let [sp] = horner_lanes::<A, 4, 1>([x2], &self.sin_f32);
        let sin_x = A::madd32(x * x2, sp, x);
        let [cp] = horner_lanes::<A, 4, 1>([x2], &self.cos_f32);
        let cos_x = A::madd32(-x2, cp, 1.0);
        // Rotate by k quarter turns (see `Maths::sin_cos_turns`).
        let odd = k & 1 == 1;
        let (a, b) = if odd { (cos_x, -sin_x) } else { (sin_x, cos_x) };
        let sin = f32::from_bits(a.to_bits() ^ ((k & 2) << 30));
        let cos = f32::from_bits(b.to_bits() ^ ((k & 2) << 30));
        (sin, cos)
    }

    /// One standard normal r sin(pi w) from `u1` in (0, 1] and `w` in
    /// [-1/2, 1/2], as half a Box-Muller pair without its partner (the
    /// sine of a uniform angle in [-pi/2, pi/2] has the distribution of a
    /// uniform angle's cosine), in single precision.
    #[inline(always)]
    pub fn normal_f32<A: Arith>(&self, u1: f64, w: f64) -> f64 {
        let r = self.radius_f32::<A>(u1);
        let x = w as f32 * std::f32::consts::PI;
        let x2 = x * x;
        let [p] = horner_lanes::<A, 5, 1>([x2], &self.sin_wide_f32);
        f64::from(r * A::madd32(x * x2, p, x))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Fused, MATHS, Unfused};
    use super::*;

    fn grid(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
        (0..=n).map(move |i| lo + (hi - lo) * i as f64 / n as f64)
    }

    /// Distance in units in the last place of `f32` between a single-
    /// precision result and the double-precision truth.
    fn ulps32(a: f32, exact: f64) -> u32 {
        (a.to_bits() as i32 - (exact as f32).to_bits() as i32).unsigned_abs()
    }

    #[test]
    fn exp_is_within_two_ulp_three_unfused_and_never_subnormal() {
        for (a, worst_allowed) in [(false, 2), (true, 3)] {
            let mut worst = 0;
            for x in grid(-80.0, 80.0, 200_000).chain(grid(-1.0, 1.0, 50_000)) {
                let x = x as f32;
                let [y] = if a {
                    MATHS.exp_f32_lanes::<Unfused, 1>([x])
                } else {
                    MATHS.exp_f32_lanes::<Fused, 1>([x])
                };
                worst = worst.max(ulps32(y, f64::from(x).exp()));
            }
            assert!(worst <= worst_allowed, "unfused {a}: worst {worst} ulp");
        }
        let [lo, hi, zero] = MATHS.exp_f32_lanes::<Fused, 3>([-1e30, f32::INFINITY, 0.0]);
        assert!(lo.is_normal() && lo < 2e-35, "{lo}");
        assert!(hi.is_finite() && hi > 5e34, "{hi}");
        assert_eq!(zero, 1.0);
    }

    #[test]
    fn ln_is_within_two_ulp() {
        fn check<A: Arith>() {
            let mut worst = 0;
            let xs = grid(0.5, 2.0, 100_000)
                .chain(grid(1e-6, 1e3, 100_000))
                .chain((-37..38).map(|k| 1.37 * 10f64.powi(k)));
            for x in xs {
                let x = x as f32;
                let exact = f64::from(x).ln();
                let y = MATHS.ln_f32::<A>(x);
                // Near x = 1 the result is tiny: compare in absolute terms.
                if exact.abs() > 1e-3 {
                    worst = worst.max(ulps32(y, exact));
                } else {
                    assert!((f64::from(y) - exact).abs() < 1e-10, "{x}");
                }
            }
            assert!(worst <= 2, "worst {worst} ulp");
            assert_eq!(MATHS.ln_f32::<A>(1.0), 0.0);
        }
        check::<Fused>();
        check::<Unfused>();
    }

    #[test]
    fn normal_cdf_is_within_3e_7_of_libm() {
        for unfused in [false, true] {
            let mut worst: f64 = 0.0;
            for z in grid(-40.0, 40.0, 400_000).chain(grid(-3.0, 3.0, 100_000)) {
                let exact = 0.5 * libm::erfc(-z * std::f64::consts::FRAC_1_SQRT_2);
                let p = if unfused {
                    MATHS.normal_cdf::<Unfused>(z)
                } else {
                    MATHS.normal_cdf::<Fused>(z)
                };
                worst = worst.max((p - exact).abs());
                assert!((0.0..=1.0).contains(&p), "{z}: {p}");
            }
            assert!(worst <= 3e-7, "unfused {unfused}: worst {worst:e}");
        }
        let cdf = |z| MATHS.normal_cdf::<Fused>(z);
        assert_eq!(cdf(0.0), 0.5);
        assert!(cdf(-50.0) < 2e-19 && cdf(50.0) == 1.0);
        // Monotone on a fine grid where it is not flat at f32's resolution.
        let ps: Vec<f64> = grid(-6.0, 6.0, 20_000).map(cdf).collect();
        assert!(ps.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn logistic_is_accurate_and_saturates() {
        for x in grid(-40.0, 40.0, 10_000) {
            let exact = 1.0 / (1.0 + (-x).exp());
            for y in [MATHS.logistic::<Fused>(x), MATHS.logistic::<Unfused>(x)] {
                // Rounding x to f32 alone moves e^-x by up to |x| 2^-24.
                assert!((y - exact).abs() <= 6e-8 * (x.abs() + 5.0) * exact, "{x}");
            }
        }
        assert!(MATHS.logistic::<Fused>(-1000.0) < 2e-35);
        assert_eq!(MATHS.logistic::<Fused>(1000.0), 1.0);
        assert_eq!(MATHS.logistic::<Fused>(0.0), 0.5);
    }

    #[test]
    fn lanes_give_the_bits_of_one_at_a_time() {
        fn check<A: Arith>() {
            let zs: Vec<f64> = grid(-45.0, 45.0, 2_001)
                .chain([0.0, -0.0, 9.0, -9.0])
                .collect();
            for pair in zs.windows(2) {
                let [a, b] = [pair[0], pair[1]];
                let both = MATHS.normal_cdf_lanes::<A, 2>([a, b]);
                let one = [a, b].map(|z| MATHS.normal_cdf::<A>(z));
                assert_eq!(both.map(f64::to_bits), one.map(f64::to_bits), "{a}, {b}");
                let (x, y) = (a as f32 * 3.0, b as f32 * 3.0);
                let both = MATHS.exp_f32_lanes::<A, 2>([x, y]);
                let one = [x, y].map(|x| MATHS.exp_f32_lanes::<A, 1>([x])[0]);
                assert_eq!(both.map(f32::to_bits), one.map(f32::to_bits), "{x}, {y}");
            }
        }
        check::<Fused>();
        check::<Unfused>();
    }

    #[test]
    fn sine_and_cosine_are_accurate() {
        fn check<A: Arith>() {
            let mut worst: f64 = 0.0;
            for u in grid(0.0, 1.0, 200_000).filter(|&u| u < 1.0) {
                // u1 = e^-1/2 gives r = 1: the pair is (cos, sin) of 2 pi u.
                let (c, s) = MATHS.normal_pair_f32::<A>((-0.5f64).exp(), u);
                let theta = 2.0 * std::f64::consts::PI * f64::from(u as f32);
                worst = worst
                    .max((s - theta.sin()).abs())
                    .max((c - theta.cos()).abs());
            }
            assert!(worst < 3e-7, "pair: worst {worst:e}");
            let mut worst: f64 = 0.0;
            for w in grid(-0.5, 0.5, 200_000) {
                let z = MATHS.normal_f32::<A>((-0.5f64).exp(), w);
                let exact = (std::f64::consts::PI * f64::from(w as f32)).sin();
                worst = worst.max((z - exact).abs());
            }
            assert!(worst < 3e-7, "single: worst {worst:e}");
        }
        check::<Fused>();
        check::<Unfused>();
    }

    #[test]
    fn box_muller_normals_have_normal_moments_and_tails() {
        super::super::tests::assert_standard_normal(400_000, |u1, u2| {
            let (a, b) = MATHS.normal_pair_f32::<Fused>(u1, u2);
            vec![a, b]
        });
        super::super::tests::assert_standard_normal(200_000, |u1, u2| {
            let (a, b) = MATHS.normal_pair_f32::<Unfused>(u1, u2);
            vec![a, b]
        });
    }

    #[test]
    fn single_normals_have_normal_moments_and_tails() {
        super::super::tests::assert_standard_normal(400_000, |u1, u2| {
            vec![MATHS.normal_f32::<Fused>(u1, u2 - 0.5)]
        });
        super::super::tests::assert_standard_normal(200_000, |u1, u2| {
            vec![MATHS.normal_f32::<Unfused>(u1, u2 - 0.5)]
        });
    }

    /// The smallest uniform of the engine's words, 2^-52, gives the same
    /// largest radius as in double precision: the tails are not cut.
    #[test]
    fn the_tails_reach_as_far_as_in_double_precision() {
        let u1 = 2f64.powi(-52);
        let (z, _) = MATHS.normal_pair_f32::<Fused>(u1, 0.0);
        let (exact, _) = MATHS.normal_pair::<Fused>(u1, 0.0);
        assert!((z - exact).abs() < 1e-5 * exact, "{z} {exact}");
        assert!(z > 8.4);
    }
}
