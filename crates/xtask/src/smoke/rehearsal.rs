//! A rehearsal with the target's own programs: its `sim` serving the
//! simulated cluster of a workbook kept under a Chinese folder name with a
//! space, its `run` configuring it with the host passwords rotated over SSH
//! (the default, said explicitly here); and the same slowed down, stopped by
//! Ctrl-C and resumed from the line the run printed.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::process::Background;
use super::{Runner, Smoke, tail};

/// The workbook's folder and name: what a Chinese engineer's laptop has.
const FOLDER: &str = "规划 设计";
const WORKBOOK: &str = "规划 设计/规划设计表.xlsx";
const CONFIG: &str = "cfg/sim.toml";
/// How long a simulated job takes in `abort`: long enough that a step is
/// surely under way when Ctrl-C comes, short enough for the resume.
const SLOW_JOB_MS: &str = "3000";
/// The step `abort` waits for, as the English table names it (`set_vip`'s
/// label: labels are words, the wire id is for files); the job step after
/// it is under way then.
const FIRST_JOB_STEP: &str = "Set the management VIP";

/// The first reference workbook, where `plan` takes them from.
pub fn reference_workbook(smoke: &Smoke) -> anyhow::Result<PathBuf> {
    let mut workbooks: Vec<PathBuf> = std::fs::read_dir(&smoke.workbooks)
        .with_context(|| format!("cannot list {}", smoke.workbooks.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "xlsx")
        })
        .collect();
    workbooks.sort();
    workbooks
        .into_iter()
        .next()
        .with_context(|| format!("no .xlsx in {}", smoke.workbooks.display()))
}

/// A writable copy of the reference workbook at `to`: the reference is
/// read-only (`shared/`), and wine would make a copy's mode a read-only
/// attribute the tool rightly refuses to write.
pub fn copy_reference(smoke: &Smoke, to: &Path) -> anyhow::Result<()> {
    let from = reference_workbook(smoke)?;
    let bytes = std::fs::read(&from).with_context(|| format!("cannot read {}", from.display()))?;
    std::fs::write(to, bytes).with_context(|| format!("cannot write {}", to.display()))
}

/// `sim --plan W --write-config cfg/sim.toml`, waited for until it serves.
fn start_sim(
    runner: &Runner<'_>,
    work: &Path,
    smoke: &Smoke,
    extra: &[&str],
) -> anyhow::Result<Background> {
    std::fs::create_dir_all(work.join(FOLDER))?;
    copy_reference(smoke, &work.join(WORKBOOK))?;
    let mut args = vec![
        "--lang",
        "en",
        "sim",
        "--plan",
        WORKBOOK,
        "--write-config",
        CONFIG,
    ];
    args.extend(extra);
    let mut sim = Background::spawn("sim", &mut runner.command(work, &args)?)?;
    // Printed once it listens for Ctrl-C, after the settings file is written.
    sim.wait_for("the sim serving", runner.deadline, |_, stderr| {
        stderr.contains("press Ctrl-C to stop")
    })?;
    Ok(sim)
}

/// SIGINT to the sim: "Stopping", exit 0.
fn stop_sim(sim: Background, runner: &Runner<'_>) -> anyhow::Result<()> {
    sim.interrupt()?;
    let ran = sim.finish(runner.deadline)?;
    if ran.code != Some(0) || !ran.stderr.contains("Stopping the simulated cluster") {
        bail!(
            "the sim after SIGINT: exit {:?}; stderr ends: {}",
            ran.code,
            tail(&ran.stderr, 4)
        );
    }
    Ok(())
}

/// The run directory a run names on stdout (`run directory: runs\…` on
/// Windows), under `work`.
fn run_dir(stdout: &str, work: &Path) -> anyhow::Result<PathBuf> {
    let named = stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("run directory: "))
        .context("the run named no run directory")?;
    Ok(work.join(named.trim().replace('\\', "/")))
}

/// Each step of `report.json` as (action, status).
fn steps(run_dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let path = run_dir.join("report.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let report: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let mut steps = Vec::new();
    for stage in report["stages"].as_array().into_iter().flatten() {
        for step in stage["steps"].as_array().into_iter().flatten() {
            steps.push((
                step["action"].as_str().unwrap_or_default().to_owned(),
                step["status"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    Ok(steps)
}

pub fn check_rehearsal(runner: &Runner<'_>, work: &Path, smoke: &Smoke) -> anyhow::Result<()> {
    let sim = start_sim(runner, work, smoke, &[])?;
    let ran = runner.run(
        work,
        &[
            "--lang",
            "en",
            "run",
            "--plan",
            WORKBOOK,
            "--config",
            CONFIG,
            "--host-passwords",
        ],
    )?;
    ran.expect_exit(0)?;
    let steps = steps(&run_dir(&ran.stdout, work)?)?;
    let rotated = steps
        .iter()
        .any(|(action, status)| action == "host_passwords" && status == "ok");
    let hosts = steps
        .iter()
        .filter(|(action, status)| action.starts_with("host_password ") && status == "ok")
        .count();
    if !rotated || hosts == 0 {
        bail!("report.json has no host_passwords step ok ({hosts} host(s) ok): {steps:?}");
    }
    println!(
        "       {} steps, host passwords rotated on {hosts} host(s)",
        steps.len()
    );
    stop_sim(sim, runner)
}

pub fn check_abort(runner: &Runner<'_>, work: &Path, smoke: &Smoke) -> anyhow::Result<()> {
    let sim = start_sim(runner, work, smoke, &["--job-ms", SLOW_JOB_MS])?;
    let args = [
        "--lang", "en", "run", "--plan", WORKBOOK, "--config", CONFIG,
    ];
    let mut run = Background::spawn("run", &mut runner.command(work, &args)?)?;
    // `  [ok]   Set the management VIP   1.6s  …`: the next job step is under way.
    run.wait_for("a job step done", runner.deadline, |_, stderr| {
        stderr.lines().any(|line| {
            line.trim_start()
                .strip_prefix("[ok]")
                .is_some_and(|rest| rest.trim_start().starts_with(FIRST_JOB_STEP))
        })
    })?;
    run.interrupt()?;
    let ran = run.finish(runner.deadline)?;
    if ran.code != Some(130) {
        bail!(
            "run after Ctrl-C: exit {:?}, wanted 130; stderr ends: {}",
            ran.code,
            tail(&ran.stderr, 6)
        );
    }
    let dir = run_dir(&ran.stdout, work)?;
    let aborted: Vec<String> = steps(&dir)?
        .into_iter()
        .filter(|(_, status)| status == "aborted")
        .map(|(action, _)| action)
        .collect();
    if aborted.is_empty() {
        bail!("{}: no step recorded aborted", dir.display());
    }
    // The last: a step's own hint may name a shorter command before it.
    let line = ran
        .stderr
        .lines()
        .map(str::trim)
        .rfind(|line| line.starts_with("smtx-deploy ") && line.contains(" run "))
        .with_context(|| {
            format!(
                "no resume line printed; stderr ends: {}",
                tail(&ran.stderr, 8)
            )
        })?;
    println!("       aborted {aborted:?}; resume: {line}");
    let words = unquote(line, runner.target.is_windows())?;
    let words: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
    if !words.contains(&"--from") {
        bail!("the resume line has no --from: {line}");
    }
    let resumed = runner.run(work, &words)?;
    resumed.expect_exit(0)?;
    let steps = steps(&run_dir(&resumed.stdout, work)?)?;
    // No ISO is given here: the upload's warning says so (issue 18); every
    // other step ends ok or skipped.
    if steps.iter().any(|(step, status)| {
        status != "ok" && status != "skipped" && !(step == "vmtools_upload" && status == "warning")
    }) {
        bail!("the resumed run's steps are not all ok: {steps:?}");
    }
    stop_sim(sim, runner)
}

/// The words of a line quoted for PowerShell (`'…'`, `''` a quote) or a
/// POSIX shell (`'…'`, `\'` a quote outside them), as the tool prints.
fn unquote(line: &str, powershell: bool) -> anyhow::Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') if powershell && chars.peek() == Some(&'\'') => {
                            chars.next();
                            word.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => bail!("an unclosed quote in {line:?}"),
                    }
                }
            }
            '\\' if !powershell => {
                in_word = true;
                word.push(chars.next().context("a trailing backslash")?);
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::unquote;

    #[test]
    fn resume_lines_unquote_for_either_shell() {
        assert_eq!(
            unquote(
                r"smtx-deploy run --plan '规划 设计\a''s.xlsx' --from runs\c-1",
                true
            )
            .expect("unquoted"),
            [
                "smtx-deploy",
                "run",
                "--plan",
                r"规划 设计\a's.xlsx",
                "--from",
                r"runs\c-1"
            ]
        );
        assert_eq!(
            unquote(
                r"smtx-deploy run --plan 'it'\''s 规划.xlsx' --from runs/c-1",
                false
            )
            .expect("unquoted"),
            [
                "smtx-deploy",
                "run",
                "--plan",
                "it's 规划.xlsx",
                "--from",
                "runs/c-1"
            ]
        );
        assert!(unquote("a 'b", true).is_err());
    }
}
