//! Random weekly events of one agent, each from a fixed number of uniform
//! draws (MODEL.md step 7-8): incidents (Poisson) and the belief evidence
//! (binomial). Drawing by inversion keeps the number of draws per agent
//! independent of the rates, so sweep points share their random numbers
//! (common random numbers) and results do not depend on thread count.

use super::fastmath as fm;
use rand::{Rng, RngExt};

/// Poisson draw by inversion of the uniform `u`, so every agent consumes
/// the same number of draws whatever its rate (common random numbers
/// across sweep points). Large rates, far outside the calibrated range,
/// take further draws from the generator `extra` makes ([`poisson_large`];
/// made only then).
#[inline]
pub(crate) fn poisson<R: Rng>(u: f64, extra: impl FnOnce() -> R, lambda: f64) -> f64 {
    // e^-lambda >= 1 - lambda, so u below 1 - lambda (less a margin for the
    // rounding of exp) means zero events without computing the
    // exponential; the result is the same as by full inversion.
    if lambda <= 0.0 || u <= (1.0 - lambda) - 1e-15 {
        return 0.0;
    }
    if lambda > 500.0 {
        return poisson_large(&mut extra(), lambda);
    }
    let mut k = 0.0;
    let mut prob = fm::exp(-lambda);
    let mut cdf = prob;
    while u > cdf && k < 10_000.0 {
        k += 1.0;
        prob *= lambda / k;
        cdf += prob;
        if prob == 0.0 && cdf < u {
            break;
        }
    }
    k
}

/// Poisson draw for a large mean, with portable maths (the `libm` crate),
/// so every platform draws the same: Hörmann's (1993) transformed
/// rejection with squeeze (PTRS, as numpy implements it), exact for means
/// from 10 up; beyond 1e12 incidents per agent-week, where its terms lose
/// their precision, the normal approximation (relative error of the
/// order of 1e-6 there) is drawn instead.
fn poisson_large<R: Rng>(rng: &mut R, lambda: f64) -> f64 {
    use libm::{floor, lgamma, log, sqrt};
    if lambda > 1e12 {
        let (u1, u2) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
        let z = sqrt(-2.0 * log(u1)) * libm::cos(std::f64::consts::TAU * u2);
        return floor(lambda + sqrt(lambda) * z + 0.5).max(0.0);
    }
    let (slam, loglam) = (sqrt(lambda), log(lambda));
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.02483 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = rng.random::<f64>() - 0.5;
        let v = rng.random::<f64>();
        let us = 0.5 - u.abs();
        let k = floor((2.0 * a / us + b) * u + lambda + 0.43);
        if us >= 0.07 && v <= vr {
            return k;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        if log(v) + log(inv_alpha) - log(a / (us * us) + b)
            <= -lambda + k * loglam - lgamma(k + 1.0)
        {
            return k;
        }
    }
}

/// 1 / (k + 1) for the tables' recurrence.
const RECIPROCALS: [f64; MAX_TABULATED_OBSERVATIONS] = {
    let mut r = [0.0; MAX_TABULATED_OBSERVATIONS];
    let mut k = 0;
    while k < MAX_TABULATED_OBSERVATIONS {
        r[k] = 1.0 / (k + 1) as f64;
        k += 1;
    }
    r
};

/// The largest n_obs whose binomial evidence is drawn from a table
/// (P(E <= k) for E ~ Binomial(n, q), k = 0..n: one table per team and
/// week, so each agent's evidence takes one uniform draw).
pub(crate) const MAX_TABULATED_OBSERVATIONS: usize = 16;

/// One team's table, P(E <= k) for k = 0..n, computed on its own: the
/// reference [`binomial_tables`] is tested against.
#[cfg(test)]
pub(crate) fn binomial_cdf(n: usize, q: f64) -> [f64; MAX_TABULATED_OBSERVATIONS + 1] {
    let mut cdf = [1.0; MAX_TABULATED_OBSERVATIONS + 1];
    if q <= 0.0 || q >= 1.0 {
        // All mass on 0 (q = 0) or on n (q = 1).
        let all_at = if q >= 1.0 { n } else { 0 };
        for (k, c) in cdf.iter_mut().enumerate().take(n + 1) {
            *c = if k >= all_at { 1.0 } else { 0.0 };
        }
        return cdf;
    }
    // pmf(k + 1) = pmf(k) (n - k) / (k + 1) q / (1 - q), with the odds and
    // the reciprocals computed once (no chain of divisions).
    let odds = q / (1.0 - q);
    let mut pmf = powi(1.0 - q, n);
    let mut acc = 0.0;
    for (k, c) in cdf.iter_mut().enumerate().take(n) {
        acc += pmf;
        *c = acc;
        pmf *= (n - k) as f64 * RECIPROCALS[k] * odds;
    }
    cdf[n] = 1.0;
    cdf
}

/// Every team's table at once: P(E <= k) for k < n of E ~ Binomial(n,
/// q_j) for each team j with q_j in `qs`, written entry-major (team j's
/// entry k at `k * qs.len() + j`), for n <= `MAX_TABULATED_OBSERVATIONS`.
/// The operations of `binomial_cdf` (the tests' reference) in the same order, one team per
/// SIMD lane (its loops over teams vectorise; a table per team would be a
/// chain of dependent steps each), so the entries are the same bits.
/// `work` holds three values per team.
#[inline(always)]
pub(crate) fn binomial_tables(n: usize, qs: &[f64], work: &mut [f64], out: &mut [f64]) {
    let t = qs.len();
    if t == 0 {
        return;
    }
    let (pmf, rest) = work[..3 * t].split_at_mut(t);
    let (odds, x) = rest.split_at_mut(t);
    for j in 0..t {
        odds[j] = qs[j] / (1.0 - qs[j]);
        x[j] = 1.0 - qs[j];
        pmf[j] = 1.0;
    }
    // (1 - q)^n by binary exponentiation, as [`powi`] computes it.
    let mut m = n;
    loop {
        if m & 1 == 1 {
            for j in 0..t {
                pmf[j] *= x[j];
            }
        }
        m /= 2;
        if m == 0 {
            break;
        }
        for x in x.iter_mut() {
            *x *= *x;
        }
    }
    let acc = x;
    acc.fill(0.0);
    for (k, row) in out[..n * t].chunks_exact_mut(t).enumerate() {
        let factor = (n - k) as f64 * RECIPROCALS[k];
        for j in 0..t {
            acc[j] += pmf[j];
            // All mass on 0 (q = 0) or on n (q = 1), as in binomial_cdf.
            row[j] = if qs[j] >= 1.0 {
                0.0
            } else if qs[j] <= 0.0 {
                1.0
            } else {
                acc[j]
            };
            pmf[j] *= factor * odds[j];
        }
    }
}

/// x^n by binary exponentiation, exactly as `f64::powi` computes it (the
/// compiler's runtime routine, `__powidf2`, on x86-64 and aarch64 alike):
/// the steps [`binomial_tables`] takes lane by lane, tested here against
/// the standard library.
#[cfg(test)]
#[inline(always)]
fn powi(mut x: f64, mut n: usize) -> f64 {
    let mut r = 1.0;
    loop {
        if n & 1 == 1 {
            r *= x;
        }
        n /= 2;
        if n == 0 {
            return r;
        }
        x *= x;
    }
}

/// E ~ Binomial(n, q) for n <= `MAX_TABULATED_OBSERVATIONS`, by
/// inversion of the team's table at the uniform `u`.
#[inline(always)]
pub(crate) fn evidence(u: f64, n: usize, cdf: &[f64; MAX_TABULATED_OBSERVATIONS + 1]) -> f64 {
    // The number of k < n with P(E <= k) <= u: the inverse CDF, since the
    // table is non-decreasing and P(E <= n) = 1 > u. Counting instead of
    // searching has no data-dependent branch, which the CPU would
    // mispredict about once per agent.
    cdf[..n].iter().map(|&c| f64::from(u8::from(c <= u))).sum()
}

/// E ~ Binomial(n, q) by n Bernoulli draws from `rng` (for n too large to
/// tabulate).
pub(crate) fn evidence_by_trials<R: Rng>(rng: &mut R, n: usize, q: f64) -> f64 {
    (0..n).filter(|_| rng.random::<f64>() < q).count() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    #[test]
    fn poisson_inversion_has_the_right_mean_and_variance() {
        let mut r = Pcg64Mcg::seed_from_u64(11);
        for lambda in [0.01, 0.7, 4.0, 40.0, 800.0, 1e5] {
            let n = 200_000;
            let xs: Vec<f64> = (0..n)
                .map(|_| poisson(r.random(), || &mut r, lambda))
                .collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            // The sample mean's sd is sqrt(lambda / n); allow 5 of them.
            let tol = 5.0 * (lambda / n as f64).sqrt();
            assert!((mean - lambda).abs() < tol, "lambda {lambda}: mean {mean}");
            assert!(
                (var / lambda - 1.0).abs() < 0.05,
                "lambda {lambda}: var {var}"
            );
        }
    }

    /// Binomial(n, q) probability mass at k.
    fn binomial_pmf(n: usize, q: f64, k: usize) -> f64 {
        let choose = (0..k).fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64);
        choose * q.powi(k as i32) * (1.0 - q).powi((n - k) as i32)
    }

    /// Every value's frequency in `draws` draws against the probability
    /// mass function: within 5 standard errors of a frequency,
    /// sqrt(p (1 - p) / draws), so a wrong table or a shifted inversion
    /// fails while sampling noise passes.
    fn assert_matches_pmf(n: usize, q: f64, draws: usize, draw: &mut dyn FnMut() -> f64) {
        let mut counts = vec![0usize; n + 1];
        for _ in 0..draws {
            let e = draw();
            assert!(
                e.fract() == 0.0 && (0.0..=n as f64).contains(&e),
                "n {n} q {q}: drew {e}"
            );
            counts[e as usize] += 1;
        }
        for (k, &c) in counts.iter().enumerate() {
            let p = binomial_pmf(n, q, k);
            let f = c as f64 / draws as f64;
            let se = (p * (1.0 - p) / draws as f64).sqrt();
            assert!(
                (f - p).abs() <= 5.0 * se,
                "n {n} q {q}: P(E = {k}) = {p}, frequency {f}"
            );
        }
    }

    #[test]
    fn powi_is_the_standard_librarys() {
        for x in [0.3, 0.999, 1e-3, 0.5 + 1e-12, 0.123_456_789] {
            for n in 0..=16 {
                assert_eq!(powi(x, n).to_bits(), x.powi(n as i32).to_bits(), "{x}^{n}");
            }
        }
    }

    #[test]
    fn binomial_table_inversion_matches_the_distribution() {
        let mut r = Pcg64Mcg::seed_from_u64(5);
        for (n, q) in [
            (3, 0.4),
            (3, 0.0),
            (3, 1.0),
            (10, 0.73),
            (16, 0.05),
            (1, 0.5),
            (0, 0.3),
        ] {
            let cdf = binomial_cdf(n, q);
            let mut u = Pcg64Mcg::seed_from_u64(n as u64);
            assert_matches_pmf(n, q, 100_000, &mut || evidence(u.random(), n, &cdf));
        }
        // More observations than the table holds: Bernoulli trials, with
        // the same distribution.
        assert_matches_pmf(40, 0.3, 50_000, &mut || evidence_by_trials(&mut r, 40, 0.3));
    }

    #[test]
    fn tables_across_teams_are_each_teams_own_table() {
        // Rates inside (0, 1), at both ends, and a spread of team counts
        // (partial SIMD vectors included).
        let base = [0.0, 1.0, 1e-12, 0.5, 0.07, 0.93, 1.0 - 1e-12, 0.3333, 0.999];
        for n in 0..=MAX_TABULATED_OBSERVATIONS {
            for teams in [1, 3, 9, 17] {
                let qs: Vec<f64> = (0..teams).map(|j| base[j % base.len()]).collect();
                let mut work = vec![f64::NAN; 3 * teams];
                let mut out = vec![f64::NAN; MAX_TABULATED_OBSERVATIONS * teams];
                binomial_tables(n, &qs, &mut work, &mut out);
                for (j, &q) in qs.iter().enumerate() {
                    let own = binomial_cdf(n, q);
                    for k in 0..n {
                        assert_eq!(
                            out[k * teams + j].to_bits(),
                            own[k].to_bits(),
                            "n {n}, q {q}, entry {k}"
                        );
                    }
                }
            }
        }
    }
}
