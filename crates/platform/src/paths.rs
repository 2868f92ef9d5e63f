//! Canonical paths as a user would type them back: on Windows without the
//! `\\?\` prefix `canonicalize` adds (kept only where a path needs it).

use std::path::{Path, PathBuf};

pub fn canonicalize(path: &Path) -> std::io::Result<PathBuf> {
    dunce::canonicalize(path)
}
