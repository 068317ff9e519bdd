//! A sweep through a real single-node Slurm cluster: the generated job
//! array and merge job must give files byte-identical to the same sweep run
//! locally, also after a failed task is resubmitted alone.
//!
//! Needs Debian's `slurm-wlm` and `munge` and root (`.ci/run` installs
//! them and sets `GOODHART_REQUIRE_SLURM=1`). Where they are missing the
//! test is compiled as ignored, with the reason (build.rs); when required,
//! a missing piece fails it. It starts munged (if not running), slurmctld
//! and slurmd itself and stops them by pid.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn which(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

/// Fails the test: it only runs where build.rs found Slurm, or where
/// GOODHART_REQUIRE_SLURM=1 demands it.
fn missing(reason: &str) -> ! {
    panic!("cannot run the Slurm test: {reason} (GOODHART_REQUIRE_SLURM=1 requires it)");
}

/// Daemons this test started, stopped by pid when dropped.
struct Cluster {
    conf: PathBuf,
    daemons: Vec<Child>,
    munged_pid: Option<i32>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("scontrol")
            .arg("shutdown")
            .env("SLURM_CONF", &self.conf)
            .stderr(Stdio::null())
            .status();
        for d in &mut self.daemons {
            let _ = d.kill();
            let _ = d.wait();
        }
        if let Some(pid) = self.munged_pid {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}

fn run(cmd: &mut Command) -> String {
    let o = cmd.output().expect("command runs");
    assert!(
        o.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn pid_alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn start_cluster(dir: &Path) -> Result<Cluster, String> {
    let host = run(Command::new("hostname").arg("-s")).trim().to_string();
    for sub in ["state", "spool"] {
        fs::create_dir_all(dir.join(sub)).map_err(|e| e.to_string())?;
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let d = dir.display();
    let conf = dir.join("slurm.conf");
    fs::write(
        &conf,
        format!(
            "ClusterName=test\nSlurmctldHost={host}(127.0.0.1)\nSlurmUser=root\nSlurmdUser=root\nAuthType=auth/munge\nCredType=cred/munge\n\
             MpiDefault=none\nProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nSelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n\
             SchedulerType=sched/backfill\nReturnToService=2\nStateSaveLocation={d}/state\nSlurmdSpoolDir={d}/spool\n\
             SlurmctldPidFile={d}/slurmctld.pid\nSlurmdPidFile={d}/slurmd.pid\nSlurmctldLogFile={d}/slurmctld.log\nSlurmdLogFile={d}/slurmd.log\n\
             AccountingStorageType=accounting_storage/none\nJobAcctGatherType=jobacct_gather/none\nJobCompType=jobcomp/none\n\
             NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=1000 State=UNKNOWN\nPartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    let mut cluster = Cluster {
        conf: conf.clone(),
        daemons: Vec::new(),
        munged_pid: None,
    };
    let munge_pid_file = Path::new("/run/munge/munged.pid");
    let running = fs::read_to_string(munge_pid_file)
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
        .filter(|&p| pid_alive(p));
    if running.is_none() {
        fs::create_dir_all("/run/munge").map_err(|e| e.to_string())?;
        let _ = Command::new("chown")
            .args(["munge:munge", "/run/munge"])
            .status();
        let ok = Command::new("runuser")
            .args(["-u", "munge", "--", "/usr/sbin/munged"])
            .status()
            .map_err(|e| e.to_string())?;
        if !ok.success() {
            return Err("munged did not start".into());
        }
        std::thread::sleep(Duration::from_millis(300));
        cluster.munged_pid = fs::read_to_string(munge_pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok());
    }
    for (daemon, args) in [("slurmctld", vec!["-D", "-i"]), ("slurmd", vec!["-D"])] {
        let child = Command::new(which(daemon).ok_or(format!("{daemon} not found"))?)
            .args(args)
            .env("SLURM_CONF", &conf)
            .stdout(fs::File::create(dir.join(format!("{daemon}.out"))).map_err(|e| e.to_string())?)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {daemon}: {e}"))?;
        cluster.daemons.push(child);
    }
    let start = Instant::now();
    loop {
        let o = Command::new("sinfo")
            .args(["-h", "-o", "%T"])
            .env("SLURM_CONF", &conf)
            .output();
        if o.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle") {
            return Ok(cluster);
        }
        if start.elapsed() > Duration::from_secs(60) {
            return Err("the Slurm node did not become idle within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn wait_for_job(conf: &Path, id: &str) {
    let start = Instant::now();
    loop {
        let out = run(Command::new("squeue")
            .args(["-h", "-j", id])
            .env("SLURM_CONF", conf));
        if out.trim().is_empty() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "job {id} still queued after 300 s: {out}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Waits for the array and merge jobs whose ids `goodhart slurm --submit`
/// printed in `out`.
fn wait_for_array_and_merge(conf: &Path, out: &str) {
    let ids: Vec<&str> = out
        .split_whitespace()
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert!(ids.len() >= 2, "no job ids in: {out}");
    wait_for_job(conf, ids[0]);
    wait_for_job(conf, ids[1]);
}

const SWEEP: &str = r#"
name = "slurm-test"
[organisation]
employees = 60
weeks = 8
[policy]
assurance = 1.0
[sweep]
design = "grid"
replicates = 2
[sweep.parameters]
adoption_target = [0.0, 0.5, 0.8, 0.9]
leaderboard = ["none", "org"]
"#;

fn same_results(a: &Path, b: &Path) {
    for f in ["points.csv", "runs.csv", "aggregate.csv", "manifest.json"] {
        let (x, y) = (fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap());
        assert!(
            x == y,
            "{f} differs between the local sweep and the Slurm sweep"
        );
    }
}

#[test]
#[cfg_attr(
    slurm_unavailable,
    ignore = "needs Slurm (Debian's slurm-wlm, munge) and root; .ci/run installs them and sets GOODHART_REQUIRE_SLURM=1"
)]
fn slurm_array_matches_local_sweep_and_exploration() {
    if which("sbatch").is_none() {
        missing("Slurm is not installed (Debian packages slurm-wlm and munge)");
    }
    if which("munged").is_none() || which("slurmctld").is_none() || which("slurmd").is_none() {
        missing("munge or a Slurm daemon is missing");
    }
    if run(Command::new("id").arg("-u")).trim() != "0" {
        missing("starting a test cluster needs root");
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let cluster = match start_cluster(&d.join("cluster")) {
        Ok(c) => c,
        Err(e) => missing(&format!("cannot start a single-node cluster: {e}")),
    };
    let conf = cluster.conf.clone();
    let bin = env!("CARGO_BIN_EXE_goodhart");
    fs::write(d.join("s.toml"), SWEEP).unwrap();
    run(Command::new(bin)
        .args([
            "sweep",
            "s.toml",
            "--out",
            "local",
            "--quiet",
            "--no-charts",
        ])
        .current_dir(d));

    let out = run(Command::new(bin)
        .args([
            "slurm",
            "s.toml",
            "--shards",
            "4",
            "--out",
            "cluster-out",
            "--submit",
        ])
        .env("SLURM_CONF", &conf)
        .current_dir(d));
    wait_for_array_and_merge(&conf, &out);
    let merged = d.join("cluster-out");
    assert!(
        merged.join("runs.csv").exists(),
        "merge job wrote nothing; logs in {}",
        d.join("cluster-out.slurm").display()
    );
    same_results(&d.join("local"), &merged);

    // A failed task, resubmitted alone, resumes; the merge is unchanged.
    let work = d.join("cluster-out.slurm");
    fs::remove_dir_all(work.join("shards/002")).unwrap();
    let script = work.join("sweep.sbatch");
    let id = run(Command::new("sbatch")
        .args(["--parsable", "--array=2"])
        .arg(&script)
        .env("SLURM_CONF", &conf));
    wait_for_job(&conf, id.trim().split(';').next().unwrap());
    let shards: Vec<String> = (0..4)
        .map(|i| format!("cluster-out.slurm/shards/{i:03}"))
        .collect();
    let mut args = vec!["merge".to_string()];
    args.extend(shards);
    args.extend(["--out".into(), "remerged".into(), "--quiet".into()]);
    run(Command::new(bin).args(&args).current_dir(d));
    same_results(&d.join("local"), &d.join("remerged"));

    // An exploration runs on the cluster too (its shards are sweep shards
    // of world x policy points), with the same files as locally.
    fs::write(d.join("e.toml"), EXPLORE).unwrap();
    run(Command::new(bin)
        .args([
            "explore",
            "e.toml",
            "--out",
            "local-explore",
            "--quiet",
            "--no-charts",
        ])
        .current_dir(d));
    let out = run(Command::new(bin)
        .args([
            "slurm",
            "e.toml",
            "--shards",
            "3",
            "--out",
            "cluster-explore",
            "--submit",
        ])
        .env("SLURM_CONF", &conf)
        .current_dir(d));
    wait_for_array_and_merge(&conf, &out);
    for f in [
        "points.csv",
        "runs.csv",
        "aggregate.csv",
        "worlds.csv",
        "outcomes.csv",
        "robustness.csv",
        "discovery_trajectory.csv",
        "discovery_boxes.csv",
        "manifest.json",
    ] {
        let (x, y) = (
            fs::read(d.join("local-explore").join(f)).unwrap(),
            fs::read(d.join("cluster-explore").join(f)).unwrap_or_default(),
        );
        assert!(
            x == y,
            "{f} differs between the local exploration and the Slurm one; logs in {}",
            d.join("cluster-explore.slurm").display()
        );
    }
    drop(cluster);
}

const EXPLORE: &str = r#"
name = "slurm-explore"
[organisation]
employees = 60
weeks = 8
[policy]
leaderboard = "org"
assurance = 1.0
[variants.no-board]
leaderboard = "none"
[explore]
worlds = 9
replicates = 2
[explore.uncertainties]
rationality = [2.0, 6.0]
status_drive = [0.5, 2.0]
[[explore.objectives]]
metric = "performative_share"
sense = "minimise"
threshold = 0.1
"#;
