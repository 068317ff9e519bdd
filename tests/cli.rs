//! Integration tests that run the real `goodhart` binary in temporary
//! directories, as a user would.

mod common;
use common::{goodhart, text};
use goodhart::model::metrics::Metric;
use goodhart::results::{RunManifest, Statistic, SummaryRow, WeeklyRow, read_rows};

use std::fs;
use std::path::{Path, PathBuf};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn shipped_scenarios() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(scenarios_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    assert!(
        v.len() >= 2,
        "scenarios/ must ship baseline and amazon-2026"
    );
    v
}

#[test]
fn every_shipped_scenario_validates_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    for path in shipped_scenarios() {
        let p = path.to_str().unwrap();
        let first = fs::read_to_string(&path).unwrap();
        assert!(
            first.starts_with('#'),
            "{p} must open with a comment saying which question it answers"
        );
        let o = goodhart(tmp.path(), &["validate", p]);
        assert!(o.status.success(), "{}", text(&o));
        let o = goodhart(tmp.path(), &["run", p, "--replicates", "2", "--quiet"]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(o.stdout.is_empty(), "--quiet printed: {}", text(&o));
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let out = tmp.path().join("output").join(stem);
        // The files read back into their typed rows, by header name.
        let weekly: Vec<WeeklyRow> = read_rows(&out.join("weekly.csv")).unwrap();
        let sc = goodhart::scenario::Scenario::load(&path).unwrap();
        assert_eq!(weekly.len(), sc.arms().len() * 2 * sc.params.weeks, "{p}");
        assert!(
            weekly
                .iter()
                .all(|r| r.statistic == Statistic::Week && r.week.is_some())
        );
        let header = fs::read_to_string(out.join("weekly.csv")).unwrap();
        assert!(
            header.starts_with("scenario,variant,replicate,seed,statistic,week,measured_adoption")
        );
        let summary: Vec<SummaryRow> = read_rows(&out.join("summary.csv")).unwrap();
        // Per arm, two statistics (final, run average) of every metric.
        assert_eq!(summary.len(), sc.arms().len() * 2 * Metric::ALL.len());
        // n counts the finite values (a validity can be NaN).
        assert!(
            summary
                .iter()
                .all(|r| r.n == 2 || (r.metric == Metric::MetricValidity && r.n < 2))
        );
        let manifest: RunManifest = goodhart::results::manifest::read(&out).unwrap();
        assert_eq!(manifest.replicates, 2);
        assert_eq!(manifest.header.input_sha256.len(), 64);
        assert!(manifest.parameters["rationality"].is_number());
        assert_eq!(manifest.scenario(&out).unwrap().params, sc.params);
    }
}

#[test]
fn run_prints_a_headline_table() {
    let tmp = tempfile::tempdir().unwrap();
    let amazon = scenarios_dir().join("amazon-2026.toml");
    let o = goodhart(
        tmp.path(),
        &[
            "run",
            amazon.to_str().unwrap(),
            "--replicates",
            "2",
            "--employees",
            "300",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for m in [
        "measured_adoption",
        "goodhart_gap",
        "95% CI",
        "output/amazon-2026",
    ] {
        assert!(out.contains(m), "missing {m} in:\n{out}");
    }
}

#[test]
fn bench_prints_throughput_and_memory_for_each_size() {
    let tmp = tempfile::tempdir().unwrap();
    let o = goodhart(
        tmp.path(),
        &[
            "bench",
            "--employees",
            "200",
            "1000",
            "--weeks",
            "3",
            "--threads",
            "2",
            "--min-secs",
            "0",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("2 threads Maw/s") && out.contains("agent B/empl."),
        "{out}"
    );
    for n in ["200", "1000"] {
        let row = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(n))
            .unwrap_or_else(|| panic!("no row for {n} in:\n{out}"));
        let cells: Vec<f64> = row
            .split_whitespace()
            .map(|c| c.parse().expect("numeric cell"))
            .collect();
        assert_eq!(cells.len(), 9, "{row}");
        // Rates and times positive and consistent: ns x Maw/s = 1000, up to
        // the printed rounding (Maw/s to 0.005, ns to 0.05).
        for (rate, ns) in [(cells[1], cells[2]), (cells[3], cells[4])] {
            let slack = 0.005 * ns + 0.05 * rate + 1e-9;
            assert!(rate > 0.0 && (ns * rate - 1000.0).abs() <= slack, "{row}");
        }
        assert!(cells[6] > 0.0 && cells[6] <= cells[7], "{row}");
    }
}

fn weekly_bytes(dir: &Path, extra: &[&str]) -> Vec<u8> {
    let amazon = scenarios_dir().join("amazon-2026.toml");
    let out = dir.join(extra.join("_"));
    let mut args = vec![
        "run",
        amazon.to_str().unwrap(),
        "--quiet",
        "--employees",
        "5000",
        "--weeks",
        "30",
        "--replicates",
        "3",
    ];
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend(extra);
    let o = goodhart(dir, &args);
    assert!(o.status.success(), "{}", text(&o));
    fs::read(out.join("weekly.csv")).unwrap()
}

#[test]
fn results_are_bit_identical_for_any_thread_count_and_rerun() {
    // 5,000 employees span three blocks of teams, so parallel work is
    // really split differently with one and with two threads.
    let tmp = tempfile::tempdir().unwrap();
    let one = weekly_bytes(tmp.path(), &["--threads", "1"]);
    let two = weekly_bytes(tmp.path(), &["--threads", "2"]);
    let three = weekly_bytes(tmp.path(), &["--threads", "3"]);
    let rerun = weekly_bytes(tmp.path(), &["--threads", "1"]);
    let other_seed = weekly_bytes(tmp.path(), &["--threads", "2", "--seed", "1"]);
    assert_eq!(one, two, "thread count changed the results");
    assert_eq!(one, three, "thread count changed the results");
    assert_eq!(one, rerun, "a repeated run changed the results");
    assert_ne!(
        one, other_seed,
        "a different seed must give different results"
    );
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    fs::write(&p, body).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn validate_reports_location_range_and_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        tmp.path(),
        "bad.toml",
        "[policy]\nadoption_target = 1.5\nleaderbord = \"org\"\n",
    );
    let o = goodhart(tmp.path(), &["validate", &f]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o);
    assert!(e.contains("bad.toml:2:19: 1.5 is out of range"), "{e}");
    assert!(e.contains("[0, 1]"), "{e}");
    assert!(e.contains("bad.toml:3:1: unknown key `leaderbord`"), "{e}");
    assert!(e.contains("did you mean `leaderboard`?"), "{e}");

    let f = write(
        tmp.path(),
        "syntax.toml",
        "[policy]\nadoption_target = 0.8\nassurance = \n",
    );
    let o = goodhart(tmp.path(), &["validate", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("syntax.toml:3:"), "{}", text(&o));

    let o = goodhart(tmp.path(), &["validate", "missing.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("cannot read scenario file missing.toml"),
        "{}",
        text(&o)
    );
}

#[test]
fn bad_input_never_destroys_existing_results() {
    let tmp = tempfile::tempdir().unwrap();
    let good = write(
        tmp.path(),
        "s.toml",
        "[organisation]\nemployees = 50\nweeks = 5\n",
    );
    let o = goodhart(tmp.path(), &["run", &good, "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let weekly = tmp.path().join("output/s/weekly.csv");
    let before = fs::read(&weekly).unwrap();
    write(tmp.path(), "s.toml", "[organisation]\nemployees = -3\n");
    let o = goodhart(tmp.path(), &["run", &good]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!text(&o).contains("panicked"));
    assert_eq!(fs::read(&weekly).unwrap(), before);
    // A bad override is bad usage (exit 2) and fails before anything is
    // written, too.
    write(
        tmp.path(),
        "s.toml",
        "[organisation]\nemployees = 50\nweeks = 5\n",
    );
    let o = goodhart(tmp.path(), &["run", &good, "--employees", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--employees"), "{}", text(&o));
    assert_eq!(fs::read(&weekly).unwrap(), before);
}

#[test]
fn init_writes_a_template_that_runs_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let o = goodhart(tmp.path(), &["init", "my-policy"]);
    assert!(o.status.success(), "{}", text(&o));
    let body = fs::read_to_string(tmp.path().join("my-policy.toml")).unwrap();
    assert!(body.contains("# adoption_target = 0"));
    let o = goodhart(tmp.path(), &["validate", "my-policy.toml"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = goodhart(tmp.path(), &["init", "my-policy"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("already exists"));
}

#[test]
fn params_lists_every_parameter_with_range_and_meaning() {
    let tmp = tempfile::tempdir().unwrap();
    let o = goodhart(tmp.path(), &["params", "--format", "csv"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert!(rows.len() > 60, "only {} parameters listed", rows.len());
    let find = |n: &str| {
        rows.iter()
            .find(|r| &r[0] == n)
            .unwrap_or_else(|| panic!("{n} missing"))
            .clone()
    };
    let target = find("adoption_target");
    assert_eq!(&target[2], "0");
    assert_eq!(&target[4], "[0, 1]");
    assert_eq!(&find("token_cap")[2], "\"none\"");
    assert_eq!(&find("rationality")[2], "3.5");
    assert!(find("ability")[2].contains("lognormal"));
}

#[test]
fn long_error_lists_are_capped_and_located() {
    let tmp = tempfile::tempdir().unwrap();
    let mut body = String::from("[policy]\n");
    for i in 0..5000 {
        body.push_str(&format!("lever_{i} = 1\n"));
    }
    body.push_str("[behaviour]\nstake = inf\nrationality = nan\n");
    let f = write(tmp.path(), "many.toml", &body);
    let o = goodhart(tmp.path(), &["validate", &f]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains("many.toml:2:1: unknown key `lever_0` in [policy]"),
        "{t}"
    );
    assert!(
        t.contains("... and 4982 more (fix these and validate again)"),
        "{t}"
    );
    assert!(
        t.contains("5002 problems in ") && t.contains("many.toml"),
        "{t}"
    );
    assert!(
        !t.contains("lever_20 "),
        "more than 20 problems shown in full"
    );
    // nan and inf are refused at their value with the range, when shown.
    let f = write(
        tmp.path(),
        "one.toml",
        "[behaviour]\nstake = inf\nrationality = nan\n",
    );
    let t = text(&goodhart(tmp.path(), &["validate", &f]));
    assert!(
        t.contains("one.toml:2:9: an infinite value is not allowed here"),
        "{t}"
    );
    assert!(t.contains("one.toml:3:15: nan is not allowed here"), "{t}");
    assert!(t.contains("use a finite value in [0, 1000000]"), "{t}");
}

#[test]
fn usage_errors_exit_2_and_input_errors_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        tmp.path(),
        "s.toml",
        "[organisation]\nemployees = 20\nweeks = 2\n[policy]\ntop_k = 10\n",
    );
    for (args, code, says) in [
        (vec!["run", &f, "--threads", "0"], 2, "--threads <THREADS>"),
        (vec!["run", &f, "--threads", "5000"], 2, "[1, 1024]"),
        (vec!["sweep", &f, "--shard", "3/2"], 2, "is not a shard"),
        (
            vec!["init", "no way"],
            2,
            "cannot be used as a directory name",
        ),
        (vec!["run", "missing.toml"], 1, "cannot read scenario file"),
        // A flag that breaks a rule with the file's values is bad input.
        (
            vec!["run", &f, "--employees", "5"],
            1,
            "top_k = 10 exceeds employees = 5",
        ),
    ] {
        let o = goodhart(tmp.path(), &args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", text(&o));
        let t = text(&o);
        assert!(
            t.starts_with("error: ") && t.contains(says),
            "{args:?}: {t}"
        );
        assert!(!t.contains("panicked"), "{t}");
    }
}
