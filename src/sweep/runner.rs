//! Streaming, resumable execution of a sweep (or of one shard of it) in
//! its work directory (the result directory's staging directory, which
//! survives an interruption: see [`crate::output::resultdir`]).
//!
//! Runs go in batches through rayon; each finished batch is appended, in
//! canonical (point, replicate) order, to `runs.csv.partial` and synced,
//! so memory does not grow with the number of runs. The partial file and
//! `sweep-in-progress.json` (the sweep's manifest, to recognise it) mark
//! an unfinished sweep. At the end the partial file is renamed to
//! `runs.csv` and the derived files are written. After a crash,
//! `--resume` keeps the complete runs of the partial file, cuts off a torn
//! tail and continues: the final bytes are the same as those of an
//! uninterrupted sweep.

use super::files::{self, MANIFEST, PROGRESS, RUNS, RUNS_PARTIAL};
use super::{Plan, Shard, SweepError, analysis};
use crate::batch::{self, Job, Sink};
use crate::model::metrics::WeekMetrics;
use crate::output::{io_error, write_atomic};
use crate::results::RunRow;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

/// The (point, replicate) pairs of a shard, point-major.
struct Jobs {
    first_point: usize,
    replicates: usize,
    len: usize,
}

impl Jobs {
    fn get(&self, i: usize) -> (usize, usize) {
        (self.first_point + i / self.replicates, i % self.replicates)
    }
}

/// How a call to [`execute`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Ran `ran` runs, after `resumed` runs found complete on disk.
    Completed { ran: usize, resumed: usize },
    /// The directory already held this complete sweep.
    AlreadyComplete,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> SweepError + '_ {
    move |source| SweepError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Runs (or resumes) `shard` of `plan` in the work directory `dir`;
/// `progress(done, total)` is called after each batch.
pub fn execute(
    plan: &Plan,
    dir: &Path,
    shard: Shard,
    resume: bool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Outcome, SweepError> {
    let manifest = files::manifest_json(plan, shard);
    let points = shard.points(plan.point_count());
    let reps = plan.replicates();
    // Job i of this shard is (point, replicate), point-major; computed on
    // the fly so that memory does not grow with the number of runs.
    let jobs = Jobs {
        first_point: points.start,
        replicates: reps,
        len: points.len() * reps,
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let progress_path = dir.join(PROGRESS);
    let partial = dir.join(RUNS_PARTIAL);

    let mut done = 0;
    let mut fresh = true;
    if resume {
        if let Some(found) = older_format(&progress_path) {
            return Err(SweepError::Invalid(format!(
                "the interrupted sweep was started by an older goodhart (result format {found}, this one writes {}), so its runs cannot be resumed; pass --force instead of --resume to start over",
                crate::results::FORMAT_VERSION
            )));
        }
        match std::fs::read(&progress_path) {
            Ok(bytes) if bytes != manifest => {
                return Err(SweepError::Invalid(
                    "the interrupted sweep was started with other settings (scenario file, design, replicates, record, seed, employees or weeks); resume it with the same file and flags, or pass --force instead of --resume to discard it and start over".into(),
                ));
            }
            Ok(_) if !partial.exists() && dir.join(RUNS).exists() => {
                // Interrupted after runs.csv was complete: only finish.
                finalize(plan, dir, shard, &manifest)?;
                std::fs::remove_file(&progress_path).map_err(io(&progress_path))?;
                return Ok(Outcome::Completed {
                    ran: 0,
                    resumed: jobs.len,
                });
            }
            Ok(_) if partial.exists() => {
                done = complete_runs(plan, &partial, &jobs)?;
                fresh = false;
            }
            Ok(_) => {}
            Err(_) => match std::fs::read(dir.join(MANIFEST)) {
                Ok(bytes) if bytes == manifest && dir.join(RUNS).exists() => {
                    finalize(plan, dir, shard, &manifest)?;
                    return Ok(Outcome::AlreadyComplete);
                }
                Ok(_) if dir.join(RUNS).exists() => {
                    return Err(SweepError::Invalid(
                        "the interrupted sweep was started with other settings; pass --force instead of --resume to discard it and start over".into(),
                    ));
                }
                _ => {}
            },
        }
    }
    // The header line comes with the first chunk of rows.
    let mut out = if fresh {
        write_atomic(&progress_path, &manifest)?;
        File::create(&partial).map_err(io(&partial))?
    } else {
        OpenOptions::new()
            .append(true)
            .open(&partial)
            .map_err(io(&partial))?
    };

    let total = jobs.len;
    progress(done, total);
    let job = |i: usize| {
        let (p, r) = jobs.get(i);
        Job {
            params: plan.params(p),
            timeline: plan.timeline(p),
            seed: plan.seed(r),
        }
    };
    let mut sink = Append {
        plan,
        jobs: &jobs,
        out: &mut out,
        path: &partial,
        rows: Vec::new(),
        header: std::fs::metadata(&partial).map_or(true, |m| m.len() == 0),
        total,
        progress,
    };
    batch::run(done..total, job, &mut sink)?;
    let ran = total - done;
    out.sync_all().map_err(io(&partial))?;
    drop(out);
    let runs = dir.join(RUNS);
    std::fs::rename(&partial, &runs).map_err(io(&runs))?;
    finalize(plan, dir, shard, &manifest)?;
    std::fs::remove_file(&progress_path).map_err(io(&progress_path))?;
    Ok(Outcome::Completed { ran, resumed: done })
}

/// Appends each run's rows to the partial `runs.csv`, syncing after every
/// chunk, so an interruption loses at most the chunk in flight.
struct Append<'a> {
    plan: &'a Plan,
    jobs: &'a Jobs,
    out: &'a mut File,
    path: &'a Path,
    rows: Vec<RunRow>,
    /// Whether the file still needs its header line.
    header: bool,
    total: usize,
    progress: &'a mut dyn FnMut(usize, usize),
}

impl Sink for Append<'_> {
    type Error = SweepError;

    fn take(&mut self, job: usize, weeks: Vec<WeekMetrics>) -> Result<(), SweepError> {
        let (p, r) = self.jobs.get(job);
        self.rows.extend(files::run_rows(self.plan, p, r, &weeks));
        Ok(())
    }

    fn chunk_done(&mut self, done: usize) -> Result<(), SweepError> {
        let text = crate::results::csv_text(self.rows.drain(..), self.header).map_err(|e| {
            SweepError::Output(crate::output::OutputError::Encode {
                path: self.path.display().to_string(),
                message: e.to_string(),
            })
        })?;
        self.header = false;
        self.out.write_all(&text).map_err(io(self.path))?;
        self.out.sync_data().map_err(io(self.path))?;
        (self.progress)(done, self.total);
        Ok(())
    }
}

/// Writes the files derived from a complete `runs.csv`: points,
/// aggregate, sensitivity (whole sweeps with a sensitivity design) and
/// the manifest, last.
pub fn finalize(plan: &Plan, dir: &Path, shard: Shard, manifest: &[u8]) -> Result<(), SweepError> {
    crate::output::write_rows(&dir.join(files::POINTS), files::point_rows(plan))?;
    analysis::write_aggregate(plan, &dir.join(RUNS), &dir.join(files::AGGREGATE))?;
    if shard == Shard::WHOLE && analysis::has_sensitivity(plan) {
        analysis::write_sensitivity(plan, &dir.join(RUNS), &dir.join(files::SENSITIVITY))?;
    }
    if shard == Shard::WHOLE
        && let Some(e) = &plan.explore
    {
        let outcomes = super::explore::write_files(plan, e, dir)?;
        super::discovery::write_files(plan, e, &outcomes, dir)?;
    }
    write_atomic(&dir.join(MANIFEST), manifest)?;
    Ok(())
}

/// The result format of an interrupted sweep's progress file, if it is
/// not this goodhart's.
fn older_format(progress: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(progress).ok()?;
    let header: crate::results::manifest::Header = serde_json::from_str(&text).ok()?;
    (header.format_version != crate::results::FORMAT_VERSION).then_some(header.format_version)
}

/// How far the unfinished sweep in work directory `dir` got, for
/// messages: "412 of 1000 runs done".
pub fn progress_text(plan: &Plan, dir: &Path, shard: Shard) -> String {
    if older_format(&dir.join(PROGRESS)).is_some() {
        return "started by an older goodhart, so only --force can start it over".into();
    }
    let points = shard.points(plan.point_count());
    let jobs = Jobs {
        first_point: points.start,
        replicates: plan.replicates(),
        len: points.len() * plan.replicates(),
    };
    match count_complete_runs(plan, &dir.join(RUNS_PARTIAL), &jobs) {
        Ok((done, _)) => format!("{done} of {} runs done", jobs.len),
        Err(_) if dir.join(RUNS).exists() => "all runs done, not yet put in place".into(),
        Err(_) => "no runs done yet".into(),
    }
}

/// The complete runs at the start of a partial `runs.csv`, in the
/// expected order (each row read by its header into a typed row), and the
/// length of the file they fill (0 if even the header line is torn).
fn count_complete_runs(
    plan: &Plan,
    partial: &Path,
    jobs: &Jobs,
) -> Result<(usize, u64), SweepError> {
    let file = File::open(partial).map_err(io(partial))?;
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    let header_len = reader.read_line(&mut line).map_err(io(partial))?;
    if !line.ends_with('\n') {
        return Ok((0, 0));
    }
    let fields = |text: &str| {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .next()
            .and_then(Result::ok)
    };
    let Some(headers) = fields(&line) else {
        return Ok((0, 0));
    };
    let mut keep = header_len as u64;
    let mut pos = keep;
    let mut complete = 0;
    let mut rows_in_run = 0;
    while complete < jobs.len {
        let (p, r) = jobs.get(complete);
        line.clear();
        let n = reader.read_line(&mut line).map_err(io(partial))?;
        // A torn line (no newline, or not a whole row) ends the complete
        // part.
        let row = fields(&line).and_then(|rec| rec.deserialize::<RunRow>(Some(&headers)).ok());
        if n == 0
            || !line.ends_with('\n')
            || !row.is_some_and(|row| row.point == p && row.replicate == r)
        {
            break;
        }
        pos += n as u64;
        rows_in_run += 1;
        if rows_in_run == plan.rows_per_run(p) {
            complete += 1;
            rows_in_run = 0;
            keep = pos;
        }
    }
    Ok((complete, keep))
}

/// Counts the complete runs at the start of a partial `runs.csv` and
/// truncates anything after them (a torn last write).
fn complete_runs(plan: &Plan, partial: &Path, jobs: &Jobs) -> Result<usize, SweepError> {
    let (complete, keep) = count_complete_runs(plan, partial, jobs)?;
    let f = OpenOptions::new()
        .write(true)
        .open(partial)
        .map_err(io(partial))?;
    f.set_len(keep)
        .map_err(|e| SweepError::Output(io_error(partial, e)))?;
    f.sync_all().map_err(io(partial))?;
    Ok(complete)
}
