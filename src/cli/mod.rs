//! The command-line interface: flags in, validated settings out, commands
//! dispatched. This is the only layer that prints or sets exit codes.
//!
//! Exit codes: 0 success, 1 invalid input or failed command (with a
//! message naming the file, line and fix), 2 bad command-line usage:
//! clap's own errors, flag values out of range ([`usage`]) and
//! [`usage::UsageError`]s found after parsing.
//!
//! The doc comments of the argument types below are clap's `--help` text,
//! read by users as plain text (`[sweep]`, `[run] seed`,
//! `output/<scenario-name>`), not as rustdoc's links and HTML.
#![allow(
    rustdoc::broken_intra_doc_links,
    rustdoc::private_intra_doc_links,
    rustdoc::invalid_html_tags
)]

/// `println!` that never panics: output to a closed pipe (`| head`) is
/// dropped instead.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

mod bench;
mod explore;
mod info;
mod run;
mod sweep;
pub mod usage;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// goodhart: simulate how AI-usage metrics change people's behaviour.
#[derive(Parser, Debug)]
#[command(name = "goodhart", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario's replicates and write weekly.csv, summary.csv and
    /// manifest.json (and with --agents, agents.csv).
    Run(RunArgs),
    /// Run a [sweep] design (grid, lhs, sobol, morris) with replicates,
    /// streaming runs.csv, aggregate.csv and (sobol/morris) sensitivity.csv.
    Sweep(sweep::SweepArgs),
    /// Run an [explore] table: every policy in every sampled world (common
    /// random numbers), then robustness per policy (outcomes, regret,
    /// satisficing share) and scenario discovery (PRIM boxes of the worlds
    /// where a policy fails). Streams, resumes, shards and merges like
    /// sweep.
    Explore(sweep::SweepArgs),
    /// Write (and with --submit, submit) Slurm job scripts that run a sweep
    /// as a job array of shards followed by a dependent merge job.
    Slurm(sweep::SlurmArgs),
    /// Join shard directories of one sweep into the unsharded result.
    Merge {
        /// Shard directories (any order).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Directory for the merged result.
        #[arg(long)]
        out: PathBuf,
        /// Replace a directory that holds another scenario's or another
        /// kind of results.
        #[arg(long)]
        force: bool,
        /// Print nothing but errors.
        #[arg(long)]
        quiet: bool,
    },
    /// Draw charts (PNG and SVG) from a result directory into DIR/charts/,
    /// from its result files alone (nothing is re-simulated).
    Plot {
        /// A run or sweep result directory.
        dir: PathBuf,
        /// Metrics to chart [default: the headline set].
        #[arg(long = "metric")]
        metrics: Vec<String>,
        /// Which files to write.
        #[arg(long, value_enum, default_value_t = FormatArg::Both)]
        format: FormatArg,
    },
    /// Write a self-contained HTML report (charts inlined as SVG) and a
    /// Markdown twin from one or more result directories.
    Report {
        /// Result directories of `goodhart run` or `goodhart sweep`.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// HTML file [default: DIR/report.html for one directory,
        /// output/report.html for several]; the Markdown twin gets .md.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The report's title [default: "goodhart report:" and the
        /// scenarios' names].
        #[arg(long)]
        title: Option<String>,
    },
    /// Measure engine throughput (agent-weeks per second, 1 and all
    /// threads), nanoseconds per agent-week and memory per employee.
    Bench(bench::BenchArgs),
    /// Start the interactive policy explorer: a local web page with every
    /// lever as a control, recomputing the charts as you change them.
    Serve {
        /// Scenario to start from [default: the shipped amazon-2026].
        file: Option<PathBuf>,
        /// Port to listen on (0: any free port).
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// Address to listen on. Anything but a loopback address exposes
        /// the explorer to the network (a warning is printed).
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Open the page in the default browser.
        #[arg(long)]
        open: bool,
    },
    /// Run the model's validation suite and print each property with the
    /// measured figure, the expected figure or bound, and pass/fail.
    Check {
        /// Smaller experiments (seconds instead of about a minute).
        #[arg(long)]
        quick: bool,
    },
    /// Run every scenario in a directory and write its index with headline
    /// results (Markdown), e.g. scenarios/README.md.
    Catalogue {
        /// Directory of scenario files.
        dir: PathBuf,
        /// Output file [default: print to standard output].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Recompute sensitivity.csv (Sobol or Morris indices) of a sweep directory.
    Sensitivity {
        /// A complete sweep directory.
        dir: PathBuf,
    },
    /// Check scenario files and report every problem with file:line:column.
    Validate {
        /// Scenario files to check.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// List every parameter with its default, unit, allowed range and meaning.
    Params {
        /// Output format.
        #[arg(long, value_enum, default_value_t = info::ParamsFormat::Text)]
        format: info::ParamsFormat,
    },
    /// Write a fully commented scenario template (NAME.toml).
    Init {
        /// Scenario name, or a path ending in .toml.
        name: String,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

/// `--format` of `plot`: which chart files to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Png,
    Svg,
    Both,
}

impl From<FormatArg> for crate::charts::Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Png => crate::charts::Format::Png,
            FormatArg::Svg => crate::charts::Format::Svg,
            FormatArg::Both => crate::charts::Format::Both,
        }
    }
}

/// Flags shared by `run` and `sweep`.
#[derive(clap::Args, Debug)]
pub struct CommonArgs {
    /// Output directory [default: output/<scenario-name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace a result directory that holds another scenario's or
    /// another kind of results (or, for `sweep`, an interrupted sweep).
    #[arg(long)]
    pub force: bool,
    /// Number of replicates (overrides the scenario's).
    #[arg(long, value_parser = usage::replicates)]
    pub replicates: Option<usize>,
    /// Master seed (overrides [run] seed).
    #[arg(long, value_parser = usage::seed)]
    pub seed: Option<u64>,
    /// Number of employees (overrides [organisation] employees).
    #[arg(long, value_parser = usage::employees)]
    pub employees: Option<usize>,
    /// Number of weeks (overrides [organisation] weeks).
    #[arg(long, value_parser = usage::weeks)]
    pub weeks: Option<usize>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_parser = usage::threads)]
    pub threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
    /// Do not draw the default charts.
    #[arg(long)]
    pub no_charts: bool,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Also write agents.csv: every employee of every run after these
    /// weeks (week numbers and `last`, comma-separated, e.g. 0,25,51; or
    /// `all`).
    #[arg(long, value_name = "WEEKS", value_parser = usage::agent_weeks)]
    pub agents: Option<usage::AgentWeeks>,
}

/// Parses the command line, runs the command and maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    choose_instruction_set(&cli.command);
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Explore(args) => sweep::explore(&args),
        Command::Slurm(args) => sweep::slurm(&args),
        Command::Merge {
            dirs,
            out,
            force,
            quiet,
        } => sweep::merge_dirs(&dirs, &out, force, quiet),
        Command::Sensitivity { dir } => sweep::sensitivity(&dir),
        Command::Plot {
            dir,
            metrics,
            format,
        } => plot(&dir, &metrics, format.into()),
        Command::Report { dirs, out, title } => report(&dirs, out, title.as_deref()),
        Command::Check { quick } => check(quick),
        Command::Bench(args) => bench::bench(&args),
        Command::Serve {
            file,
            port,
            bind,
            open,
        } => serve(file.as_deref(), port, bind, open),
        Command::Catalogue { dir, out } => catalogue(&dir, out.as_deref()),
        Command::Validate { scenarios } => info::validate(&scenarios),
        Command::Params { format } => {
            info::params(format);
            Ok(())
        }
        Command::Init { name, force } => info::init(&name, force),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report_error(&e),
    }
}

/// What the weekly step runs on: GOODHART_SIMD=unfused|baseline|avx2|avx512 caps
/// its instruction set (same results, other speed); otherwise commands
/// that simulate choose the fastest level this CPU has by timing them
/// ([`crate::bench::choose_level_by_measurement`]). A CPU without FMA gets
/// a warning, once.
fn choose_instruction_set(command: &Command) {
    use crate::model::simd;
    if !simd::has_fma() && !matches!(command, Command::Params { .. } | Command::Init { .. }) {
        eprintln!("{}", simd::NO_FMA_WARNING);
    }
    if let Ok(name) = std::env::var("GOODHART_SIMD") {
        match simd::Level::from_name(&name) {
            Some(level) => simd::set_cap(level),
            None => eprintln!(
                "warning: GOODHART_SIMD={name:?} is not a level (unfused, baseline, avx2, avx512); ignored"
            ),
        }
        return;
    }
    let simulates = matches!(
        command,
        Command::Run(_)
            | Command::Sweep(_)
            | Command::Explore(_)
            | Command::Slurm(_)
            | Command::Check { .. }
            | Command::Bench(_)
            | Command::Serve { .. }
            | Command::Catalogue { .. }
    );
    if simulates {
        let timings = crate::bench::choose_level_by_measurement();
        let _ = LEVEL_TIMINGS.set(timings);
    }
}

/// The timings behind the instruction-set choice (for `goodhart bench`).
pub(crate) static LEVEL_TIMINGS: std::sync::OnceLock<Vec<(crate::model::simd::Level, f64)>> =
    std::sync::OnceLock::new();

/// Prints an error and returns its exit code: 2 for bad usage (worded as
/// clap words its own), 1 for bad input or a failed command.
fn report_error(e: &anyhow::Error) -> ExitCode {
    let message = e.to_string();
    eprintln!("error: {message}");
    // Causes already quoted in the message are not repeated.
    for cause in e.chain().skip(1).map(|c| c.to_string()) {
        if !message.contains(&cause) {
            eprintln!("  caused by: {cause}");
        }
    }
    if e.downcast_ref::<usage::UsageError>().is_some() {
        eprintln!("\nFor more information, try '--help'.");
        return ExitCode::from(2);
    }
    ExitCode::FAILURE
}

fn plot(
    dir: &std::path::Path,
    metrics: &[String],
    format: crate::charts::Format,
) -> anyhow::Result<()> {
    use crate::model::metrics::{Metric, WeekMetrics};
    let mut chosen = Vec::new();
    for m in metrics {
        let suggestion = crate::params::registry::closest(WeekMetrics::NAMES.iter().copied(), m)
            .map_or_else(
                || format!("metrics are: {}", WeekMetrics::NAMES.join(", ")),
                |c| format!("did you mean `{c}`?"),
            );
        let Some(metric) = Metric::from_name(m) else {
            return Err(
                usage::UsageError(format!("--metric {m:?} is not a metric; {suggestion}")).into(),
            );
        };
        chosen.push(metric);
    }
    let files = crate::charts::defaults::plot(dir, &chosen, format)?;
    say!(
        "wrote {} chart files to {}",
        files.len(),
        dir.join("charts").display()
    );
    for f in files {
        say!("  {}", f.display());
    }
    Ok(())
}

fn catalogue(dir: &std::path::Path, out: Option<&std::path::Path>) -> anyhow::Result<()> {
    let md = crate::catalogue::catalogue(dir)?;
    match out {
        Some(path) => {
            crate::output::write_atomic(path, md.as_bytes())?;
            say!("wrote {}", path.display());
        }
        None => say!("{md}"),
    }
    Ok(())
}

fn check(quick: bool) -> anyhow::Result<()> {
    use crate::validation::{Size, run_all};
    let size = if quick { Size::Quick } else { Size::Full };
    eprintln!(
        "checking the model's properties ({} employees, {} replicates per experiment)...",
        size.employees(),
        size.replicates()
    );
    let results = run_all(size);
    for (i, r) in results.iter().enumerate() {
        say!(
            "{:>2}. [{}] {}",
            i + 1,
            if r.pass { "pass" } else { "FAIL" },
            r.name
        );
        say!("      measured: {}", r.measured);
        say!("      expected: {}", r.expected);
    }
    let failed = results.iter().filter(|r| !r.pass).count();
    say!("{} passed, {} failed", results.len() - failed, failed);
    anyhow::ensure!(
        failed == 0,
        "{failed} of {} properties failed",
        results.len()
    );
    Ok(())
}

/// The shipped scenario the explorer starts from without a file.
const EXPLORER_DEFAULT: &str = include_str!("../../scenarios/amazon-2026.toml");

fn serve(file: Option<&Path>, port: u16, bind: std::net::IpAddr, open: bool) -> anyhow::Result<()> {
    let base = match file {
        Some(f) => {
            std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?
        }
        None => EXPLORER_DEFAULT.to_string(),
    };
    // Refuse a bad file now, with its locations, rather than in the page.
    crate::scenario::Scenario::parse(
        &base,
        &file.map_or("amazon-2026.toml".into(), |f| f.display().to_string()),
        "explorer",
    )?;
    if !bind.is_loopback() {
        eprintln!(
            "warning: listening on {bind}: anyone who can reach this machine can use the explorer (and its CPU)"
        );
    }
    crate::serve::serve(base, std::net::SocketAddr::new(bind, port), |url| {
        say!("goodhart explorer at {url} (Ctrl-C to stop)");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        if open {
            let _ = std::process::Command::new("xdg-open").arg(url).spawn();
        }
    })?;
    Ok(())
}

fn report(dirs: &[PathBuf], out: Option<PathBuf>, title: Option<&str>) -> anyhow::Result<()> {
    let out = out.unwrap_or_else(|| match dirs {
        [one] => one.join("report.html"),
        _ => PathBuf::from("output").join("report.html"),
    });
    // Every result directory is locked like any other writer's: the report
    // may be written into one of them (the default for one directory), and
    // charts missing from a directory (a run with --no-charts) are drawn
    // into it for the Markdown twin's links. A directory named twice is
    // locked once.
    let mut seen = Vec::new();
    let mut locks = Vec::new();
    for d in dirs {
        let id = std::fs::canonicalize(d).unwrap_or_else(|_| d.clone());
        if !seen.contains(&id) {
            locks.push(crate::output::resultdir::lock_existing(d)?);
            seen.push(id);
        }
    }
    let (html, md) = crate::report::write_report(dirs, &out, title)?;
    drop(locks);
    say!(
        "wrote {} (self-contained) and {}",
        html.display(),
        md.display()
    );
    Ok(())
}

/// Draws the default charts of the result set in `dir` (a staging
/// directory); returns how many files, for [`charts_written`].
pub(crate) fn default_charts(dir: &Path) -> anyhow::Result<usize> {
    Ok(crate::charts::defaults::plot(dir, &[], crate::charts::Format::Both)?.len())
}

/// Prints warnings about a result directory (even when quiet: they say
/// where files went).
pub(crate) fn warn_all(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

/// Says where the charts of a committed result set are.
pub(crate) fn charts_written(files: Option<usize>, target: &Path, quiet: bool) {
    if let (Some(n), false) = (files, quiet) {
        say!("charts: {n} files in {}", target.join("charts").display());
    }
}

/// The results directory: `--out`, or `output/<scenario-name>`.
pub(crate) fn output_dir(out: &Option<PathBuf>, scenario: &str) -> PathBuf {
    out.clone()
        .unwrap_or_else(|| PathBuf::from("output").join(scenario))
}

/// Sets the size of rayon's global pool (the flag's range is checked by
/// clap: 1 to [`usage::MAX_THREADS`]).
pub(crate) fn set_threads(threads: Option<usize>) -> anyhow::Result<()> {
    if let Some(t) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .map_err(|e| anyhow::anyhow!("cannot start {t} threads: {e}"))?;
    }
    Ok(())
}
