//! Finding the VMTools ISO in a directory: the newest `SMTX_VMTOOLS-*.iso`
//! regular file, by the version in its name.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The newest `SMTX_VMTOOLS-*.iso` regular file in `dir`: highest version
/// in the name (numbers compared as numbers), then latest mtime, then name.
pub fn find_vmtools_iso(dir: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_string();
            let version = vmtools_version(&name)?;
            let metadata = std::fs::metadata(entry.path()).ok()?;
            if !metadata.is_file() {
                return None;
            }
            let mtime = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            Some(((version, mtime, name), entry.path()))
        })
        .max_by(|(a, _), (b, _)| a.cmp(b))
        .map(|(_, path)| path)
}

/// The numbers in `SMTX_VMTOOLS-3.2.0-2501210639.iso` → `[3, 2, 0,
/// 2501210639]`; `None` for any other name.
fn vmtools_version(name: &str) -> Option<Vec<u64>> {
    let rest = name.strip_prefix("SMTX_VMTOOLS-")?;
    let stem_len = rest.len().checked_sub(4)?;
    if !rest.is_char_boundary(stem_len) || !rest[stem_len..].eq_ignore_ascii_case(".iso") {
        return None;
    }
    Some(
        rest[..stem_len]
            .split(|c: char| !c.is_ascii_digit())
            .filter(|part| !part.is_empty())
            .map(|part| part.parse::<u64>().unwrap_or(u64::MAX))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_from_the_name() {
        assert_eq!(
            vmtools_version("SMTX_VMTOOLS-3.2.0-2501210639.iso"),
            Some(vec![3, 2, 0, 2_501_210_639])
        );
        assert_eq!(vmtools_version("SMTX_VMTOOLS-10.0.ISO"), Some(vec![10, 0]));
        assert_eq!(vmtools_version("SMTX_VMTOOLS-3.2.0.iso.part"), None);
        assert_eq!(vmtools_version("smtx_vmtools-3.2.0.iso"), None);
        assert_eq!(vmtools_version("SMTX_VMTOOLS-.iso"), Some(vec![]));
        assert!(vmtools_version("SMTX_VMTOOLS-10.0.iso") > vmtools_version("SMTX_VMTOOLS-9.9.iso"));
    }
}
