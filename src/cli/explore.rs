//! `goodhart explore`'s summary on the terminal: per policy, the share of
//! worlds where it meets every threshold and its mean regret, the most
//! robust policy, and where it fails (the scenario discovery boxes).

use crate::results::{BoxRow, RobustnessRow, SweepManifest, TrajectoryRow, read_rows};
use crate::sweep::{discovery, explore};
use std::path::Path;

/// Prints the robustness table and the discovery boxes of the
/// exploration in `dir` (nothing if its files cannot be read).
pub(crate) fn print_robustness(dir: &Path) {
    let Ok(rows) = read_rows::<RobustnessRow>(&dir.join(explore::ROBUSTNESS)) else {
        return;
    };
    let Some(first) = rows.first().map(|r| r.objective.clone()) else {
        return;
    };
    let mut policies: Vec<&RobustnessRow> = rows.iter().filter(|r| r.objective == first).collect();
    policies.sort_by(|a, b| {
        b.satisficing_share
            .total_cmp(&a.satisficing_share)
            .then(a.regret_mean.total_cmp(&b.regret_mean))
    });
    say!(
        "robustness over {} worlds, most robust first (satisficing: meets every threshold; regret of {first} against the best policy in each world):",
        policies.first().map_or(0, |r| r.worlds)
    );
    say!(
        "  {:<28} {:>24} {:>30} {:>12}",
        "policy",
        "satisficing share [95% CI]",
        format!("mean {first} [10th-90th pct]"),
        "mean regret"
    );
    for r in &policies {
        say!(
            "  {:<28} {:>24} {:>30} {:>12}",
            r.policy,
            format!(
                "{:.2} [{:.2}, {:.2}]",
                r.satisficing_share, r.satisficing_ci_low, r.satisficing_ci_high
            ),
            format!("{:.3} [{:.3}-{:.3}]", r.mean, r.p10, r.p90),
            format!("{:.3}", r.regret_mean)
        );
    }
    let Ok(boxes) = read_rows::<BoxRow>(&dir.join(discovery::BOXES)) else {
        return;
    };
    let trajectory: Vec<TrajectoryRow> =
        read_rows(&dir.join(discovery::TRAJECTORY)).unwrap_or_default();
    match (boxes.first(), trajectory.first()) {
        (None, None) => {
            // No world failed, so PRIM had nothing to describe.
            let failure = crate::results::manifest::read::<SweepManifest>(dir)
                .ok()
                .and_then(|m| m.scenario(dir).ok())
                .and_then(|sc| sc.explore)
                .map_or_else(
                    || "the failure condition".to_string(),
                    |e| e.failure.map_or("missing a threshold".into(), |c| c.text()),
                );
            say!(
                "scenario discovery: the examined policy fails ({failure}) in no world; nothing to describe"
            )
        }
        (None, Some(t)) if t.density >= 1.0 => say!(
            "scenario discovery: `{}` fails ({}) in every world; no region of the uncertainties tells failing worlds apart",
            t.policy,
            t.failure
        ),
        (None, Some(t)) => say!(
            "scenario discovery: `{}` fails ({}) in {:.0}% of the worlds, but no box reaches the density threshold: the failures are scattered (see {})",
            t.policy,
            t.failure,
            100.0 * t.density,
            discovery::TRAJECTORY
        ),
        (Some(b), _) => {
            say!("scenario discovery: where `{}` {}:", b.policy, b.failure);
            let mut current = 0;
            for r in &boxes {
                if r.r#box != current {
                    current = r.r#box;
                    say!(
                        "  box {}: {:.0}% of the failing worlds (coverage), {:.0}% of its worlds fail (density), {:.0}% of all worlds",
                        r.r#box,
                        100.0 * r.coverage,
                        100.0 * r.density,
                        100.0 * r.mass
                    );
                }
                let qp = [r.qp_lower, r.qp_upper]
                    .into_iter()
                    .flatten()
                    .map(|q| {
                        if q >= 0.01 {
                            format!("{q:.2}")
                        } else {
                            format!("{q:.1e}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                // Only restricted sides are limits; the other is where the
                // sampled worlds end.
                let limits = match (r.qp_lower.is_some(), r.qp_upper.is_some()) {
                    (true, true) => format!("{:.3} to {:.3}", r.lower, r.upper),
                    (true, false) => format!("above {:.3}", r.lower),
                    _ => format!("below {:.3}", r.upper),
                };
                say!(
                    "    {:<28} {limits:<18} (explored {} to {}; quasi-p {qp}{})",
                    r.parameter,
                    r.range_low,
                    r.range_high,
                    if [r.qp_lower, r.qp_upper]
                        .into_iter()
                        .flatten()
                        .any(|q| q < 0.05)
                    {
                        ""
                    } else {
                        ": not significant"
                    }
                );
            }
        }
    }
}
