//! `cargo xtask`: the project's build tasks, written in Rust rather than in
//! shell (the xtask convention; `.cargo/config.toml` holds the alias). A
//! workspace member that `smtx-deploy` never links.
//!
//! - `dist`: the release archives for Windows, static Linux (x86_64 and
//!   aarch64) and the host, into `dist/`, with `SHA256SUMS`.
//! - `smoke`: runs them (wine, qemu), as CI does.
//! - `bench-upload`: the static musl build's upload speed against the
//!   host build's.

mod archive;
mod bench;
mod compile;
mod dist;
mod prereq;
mod quickstart;
mod smoke;
mod target;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::target::Target;

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "The project's build tasks")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Build, strip and pack smtx-deploy per target into dist/, with SHA256SUMS.
    Dist {
        /// A target to build (repeatable; default: x86_64-pc-windows-gnu,
        /// x86_64-unknown-linux-musl, aarch64-unknown-linux-musl and the host).
        #[arg(long = "target", value_name = "TRIPLE")]
        targets: Vec<String>,
        /// Where the archives go.
        #[arg(long, default_value = "dist")]
        out: PathBuf,
        /// The Cargo profile: `dist` ships; CI checks with the quicker
        /// `ci-cross` (no LTO, opt-level 1).
        #[arg(long, default_value = compile::PROFILE)]
        profile: String,
    },
    /// Run dist/'s archives: static, --version, plan check, demo (en, zh-CN),
    /// a rehearsal, Ctrl-C and resume, serve; on Windows a workbook in use
    /// and the platform crate's tests.
    Smoke {
        /// A target to check (repeatable; default: the three cross targets).
        #[arg(long = "target", value_name = "TRIPLE")]
        targets: Vec<String>,
        /// A check to run (repeatable; default: all).
        #[arg(long = "check", value_enum)]
        checks: Vec<smoke::Check>,
        /// Where the archives are.
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// The reference workbooks `plan check` runs on
        /// (default: ../shared/reference/workbook beside the repository).
        #[arg(long)]
        workbooks: Option<PathBuf>,
        /// The host build `plan check --json` is compared with
        /// (default: the newest of target/{dist,debug,release}/smtx-deploy).
        #[arg(long)]
        reference: Option<PathBuf>,
        /// Seconds one command may take.
        #[arg(long, default_value_t = 600)]
        deadline: u64,
    },
    /// Upload speed of the static x86_64 musl build against the host build
    /// (each one's demo, in `unshare -n`); fails if musl is >10 % slower.
    BenchUpload {
        /// Take both binaries from dist/'s archives (default: the builds of
        /// `--profile` in target/).
        #[arg(long, conflicts_with_all = ["host", "musl"])]
        dist: Option<PathBuf>,
        /// The Cargo profile whose builds are compared (both the same).
        #[arg(long, default_value = compile::PROFILE)]
        profile: String,
        /// This host binary instead (with --musl).
        #[arg(long, requires = "musl")]
        host: Option<PathBuf>,
        /// This musl binary instead (with --host).
        #[arg(long, requires = "host")]
        musl: Option<PathBuf>,
        /// Size of the ISO uploaded, in MiB.
        #[arg(long, default_value_t = 256)]
        iso_mib: u64,
        /// Runs of each build, alternating; the median of each is compared.
        #[arg(long, default_value_t = 5)]
        runs: u32,
        /// How much slower (%) the musl build may be before this fails.
        #[arg(long, default_value_t = 10.0)]
        max_slowdown: f64,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let root = workspace_root();
    let host = host_triple()?;
    match cli.command {
        Task::Dist {
            targets,
            out,
            profile,
        } => {
            let targets = if targets.is_empty() {
                Target::defaults(&host)
            } else {
                parse_targets(&targets, &host)?
            };
            dist::run(&root, &root.join(out), &targets, &profile)
        }
        Task::Smoke {
            targets,
            checks,
            dist,
            workbooks,
            reference,
            deadline,
        } => {
            let targets = if targets.is_empty() {
                parse_targets(&target::CROSS_TRIPLES.map(str::to_owned), &host)?
            } else {
                parse_targets(&targets, &host)?
            };
            smoke::run(&smoke::Smoke {
                dist: root.join(dist),
                targets,
                checks: if checks.is_empty() {
                    smoke::Check::ALL.to_vec()
                } else {
                    checks
                },
                workbooks: workbooks.unwrap_or_else(|| root.join("../shared/reference/workbook")),
                reference,
                deadline: Duration::from_secs(deadline),
                root,
            })
        }
        Task::BenchUpload {
            dist,
            profile,
            host: host_binary,
            musl,
            iso_mib,
            runs,
            max_slowdown,
        } => {
            let musl_triple = format!(
                "{}-unknown-linux-musl",
                host.split('-').next().unwrap_or("")
            );
            let targets = parse_targets(&[host.clone(), musl_triple], &host)?;
            let [host_target, musl_target]: [Target; 2] = targets
                .try_into()
                .map_err(|_| anyhow::anyhow!("two targets expected"))?;
            let source = match (dist, host_binary, musl) {
                (Some(dist), _, _) => bench::Source::Dist(root.join(dist)),
                (None, Some(host), Some(musl)) => bench::Source::Files { host, musl },
                _ => bench::Source::Built { root, profile },
            };
            bench::run(&bench::Bench {
                host: host_target,
                musl: musl_target,
                source,
                iso_mib: iso_mib.max(1),
                runs: runs.max(1),
                max_slowdown,
            })
        }
    }
}

fn parse_targets(triples: &[String], host: &str) -> anyhow::Result<Vec<Target>> {
    triples
        .iter()
        .map(|triple| {
            Target::parse(triple, host).with_context(|| {
                format!(
                    "no recipe for {triple}: dist builds {} and the host's {host} (macOS is not built)",
                    target::CROSS_TRIPLES.join(", ")
                )
            })
        })
        .collect()
}

/// The repository's root: two directories above this crate.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .to_path_buf()
}

/// The host's triple, as the workspace's rustc says it.
fn host_triple() -> anyhow::Result<String> {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("cannot run rustc -vV")?;
    let text = String::from_utf8(output.stdout)?;
    text.lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .context("rustc -vV names no host")
}
