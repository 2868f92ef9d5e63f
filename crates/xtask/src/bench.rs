//! `cargo xtask bench-upload`: the upload speed of the static musl build
//! against the host (glibc) build of the same version, the release's promise
//! that the static binary is not the slow one (issue 16: not more than 10 %
//! slower).
//!
//! Each build runs its own `demo` (the simulator in-process, on loopback)
//! with a generated ISO, alternately, several times; the upload's speed is
//! the ISO's size over the `vmtools_upload` step's `elapsed_ms` in the run's
//! `report.json`. Every run is in its own loopback-only network namespace
//! (`unshare -n`), as every test is. The median run of each build is its
//! speed: on a machine others share, one run may land in a quiet moment
//! (the best run then flatters a slow build) or a busy one.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::archive;
use crate::compile;
use crate::prereq;
use crate::target::Target;

/// What to compare and how.
#[derive(Debug)]
pub struct Bench {
    pub host: Target,
    pub musl: Target,
    /// The binaries' source: `dist` archives, or the builds in `target/`.
    pub source: Source,
    pub iso_mib: u64,
    pub runs: u32,
    /// How much slower than the host build the musl build may be, in %.
    pub max_slowdown: f64,
}

/// Where the two binaries come from.
#[derive(Debug)]
pub enum Source {
    /// The archives `cargo xtask dist` wrote into this directory.
    Dist(PathBuf),
    /// `cargo xtask dist`'s builds with this Cargo profile in `target/`.
    Built { root: PathBuf, profile: String },
    /// These two files (e.g. a build kept from before a change).
    Files { host: PathBuf, musl: PathBuf },
}

/// One build's runs.
#[derive(Debug)]
struct Measured {
    label: String,
    binary: PathBuf,
    /// MiB/s of each run.
    speeds: Vec<f64>,
}

impl Measured {
    fn best(&self) -> f64 {
        self.speeds.iter().copied().fold(0.0, f64::max)
    }

    fn median(&self) -> f64 {
        let mut sorted = self.speeds.clone();
        sorted.sort_by(f64::total_cmp);
        match sorted.len() {
            0 => 0.0,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        }
    }
}

pub fn run(bench: &Bench) -> anyhow::Result<()> {
    if !prereq::on_path("unshare") {
        bail!("missing: unshare (each run's loopback-only namespace) — apt-get install util-linux");
    }
    // In memory when there is /dev/shm: the ISO and the simulator's copy
    // of it (TMPDIR below) then cost no disk space, and the disk's speed,
    // the same for both builds, does not blur the difference.
    let shm = Path::new("/dev/shm");
    let scratch = tempfile::Builder::new()
        .prefix("smtx-bench-upload-")
        .tempdir_in(if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        })?;
    let (host_binary, musl_binary) = binaries(bench, scratch.path())?;
    let mut builds = [
        Measured {
            label: bench.host.triple.clone(),
            binary: host_binary,
            speeds: Vec::new(),
        },
        Measured {
            label: bench.musl.triple.clone(),
            binary: musl_binary,
            speeds: Vec::new(),
        },
    ];
    for build in &builds {
        println!("{:<28} {}", build.label, version(&build.binary)?);
    }
    println!(
        "upload of a {} MiB ISO to the demo's simulator, {} run(s) each, alternating:",
        bench.iso_mib, bench.runs
    );
    for run in 1..=bench.runs {
        for build in &mut builds {
            let dir = scratch.path().join(format!("run-{run}-{}", build.label));
            let speed = upload_speed(&build.binary, &dir, scratch.path(), bench.iso_mib)
                .with_context(|| format!("{} run {run}", build.label))?;
            println!("  run {run} {:<28} {speed:>7.1} MiB/s", build.label);
            build.speeds.push(speed);
            // Each run writes an ISO of iso_mib: keep one at a time.
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let [host, musl] = &builds;
    for build in &builds {
        println!(
            "{:<28} best {:>7.1} MiB/s, median {:>7.1} MiB/s",
            build.label,
            build.best(),
            build.median()
        );
    }
    let ratio = musl.median() / host.median();
    println!(
        "musl / host (median runs): {ratio:.2} (best runs: {:.2}); allowed: ≥ {:.2}",
        musl.best() / host.best(),
        1.0 - bench.max_slowdown / 100.0
    );
    if ratio < 1.0 - bench.max_slowdown / 100.0 {
        bail!(
            "the static build uploads {:.0} % slower than the host build (allowed: {} %)",
            (1.0 - ratio) * 100.0,
            bench.max_slowdown
        );
    }
    Ok(())
}

/// The host and the musl binary, unpacked into `scratch` if from archives.
fn binaries(bench: &Bench, scratch: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    match &bench.source {
        Source::Files { host, musl } => Ok((host.clone(), musl.clone())),
        Source::Built { root, profile } => {
            let find = |target: &Target| {
                let path = compile::binary_path(root, target, profile);
                if path.is_file() {
                    Ok(path)
                } else {
                    bail!(
                        "no {} (run cargo xtask dist --profile {profile} --target {target} first)",
                        path.display()
                    )
                }
            };
            Ok((find(&bench.host)?, find(&bench.musl)?))
        }
        Source::Dist(dist) => {
            let version = env!("CARGO_PKG_VERSION");
            let unpack = |target: &Target| -> anyhow::Result<PathBuf> {
                let archive = dist.join(target.archive_name(version));
                if !archive.is_file() {
                    bail!(
                        "no {} (run cargo xtask dist --target {target} first)",
                        archive.display()
                    );
                }
                let into = scratch.join(&target.triple);
                let top = archive::unpack(&archive, &into)?;
                Ok(top.join(target.binary_name()))
            };
            Ok((unpack(&bench.host)?, unpack(&bench.musl)?))
        }
    }
}

/// `smtx-deploy --version`'s line: which build is measured.
fn version(binary: &Path) -> anyhow::Result<String> {
    let output = Command::new(binary)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// One `demo` of `binary` in `dir`, in its own loopback-only namespace, its
/// temporary files (the simulator's uploads) in `tmp`; the upload's MiB/s
/// from the run's report.
fn upload_speed(binary: &Path, dir: &Path, tmp: &Path, iso_mib: u64) -> anyhow::Result<f64> {
    let output = Command::new("unshare")
        .env("TMPDIR", tmp)
        .args(["-n", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""])
        .arg(binary)
        .args(["demo", "--json", "--iso-mib", &iso_mib.to_string(), "--dir"])
        .arg(dir)
        .output()
        .context("cannot run unshare -n (as root?)")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
        bail!(
            "demo ended {} — stderr ends:\n{}",
            output.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let path = dir.join("run").join("report.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let report: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let elapsed_ms = upload_elapsed_ms(&report)
        .with_context(|| format!("{} has no vmtools_upload step", path.display()))?;
    Ok(iso_mib as f64 / (elapsed_ms.max(1) as f64 / 1000.0))
}

/// The `vmtools_upload` step's duration in a run's `report.json`.
fn upload_elapsed_ms(report: &Value) -> Option<u64> {
    report["stages"]
        .as_array()?
        .iter()
        .filter_map(|stage| stage["steps"].as_array())
        .flatten()
        .find(|step| step["action"] == "vmtools_upload" && step["status"] == "ok")
        .and_then(|step| step["elapsed_ms"].as_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_step_is_found_in_a_report() {
        let report = serde_json::json!({
            "stages": [
                {"stage": "prepare", "steps": [{"action": "ping", "status": "ok", "elapsed_ms": 3}]},
                {"stage": "config_cluster", "steps": [
                    {"action": "vmtools_upload", "status": "ok", "elapsed_ms": 512},
                ]},
            ]
        });
        assert_eq!(upload_elapsed_ms(&report), Some(512));
        let failed = serde_json::json!({"stages": [{"steps": [
            {"action": "vmtools_upload", "status": "failed", "elapsed_ms": 5},
        ]}]});
        assert_eq!(upload_elapsed_ms(&failed), None);
    }

    #[test]
    fn best_and_median_of_runs() {
        let measured = Measured {
            label: "x".to_owned(),
            binary: PathBuf::new(),
            speeds: vec![300.0, 500.0, 450.0, 100.0],
        };
        assert_eq!(measured.best(), 500.0);
        assert_eq!(measured.median(), 375.0);
    }
}
