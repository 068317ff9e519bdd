//! Numbers and words for the report: values with a consistent number of
//! significant figures, intervals, and the phrases the executive summary
//! is built from.

use super::Cell;
use crate::charts::axis::{fixed, shared_decimals};
use crate::model::metrics::Metric;
use crate::stats::Summary;

/// Significant figures of the largest number in a row or sentence.
pub const SIG: usize = 3;

/// How a group of numbers is shown: the largest with [`SIG`] significant
/// figures, and all of them with the same decimals; from ten thousand up
/// in thousands ("249k") or millions ("1.23M").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    scale: f64,
    suffix: &'static str,
    decimals: usize,
}

impl Style {
    pub fn show(&self, x: f64) -> String {
        if !x.is_finite() {
            return "undefined".into();
        }
        let text = fixed(x / self.scale, self.decimals);
        if self.suffix.is_empty() {
            text
        } else if is_zero(&text) {
            "0".into()
        } else {
            text + self.suffix
        }
    }
}

/// The [`Style`] for `values`.
pub fn decimals(values: impl IntoIterator<Item = f64>) -> Style {
    let values: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    // The largest value as it will be shown (99,960 shows as 100k, not
    // 100.0k): rounded to SIG significant figures before choosing units.
    let largest = round_sig(values.iter().fold(0f64, |a, v| a.max(v.abs())), SIG);
    let (scale, suffix) = if largest >= 1e6 {
        (1e6, "M")
    } else if largest >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    Style {
        scale,
        suffix,
        decimals: shared_decimals([largest / scale], SIG),
    }
}

/// `x` rounded to `sig` significant figures.
fn round_sig(x: f64, sig: usize) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let e = x.abs().log10().floor() as i32 - sig as i32 + 1;
    (x / 10f64.powi(e)).round() * 10f64.powi(e)
}

/// Whether a shown number is zero ("0.000", "-0.0").
fn is_zero(text: &str) -> bool {
    text.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
}

/// `text` with its first letter in capitals.
pub fn cap(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// "1 replicate", "5 replicates".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The numbers a summary shows: mean and interval bounds.
pub fn numbers(s: &Summary) -> [f64; 3] {
    [s.mean, s.ci_low, s.ci_high]
}

/// "0.221 [0.209, 0.233]", or the mean alone when there is no interval
/// (one replicate), or "undefined" when there is no value.
pub fn ci(s: &Summary, d: Style) -> String {
    if !s.mean.is_finite() {
        "undefined".into()
    } else if s.ci_low.is_finite() && s.ci_high.is_finite() {
        format!(
            "{} [{}, {}]",
            d.show(s.mean),
            d.show(s.ci_low),
            d.show(s.ci_high)
        )
    } else {
        d.show(s.mean)
    }
}

/// Whether the summary's interval excludes zero. An interval of no width
/// (every replicate gave the same value) does not count: with few
/// replicates of a coarse count it is chance, not certainty.
pub fn clear(s: &Summary) -> bool {
    s.ci_low.is_finite()
        && s.ci_high.is_finite()
        && s.ci_high > s.ci_low
        && (s.ci_low > 0.0 || s.ci_high < 0.0)
}

/// A table cell of a difference: emphasised when its interval excludes 0.
pub fn effect_cell(s: &Summary, d: Style) -> Cell {
    Cell {
        text: ci(s, d),
        num: true,
        strong: clear(s),
    }
}

/// The metric as a noun in a sentence: "performative share of AI time",
/// "the Goodhart gap", "net value of AI use".
pub fn noun(m: Metric) -> String {
    let label = m.label();
    let head = label.split(" (").next().unwrap_or(label);
    if head.starts_with("Goodhart") {
        format!("the {head}")
    } else {
        let mut c = head.chars();
        c.next()
            .map(|f| f.to_lowercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    }
}

/// The unit after a number in a sentence (" USD/week"), or nothing for
/// shares, indices and correlations.
pub fn unit(m: Metric) -> String {
    match m.unit() {
        "share of staff" | "share" | "index" | "Pearson r" | "mean probability" | "mean level"
        | "Gini coefficient" => String::new(),
        u => format!(" {u}"),
    }
}

/// "raises performative share of AI time by 0.18 [0.16, 0.20]" for a
/// difference whose interval excludes 0 (the magnitude and its interval,
/// with the direction in the verb, shown in style `d`); None when it does
/// not.
pub fn change(m: Metric, s: &Summary, d: Style) -> Option<String> {
    if !clear(s) {
        return None;
    }
    // A clear but small effect in a row of large ones: its own precision,
    // rather than "by 0.000".
    let d = if is_zero(&d.show(s.mean)) {
        decimals(numbers(s))
    } else {
        d
    };
    let (verb, lo, mid, hi) = if s.mean > 0.0 {
        ("raises", s.ci_low, s.mean, s.ci_high)
    } else {
        ("lowers", -s.ci_high, -s.mean, -s.ci_low)
    };
    Some(format!(
        "{verb} {} by {} [{}, {}]{}",
        noun(m),
        d.show(mid),
        d.show(lo),
        d.show(hi),
        unit(m)
    ))
}

/// "a, b and c".
pub fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A number to at most six significant figures, for parameter tables.
pub fn param_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(x)) => six(x),
            _ => n.to_string(),
        },
        serde_json::Value::Object(o) => {
            let parts: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{k} = {}", param_value(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        serde_json::Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(param_value).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

/// A table of parameters and their values (at most six significant
/// figures), for a section's appendix.
pub fn params_table(
    caption: &str,
    params: &serde_json::Map<String, serde_json::Value>,
) -> super::Table {
    super::Table {
        caption: caption.into(),
        header: vec!["Parameter".into(), "Value".into()],
        rows: params
            .iter()
            .map(|(k, v)| vec![Cell::text(k), Cell::text(param_value(v))])
            .collect(),
        note: String::new(),
    }
}

/// `x` rounded to six significant figures, without trailing zeros.
fn six(x: f64) -> String {
    format!("{x:.5e}")
        .parse::<f64>()
        .map_or_else(|_| x.to_string(), |r| r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(mean: f64, lo: f64, hi: f64) -> Summary {
        Summary {
            n: 5,
            mean,
            sd: 0.0,
            ci_low: lo,
            ci_high: hi,
        }
    }

    #[test]
    fn a_change_names_its_direction_and_magnitude_with_the_interval() {
        let own = |x: &Summary| decimals(numbers(x));
        let a = s(-0.18, -0.2, -0.16);
        assert_eq!(
            change(Metric::PerformativeShare, &a, own(&a)).unwrap(),
            "lowers performative share of AI time by 0.180 [0.160, 0.200]"
        );
        let b = s(249_499.0, 220_265.0, 278_733.0);
        assert_eq!(
            change(Metric::NetValueUsd, &b, own(&b)).unwrap(),
            "raises net value of AI use by 249k [220k, 279k] USD/week"
        );
        let c = s(0.01, -0.01, 0.03);
        assert_eq!(change(Metric::GoodhartGap, &c, own(&c)), None);
        let e = s(0.02, 0.01, 0.03);
        assert_eq!(
            change(Metric::GoodhartGap, &e, own(&e)).unwrap(),
            "raises the Goodhart gap by 0.0200 [0.0100, 0.0300]"
        );
        // A row's style: the base level sets the decimals of the effect.
        assert_eq!(
            change(Metric::GoodhartGap, &e, decimals([0.22])).unwrap(),
            "raises the Goodhart gap by 0.020 [0.010, 0.030]"
        );
        assert_eq!(decimals([1_234_567.0]).show(-1_234_567.0), "-1.23M");
        // Rounding before choosing units and decimals.
        let k = decimals([-55_000.0, -99_960.0, -10_000.0]);
        assert_eq!(k.show(-99_960.0), "-100k");
        assert_eq!(k.show(-55_000.0), "-55k");
        assert_eq!(decimals([999_999.0]).show(999_999.0), "1.00M");
        assert_eq!(decimals([9_999.6]).show(9_999.6), "10.0k");
        assert_eq!(decimals([0.99996]).show(0.99996), "1.00");
        assert_eq!(decimals([20_000.0, 0.1]).show(0.1), "0");
        // A small clear effect in a row of large ones keeps its digits.
        let small = s(0.0004, 0.0001, 0.0007);
        assert_eq!(
            change(Metric::GoodhartGap, &small, decimals([0.5])).unwrap(),
            "raises the Goodhart gap by 0.000400 [0.000100, 0.000700]"
        );
        // Identical replicates are not a clear effect.
        assert!(!clear(&s(1.0, 1.0, 1.0)));
    }

    #[test]
    fn intervals_share_decimals_and_missing_values_say_so() {
        let d = decimals([0.5]);
        assert_eq!(ci(&s(0.2212, 0.2091, 0.2333), d), "0.221 [0.209, 0.233]");
        assert_eq!(ci(&s(0.5, f64::NAN, f64::NAN), d), "0.500");
        assert_eq!(ci(&s(f64::NAN, f64::NAN, f64::NAN), d), "undefined");
        assert_eq!(ci(&s(-0.0001, -0.0004, 0.0002), d), "0.000 [0.000, 0.000]");
    }

    #[test]
    fn parameters_have_at_most_six_significant_figures() {
        let v = serde_json::json!(5.179344734051215);
        assert_eq!(param_value(&v), "5.17934");
        assert_eq!(param_value(&serde_json::json!(1000)), "1000");
        assert_eq!(
            param_value(&serde_json::json!({"dist": "beta", "a": 2.0, "b": 0.333333333})),
            "{ dist = beta, a = 2, b = 0.333333 }"
        );
    }
}
