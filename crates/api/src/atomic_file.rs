//! Durable whole-file replacement, shared by every file a run keeps
//! (`context.json`, `report.json`, `known_hosts`): a crash, a power cut or a
//! SIGKILL at any instant leaves either the old file or the new one, never
//! a torn mix.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to a temporary file beside `path`, syncs it, renames it
/// over `path`, then syncs the directory so the rename itself survives a
/// power cut (rename is atomic, but only durable once the directory entry
/// is on disk). A symlink is followed: its target is replaced, the link
/// stays (a `known_hosts` linked elsewhere keeps being that file).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let resolved;
    let path = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            resolved = std::fs::canonicalize(path)?;
            resolved.as_path()
        }
        _ => path,
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    sync_dir(dir)
}

/// Directories can be opened and synced on Unix; elsewhere the rename is as
/// durable as the platform makes it.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_leaves_no_temporary() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("context.json");
        write_atomic(&path, b"first")?;
        write_atomic(&path, b"second, longer")?;
        assert_eq!(std::fs::read(&path)?, b"second, longer");
        let names: Vec<_> = std::fs::read_dir(dir.path())?
            .filter_map(Result::ok)
            .map(|entry| entry.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("context.json")]);
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_keeps_pointing_at_the_replaced_target() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("real_known_hosts");
        std::fs::write(&target, b"old")?;
        let link = dir.path().join("known_hosts");
        std::os::unix::fs::symlink(&target, &link)?;
        write_atomic(&link, b"new")?;
        assert!(std::fs::symlink_metadata(&link)?.file_type().is_symlink());
        assert_eq!(std::fs::read(&target)?, b"new");
        Ok(())
    }
}
