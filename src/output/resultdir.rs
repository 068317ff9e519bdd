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
//!
//! goodhart deletes only what it wrote: the files of [`OWN_ENTRIES`] and
//! the charts listed in `charts/.goodhart-charts`. A directory with
//! anything else is not replaced, and an old set in which files appeared
//! while the new one was built is kept aside (`NAME.replaced-TIME`), not
//! deleted.

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
    // (Its `slurm/` and `shards/` held scripts and shard results: such a
    // directory is not replaced; they now live in `NAME.slurm/`.)
    "runs.csv.partial",
    "sweep-in-progress.json",
];

/// The list of chart files goodhart wrote into `charts/`, one per line.
pub const CHART_INDEX: &str = ".goodhart-charts";

/// Written into an old set just before it is swapped out: a directory
/// holding it is an old set waiting to be deleted, whatever its name.
const REPLACED_MARKER: &str = ".goodhart-replaced";

/// Whether `name` is a temporary file of [`super::AtomicFile`].
pub fn is_temporary(name: &str) -> bool {
    name.starts_with(".goodhart-") && name.ends_with(".tmp")
}

/// Entries of result directory `dir` that goodhart did not write (sorted;
/// `charts/x` for one inside the charts directory).
pub fn foreign_entries(dir: &Path) -> Result<Vec<String>, DirError> {
    let mut foreign = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let name = entry
            .map_err(io(dir))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !(OWN_ENTRIES.contains(&name.as_str()) || name == REPLACED_MARKER || is_temporary(&name))
        {
            foreign.push(name);
        }
    }
    let charts = dir.join("charts");
    if charts.is_dir() {
        let index = std::fs::read_to_string(charts.join(CHART_INDEX)).ok();
        for entry in std::fs::read_dir(&charts).map_err(io(&charts))? {
            let entry = entry.map_err(io(&charts))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let listed = match &index {
                Some(text) => text.lines().any(|l| l == name),
                // Charts of a goodhart before the index: its PNG and SVG files.
                None => name.ends_with(".png") || name.ends_with(".svg"),
            };
            let own = name == CHART_INDEX || is_temporary(&name) || listed;
            if !own || entry.file_type().map_or(true, |t| t.is_dir()) {
                foreign.push(format!("charts/{name}"));
            }
        }
    }
    foreign.sort();
    Ok(foreign)
}

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
    parent_of(target).join(format!(".{}.{suffix}", file_name(target)))
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
        "{target} is the current directory or holds it; results replace their directory as a whole, so give --out a directory of their own"
    )]
    Enclosing { target: String },
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
    let any = std::fs::read_dir(target)
        .map_err(io(target))?
        .next()
        .is_some();
    let foreign = foreign_entries(target)?;
    if !foreign.is_empty() {
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
/// its lock, so no live process owns these): staging directories, an old
/// set parked by a swap that was cut before it was deleted (under any
/// name, the sweep's work directory included), and the marker of a swap
/// cut before it began. An old set moved aside by a fallback swap goes
/// back into place if the new set never arrived. Deletion failures are
/// returned as warnings: they must not stop the work.
fn clean_leftovers(target: &Path) -> Result<Vec<String>, DirError> {
    let mut warnings = Vec::new();
    let old = sibling(target, "old");
    if old.exists() {
        if target.exists() {
            dispose(target, &old, &mut warnings)?;
        } else {
            std::fs::rename(&old, target).map_err(io(target))?;
        }
    }
    let marker = target.join(REPLACED_MARKER);
    if marker.exists() {
        std::fs::remove_file(&marker).map_err(io(&marker))?;
    }
    let work = in_progress_dir(target);
    if work.join(REPLACED_MARKER).exists() {
        dispose(target, &work, &mut warnings)?;
    }
    let name = file_name(target);
    let prefix = format!(".{name}.staging-");
    if let Ok(entries) = std::fs::read_dir(parent_of(target)) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                dispose(target, &entry.path(), &mut warnings)?;
            }
        }
    }
    Ok(warnings)
}

/// Deletes the old set or abandoned staging directory `old` of `target`;
/// if it holds files goodhart did not write (added while the new set was
/// being built), it is kept aside as `NAME.replaced-TIME` instead and a
/// warning says where.
fn dispose(target: &Path, old: &Path, warnings: &mut Vec<String>) -> Result<(), DirError> {
    if !foreign_entries(old).unwrap_or_default().is_empty() {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let aside = parent_of(target).join(format!("{}.replaced-{secs}", file_name(target)));
        std::fs::rename(old, &aside).map_err(io(&aside))?;
        warnings.push(format!(
            "files goodhart did not write appeared in {} while it was being replaced; the previous results and those files are kept in {}",
            target.display(),
            aside.display()
        ));
        return Ok(());
    }
    if let Err(e) = std::fs::remove_dir_all(old) {
        warnings.push(format!(
            "could not delete {} ({e}); the new results are in place, delete it by hand",
            old.display()
        ));
    }
    Ok(())
}

fn file_name(target: &Path) -> String {
    target
        .file_name()
        .map_or_else(|| "results".into(), |n| n.to_string_lossy().into_owned())
}

/// `target` made absolute with symlinks and `.` resolved (its parent is
/// created if need be), so that its lock and staging directory are its
/// real siblings; refused if it is the current directory or holds it.
fn resolve(target: &Path) -> Result<PathBuf, DirError> {
    let parent = parent_of(target);
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let resolved = match std::fs::canonicalize(target) {
        Ok(p) => p,
        Err(_) => {
            let parent = std::fs::canonicalize(parent).map_err(io(parent))?;
            match target.file_name() {
                Some(name) => parent.join(name),
                None => parent,
            }
        }
    };
    let here = std::env::current_dir()
        .ok()
        .and_then(|d| std::fs::canonicalize(d).ok());
    if here.is_some_and(|h| h.starts_with(&resolved)) || resolved.parent().is_none() {
        return Err(DirError::Enclosing {
            target: target.display().to_string(),
        });
    }
    Ok(resolved)
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
    warnings: Vec<String>,
}

impl Staging {
    /// Locks `target`, checks that a set of `identity` may replace what it
    /// holds (`force` replaces another scenario's or kind's results), and
    /// creates an empty staging directory beside it.
    pub fn begin(target: &Path, identity: &Identity, force: bool) -> Result<Staging, DirError> {
        let (resolved, lock, warnings) = Self::prepare(target, identity, force)?;
        let dir = sibling(&resolved, &format!("staging-{}", std::process::id()));
        std::fs::create_dir(&dir).map_err(io(&dir))?;
        Ok(Staging {
            target: resolved,
            dir,
            keep_on_drop: false,
            committed: false,
            lock,
            warnings,
        })
    }

    /// Resolves, locks, cleans and checks `target`.
    fn prepare(
        target: &Path,
        identity: &Identity,
        force: bool,
    ) -> Result<(PathBuf, DirLock, Vec<String>), DirError> {
        let resolved = resolve(target)?;
        let lock = DirLock::acquire(&resolved).map_err(|e| shown_as(e, target))?;
        let warnings = clean_leftovers(&resolved)?;
        check_replaceable(&resolved, identity, force).map_err(|e| shown_as(e, target))?;
        Ok((resolved, lock, warnings))
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
        let (resolved, lock, warnings) = Self::prepare(target, identity, force)?;
        let dir = in_progress_dir(&resolved);
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
            target: resolved,
            dir,
            keep_on_drop: true,
            committed: false,
            lock,
            warnings,
        })
    }

    /// Where the new set is built.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The stale lock of a dead process this replaced, if any.
    pub fn stale_lock(&self) -> Option<&str> {
        self.lock.stale.as_deref()
    }

    /// Things the caller should tell the user (leftovers that could not be
    /// deleted, an old set kept aside).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Puts the new set in place of the old one, atomically, and deletes
    /// the old set; returns warnings for the user (an old set kept aside
    /// because files goodhart did not write appeared in it, or one that
    /// could not be deleted: the new set is in place either way).
    pub fn commit(mut self) -> Result<Vec<String>, DirError> {
        sync_dir(&self.dir)?;
        let target = self.target.clone();
        if !target.exists() {
            std::fs::rename(&self.dir, &target).map_err(io(&target))?;
        } else {
            // Marks the old set, so that wherever a kill leaves it (even
            // under the sweep's work-directory name) it is known for what
            // it is.
            let marker = target.join(REPLACED_MARKER);
            std::fs::write(&marker, b"").map_err(io(&marker))?;
            if exchange(&self.dir, &target)? {
                let old = self.dir.clone();
                dispose(&target, &old, &mut self.warnings)?;
            } else {
                // Two renames; clean_leftovers restores the old set if a
                // kill falls between them.
                let old = sibling(&target, "old");
                std::fs::rename(&target, &old).map_err(io(&old))?;
                std::fs::rename(&self.dir, &target).map_err(io(&target))?;
                dispose(&target, &old, &mut self.warnings)?;
            }
        }
        sync_dir(parent_of(&target))?;
        self.committed = true;
        Ok(std::mem::take(&mut self.warnings))
    }
}

/// The error `e` with the resolved path in it replaced by the one the user
/// gave.
fn shown_as(e: DirError, shown: &Path) -> DirError {
    let s = shown.display().to_string();
    match e {
        DirError::Locked { holder, .. } => DirError::Locked { target: s, holder },
        DirError::Other { existing, new, .. } => DirError::Other {
            target: s,
            existing,
            new,
        },
        DirError::Foreign { entries, .. } => DirError::Foreign { target: s, entries },
        DirError::NotADirectory { .. } => DirError::NotADirectory { target: s },
        other => other,
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
    if !dir.join("manifest.json").is_file() {
        return Err(DirError::Missing {
            target: dir.display().to_string(),
        });
    }
    let resolved = std::fs::canonicalize(dir).map_err(io(dir))?;
    let lock = DirLock::acquire(&resolved).map_err(|e| shown_as(e, dir))?;
    for d in [resolved.clone(), resolved.join("charts")] {
        if let Ok(entries) = std::fs::read_dir(&d) {
            for e in entries.flatten() {
                if is_temporary(&e.file_name().to_string_lossy()) {
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
