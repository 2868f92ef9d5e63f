//! `smtx-deploy run`: workbook + settings → the engine's stages → a line per
//! step, the final table (or `--json`), and the exit code.

use std::path::{Path, PathBuf};

use anyhow::Context;
use smtx_engine::{RunContext, RunRequest, Stage, Workbook};

use super::BadInput;
use crate::Outcome;
use crate::i18n::{Lang, Msg, text};
use crate::output;
use crate::settings::{self, ConnectionArgs, RunOptions};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The planning workbook (xlsx).
    #[arg(
        long = "plan",
        value_name = "WORKBOOK",
        required_unless_present = "plans"
    )]
    pub plan: Option<PathBuf>,
    #[command(flatten)]
    pub fleet: super::fleet::FleetArgs,
    /// Stages to run, in order.
    #[arg(long, value_delimiter = ',', default_value = "prepare,config_cluster")]
    pub stages: Vec<String>,
    /// Start from an earlier run's context (its run directory).
    #[arg(long, value_name = "RUN_DIR")]
    pub from: Option<PathBuf>,
    /// Where to write context.json, report.json and logs/ (default: runs/<cluster>-<time>;
    /// with --plans the fleet directory, default runs/fleet-<time>).
    #[arg(long, env = "SMTX_RUN_DIR")]
    pub run_dir: Option<PathBuf>,
    /// Show every call that would be made, with redacted payloads; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Language of messages (default: SMTX_LANG, else the locale).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// VMTools ISO to upload (default: newest SMTX_VMTOOLS-*.iso in the current directory).
    #[arg(long)]
    pub vmtools_iso: Option<PathBuf>,
    /// Upload the ISO even if an earlier run uploaded the same file.
    #[arg(long)]
    pub force_upload: bool,
    /// Leave CPU compatibility alone.
    #[arg(long)]
    pub no_cpu_compatibility: bool,
    /// Leave the hosts' passwords alone.
    #[arg(long)]
    pub no_host_passwords: bool,
    /// Accept hosts whose SSH key changed since the last run (after a reinstall).
    #[arg(long, alias = "accept-changed-host-key")]
    pub accept_changed_host_keys: bool,
    /// Cell for the serial (default 主机规划!E19).
    #[arg(long, value_name = "SHEET!CELL")]
    pub serial_cell: Option<String>,
    /// Overwrite other content in the serial cell.
    #[arg(long)]
    pub force_serial: bool,
}

pub async fn run(args: RunArgs) -> anyhow::Result<Outcome> {
    let lang = Lang::detect(args.lang);
    let Some(plan) = args.plan.clone() else {
        return super::fleet::run_fleet(args, lang).await;
    };
    let stages = args
        .stages
        .iter()
        .map(|s| s.parse::<Stage>().map_err(|e| BadInput(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(workbook) = load_workbook(&plan, lang)? else {
        return Ok(Outcome::BadInput);
    };
    let options = RunOptions {
        run_dir: args.run_dir.clone(),
        dry_run: args.dry_run,
        vmtools_iso: args.vmtools_iso.clone(),
        force_upload: args.force_upload,
        no_cpu_compatibility: args.no_cpu_compatibility,
        no_host_passwords: args.no_host_passwords,
        accept_changed_host_keys: args.accept_changed_host_keys,
        serial_cell: args.serial_cell.clone(),
        force_serial: args.force_serial,
    };
    let default_dir = default_run_dir(&workbook.plan.cluster.name);
    let settings = settings::resolve(&args.connection, &options, default_dir)?;
    let from = match &args.from {
        Some(dir) => Some(RunContext::load(dir).map_err(|e| BadInput(format!("--from: {e}")))?),
        None => None,
    };
    execute(
        RunRequest {
            settings,
            workbook,
            stages,
            from,
            progress: output::progress_sink(lang, false),
        },
        lang,
        args.json,
    )
    .await
}

/// Run and print; shared with `demo`.
pub async fn execute(request: RunRequest, lang: Lang, json: bool) -> anyhow::Result<Outcome> {
    let report = smtx_engine::run(request).await.context("run failed")?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).context("cannot print the report")?
        );
    } else {
        output::print_report(lang, &report);
    }
    Ok(if report.failed() {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}

/// Parse and validate; on workbook errors print them as `plan check` does and
/// answer `None`.
pub fn load_workbook(path: &Path, lang: Lang) -> anyhow::Result<Option<Workbook>> {
    let bytes = std::fs::read(path).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    let parsed = smtx_plan::parse_workbook(&bytes, &path.display().to_string())
        .map_err(|e| BadInput(e.to_string()))?;
    if parsed.has_errors() {
        // Exactly as `plan check` prints them.
        eprint!("{}", smtx_plan::render_diagnostics(&parsed));
        eprintln!("{}", text(lang, Msg::WorkbookHasErrors));
        return Ok(None);
    }
    for diagnostic in &parsed.diagnostics {
        eprintln!("{diagnostic}");
    }
    Ok(Some(Workbook {
        path: path.to_path_buf(),
        plan: parsed.plan,
    }))
}

/// `runs/<cluster>-<UTC time>`, a new one per run.
pub fn default_run_dir(cluster: &str) -> PathBuf {
    let safe: String = cluster
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = if safe.is_empty() {
        "cluster".to_string()
    } else {
        safe
    };
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
}
