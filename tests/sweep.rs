//! Integration tests of `goodhart sweep`, `merge` and `sensitivity`: the
//! real binary in temporary directories.

mod common;

use common::{goodhart, ok, text};
use goodhart::results::{RunRow, Statistic, read_rows};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GRID: &str = r#"
name = "grid-test"
[run]
seed = 11
[organisation]
employees = 150
weeks = 12
[policy]
assurance = 1.0
[sweep]
design = "grid"
replicates = 2
record = "weekly"
[sweep.parameters]
adoption_target = [0.0, 0.8]
leaderboard = ["none", "manager", "org"]
"#;

/// Every result file of a sweep directory (charts included), by name.
fn result_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            v.extend(
                result_files(&p)
                    .into_iter()
                    .map(|(n, b)| (format!("{name}/{n}"), b)),
            );
        } else {
            v.push((name, fs::read(&p).unwrap()));
        }
    }
    v.sort();
    v
}

fn assert_same_results(a: &Path, b: &Path) {
    let (fa, fb) = (result_files(a), result_files(b));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&fa),
        names(&fb),
        "different files in {} and {}",
        a.display(),
        b.display()
    );
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn setup(body: &str) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("s.toml");
    fs::write(&f, body).unwrap();
    (tmp, f.to_str().unwrap().to_string())
}

#[test]
fn sweep_files_are_identical_for_any_thread_count_and_shard_split() {
    let (tmp, f) = setup(GRID);
    let d = tmp.path();
    ok(
        d,
        &["sweep", &f, "--out", "one", "--threads", "1", "--quiet"],
    );
    ok(
        d,
        &["sweep", &f, "--out", "two", "--threads", "2", "--quiet"],
    );
    assert_same_results(&d.join("one"), &d.join("two"));
    let all = result_files(&d.join("one"));
    let names: Vec<&str> = all
        .iter()
        .map(|x| x.0.as_str())
        .filter(|n| !n.starts_with("charts/"))
        .collect();
    assert_eq!(
        names,
        ["aggregate.csv", "manifest.json", "points.csv", "runs.csv"]
    );
    let charts = all.iter().filter(|(n, _)| n.starts_with("charts/")).count();
    assert!(
        charts >= 4,
        "a grid sweep draws response curves and heatmaps"
    );

    // Typed rows, read by header name: 6 points x 2 replicates x (12
    // weeks + the final week + the run average), each with its point's
    // swept values.
    let runs: Vec<RunRow> = read_rows(&d.join("one/runs.csv")).unwrap();
    assert_eq!(runs.len(), 6 * 2 * 14);
    let finals: Vec<&RunRow> = runs
        .iter()
        .filter(|r| r.statistic == Statistic::Final)
        .collect();
    assert_eq!(finals.len(), 12);
    assert!(
        finals
            .iter()
            .all(|r| r.week == Some(11) && r.params.len() == 2)
    );
    let averages = runs.iter().filter(|r| r.statistic == Statistic::RunAverage);
    assert!(averages.clone().count() == 12 && averages.clone().all(|r| r.week.is_none()));
    let points = fs::read_to_string(d.join("one/points.csv")).unwrap();
    assert_eq!(points.lines().nth(3).unwrap(), "2,0.0,org");
    let aggregate = fs::read_to_string(d.join("one/aggregate.csv")).unwrap();
    assert!(
        aggregate.starts_with(
            "point,adoption_target,leaderboard,statistic,week,metric,n,mean,sd,ci_low,ci_high\n"
        ),
        "{}",
        aggregate.lines().next().unwrap()
    );

    for s in ["2/3", "0/3", "1/3"] {
        let out = format!("shard{}", &s[..1]);
        ok(d, &["sweep", &f, "--shard", s, "--out", &out, "--quiet"]);
    }
    ok(
        d,
        &[
            "merge", "shard1", "shard0", "shard2", "--out", "merged", "--quiet",
        ],
    );
    assert_same_results(&d.join("one"), &d.join("merged"));
}

#[test]
fn merge_refuses_mismatched_missing_or_repeated_shards() {
    let (tmp, f) = setup(GRID);
    let d = tmp.path();
    ok(
        d,
        &["sweep", &f, "--shard", "0/2", "--out", "a0", "--quiet"],
    );
    ok(
        d,
        &["sweep", &f, "--shard", "1/2", "--out", "a1", "--quiet"],
    );
    ok(
        d,
        &[
            "sweep",
            &f,
            "--shard",
            "1/2",
            "--out",
            "b1",
            "--replicates",
            "3",
            "--quiet",
        ],
    );
    let o = goodhart(d, &["merge", "a0", "b1", "--out", "m"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("different sweeps") && text(&o).contains("replicates"),
        "{}",
        text(&o)
    );
    let o = goodhart(d, &["merge", "a0", "--out", "m"]);
    assert!(text(&o).contains("shard 1/2 is missing"), "{}", text(&o));
    let o = goodhart(d, &["merge", "a0", "a0", "--out", "m"]);
    assert!(text(&o).contains("appears twice"), "{}", text(&o));
    assert!(
        !d.join("m/runs.csv").exists(),
        "a refused merge must write nothing"
    );

    let other = tmp.path().join("other.toml");
    fs::write(&other, GRID.replace("seed = 11", "seed = 12")).unwrap();
    ok(
        d,
        &[
            "sweep",
            other.to_str().unwrap(),
            "--shard",
            "1/2",
            "--out",
            "c1",
            "--quiet",
        ],
    );
    let o = goodhart(d, &["merge", "a0", "c1", "--out", "m"]);
    assert!(text(&o).contains("different sweeps"), "{}", text(&o));
    // Shards run with other command-line settings are other sweeps too.
    for (flag, value, says) in [
        ("--seed", "99", "seed"),
        ("--employees", "50", "employees"),
        ("--weeks", "3", "weeks"),
    ] {
        let out = format!("o{}", &flag[2..]);
        ok(
            d,
            &[
                "sweep", &f, "--shard", "1/2", "--out", &out, flag, value, "--quiet",
            ],
        );
        let o = goodhart(d, &["merge", "a0", &out, "--out", "m"]);
        assert_eq!(o.status.code(), Some(1), "{flag}: {}", text(&o));
        assert!(
            text(&o).contains("different sweeps") && text(&o).contains(says),
            "{flag}: {}",
            text(&o)
        );
    }
    ok(d, &["merge", "a0", "a1", "--out", "m", "--quiet"]);
    // A shard whose rows are not its own runs (copied from another shard,
    // or cut short) is refused, naming the file and line.
    let runs1 = fs::read(d.join("a1/runs.csv")).unwrap();
    fs::copy(d.join("a0/runs.csv"), d.join("a1/runs.csv")).unwrap();
    let o = goodhart(d, &["merge", "a0", "a1", "--out", "bad"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("a1/runs.csv: line 2: a row of point 0"),
        "{}",
        text(&o)
    );
    let mut cut = runs1.clone();
    cut.truncate(runs1.len() - 1);
    let last = cut.iter().rposition(|&b| b == b'\n').unwrap();
    fs::write(d.join("a1/runs.csv"), &cut[..=last]).unwrap();
    let o = goodhart(d, &["merge", "a0", "a1", "--out", "bad"]);
    assert!(
        text(&o).contains("complete runs of the shard's"),
        "{}",
        text(&o)
    );
    assert!(!d.join("bad").exists());
    fs::write(d.join("a1/runs.csv"), &runs1).unwrap();
    // The same overrides on every shard merge into the bytes of the
    // unsharded sweep with those overrides.
    for (i, out) in ["e0", "e1"].iter().enumerate() {
        let shard = format!("{i}/2");
        ok(
            d,
            &[
                "sweep",
                &f,
                "--shard",
                &shard,
                "--out",
                out,
                "--employees",
                "50",
                "--seed",
                "5",
                "--quiet",
            ],
        );
    }
    ok(d, &["merge", "e0", "e1", "--out", "em", "--quiet"]);
    ok(
        d,
        &[
            "sweep",
            &f,
            "--out",
            "ew",
            "--employees",
            "50",
            "--seed",
            "5",
            "--quiet",
        ],
    );
    assert_same_results(&d.join("ew"), &d.join("em"));
}

const SLOW: &str = r#"
name = "resume-test"
[organisation]
employees = 400
weeks = 30
[policy]
leaderboard = "org"
[sweep]
design = "lhs"
samples = 60
replicates = 2
[sweep.parameters]
adoption_target = [0.0, 0.95]
stake = [1.0, 8.0]
"#;

#[test]
fn an_interrupted_sweep_resumes_to_identical_files() {
    let (tmp, f) = setup(SLOW);
    let d = tmp.path();
    ok(d, &["sweep", &f, "--out", "clean", "--quiet"]);

    // Kill a sweep once some runs are on disk.
    let mut child = Command::new(env!("CARGO_BIN_EXE_goodhart"))
        .args(["sweep", &f, "--out", "killed", "--quiet", "--threads", "1"])
        .current_dir(d)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let partial = d.join(".killed.in-progress/runs.csv.partial");
    let start = Instant::now();
    while fs::read(&partial).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count()) < 20 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "sweep made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "sweep finished before it could be interrupted"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !d.join("killed").exists(),
        "the result directory may only appear, complete, when the sweep finishes"
    );

    // Without --resume, the interrupted sweep is neither lost nor mixed.
    let o = goodhart(d, &["sweep", &f, "--out", "killed"]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains("holds an interrupted sweep (")
            && t.contains("runs done")
            && t.contains("--resume")
            && t.contains("--force"),
        "{t}"
    );
    assert!(partial.exists());
    // Resuming it with other settings is refused too.
    let o = goodhart(
        d,
        &[
            "sweep",
            &f,
            "--out",
            "killed",
            "--resume",
            "--replicates",
            "3",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("other settings"), "{}", text(&o));

    // Tear the last line as a crash in mid-write would.
    let mut bytes = fs::read(&partial).unwrap();
    bytes.extend_from_slice(b"59,1,123,fin");
    fs::write(&partial, bytes).unwrap();

    ok(d, &["sweep", &f, "--out", "killed", "--resume", "--quiet"]);
    assert!(!partial.exists());
    assert_same_results(&d.join("clean"), &d.join("killed"));
    // Nothing but the two result directories and the scenario is left.
    let mut names: Vec<String> = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["clean", "killed", "s.toml"]);

    // Resuming a finished sweep changes nothing.
    let o = ok(d, &["sweep", &f, "--out", "killed", "--resume"]);
    assert!(
        text(&o).contains("already holds this complete sweep"),
        "{}",
        text(&o)
    );
    assert_same_results(&d.join("clean"), &d.join("killed"));
}

#[test]
fn sobol_sweep_writes_sensitivity_that_the_command_reproduces() {
    let body = r#"
name = "sobol-test"
[organisation]
employees = 120
weeks = 8
[policy]
adoption_target = 0.8
leaderboard = "org"
[sweep]
design = "sobol"
samples = 8
replicates = 1
bootstrap = 50
[sweep.parameters]
stake = [1.0, 8.0]
leaderboard = ["none", "org"]
"#;
    let (tmp, f) = setup(body);
    let d = tmp.path();
    ok(d, &["sweep", &f, "--out", "s", "--quiet"]);
    let sens = fs::read_to_string(d.join("s/sensitivity.csv")).unwrap();
    assert!(sens.starts_with("metric,statistic,week,parameter,index,estimate,ci_low,ci_high\n"));
    // 19 metrics x 2 statistics x 2 parameters x 2 indices.
    assert_eq!(sens.lines().count(), 1 + 19 * 2 * 2 * 2);
    assert!(
        sens.contains("performative_share,final,7,stake,ST,"),
        "{sens}"
    );
    assert!(
        sens.contains("performative_share,run_average,,stake,ST,"),
        "{sens}"
    );
    let points = fs::read_to_string(d.join("s/points.csv")).unwrap();
    assert_eq!(points.lines().count(), 1 + 8 * 4);
    assert!(points.starts_with("point,stake,leaderboard,unit_stake,unit_leaderboard\n"));
    let before = fs::read(d.join("s/sensitivity.csv")).unwrap();
    fs::remove_file(d.join("s/sensitivity.csv")).unwrap();
    ok(d, &["sensitivity", "s"]);
    assert_eq!(fs::read(d.join("s/sensitivity.csv")).unwrap(), before);
}

#[test]
fn sweep_errors_are_clear() {
    let (tmp, f) = setup("[organisation]\nemployees = 10\n");
    let o = goodhart(tmp.path(), &["sweep", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("has no [sweep] or [explore] table"),
        "{}",
        text(&o)
    );
    let (tmp, f) = setup("[sweep]\ndesign = \"grdi\"\n[sweep.parameters]\nstake = [1, 2]\n");
    let o = goodhart(tmp.path(), &["validate", &f]);
    assert!(text(&o).contains("did you mean \"grid\""), "{}", text(&o));
    let (tmp, f) =
        setup("[sweep]\ndesign = \"grid\"\n[sweep.parameters]\nstake = { low = 1, high = 2 }\n");
    let o = goodhart(tmp.path(), &["validate", &f]);
    assert!(text(&o).contains("a grid needs values"), "{}", text(&o));
    let (tmp, f) =
        setup("[sweep]\ndesign = \"lhs\"\n[sweep.parameters]\nadoption_target = [0.5, 1.5]\n");
    let o = goodhart(tmp.path(), &["validate", &f]);
    assert!(
        text(&o).contains("s.toml:4:") && text(&o).contains("out of range"),
        "{}",
        text(&o)
    );
    let o = goodhart(tmp.path(), &["sensitivity", "nowhere"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn shipped_sweep_scenarios_run() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let tmp = tempfile::tempdir().unwrap();
    let mut swept = 0;
    for e in fs::read_dir(&dir).unwrap() {
        let p: PathBuf = e.unwrap().path();
        if !fs::read_to_string(&p).unwrap().contains("\n[sweep]") {
            continue;
        }
        // Small (--employees, --weeks): this checks that they run, not
        // their figures.
        ok(
            tmp.path(),
            &[
                "sweep",
                p.to_str().unwrap(),
                "--replicates",
                "1",
                "--employees",
                "120",
                "--weeks",
                "6",
                "--quiet",
            ],
        );
        swept += 1;
    }
    assert!(
        swept >= 2,
        "scenarios/ must ship a grid sweep and a Sobol example"
    );
}
