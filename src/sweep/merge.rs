//! `goodhart merge`: joins the shards of one sweep into the files the
//! unsharded sweep would have written, byte for byte.
//!
//! Each shard directory's manifest is checked: all must describe the same
//! sweep (same scenario text, design, replicates, record and seed), have
//! the same shard count, and together cover every shard exactly once.

use super::files::{self, PROGRESS, RUNS};
use super::{Plan, Shard, SweepError, runner};
use crate::output::resultdir::{DirError, Staging};
use crate::output::{AtomicFile, io_error};
use crate::results::RunRow;
use std::io::Write;
use std::path::PathBuf;

/// Merges shard directories `dirs` into a new result set: once the shards
/// are found to make one whole sweep, `staging` (given its plan) prepares
/// the directory the set is written to; the caller commits it.
pub fn merge(
    dirs: &[PathBuf],
    staging: impl FnOnce(&Plan) -> Result<Staging, DirError>,
) -> Result<(Plan, Staging), SweepError> {
    if dirs.is_empty() {
        return Err(SweepError::Invalid(
            "give the shard directories to merge".into(),
        ));
    }
    let mut shards: Vec<(Shard, &PathBuf, Plan)> = Vec::new();
    for d in dirs {
        if crate::output::resultdir::Identity::of_dir(d)
            .ok()
            .flatten()
            .is_some_and(|id| id.kind == "run")
        {
            return Err(SweepError::Invalid(format!(
                "{} holds the results of a `goodhart run`, not a sweep shard",
                d.display()
            )));
        }
        if d.join(PROGRESS).exists() || !d.join(RUNS).exists() {
            return Err(SweepError::Invalid(format!(
                "{} is not a finished sweep shard (finish it with `goodhart sweep ... --resume`)",
                d.display()
            )));
        }
        let (plan, shard) = files::plan_from_dir(d)?;
        shards.push((shard, d, plan));
    }
    let whole = files::manifest_json(&shards[0].2, Shard::WHOLE);
    let first = shards[0].1.display().to_string();
    for (shard, d, plan) in &shards {
        if files::manifest_json(plan, Shard::WHOLE) != whole {
            return Err(SweepError::Invalid(format!(
                "{} and {first} are shards of different sweeps ({}); merge only shards of one sweep",
                d.display(),
                difference(&shards[0].2, plan)
            )));
        }
        if shard.count != shards[0].0.count {
            return Err(SweepError::Invalid(format!(
                "{} is shard {}/{} but {first} is of {} shards",
                d.display(),
                shard.index,
                shard.count,
                shards[0].0.count
            )));
        }
    }
    let count = shards[0].0.count;
    shards.sort_by_key(|(s, _, _)| s.index);
    for (i, (s, d, _)) in shards.iter().enumerate() {
        if s.index != i {
            let what = if s.index < i {
                format!("shard {} appears twice ({})", s.index, d.display())
            } else {
                format!("shard {i}/{count} is missing")
            };
            return Err(SweepError::Invalid(format!(
                "{what}; give each of the {count} shard directories once"
            )));
        }
    }
    if shards.len() != count {
        return Err(SweepError::Invalid(format!(
            "shard {}/{count} is missing; give each of the {count} shard directories once",
            shards.len()
        )));
    }
    let ordered: Vec<PathBuf> = shards.iter().map(|(_, d, _)| (*d).clone()).collect();
    let plan = shards.swap_remove(0).2;
    let staging = staging(&plan)?;
    let out = staging.path();
    // The shards' rows, read as typed rows (a malformed one is an error
    // naming its file and line) and written again: the same bytes.
    let runs = out.join(RUNS);
    let mut w = AtomicFile::create(&runs)?;
    let werr = |e| SweepError::Output(io_error(&runs, e));
    let mut header = true;
    for (index, d) in ordered.iter().enumerate() {
        // The rows must be exactly this shard's runs, in order: every
        // (point, replicate) of its points, each with all its rows.
        let points = Shard { index, count }.points(plan.point_count());
        let reps = plan.replicates();
        let total = points.len() * reps;
        let (mut run, mut rows_in_run, mut line) = (0usize, 0usize, 1u64);
        let path = d.join(RUNS);
        let corrupt = |message: String| SweepError::Corrupt {
            path: path.display().to_string(),
            message,
        };
        let mut chunk: Vec<RunRow> = Vec::new();
        let mut flush = |rows: &mut Vec<RunRow>, header: &mut bool| -> Result<(), SweepError> {
            let text = crate::results::csv_text(rows.drain(..), *header).map_err(|e| {
                SweepError::Output(crate::output::OutputError::Encode {
                    path: runs.display().to_string(),
                    message: e.to_string(),
                })
            })?;
            *header = false;
            w.write_all(&text).map_err(werr)
        };
        crate::results::each_row(&path, |row: RunRow| {
            line += 1;
            let (p, r) = (points.start + run / reps.max(1), run % reps.max(1));
            if run >= total || row.point != p || row.replicate != r {
                return Err(corrupt(format!(
                    "line {line}: a row of point {}, replicate {}, where the shard's run {} (point {p}, replicate {r}) was expected; run this shard again",
                    row.point,
                    row.replicate,
                    run + 1
                )));
            }
            rows_in_run += 1;
            if rows_in_run == plan.rows_per_run(p) {
                run += 1;
                rows_in_run = 0;
            }
            chunk.push(row);
            if chunk.len() >= 4096 {
                flush(&mut chunk, &mut header)?;
            }
            Ok::<(), SweepError>(())
        })?;
        if run != total || rows_in_run != 0 {
            return Err(corrupt(format!(
                "holds {run} complete runs of the shard's {total}; run this shard again"
            )));
        }
        flush(&mut chunk, &mut header)?;
    }
    w.commit()?;
    runner::finalize(&plan, out, Shard::WHOLE, &whole)?;
    Ok((plan, staging))
}

/// What differs between two sweeps, for error messages.
fn difference(a: &Plan, b: &Plan) -> String {
    let (sa, sb) = (&a.scenario, &b.scenario);
    if sa.name != sb.name {
        return format!("scenario `{}` vs `{}`", sa.name, sb.name);
    }
    if sa.input_sha256 != sb.input_sha256 {
        return "the scenario files differ".into();
    }
    if a.spec.design != b.spec.design {
        return format!(
            "design {} vs {}",
            a.spec.design.word(),
            b.spec.design.word()
        );
    }
    if sa.run.seed != sb.run.seed {
        return format!("seed {} vs {}", sa.run.seed, sb.run.seed);
    }
    if sa.params.employees != sb.params.employees || sa.params.weeks != sb.params.weeks {
        return format!(
            "{} employees x {} weeks vs {} x {}",
            sa.params.employees, sa.params.weeks, sb.params.employees, sb.params.weeks
        );
    }
    if a.spec.replicates != b.spec.replicates {
        return format!("{} vs {} replicates", a.spec.replicates, b.spec.replicates);
    }
    if a.spec.record != b.spec.record {
        return format!(
            "record {} vs {}",
            a.spec.record.word(),
            b.spec.record.word()
        );
    }
    "their settings differ".into()
}
