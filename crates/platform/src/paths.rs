//! Canonical paths as a user would type them back: on Windows without the
//! `\\?\` prefix `canonicalize` adds (kept only where a path needs it).

use std::path::{Path, PathBuf};

pub fn canonicalize(path: &Path) -> std::io::Result<PathBuf> {
    dunce::canonicalize(path)
}

#[cfg(test)]
mod tests {
    use super::canonicalize;

    /// A path the user could type back: absolute, no `\\?\` (Windows).
    #[test]
    fn a_canonical_path_has_no_verbatim_prefix() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("规划 设计表.xlsx");
        std::fs::write(&file, b"x")?;
        let canonical = canonicalize(&file)?;
        let shown = canonical.display().to_string();
        assert!(canonical.is_absolute(), "{shown}");
        assert!(!shown.starts_with(r"\\?\"), "{shown}");
        assert!(shown.ends_with("规划 设计表.xlsx"), "{shown}");
        assert_eq!(std::fs::read(&canonical)?, b"x");
        Ok(())
    }

    #[cfg(windows)]
    #[test]
    fn windows_a_canonical_path_starts_with_a_drive() -> std::io::Result<()> {
        let canonical = canonicalize(std::path::Path::new("."))?;
        let shown = canonical.display().to_string();
        let bytes = shown.as_bytes();
        assert!(
            bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && &bytes[1..3] == b":\\",
            "{shown}"
        );
        Ok(())
    }
}
