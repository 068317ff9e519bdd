//! Result directories are never mixed or silently replaced (the real
//! binary in a temporary directory): another scenario's results need
//! `--force`, files goodhart did not write are never replaced, an
//! unwritable location or a batch too large for memory is refused before
//! anything is simulated, and a second writer is told who holds the lock,
//! which a dead writer's successor takes over with the old set intact.

mod common;

use common::{goodhart, ok, text};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const A: &str = r#"
name = "a"
[organisation]
employees = 60
weeks = 4
[run]
replicates = 2
[policy]
adoption_target = 0.8
[variants.board]
leaderboard = "org"
"#;

const B: &str = "name = \"b\"\n[organisation]\nemployees = 60\nweeks = 4\n";

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn another_scenarios_results_are_replaced_only_with_force_and_as_a_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("a.toml"), A).unwrap();
    fs::write(d.join("b.toml"), B).unwrap();
    ok(d, &["run", "a.toml", "--out", "res", "--quiet"]);
    let before = snapshot(&d.join("res"));
    assert!(
        before.keys().any(|k| k.starts_with("charts/comparison")),
        "{:?}",
        before.keys()
    );

    let o = goodhart(d, &["run", "b.toml", "--out", "res"]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains("res holds a run of scenario `a`, not a run of scenario `b`")
            && t.contains("--force"),
        "{t}"
    );
    assert!(!t.contains("running `"), "refused after simulating: {t}");
    assert_eq!(snapshot(&d.join("res")), before);
    // A sweep is another kind of result.
    let o = goodhart(d, &["sweep", "a.toml", "--out", "res"]);
    assert_eq!(o.status.code(), Some(1));

    ok(d, &["run", "b.toml", "--out", "res", "--force", "--quiet"]);
    let after = snapshot(&d.join("res"));
    assert!(
        !after.keys().any(|k| k.starts_with("charts/comparison")),
        "a chart of the old set survived: {:?}",
        after.keys()
    );
    let manifest = String::from_utf8(after["manifest.json"].clone()).unwrap();
    assert!(manifest.contains("\"scenario\": \"b\"") && manifest.contains("\"kind\": \"run\""));
    // The same scenario replaces its own results without asking.
    ok(
        d,
        &["run", "b.toml", "--out", "res", "--quiet", "--seed", "9"],
    );
    assert_eq!(names(d), ["a.toml", "b.toml", "res"]);
}

#[test]
fn a_directory_with_other_files_is_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("b.toml"), B).unwrap();
    fs::create_dir(d.join("mine")).unwrap();
    fs::write(d.join("mine/notes.txt"), "keep me").unwrap();
    for force in [false, true] {
        let mut args = vec!["run", "b.toml", "--out", "mine"];
        if force {
            args.push("--force");
        }
        let o = goodhart(d, &args);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            text(&o).contains("files goodhart did not write (notes.txt)"),
            "{}",
            text(&o)
        );
    }
    assert_eq!(names(&d.join("mine")), ["notes.txt"]);
    assert_eq!(names(d), ["b.toml", "mine"]);
}

#[test]
fn unwritable_or_oversized_work_is_refused_before_simulating() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("b.toml"), B).unwrap();
    fs::write(d.join("blocker"), "a file").unwrap();
    // Large enough that simulating first would take minutes.
    let o = goodhart(
        d,
        &[
            "run",
            "b.toml",
            "--out",
            "blocker/res",
            "--employees",
            "1000000",
            "--weeks",
            "5000",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(t.contains("blocker") && !t.contains("running `"), "{t}");

    // A batch that cannot fit in memory: refused with the estimate and
    // how to shrink it, not aborted by a failed allocation.
    let o = goodhart(
        d,
        &[
            "run",
            "b.toml",
            "--employees",
            "100000000",
            "--weeks",
            "100000",
            "--replicates",
            "1000000",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains("of memory") && t.contains("--employees") && t.contains("nothing was run"),
        "{t}"
    );
    assert_eq!(names(d), ["b.toml", "blocker"]);
}

#[test]
fn a_second_writer_is_told_who_writes_and_a_killed_writer_leaves_the_old_set() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("b.toml"), B).unwrap();
    ok(d, &["run", "b.toml", "--out", "res", "--quiet"]);
    let before = snapshot(&d.join("res"));

    // A long run into the same directory.
    let mut child = Command::new(env!("CARGO_BIN_EXE_goodhart"))
        .args([
            "run",
            "b.toml",
            "--out",
            "res",
            "--employees",
            "300000",
            "--weeks",
            "2000",
            "--quiet",
        ])
        .current_dir(d)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let staging = format!(".res.staging-{}", child.id());
    while !d.join(&staging).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the long run did not start"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the long run ended early"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let o = goodhart(d, &["run", "b.toml", "--out", "res"]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains("res is being written by another goodhart process (pid")
            && t.contains(&format!("pid {}", child.id()))
            && t.contains(" since 20"),
        "{t}"
    );

    // kill -9 in the middle: the old set is untouched; the next command
    // takes over the dead writer's lock and removes what it left.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(snapshot(&d.join("res")), before);
    assert!(d.join(&staging).exists() && d.join(".res.lock").exists());
    let o = ok(d, &["run", "b.toml", "--out", "res", "--seed", "3"]);
    assert!(
        text(&o).contains("took over the lock of a goodhart process that is no longer running"),
        "{}",
        text(&o)
    );
    assert_eq!(names(d), ["b.toml", "res"]);
    assert_ne!(snapshot(&d.join("res"))["weekly.csv"], before["weekly.csv"]);
}
