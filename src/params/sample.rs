//! Portable samplers for the attribute distributions: exact in
//! distribution, and built only from IEEE arithmetic and goodhart's own
//! branch-free maths ([`crate::fastmath`]: `exp` and `ln` within 2 ulp, a
//! sine and cosine of turns), so a seed draws the same population on every
//! platform. (rand_distr's samplers call the platform's maths library
//! whenever num-traits is built with `std`, which other crates here switch
//! on, and glibc, macOS and Windows round `ln` and `exp` differently in the
//! last bit.)

use crate::fastmath::{Arith, Fused, MATHS};
use rand::{Rng, RngExt};

/// A generator and the spare normal of its last Box-Muller transform: each
/// transform gives two independent normals, so every second normal draw
/// costs nothing.
pub struct Draws<'a, R: ?Sized> {
    rng: &'a mut R,
    spare: Option<f64>,
}

impl<'a, R: Rng + ?Sized> Draws<'a, R> {
    pub fn new(rng: &'a mut R) -> Self {
        Draws { rng, spare: None }
    }

    /// A uniform in [0, 1): 53 random bits.
    #[inline(always)]
    fn unit(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    /// A uniform in (0, 1], whose logarithm is finite.
    #[inline(always)]
    fn open_unit(&mut self) -> f64 {
        1.0 - self.rng.random::<f64>()
    }

    /// A standard normal: the spare of the last Box-Muller transform, or
    /// the first of a new one (two uniforms).
    #[inline(always)]
    pub fn standard_normal(&mut self) -> f64 {
        self.standard_normal_with::<Fused>()
    }

    /// [`Self::standard_normal`] with multiply-adds of kind `A`.
    #[inline(always)]
    pub fn standard_normal_with<A: Arith>(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let (u1, u2) = (self.open_unit(), self.unit());
        let (z, spare) = MATHS.normal_pair::<A>(u1, u2);
        self.spare = Some(spare);
        z
    }
}

/// The logarithm of a Gamma(`shape`, 1) draw: Marsaglia and Tsang's
/// (2000) method for shape >= 1, with their squeeze (most draws are
/// accepted without a logarithm); for shape < 1 the draw for shape + 1
/// times U^(1/shape) (their boost), kept as a logarithm so that tiny
/// shapes do not underflow to zero.
#[inline(always)]
pub fn log_gamma_draw<A: Arith, R: Rng + ?Sized>(draws: &mut Draws<'_, R>, shape: f64) -> f64 {
    let boosted = shape < 1.0;
    let d = if boosted { shape + 1.0 } else { shape } - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    let log_draw = loop {
        let x = draws.standard_normal_with::<A>();
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = draws.open_unit();
        let x2 = x * x;
        if u < 1.0 - 0.0331 * x2 * x2
            || MATHS.ln::<A>(u) < 0.5 * x2 + d - d * v + d * MATHS.ln::<A>(v)
        {
            break MATHS.ln::<A>(d * v);
        }
    };
    if boosted {
        log_draw + MATHS.ln::<A>(draws.open_unit()) / shape
    } else {
        log_draw
    }
}

/// A draw from uniform [low, high].
#[inline(always)]
pub fn uniform<R: Rng + ?Sized>(d: &mut Draws<'_, R>, low: f64, high: f64) -> f64 {
    (low + (high - low) * d.unit()).min(high)
}

/// A draw from normal(mean, sd).
#[inline(always)]
pub fn normal<A: Arith, R: Rng + ?Sized>(d: &mut Draws<'_, R>, mean: f64, sd: f64) -> f64 {
    mean + sd * d.standard_normal_with::<A>()
}

/// A draw from the log-normal whose log has mean `mu` and sd `sigma`.
#[inline(always)]
pub fn lognormal<A: Arith, R: Rng + ?Sized>(d: &mut Draws<'_, R>, mu: f64, sigma: f64) -> f64 {
    MATHS.exp::<A>(mu + sigma * d.standard_normal_with::<A>())
}

/// A draw from Gamma(shape, scale).
#[inline(always)]
pub fn gamma<A: Arith, R: Rng + ?Sized>(d: &mut Draws<'_, R>, shape: f64, scale: f64) -> f64 {
    MATHS.exp::<A>(log_gamma_draw::<A, R>(d, shape)) * scale
}

/// A draw from Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b),
/// computed from their logarithms (exact for tiny shapes too).
#[inline(always)]
pub fn beta<A: Arith, R: Rng + ?Sized>(d: &mut Draws<'_, R>, a: f64, b: f64) -> f64 {
    let (lx, ly) = (log_gamma_draw::<A, R>(d, a), log_gamma_draw::<A, R>(d, b));
    1.0 / (1.0 + MATHS.exp::<A>(ly - lx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    /// Mean and variance of `n` draws.
    fn moments(n: usize, mut draw: impl FnMut() -> f64) -> (f64, f64) {
        let xs: Vec<f64> = (0..n).map(|_| draw()).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        (m, v)
    }

    /// The sample mean within 5 standard errors (sd / sqrt n) of the true
    /// mean, and the variance within 5 standard errors of the variance
    /// (sqrt((mu4 - var^2) / n), from the true fourth central moment).
    fn check(name: &str, (m, v): (f64, f64), mean: f64, var: f64, mu4: f64, n: usize) {
        let se_m = (var / n as f64).sqrt();
        let se_v = ((mu4 - var * var) / n as f64).sqrt();
        assert!(
            (m - mean).abs() < 5.0 * se_m,
            "{name}: mean {m}, expected {mean}"
        );
        assert!(
            (v - var).abs() < 5.0 * se_v,
            "{name}: variance {v}, expected {var}"
        );
    }

    #[test]
    fn samplers_have_their_distributions_moments() {
        // Fused multiply-adds (the engine) and unfused (the path for CPUs
        // without FMA) draw the same distributions.
        samplers_have_moments::<Fused>();
        samplers_have_moments::<crate::fastmath::Unfused>();
    }

    fn samplers_have_moments<A: Arith>() {
        let n = 200_000;
        let mut rng = Pcg64Mcg::seed_from_u64(17);
        let mut r = Draws::new(&mut rng);
        check(
            "normal",
            moments(n, || normal::<A, _>(&mut r, 2.0, 3.0)),
            2.0,
            9.0,
            3.0 * 81.0,
            n,
        );
        check(
            "uniform",
            moments(n, || uniform(&mut r, -1.0, 3.0)),
            1.0,
            16.0 / 12.0,
            256.0 / 80.0,
            n,
        );
        for (k, theta) in [(0.3f64, 2.0f64), (1.0, 1.0), (4.5, 0.5)] {
            // Gamma: mean k theta, variance k theta^2, mu4 = 3k(k + 2) theta^4.
            let mu4 = 3.0 * k * (k + 2.0) * theta.powi(4);
            let name = format!("gamma({k}, {theta})");
            check(
                &name,
                moments(n, || gamma::<A, _>(&mut r, k, theta)),
                k * theta,
                k * theta * theta,
                mu4,
                n,
            );
        }
        for (a, b) in [(4.0f64, 4.0f64), (0.5, 2.0), (2.0, 0.3)] {
            let mean = a / (a + b);
            let var = a * b / ((a + b).powi(2) * (a + b + 1.0));
            // A bounded variable's fourth central moment is at most its
            // variance (|x - mean| <= 1).
            check(
                &format!("beta({a}, {b})"),
                moments(n, || beta::<A, _>(&mut r, a, b)),
                mean,
                var,
                var,
                n,
            );
        }
        // Log-normal: the log is normal(mu, sigma).
        let logs = moments(n, || lognormal::<A, _>(&mut r, 0.5, 0.8).ln());
        check("lognormal", logs, 0.5, 0.64, 3.0 * 0.64 * 0.64, n);
    }

    #[test]
    fn the_two_normals_of_a_transform_are_uncorrelated() {
        // Normals come in Box-Muller pairs (the second kept as a spare):
        // consecutive draws must be independent, so their correlation is
        // within 5 standard errors (1 / sqrt n) of 0.
        let mut rng = Pcg64Mcg::seed_from_u64(23);
        let mut d = Draws::new(&mut rng);
        let n = 200_000;
        let pairs: Vec<(f64, f64)> = (0..n)
            .map(|_| (d.standard_normal(), d.standard_normal()))
            .collect();
        let r = pairs.iter().map(|(a, b)| a * b).sum::<f64>() / n as f64;
        assert!(r.abs() < 5.0 / (n as f64).sqrt(), "correlation {r}");
    }

    #[test]
    fn tiny_beta_shapes_do_not_underflow() {
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let mut r = Draws::new(&mut rng);
        let xs: Vec<f64> = (0..10_000)
            .map(|_| beta::<Fused, _>(&mut r, 1e-3, 1e-3))
            .collect();
        assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
        // Nearly all mass at the ends, about half at each.
        let high = xs.iter().filter(|&&x| x > 0.5).count() as f64 / xs.len() as f64;
        assert!((high - 0.5).abs() < 0.03, "{high}");
    }
}
