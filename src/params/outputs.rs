//! The names of the model's output metrics, for the layers below the
//! engine that must recognise them (a scenario's `[explore]` objectives).
//! The engine's `Metric` enum is the definition; a test there checks that
//! this list is its column order.

/// Every metric's column name, in the engine's column order.
pub const METRIC_NAMES: [&str; 19] = [
    "measured_adoption",
    "productive_adoption",
    "goodhart_gap",
    "performative_share",
    "tokens_mtok",
    "tokens_per_employee_mtok",
    "performative_tokens_mtok",
    "token_spend_usd",
    "output",
    "output_index",
    "net_value_usd",
    "incidents",
    "audits_detected",
    "mean_perceived_surveillance",
    "mean_credibility",
    "mean_stress",
    "mean_habit",
    "metric_validity",
    "token_gini",
];
