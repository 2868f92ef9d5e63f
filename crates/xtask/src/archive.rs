//! The release archives: a `.zip` for Windows, a `.tar.gz` for Linux, each
//! one directory `smtx-deploy-<version>-<target>/` holding the binary, the
//! README, `QUICKSTART.txt` and the simulator's scenarios; and `SHA256SUMS`
//! over them, in the format `sha256sum -c` reads.
//!
//! Entries are sorted and stamped with one time (the commit's), owner 0, so
//! the same binary packs to the same bytes.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::target::ArchiveKind;

/// One file of an archive, under its top directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path inside the top directory, with `/`.
    pub name: String,
    pub contents: Vec<u8>,
    pub executable: bool,
}

impl Entry {
    pub fn file(name: impl Into<String>, contents: Vec<u8>) -> Entry {
        Entry {
            name: name.into(),
            contents,
            executable: false,
        }
    }
}

/// Writes `entries` under `top/` into `path`, through `<path>.part`
/// renamed at the end (a failed run leaves no half archive). The file gets
/// the umask's mode (0644), as a download should: not a temporary file's
/// 0600.
pub fn write(
    path: &Path,
    kind: ArchiveKind,
    top: &str,
    entries: &[Entry],
    mtime: u64,
) -> anyhow::Result<()> {
    let mut entries: Vec<&Entry> = entries.iter().collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = PathBuf::from(part);
    let created = std::fs::File::create(&part)
        .with_context(|| format!("cannot create {}", part.display()))?;
    let file = match kind {
        ArchiveKind::Zip => write_zip(created, top, &entries, mtime),
        ArchiveKind::TarGz => write_tar_gz(created, top, &entries, mtime),
    }
    .and_then(|file| Ok(file.sync_all()?));
    if let Err(error) = file {
        let _ = std::fs::remove_file(&part);
        return Err(error.context(format!("cannot write {}", part.display())));
    }
    std::fs::rename(&part, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn write_zip(
    file: std::fs::File,
    top: &str,
    entries: &[&Entry],
    mtime: u64,
) -> anyhow::Result<std::fs::File> {
    let mut zip = zip::ZipWriter::new(file);
    let stamp = zip_time(mtime);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(stamp);
    for entry in entries {
        let mode = if entry.executable { 0o755 } else { 0o644 };
        zip.start_file(
            format!("{top}/{}", entry.name),
            options.unix_permissions(mode),
        )?;
        zip.write_all(&entry.contents)?;
    }
    Ok(zip.finish()?)
}

fn write_tar_gz(
    file: std::fs::File,
    top: &str,
    entries: &[&Entry],
    mtime: u64,
) -> anyhow::Result<std::fs::File> {
    let gzip = flate2::write::GzEncoder::new(file, flate2::Compression::best());
    let mut tar = tar::Builder::new(gzip);
    let mut directories: Vec<String> = vec![String::new()];
    for entry in entries {
        let parts: Vec<&str> = entry.name.split('/').collect();
        for depth in 1..parts.len() {
            let parent = parts[..depth].join("/");
            if !directories.contains(&parent) {
                directories.push(parent);
            }
        }
    }
    directories.sort();
    for directory in directories {
        let name = if directory.is_empty() {
            format!("{top}/")
        } else {
            format!("{top}/{directory}/")
        };
        let mut header = header(tar::EntryType::Directory, 0o755, 0, mtime);
        tar.append_data(&mut header, name, std::io::empty())?;
    }
    for entry in entries {
        let mode = if entry.executable { 0o755 } else { 0o644 };
        let mut header = header(
            tar::EntryType::Regular,
            mode,
            entry.contents.len() as u64,
            mtime,
        );
        tar.append_data(
            &mut header,
            format!("{top}/{}", entry.name),
            entry.contents.as_slice(),
        )?;
    }
    let gzip = tar.into_inner()?;
    Ok(gzip.finish()?)
}

fn header(kind: tar::EntryType, mode: u32, size: u64, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(mtime);
    header.set_uid(0);
    header.set_gid(0);
    header
}

/// A Unix time as a zip timestamp (UTC; zip has no zone), clamped to what
/// zip can hold (1980–2107).
fn zip_time(unix: u64) -> zip::DateTime {
    let days = i64::try_from(unix / 86_400).unwrap_or(i64::MAX);
    let seconds = unix % 86_400;
    let (year, month, day) = civil_from_days(days);
    let clamped = year.clamp(1980, 2107);
    let (month, day) = if clamped == year {
        (month, day)
    } else {
        (1, 1)
    };
    zip::DateTime::from_date_and_time(
        u16::try_from(clamped).unwrap_or(1980),
        month,
        day,
        (seconds / 3600) as u8,
        (seconds / 60 % 60) as u8,
        (seconds % 60) as u8,
    )
    .unwrap_or_default()
}

/// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u8;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u8;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The SHA-256 of a file, in lowercase hex.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// `SHA256SUMS`'s text: `<hash>  <name>` per line, sorted by name — what
/// `sha256sum -c SHA256SUMS` checks.
pub fn sums_text(sums: &[(String, String)]) -> String {
    let mut sums: Vec<&(String, String)> = sums.iter().collect();
    sums.sort_by(|a, b| a.0.cmp(&b.0));
    sums.iter()
        .map(|(name, hash)| format!("{hash}  {name}\n"))
        .collect()
}

/// The lines of `SHA256SUMS` as (name, hash).
pub fn parse_sums(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let (hash, name) = line.split_once("  ")?;
            Some((name.trim_start_matches('*').to_owned(), hash.to_owned()))
        })
        .collect()
}

/// Every archive of `version` in `dist`: what `SHA256SUMS` lists, so that
/// targets built by separate runs end up in one file.
pub fn archives_of(dist: &Path, version: &str) -> anyhow::Result<Vec<PathBuf>> {
    let prefix = format!("smtx-deploy-{version}-");
    let mut found = Vec::new();
    for entry in
        std::fs::read_dir(dist).with_context(|| format!("cannot list {}", dist.display()))?
    {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if name.starts_with(&prefix) && (name.ends_with(".zip") || name.ends_with(".tar.gz")) {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// Unpacks an archive `write` made into `into`; returns the top directory.
pub fn unpack(path: &Path, into: &Path) -> anyhow::Result<PathBuf> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    let top = if let Some(stem) = name.strip_suffix(".zip") {
        let mut zip = zip::ZipArchive::new(file)?;
        zip.extract(into)?;
        stem
    } else if let Some(stem) = name.strip_suffix(".tar.gz") {
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        tar.set_preserve_permissions(true);
        tar.unpack(into)?;
        stem
    } else {
        anyhow::bail!("{} is neither a .zip nor a .tar.gz", path.display());
    };
    Ok(into.join(top))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<Entry> {
        vec![
            Entry {
                name: "smtx-deploy".to_owned(),
                contents: b"\x7fELF binary".to_vec(),
                executable: true,
            },
            Entry::file("scenarios/bmc-down.toml", b"# faults\n".to_vec()),
            Entry::file("README.md", b"# smtx-deploy\n".to_vec()),
        ]
    }

    fn list(dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(next) = stack.pop() {
            for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(relative) = path.strip_prefix(dir) {
                    found.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        found.sort();
        found
    }

    #[test]
    fn both_kinds_unpack_to_one_directory_with_every_file() -> anyhow::Result<()> {
        let scratch = tempfile::tempdir()?;
        for (kind, name) in [
            (ArchiveKind::Zip, "smtx-deploy-0.1.0-x.zip"),
            (ArchiveKind::TarGz, "smtx-deploy-0.1.0-x.tar.gz"),
        ] {
            let path = scratch.path().join(name);
            write(
                &path,
                kind,
                "smtx-deploy-0.1.0-x",
                &entries(),
                1_700_000_000,
            )?;
            let into = scratch.path().join(format!("{name}.out"));
            let top = unpack(&path, &into)?;
            assert_eq!(top, into.join("smtx-deploy-0.1.0-x"));
            assert_eq!(
                list(&top),
                ["README.md", "scenarios/bmc-down.toml", "smtx-deploy"],
                "{name}"
            );
            assert_eq!(std::fs::read(top.join("smtx-deploy"))?, b"\x7fELF binary");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(top.join("smtx-deploy"))?
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o111, 0o111, "{name}: the binary is executable");
                let archive_mode = std::fs::metadata(&path)?.permissions().mode();
                assert_eq!(archive_mode & 0o044, 0o044, "{name}: others may read it");
            }
            assert!(!scratch.path().join(format!("{name}.part")).exists());
        }
        Ok(())
    }

    #[test]
    fn the_same_files_pack_to_the_same_bytes() -> anyhow::Result<()> {
        let scratch = tempfile::tempdir()?;
        for kind in [ArchiveKind::Zip, ArchiveKind::TarGz] {
            let one = scratch.path().join("one");
            let two = scratch.path().join("two");
            let mut reversed = entries();
            reversed.reverse();
            write(&one, kind, "top", &entries(), 1_700_000_000)?;
            write(&two, kind, "top", &reversed, 1_700_000_000)?;
            assert_eq!(std::fs::read(&one)?, std::fs::read(&two)?, "{kind:?}");
        }
        Ok(())
    }

    #[test]
    fn sums_are_what_sha256sum_checks() -> anyhow::Result<()> {
        let scratch = tempfile::tempdir()?;
        let path = scratch.path().join("abc");
        std::fs::write(&path, b"abc")?;
        let hash = sha256_file(&path)?;
        assert_eq!(
            hash,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let text = sums_text(&[
            ("b.tar.gz".to_owned(), "22".to_owned()),
            ("a.zip".to_owned(), hash.clone()),
        ]);
        assert_eq!(text, format!("{hash}  a.zip\n22  b.tar.gz\n"));
        assert_eq!(
            parse_sums(&text),
            [
                ("a.zip".to_owned(), hash),
                ("b.tar.gz".to_owned(), "22".to_owned())
            ]
        );
        Ok(())
    }

    #[test]
    fn dates_are_the_calendar_ones() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        let stamp = zip_time(1_709_210_096); // 2024-02-29 12:34:56 UTC
        assert_eq!(
            (
                stamp.year(),
                stamp.month(),
                stamp.day(),
                stamp.hour(),
                stamp.minute(),
                stamp.second()
            ),
            (2024, 2, 29, 12, 34, 56)
        );
        assert_eq!(zip_time(0).year(), 1980);
    }
}
