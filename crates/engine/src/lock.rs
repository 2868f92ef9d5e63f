//! Directory locks: one run at a time writes `context.json`, the stage logs
//! and `report.json` of a run directory, and one console at a time owns a
//! data directory. A second one is refused with the holder's pid instead of
//! interleaving with it.
//!
//! The lock is an advisory `flock` on `run.lock`, not the file's existence:
//! the kernel drops it when its holder exits, however it exits (SIGKILL, a
//! power cut), so a lock left by a dead run is simply taken over and there
//! is no stale-pid guesswork. The file holds the holder's pid, for the
//! message.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::EngineError;

pub const LOCK_FILE: &str = "run.lock";

/// Held for as long as a run writes into its directory.
#[derive(Debug)]
pub(crate) struct RunLock {
    _lock: DirLock,
}

impl RunLock {
    pub(crate) fn acquire(run_dir: &Path) -> Result<Self, EngineError> {
        match DirLock::acquire(&run_dir.join(LOCK_FILE)) {
            Ok(lock) => Ok(Self { _lock: lock }),
            Err(DirLockError::Busy { holder, .. }) => Err(EngineError::RunDirBusy {
                run_dir: run_dir.to_path_buf(),
                holder,
            }),
            Err(DirLockError::Io { path, reason }) => Err(EngineError::Io { path, reason }),
        }
    }
}

/// Why a directory lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum DirLockError {
    #[error("{} is held by another process{}", path.display(), holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default())]
    Busy {
        path: std::path::PathBuf,
        holder: Option<u32>,
    },
    #[error("{}: {reason}", path.display())]
    Io {
        path: std::path::PathBuf,
        reason: String,
    },
}

/// An advisory `flock` on one file, with the holder's pid in it; released
/// when dropped or when the process ends, however it ends.
#[derive(Debug)]
pub struct DirLock {
    file: File,
}

impl DirLock {
    /// Takes the lock on `path` (created if missing) or says who holds it.
    pub fn acquire(path: &Path) -> Result<Self, DirLockError> {
        let io = |e: std::io::Error| DirLockError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(DirLockError::Busy {
                    path: path.to_path_buf(),
                    holder: holder_pid(&mut file),
                });
            }
            Err(TryLockError::Error(error)) => return Err(io(error)),
        }
        if let Some(previous) = holder_pid(&mut file) {
            // The lock was free, so whoever wrote this pid is gone.
            tracing::info!(
                action = "dir_lock",
                status = "taken_over",
                error = "",
                previous_pid = previous,
                "the earlier holder of this lock is no longer running"
            );
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(Self { file })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Emptied while still held, so nobody reads a pid that is not running;
        // closing the file releases the lock.
        let _ = self.file.set_len(0);
    }
}

fn holder_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    // A pid is a few digits: read no more than a line's worth of anything.
    Read::by_ref(file).take(64).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}
