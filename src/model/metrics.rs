//! Organisation-level metrics recorded every week (MODEL.md "Metrics").
//!
//! One list declares them all: [`WeekMetrics`] holds one week's values
//! under their snake_case names (also the CSV column names), and
//! [`Metric`] names each one with its label, unit, declared range and
//! direction, so charts, reports, tables and tests refer to metrics by a
//! type (a typo does not compile) and read their metadata from here.

use serde::{Deserialize, Serialize};

/// The values a metric can take: every value lies in `[min, max]`, and
/// NaN only where `undefined` says when (a correlation of a constant, an
/// index without a baseline). Declared with each metric ([`Metric::range`]); the
/// engine guarantees it for every parameter set the validator accepts
/// (tests/ranges.rs draws whole scenarios to check).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricRange {
    pub min: f64,
    pub max: f64,
    /// When the metric is NaN (undefined); `None`: never.
    pub undefined: Option<&'static str>,
}

impl MetricRange {
    /// Whether `v` is a value this range allows.
    pub fn contains(&self, v: f64) -> bool {
        if v.is_nan() {
            self.undefined.is_some()
        } else {
            self.min <= v && v <= self.max
        }
    }

    /// The range as a reader writes it, e.g. `[0, 1]` or `finite, >= 0`.
    pub fn describe(&self) -> String {
        let base = match (self.min > f64::MIN, self.max < f64::MAX) {
            (true, true) => format!("[{}, {}]", self.min, self.max),
            (true, false) => format!("finite, >= {}", self.min),
            (false, true) => format!("finite, <= {}", self.max),
            (false, false) => "any finite number".to_string(),
        };
        match self.undefined {
            Some(when) => format!("{base}; NaN {when}"),
            None => base,
        }
    }
}

/// A share or probability.
const SHARE: MetricRange = MetricRange {
    min: 0.0,
    max: 1.0,
    undefined: None,
};
/// A count, an amount of tokens or money, or stress: finite and >= 0.
const NON_NEGATIVE: MetricRange = MetricRange {
    min: 0.0,
    max: f64::MAX,
    undefined: None,
};
/// Any finite number (a net value can be negative).
const FINITE: MetricRange = MetricRange {
    min: f64::MIN,
    max: f64::MAX,
    undefined: None,
};

/// Whether more of a metric is better, worse or neither for the
/// organisation (for reports and for ranking policies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    HigherIsWorse,
    /// Neither: a measurement (measured adoption is the gamed metric
    /// itself), or a quantity whose value depends on the question.
    Neutral,
}

/// Declares [`WeekMetrics`], [`Metric`] and their metadata from one list:
/// `Variant name: range, "label", "short label", "unit", Direction,
/// "meaning";` (the meaning is a plain-language definition for readers of
/// a report, the doc comment the formula for developers).
macro_rules! metrics {
    ($( $(#[$doc:meta])* $variant:ident $name:ident: $range:expr, $label:literal,
        $short:literal, $unit:literal, $dir:ident, $meaning:literal; )+) => {
        /// One week's organisation-level metrics.
        #[derive(Clone, Copy, Debug, Default, PartialEq)]
        pub struct WeekMetrics { $( $(#[$doc])* pub $name: f64, )+ }

        /// A metric of [`WeekMetrics`], by name (written as its snake_case
        /// name in files).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Metric { $( $(#[$doc])* $variant, )+ }

        impl Metric {
            /// Every metric, in column order.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant),+];

            /// The snake_case name: CSV column and file value.
            pub fn name(self) -> &'static str {
                match self { $(Metric::$variant => stringify!($name)),+ }
            }

            /// What it is, for chart titles and report tables.
            pub fn label(self) -> &'static str {
                match self { $(Metric::$variant => $label),+ }
            }

            /// A few words, for table headers.
            pub fn short(self) -> &'static str {
                match self { $(Metric::$variant => $short),+ }
            }

            /// Its unit, for axes.
            pub fn unit(self) -> &'static str {
                match self { $(Metric::$variant => $unit),+ }
            }

            /// The values it can take.
            pub fn range(self) -> MetricRange {
                match self { $(Metric::$variant => $range),+ }
            }

            pub fn direction(self) -> Direction {
                match self { $(Metric::$variant => Direction::$dir),+ }
            }

            /// What it measures, in a sentence or two for a glossary.
            pub fn meaning(self) -> &'static str {
                match self { $(Metric::$variant => $meaning),+ }
            }
        }

        impl WeekMetrics {
            /// Column names, in the order of [`Metric::ALL`].
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),+];

            /// The value of metric `m`.
            pub fn get(&self, m: Metric) -> f64 {
                match m { $(Metric::$variant => self.$name),+ }
            }

            /// Sets metric `m`.
            pub fn set(&mut self, m: Metric, v: f64) {
                match m { $(Metric::$variant => self.$name = v),+ }
            }

            /// The values in the order of [`Metric::ALL`].
            pub fn values(&self) -> Vec<f64> {
                vec![$(self.$name),+]
            }
        }
    };
}

impl Metric {
    /// The metric named `name` (its column name).
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// The headline metrics: the run's table on the terminal and in
    /// reports.
    pub const HEADLINE: [Metric; 10] = [
        Metric::MeasuredAdoption,
        Metric::ProductiveAdoption,
        Metric::GoodhartGap,
        Metric::PerformativeShare,
        Metric::TokensPerEmployeeMtok,
        Metric::OutputIndex,
        Metric::NetValueUsd,
        Metric::MetricValidity,
        Metric::MeanPerceivedSurveillance,
        Metric::Incidents,
    ];

    /// The dashboard's panels and the default charts of a sweep.
    pub const DASHBOARD: [Metric; 6] = [
        Metric::MeasuredAdoption,
        Metric::GoodhartGap,
        Metric::PerformativeShare,
        Metric::OutputIndex,
        Metric::MetricValidity,
        Metric::MeanPerceivedSurveillance,
    ];

    /// The effects charted and tabled for every arm against the base:
    /// what the policy does to gaming, real adoption, output, money,
    /// tokens, security and trust.
    pub const EFFECTS: [Metric; 8] = [
        Metric::PerformativeShare,
        Metric::GoodhartGap,
        Metric::ProductiveAdoption,
        Metric::OutputIndex,
        Metric::NetValueUsd,
        Metric::TokensPerEmployeeMtok,
        Metric::Incidents,
        Metric::MeanPerceivedSurveillance,
    ];

    /// The columns of the scenario library's index.
    pub const CATALOGUE: [Metric; 6] = [
        Metric::MeasuredAdoption,
        Metric::ProductiveAdoption,
        Metric::GoodhartGap,
        Metric::PerformativeShare,
        Metric::OutputIndex,
        Metric::Incidents,
    ];
}

impl WeekMetrics {
    /// The mean of each metric over `weeks` (a run average; NaN weeks
    /// make the metric's average NaN).
    pub fn mean_of(weeks: &[WeekMetrics]) -> WeekMetrics {
        let mut out = WeekMetrics::default();
        let n = weeks.len().max(1) as f64;
        for &m in Metric::ALL {
            out.set(m, weeks.iter().map(|w| w.get(m)).sum::<f64>() / n);
        }
        out
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl WeekMetrics {
    /// The declared range of metric `name`.
    pub fn range(name: &str) -> Option<MetricRange> {
        Metric::from_name(name).map(Metric::range)
    }

    /// The first metric outside its declared range, with its value.
    pub fn out_of_range(&self) -> Option<(Metric, f64)> {
        Metric::ALL
            .iter()
            .map(|&m| (m, self.get(m)))
            .find(|(m, v)| !m.range().contains(*v))
    }
}

metrics! {
    /// Share with measured tokens Tm >= T_min (what the dashboard shows).
    MeasuredAdoption measured_adoption: SHARE,
        "Measured adoption", "measured adoption", "share of staff", Neutral,
        "The share of employees whose measured AI use (tokens, productive and performative) clears the usage bar: the number an adoption target and its dashboard report.";
    /// Share whose productive tokens alone clear the bar.
    ProductiveAdoption productive_adoption: SHARE,
        "Productive adoption", "productive adoption", "share of staff", HigherIsBetter,
        "The share of employees whose productive AI use alone would clear the usage bar: the adoption the dashboard would show if nobody burned tokens for show.";
    /// measured_adoption - productive_adoption; >= 0, since measured
    /// tokens are never below productive tokens.
    GoodhartGap goodhart_gap: SHARE,
        "Goodhart gap (measured - productive adoption)", "Goodhart gap", "share of staff", HigherIsWorse,
        "Measured minus productive adoption: the part of reported adoption that exists only because people inflate their usage. Zero when the metric is honest.";
    /// sum g / sum (p + g); 0 when nobody uses AI.
    PerformativeShare performative_share: SHARE,
        "Performative share of AI time", "performative share", "share", HigherIsWorse,
        "Of all working time spent with AI, the share spent on performative use (tokens burned to look like a heavy user rather than to get work done). This is tokenmaxxing.";
    /// Total tokens used this week, MTok.
    TokensMtok tokens_mtok: NON_NEGATIVE,
        "Tokens used", "tokens", "MTok/week", Neutral,
        "All tokens the organisation used in the week, in millions.";
    /// Mean tokens per employee, MTok (MODEL.md's reference figures).
    TokensPerEmployeeMtok tokens_per_employee_mtok: NON_NEGATIVE,
        "Tokens per employee", "tokens / employee", "MTok/week", Neutral,
        "Tokens used per employee in the week, in millions (productive and performative together).";
    /// Performative tokens, MTok (pro rata under a binding cap).
    PerformativeTokensMtok performative_tokens_mtok: NON_NEGATIVE,
        "Performative tokens", "performative tokens", "MTok/week", HigherIsWorse,
        "Tokens spent on performative use in the week, in millions.";
    /// tokens_mtok * price.
    TokenSpendUsd token_spend_usd: NON_NEGATIVE,
        "Token spend", "token spend", "USD/week", HigherIsWorse,
        "What the week's tokens cost at the configured price per million tokens.";
    /// Total output (sum of Y), output units.
    Output output: NON_NEGATIVE,
        "Output", "output", "output units/week", HigherIsBetter,
        "The organisation's real output in the week, in output units (one unit is an average employee's manual week).";
    /// sum Y / sum a (1.0 = everyone working manually).
    OutputIndex output_index: MetricRange {
            min: 0.0,
            max: f64::MAX,
            undefined: Some("when every employee's ability is 0 (no baseline)"),
        },
        "Output index (1 = all manual work)", "output index", "index", HigherIsBetter,
        "Real output relative to everyone working without AI: 1 means AI use adds nothing on balance, above 1 it raises output, below 1 it costs output.";
    /// (sum Y - sum a - incident losses) * USD per output - token spend.
    NetValueUsd net_value_usd: FINITE,
        "Net value of AI use", "net value", "USD/week", HigherIsBetter,
        "The money value of the output AI use adds (output above all-manual work, less losses from security incidents), minus what the tokens cost, per week.";
    /// Security incidents this week.
    Incidents incidents: NON_NEGATIVE,
        "Security incidents", "incidents / week", "incidents/week", HigherIsWorse,
        "Security incidents in the week caused by AI agents acting with broad permissions.";
    /// Audits that detected pointless automation this week.
    AuditsDetected audits_detected: NON_NEGATIVE,
        "Audits detecting pointless automation", "audits detected", "per week", Neutral,
        "Audits in the week that caught an employee running pointless automation.";
    /// Mean pi: perceived probability that token numbers are used.
    MeanPerceivedSurveillance mean_perceived_surveillance: SHARE,
        "Perceived surveillance", "perceived surveillance", "mean probability", HigherIsWorse,
        "How likely employees believe it is, on average, that managers use their token numbers despite assurances (0 = nobody believes it, 1 = everybody is sure).";
    /// Mean credibility given to assurances.
    MeanCredibility mean_credibility: SHARE,
        "Credibility of assurances", "credibility", "mean probability", HigherIsBetter,
        "How much employees believe management's assurance that the numbers will not count, on average (0 = not at all, 1 = fully).";
    /// Mean stress.
    MeanStress mean_stress: NON_NEGATIVE,
        "Stress", "stress", "mean level", HigherIsWorse,
        "Average stress, which follows the stakes employees perceive in being judged by their numbers.";
    /// Mean habit of performative use.
    MeanHabit mean_habit: SHARE,
        "Habit of performative use", "habit", "mean level", HigherIsWorse,
        "Average strength of the habit of performative use, which grows while people game and fades slowly after (0 = none, 1 = fully ingrained).";
    /// Pearson correlation of measured tokens and output across employees.
    MetricValidity metric_validity: MetricRange {
            min: -1.0,
            max: 1.0,
            undefined: Some("when measured tokens or output are the same for every employee"),
        },
        "Metric validity (corr. of measured tokens and output)", "metric validity", "Pearson r", HigherIsBetter,
        "The correlation, across employees, between measured token use and real output: how well the usage number tells who is productive (1 = perfectly, 0 = not at all, negative = it points the wrong way).";
    /// Gini coefficient of tokens used (0 when nobody uses any).
    TokenGini token_gini: SHARE,
        "Inequality of token use", "token Gini", "Gini coefficient", Neutral,
        "Inequality of token use across employees (0 = everyone uses the same, 1 = one person uses all).";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_params_layer_knows_the_metric_names_in_column_order() {
        assert_eq!(WeekMetrics::NAMES, crate::params::outputs::METRIC_NAMES);
    }

    #[test]
    fn one_list_names_every_metric_the_same_way_everywhere() {
        assert_eq!(Metric::ALL.len(), WeekMetrics::NAMES.len());
        let mut w = WeekMetrics::default();
        for (i, &m) in Metric::ALL.iter().enumerate() {
            assert_eq!(m.name(), WeekMetrics::NAMES[i]);
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.name())
            );
            assert_eq!(Metric::from_name(m.name()), Some(m));
            assert!(!m.label().is_empty() && !m.short().is_empty() && !m.unit().is_empty());
            w.set(m, i as f64);
            assert_eq!(w.get(m), i as f64);
            assert_eq!(w.values()[i], i as f64);
        }
        assert_eq!(Metric::from_name("performative_shar"), None);
    }

    #[test]
    fn names_match_values() {
        assert_eq!(
            WeekMetrics::NAMES.len(),
            WeekMetrics::default().values().len()
        );
        assert_eq!(WeekMetrics::NAMES[2], "goodhart_gap");
    }
}
