//! Replicate statistics: mean, standard deviation and t-based 95%
//! confidence intervals.
//!
//! Replicates are independent runs, so the interval for a metric's mean is
//! mean ± t(0.975, n-1) · sd/√n with the sample sd (n - 1 denominator).
//! Non-finite values (a correlation of a constant, say) are left out and
//! `n` says how many values were used.

use serde::Serialize;
use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};

/// Summary of one quantity over replicates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// The (1 - alpha/2) quantile of Student's t with `df` degrees of freedom.
///
/// statrs' inverse is only accurate to about 1e-4 for large `df`, so it is
/// polished with Newton steps on the (accurate) CDF.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let Ok(t) = StudentsT::new(0.0, 1.0, df) else {
        return f64::NAN;
    };
    let mut x = t.inverse_cdf(p);
    for _ in 0..4 {
        let d = t.pdf(x);
        if d <= 0.0 {
            break;
        }
        x -= (t.cdf(x) - p) / d;
    }
    x
}

/// Degrees of freedom whose 97.5% t quantile is kept once computed.
const CACHED_DF: usize = 1024;

/// The 97.5% quantile of Student's t with `df` degrees of freedom, each
/// computed once (a quantile costs some 25,000 instructions, and the
/// explorer summarises thousands of weekly means per answer with the same
/// few replicate counts). The same value as `t_quantile(0.975, df)`.
pub fn t975(df: usize) -> f64 {
    static CACHE: [std::sync::OnceLock<f64>; CACHED_DF] =
        [const { std::sync::OnceLock::new() }; CACHED_DF];
    match CACHE.get(df) {
        Some(cell) => *cell.get_or_init(|| t_quantile(0.975, df as f64)),
        None => t_quantile(0.975, df as f64),
    }
}

/// Mean, sd and 95% t interval of the finite values in `xs`. With one
/// value the sd and interval are NaN; with none, everything is.
pub fn summarise(xs: &[f64]) -> Summary {
    let finite: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    let n = finite.len();
    let mean = if n > 0 {
        finite.iter().sum::<f64>() / n as f64
    } else {
        f64::NAN
    };
    if n < 2 {
        return Summary {
            n,
            mean,
            sd: f64::NAN,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
        };
    }
    let var = finite.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    let half = t975(n - 1) * sd / (n as f64).sqrt();
    Summary {
        n,
        mean,
        sd,
        ci_low: mean - half,
        ci_high: mean + half,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        assert!((t_quantile(0.975, 4.0) - 2.776_445_105).abs() < 1e-8);
        let big = t_quantile(0.975, 1e6);
        assert!((big - 1.959_966_3).abs() < 1e-6, "{big}");
        assert!((t_quantile(0.975, 30.0) - 2.042_272_456).abs() < 1e-8);
        for df in [1, 4, 30, CACHED_DF - 1, CACHED_DF, 5000] {
            assert_eq!(t975(df).to_bits(), t_quantile(0.975, df as f64).to_bits());
            assert_eq!(t975(df).to_bits(), t975(df).to_bits());
        }
    }

    #[test]
    fn summary_of_known_sample() {
        let s = summarise(&[1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN]);
        assert_eq!(s.n, 5);
        assert_eq!(s.mean, 3.0);
        assert!((s.sd - 2.5f64.sqrt()).abs() < 1e-12);
        let half = 2.776_445 * 2.5f64.sqrt() / 5f64.sqrt();
        assert!((s.ci_high - 3.0 - half).abs() < 1e-5);
        assert!(summarise(&[1.0]).sd.is_nan());
    }
}
