//! Durable whole-file replacement, shared by every file a run keeps
//! (`context.json`, `report.json`, `known_hosts`): a crash, a power cut or a
//! SIGKILL at any instant leaves either the old file or the new one, never
//! a torn mix.
//!
//! It also decides *which* file may be replaced. A path the tool chose
//! itself ([`Replace::Own`]) is only ever a file the tool made: a symlink
//! there, or a file another user owns or that others may read, was put
//! there by someone else, and replacing it would let whoever planted it
//! make the tool overwrite (as its user, perhaps root) a file of their
//! choosing. Only a file the user named ([`Replace::Named`]) is followed
//! through a link and replaced whatever made it.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Who chose the path being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// The tool (a run directory's files, a default or console-chosen
    /// `known_hosts`): a symlink or a file the tool did not make is
    /// refused with [`ForeignFile`].
    Own,
    /// The user named this exact file (a flag, a settings file): a symlink
    /// is followed (its target replaced, the link kept) and the file's
    /// permissions are kept.
    Named,
}

/// Why a file at a path the tool chose was not replaced. Carried inside the
/// `io::Error` [`write_atomic`] returns ([`foreign_file`] finds it), so
/// every caller's error type keeps working and a catalog can word it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {why}; not replaced (only a file smtx-deploy made, or one named in the settings, is written)", path.display())]
pub struct ForeignFile {
    pub path: PathBuf,
    pub why: ForeignWhy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ForeignWhy {
    #[error("is a symbolic link")]
    Symlink,
    #[error("is not a regular file")]
    NotAFile,
    #[error("belongs to another user")]
    OtherOwner,
    #[error("is readable or writable by other users")]
    SharedMode,
}

/// The [`ForeignFile`] inside an error of [`write_atomic`], if that is why
/// it failed.
pub fn foreign_file(error: &std::io::Error) -> Option<&ForeignFile> {
    error.get_ref()?.downcast_ref::<ForeignFile>()
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, renames it
/// over `path`, then syncs the directory so the rename itself survives a
/// power cut (rename is atomic, but only durable once the directory entry
/// is on disk). What may be replaced depends on `replace` (see [`Replace`]).
pub fn write_atomic(path: &Path, bytes: &[u8], replace: Replace) -> std::io::Result<()> {
    let existing = match std::fs::symlink_metadata(path) {
        Ok(meta) => Some(meta),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error),
    };
    let foreign = |why| {
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            ForeignFile {
                path: path.to_path_buf(),
                why,
            },
        )
    };
    let resolved;
    let (path, kept_permissions) = match (&existing, replace) {
        (None, _) => (path, None),
        (Some(meta), Replace::Own) if meta.file_type().is_symlink() => {
            return Err(foreign(ForeignWhy::Symlink));
        }
        (Some(meta), Replace::Own) if !meta.is_file() => return Err(foreign(ForeignWhy::NotAFile)),
        (Some(_), Replace::Own) => (path, None),
        (Some(meta), Replace::Named) if meta.file_type().is_symlink() => {
            resolved = smtx_platform::paths::canonicalize(path)?;
            let permissions = std::fs::metadata(&resolved)?.permissions();
            (resolved.as_path(), Some(permissions))
        }
        (Some(meta), Replace::Named) => (path, Some(meta.permissions())),
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    if replace == Replace::Own
        && let Some(existing) = &existing
        && let Some(why) =
            smtx_platform::files::not_made_by_us(existing, &file.as_file().metadata()?)
    {
        return Err(foreign(match why {
            smtx_platform::files::NotOurs::OtherOwner => ForeignWhy::OtherOwner,
            smtx_platform::files::NotOurs::SharedMode => ForeignWhy::SharedMode,
        }));
    }
    file.write_all(bytes)?;
    if let Some(permissions) = kept_permissions {
        file.as_file().set_permissions(permissions)?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    smtx_platform::files::sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_leaves_no_temporary() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("context.json");
        write_atomic(&path, b"first", Replace::Own)?;
        write_atomic(&path, b"second, longer", Replace::Own)?;
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
    fn a_named_symlink_keeps_pointing_at_the_replaced_target() -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("real_known_hosts");
        std::fs::write(&target, b"old")?;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644))?;
        let link = dir.path().join("known_hosts");
        std::os::unix::fs::symlink(&target, &link)?;
        write_atomic(&link, b"new", Replace::Named)?;
        assert!(std::fs::symlink_metadata(&link)?.file_type().is_symlink());
        assert_eq!(std::fs::read(&target)?, b"new");
        // The user's file keeps its mode.
        assert_eq!(
            std::fs::metadata(&target)?.permissions().mode() & 0o777,
            0o644
        );
        Ok(())
    }

    /// The attack of issue 21: a path the tool chose is a link to someone
    /// else's file. Nothing is written through it, the link stays.
    #[cfg(unix)]
    #[test]
    fn an_own_path_refuses_a_symlink() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("passwd");
        std::fs::write(&target, b"root:x:0:0\n")?;
        let link = dir.path().join("known_hosts");
        std::os::unix::fs::symlink(&target, &link)?;
        let error = write_atomic(&link, b"evil", Replace::Own).expect_err("refused");
        let foreign = foreign_file(&error).expect("a ForeignFile");
        assert_eq!(foreign.why, ForeignWhy::Symlink);
        assert_eq!(std::fs::read(&target)?, b"root:x:0:0\n");
        assert!(std::fs::symlink_metadata(&link)?.file_type().is_symlink());
        Ok(())
    }

    /// A file others may read was not made by the tool (it writes 0600):
    /// its contents, inode and mode stay as they were.
    #[cfg(unix)]
    #[test]
    fn an_own_path_refuses_a_file_the_tool_did_not_make() -> std::io::Result<()> {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("hosts");
        std::fs::write(&path, b"127.0.0.1 localhost\n")?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
        let before = std::fs::metadata(&path)?;
        let error = write_atomic(&path, b"evil", Replace::Own).expect_err("refused");
        assert_eq!(
            foreign_file(&error).map(|f| f.why),
            Some(ForeignWhy::SharedMode),
            "{error}"
        );
        let after = std::fs::metadata(&path)?;
        assert_eq!(std::fs::read(&path)?, b"127.0.0.1 localhost\n");
        assert_eq!(before.ino(), after.ino());
        assert_eq!(after.permissions().mode() & 0o777, 0o644);
        // A directory is not replaced either.
        let error = write_atomic(dir.path(), b"x", Replace::Own).expect_err("refused");
        assert_eq!(
            foreign_file(&error).map(|f| f.why),
            Some(ForeignWhy::NotAFile)
        );
        // The same file, named by the user, is written and keeps its mode.
        write_atomic(&path, b"named", Replace::Named)?;
        assert_eq!(std::fs::read(&path)?, b"named");
        assert_eq!(
            std::fs::metadata(&path)?.permissions().mode() & 0o777,
            0o644
        );
        Ok(())
    }

    /// What the tool wrote it may write again.
    #[test]
    fn an_own_file_is_replaced_again() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("known_hosts");
        for round in 0..3 {
            write_atomic(&path, format!("round {round}").as_bytes(), Replace::Own)?;
        }
        assert_eq!(std::fs::read(&path)?, b"round 2");
        Ok(())
    }
}
