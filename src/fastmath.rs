//! Branch-free `exp`, `ln`, logistic, normal CDF and normals for the
//! weekly step's array passes.
//!
//! glibc's `exp`/`log` and libm's `erfc` are fast one value at a time but
//! branchy, so a loop that calls them cannot be vectorised. These versions
//! are straight-line arithmetic (range reduction by bit manipulation, a
//! polynomial, selects instead of branches) that LLVM turns into SIMD code
//! over the agent arrays, and, being pure Rust with `mul_add`, they give the
//! same bits on every platform (except on the unfused path for CPUs
//! without FMA, [`Unfused`]). Accuracy (checked by the tests below against
//! the standard library): `exp` and `ln` within 2 ulp over the model's
//! range. The choice pass's functions (normal CDF, logistic, the softmax's
//! exponentials, the value shocks' normals) compute in single precision
//! (module `single`): errors of a few parts in 10^7, far below anything the
//! model's outputs resolve.
//!
//! Domains: `exp` saturates to 0 below -708 (true value < 3.3e-308) and to
//! infinity above 709.78; `ln` takes positive, finite, normal numbers (the
//! engine only takes logs of token counts plus a positive floor).

// Constants are written with up to 17 significant digits, which identify
// a double exactly. The polynomials' coefficients were computed with
// mpmath 1.3 at 50 digits: `mpmath.chebyfit(f, [a, b], n, error=True)` for
// the functions and intervals named at each (docs/PERFORMANCE.md).
#![allow(clippy::excessive_precision)]

mod single;

/// log2(e).
const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split into a high part whose low 21 bits are zero and the
/// remainder (fdlibm's constants).
const LN2_HI: f64 = 6.931_471_803_691_238_2e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// 1.5 * 2^52: adding it rounds a double of magnitude < 2^51 to the
/// nearest integer (ties to even) and leaves that integer in the low bits.
const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;

/// e^r for |r| <= ln(2) / 2 as a polynomial of degree 11: Chebyshev
/// interpolation of e^r on that interval computed with mpmath at 50
/// digits (`mpmath.chebyfit`), maximum error 3.2e-18 (a 14-term Taylor
/// series reaches the same accuracy with two more multiply-adds).
const EXP_POLY: [f64; 12] = [
    1.0,
    1.0,
    0.5000000000000019,
    0.1666666666666668,
    0.0416666666664881,
    0.008333333333319601,
    0.0013888888952314775,
    0.00019841269890047113,
    2.4801485482328494e-05,
    2.755724091857897e-06,
    2.763263963904103e-07,
    2.5110037605963777e-08,
];

/// (atanh(f) / f - 1) / f^2 as a polynomial of degree 7 in s = f^2 for
/// s <= (3 - 2 sqrt 2)^2 = 0.0294 (|f| <= 0.1716): Chebyshev interpolation
/// with mpmath at 50 digits, maximum error 1.0e-18 (the series sum
/// s^k / (2k + 3) needs ten terms for that).
const LN_ATANH: [f64; 8] = [
    0.3333333333333333,
    0.2000000000000044,
    0.14285714285401807,
    0.11111111195856958,
    0.09090897820066453,
    0.07693119851407329,
    0.06634386569328443,
    0.06543313073920051,
];

/// (sin x / x - 1) / x^2 as a polynomial of degree 5 in t = x^2 for
/// |x| <= pi / 4: Chebyshev interpolation with mpmath, maximum error
/// 2.0e-17 (so below 1e-17 in sin x).
const SIN_POLY: [f64; 6] = [
    -0.16666666666666666,
    0.008333333333330948,
    -0.00019841269836758574,
    2.755731610255244e-06,
    -2.5051131845003624e-08,
    1.5918129294866608e-10,
];

/// (1 - cos x) / x^2 as a polynomial of degree 6 in t = x^2 for |x| <=
/// pi / 4: Chebyshev interpolation with mpmath, maximum error 2.0e-19.
const COS_POLY: [f64; 7] = [
    0.5,
    -0.04166666666666664,
    0.0013888888888880775,
    -2.480158729369346e-05,
    2.7557315566341895e-07,
    -2.0875886738047052e-09,
    1.1367998654022494e-11,
];

/// How a multiply-add is computed: fused (one rounding, the hardware FMA
/// instruction where the CPU has one) or unfused (a product and a sum,
/// two roundings). The engine uses [`Fused`] everywhere, so results are
/// the same bits on every machine; [`Unfused`] is the path for x86-64
/// CPUs without FMA, where a fused multiply-add in software costs some
/// fifty instructions (results then differ in the last bits).
pub trait Arith: Copy {
    fn madd(a: f64, b: f64, c: f64) -> f64;
    /// The same in single precision (module `single`).
    fn madd32(a: f32, b: f32, c: f32) -> f32;
}

/// Fused multiply-adds (see [`Arith`]).
#[derive(Clone, Copy, Debug)]
pub struct Fused;

/// Unfused multiply-adds (see [`Arith`]).
#[derive(Clone, Copy, Debug)]
pub struct Unfused;

impl Arith for Fused {
    #[inline(always)]
    fn madd(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
    #[inline(always)]
    fn madd32(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

impl Arith for Unfused {
    #[inline(always)]
    fn madd(a: f64, b: f64, c: f64) -> f64 {
        a * b + c
    }
    /// In double precision, where the product of two `f32` is exact: the
    /// fused result but for a rare double rounding (a sum that lands on a
    /// midpoint between two floats), without a software FMA.
    #[inline(always)]
    fn madd32(a: f32, b: f32, c: f32) -> f32 {
        (f64::from(a) * f64::from(b) + f64::from(c)) as f32
    }
}

/// c[0] + x (c[1] + x (c[2] + ...)) by Horner's rule with multiply-adds
/// (unrolled by the compiler: `N` is a constant).
#[inline(always)]
fn horner<A: Arith, const N: usize>(x: f64, c: &[f64; N]) -> f64 {
    let [p] = horner_lanes::<A, N, 1>([x], c);
    p
}

/// [`horner`] at `L` points, one coefficient at a time for all of them:
/// the same operations for each point, in an order that puts `L`
/// independent multiply-adds side by side, which a CPU whose reorder window
/// is filled by one long chain runs at once (docs/PERFORMANCE.md).
#[inline(always)]
fn horner_lanes<A: Arith, const N: usize, const L: usize>(x: [f64; L], c: &[f64; N]) -> [f64; L] {
    let mut p = [c[N - 1]; L];
    for &k in c[..N - 1].iter().rev() {
        for (p, &x) in p.iter_mut().zip(&x) {
            *p = A::madd(*p, x, k);
        }
    }
    p
}

/// The functions of this module, reading their polynomials' coefficients
/// from this table: [`MATHS`] where they are constants, and
/// [`Maths::opaque`] in the engine's vectorised loops.
///
/// Why a table the compiler cannot see into: in a loop that LLVM
/// vectorises for AVX2, every constant coefficient becomes a broadcast
/// (`vbroadcastsd`) before the multiply-add that uses it, as AVX2 cannot
/// read a broadcast constant as an FMA's memory operand (AVX-512 can).
/// Coefficients loaded from an opaque table are broadcast once, before the
/// loop, and kept in full-width stack slots that the multiply-adds read
/// directly: one instruction per coefficient instead of two
/// (docs/PERFORMANCE.md). The values and results are the same.
#[derive(Debug)]
pub struct Maths {
    exp: [f64; 12],
    ln: [f64; 8],
    sin: [f64; 6],
    cos: [f64; 7],
    exp_f32: [f32; 7],
    erfc_f32: [f32; 12],
    ln_f32: [f32; 3],
    sin_f32: [f32; 4],
    cos_f32: [f32; 4],
    sin_wide_f32: [f32; 5],
}

/// The table with the coefficients above.
pub static MATHS: Maths = Maths {
    exp: EXP_POLY,
    ln: LN_ATANH,
    sin: SIN_POLY,
    cos: COS_POLY,
    exp_f32: single::EXP,
    erfc_f32: single::ERFC,
    ln_f32: single::LN_ATANH,
    sin_f32: single::SIN,
    cos_f32: single::COS,
    sin_wide_f32: single::SIN_WIDE,
};

/// The smaller of `a` and `b` as a compare and a select, `b` when they
/// are equal: x86's `minpd`, one instruction per vector. [`f64::min`]
/// returns the other operand when either is NaN, which costs two more
/// instructions (a compare for NaN and a blend). The two agree whenever
/// `b` is not NaN and `a`, `b` are not zeros of opposite signs, as for
/// every use in the engine (non-negative shares and token counts).
#[inline(always)]
pub fn select_min(a: f64, b: f64) -> f64 {
    if a < b { a } else { b }
}

/// The larger of `a` and `b`, as [`select_min`] (x86's `maxpd`; the
/// same conditions for agreeing with [`f64::max`]).
#[inline(always)]
pub fn select_max(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
}

/// e^x.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    MATHS.exp::<Fused>(x)
}

/// Natural logarithm of a positive, finite, normal number.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    MATHS.ln::<Fused>(x)
}

/// (sin 2 pi u, cos 2 pi u) for u in [0, 1): the turn is split into the
/// nearest quarter k (exact) and a remainder x in [-pi/4, pi/4], whose sine
/// and cosine are polynomials (`SIN_POLY`, `COS_POLY`: errors below
/// 1e-17).
#[inline(always)]
pub fn sin_cos_turns(u: f64) -> (f64, f64) {
    MATHS.sin_cos_turns::<Fused>(u)
}

/// Two independent standard normals from two independent uniforms, `u1`
/// in (0, 1] and `u2` in [0, 1) (Box & Muller 1958): exact in
/// distribution, and branch-free, unlike the ziggurat.
#[inline(always)]
pub fn normal_pair(u1: f64, u2: f64) -> (f64, f64) {
    MATHS.normal_pair::<Fused>(u1, u2)
}

impl Maths {
    /// [`MATHS`] through [`std::hint::black_box`]: the same coefficients,
    /// which the optimiser cannot fold into the code as constants (see
    /// [`Maths`]).
    #[inline(always)]
    pub fn opaque() -> &'static Maths {
        std::hint::black_box(&MATHS)
    }

    /// e^x with multiply-adds of kind `A`.
    #[inline(always)]
    pub fn exp<A: Arith>(&self, x: f64) -> f64 {
        let [y] = self.exp_lanes::<A, 1>([x]);
        y
    }

    /// [`Self::exp`] of `L` arguments, step by step for all of them (see
    /// `horner_lanes`): the same bits as `L` calls.
    #[inline(always)]
    pub fn exp_lanes<A: Arith, const L: usize>(&self, x: [f64; L]) -> [f64; L] {
        let xc = x.map(|x| x.clamp(-708.0, 709.0));
        let shifted = xc.map(|xc| A::madd(xc, LOG2_E, ROUND_SHIFT));
        // |r| <= ln(2) / 2, computed with a two-part ln 2 (Cody & Waite).
        let r = std::array::from_fn(|l| {
            let k = shifted[l] - ROUND_SHIFT;
            A::madd(-k, LN2_LO, A::madd(-k, LN2_HI, xc[l]))
        });
        // A polynomial of degree 11: error below 4e-18 relative.
        let p = horner_lanes::<A, 12, L>(r, &self.exp);
        std::array::from_fn(|l| {
            // 2^k from the integer in the low bits of `shifted`.
            let ki = shifted[l].to_bits().wrapping_sub(ROUND_SHIFT.to_bits());
            let scale = f64::from_bits(ki.wrapping_add(1023) << 52);
            let y = p[l] * scale;
            let y = if x[l] < -708.0 { 0.0 } else { y };
            if x[l] > 709.78 { f64::INFINITY } else { y }
        })
    }

    /// Natural logarithm with multiply-adds of kind `A`.
    #[inline(always)]
    pub fn ln<A: Arith>(&self, x: f64) -> f64 {
        const MANTISSA: u64 = (1 << 52) - 1;
        const ONE: u64 = 0x3FF0_0000_0000_0000;
        let bits = x.to_bits();
        // x = 2^e m with m in [1, 2); the exponent as a double, exactly,
        // without an integer conversion (2^52 + biased exponent - 2^52 - 1023).
        let two52 = f64::from_bits(0x4330_0000_0000_0000);
        let e = f64::from_bits(0x4330_0000_0000_0000 | (bits >> 52)) - two52 - 1023.0;
        let m = f64::from_bits((bits & MANTISSA) | ONE);
        // Move m into [sqrt(1/2), sqrt(2)) so |f| below is at most 0.1716.
        let high = m > std::f64::consts::SQRT_2;
        let m = if high { 0.5 * m } else { m };
        let e = if high { e + 1.0 } else { e };
        // ln m = 2 atanh(f), f = (m - 1) / (m + 1) = 2f (1 + s q(s)) with
        // s = f^2 and q a polynomial of degree 7 (error below 1e-17 relative).
        let f = (m - 1.0) / (m + 1.0);
        let s = f * f;
        let q = horner::<A, 8>(s, &self.ln);
        // ln m = 2f + 2f s q.
        let two_f = f + f;
        let ln_m = A::madd(two_f * s, q, two_f);
        A::madd(e, LN2_HI, A::madd(e, LN2_LO, ln_m))
    }

    /// (sin 2 pi u, cos 2 pi u) with multiply-adds of kind `A`.
    #[inline(always)]
    pub fn sin_cos_turns<A: Arith>(&self, u: f64) -> (f64, f64) {
        let quarters = 4.0 * u;
        let shifted = quarters + ROUND_SHIFT;
        let k = shifted.to_bits().wrapping_sub(ROUND_SHIFT.to_bits());
        let x = (quarters - (shifted - ROUND_SHIFT)) * std::f64::consts::FRAC_PI_2;
        let x2 = x * x;
        let sp = horner::<A, 6>(x2, &self.sin);
        let sin_x = A::madd(x * x2, sp, x);
        let cp = horner::<A, 7>(x2, &self.cos);
        let cos_x = A::madd(-x2, cp, 1.0);
        // Rotate by k quarter turns: odd k swaps sine and cosine; the sine is
        // negative for k in {2, 3}, the cosine for k in {1, 2}.
        let odd = k & 1 == 1;
        let (a, b) = if odd { (cos_x, -sin_x) } else { (sin_x, cos_x) };
        let sin = f64::from_bits(a.to_bits() ^ ((k & 2) << 62));
        let cos = f64::from_bits(b.to_bits() ^ ((k & 2) << 62));
        (sin, cos)
    }

    /// Two standard normals with multiply-adds of kind `A`.
    #[inline(always)]
    pub fn normal_pair<A: Arith>(&self, u1: f64, u2: f64) -> (f64, f64) {
        let r = (-2.0 * self.ln::<A>(u1)).sqrt();
        let (s, c) = self.sin_cos_turns::<A>(u2);
        (r * c, r * s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lanes functions compute each lane as the one-argument function
    /// does, bit for bit, fused and unfused.
    #[test]
    fn lanes_functions_give_the_bits_of_one_at_a_time() {
        fn check<A: Arith>() {
            let zs: Vec<f64> = grid(-45.0, 45.0, 2_001)
                .chain([0.0, -0.0, 1e-300, -1e-300, 38.6, -38.6])
                .collect();
            for pair in zs.windows(2) {
                let [a, b] = [pair[0], pair[1]];
                let (x, y) = (a * 20.0, b * 20.0);
                let e = MATHS.exp_lanes::<A, 2>([x, y]);
                let single = [x, y].map(|x| {
                    let xc = x.clamp(-708.0, 709.0);
                    let shifted = A::madd(xc, LOG2_E, ROUND_SHIFT);
                    let k = shifted - ROUND_SHIFT;
                    let r = A::madd(-k, LN2_LO, A::madd(-k, LN2_HI, xc));
                    let mut p = EXP_POLY[11];
                    for &c in EXP_POLY[..11].iter().rev() {
                        p = A::madd(p, r, c);
                    }
                    let ki = shifted.to_bits().wrapping_sub(ROUND_SHIFT.to_bits());
                    let y = p * f64::from_bits(ki.wrapping_add(1023) << 52);
                    let y = if x < -708.0 { 0.0 } else { y };
                    if x > 709.78 { f64::INFINITY } else { y }
                });
                assert_eq!(
                    e.map(f64::to_bits),
                    single.map(f64::to_bits),
                    "exp at {x}, {y}"
                );
            }
        }
        check::<Fused>();
        check::<Unfused>();
    }

    /// Distance in units in the last place between two finite doubles of
    /// the same sign.
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    fn grid(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
        (0..=n).map(move |i| lo + (hi - lo) * i as f64 / n as f64)
    }

    #[test]
    fn exp_is_within_two_ulp_of_std() {
        let mut worst = 0;
        for x in grid(-707.0, 709.0, 200_000).chain(grid(-1.0, 1.0, 100_000)) {
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        assert!(worst <= 2, "worst {worst} ulp");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-800.0), 0.0);
        assert_eq!(exp(800.0), f64::INFINITY);
    }

    #[test]
    fn ln_is_within_two_ulp_of_std() {
        let mut worst = 0;
        let xs = grid(0.5, 2.0, 200_000)
            .chain(grid(1e-6, 1e3, 200_000))
            .chain((-300..300).map(|k| 1.37f64 * 10f64.powi(k)));
        for x in xs {
            let (a, b) = (ln(x), x.ln());
            // Near x = 1 the result is tiny: compare relative to |ln x|
            // through ulps of the result, or absolutely below 1e-300.
            if b.abs() > 1e-300 {
                worst = worst.max(ulps(a, b));
            }
        }
        assert!(worst <= 2, "worst {worst} ulp");
        assert_eq!(ln(1.0), 0.0);
    }

    #[test]
    fn unfused_maths_is_within_a_few_ulp_too() {
        // The path for CPUs without FMA: two roundings per multiply-add.
        let (mut worst_exp, mut worst_ln) = (0, 0);
        for x in grid(-700.0, 700.0, 100_000).chain(grid(-1.0, 1.0, 50_000)) {
            worst_exp = worst_exp.max(ulps(MATHS.exp::<Unfused>(x), x.exp()));
        }
        for x in grid(1e-6, 1e3, 100_000).filter(|x| (x - 1.0).abs() > 1e-3) {
            worst_ln = worst_ln.max(ulps(MATHS.ln::<Unfused>(x), x.ln()));
        }
        assert!(worst_exp <= 4, "exp: {worst_exp} ulp");
        assert!(worst_ln <= 4, "ln: {worst_ln} ulp");
        let (s, c) = MATHS.sin_cos_turns::<Unfused>(0.1);
        let theta = 0.2 * std::f64::consts::PI;
        assert!((s - theta.sin()).abs() < 2e-15 && (c - theta.cos()).abs() < 2e-15);
    }

    #[test]
    fn sin_cos_turns_match_std_within_a_few_ulp_of_one() {
        let mut worst: f64 = 0.0;
        for u in grid(0.0, 1.0, 400_000).filter(|&u| u < 1.0) {
            let (s, c) = sin_cos_turns(u);
            let theta = 2.0 * std::f64::consts::PI * u;
            // 2 pi u itself is rounded (relative 1e-16), so compare in
            // absolute terms.
            worst = worst
                .max((s - theta.sin()).abs())
                .max((c - theta.cos()).abs());
            assert!((s * s + c * c - 1.0).abs() < 1e-15);
        }
        assert!(worst < 2e-15, "worst {worst:e}");
        assert_eq!(sin_cos_turns(0.0), (0.0, 1.0));
        assert_eq!(sin_cos_turns(0.25), (1.0, 0.0));
    }

    /// Mean, second and fourth moments and the upper 2.5% tail of `n`
    /// normals drawn by `draw` from independent uniforms in (0, 1] and
    /// [0, 1), within five standard errors of N(0, 1)'s.
    pub(super) fn assert_standard_normal(n: usize, mut draw: impl FnMut(f64, f64) -> Vec<f64>) {
        use rand::{Rng, SeedableRng};
        let mut r = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        let (mut count, mut s1, mut s2, mut s4, mut tail) = (0usize, 0.0, 0.0, 0.0, 0usize);
        let scale = 1.0 / (1u64 << 53) as f64;
        while count < n {
            let u1 = ((r.next_u64() >> 11) + 1) as f64 * scale;
            let u2 = (r.next_u64() >> 11) as f64 * scale;
            for z in draw(u1, u2) {
                count += 1;
                s1 += z;
                s2 += z * z;
                s4 += z * z * z * z;
                tail += usize::from(z > 1.96);
            }
        }
        let nf = count as f64;
        // Standard errors: mean 1/sqrt(n), second moment sqrt(2/n), fourth
        // moment sqrt(96/n), a tail share sqrt(p(1-p)/n); allow 5 of each.
        assert!((s1 / nf).abs() < 5.0 / nf.sqrt());
        assert!((s2 / nf - 1.0).abs() < 5.0 * (2.0 / nf).sqrt());
        assert!((s4 / nf - 3.0).abs() < 5.0 * (96.0 / nf).sqrt());
        let p = 0.024_997_895_148_220;
        assert!((tail as f64 / nf - p).abs() < 5.0 * (p * (1.0 - p) / nf).sqrt());
    }

    #[test]
    fn box_muller_normals_have_normal_moments_and_tails() {
        assert_standard_normal(400_000, |u1, u2| {
            let (a, b) = normal_pair(u1, u2);
            vec![a, b]
        });
    }
}
