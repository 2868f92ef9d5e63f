//! `cargo xtask smoke`: runs what `dist` made, as a delivery engineer
//! would — each archive checked against `SHA256SUMS`, unpacked, and its
//! binary run on its platform or an emulator of it: wine for Windows (with a
//! stand-in DLL wine 8 lacks, see `wine/bcryptprimitives.c`: harness only,
//! never in an archive), qemu for another architecture, directly otherwise.
//!
//! The checks: `file` says a Linux binary is static; `--version` names the
//! version and the target; `plan check --json` of each reference workbook
//! prints what the host build prints; `demo` ends `summary: done` with exit
//! 0, in English and in Chinese. Run it where only loopback exists, as CI
//! does: `unshare -n sh -c 'ip link set lo up && cargo xtask smoke'`.

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
}

impl Check {
    pub const ALL: [Check; 5] = [
        Check::Static,
        Check::Version,
        Check::Plan,
        Check::Demo,
        Check::DemoZh,
    ];
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Check::Static => "static",
            Check::Version => "version",
            Check::Plan => "plan",
            Check::Demo => "demo",
            Check::DemoZh => "demo-zh",
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
            if *check == Check::Static && target.is_windows() {
                continue;
            }
            let started = Instant::now();
            let work = scratch.path().join(format!("{}-{check}", target.triple));
            std::fs::create_dir_all(&work)?;
            let result = match check {
                Check::Static => check_static(&binary),
                Check::Version => check_version(&runner, &work, version),
                Check::Plan => check_plan(&runner, &work, smoke),
                Check::Demo => check_demo(&runner, &work, None),
                Check::DemoZh => check_demo(&runner, &work, Some("zh-CN")),
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

/// `file` on a Linux binary: statically linked, no interpreter.
fn check_static(binary: &Path) -> anyhow::Result<()> {
    let output = Command::new("file").arg("-b").arg(binary).output()?;
    let said = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    println!("       file: {said}");
    if said.contains("statically linked") || said.contains("static-pie linked") {
        Ok(())
    } else {
        bail!("file says: {said}")
    }
}

fn check_version(runner: &Runner<'_>, work: &Path, version: &str) -> anyhow::Result<()> {
    let ran = runner.run(work, &["--version"])?;
    ran.expect_exit(0)?;
    let line = ran.stdout.trim();
    println!("       {line}");
    let wanted = format!("smtx-deploy {version} (git ");
    if !line.starts_with(&wanted) || !line.ends_with(&format!(", {})", runner.target.triple)) {
        bail!("--version printed {line:?}");
    }
    Ok(())
}

/// `plan check --json` of each reference workbook, run beside a copy of it
/// under its bare name, so the output holds no path to set aside, against
/// the host build's.
fn check_plan(runner: &Runner<'_>, work: &Path, smoke: &Smoke) -> anyhow::Result<()> {
    let reference = match &smoke.reference {
        Some(reference) => reference.clone(),
        None => host_build(&smoke.root).context(
            "no host build to compare with: cargo build -p smtx-cli, or --reference PATH",
        )?,
    };
    let mut workbooks: Vec<PathBuf> = std::fs::read_dir(&smoke.workbooks)
        .with_context(|| format!("cannot list {}", smoke.workbooks.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "xlsx")
        })
        .collect();
    workbooks.sort();
    if workbooks.is_empty() {
        bail!("no .xlsx in {}", smoke.workbooks.display());
    }
    for workbook in workbooks {
        let name = workbook
            .file_name()
            .and_then(|name| name.to_str())
            .context("a workbook name that is not UTF-8")?;
        std::fs::copy(&workbook, work.join(name))?;
        let args = ["plan", "check", "--json", name];
        let ours = runner.run(work, &args)?;
        let theirs = run_with_deadline(
            Command::new(&reference).args(args).current_dir(work),
            runner.deadline,
        )?;
        if ours.code != theirs.code {
            bail!(
                "plan check {name}: exit {:?}, the host build's {:?}",
                ours.code,
                theirs.code
            );
        }
        let ours_json = ours.stdout.replace("\r\n", "\n");
        if ours_json != theirs.stdout {
            let line = ours_json
                .lines()
                .zip(theirs.stdout.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            bail!(
                "plan check --json {name} differs from the host build's ({}) at line {}: {:?} vs {:?}",
                reference.display(),
                line + 1,
                ours_json.lines().nth(line),
                theirs.stdout.lines().nth(line)
            );
        }
        println!(
            "       {name}: {} bytes of JSON, as the host build's ({})",
            ours_json.len(),
            reference.display()
        );
    }
    Ok(())
}

/// The host's own debug or release build, whichever is newest.
fn host_build(root: &Path) -> Option<PathBuf> {
    ["dist", "debug", "release"]
        .into_iter()
        .map(|profile| root.join("target").join(profile).join("smtx-deploy"))
        .filter(|path| path.is_file())
        .max_by_key(|path| {
            std::fs::metadata(path)
                .and_then(|metadata| metadata.modified())
                .ok()
        })
}

/// `demo` in a scratch directory: exit 0 and the summary line `done`.
fn check_demo(runner: &Runner<'_>, work: &Path, lang: Option<&str>) -> anyhow::Result<()> {
    let mut args = vec!["demo"];
    if let Some(lang) = lang {
        args.extend(["--lang", lang]);
    }
    let ran = runner.run(work, &args)?;
    let summary = ran
        .stdout
        .lines()
        .map(str::trim_end)
        .find(|line| line.starts_with("summary:") || line.starts_with("汇总"))
        .map(str::to_owned);
    let done = match (lang, summary.as_deref()) {
        (None, Some(line)) => line.starts_with("summary: done:"),
        (Some(_), Some(line)) => line.starts_with("汇总") && line.contains("完成"),
        (_, None) => false,
    };
    println!(
        "       {}",
        summary.as_deref().unwrap_or("(no summary line)")
    );
    if ran.code != Some(0) || !done {
        bail!(
            "demo: exit {:?}, summary {:?}; stderr ends: {}",
            ran.code,
            summary,
            tail(&ran.stderr, 8)
        );
    }
    Ok(())
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
        let mut command = if self.target.is_windows() {
            let wine = self.wine.context("wine was not prepared")?;
            wine.command(self.binary)?
        } else if prereq::needs_qemu(&self.target.triple) {
            let mut command = Command::new(prereq::QEMU_AARCH64);
            command.arg(self.binary);
            command
        } else {
            Command::new(self.binary)
        };
        command.args(args).current_dir(work);
        run_with_deadline(&mut command, self.deadline)
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
