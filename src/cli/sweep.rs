//! `goodhart sweep`, `goodhart merge` and `goodhart sensitivity`.

use crate::model::metrics::Metric;
use crate::output::resultdir::{Identity, Staging, in_progress_dir, lock_existing};
use crate::resources::{Estimate, available_memory};
use crate::results::{Index, SensitivityRow, Statistic};
use crate::scenario::Scenario;
use crate::scenario::sweep_spec::Record;
use crate::sweep::runner::{self, Outcome, execute};
use crate::sweep::{Plan, Shard, analysis, files, merge};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What each run records in runs.csv.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum RecordArg {
    /// Final week and run average.
    Final,
    /// Every week and run average.
    Weekly,
}

#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// Scenario file with a [sweep] (or, for explore, an [explore]) table.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub common: super::CommonArgs,
    /// Run only shard I of N (I/N, from 0): a contiguous block of points.
    #[arg(long, value_parser = super::usage::shard)]
    pub shard: Option<Shard>,
    /// Continue an interrupted sweep in the same output directory.
    #[arg(long)]
    pub resume: bool,
    /// What each run records (overrides [sweep] record).
    #[arg(long, value_enum)]
    pub record: Option<RecordArg>,
}

/// Progress: a bar on a terminal, a line every 10 s otherwise, nothing
/// when quiet.
struct Reporter {
    bar: Option<ProgressBar>,
    quiet: bool,
    start: Instant,
    last_line: Instant,
}

impl Reporter {
    fn new(quiet: bool) -> Reporter {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template(
                    "{bar:40.cyan/blue} {pos}/{len} runs  {per_sec}  ETA {eta}  {elapsed_precise}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        Reporter {
            bar,
            quiet,
            start: Instant::now(),
            last_line: Instant::now(),
        }
    }

    fn update(&mut self, done: usize, total: usize) {
        if let Some(b) = &self.bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
            return;
        }
        if self.quiet || (self.last_line.elapsed() < Duration::from_secs(10) && done < total) {
            return;
        }
        self.last_line = Instant::now();
        let secs = self.start.elapsed().as_secs_f64();
        let rate = done as f64 / secs.max(1e-9);
        let eta = if rate > 0.0 {
            (total - done) as f64 / rate
        } else {
            f64::NAN
        };
        eprintln!(
            "sweep: {done}/{total} runs ({:.1}%), {rate:.1} runs/s, ETA {eta:.0} s",
            100.0 * done as f64 / total.max(1) as f64
        );
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `goodhart explore`: a sweep of a scenario with an `[explore]` table.
pub(crate) fn explore(args: &SweepArgs) -> anyhow::Result<()> {
    let sc = super::run::load_with_overrides(&args.scenario, &args.common)?;
    anyhow::ensure!(
        sc.explore.is_some(),
        "{} has no [explore] table: add one (see scenarios/robust-policies.toml){}",
        args.scenario.display(),
        if sc.sweep.is_some() {
            "; it has a [sweep] table, which `goodhart sweep` runs"
        } else {
            ""
        }
    );
    sweep(args)
}

pub(crate) fn sweep(args: &SweepArgs) -> anyhow::Result<()> {
    let mut sc = super::run::load_with_overrides(&args.scenario, &args.common)?;
    if let Some(e) = sc.explore.as_mut() {
        anyhow::ensure!(
            args.record.is_none(),
            "--record does not apply to an exploration: it records each run's final week and run average"
        );
        if let Some(r) = args.common.replicates {
            e.replicates = r;
        }
    } else {
        let spec = sc.sweep.as_mut().ok_or_else(|| {
            anyhow::anyhow!(
                "{} has no [sweep] or [explore] table: add one (see scenarios/target-visibility-sweep.toml or scenarios/robust-policies.toml), or use `goodhart run` for a single scenario",
                args.scenario.display()
            )
        })?;
        if let Some(r) = args.common.replicates {
            spec.replicates = r;
        }
        if let Some(r) = args.record {
            spec.record = match r {
                RecordArg::Final => Record::Final,
                RecordArg::Weekly => Record::Weekly,
            };
        }
    }
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    super::set_threads(args.common.threads)?;
    let plan = Plan::new(&sc)?;
    let target = super::output_dir(&args.common.out, &sc.name);
    let points = shard.points(plan.point_count());
    let threads = rayon::current_num_threads();
    let largest = plan.largest_params(points.clone());
    // Rows held in memory: one batch of runs (see sweep::runner).
    let batch = (threads * 4).max(8);
    let runs = points.len() * plan.replicates();
    let estimate = Estimate::new(
        &largest,
        runs,
        (batch.min(runs) * plan.spec.rows_per_run(largest.weeks)) as u64,
        threads,
    );
    estimate.check(available_memory())?;
    let manifest = files::manifest_json(&plan, shard);
    if args.resume
        && !in_progress_dir(&target).exists()
        && std::fs::read(target.join(files::MANIFEST)).is_ok_and(|m| m == manifest)
    {
        if !args.common.quiet {
            say!("{} already holds this complete sweep", target.display());
        }
        return Ok(());
    }
    if args.resume && !in_progress_dir(&target).exists() && !args.common.quiet {
        eprintln!(
            "note: {} holds no interrupted sweep to resume; running the sweep from the start",
            target.display()
        );
    }
    let identity = Identity {
        kind: if shard == Shard::WHOLE {
            plan.kind().into()
        } else {
            format!("{} shard {}/{}", plan.kind(), shard.index, shard.count)
        },
        scenario: sc.name.clone(),
        input_sha256: sc.input_sha256.clone(),
    };
    let staging =
        Staging::begin_resumable(&target, &identity, args.resume, args.common.force, |dir| {
            runner::progress_text(&plan, dir, shard)
        })?;
    if !args.common.quiet {
        if let Some(stale) = staging.stale_lock() {
            eprintln!(
                "note: took over the lock of a goodhart process that is no longer running ({stale})"
            );
        }
        let what = match &plan.explore {
            Some(e) => format!(
                "exploring `{}`: {} policies in {} worlds ({}), {} points",
                sc.name,
                e.policies(),
                e.worlds(),
                e.spec.design.word(),
                points.len()
            ),
            None => format!(
                "sweeping `{}`: {} design, {} points",
                sc.name,
                plan.spec.design.word(),
                points.len()
            ),
        };
        eprintln!(
            "{what}{} x {} replicates = {} runs of {} employees x {} weeks on {} threads{}",
            if shard == Shard::WHOLE {
                String::new()
            } else {
                format!(
                    " (shard {}/{} of {})",
                    shard.index,
                    shard.count,
                    plan.point_count()
                )
            },
            plan.replicates(),
            runs,
            sc.params.employees,
            sc.params.weeks,
            threads,
            if estimate.is_large() {
                format!(" ({estimate})")
            } else {
                String::new()
            }
        );
    }
    let mut reporter = Reporter::new(args.common.quiet);
    let start = Instant::now();
    let outcome = execute(&plan, staging.path(), shard, args.resume, &mut |d, t| {
        reporter.update(d, t)
    })
    .with_context(|| format!("sweeping into {}", target.display()))?;
    reporter.finish();
    let charts = (!args.common.no_charts && shard == Shard::WHOLE)
        .then(|| super::default_charts(staging.path()))
        .transpose()?;
    super::warn_all(staging.warnings());
    super::warn_all(&staging.commit()?);
    super::charts_written(charts, &target, args.common.quiet);
    if args.common.quiet {
        return Ok(());
    }
    let secs = start.elapsed().as_secs_f64();
    match outcome {
        Outcome::AlreadyComplete => say!("the interrupted sweep was complete; put it in place"),
        Outcome::Completed { ran, resumed } => {
            if resumed > 0 {
                say!("resumed after {resumed} complete runs");
            }
            say!(
                "ran {ran} runs in {secs:.1} s ({:.1} runs/s)",
                ran as f64 / secs.max(1e-9)
            );
        }
    }
    report_files(&plan, &target, shard);
    Ok(())
}

fn report_files(plan: &Plan, dir: &Path, shard: Shard) {
    let mut names = files::manifest(plan, shard).files;
    names.retain(|n| dir.join(n).exists());
    say!("wrote {}/{{{}}}", dir.display(), names.join(", "));
    if shard == Shard::WHOLE && analysis::has_sensitivity(plan) {
        print_sensitivity(&dir.join(files::SENSITIVITY));
    }
    if shard == Shard::WHOLE && plan.explore.is_some() {
        super::explore::print_robustness(dir);
    }
}

/// Prints the indices of one headline metric, most influential first.
fn print_sensitivity(path: &Path) {
    let Ok(rows) = crate::results::read_rows::<SensitivityRow>(path) else {
        return;
    };
    let metric = Metric::PerformativeShare;
    let rows: Vec<&SensitivityRow> = rows
        .iter()
        .filter(|r| r.metric == metric && r.statistic == Statistic::Final)
        .collect();
    let key = if rows.iter().any(|r| r.index == Index::ST) {
        Index::ST
    } else {
        Index::MuStar
    };
    let find = |p: &str, ix: Index| rows.iter().find(|r| r.parameter == p && r.index == ix);
    let mut order: Vec<&str> = rows
        .iter()
        .filter(|r| r.index == key)
        .map(|r| r.parameter.as_str())
        .collect();
    let size = |p: &str| find(p, key).map_or(0.0, |r| r.estimate);
    order.sort_by(|a, b| size(b).total_cmp(&size(a)));
    say!("sensitivity of {metric} (final week), most influential first:");
    let fmt = |p: &str, ix: Index| {
        find(p, ix).map_or(String::new(), |r| {
            if r.ci_low.is_finite() {
                format!(
                    "{} {:.3} [{:.3}, {:.3}]",
                    ix.word(),
                    r.estimate,
                    r.ci_low,
                    r.ci_high
                )
            } else {
                format!("{} {:.3}", ix.word(), r.estimate)
            }
        })
    };
    for p in order {
        if key == Index::ST {
            say!("  {p:<28} {:<30} {}", fmt(p, Index::S1), fmt(p, Index::ST));
        } else {
            say!(
                "  {p:<28} {:<34} {}",
                fmt(p, Index::MuStar),
                fmt(p, Index::Sigma)
            );
        }
    }
}

pub(crate) fn merge_dirs(
    dirs: &[PathBuf],
    out: &Path,
    force: bool,
    quiet: bool,
) -> anyhow::Result<()> {
    let staging_for = |plan: &Plan| {
        Staging::begin(
            out,
            &Identity {
                kind: plan.kind().into(),
                scenario: plan.scenario.name.clone(),
                input_sha256: plan.scenario.input_sha256.clone(),
            },
            force,
        )
    };
    let (plan, staging) = merge::merge(dirs, staging_for)?;
    let charts = super::default_charts(staging.path())?;
    super::warn_all(staging.warnings());
    super::warn_all(&staging.commit()?);
    super::charts_written(Some(charts), out, quiet);
    if !quiet {
        say!(
            "merged {} shards: {} points x {} replicates",
            dirs.len(),
            plan.point_count(),
            plan.replicates()
        );
        report_files(&plan, out, Shard::WHOLE);
    }
    Ok(())
}

pub(crate) fn sensitivity(dir: &Path) -> anyhow::Result<()> {
    let _lock = lock_existing(dir)?;
    let path = analysis::sensitivity_for_dir(dir)?;
    say!("wrote {}", path.display());
    print_sensitivity(&path);
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct SlurmArgs {
    /// Scenario file with a [sweep] table.
    pub scenario: PathBuf,
    /// Number of shards (array tasks).
    #[arg(long, value_parser = super::usage::positive)]
    pub shards: usize,
    /// Directory of the merged result [default: output/<scenario-name>];
    /// scripts, logs and shards go to OUT.slurm/ beside it.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Slurm partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per task (HH:MM:SS).
    #[arg(long, default_value = "01:00:00", value_parser = super::usage::slurm_time)]
    pub time: String,
    /// CPUs per array task (the sweep uses them all).
    #[arg(long, default_value_t = 1, value_parser = super::usage::positive)]
    pub cpus_per_task: usize,
    /// Replicates per point (passed to every shard).
    #[arg(long, value_parser = super::usage::replicates)]
    pub replicates: Option<usize>,
    /// Submit the array and the dependent merge job and print their ids.
    #[arg(long)]
    pub submit: bool,
}

pub(crate) fn slurm(args: &SlurmArgs) -> anyhow::Result<()> {
    use crate::sweep::slurm::{SlurmPlan, array_script, merge_script, submit_script, work_dir};
    let sc = Scenario::load(&args.scenario)?;
    let plan = Plan::new(&sc)?;
    super::usage::ensure_usage!(
        args.shards <= plan.point_count().max(1),
        "--shards {} exceeds the sweep's {} points; use at most one shard per point",
        args.shards,
        plan.point_count()
    );
    let abs = |p: &Path| {
        std::path::absolute(p).map_err(|e| anyhow::anyhow!("cannot resolve {}: {e}", p.display()))
    };
    let out = abs(&args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&sc.name)))?;
    let scenario = abs(&args.scenario)?;
    let binary = std::env::current_exe()
        .map_err(|e| anyhow::anyhow!("cannot locate the goodhart binary: {e}"))?;
    let flags: Vec<String> = args
        .replicates
        .map(|r| vec!["--replicates".into(), r.to_string()])
        .unwrap_or_default();
    let work = work_dir(&out);
    let sp = SlurmPlan {
        binary: &binary,
        scenario: &scenario,
        out: &out,
        work: &work,
        shards: args.shards,
        partition: args.partition.as_deref(),
        time: &args.time,
        cpus_per_task: args.cpus_per_task,
        job_name: &sc.name,
        sweep_flags: &flags,
    };
    let write = |name: &str, text: String| -> anyhow::Result<PathBuf> {
        let path = work.join(name);
        crate::output::write_atomic(&path, text.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(path)
    };
    let array = write("sweep.sbatch", array_script(&sp))?;
    let merge = write("merge.sbatch", merge_script(&sp))?;
    let submit = write("submit.sh", submit_script(&sp))?;
    say!(
        "wrote {}, {} and {}",
        array.display(),
        merge.display(),
        submit.display()
    );
    if !args.submit {
        say!("submit with: {}", submit.display());
        return Ok(());
    }
    let sbatch = |extra: &[String], script: &Path| -> anyhow::Result<String> {
        let o = std::process::Command::new("sbatch")
            .arg("--parsable")
            .args(extra)
            .arg(script)
            .output()
            .map_err(|e| {
                anyhow::anyhow!("cannot run sbatch ({e}); is Slurm installed and on PATH?")
            })?;
        anyhow::ensure!(
            o.status.success(),
            "sbatch {} failed: {}",
            script.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        );
        let id = String::from_utf8_lossy(&o.stdout)
            .trim()
            .split(';')
            .next()
            .unwrap_or("")
            .to_string();
        anyhow::ensure!(!id.is_empty(), "sbatch printed no job id");
        Ok(id)
    };
    let array_id = sbatch(&[], &array)?;
    let merge_id = sbatch(&[format!("--dependency=afterok:{array_id}")], &merge)?;
    say!(
        "submitted array job {array_id} ({} tasks) and merge job {merge_id} (after the array succeeds)",
        args.shards
    );
    say!("merged results will appear in {}", out.display());
    Ok(())
}
