//! Scenario discovery for an exploration: in which worlds does a policy
//! fail? PRIM (Friedman and Fisher 1999, as in EMA Workbench and
//! sdtoolkit; see [`crate::prim`]) searches the uncertainty space for
//! boxes where failure is dense, peeling and pasting, and covering finds
//! further boxes among the worlds the first leaves out.
//!
//! The policy is the table's `[explore.discovery] policy`, or the most
//! robust one (see [`super::explore::most_robust`]); a world fails when the
//! policy's replicate mean meets the `fail` condition, or, without one,
//! when the policy misses any objective's threshold. Each search keeps the
//! box of highest coverage whose density reaches the table's `density`
//! (0.8 by default): the largest region where the policy fails with at
//! least that frequency. At most three boxes are kept.
//!
//! Writes `discovery_trajectory.csv` (every search's trade-off between
//! coverage and density, step by step) and `discovery_boxes.csv` (each
//! box's limits per restricted parameter, with EMA Workbench's quasi-p
//! values: small values mean the restriction matters).

use super::explore::{Outcomes, most_robust, satisficing};
use super::{Exploration, Plan, SweepError};
use crate::output::write_rows;
use crate::prim::{BoxChoice, Dataset, PrimParams, StepKind, find_box_in};
use crate::results::{BoxRow, TrajectoryRow};
use crate::scenario::sweep_spec::Domain;
use std::path::Path;

pub use super::files::{BOXES, TRAJECTORY};

/// Boxes covering keeps at most.
const MAX_BOXES: usize = 3;

/// The policy examined and the failure condition, as text.
pub fn subject(e: &Exploration, o: &Outcomes) -> (usize, String) {
    let policy = e
        .spec
        .discovery_policy
        .as_ref()
        .and_then(|p| e.arms.iter().position(|a| a.name == *p))
        .unwrap_or_else(|| most_robust(e, o));
    let failure = match &e.spec.failure {
        Some(c) => c.text(),
        None => "misses a threshold".to_string(),
    };
    (policy, failure)
}

/// Whether policy `a` fails in world `w`.
pub fn fails(e: &Exploration, o: &Outcomes, w: usize, a: usize) -> bool {
    match &e.spec.failure {
        Some(c) => c.holds(o.value(w, a, &c.metric)),
        None => !satisficing(&e.spec, o, w, a),
    }
}

/// The worlds as PRIM's data: one column per uncertainty (a category by
/// its unit coordinate, since PRIM peels numbers).
fn dataset(plan: &Plan, e: &Exploration, cases: Vec<bool>) -> Result<Dataset, SweepError> {
    let names = plan
        .spec
        .params
        .iter()
        .map(|p| p.def.name.to_string())
        .collect();
    let columns = (0..plan.spec.params.len())
        .map(|j| {
            (0..e.worlds())
                .map(|w| {
                    let p = &plan.points[w];
                    p.values[j]
                        .as_f64()
                        .unwrap_or_else(|| p.unit.as_ref().map_or(f64::NAN, |u| u[j]))
                })
                .collect()
        })
        .collect();
    Dataset::new(names, columns, cases).map_err(|err| SweepError::Invalid(err.to_string()))
}

/// Writes the discovery files (a header line alone when no world fails).
pub fn write_files(
    plan: &Plan,
    e: &Exploration,
    o: &Outcomes,
    dir: &Path,
) -> Result<(), SweepError> {
    let (policy, failure) = subject(e, o);
    let cases: Vec<bool> = (0..e.worlds()).map(|w| fails(e, o, w, policy)).collect();
    let mut trajectory = Vec::new();
    let mut boxes = Vec::new();
    if cases.iter().any(|&c| c) {
        let data = dataset(plan, e, cases)?;
        let params = PrimParams {
            threshold: e.spec.density_threshold,
            ..PrimParams::default()
        };
        let invalid = |err: crate::prim::PrimError| SweepError::Invalid(err.to_string());
        let mut active = vec![true; data.len()];
        let name = &e.arms[policy].name;
        for search in 1..=MAX_BOXES {
            if !(0..data.len()).any(|i| active[i] && data.cases()[i]) {
                break;
            }
            let found = find_box_in(&data, &params, &active).map_err(invalid)?;
            let chosen = found.choose(BoxChoice::MostCoverage, params.threshold);
            for (step, s) in found.steps().iter().enumerate() {
                trajectory.push(TrajectoryRow {
                    policy: name.clone(),
                    failure: failure.clone(),
                    search,
                    step,
                    kind: match s.kind {
                        StepKind::Initial => "initial",
                        StepKind::Peel => "peel",
                        StepKind::Paste => "paste",
                    }
                    .into(),
                    coverage: s.coverage,
                    density: s.density,
                    mass: s.mass,
                    restricted: s.res_dim,
                    chosen: chosen == Some(step),
                });
            }
            let Some(index) = chosen else { break };
            let selected = found.select(index).map_err(invalid)?;
            if selected.points.is_empty() {
                break;
            }
            for r in &selected.restrictions {
                let (range_low, range_high) = match &plan.spec.params[r.dim].domain {
                    Domain::Range { low, high } => (*low, *high),
                    Domain::Values(_) => (r.bounds.lower, r.bounds.upper),
                };
                boxes.push(BoxRow {
                    policy: name.clone(),
                    failure: failure.clone(),
                    r#box: search,
                    coverage: selected.step.coverage,
                    density: selected.step.density,
                    mass: selected.step.mass,
                    parameter: r.name.clone(),
                    lower: r.limit.lower,
                    upper: r.limit.upper,
                    range_low,
                    range_high,
                    qp_lower: r.qp_lower,
                    qp_upper: r.qp_upper,
                });
            }
            for &i in &selected.points {
                active[i] = false;
            }
        }
    }
    let sample_step = TrajectoryRow {
        policy: String::new(),
        failure: String::new(),
        search: 0,
        step: 0,
        kind: String::new(),
        coverage: 0.0,
        density: 0.0,
        mass: 0.0,
        restricted: 0,
        chosen: false,
    };
    let sample_box = BoxRow {
        policy: String::new(),
        failure: String::new(),
        r#box: 0,
        coverage: 0.0,
        density: 0.0,
        mass: 0.0,
        parameter: String::new(),
        lower: 0.0,
        upper: 0.0,
        range_low: 0.0,
        range_high: 0.0,
        qp_lower: None,
        qp_upper: None,
    };
    write_with_header(&dir.join(TRAJECTORY), trajectory, sample_step)?;
    write_with_header(&dir.join(BOXES), boxes, sample_box)?;
    Ok(())
}

/// Writes `rows`, or with none the header line alone (taken from `sample`),
/// so that pandas and R read an empty table rather than fail.
fn write_with_header<T: serde::Serialize>(
    path: &Path,
    rows: Vec<T>,
    sample: T,
) -> Result<(), SweepError> {
    if !rows.is_empty() {
        write_rows(path, rows)?;
        return Ok(());
    }
    let text = crate::output::csv_rows(&path.display().to_string(), [sample])?;
    let end = text
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| i + 1);
    crate::output::write_atomic(path, &text[..end])?;
    Ok(())
}
