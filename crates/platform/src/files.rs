//! Files. On Unix the tool's files are its user's and `0600` (directories
//! `0700`). On Windows a file's ACL is inherited from its folder: the
//! tool's private state is kept under the user's profile (see `dirs`),
//! which other users cannot read; nothing here sets an ACL.

use std::fs::{Metadata, OpenOptions};
use std::path::Path;

/// Why an existing file is not one the tool made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotOurs {
    /// Another user owns it.
    OtherOwner,
    /// Other users may read or write it (the tool writes `0600`), or, on
    /// Windows, it is read-only (the tool never sets that).
    SharedMode,
}

/// Why `existing` is not a file the tool made, judged against `ours`, a file
/// the tool has just created beside it.
pub fn not_made_by_us(existing: &Metadata, ours: &Metadata) -> Option<NotOurs> {
    imp::not_made_by_us(existing, ours)
}

/// `options` create a file only the user can read (`0600` on Unix).
pub fn private_file(options: &mut OpenOptions) -> &mut OpenOptions {
    imp::private_file(options)
}

/// Makes `path` (a directory) enterable by its user only (`0700` on Unix).
pub fn make_dir_private(path: &Path) -> std::io::Result<()> {
    imp::make_dir_private(path)
}

/// Makes `path` (a file) readable by its user only (`0600` on Unix).
pub fn make_file_private(path: &Path) -> std::io::Result<()> {
    imp::make_file_private(path)
}

/// Whether users other than the file's owner may read it (group or other
/// read bits on Unix). A file holding secrets the user wrote by hand (the
/// console's `--token-file`) is refused then. On Windows a file's ACL is
/// inherited from its folder and not read here: always false.
pub fn readable_by_others(metadata: &Metadata) -> bool {
    imp::readable_by_others(metadata)
}

/// Makes a read-only file writable by its owner (a copy of a workbook that
/// was read-only is the tool's to write).
pub fn make_owner_writable(path: &Path) -> std::io::Result<()> {
    imp::make_owner_writable(path)
}

/// What tells one file from another at the same path, and whether it
/// changed, beyond its size and modification time: on Unix the device and
/// inode and the status-change time; on Windows the creation time (a file
/// replaced by another has another), with no identity number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    pub id: (u64, u64),
    pub changed: (i64, i64),
}

pub fn identity(metadata: &Metadata) -> FileIdentity {
    imp::identity(metadata)
}

/// Gives `path` the owner of `like`, where the process may (as root on
/// Unix); elsewhere nothing. Best effort: a rewrite keeps its owner.
pub fn copy_owner(path: &Path, like: &Metadata) {
    imp::copy_owner(path, like)
}

/// Whether `error` says another program holds the file open in a way that
/// forbids this (Windows: a workbook open in Excel). Never on Unix, whose
/// locks are advisory.
pub fn in_use(error: &std::io::Error) -> bool {
    imp::in_use(error)
}

/// Makes a rename into `dir` durable where a directory can be synced
/// (Unix); elsewhere the rename is as durable as the platform makes it.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    imp::sync_dir(dir)
}

#[cfg(unix)]
mod imp {
    use super::{FileIdentity, NotOurs};
    use std::fs::{Metadata, OpenOptions};
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    pub fn not_made_by_us(existing: &Metadata, ours: &Metadata) -> Option<NotOurs> {
        if existing.uid() != ours.uid() {
            Some(NotOurs::OtherOwner)
        } else if existing.mode() & 0o077 != 0 {
            Some(NotOurs::SharedMode)
        } else {
            None
        }
    }

    pub fn private_file(options: &mut OpenOptions) -> &mut OpenOptions {
        options.mode(0o600)
    }

    pub fn make_dir_private(path: &Path) -> std::io::Result<()> {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
    }

    pub fn make_file_private(path: &Path) -> std::io::Result<()> {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
    }

    pub fn readable_by_others(metadata: &Metadata) -> bool {
        metadata.mode() & 0o044 != 0
    }

    pub fn make_owner_writable(path: &Path) -> std::io::Result<()> {
        let mut permissions = std::fs::metadata(path)?.permissions();
        if permissions.mode() & 0o200 == 0 {
            permissions.set_mode(permissions.mode() | 0o200);
            std::fs::set_permissions(path, permissions)?;
        }
        Ok(())
    }

    pub fn identity(metadata: &Metadata) -> FileIdentity {
        FileIdentity {
            id: (metadata.dev(), metadata.ino()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }

    pub fn copy_owner(path: &Path, like: &Metadata) {
        let _ = std::os::unix::fs::chown(path, Some(like.uid()), Some(like.gid()));
    }

    pub fn in_use(_error: &std::io::Error) -> bool {
        false
    }

    pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
        std::fs::File::open(dir)?.sync_all()
    }
}

#[cfg(windows)]
mod imp {
    use super::{FileIdentity, NotOurs};
    use std::fs::{Metadata, OpenOptions};
    use std::os::windows::fs::MetadataExt;
    use std::path::Path;

    /// Windows error codes: another process has the file open without
    /// sharing (`ERROR_SHARING_VIOLATION`), or has locked a range of it
    /// (`ERROR_LOCK_VIOLATION`), as Excel does with an open workbook.
    const ERROR_SHARING_VIOLATION: i32 = 32;
    const ERROR_LOCK_VIOLATION: i32 = 33;

    pub fn not_made_by_us(existing: &Metadata, _ours: &Metadata) -> Option<NotOurs> {
        existing
            .permissions()
            .readonly()
            .then_some(NotOurs::SharedMode)
    }

    pub fn private_file(options: &mut OpenOptions) -> &mut OpenOptions {
        options
    }

    pub fn make_dir_private(_path: &Path) -> std::io::Result<()> {
        Ok(())
    }

    pub fn make_file_private(_path: &Path) -> std::io::Result<()> {
        Ok(())
    }

    pub fn readable_by_others(_metadata: &Metadata) -> bool {
        false
    }

    pub fn make_owner_writable(path: &Path) -> std::io::Result<()> {
        let mut permissions = std::fs::metadata(path)?.permissions();
        if permissions.readonly() {
            #[allow(clippy::permissions_set_readonly_false)]
            permissions.set_readonly(false);
            std::fs::set_permissions(path, permissions)?;
        }
        Ok(())
    }

    pub fn identity(metadata: &Metadata) -> FileIdentity {
        let created = metadata.creation_time();
        FileIdentity {
            id: (0, created),
            changed: (i64::try_from(created).unwrap_or(i64::MAX), 0),
        }
    }

    pub fn copy_owner(_path: &Path, _like: &Metadata) {}

    pub fn in_use(error: &std::io::Error) -> bool {
        matches!(
            error.raw_os_error(),
            Some(ERROR_SHARING_VIOLATION | ERROR_LOCK_VIOLATION)
        )
    }

    pub fn sync_dir(_dir: &Path) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_file_is_made_by_us_and_a_shared_one_is_not() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let ours = dir.path().join("ours");
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        private_file(&mut options).open(&ours)?;
        let probe = tempfile::NamedTempFile::new_in(dir.path())?;
        let probe = probe.as_file().metadata()?;
        assert_eq!(not_made_by_us(&std::fs::metadata(&ours)?, &probe), None);
        let shared = dir.path().join("shared");
        std::fs::write(&shared, b"x")?;
        let mut permissions = std::fs::metadata(&shared)?.permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(&shared, permissions)?;
        assert_eq!(
            not_made_by_us(&std::fs::metadata(&shared)?, &probe),
            Some(NotOurs::SharedMode)
        );
        make_owner_writable(&shared)?;
        std::fs::write(&shared, b"y")?;
        Ok(())
    }

    #[test]
    fn a_replaced_file_has_another_identity() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("file");
        std::fs::write(&path, b"first")?;
        let first = identity(&std::fs::metadata(&path)?);
        assert_eq!(first, identity(&std::fs::metadata(&path)?));
        let other = dir.path().join("other");
        std::fs::write(&other, b"secnd")?;
        std::fs::rename(&other, &path)?;
        assert_ne!(first, identity(&std::fs::metadata(&path)?));
        Ok(())
    }

    /// What Excel does to an open workbook: opened with no sharing. Opening
    /// it again, to read or to write, is "in use". Replacing it fails too,
    /// but Windows says "access denied" there, as for a file one may not
    /// write: a rewrite looks for "in use" by opening the file first.
    #[cfg(windows)]
    #[test]
    fn windows_a_file_open_without_sharing_is_in_use() -> std::io::Result<()> {
        use std::os::windows::fs::OpenOptionsExt;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("规划 设计表.xlsx");
        std::fs::write(&path, b"workbook")?;
        let held = OpenOptions::new()
            .read(true)
            .write(true)
            .share_mode(0)
            .open(&path)?;
        let error = std::fs::read(&path).expect_err("held without sharing");
        assert!(in_use(&error), "{error:?}");
        let error = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect_err("held without sharing");
        assert!(in_use(&error), "{error:?}");
        let other = dir.path().join("new.xlsx");
        std::fs::write(&other, b"rewritten")?;
        std::fs::rename(&other, &path).expect_err("held without sharing");
        drop(held);
        assert_eq!(std::fs::read(&path)?, b"workbook");
        std::fs::rename(&other, &path)?;
        assert_eq!(std::fs::read(&path)?, b"rewritten");
        Ok(())
    }

    /// A file's identity on Windows is its creation time: not zero, and the
    /// same while the file is left alone. (That a rewrite in place keeps it
    /// cannot be seen under wine, which derives it from the change time.)
    #[cfg(windows)]
    #[test]
    fn windows_an_untouched_file_keeps_its_identity() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("file");
        std::fs::write(&path, b"first")?;
        let first = identity(&std::fs::metadata(&path)?);
        assert_ne!(first.id, (0, 0));
        assert_eq!(std::fs::read(&path)?, b"first");
        assert_eq!(first, identity(&std::fs::metadata(&path)?));
        Ok(())
    }

    /// On Windows the tool sets no ACL: a private file or directory is an
    /// ordinary one (private by where it lives, see `dirs`), writable by
    /// its user, and the calls that make one succeed.
    #[test]
    fn private_files_and_dirs_are_made_and_stay_usable() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let inner = dir.path().join("state");
        std::fs::create_dir(&inner)?;
        make_dir_private(&inner)?;
        let file = inner.join("known_hosts");
        std::fs::write(&file, b"x")?;
        make_file_private(&file)?;
        std::fs::write(&file, b"y")?;
        assert_eq!(std::fs::read(&file)?, b"y");
        sync_dir(&inner)?;
        copy_owner(&file, &std::fs::metadata(&inner)?);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&inner)?.permissions().mode() & 0o777,
                0o700
            );
            assert_eq!(
                std::fs::metadata(&file)?.permissions().mode() & 0o777,
                0o600
            );
        }
        Ok(())
    }

    #[test]
    fn an_ordinary_error_is_not_a_file_in_use() {
        assert!(!in_use(&std::io::Error::from(
            std::io::ErrorKind::PermissionDenied
        )));
    }
}
