//! What only Windows has, under wine: a workbook held open the way Excel
//! holds it (no sharing) must be reported "in use" by `plan set-serial` and
//! left as it was; and `smtx-platform`'s own unit tests, whose Windows
//! branches (private files, file identity, a file in use, the locale,
//! PowerShell quoting, the data directory, canonical paths without `\\?\`)
//! run nowhere else.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use super::process::Background;
use super::rehearsal::copy_reference;
use super::{Runner, Smoke, run_with_deadline, tail};
use crate::{compile, prereq};

/// What `plan set-serial` says of a workbook in use, per language.
const IN_USE: [(&str, &str); 2] = [
    ("en", "is in use by another program"),
    ("zh-CN", "正被其他程序占用"),
];

/// The helper that holds a file open, built from `wine/hold_open.c`.
fn hold_open_exe(smoke: &Smoke) -> anyhow::Result<PathBuf> {
    let source = smoke.root.join("crates/xtask/wine/hold_open.c");
    let exe = smoke.root.join("target/xtask/hold_open.exe");
    let status = Command::new(prereq::MINGW_GCC)
        .args(["-municode", "-O2", "-s", "-o"])
        .arg(&exe)
        .arg(&source)
        .status()
        .with_context(|| format!("cannot start {}", prereq::MINGW_GCC))?;
    if !status.success() {
        bail!("cannot build {} ({status})", exe.display());
    }
    Ok(exe)
}

pub fn check_in_use(runner: &Runner<'_>, work: &Path, smoke: &Smoke) -> anyhow::Result<()> {
    let name = "规划 设计表.xlsx";
    let workbook = work.join(name);
    copy_reference(smoke, &workbook)?;
    let before = std::fs::read(&workbook)?;
    // The helper sits beside the workbook: wine starts it by a path of
    // its own, and the workbook is then named bare.
    let helper = work.join("hold_open.exe");
    std::fs::copy(hold_open_exe(smoke)?, &helper)?;
    let mut holder = Background::spawn("hold_open", &mut runner.program(&helper, work, &[name])?)?;
    holder.wait_for("the workbook held", runner.deadline, |stdout, _| {
        stdout.contains("holding")
    })?;
    let serial = "c8b39907-464c-44b4-94bb-7c2ac243f390";
    for (lang, said) in IN_USE {
        let ran = runner.run(work, &["--lang", lang, "plan", "set-serial", name, serial])?;
        // Held open, --force would do nothing: the hint must not offer it.
        if ran.code == Some(0) || !ran.stderr.contains(said) || ran.stderr.contains("--force") {
            bail!(
                "set-serial --lang {lang} on a workbook held open: exit {:?}, stderr: {}",
                ran.code,
                tail(&ran.stderr, 4)
            );
        }
        println!(
            "       --lang {lang}: exit {:?}: {}",
            ran.code,
            tail(&ran.stderr, 1)
        );
    }
    holder.say("\n")?;
    let held = holder.finish(runner.deadline)?;
    held.expect_exit(0)?;
    if std::fs::read(&workbook)? != before {
        bail!("the workbook held open was changed");
    }
    // Released, the same command writes: the refusal was the holder's.
    let ran = runner.run(work, &["plan", "set-serial", name, serial])?;
    ran.expect_exit(0)?;
    if std::fs::read(&workbook)? == before {
        bail!("set-serial on the released workbook changed nothing");
    }
    Ok(())
}

pub fn check_platform_tests(runner: &Runner<'_>, work: &Path, smoke: &Smoke) -> anyhow::Result<()> {
    let mut build = compile::test_command(&smoke.root, runner.target, "smtx-platform");
    build.stderr(Stdio::inherit());
    let built = run_with_deadline(&mut build, runner.deadline.max(Duration::from_secs(1200)))?;
    built.expect_exit(0)?;
    let exe = built
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["profile"]["test"] == true)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .context("cargo test --no-run named no test executable")?;
    // Beside the stand-in DLL wine needs, which `program` puts there.
    let copy = work.join("smtx_platform_tests.exe");
    std::fs::copy(&exe, &copy)?;
    let ran = run_with_deadline(
        &mut runner.program(&copy, work, &["--test-threads=1"])?,
        runner.deadline,
    )?;
    let result = ran
        .stdout
        .lines()
        .find(|line| line.starts_with("test result:"))
        .unwrap_or("(no test result line)")
        .to_owned();
    println!("       {result}");
    if ran.code != Some(0) || !result.starts_with("test result: ok.") {
        bail!(
            "the platform tests under wine: exit {:?}; stdout ends: {}",
            ran.code,
            tail(&ran.stdout, 12)
        );
    }
    for windows_only in ["windows_", "in_use", "powershell"] {
        if !ran.stdout.contains(windows_only) {
            bail!("no test named *{windows_only}* ran under wine");
        }
    }
    Ok(())
}
