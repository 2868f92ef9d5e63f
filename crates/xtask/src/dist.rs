//! `cargo xtask dist`: for each target, look for what its build needs,
//! build `smtx-deploy` with the `dist` profile (stripped), pack it with the
//! README, `QUICKSTART.txt` and the scenarios, then write `SHA256SUMS` and
//! print the sizes and build times.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::archive::{self, Entry};
use crate::compile;
use crate::prereq;
use crate::quickstart;
use crate::target::Target;

/// One target done.
#[derive(Debug)]
struct Row {
    target: String,
    binary: u64,
    archive: u64,
    took: Duration,
}

pub fn run(root: &Path, dist: &Path, targets: &[Target], profile: &str) -> anyhow::Result<()> {
    let host_rustc = prereq::rustc_version(Path::new("rustc"))
        .context("cannot run rustc -V (the workspace's toolchain)")?;
    let missing = prereq::for_dist(targets, &host_rustc);
    if !missing.is_empty() {
        for line in &missing {
            eprintln!("{line}");
        }
        bail!(
            "{} missing piece(s): install them and run again",
            missing.len()
        );
    }
    std::fs::create_dir_all(dist).with_context(|| format!("cannot create {}", dist.display()))?;
    let version = env!("CARGO_PKG_VERSION");
    let mtime = source_date(root);
    let mut rows = Vec::new();
    for target in targets {
        eprintln!("dist: building {target} ({:?})", target.recipe);
        let built = compile::build(root, target, profile)?;
        let archive_path = dist.join(target.archive_name(version));
        let entries = entries(root, target, version, &built.binary)?;
        archive::write(
            &archive_path,
            target.archive_kind(),
            &target.stem(version),
            &entries,
            mtime,
        )?;
        let row = Row {
            target: target.triple.clone(),
            binary: std::fs::metadata(&built.binary)?.len(),
            archive: std::fs::metadata(&archive_path)?.len(),
            took: built.took,
        };
        eprintln!(
            "dist: {} ({}, built in {})",
            archive_path.display(),
            mib(row.archive),
            minutes(row.took)
        );
        rows.push(row);
        // After each target, so a run stopped half-way leaves sums that
        // match the archives there.
        write_sums(dist, version)?;
    }
    let sums_path = dist.join("SHA256SUMS");
    let sums_text = write_sums(dist, version)?;

    println!(
        "{:<28} {:>10} {:>10} {:>8}",
        "target", "binary", "archive", "build"
    );
    for row in &rows {
        println!(
            "{:<28} {:>10} {:>10} {:>8}",
            row.target,
            mib(row.binary),
            mib(row.archive),
            minutes(row.took)
        );
    }
    println!();
    println!("{}:", sums_path.display());
    print!("{sums_text}");
    Ok(())
}

/// `SHA256SUMS` over every archive of `version` in `dist`; returns its text.
fn write_sums(dist: &Path, version: &str) -> anyhow::Result<String> {
    let mut sums = Vec::new();
    for path in archive::archives_of(dist, version)? {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_owned();
        sums.push((name, archive::sha256_file(&path)?));
    }
    let text = archive::sums_text(&sums);
    let path = dist.join("SHA256SUMS");
    std::fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(text)
}

/// What goes into a target's archive.
fn entries(
    root: &Path,
    target: &Target,
    version: &str,
    binary: &Path,
) -> anyhow::Result<Vec<Entry>> {
    let read = |path: &Path| {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let mut entries = vec![
        Entry {
            name: target.binary_name().to_owned(),
            contents: read(binary)?,
            executable: true,
        },
        Entry::file("README.md", read(&root.join("README.md"))?),
        Entry::file(
            "QUICKSTART.txt",
            quickstart::text(target, version).into_bytes(),
        ),
    ];
    for scenario in scenarios(root)? {
        let name = scenario
            .file_name()
            .and_then(|name| name.to_str())
            .context("a scenario whose name is not UTF-8")?;
        entries.push(Entry::file(format!("scenarios/{name}"), read(&scenario)?));
    }
    Ok(entries)
}

/// `crates/sim/scenarios/*.toml`, sorted.
fn scenarios(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let dir = root.join("crates/sim/scenarios");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "toml")
        })
        .collect();
    found.sort();
    if found.is_empty() {
        bail!("no scenario in {}", dir.display());
    }
    Ok(found)
}

/// The time the archives' files carry: `SOURCE_DATE_EPOCH` if set, else
/// the commit's, else now.
fn source_date(root: &Path) -> u64 {
    let from_env = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|text| text.trim().parse().ok());
    let from_git = || {
        let output = Command::new("git")
            .args(["log", "-1", "--format=%ct"])
            .current_dir(root)
            .output()
            .ok()?;
        String::from_utf8(output.stdout).ok()?.trim().parse().ok()
    };
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|since| since.as_secs())
            .unwrap_or(0)
    };
    from_env.or_else(from_git).unwrap_or_else(now)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn minutes(took: Duration) -> String {
    let seconds = took.as_secs();
    format!("{}m{:02}s", seconds / 60, seconds % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Recipe;

    #[test]
    fn an_archive_holds_the_binary_readme_quickstart_and_every_scenario() -> anyhow::Result<()> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let scratch = tempfile::tempdir()?;
        let binary = scratch.path().join("smtx-deploy.exe");
        std::fs::write(&binary, b"MZ")?;
        let target = Target {
            triple: "x86_64-pc-windows-gnu".to_owned(),
            recipe: Recipe::Mingw,
        };
        let entries = entries(&root, &target, "0.1.0", &binary)?;
        let names: Vec<&str> = entries.iter().map(|entry| entry.name.as_str()).collect();
        assert_eq!(
            names[..3],
            ["smtx-deploy.exe", "README.md", "QUICKSTART.txt"]
        );
        assert!(names.contains(&"scenarios/bmc-down.toml"), "{names:?}");
        let scenario_count = std::fs::read_dir(root.join("crates/sim/scenarios"))?
            .filter(|entry| {
                entry
                    .as_ref()
                    .is_ok_and(|entry| entry.path().extension().is_some_and(|e| e == "toml"))
            })
            .count();
        assert_eq!(names.len(), 3 + scenario_count);
        assert!(entries.iter().filter(|entry| entry.executable).count() == 1);
        Ok(())
    }

    #[test]
    fn sizes_and_times_read_as_a_person_says_them() {
        assert_eq!(mib(15 * 1024 * 1024 + 512 * 1024), "15.5 MiB");
        assert_eq!(minutes(Duration::from_secs(372)), "6m12s");
    }
}
