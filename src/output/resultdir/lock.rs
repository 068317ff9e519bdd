//! The lock on one result directory: an advisory `flock` on `.NAME.lock`
//! beside it, which the kernel releases when its holder dies, holding the
//! holder's pid, host, start time and command for the message another
//! writer gets.

use super::{DirError, io, parent_of, sibling};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

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
