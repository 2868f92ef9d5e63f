//! The first checks: a Linux binary is static, `--version`, `plan check
//! --json` against the host build, `demo` in both languages.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use super::{Runner, Smoke, run_with_deadline, tail};

/// `file` on a Linux binary: statically linked, no interpreter.
pub fn check_static(binary: &Path) -> anyhow::Result<()> {
    let output = Command::new("file").arg("-b").arg(binary).output()?;
    let said = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    println!("       file: {said}");
    if said.contains("statically linked") || said.contains("static-pie linked") {
        Ok(())
    } else {
        bail!("file says: {said}")
    }
}

pub fn check_version(runner: &Runner<'_>, work: &Path, version: &str) -> anyhow::Result<()> {
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
pub fn check_plan(runner: &Runner<'_>, work: &Path, smoke: &Smoke) -> anyhow::Result<()> {
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
pub fn check_demo(runner: &Runner<'_>, work: &Path, lang: Option<&str>) -> anyhow::Result<()> {
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
