//! The run directory's lock: one run at a time writes `context.json`, the
//! stage logs and `report.json` of a directory. A second run on the same
//! directory is refused with the holder's pid instead of interleaving with
//! it.
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
    file: File,
}

impl RunLock {
    pub(crate) fn acquire(run_dir: &Path) -> Result<Self, EngineError> {
        let path = run_dir.join(LOCK_FILE);
        let io = |e: std::io::Error| EngineError::Io {
            path: path.clone(),
            reason: e.to_string(),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(EngineError::RunDirBusy {
                    run_dir: run_dir.to_path_buf(),
                    holder: holder_pid(&mut file),
                });
            }
            Err(TryLockError::Error(error)) => return Err(io(error)),
        }
        if let Some(previous) = holder_pid(&mut file) {
            // The lock was free, so whoever wrote this pid is gone.
            tracing::info!(
                action = "run_lock",
                status = "taken_over",
                error = "",
                previous_pid = previous,
                "the earlier run on this directory is no longer running"
            );
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(Self { file })
    }
}

impl Drop for RunLock {
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
