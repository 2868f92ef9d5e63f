//! `smtx-deploy run`: workbook + settings → the engine's stages → a line per
//! step, the final table (or `--json`), and the exit code. Before the first
//! call the engine's launch (`smtx_engine::launch::prepare`) refuses what
//! would point the run at the wrong thing (another cluster's `--from`, a
//! missing `--vmtools-iso`, a CA without a certificate, a run directory in
//! use) — bad input, exit 2 — then this says where it is going, and keeps a
//! rehearsal's serial out of the customer's workbook.
//!
//! Owns Ctrl-C
//! during a run: the first SIGINT/SIGTERM aborts the run through the
//! engine's cancellation token (the step under way is recorded `aborted`,
//! the resume command is printed, exit 130); a second one quits at once.

use std::path::{Path, PathBuf};

use anyhow::Context;
use smtx_engine::launch::{self, LaunchRefusal, LaunchRequest};
use smtx_engine::preflight::PreflightError;
use smtx_engine::{CancellationToken, Settings, Stage, Workbook};
use smtx_plan::Plan;
use smtx_platform::shell::Shell;

use super::BadInput;
use super::resume::RecordedSettings;
use crate::Outcome;
use crate::i18n::{self, CliMsg, Lang, Localize, Msg, TargetKind, Text, text};
use crate::output;
use crate::settings::{self, ConnectionArgs, RunSettingsArgs};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The planning workbook (xlsx).
    #[arg(
        long = "plan",
        value_name = "WORKBOOK",
        required_unless_present_any = ["plans", "from"]
    )]
    pub plan: Option<PathBuf>,
    #[command(flatten)]
    pub fleet: super::shared::FleetArgs,
    /// Stages to run, in order (default: prepare,config_cluster; with
    /// --from alone, those of that run).
    #[arg(long, value_delimiter = ',', value_name = "STAGES")]
    pub stages: Option<Vec<String>>,
    /// Start from an earlier run's context (its run directory). Alone,
    /// without --plan, continues that run with what it was started with.
    #[arg(long, value_name = "RUN_DIR")]
    pub from: Option<PathBuf>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub settings: RunSettingsArgs,
}

/// One cluster's run: from its workbook (`--plan`), or `--from DIR` alone
/// continuing DIR's run (`main` sends `--plans` to the fleet).
pub async fn run(args: RunArgs, lang: Lang, lang_flag: Option<Lang>) -> anyhow::Result<Outcome> {
    let (plan, stages, connection, run_settings, lang, lang_flag) = match (&args.plan, &args.from) {
        (Some(plan), _) => (
            plan.clone(),
            args.stage_words(),
            args.connection.clone(),
            args.settings.clone(),
            lang,
            lang_flag,
        ),
        // `run --from DIR` alone: what DIR's run was started with.
        (None, Some(from)) if args.fleet.plans.is_empty() => {
            let recorded = super::resume::recorded(from, &args.connection, &args.settings, lang)?;
            let lang_flag = lang_flag.or(recorded.lang);
            (
                recorded.workbook,
                args.stages.clone().unwrap_or(recorded.stages),
                recorded.connection,
                recorded.settings,
                lang_flag.unwrap_or(lang),
                lang_flag,
            )
        }
        // `main` sends `--plans` to the fleet; clap asks for one of these.
        _ => return Err(BadInput(CliMsg::PlanOrFrom.localize(lang)).into()),
    };
    let stages = stages
        .iter()
        .map(|s| s.parse::<Stage>().map_err(|e| BadInput(e.localize(lang))))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(workbook) = load_workbook(&plan, lang)? else {
        return Ok(Outcome::BadInput);
    };
    let default_dir = default_run_dir(&workbook.plan.cluster.name);
    let mut settings = settings::resolve(&connection, &run_settings, lang, default_dir.clone())?;
    if settings.run_dir == default_dir {
        settings.run_dir = claim_run_dir(&default_dir, lang)?;
    }
    let recorded =
        RecordedSettings::of(&connection, &run_settings, settings.vmtools_iso.as_deref());
    execute(
        LaunchRequest {
            settings,
            workbook,
            stages,
            from_dir: args.from.clone(),
            front_end: recorded.front_end(lang_flag),
        },
        lang,
        args.json,
    )
    .await
}

impl RunArgs {
    /// `--stages`, or every stage.
    pub fn stage_words(&self) -> Vec<String> {
        self.stages.clone().unwrap_or_else(|| {
            Stage::ALL
                .iter()
                .map(|stage| stage.name().to_string())
                .collect()
        })
    }
}

/// What the CLI says of a run refused before its first call
/// ([`launch::prepare`]): the messages `run` has always printed, naming
/// `--from` and `--vmtools-iso`; shared by a single run and a fleet's
/// members.
pub(crate) fn refusal_message(
    refusal: &LaunchRefusal,
    from_dir: Option<&Path>,
    lang: Lang,
) -> String {
    match refusal {
        LaunchRefusal::Preflight(PreflightError::MissingIso { iso, reason }) => {
            CliMsg::MissingIso {
                iso: iso.clone(),
                reason: reason.clone(),
            }
            .localize(lang)
        }
        LaunchRefusal::Preflight(PreflightError::FromMismatch { why }) => CliMsg::FromMismatch {
            dir: from_dir
                .map(|dir| dir.display().to_string())
                .unwrap_or_default(),
            why: why.clone(),
        }
        .localize(lang),
        LaunchRefusal::FromUnreadable { error, .. } => CliMsg::FromUnreadable {
            error: Text::of(error.as_ref()),
        }
        .localize(lang),
        LaunchRefusal::Preflight(_)
        | LaunchRefusal::RunDirBusy { .. }
        | LaunchRefusal::RunDirUnusable { .. } => refusal.localize(lang),
    }
}

/// Launch (every refusal is bad input, exit 2), run and print; shared with
/// `demo`. SIGINT/SIGTERM abort the run.
pub async fn execute(request: LaunchRequest, lang: Lang, json: bool) -> anyhow::Result<Outcome> {
    let from_dir = request.from_dir.clone();
    let front_end = request.front_end.clone();
    let prepared = launch::prepare(request)
        .map_err(|refusal| BadInput(refusal_message(&refusal, from_dir.as_deref(), lang)))?;
    let settings = prepared.settings();
    // The resume command names the customer's workbook, not a rehearsal's copy.
    let workbook = &prepared.workbook().path;
    if settings.rehearsal && !settings.dry_run {
        // The engine makes the copy once it holds the run directory.
        let copy = smtx_engine::rehearsal_workbook(&settings.run_dir, workbook);
        let message = CliMsg::RehearsalCopy {
            copy: copy.display().to_string(),
            original: workbook.display().to_string(),
        };
        errln!("{}", message.localize(lang));
    }
    errln!("{}", target(lang, settings, &prepared.workbook().plan));
    let cancel = CancellationToken::new();
    let signals = abort_on_signals(cancel.clone(), lang);
    let result = prepared
        .run(output::progress_sink(lang, false), cancel)
        .await;
    if let Some(signals) = signals {
        signals.abort();
    }
    let report = match result {
        Err(error) => {
            let error = Text::of(&error);
            return Err(anyhow::anyhow!(CliMsg::RunFailed { error }.localize(lang)));
        }
        Ok(report) => report,
    };
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report.to_json())
                .with_context(|| CliMsg::CannotPrintReport.localize(lang))?
        );
    } else {
        output::print_report(lang, &report);
    }
    if report.aborted() {
        match super::resume::resume_line(&report.run_dir, &front_end, Shell::current()) {
            Some(line) => {
                errln!("{}", CliMsg::Aborted.localize(lang));
                errln!("  {line}");
            }
            None => {
                errln!("{}", CliMsg::AbortedStartAgain.localize(lang));
                errln!("  {}", start_again_line(Shell::current()));
            }
        }
        return Ok(Outcome::Aborted);
    }
    Ok(if report.failed() {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}

/// `target: https://10.0.20.11 (via 127.0.0.1:4443) — rehearsal against the simulator`.
fn target(lang: Lang, settings: &Settings, plan: &Plan) -> String {
    let base = smtx_engine::stages::api_base(settings, plan).unwrap_or_default();
    let host = base
        .split_once("://")
        .map_or(base.as_str(), |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    let via = settings
        .http_overrides
        .iter()
        .find(|o| o.host == host)
        .map(|o| o.target.to_string());
    let kind = if settings.dry_run {
        TargetKind::DryRun
    } else if settings.rehearsal {
        TargetKind::Rehearsal
    } else {
        TargetKind::Live
    };
    i18n::target_line(lang, &base, via.as_deref(), kind)
}

/// The first stop request (Ctrl-C, SIGTERM; on Windows also Ctrl-Break
/// and closing the window: `crate::signals`) cancels `cancel` (the engine
/// stops between calls, within a second); the second exits on the spot with
/// 130. `None` when the handlers cannot be installed: the signals then act
/// as they always do.
fn abort_on_signals(cancel: CancellationToken, lang: Lang) -> Option<tokio::task::JoinHandle<()>> {
    let mut stop = crate::signals::Stop::listen().ok()?;
    Some(tokio::spawn(async move {
        stop.requested().await;
        errln!("{}", CliMsg::Stopping.localize(lang));
        cancel.cancel();
        stop.requested().await;
        errln!("{}", CliMsg::QuitNow.localize(lang));
        std::process::exit(crate::ABORTED_EXIT);
    }))
}

/// This command line as it was given, quoted for `shell`: what starts a
/// run that cannot be continued (`demo`: its simulator ended with it)
/// again.
fn start_again_line(shell: Shell) -> String {
    std::iter::once("smtx-deploy".to_string())
        .chain(
            std::env::args_os()
                .skip(1)
                .map(|arg| shell.quote(&arg.to_string_lossy())),
        )
        .collect::<Vec<_>>()
        .join(" ")
}

/// Creates the default run directory, or the first free `-2`, `-3`, …
/// variant of it: runs started in the same second get directories of
/// their own (creating a directory is atomic; checking first is not).
fn claim_run_dir(base: &Path, lang: Lang) -> anyhow::Result<PathBuf> {
    let path_error = |path: &Path, error: &std::io::Error| {
        let message = CliMsg::PathError {
            path: path.display().to_string(),
            reason: crate::i18n::Text::io(error),
        };
        BadInput(message.localize(lang))
    };
    if let Some(parent) = base.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| path_error(parent, &e))?;
    }
    let name = base.as_os_str().to_string_lossy().into_owned();
    for attempt in 1..=1000u32 {
        let candidate = if attempt == 1 {
            base.to_path_buf()
        } else {
            PathBuf::from(format!("{name}-{attempt}"))
        };
        match std::fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => {
                return Err(path_error(&candidate, &error).into());
            }
        }
    }
    Err(BadInput(CliMsg::TooManyRunDirs { name }.localize(lang)).into())
}

/// Parse and validate; on workbook errors print them as `plan check` does and
/// answer `None`.
pub fn load_workbook(path: &Path, lang: Lang) -> anyhow::Result<Option<Workbook>> {
    // Bounded: `--plan /dev/zero` or a directory is refused, not read.
    let bytes = smtx_plan::read_workbook_file(path, &smtx_plan::WorkbookLimits::DEFAULT).map_err(
        |reason| {
            let message = CliMsg::CannotReadWorkbook {
                file: path.display().to_string(),
                reason: crate::i18n::Text::of(&reason),
            };
            BadInput(message.localize(lang))
        },
    )?;
    let parsed = smtx_plan::parse_workbook(&bytes, &path.display().to_string())
        .map_err(|e| BadInput(e.localize(lang)))?;
    if parsed.has_errors() {
        // Exactly as `plan check` prints them.
        err!("{}", smtx_plan::render_diagnostics(&parsed, lang));
        errln!("{}", text(lang, Msg::WorkbookHasErrors));
        return Ok(None);
    }
    for diagnostic in &parsed.diagnostics {
        errln!("{}", diagnostic.localize(lang));
    }
    Ok(Some(Workbook {
        path: path.to_path_buf(),
        plan: parsed.plan,
    }))
}

/// `runs/<cluster>-<UTC time>`, a new one per run.
pub fn default_run_dir(cluster: &str) -> PathBuf {
    let safe = smtx_engine::cluster_file_name(cluster);
    PathBuf::from("runs").join(format!("{safe}-{}", utc_stamp()))
}

/// `YYYYMMDD-HHMMSS` in UTC: sorts by time, safe in a file name.
pub fn utc_stamp() -> String {
    stamp_of(std::time::SystemTime::now())
}

fn stamp_of(time: std::time::SystemTime) -> String {
    // 2026-11-27T07:20:09Z → 20261127-072009
    let digits: String = humantime::format_rfc3339_seconds(time)
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    match (digits.get(..8), digits.get(8..)) {
        (Some(date), Some(time)) => format!("{date}-{time}"),
        _ => digits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_sort_and_read_as_utc() {
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_764_009);
        assert_eq!(stamp_of(time), "20261127-072009");
        assert_eq!(
            default_run_dir("CN/BJ 01").parent(),
            Some(Path::new("runs"))
        );
        assert!(
            default_run_dir("CN/BJ 01")
                .to_string_lossy()
                .contains("CN_BJ_01-")
        );
    }

    /// Two runs of the same cluster in the same second: the second gets
    /// `-2`, the third `-3`, none shares a directory.
    #[test]
    fn run_directories_of_the_same_second_do_not_collide() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let base = dir.path().join("runs").join("cluster-20261127-072009");
        let first = claim_run_dir(&base, Lang::En)?;
        let second = claim_run_dir(&base, Lang::En)?;
        let third = claim_run_dir(&base, Lang::En)?;
        assert_eq!(first, base);
        assert_eq!(second, dir.path().join("runs/cluster-20261127-072009-2"));
        assert_eq!(third, dir.path().join("runs/cluster-20261127-072009-3"));
        assert!(first.is_dir() && second.is_dir() && third.is_dir());
        Ok(())
    }
}
