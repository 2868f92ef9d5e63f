//! `cargo xtask smoke`: runs what `dist` made, as a delivery engineer
//! would — each archive checked against `SHA256SUMS`, unpacked, and its
//! binary run on its platform or an emulator of it: wine for Windows (with a
//! stand-in DLL wine 8 lacks, see `wine/bcryptprimitives.c`: harness only,
//! never in an archive), qemu for another architecture, directly otherwise.
//!
//! The checks (`Check`), one file per group: `basic` (static, version,
//! plan, demo), `rehearsal` (the target's own `sim` and `run`, SSH rotation,
//! Ctrl-C and the resume), `serve` (the console over HTTP), `windows` (a
//! workbook held open as Excel holds it, the platform crate's tests under
//! wine). Each command has a deadline and is killed past it. Run it where
//! only loopback exists, as CI does:
//! `unshare -n sh -c 'ip link set lo up && cargo xtask smoke'`.

mod basic;
mod process;
mod rehearsal;
mod serve;
mod windows;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::archive;
use crate::prereq;
use crate::target::Target;

/// One check `smoke` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Check {
    /// `file` says a Linux binary is statically linked.
    Static,
    /// `--version` names the version and the target.
    Version,
    /// `plan check --json` of each reference workbook equals the host build's.
    Plan,
    /// `demo` ends `summary: done`, exit 0.
    Demo,
    /// `demo --lang zh-CN` ends `汇总：完成`, exit 0.
    DemoZh,
    /// The target's own `sim` and `run` (workbook under a Chinese path with
    /// a space), host passwords rotated over SSH, the sim stopped by SIGINT.
    Rehearsal,
    /// Ctrl-C to a slow rehearsal: exit 130, the step recorded `aborted`,
    /// and the printed resume line finishes the run.
    Abort,
    /// `serve`: `GET /` and a plan upload answer, SIGINT ends it cleanly.
    Serve,
    /// Windows: `plan set-serial` on a workbook held open without sharing
    /// (as Excel holds it) says "in use", in both languages, and leaves it.
    InUse,
    /// Windows: the `smtx-platform` unit tests, cross-built, under wine.
    PlatformTests,
}

impl Check {
    pub const ALL: [Check; 10] = [
        Check::Static,
        Check::Version,
        Check::Plan,
        Check::Demo,
        Check::DemoZh,
        Check::Rehearsal,
        Check::Abort,
        Check::Serve,
        Check::InUse,
        Check::PlatformTests,
    ];

    /// Whether this check means anything for `target`.
    fn applies_to(self, target: &Target) -> bool {
        match self {
            Check::Static => !target.is_windows(),
            Check::InUse | Check::PlatformTests => target.is_windows(),
            _ => true,
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Check::Static => "static",
            Check::Version => "version",
            Check::Plan => "plan",
            Check::Demo => "demo",
            Check::DemoZh => "demo-zh",
            Check::Rehearsal => "rehearsal",
            Check::Abort => "abort",
            Check::Serve => "serve",
            Check::InUse => "in-use",
            Check::PlatformTests => "platform-tests",
        })
    }
}

/// What to run and where things are.
#[derive(Debug)]
pub struct Smoke {
    pub root: PathBuf,
    pub dist: PathBuf,
    pub targets: Vec<Target>,
    pub checks: Vec<Check>,
    /// The reference workbooks' directory (`../shared/reference/workbook`).
    pub workbooks: PathBuf,
    /// The host build `plan check` is compared with.
    pub reference: Option<PathBuf>,
    /// How long one command may take.
    pub deadline: Duration,
}

/// A check's outcome, printed as it ends.
#[derive(Debug)]
struct Outcome {
    target: String,
    check: String,
    took: Duration,
    failure: Option<String>,
}

pub fn run(smoke: &Smoke) -> anyhow::Result<()> {
    let missing = prereq::for_smoke(&smoke.targets);
    if !missing.is_empty() {
        for line in &missing {
            eprintln!("{line}");
        }
        bail!(
            "{} missing piece(s) for smoke: install them and run again",
            missing.len()
        );
    }
    let version = env!("CARGO_PKG_VERSION");
    let sums_path = smoke.dist.join("SHA256SUMS");
    let sums = std::fs::read_to_string(&sums_path).with_context(|| {
        format!(
            "cannot read {} (run cargo xtask dist first)",
            sums_path.display()
        )
    })?;
    let sums = archive::parse_sums(&sums);
    let scratch = tempfile::Builder::new().prefix("smtx-smoke-").tempdir()?;
    let xtask_dir = smoke.root.join("target").join("xtask");
    std::fs::create_dir_all(&xtask_dir)?;
    let wine = if smoke.targets.iter().any(Target::is_windows) {
        Some(Wine::prepare(&smoke.root, &xtask_dir)?)
    } else {
        None
    };
    let mut outcomes = Vec::new();
    for target in &smoke.targets {
        let name = target.archive_name(version);
        let archive = smoke.dist.join(&name);
        let started = Instant::now();
        let unpacked = verify_and_unpack(&archive, &name, &sums, scratch.path());
        outcomes.push(report(
            target,
            "sha256 + unpack",
            started,
            unpacked.as_ref().err(),
        ));
        let Ok(top) = unpacked else {
            continue;
        };
        let binary = top.join(target.binary_name());
        let runner = Runner {
            target,
            binary: &binary,
            wine: wine.as_ref(),
            deadline: smoke.deadline,
        };
        for check in &smoke.checks {
            if !check.applies_to(target) {
                continue;
            }
            let started = Instant::now();
            let work = scratch.path().join(format!("{}-{check}", target.triple));
            std::fs::create_dir_all(&work)?;
            let result = match check {
                Check::Static => basic::check_static(&binary),
                Check::Version => basic::check_version(&runner, &work, version),
                Check::Plan => basic::check_plan(&runner, &work, smoke),
                Check::Demo => basic::check_demo(&runner, &work, None),
                Check::DemoZh => basic::check_demo(&runner, &work, Some("zh-CN")),
                Check::Rehearsal => rehearsal::check_rehearsal(&runner, &work, smoke),
                Check::Abort => rehearsal::check_abort(&runner, &work, smoke),
                Check::Serve => serve::check_serve(&runner, &work, smoke),
                Check::InUse => windows::check_in_use(&runner, &work, smoke),
                Check::PlatformTests => windows::check_platform_tests(&runner, &work, smoke),
            };
            outcomes.push(report(
                target,
                &check.to_string(),
                started,
                result.as_ref().err(),
            ));
        }
    }
    if let Some(wine) = &wine {
        wine.stop();
    }
    let failed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|outcome| outcome.failure.is_some())
        .collect();
    let total: Duration = outcomes.iter().map(|outcome| outcome.took).sum();
    println!(
        "smoke: {} passed, {} failed ({:.1} s)",
        outcomes.len() - failed.len(),
        failed.len(),
        total.as_secs_f64()
    );
    if !failed.is_empty() {
        for outcome in failed {
            println!(
                "failed: {} {}: {}",
                outcome.target,
                outcome.check,
                outcome.failure.as_deref().unwrap_or_default()
            );
        }
        bail!("smoke checks failed");
    }
    Ok(())
}

fn report(
    target: &Target,
    check: &str,
    started: Instant,
    error: Option<&anyhow::Error>,
) -> Outcome {
    let outcome = Outcome {
        target: target.triple.clone(),
        check: check.to_owned(),
        took: started.elapsed(),
        failure: error.map(|error| format!("{error:#}")),
    };
    println!(
        "{:<6} {:<28} {:<16} {:>7.1} s",
        if outcome.failure.is_some() {
            "FAILED"
        } else {
            "ok"
        },
        outcome.target,
        outcome.check,
        outcome.took.as_secs_f64()
    );
    outcome
}

fn verify_and_unpack(
    archive: &Path,
    name: &str,
    sums: &[(String, String)],
    scratch: &Path,
) -> anyhow::Result<PathBuf> {
    let Some((_, expected)) = sums.iter().find(|(listed, _)| listed == name) else {
        bail!("{name} is not in SHA256SUMS (run cargo xtask dist for its target)");
    };
    let actual = archive::sha256_file(archive)?;
    if &actual != expected {
        bail!("{name}: SHA-256 {actual}, SHA256SUMS says {expected}");
    }
    archive::unpack(archive, scratch)
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join(" | ")
}

/// How a target's binary is started here.
struct Runner<'a> {
    target: &'a Target,
    binary: &'a Path,
    wine: Option<&'a Wine>,
    deadline: Duration,
}

impl Runner<'_> {
    fn run(&self, work: &Path, args: &[&str]) -> anyhow::Result<Ran> {
        run_with_deadline(&mut self.command(work, args)?, self.deadline)
    }

    /// The target's binary with `args`, in `work`, not yet started.
    fn command(&self, work: &Path, args: &[&str]) -> anyhow::Result<Command> {
        self.program(self.binary, work, args)
    }

    /// Another program built for the target (a test executable, a helper),
    /// started the way the target's binary is.
    fn program(&self, exe: &Path, work: &Path, args: &[&str]) -> anyhow::Result<Command> {
        let mut command = if self.target.is_windows() {
            let wine = self.wine.context("wine was not prepared")?;
            wine.command(exe)?
        } else if prereq::needs_qemu(&self.target.triple) {
            let mut command = Command::new(prereq::QEMU_AARCH64);
            command.arg(exe);
            command
        } else {
            Command::new(exe)
        };
        command.args(args).current_dir(work);
        Ok(command)
    }
}

/// What a command printed and how it ended.
#[derive(Debug)]
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn expect_exit(&self, code: i32) -> anyhow::Result<()> {
        if self.code == Some(code) {
            Ok(())
        } else {
            bail!(
                "exit {:?} (wanted {code}); stderr ends: {}",
                self.code,
                tail(&self.stderr, 8)
            )
        }
    }
}

/// Runs `command`, its output read as it comes, killed past `deadline`.
fn run_with_deadline(command: &mut Command, deadline: Duration) -> anyhow::Result<Ran> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {:?}", command.get_program()))?;
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{:?} took longer than {} s",
                command.get_program(),
                deadline.as_secs()
            );
        }
        // The poll's interval: std has no wait-with-timeout on a child, and
        // the deadline above bounds the whole wait.
        std::thread::sleep(Duration::from_millis(50));
    };
    let collect = |handle: Option<std::thread::JoinHandle<Vec<u8>>>| {
        handle
            .and_then(|handle| handle.join().ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    };
    Ok(Ran {
        code: status.code(),
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Wine with a prefix of its own under `target/xtask` and the stand-in
/// `bcryptprimitives.dll`, built from `crates/xtask/wine/` with MinGW-w64.
struct Wine {
    loader: PathBuf,
    prefix: PathBuf,
    dll: PathBuf,
}

impl Wine {
    fn prepare(root: &Path, xtask_dir: &Path) -> anyhow::Result<Wine> {
        let loader = prereq::wine().context("wine is not installed")?;
        let source = root.join("crates/xtask/wine/bcryptprimitives.c");
        let dll = xtask_dir.join("bcryptprimitives.dll");
        let status = Command::new(prereq::MINGW_GCC)
            .args(["-shared", "-O2", "-s", "-o"])
            .arg(&dll)
            .arg(&source)
            .arg("-ladvapi32")
            .status()
            .with_context(|| format!("cannot start {}", prereq::MINGW_GCC))?;
        if !status.success() {
            bail!("cannot build {} ({status})", dll.display());
        }
        Ok(Wine {
            loader,
            prefix: xtask_dir.join("wine-prefix"),
            dll,
        })
    }

    /// `wine64 <exe>` with the stand-in DLL copied beside the exe, where
    /// Windows looks first.
    fn command(&self, exe: &Path) -> anyhow::Result<Command> {
        let beside = exe
            .parent()
            .context("an exe without a directory")?
            .join("bcryptprimitives.dll");
        if !beside.exists() {
            std::fs::copy(&self.dll, &beside)?;
        }
        let mut command = Command::new(&self.loader);
        command
            .arg(exe)
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            // No Mono or Gecko installers asked for at the prefix's creation.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=");
        Ok(command)
    }

    /// Ends this prefix's wineserver, which would otherwise linger a few
    /// seconds after the last program.
    fn stop(&self) {
        let server = ["wineserver64", "wineserver"]
            .into_iter()
            .find_map(prereq::find_on_path)
            .or_else(|| {
                ["/usr/lib/wine/wineserver64", "/usr/lib/wine/wineserver"]
                    .into_iter()
                    .map(PathBuf::from)
                    .find(|path| path.is_file())
            });
        if let Some(server) = server {
            let _ = Command::new(server)
                .arg("-k")
                .env("WINEPREFIX", &self.prefix)
                .status();
        }
    }
}
