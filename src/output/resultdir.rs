//! Result directories: what one holds, who is writing it, and replacing
//! it as a whole.
//!
//! A result directory (`output/amazon-2026/`) holds one result set: the
//! CSV files, `manifest.json` (which records the scenario, the kind of
//! result and the input's SHA-256) and the charts. A command that writes
//! one:
//!
//! 1. takes a lock beside it (`.NAME.lock`, an advisory `flock` the kernel
//!    releases when the process dies, holding its pid, host and start
//!    time for the message another writer gets);
//! 2. checks what the directory holds: another scenario's or another
//!    kind's results are replaced only with `--force`, and a directory
//!    with files goodhart did not write is never replaced;
//! 3. builds the new set in a sibling staging directory (which also
//!    proves the location writable before any simulation starts);
//! 4. swaps the staging directory with the old set in one atomic
//!    `renameat2(RENAME_EXCHANGE)` (Linux), or by two renames elsewhere,
//!    and deletes the old set.
//!
//! So a failure or `kill -9` at any moment leaves the complete old set or
//! the complete new one, never a mixture and never stale charts; the next
//! command on the directory, holding the lock, deletes whatever a killed
//! one left behind (or puts the old set back if a fallback swap was cut in
//! the middle).

use super::{OutputError, io_error};
use serde::Deserialize;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// What a result set is: its kind (`run`, `sweep`, `sweep shard 2/4`), its
/// scenario and the SHA-256 of the scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub kind: String,
    pub scenario: String,
    pub input_sha256: String,
}

/// The fields of a `manifest.json` that say what a directory holds.
#[derive(Deserialize)]
struct ManifestHeader {
    goodhart_version: String,
    /// Absent in run manifests of goodhart 0.1 before this field existed.
    kind: Option<String>,
    scenario: String,
    #[serde(default)]
    input_sha256: String,
    shard: Option<String>,
}

/// The kind of a directory with goodhart's files but no manifest.
const UNFINISHED: &str = "unfinished";

/// Entries goodhart writes into a result directory; anything else is the
/// user's, and a directory holding it is never replaced.
const OWN_ENTRIES: &[&str] = &[
    "weekly.csv",
    "summary.csv",
    "manifest.json",
    "charts",
    "report.html",
    "report.md",
    "points.csv",
    "runs.csv",
    "aggregate.csv",
    "sensitivity.csv",
    // Written inside result directories by goodhart before this module.
    "runs.csv.partial",
    "sweep-in-progress.json",
    "slurm",
    "shards",
];

impl Identity {
    /// What the result directory `dir` holds, read from its manifest:
    /// `None` if it has no manifest.
    pub fn of_dir(dir: &Path) -> Result<Option<Identity>, OutputError> {
        let path = dir.join("manifest.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&path, e)),
        };
        let h: ManifestHeader = serde_json::from_str(&text).map_err(|e| OutputError::Encode {
            path: path.display().to_string(),
            message: format!("not a goodhart manifest ({e})"),
        })?;
        let _ = h.goodhart_version;
        let kind = match (h.kind.as_deref().unwrap_or("run"), h.shard) {
            ("sweep", Some(shard)) => format!("sweep shard {shard}"),
            (kind, _) => kind.to_string(),
        };
        Ok(Some(Identity {
            kind,
            scenario: h.scenario,
            input_sha256: h.input_sha256,
        }))
    }

    fn describe(&self) -> String {
        if self.kind == UNFINISHED {
            return "results without a manifest (unfinished, or from an older goodhart)".into();
        }
        let article = if self.kind == "run" { "a run" } else { "a" };
        let kind = if self.kind == "run" {
            String::new()
        } else {
            format!(" {}", self.kind)
        };
        format!("{article}{kind} of scenario `{}`", self.scenario)
    }
}

/// `parent/.NAME.suffix`: a hidden sibling of `target`.
fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "results".into(), |n| n.to_string_lossy().into_owned());
    parent_of(target).join(format!(".{name}.{suffix}"))
}

fn parent_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Problems that stop a result directory being written.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    #[error(
        "{target} is being written by another goodhart process ({holder}); wait for it to finish, or use another --out"
    )]
    Locked { target: String, holder: String },
    #[error(
        "{target} holds {existing}, not {new}; nothing was changed. Use another --out, or pass --force to replace those results"
    )]
    Other {
        target: String,
        existing: String,
        new: String,
    },
    #[error(
        "{target} holds files goodhart did not write ({entries}); nothing was changed. Move them out or use another --out (goodhart never deletes files it did not write)"
    )]
    Foreign { target: String, entries: String },
    #[error("{target} is a file; --out must name a directory for the results")]
    NotADirectory { target: String },
    #[error(
        "{target} is not a directory: give the result directory of a `goodhart run` or `goodhart sweep`"
    )]
    Missing { target: String },
    #[error(
        "{target} holds an interrupted sweep ({progress}); add --resume to continue it, or --force to start over"
    )]
    Interrupted { target: String, progress: String },
    #[error(transparent)]
    Output(#[from] OutputError),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> DirError + '_ {
    move |e| DirError::Output(io_error(path, e))
}

/// The lock on one result directory, held while it is written; released
/// (and its file removed) when dropped, and by the kernel if the process
/// dies.
pub struct DirLock {
    path: PathBuf,
    file: File,
    /// Who held the lock before and died without releasing it, if anyone.
    pub stale: Option<String>,
}

impl DirLock {
    /// Takes the lock of `target` (whose parent is created if need be), or
    /// says who holds it.
    pub fn acquire(target: &Path) -> Result<DirLock, DirError> {
        let parent = parent_of(target);
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        let path = sibling(target, "lock");
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io(&path))?;
            let mut previous = String::new();
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let _ = file.read_to_string(&mut previous);
                    return Err(DirError::Locked {
                        target: target.display().to_string(),
                        holder: holder_text(&previous),
                    });
                }
                // A file system without locks (some network mounts): go on
                // unlocked rather than refuse all work there.
                Err(std::fs::TryLockError::Error(_)) => {}
            }
            // The holder we waited on may have removed the file and a third
            // process created a new one: only the lock on the file now at
            // `path` counts.
            if !same_file(&file, &path) {
                continue;
            }
            let _ = file.read_to_string(&mut previous);
            let stale = (!previous.trim().is_empty()).then(|| holder_text(&previous));
            file.set_len(0).map_err(io(&path))?;
            file.rewind().map_err(io(&path))?;
            writeln!(file, "{}", holder_record()).map_err(io(&path))?;
            file.sync_all().map_err(io(&path))?;
            return Ok(DirLock { path, file, stale });
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Removed while still locked, so a waiting process that opens the
        // old file notices (same_file) and retries on a new one.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// "pid 4242 on host-a since 2026-11-29T23:59:00Z: goodhart run x.toml".
fn holder_record() -> String {
    let command: Vec<String> = std::env::args().collect();
    format!(
        "pid {} on {} since {}: {}",
        std::process::id(),
        host_name(),
        humantime::format_rfc3339_seconds(std::time::SystemTime::now()),
        command.join(" ")
    )
}

fn holder_text(record: &str) -> String {
    let r = record.trim();
    if r.is_empty() {
        "it has just started".into()
    } else {
        r.to_string()
    }
}

#[cfg(unix)]
fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

#[cfg(not(unix))]
fn host_name() -> String {
    std::env::var("COMPUTERNAME").unwrap_or_else(|_| "this host".into())
}

/// What `target` holds now.
enum Existing {
    Nothing,
    Results(Identity),
    Foreign(Vec<String>),
}

fn existing(target: &Path) -> Result<Existing, DirError> {
    let meta = match std::fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(e) => return Err(io(target)(e)),
    };
    if !meta.is_dir() {
        return Err(DirError::NotADirectory {
            target: target.display().to_string(),
        });
    }
    let mut foreign = Vec::new();
    let mut any = false;
    for entry in std::fs::read_dir(target).map_err(io(target))? {
        let name = entry.map_err(io(target))?.file_name();
        let name = name.to_string_lossy();
        any = true;
        if !OWN_ENTRIES.contains(&name.as_ref()) && !name.starts_with(".goodhart-") {
            foreign.push(name.into_owned());
        }
    }
    if !foreign.is_empty() {
        foreign.sort();
        return Ok(Existing::Foreign(foreign));
    }
    match Identity::of_dir(target)? {
        Some(id) => Ok(Existing::Results(id)),
        // Only goodhart's own names, without a manifest: an unfinished
        // result of an older goodhart, or empty.
        None if any => Ok(Existing::Results(Identity {
            kind: UNFINISHED.into(),
            scenario: "unknown".into(),
            input_sha256: String::new(),
        })),
        None => Ok(Existing::Nothing),
    }
}

/// Checks that a set of `new`'s identity may replace what `target` holds.
fn check_replaceable(target: &Path, new: &Identity, force: bool) -> Result<(), DirError> {
    match existing(target)? {
        Existing::Nothing => Ok(()),
        Existing::Foreign(entries) => {
            let shown: Vec<&str> = entries.iter().take(3).map(String::as_str).collect();
            let more = if entries.len() > 3 {
                format!(" and {} more", entries.len() - 3)
            } else {
                String::new()
            };
            Err(DirError::Foreign {
                target: target.display().to_string(),
                entries: format!("{}{more}", shown.join(", ")),
            })
        }
        Existing::Results(old)
            if force || (old.kind == new.kind && old.scenario == new.scenario) =>
        {
            Ok(())
        }
        Existing::Results(old) => Err(DirError::Other {
            target: target.display().to_string(),
            existing: old.describe(),
            new: new.describe(),
        }),
    }
}

/// Removes what killed processes left beside `target` (the caller holds
/// its lock, so no live process owns these): staging directories, and an
/// old set moved aside by a fallback swap, which goes back into place if
/// the swap was cut before the new set arrived.
fn clean_leftovers(target: &Path) -> Result<(), DirError> {
    let parent = parent_of(target);
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Ok(());
    };
    let old = sibling(target, "old");
    if old.exists() {
        if target.exists() {
            std::fs::remove_dir_all(&old).map_err(io(&old))?;
        } else {
            std::fs::rename(&old, target).map_err(io(target))?;
        }
    }
    let prefix = format!(".{name}.staging-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let p = entry.path();
            std::fs::remove_dir_all(&p).map_err(io(&p))?;
        }
    }
    Ok(())
}

/// A new result set being built beside `target`, which replaces it as a
/// whole on [`Staging::commit`]. Dropped uncommitted, it is deleted (a
/// resumable sweep's work directory is kept).
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    keep_on_drop: bool,
    committed: bool,
    lock: DirLock,
}

impl Staging {
    /// Locks `target`, checks that a set of `identity` may replace what it
    /// holds (`force` replaces another scenario's or kind's results), and
    /// creates an empty staging directory beside it.
    pub fn begin(target: &Path, identity: &Identity, force: bool) -> Result<Staging, DirError> {
        let lock = DirLock::acquire(target)?;
        clean_leftovers(target)?;
        check_replaceable(target, identity, force)?;
        let dir = sibling(target, &format!("staging-{}", std::process::id()));
        std::fs::create_dir(&dir).map_err(io(&dir))?;
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
            keep_on_drop: false,
            committed: false,
            lock,
        })
    }

    /// As [`Staging::begin`] for a sweep, whose work directory
    /// (`.NAME.in-progress`) survives an interruption: with `resume` an
    /// interrupted sweep's directory is reused (the runner checks it is
    /// the same sweep); without, it is refused, unless `force` discards
    /// it. `progress` describes an interrupted sweep for the message.
    pub fn begin_resumable(
        target: &Path,
        identity: &Identity,
        resume: bool,
        force: bool,
        progress: impl Fn(&Path) -> String,
    ) -> Result<Staging, DirError> {
        let lock = DirLock::acquire(target)?;
        clean_leftovers(target)?;
        check_replaceable(target, identity, force)?;
        let dir = in_progress_dir(target);
        // Killed before its first file: nothing to resume.
        if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_none()) {
            std::fs::remove_dir(&dir).map_err(io(&dir))?;
        }
        if dir.exists() && !resume {
            if !force {
                return Err(DirError::Interrupted {
                    target: target.display().to_string(),
                    progress: progress(&dir),
                });
            }
            std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
            keep_on_drop: true,
            committed: false,
            lock,
        })
    }

    /// Where the new set is built.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The directory the set will replace.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The stale lock of a dead process this replaced, if any.
    pub fn stale_lock(&self) -> Option<&str> {
        self.lock.stale.as_deref()
    }

    /// Puts the new set in place of the old one, atomically, and deletes
    /// the old set.
    pub fn commit(mut self) -> Result<(), DirError> {
        sync_dir(&self.dir)?;
        if !self.target.exists() {
            std::fs::rename(&self.dir, &self.target).map_err(io(&self.target))?;
        } else if exchange(&self.dir, &self.target)? {
            // The staging path now holds the old set.
            std::fs::remove_dir_all(&self.dir).map_err(io(&self.dir))?;
        } else {
            // Two renames; clean_leftovers restores the old set if a kill
            // falls between them.
            let old = sibling(&self.target, "old");
            std::fs::rename(&self.target, &old).map_err(io(&old))?;
            std::fs::rename(&self.dir, &self.target).map_err(io(&self.target))?;
            std::fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        sync_dir(parent_of(&self.target))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed && !self.keep_on_drop {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Swaps two directories atomically; `false` where the platform or file
/// system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<bool, DirError> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => Ok(false),
        Err(e) => Err(io(b)(e.into())),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> Result<bool, DirError> {
    Ok(false)
}

/// Flushes a directory's entries to disk (renames and new files survive
/// a power cut); a no-op where directories cannot be opened as files.
fn sync_dir(dir: &Path) -> Result<(), DirError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The work directory of a resumable sweep into `target`.
pub fn in_progress_dir(target: &Path) -> PathBuf {
    sibling(target, "in-progress")
}

/// Takes the lock of an existing result directory to add files to it
/// (`plot`, `report`, `sensitivity`), after removing temporary files a
/// killed writer left.
pub fn lock_existing(dir: &Path) -> Result<DirLock, DirError> {
    if !dir.is_dir() {
        return Err(DirError::Missing {
            target: dir.display().to_string(),
        });
    }
    let lock = DirLock::acquire(dir)?;
    for d in [dir.to_path_buf(), dir.join("charts")] {
        if let Ok(entries) = std::fs::read_dir(&d) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(".goodhart-") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
    Ok(lock)
}

#[cfg(test)]
mod tests {
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
    fn an_interrupted_sweep_needs_resume_or_force() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("out");
        let s =
            Staging::begin_resumable(&target, &id("sweep", "a"), false, false, |_| String::new())
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
        let s =
            Staging::begin_resumable(&target, &id("sweep", "a"), true, false, |_| String::new())
                .unwrap();
        assert!(s.path().join("runs.csv.partial").exists());
        drop(s);
        let s =
            Staging::begin_resumable(&target, &id("sweep", "a"), false, true, |_| String::new())
                .unwrap();
        assert!(!s.path().join("runs.csv.partial").exists());
    }
}
