//! `goodhart run`: replicates of one scenario, result files and a headline
//! table.

use super::RunArgs;
use crate::batch::Record;
use crate::experiment::{Run, run_replicates_recording, run_replicates_with};
use crate::model::metrics::Metric;
use crate::output::agents::{self, AgentCsv, AgentFile};
use crate::output::resultdir::{Identity, Staging};
use crate::output::write_run_outputs;
use crate::params::registry::Value;
use crate::resources::{Estimate, RecordSize, available_disk, available_memory};
use crate::results::{Statistic, SummaryRow};
use crate::scenario::Scenario;
use anyhow::Context;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

/// Loads a scenario and applies the command-line overrides (`--seed`,
/// `--employees`, `--weeks`, `--replicates`), then checks the rules
/// between parameters again, since a flag can break one the file kept.
pub(crate) fn load_with_overrides(
    path: &Path,
    common: &super::CommonArgs,
) -> anyhow::Result<Scenario> {
    let mut sc = Scenario::load(path)?;
    let overrides: [(&str, Option<Value>); 4] = [
        (
            "replicates",
            common.replicates.map(|v| Value::Int(v as i64)),
        ),
        ("seed", common.seed.map(|v| Value::Int(v as i64))),
        ("employees", common.employees.map(|v| Value::Int(v as i64))),
        ("weeks", common.weeks.map(|v| Value::Int(v as i64))),
    ];
    let mut flags = Vec::new();
    for (name, value) in overrides {
        if let Some(v) = value {
            flags.push(format!("--{name} {v}"));
            sc.set(name, v).map_err(anyhow::Error::msg)?;
        }
    }
    if !flags.is_empty() {
        sc.check_consistency()
            .map_err(|e| anyhow::anyhow!("with {}, {}: {e}", flags.join(" "), path.display()))?;
    }
    Ok(sc)
}

pub(crate) fn run(args: &RunArgs) -> anyhow::Result<()> {
    let sc = load_with_overrides(&args.scenario, &args.common)?;
    super::set_threads(args.common.threads)?;
    let target = super::output_dir(&args.common.out, &sc.name);
    let agent_weeks = match &args.agents {
        Some(a) => a.resolve(sc.params.weeks)?,
        None => Vec::new(),
    };
    let arms = sc.arms();
    let runs = arms.len() * sc.run.replicates;
    let largest = arms
        .iter()
        .map(|a| &a.params)
        .max_by_key(|p| p.employees as u128 * p.weeks as u128)
        .unwrap_or(&sc.params);
    // agents.csv: rows of the longest labels held per chunk, and on disk.
    let names: Vec<&str> = arms.iter().map(|a| a.name.as_str()).collect();
    let longest = names
        .iter()
        .copied()
        .max_by_key(|n| n.len())
        .unwrap_or("base");
    let record = if agent_weeks.is_empty() {
        RecordSize::default()
    } else {
        AgentCsv::new(&sc.name, longest, 0, 0, &agent_weeks).size(largest)
    };
    let estimate = Estimate::recording(
        largest,
        runs,
        (runs * sc.params.weeks) as u64,
        rayon::current_num_threads(),
        record,
    );
    estimate.check(available_memory())?;
    let agent_file = (!agent_weeks.is_empty()).then(|| {
        agents::estimate(
            &sc.name,
            &names,
            runs,
            sc.params.employees,
            agent_weeks.len(),
        )
    });
    if let Some(f) = &agent_file {
        f.check(&target, available_disk(&target))?;
    }
    // Locked, checked and writable before anything is simulated.
    let identity = Identity {
        kind: "run".into(),
        scenario: sc.name.clone(),
        input_sha256: sc.input_sha256.clone(),
    };
    let staging = Staging::begin(&target, &identity, args.common.force)?;
    let weeks = sc.params.weeks;
    if !args.common.quiet {
        if let Some(stale) = staging.stale_lock() {
            eprintln!(
                "note: took over the lock of a goodhart process that is no longer running ({stale})"
            );
        }
        for w in sc
            .timeline
            .change_weeks()
            .into_iter()
            .filter(|&w| w >= weeks)
        {
            eprintln!(
                "warning: the timeline event at week {w} is ignored: the run has weeks 0..{}",
                weeks - 1
            );
        }
        eprintln!(
            "running `{}`: {} arms x {} replicates x {} employees x {} weeks on {} threads{}",
            sc.name,
            arms.len(),
            sc.run.replicates,
            sc.params.employees,
            weeks,
            rayon::current_num_threads(),
            if estimate.is_large() {
                format!(" ({estimate})")
            } else {
                String::new()
            }
        );
        if let Some(f) = agent_file.as_ref().filter(|f| f.is_large()) {
            eprintln!(
                "writing {f}: agents after {} of the {weeks} weeks",
                if agent_weeks.len() == 1 {
                    format!("week {}", agent_weeks[0])
                } else {
                    format!("{} weeks", agent_weeks.len())
                }
            );
        }
    }
    let start = Instant::now();
    // A progress bar for runs long enough to wonder about, on a terminal.
    let bar = (!args.common.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(runs as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40.cyan/blue} {pos}/{len} runs  ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut progress = |done: usize, _: usize| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    };
    let results = if agent_weeks.is_empty() {
        run_replicates_with(&sc, &mut progress)?
    } else {
        // Streamed into the staging directory, a chunk of runs at a time.
        let mut file = AgentFile::create(staging.path())?;
        let record = |run: &Run| {
            AgentCsv::new(
                &sc.name,
                &run.arm.name,
                run.replicate,
                run.seed,
                &agent_weeks,
            )
        };
        let results = run_replicates_recording(
            &sc,
            &record,
            &mut |_, part| -> anyhow::Result<()> { Ok(file.append(part)?) },
            &mut progress,
        )
        .with_context(|| format!("writing agents.csv for {}", target.display()))?;
        file.commit()?;
        results
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let rows = write_run_outputs(staging.path(), &sc, &args.scenario, &results, &agent_weeks)
        .with_context(|| format!("writing results for {}", target.display()))?;
    let charts = (!args.common.no_charts)
        .then(|| super::default_charts(staging.path()))
        .transpose()?;
    super::warn_all(staging.warnings());
    super::warn_all(&staging.commit()?);
    if !args.common.quiet {
        print_headline(&sc, &rows, &target, elapsed, !agent_weeks.is_empty());
    }
    super::charts_written(charts, &target, args.common.quiet);
    Ok(())
}

fn print_headline(sc: &Scenario, rows: &[SummaryRow], dir: &Path, elapsed: f64, agents: bool) {
    let last = sc.params.weeks - 1;
    let arms: Vec<String> = sc.arms().into_iter().map(|a| a.name).collect();
    let find = |variant: &str, metric: Metric| {
        rows.iter()
            .find(|r| r.variant == variant && r.metric == metric && r.statistic == Statistic::Final)
            .map(SummaryRow::summary)
    };
    if arms.len() == 1 {
        say!(
            "{}: final week ({last}), mean over {} replicates with 95% CI",
            sc.name,
            sc.run.replicates
        );
        say!("  {:<28} {:>12}  {:>24}", "metric", "mean", "95% CI");
        for metric in Metric::HEADLINE {
            let Some(s) = find(&arms[0], metric) else {
                continue;
            };
            let ci = if s.ci_low.is_finite() {
                format!("[{}, {}]", fmt_value(s.ci_low), fmt_value(s.ci_high))
            } else {
                "(needs >= 2 replicates)".to_string()
            };
            say!(
                "  {:<28} {:>12}  {:>24}",
                metric.name(),
                fmt_value(s.mean),
                ci
            );
        }
    } else {
        say!(
            "{}: final week ({last}), mean ± 95% CI half-width over {} replicates (same seeds in every variant)",
            sc.name,
            sc.run.replicates
        );
        let widths: Vec<usize> = arms.iter().map(|a| a.len().max(20)).collect();
        let mut head = format!("  {:<28}", "metric");
        for (a, w) in arms.iter().zip(&widths) {
            head.push_str(&format!("  {a:>w$}"));
        }
        say!("{head}");
        for metric in Metric::HEADLINE {
            let mut line = format!("  {:<28}", metric.name());
            for (a, w) in arms.iter().zip(&widths) {
                let cell = find(a, metric).map_or(String::new(), |s| {
                    if s.ci_low.is_finite() {
                        let half = (s.ci_high - s.ci_low) / 2.0;
                        format!(
                            "{} ± {}",
                            crate::output::sig(s.mean, 4),
                            crate::output::sig(half, 2)
                        )
                    } else {
                        fmt_value(s.mean)
                    }
                });
                line.push_str(&format!("  {cell:>w$}"));
            }
            say!("{line}");
        }
    }
    let agent_weeks =
        (arms.len() * sc.run.replicates * sc.params.employees * sc.params.weeks) as f64;
    say!(
        "wrote {}/{{weekly.csv, summary.csv, manifest.json{}}} in {:.2} s ({:.1} M agent-weeks/s)",
        dir.display(),
        if agents { ", agents.csv" } else { "" },
        elapsed,
        agent_weeks / elapsed.max(1e-9) / 1e6
    );
}

/// Four significant digits, thousands separated for large values.
fn fmt_value(x: f64) -> String {
    crate::output::sig(x, 4)
}

#[cfg(test)]
mod tests {
    use super::fmt_value;

    #[test]
    fn values_are_readable() {
        assert_eq!(fmt_value(0.91734), "0.9173");
        assert_eq!(fmt_value(59.53), "59.53");
        assert_eq!(fmt_value(-4_744_743.98), "-4,744,744");
        assert_eq!(fmt_value(0.0), "0");
    }
}
