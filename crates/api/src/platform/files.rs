//! Files: whether an existing file is one the tool made, and making a
//! rename durable.

use std::fs::Metadata;

use crate::atomic_file::ForeignWhy;

/// Why `existing` is not a file the tool made, judged against `ours`, a file
/// the tool has just created beside it. On Unix the tool's files are its
/// user's and `0600`; a file of another owner, or one others may read or
/// write, was put there by someone else.
#[cfg(unix)]
pub(crate) fn not_made_by_us(existing: &Metadata, ours: &Metadata) -> Option<ForeignWhy> {
    use std::os::unix::fs::MetadataExt;
    if existing.uid() != ours.uid() {
        Some(ForeignWhy::OtherOwner)
    } else if existing.mode() & 0o077 != 0 {
        Some(ForeignWhy::SharedMode)
    } else {
        None
    }
}

/// On Windows a file's owner and ACL are not read here: a file under the
/// user's profile is the user's. A read-only file is not the tool's (it
/// never sets the attribute).
#[cfg(not(unix))]
pub(crate) fn not_made_by_us(existing: &Metadata, _ours: &Metadata) -> Option<ForeignWhy> {
    existing
        .permissions()
        .readonly()
        .then_some(ForeignWhy::SharedMode)
}

/// Directories can be opened and synced on Unix; elsewhere the rename is as
/// durable as the platform makes it.
#[cfg(unix)]
pub(crate) fn sync_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &std::path::Path) -> std::io::Result<()> {
    Ok(())
}
