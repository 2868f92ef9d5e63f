//! The SHA-256 of the ISO, computed once per process for a given file: a
//! fleet uploads the same file to every cluster, and hashing it per cluster
//! was a pass over the whole file for each. Keyed by the path and the
//! file's stamp (size, mtime, ctime, device, inode): any write to the file
//! moves its ctime, so a changed file is hashed anew and its old entry
//! dropped. Uploads of the same file at the same time wait for one
//! computation. The chunk size is not part of the key: the digest is of
//! the whole file, whatever the chunking.
//!
//! The digest is computed beside the upload (on the blocking pool, while
//! the chunks go out); the upload checks afterwards that the file's stamp
//! did not change meanwhile, so the digest is of the bytes it sent.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::{ApiError, FileReason};

/// Files remembered at once; past it the oldest entry goes.
const REMEMBERED: usize = 16;

/// One read while hashing.
const READ: usize = 1 << 20;

/// What says a file is still the one that was hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    /// ctime (seconds, nanoseconds): no one can set it back.
    changed: (i64, i64),
    /// Device and inode: a file replaced by a rename is another file.
    identity: (u64, u64),
}

impl FileStamp {
    pub(super) fn of(metadata: &std::fs::Metadata) -> Self {
        let smtx_platform::files::FileIdentity {
            id: identity,
            changed,
        } = smtx_platform::files::identity(metadata);
        Self {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            changed,
            identity,
        }
    }
}

type Entry = (PathBuf, FileStamp, Arc<OnceCell<String>>);

/// Digests by file; one per process ([`process`]), others in tests.
#[derive(Debug, Default)]
pub(super) struct DigestCache {
    /// Oldest first.
    entries: Mutex<Vec<Entry>>,
    /// Files read to be hashed (cache misses that ran).
    computed: AtomicU64,
}

/// The process's cache: every upload of every cluster shares it.
pub(super) fn process() -> &'static DigestCache {
    static CACHE: OnceLock<DigestCache> = OnceLock::new();
    CACHE.get_or_init(DigestCache::default)
}

impl DigestCache {
    /// The SHA-256 (lower-case hex) of the file at `path`, whose metadata
    /// read before the upload began gave `stamp`, and whether it came from
    /// the cache. Fails if the file cannot be read or changes while it is
    /// hashed.
    pub(super) async fn sha256(
        &self,
        path: &Path,
        stamp: &FileStamp,
    ) -> Result<(String, bool), ApiError> {
        let cell = self.cell(path, stamp);
        let mut computed_here = false;
        let digest = cell
            .get_or_try_init(|| {
                computed_here = true;
                self.computed.fetch_add(1, Ordering::Relaxed);
                hash_file(path.to_path_buf(), stamp.clone())
            })
            .await?;
        Ok((digest.clone(), !computed_here))
    }

    /// How many times a file was read to be hashed.
    #[cfg(test)]
    pub(super) fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    /// The entry for this file as stamped, made if missing; an entry for
    /// the same path with another stamp (the file changed) is dropped.
    fn cell(&self, path: &Path, stamp: &FileStamp) -> Arc<OnceCell<String>> {
        // A poisoned lock only means a panic elsewhere mid-update: the list
        // itself is always whole.
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, _, cell)) = entries
            .iter()
            .find(|(known, known_stamp, _)| known == path && known_stamp == stamp)
        {
            return Arc::clone(cell);
        }
        entries.retain(|(known, _, _)| known != path);
        if entries.len() >= REMEMBERED {
            entries.remove(0);
        }
        let cell = Arc::new(OnceCell::new());
        entries.push((path.to_path_buf(), stamp.clone(), Arc::clone(&cell)));
        cell
    }
}

/// Tells the blocking read to stop when the future waiting for it is
/// dropped (the upload failed or was aborted).
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

async fn hash_file(path: PathBuf, stamp: FileStamp) -> Result<String, ApiError> {
    let shown = path.display().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_on_drop = StopOnDrop(Arc::clone(&stop));
    let file_error = |reason: FileReason| ApiError::File {
        path: shown.clone(),
        reason,
    };
    let read_error = |error: &dyn std::fmt::Display| FileReason::HashRead {
        cause: error.to_string(),
    };
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut file = std::fs::File::open(&path).map_err(|e| read_error(&e))?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0_u8; READ];
        loop {
            if stop.load(Ordering::Relaxed) {
                return Err(FileReason::HashStopped);
            }
            let read = file.read(&mut buffer).map_err(|e| read_error(&e))?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        let after = FileStamp::of(&file.metadata().map_err(|e| read_error(&e))?);
        Ok((hex::encode(hasher.finalize()), after))
    })
    .await
    .map_err(|e| file_error(read_error(&e)))?
    .map_err(file_error)
    .and_then(|(digest, after)| {
        if after == stamp {
            Ok(digest)
        } else {
            Err(file_error(FileReason::ChangedWhileHashed))
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

    fn stamp(path: &Path) -> std::io::Result<FileStamp> {
        Ok(FileStamp::of(&std::fs::metadata(path)?))
    }

    fn sha(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    #[tokio::test]
    async fn the_same_file_is_hashed_once() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.iso");
        std::fs::write(&path, b"first content")?;
        let cache = DigestCache::default();
        let (digest, cached) = cache.sha256(&path, &stamp(&path)?).await?;
        assert_eq!(
            (digest.as_str(), cached),
            (sha(b"first content").as_str(), false)
        );
        let (again, cached) = cache.sha256(&path, &stamp(&path)?).await?;
        assert_eq!((again, cached), (digest, true));
        assert_eq!(cache.computed(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn a_changed_file_is_hashed_again() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.iso");
        std::fs::write(&path, b"first content")?;
        let cache = DigestCache::default();
        let before = stamp(&path)?;
        let first = cache.sha256(&path, &before).await?;
        let modified = std::fs::metadata(&path)?.modified()?;
        // Same size, same mtime: only the ctime tells the write apart. It
        // moves with the clock's tick, so write until it has.
        let after = smtx_testkit::poll_until_blocking(Duration::from_secs(10), || {
            std::fs::write(&path, b"other content").ok()?;
            let file = std::fs::File::options().write(true).open(&path).ok()?;
            file.set_modified(modified).ok()?;
            let now = stamp(&path).ok()?;
            (now != before).then_some(now)
        })
        .ok_or("the file's ctime never moved")?;
        assert_eq!(after.len, before.len);
        assert_eq!(after.modified, before.modified);
        let second = cache.sha256(&path, &after).await?;
        assert_eq!(second, (sha(b"other content"), false));
        assert_ne!(first.0, second.0);
        // Another size.
        std::fs::write(&path, b"longer content")?;
        let third = cache.sha256(&path, &stamp(&path)?).await?;
        assert_eq!(third, (sha(b"longer content"), false));
        assert_eq!(cache.computed(), 3);
        // Only the file's latest version is remembered.
        assert_eq!(cache.entries.lock().map(|e| e.len()).unwrap_or(0), 1);
        Ok(())
    }

    #[tokio::test]
    async fn a_file_replaced_by_a_rename_is_hashed_again() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.iso");
        std::fs::write(&path, b"first content")?;
        let cache = DigestCache::default();
        cache.sha256(&path, &stamp(&path)?).await?;
        let other = dir.path().join("b.iso");
        std::fs::write(&other, b"other content")?;
        std::fs::rename(&other, &path)?;
        let (digest, cached) = cache.sha256(&path, &stamp(&path)?).await?;
        assert_eq!((digest, cached), (sha(b"other content"), false));
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn uploads_at_the_same_time_share_one_computation() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.iso");
        std::fs::write(&path, vec![7_u8; 3 * READ + 5])?;
        let cache = Arc::new(DigestCache::default());
        let stamp = stamp(&path)?;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (cache, path, stamp) = (Arc::clone(&cache), path.clone(), stamp.clone());
                tokio::spawn(async move { cache.sha256(&path, &stamp).await })
            })
            .collect();
        for task in tasks {
            let (digest, _) = task.await??;
            assert_eq!(digest, sha(&vec![7_u8; 3 * READ + 5]));
        }
        assert_eq!(cache.computed(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn a_stamp_that_no_longer_fits_the_file_is_an_error() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.iso");
        std::fs::write(&path, b"first content")?;
        let before = stamp(&path)?;
        std::fs::write(&path, b"changed after the stat")?;
        let cache = DigestCache::default();
        let answer = cache.sha256(&path, &before).await;
        assert!(
            matches!(
                &answer,
                Err(ApiError::File {
                    reason: FileReason::ChangedWhileHashed,
                    ..
                })
            ),
            "{answer:?}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn only_the_newest_files_are_remembered() -> TestResult {
        let dir = tempfile::tempdir()?;
        let cache = DigestCache::default();
        for index in 0..REMEMBERED + 3 {
            let path = dir.path().join(format!("{index}.iso"));
            std::fs::write(&path, index.to_string())?;
            cache.sha256(&path, &stamp(&path)?).await?;
        }
        assert_eq!(
            cache.entries.lock().map(|e| e.len()).unwrap_or(0),
            REMEMBERED
        );
        let first = dir.path().join("0.iso");
        let (_, cached) = cache.sha256(&first, &stamp(&first)?).await?;
        assert!(!cached, "the oldest entry was dropped");
        Ok(())
    }
}
