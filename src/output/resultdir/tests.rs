//! Tests of result directories: swaps, refusals, locks and leftovers.

use super::*;

fn id(kind: &str, scenario: &str) -> Identity {
    Identity {
        kind: kind.into(),
        scenario: scenario.into(),
        input_sha256: "ab".into(),
    }
}

/// Nothing but the result directory `out` is left in `dir`.
fn assert_only_out(dir: &Path) {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["out".to_string()]);
}

fn manifest(dir: &Path, kind: &str, scenario: &str) {
    std::fs::write(
        dir.join("manifest.json"),
        format!(
            "{{\"goodhart_version\": \"0.1.0\", \"kind\": \"{kind}\", \"scenario\": \"{scenario}\", \"input_sha256\": \"ab\"}}"
        ),
    )
    .unwrap();
}

#[test]
fn a_commit_replaces_the_whole_set_and_leaves_nothing_beside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("out");
    std::fs::create_dir_all(target.join("charts")).unwrap();
    std::fs::write(target.join("charts/old.png"), b"old").unwrap();
    manifest(&target, "run", "a");
    let s = Staging::begin(&target, &id("run", "a"), false).unwrap();
    manifest(s.path(), "run", "a");
    std::fs::write(s.path().join("weekly.csv"), b"new").unwrap();
    s.commit().unwrap();
    assert_eq!(std::fs::read(target.join("weekly.csv")).unwrap(), b"new");
    assert!(!target.join("charts/old.png").exists(), "stale chart kept");
    assert_only_out(tmp.path());
}

#[test]
fn other_results_need_force_and_foreign_files_are_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("out");
    std::fs::create_dir_all(&target).unwrap();
    manifest(&target, "run", "a");
    let e = Staging::begin(&target, &id("run", "b"), false)
        .err()
        .unwrap();
    assert!(e.to_string().contains("holds a run of scenario `a`"), "{e}");
    assert!(e.to_string().contains("--force"), "{e}");
    let e = Staging::begin(&target, &id("sweep", "a"), false)
        .err()
        .unwrap();
    assert!(e.to_string().contains("not a sweep of scenario `a`"), "{e}");
    assert!(Staging::begin(&target, &id("run", "b"), true).is_ok());
    std::fs::write(target.join("notes.txt"), b"mine").unwrap();
    let e = Staging::begin(&target, &id("run", "a"), true)
        .err()
        .unwrap();
    assert!(e.to_string().contains("notes.txt"), "{e}");
    // Nothing was touched, and no staging directory is left.
    assert_eq!(std::fs::read(target.join("notes.txt")).unwrap(), b"mine");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn a_second_writer_is_told_who_holds_the_lock_and_a_dead_ones_lock_is_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("out");
    let first = DirLock::acquire(&target).unwrap();
    let e = DirLock::acquire(&target).err().unwrap().to_string();
    assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
    assert!(e.contains("since 20"), "{e}");
    drop(first);
    // A lock file with no live holder (its process died: the kernel
    // released the flock) is taken over and reported as stale.
    std::fs::write(sibling(&target, "lock"), "pid 1 on elsewhere since then: x").unwrap();
    let lock = DirLock::acquire(&target).unwrap();
    assert_eq!(
        lock.stale.as_deref(),
        Some("pid 1 on elsewhere since then: x")
    );
}

#[test]
fn leftovers_of_a_killed_writer_are_cleaned_or_restored() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("out");
    // Killed between the two renames of a fallback swap: the old set
    // is aside and the target is missing.
    let old = sibling(&target, "old");
    std::fs::create_dir_all(&old).unwrap();
    manifest(&old, "run", "a");
    std::fs::create_dir_all(sibling(&target, "staging-99999")).unwrap();
    let s = Staging::begin(&target, &id("run", "a"), false).unwrap();
    assert!(
        target.join("manifest.json").exists(),
        "old set not restored"
    );
    assert!(!sibling(&target, "staging-99999").exists());
    drop(s);
    assert_only_out(tmp.path());
}

#[test]
fn user_files_in_charts_block_a_replacement_and_late_ones_are_kept_aside() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("out");
    std::fs::create_dir_all(target.join("charts")).unwrap();
    manifest(&target, "run", "a");
    std::fs::write(target.join("charts/dashboard.png"), b"chart").unwrap();
    std::fs::write(target.join("charts").join(CHART_INDEX), "dashboard.png\n").unwrap();
    std::fs::write(target.join("charts/mine.png"), b"mine").unwrap();
    let e = Staging::begin(&target, &id("run", "a"), true)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("charts/mine.png"), "{e}");
    std::fs::remove_file(target.join("charts/mine.png")).unwrap();

    // A file that appears while the new set is built is not deleted
    // with the old set: both are kept aside, and the caller is told.
    let s = Staging::begin(&target, &id("run", "a"), false).unwrap();
    manifest(s.path(), "run", "a");
    std::fs::write(target.join("notes.txt"), b"important").unwrap();
    let warnings = s.commit().unwrap();
    assert!(
        warnings.len() == 1 && warnings[0].contains("kept in"),
        "{warnings:?}"
    );
    let aside = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("out.replaced-"))
        .expect("the old set is kept aside");
    assert_eq!(
        std::fs::read(aside.join("notes.txt")).unwrap(),
        b"important"
    );
    assert!(!target.join("notes.txt").exists() && target.join("manifest.json").exists());
}

#[test]
fn an_old_set_parked_under_the_work_directory_name_is_not_an_interrupted_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("out");
    std::fs::create_dir_all(&target).unwrap();
    manifest(&target, "sweep", "a");
    // Killed after the swap, while deleting the old set it parked in
    // the work directory's place.
    let work = in_progress_dir(&target);
    std::fs::create_dir_all(&work).unwrap();
    manifest(&work, "sweep", "a");
    std::fs::write(work.join(REPLACED_MARKER), b"").unwrap();
    let s = Staging::begin_resumable(&target, &id("sweep", "a"), false, false, |_| {
        "should not be asked".into()
    })
    .unwrap();
    assert!(
        !s.path().join("manifest.json").exists(),
        "old set reused as work"
    );
    drop(s);
    // Killed between marking the old set and the swap: the marker goes.
    std::fs::write(target.join(REPLACED_MARKER), b"").unwrap();
    drop(Staging::begin(&target, &id("sweep", "a"), false).unwrap());
    assert!(!target.join(REPLACED_MARKER).exists());
}

#[test]
fn the_current_directory_is_never_a_target_and_symlinks_are_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let here = std::env::current_dir().unwrap();
    let e = Staging::begin(Path::new("."), &id("run", "a"), true)
        .err()
        .unwrap();
    assert!(e.to_string().contains("current directory"), "{e}");
    let e = Staging::begin(&here, &id("run", "a"), true).err().unwrap();
    assert!(e.to_string().contains("current directory"), "{e}");
    #[cfg(unix)]
    {
        let real = tmp.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, tmp.path().join("alias")).unwrap();
        let s = Staging::begin(&tmp.path().join("alias"), &id("run", "a"), false).unwrap();
        manifest(s.path(), "run", "a");
        s.commit().unwrap();
        assert!(real.join("manifest.json").exists());
    }
}

#[test]
fn plot_locks_only_result_directories_and_removes_only_its_temporaries() {
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk");
    std::fs::create_dir(&junk).unwrap();
    std::fs::write(junk.join(".goodhart-mydata"), b"mine").unwrap();
    assert!(lock_existing(&junk).is_err());
    manifest(&junk, "run", "a");
    std::fs::write(junk.join(".goodhart-abc123.tmp"), b"torn").unwrap();
    drop(lock_existing(&junk).unwrap());
    assert!(junk.join(".goodhart-mydata").exists());
    assert!(!junk.join(".goodhart-abc123.tmp").exists());
}

#[test]
fn an_interrupted_sweep_needs_resume_or_force() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("out");
    let s = Staging::begin_resumable(&target, &id("sweep", "a"), false, false, |_| String::new())
        .unwrap();
    std::fs::write(s.path().join("runs.csv.partial"), b"x").unwrap();
    drop(s); // interrupted: the work directory stays
    let e = Staging::begin_resumable(&target, &id("sweep", "a"), false, false, |_| {
        "3 of 10 runs".into()
    })
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.contains("interrupted sweep (3 of 10 runs)") && e.contains("--resume"),
        "{e}"
    );
    let s = Staging::begin_resumable(&target, &id("sweep", "a"), true, false, |_| String::new())
        .unwrap();
    assert!(s.path().join("runs.csv.partial").exists());
    drop(s);
    let s = Staging::begin_resumable(&target, &id("sweep", "a"), false, true, |_| String::new())
        .unwrap();
    assert!(!s.path().join("runs.csv.partial").exists());
}
