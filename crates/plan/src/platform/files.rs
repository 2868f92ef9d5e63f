//! Files: giving the rewritten workbook its original's owner, and making a
//! rename durable.

use std::fs::Metadata;
use std::path::Path;

/// Gives `path` (the new workbook, still a temporary file) the owner and
/// group of the workbook it replaces, where the process may (as root); a
/// refusal is not an error, the file then stays the user's.
#[cfg(unix)]
pub(crate) fn keep_owner(path: &Path, original: &Metadata) {
    use std::os::unix::fs::MetadataExt;
    let _ = std::os::unix::fs::chown(path, Some(original.uid()), Some(original.gid()));
}

/// On Windows a new file's owner is the user who writes it and its access
/// comes from the folder it is in, as for the workbook beside it: nothing to
/// copy.
#[cfg(not(unix))]
pub(crate) fn keep_owner(_path: &Path, _original: &Metadata) {}

/// Syncs the directory a file was renamed into, so the rename survives a
/// crash; a directory that cannot be opened or synced is let be.
#[cfg(unix)]
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// Windows cannot open a directory as a file: the rename is as durable as
/// the file system makes it.
#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &Path) {}
