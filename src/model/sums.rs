//! Running sums of a week: moments of one or two variables (Welford,
//! mergeable by Chan et al.'s formula) and what one block of teams
//! contributes to the week's metrics ([`Partial`]). Partials are merged in
//! block order, so the sums do not depend on the thread count.

use super::metrics::WeekMetrics;

/// Running mean and sum of squared deviations (Welford), mergeable by
/// Chan et al.'s formula.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    pub n: f64,
    pub mean: f64,
    pub m2: f64,
}

impl Moments {
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1.0;
        let d = x - self.mean;
        self.mean += d / self.n;
        self.m2 += d * (x - self.mean);
    }

    /// Moments of n values from their sum and sum of squares (used per
    /// team, where values are few and of similar size).
    pub fn from_sums(n: f64, sum: f64, sum_sq: f64) -> Moments {
        if n == 0.0 {
            return Moments::default();
        }
        let mean = sum / n;
        Moments {
            n,
            mean,
            m2: (sum_sq - sum * mean).max(0.0),
        }
    }

    pub fn merge(&mut self, o: &Moments) {
        if o.n == 0.0 {
            return;
        }
        if self.n == 0.0 {
            *self = *o;
            return;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        self.mean += d * o.n / n;
        self.m2 += o.m2 + d * d * self.n * o.n / n;
        self.n = n;
    }

    /// Population standard deviation.
    pub fn sd(&self) -> f64 {
        if self.n > 0.0 {
            (self.m2 / self.n).max(0.0).sqrt()
        } else {
            0.0
        }
    }
}

/// Bivariate moments for a correlation, mergeable like [`Moments`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CoMoments {
    pub n: f64,
    pub mx: f64,
    pub my: f64,
    pub sxx: f64,
    pub syy: f64,
    pub sxy: f64,
}

impl CoMoments {
    #[inline]
    pub fn push(&mut self, x: f64, y: f64) {
        self.n += 1.0;
        let dx = x - self.mx;
        let dy = y - self.my;
        self.mx += dx / self.n;
        self.my += dy / self.n;
        self.sxx += dx * (x - self.mx);
        self.syy += dy * (y - self.my);
        self.sxy += dx * (y - self.my);
    }

    /// Co-moments of n pairs from sums of the pairs shifted by `shift`
    /// (one of the pairs, say): `[sum dx, sum dy, sum dx^2, sum dy^2,
    /// sum dx dy]` with dx = x - shift.0, dy = y - shift.1. Shifting by a
    /// value of the data keeps the sums small, so a variable that is the
    /// same for all n has exactly zero spread (raw sums of squares would
    /// leave rounding residue that reads as a spurious correlation).
    pub fn from_shifted_sums(n: f64, shift: (f64, f64), s: [f64; 5]) -> CoMoments {
        if n == 0.0 {
            return CoMoments::default();
        }
        let (dx, dy) = (s[0] / n, s[1] / n);
        CoMoments {
            n,
            mx: shift.0 + dx,
            my: shift.1 + dy,
            sxx: (s[2] - s[0] * dx).max(0.0),
            syy: (s[3] - s[1] * dy).max(0.0),
            sxy: s[4] - s[0] * dy,
        }
    }

    pub fn merge(&mut self, o: &CoMoments) {
        if o.n == 0.0 {
            return;
        }
        if self.n == 0.0 {
            *self = *o;
            return;
        }
        let n = self.n + o.n;
        let dx = o.mx - self.mx;
        let dy = o.my - self.my;
        let w = self.n * o.n / n;
        self.mx += dx * o.n / n;
        self.my += dy * o.n / n;
        self.sxx += o.sxx + dx * dx * w;
        self.syy += o.syy + dy * dy * w;
        self.sxy += o.sxy + dx * dy * w;
        self.n = n;
    }

    /// Pearson correlation, in [-1, 1]; NaN when either variable is
    /// constant. The clamp only undoes rounding (Cauchy-Schwarz bounds
    /// the exact value).
    pub fn correlation(&self) -> f64 {
        if self.sxx > 0.0 && self.syy > 0.0 {
            (self.sxy / (self.sxx.sqrt() * self.syy.sqrt())).clamp(-1.0, 1.0)
        } else {
            f64::NAN
        }
    }
}

/// One block's contribution to a week's metrics and to next week's
/// organisation-level observables.
#[derive(Clone, Copy, Debug, Default)]
pub struct Partial {
    pub employees: f64,
    pub measured_active: f64,
    pub productive_active: f64,
    pub sum_p: f64,
    pub sum_g: f64,
    pub tokens: f64,
    pub performative_tokens: f64,
    pub output: f64,
    pub ability: f64,
    pub incidents: f64,
    pub audits_detected: f64,
    pub surveillance: f64,
    pub credibility: f64,
    pub stress: f64,
    pub habit: f64,
    pub validity: CoMoments,
    /// Moments of ln(Tm + eps_T), the organisation's rank reference.
    pub log_tokens: Moments,
}

impl Partial {
    pub fn merge(&mut self, o: &Partial) {
        self.employees += o.employees;
        self.measured_active += o.measured_active;
        self.productive_active += o.productive_active;
        self.sum_p += o.sum_p;
        self.sum_g += o.sum_g;
        self.tokens += o.tokens;
        self.performative_tokens += o.performative_tokens;
        self.output += o.output;
        self.ability += o.ability;
        self.incidents += o.incidents;
        self.audits_detected += o.audits_detected;
        self.surveillance += o.surveillance;
        self.credibility += o.credibility;
        self.stress += o.stress;
        self.habit += o.habit;
        self.validity.merge(&o.validity);
        self.log_tokens.merge(&o.log_tokens);
    }

    /// The week's metrics; `price`, `usd_per_output` and `incident_loss`
    /// are this week's lever values, `gini` comes from the histogram.
    pub fn metrics(
        &self,
        price: f64,
        usd_per_output: f64,
        incident_loss: f64,
        gini: f64,
    ) -> WeekMetrics {
        let n = self.employees.max(1.0);
        let ai = self.sum_p + self.sum_g;
        let spend = self.tokens * price;
        let measured = self.measured_active / n;
        let productive = self.productive_active / n;
        WeekMetrics {
            measured_adoption: measured,
            productive_adoption: productive,
            goodhart_gap: measured - productive,
            performative_share: if ai > 0.0 { self.sum_g / ai } else { 0.0 },
            tokens_mtok: self.tokens,
            tokens_per_employee_mtok: self.tokens / n,
            performative_tokens_mtok: self.performative_tokens,
            token_spend_usd: spend,
            output: self.output,
            output_index: self.output / self.ability,
            net_value_usd: (self.output - self.ability - self.incidents * incident_loss)
                * usd_per_output
                - spend,
            incidents: self.incidents,
            audits_detected: self.audits_detected,
            mean_perceived_surveillance: self.surveillance / n,
            mean_credibility: self.credibility / n,
            mean_stress: self.stress / n,
            mean_habit: self.habit / n,
            metric_validity: self.validity.correlation(),
            token_gini: gini,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_moments_equal_one_pass() {
        let xs = [1.0, 4.0, 2.5, 8.0, -3.0, 0.5];
        let ys = [2.0, 1.0, 0.0, 5.0, 3.0, 1.5];
        let (mut all, mut a, mut b) = (
            CoMoments::default(),
            CoMoments::default(),
            CoMoments::default(),
        );
        let (mut m_all, mut m_a, mut m_b) =
            (Moments::default(), Moments::default(), Moments::default());
        for (i, (&x, &y)) in xs.iter().zip(&ys).enumerate() {
            all.push(x, y);
            m_all.push(x);
            if i < 2 {
                a.push(x, y);
                m_a.push(x);
            } else {
                b.push(x, y);
                m_b.push(x);
            }
        }
        a.merge(&b);
        m_a.merge(&m_b);
        let sums = |xs: &[f64], ys: &[f64]| {
            let f = |g: &dyn Fn(usize) -> f64| (0..xs.len()).map(g).sum::<f64>();
            [
                f(&|i| xs[i]),
                f(&|i| ys[i]),
                f(&|i| xs[i] * xs[i]),
                f(&|i| ys[i] * ys[i]),
                f(&|i| xs[i] * ys[i]),
            ]
        };
        let shift = (xs[0], ys[0]);
        let dxs: Vec<f64> = xs.iter().map(|x| x - shift.0).collect();
        let dys: Vec<f64> = ys.iter().map(|y| y - shift.1).collect();
        let from = CoMoments::from_shifted_sums(6.0, shift, sums(&dxs, &dys));
        assert!((from.correlation() - all.correlation()).abs() < 1e-12);
        let s = sums(&xs, &ys);
        let m = Moments::from_sums(6.0, s[0], s[2]);
        assert!((m.sd() - m_all.sd()).abs() < 1e-12);
        assert!((a.correlation() - all.correlation()).abs() < 1e-12);
        assert!((m_a.sd() - m_all.sd()).abs() < 1e-12);
        let mean = xs.iter().sum::<f64>() / 6.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 6.0;
        assert!((m_all.sd() - var.sqrt()).abs() < 1e-12);
    }
}
