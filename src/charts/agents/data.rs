//! Reading `agents.csv` back for the agent charts: typed rows
//! ([`AgentRow`]) checked against the run's manifest, keeping only the
//! weeks a chart needs and only the columns the charts use, and the
//! per-replicate decile summaries the charts draw (deciles are formed
//! within each replicate, then averaged over replicates with 95% CIs).

use crate::charts::ChartError;
use crate::results::{AgentRow, RunManifest, each_row, manifest};
use crate::scenario::Scenario;
use crate::stats::summarise;
use std::path::Path;

/// The columns of one employee the charts use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Agent {
    pub ai_speedup: f32,
    pub status_drive: f32,
    pub productive: f64,
    pub performative: f64,
    pub tokens: f64,
    pub output: f64,
}

/// An attribute employees are grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribute {
    AiSpeedup,
    StatusDrive,
}

impl Attribute {
    pub fn name(self) -> &'static str {
        match self {
            Attribute::AiSpeedup => "ai_speedup",
            Attribute::StatusDrive => "status_drive",
        }
    }

    pub fn of(self, a: &Agent) -> f64 {
        f64::from(match self {
            Attribute::AiSpeedup => a.ai_speedup,
            Attribute::StatusDrive => a.status_drive,
        })
    }
}

/// (mean, ci_low, ci_high) over replicates; the interval is NaN with one
/// replicate.
pub type Ci = (f64, f64, f64);

/// Deciles charts need at least this many employees (one per decile).
pub const DECILES: usize = 10;

/// agents.csv of one run directory, for some of its recorded weeks.
pub struct AgentData {
    pub scenario: String,
    pub replicates: usize,
    pub employees: usize,
    /// Arms in file order (the base first).
    pub arms: Vec<String>,
    /// Every week agents.csv recorded (from the manifest).
    pub recorded: Vec<usize>,
    /// The scenario the runs used (rebuilt from the manifest).
    pub source: Scenario,
    /// The weeks loaded, and for each [arm][replicate] its employees.
    weeks: Vec<(usize, Vec<Vec<Vec<Agent>>>)>,
}

/// The recorded weeks of a run directory (empty without agents.csv), with
/// its manifest.
pub fn recorded_weeks(dir: &Path) -> Result<(RunManifest, Vec<usize>), ChartError> {
    let header: manifest::Header = manifest::read(dir)?;
    if header.kind != "run" {
        return Err(ChartError::Data(format!(
            "{} holds a {}, not a run: agents.csv comes from `goodhart run --agents`",
            dir.display(),
            header.kind
        )));
    }
    let m: RunManifest = manifest::read(dir)?;
    let weeks = m.agent_weeks.clone();
    Ok((m, weeks))
}

impl AgentData {
    /// Reads `dir/agents.csv`, keeping the rows of `weeks`; a week that
    /// was not recorded, a row the manifest does not account for, or a
    /// missing employee is an error naming it.
    pub fn load(dir: &Path, weeks: &[usize]) -> Result<AgentData, ChartError> {
        let path = dir.join(crate::output::agents::AGENTS);
        let shown = path.display().to_string();
        let (m, recorded) = recorded_weeks(dir)?;
        if recorded.is_empty() {
            return Err(ChartError::Data(format!(
                "{} does not list the weeks of agents.csv: run the scenario again with --agents",
                dir.join("manifest.json").display()
            )));
        }
        let list = |w: &[usize]| w.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        for w in weeks {
            if !recorded.contains(w) {
                return Err(ChartError::Data(format!(
                    "week {w} was not recorded in {shown} (its weeks are {}); run the scenario again with --agents {},{w}",
                    list(&recorded),
                    list(&recorded)
                )));
            }
        }
        let arms: Vec<String> = std::iter::once(crate::scenario::BASE_ARM.to_string())
            .chain(m.variants.iter().map(|v| v.name.clone()))
            .collect();
        let (reps, n) = (m.replicates, m.employees);
        let mut kept: Vec<(usize, Vec<Vec<Vec<Agent>>>)> = weeks
            .iter()
            .map(|&w| (w, vec![vec![Vec::with_capacity(n); reps]; arms.len()]))
            .collect();
        let mut rows = 0u64;
        let bad = |line: u64, message: String| {
            ChartError::Data(format!("{shown}, line {}: {message}", line + 1))
        };
        each_row(&path, |r: AgentRow| {
            rows += 1;
            let Some(arm) = arms.iter().position(|a| *a == r.variant) else {
                return Err(bad(
                    rows,
                    format!("variant `{}` is not an arm of this run", r.variant),
                ));
            };
            if r.scenario != m.header.scenario || r.replicate >= reps || r.employee >= n {
                return Err(bad(
                    rows,
                    format!(
                        "scenario `{}`, replicate {}, employee {} is not a row of this run ({} replicates of {n} employees of `{}`)",
                        r.scenario, r.replicate, r.employee, reps, m.header.scenario
                    ),
                ));
            }
            if !recorded.contains(&r.week) {
                return Err(bad(
                    rows,
                    format!(
                        "week {} is not one of the recorded weeks {}",
                        r.week,
                        list(&recorded)
                    ),
                ));
            }
            let Some((_, runs)) = kept.iter_mut().find(|(w, _)| *w == r.week) else {
                return Ok(());
            };
            let agents = &mut runs[arm][r.replicate];
            if r.employee != agents.len() {
                return Err(bad(
                    rows,
                    format!(
                        "employee {} of variant `{}`, replicate {}, week {} where employee {} was expected (rows are in employee order)",
                        r.employee,
                        r.variant,
                        r.replicate,
                        r.week,
                        agents.len()
                    ),
                ));
            }
            agents.push(Agent {
                ai_speedup: r.ai_speedup,
                status_drive: r.status_drive,
                productive: r.productive,
                performative: r.performative,
                tokens: r.tokens,
                output: r.output,
            });
            Ok(())
        })?;
        if rows == 0 {
            return Err(ChartError::Data(format!(
                "{shown} has no rows: nothing to draw"
            )));
        }
        for (w, runs) in &kept {
            for (arm, reps) in arms.iter().zip(runs) {
                for (r, agents) in reps.iter().enumerate() {
                    if agents.len() != n {
                        return Err(ChartError::Data(format!(
                            "{shown} is incomplete: variant `{arm}`, replicate {r}, week {w} has {} of {n} employees",
                            agents.len()
                        )));
                    }
                }
            }
        }
        Ok(AgentData {
            scenario: m.header.scenario.clone(),
            replicates: reps,
            employees: n,
            arms,
            source: m.scenario(dir)?,
            recorded,
            weeks: kept,
        })
    }

    /// The employees of every `[arm][replicate]` after `week` (one of the
    /// weeks loaded).
    pub fn at(&self, week: usize) -> Result<&[Vec<Vec<Agent>>], ChartError> {
        self.weeks
            .iter()
            .find(|(w, _)| *w == week)
            .map(|(_, runs)| runs.as_slice())
            .ok_or_else(|| ChartError::Data(format!("week {week} of agents.csv was not loaded")))
    }
}

/// Employees' decile (0..10) of `attr` within one replicate: by rank, ties
/// in employee order, so each decile holds a tenth of the employees.
pub fn deciles(agents: &[Agent], attr: Attribute) -> Vec<usize> {
    let mut order: Vec<usize> = (0..agents.len()).collect();
    order.sort_by(|&i, &j| attr.of(&agents[i]).total_cmp(&attr.of(&agents[j])));
    let mut out = vec![0; agents.len()];
    for (rank, &i) in order.iter().enumerate() {
        out[i] = rank * DECILES / agents.len().max(1);
    }
    out
}

/// Whether `attr` varies among the employees (deciles of a constant mean
/// nothing).
pub fn varies(runs: &[Vec<Vec<Agent>>], attr: Attribute) -> bool {
    let mut values = runs.iter().flatten().flatten().map(|a| attr.of(a));
    let Some(first) = values.next() else {
        return false;
    };
    values.any(|v| v != first)
}

/// Performative share of a group: sum g / sum (p + g), 0 when nobody in
/// it uses AI (the metric's definition).
pub fn performative_share<'a>(group: impl Iterator<Item = &'a Agent>) -> f64 {
    let (mut g, mut used) = (0.0, 0.0);
    for a in group {
        g += a.performative;
        used += a.productive + a.performative;
    }
    if used > 0.0 { g / used } else { 0.0 }
}

/// For each decile of `attr` (formed within each replicate), the mean and
/// 95% CI over replicates of `value(decile's employees)`.
pub fn by_decile(
    reps: &[Vec<Agent>],
    attr: Attribute,
    value: impl Fn(&[&Agent]) -> f64,
) -> Vec<Ci> {
    let mut per_decile: Vec<Vec<f64>> = vec![Vec::new(); DECILES];
    for agents in reps {
        let d = deciles(agents, attr);
        let mut groups: Vec<Vec<&Agent>> = vec![Vec::new(); DECILES];
        for (a, &k) in agents.iter().zip(&d) {
            groups[k].push(a);
        }
        for (k, g) in groups.iter().enumerate() {
            per_decile[k].push(value(g));
        }
    }
    per_decile.iter().map(|xs| ci(xs)).collect()
}

/// For each decile of `attr` (formed within each replicate), the change
/// of performative share from `before` to `after` (the same employees of
/// the same replicates), with its 95% CI over replicates.
pub fn share_change_by_decile(
    before: &[Vec<Agent>],
    after: &[Vec<Agent>],
    attr: Attribute,
) -> Vec<Ci> {
    let mut per_decile: Vec<Vec<f64>> = vec![Vec::new(); DECILES];
    for (b, a) in before.iter().zip(after) {
        let d = deciles(a, attr);
        for (k, xs) in per_decile.iter_mut().enumerate() {
            let group = |agents: &[Agent]| {
                performative_share(agents.iter().zip(&d).filter(|x| *x.1 == k).map(|x| x.0))
            };
            xs.push(group(a) - group(b));
        }
    }
    per_decile.iter().map(|xs| ci(xs)).collect()
}

/// Mean and 95% CI of replicate values.
pub fn ci(xs: &[f64]) -> Ci {
    let s = summarise(xs);
    (s.mean, s.ci_low, s.ci_high)
}

/// `c` with its interval cut to `lo..=hi`, the range the value can take
/// (a share's t interval can reach past 1; it is drawn to 1).
pub fn within(c: Ci, lo: f64, hi: f64) -> Ci {
    if c.1.is_finite() {
        (c.0, c.1.max(lo), c.2.min(hi))
    } else {
        c
    }
}

/// Mean of `attr` in each decile, averaged over replicates (for axis
/// labels).
pub fn decile_means(reps: &[Vec<Agent>], attr: Attribute) -> Vec<f64> {
    by_decile(reps, attr, |g| {
        g.iter().map(|a| attr.of(a)).sum::<f64>() / g.len().max(1) as f64
    })
    .into_iter()
    .map(|c| c.0)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(s: f32, g: f64) -> Agent {
        Agent {
            ai_speedup: s,
            status_drive: 1.0,
            productive: 0.5,
            performative: g,
            tokens: 1.0,
            output: 1.0,
        }
    }

    #[test]
    fn deciles_split_by_rank_and_average_over_replicates() {
        // Twenty employees: ai_speedup descending, so decile 0 holds the
        // last two; their performative share grows with ai_speedup.
        let reps: Vec<Vec<Agent>> = (0..3)
            .map(|r| {
                (0..20)
                    .map(|i| agent((19 - i) as f32, (19 - i) as f64 / 100.0 + r as f64 / 1000.0))
                    .collect()
            })
            .collect();
        let d = deciles(&reps[0], Attribute::AiSpeedup);
        assert_eq!((d[19], d[18], d[0]), (0, 0, 9));
        let share = by_decile(&reps, Attribute::AiSpeedup, |g| {
            performative_share(g.iter().copied())
        });
        assert_eq!(share.len(), 10);
        assert!(share.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(share[0].1 < share[0].0 && share[0].0 < share[0].2);
        assert_eq!(decile_means(&reps, Attribute::AiSpeedup)[0], 0.5);
        assert!(!varies(std::slice::from_ref(&reps), Attribute::StatusDrive));
        assert!(varies(&[reps], Attribute::AiSpeedup));
        assert_eq!(performative_share([].iter()), 0.0);
    }
}
