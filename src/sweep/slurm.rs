//! Slurm job scripts for a sharded sweep: a job array with one task per
//! shard, and a merge job that runs after the whole array succeeded.
//!
//! Each array task runs `goodhart sweep --shard $SLURM_ARRAY_TASK_ID/N
//! --resume` into its own shard directory, so a failed or pre-empted task
//! can be resubmitted alone (`sbatch --array=3 sweep.sbatch`) and continues
//! where it stopped; sweeps are deterministic, so the merge gives the same
//! bytes however often tasks were retried.
//!
//! The scripts, logs and shard directories live in `OUT.slurm/` beside the
//! merged result `OUT/`, which the merge replaces as a whole result set.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// `OUT.slurm`: where the scripts, logs and shards of a sweep into `out`
/// go.
pub fn work_dir(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "results".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!("{name}.slurm"))
}

/// What the scripts run and where.
pub struct SlurmPlan<'a> {
    /// Absolute path of the goodhart binary on the cluster.
    pub binary: &'a Path,
    /// Absolute path of the scenario file.
    pub scenario: &'a Path,
    /// Absolute directory of the merged result.
    pub out: &'a Path,
    /// Absolute directory of scripts, logs and shards (`shards/NNN`):
    /// [`work_dir`] of `out`.
    pub work: &'a Path,
    pub shards: usize,
    pub partition: Option<&'a str>,
    pub time: &'a str,
    pub cpus_per_task: usize,
    pub job_name: &'a str,
    /// Extra `goodhart sweep` flags (e.g. `--replicates 3`).
    pub sweep_flags: &'a [String],
}

/// Quotes a string for a POSIX shell.
pub fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn header(p: &SlurmPlan, name: &str, log: &str) -> String {
    let mut s = String::from("#!/bin/bash\n");
    let _ = writeln!(s, "#SBATCH --job-name={name}");
    let _ = writeln!(s, "#SBATCH --time={}", p.time);
    let _ = writeln!(s, "#SBATCH --cpus-per-task={}", p.cpus_per_task);
    let _ = writeln!(s, "#SBATCH --ntasks=1");
    if let Some(part) = p.partition {
        let _ = writeln!(s, "#SBATCH --partition={part}");
    }
    let _ = writeln!(s, "#SBATCH --output={}", p.work.join(log).display());
    s
}

/// The job-array script: one task per shard.
pub fn array_script(p: &SlurmPlan) -> String {
    let mut s = header(p, &format!("{}-sweep", p.job_name), "sweep-%A_%a.log");
    let _ = writeln!(s, "#SBATCH --array=0-{}", p.shards - 1);
    let flags: String = p
        .sweep_flags
        .iter()
        .map(|f| format!(" {}", sh_quote(f)))
        .collect();
    let _ = write!(
        s,
        "# Shard $SLURM_ARRAY_TASK_ID of {n} of the sweep in {scenario}.\n\
         # Resubmit a failed task alone with: sbatch --array=<task> {me}\n\
         # (it resumes where it stopped; the merge gives the same bytes).\n\
         set -euo pipefail\n\
         shard=$(printf '%03d' \"$SLURM_ARRAY_TASK_ID\")\n\
         exec {bin} sweep {scenario} --shard \"$SLURM_ARRAY_TASK_ID/{n}\" --resume \\\n    \
         --out {work}/shards/\"$shard\" --threads \"${{SLURM_CPUS_PER_TASK:-1}}\" --quiet{flags}\n",
        n = p.shards,
        scenario = sh_quote(&p.scenario.display().to_string()),
        me = sh_quote(&p.work.join("sweep.sbatch").display().to_string()),
        bin = sh_quote(&p.binary.display().to_string()),
        work = sh_quote(&p.work.display().to_string()),
    );
    s
}

/// The merge script, submitted with `--dependency=afterok:<array job>`.
pub fn merge_script(p: &SlurmPlan) -> String {
    let mut s = header(p, &format!("{}-merge", p.job_name), "merge-%j.log");
    let dirs: Vec<String> = (0..p.shards)
        .map(|i| format!("{}/shards/{i:03}", sh_quote(&p.work.display().to_string())))
        .collect();
    let _ = write!(
        s,
        "# Joins the {n} shards into the unsharded result (byte-identical to a\n\
         # sweep run in one process) once every array task has succeeded.\n\
         set -euo pipefail\n\
         exec {bin} merge \\\n    {dirs} \\\n    --out {out} --quiet\n",
        n = p.shards,
        bin = sh_quote(&p.binary.display().to_string()),
        dirs = dirs.join(" \\\n    "),
        out = sh_quote(&p.out.display().to_string()),
    );
    s
}

/// A script that submits both jobs and prints their ids.
pub fn submit_script(p: &SlurmPlan) -> String {
    let dir = sh_quote(&p.work.display().to_string());
    format!(
        "#!/bin/bash\n\
         # Submits the sweep array, then the merge to run after it succeeded.\n\
         set -euo pipefail\n\
         array=$(sbatch --parsable {dir}/sweep.sbatch)\n\
         array=${{array%%;*}}\n\
         merge=$(sbatch --parsable --dependency=afterok:\"$array\" {dir}/merge.sbatch)\n\
         merge=${{merge%%;*}}\n\
         echo \"array job $array, merge job $merge\"\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan<'a>(flags: &'a [String]) -> SlurmPlan<'a> {
        SlurmPlan {
            binary: Path::new("/opt/goodhart"),
            scenario: Path::new("/data/my sweep.toml"),
            out: Path::new("/scratch/out"),
            work: Path::new("/scratch/out.slurm"),
            shards: 4,
            partition: Some("short"),
            time: "01:00:00",
            cpus_per_task: 2,
            job_name: "demo",
            sweep_flags: flags,
        }
    }

    #[test]
    fn array_script_runs_one_resumable_shard_per_task() {
        let flags = vec!["--replicates".to_string(), "3".to_string()];
        let s = array_script(&plan(&flags));
        assert!(s.starts_with("#!/bin/bash\n#SBATCH --job-name=demo-sweep\n"));
        assert!(s.contains("#SBATCH --array=0-3\n"));
        assert!(s.contains("#SBATCH --partition=short\n"));
        assert!(
            s.contains("sweep '/data/my sweep.toml' --shard \"$SLURM_ARRAY_TASK_ID/4\" --resume")
        );
        assert!(s.contains("--out /scratch/out.slurm/shards/\"$shard\""));
        assert!(s.contains("#SBATCH --output=/scratch/out.slurm/sweep-%A_%a.log"));
        assert_eq!(
            work_dir(Path::new("/scratch/out")),
            Path::new("/scratch/out.slurm")
        );
        assert!(s.ends_with(" --quiet --replicates 3\n"));
    }

    #[test]
    fn merge_script_lists_every_shard() {
        let s = merge_script(&plan(&[]));
        for i in 0..4 {
            assert!(s.contains(&format!("/scratch/out.slurm/shards/{i:03}")));
        }
        assert!(s.contains("--out /scratch/out --quiet"));
        assert!(submit_script(&plan(&[])).contains("--dependency=afterok:\"$array\""));
    }

    #[test]
    fn quoting_is_safe() {
        assert_eq!(sh_quote("plain/path.toml"), "plain/path.toml");
        assert_eq!(sh_quote("it's here"), "'it'\\''s here'");
    }
}
