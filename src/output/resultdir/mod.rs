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
//! goodhart deletes only what it wrote: the files of `contents::OWN_ENTRIES` and
//! the charts listed in `charts/.goodhart-charts`. A directory with
//! anything else is not replaced, and an old set in which files appeared
//! while the new one was built is kept aside (`NAME.replaced-TIME`), not
//! deleted.

mod contents;
mod lock;

pub use contents::{CHART_INDEX, Identity, foreign_entries, is_temporary};
use contents::{REPLACED_MARKER, check_replaceable};
pub use lock::DirLock;

use super::{OutputError, io_error};
#[cfg(unix)]
use std::fs::File;
use std::path::{Path, PathBuf};

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
        "{target} holds an interrupted sweep ({progress}); add --resume to continue it with the same file and flags, or --force to start over"
    )]
    Interrupted { target: String, progress: String },
    #[error(transparent)]
    Output(#[from] OutputError),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> DirError + '_ {
    move |e| DirError::Output(io_error(path, e))
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
mod tests;
