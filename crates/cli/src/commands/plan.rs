//! `smtx-deploy plan`: `check` reads and validates a workbook and prints its
//! summary (or JSON); `set-serial` writes the cluster serial back into it.

use std::path::PathBuf;

use anyhow::Context as _;
use smtx_plan::{
    DEFAULT_SERIAL_CELL, SerialWriteError, SerialWriteOptions, SerialWriteOutcome, WorkbookLimits,
    parse_workbook, read_workbook_file, render_summary, write_serial,
};

use crate::Outcome;
use crate::commands::BadInput;
use crate::i18n::{CliMsg, Lang, Localize, PlanMsg, Text};

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(subcommand)]
    command: PlanCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PlanCommand {
    /// Read and validate a workbook; print its summary and every problem by cell.
    Check(CheckArgs),
    /// Write the cluster serial into the workbook (only that cell changes).
    SetSerial(SetSerialArgs),
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// The planning workbook (.xlsx).
    workbook: PathBuf,
    /// Print the plan and diagnostics as JSON on stdout (no secrets).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct SetSerialArgs {
    /// The planning workbook (.xlsx).
    workbook: PathBuf,
    /// The cluster serial, e.g. from `GET /api/v2/tools/license`.
    serial: String,
    /// Target cell as SHEET!CELL. The default is the workbook's `Cluster SN`
    /// cell (主机规划!E19 in the template, lower where host rows were
    /// inserted); the design's 文档描述!C18 is a table header in the real
    /// template.
    #[arg(long)]
    cell: Option<String>,
    /// Overwrite a cell holding something other than a placeholder or an
    /// earlier serial, ignore an office lock file, and replace a read-only
    /// workbook (it stays read-only). A symlink is always followed: the file
    /// it points to is changed, the link stays.
    #[arg(long)]
    force: bool,
}

pub fn run(args: PlanArgs, lang: Lang) -> anyhow::Result<Outcome> {
    match args.command {
        PlanCommand::Check(args) => check(args, lang),
        PlanCommand::SetSerial(args) => set_serial(args, lang),
    }
}

fn check(args: CheckArgs, lang: Lang) -> anyhow::Result<Outcome> {
    let file = args.workbook.display().to_string();
    // Bounded: a device, a pipe or an oversized file is refused unread.
    let bytes = read_workbook_file(&args.workbook, &WorkbookLimits::DEFAULT).map_err(|reason| {
        let message = CliMsg::CannotReadWorkbook {
            file: file.clone(),
            reason: Text::of(&reason),
        };
        BadInput(message.localize(lang))
    })?;
    let parsed = parse_workbook(&bytes, &file).map_err(|error| BadInput(error.localize(lang)))?;
    if args.json {
        let json = serde_json::to_string_pretty(&parsed)
            .with_context(|| PlanMsg::RenderingJson.localize(lang))?;
        outln!("{json}");
    } else {
        // A file name can hide characters as a cell can: written out too.
        let header = PlanMsg::WorkbookHeader { file }.localize(lang);
        outln!("{}\n", smtx_plan::visible(&header));
        out!("{}", render_summary(&parsed, lang));
    }
    Ok(if parsed.has_errors() {
        Outcome::BadInput
    } else {
        Outcome::Ok
    })
}

/// The workbook's `Cluster SN` cell, on the row its reader finds; the
/// template's when the workbook cannot be read (the write then says why).
fn workbook_serial_cell(path: &std::path::Path) -> String {
    let file = path.display().to_string();
    read_workbook_file(path, &WorkbookLimits::DEFAULT)
        .ok()
        .and_then(|bytes| parse_workbook(&bytes, &file).ok())
        .map_or_else(
            || DEFAULT_SERIAL_CELL.to_string(),
            |parsed| parsed.plan.cluster.serial_cell(),
        )
}

fn set_serial(args: SetSerialArgs, lang: Lang) -> anyhow::Result<Outcome> {
    let cell = args
        .cell
        .clone()
        .unwrap_or_else(|| workbook_serial_cell(&args.workbook));
    let options = SerialWriteOptions {
        cell: cell.clone(),
        force: args.force,
    };
    match write_serial(&args.workbook, &args.serial, &options) {
        Ok(SerialWriteOutcome::Written { previous }) => {
            let message = PlanMsg::SerialWritten {
                file: args.workbook.display().to_string(),
                serial: args.serial.trim().to_string(),
                cell: cell.clone(),
                previous,
            };
            outln!("{}", message.localize(lang));
            Ok(Outcome::Ok)
        }
        Ok(SerialWriteOutcome::AlreadyPresent) => {
            let message = PlanMsg::SerialAlreadyThere {
                file: args.workbook.display().to_string(),
                cell: cell.clone(),
                serial: args.serial.trim().to_string(),
            };
            outln!("{}", message.localize(lang));
            Ok(Outcome::Ok)
        }
        // Writing failed after the input was accepted: the job failed (1).
        Err(error @ (SerialWriteError::FileOpen { .. } | SerialWriteError::InUse { .. })) => {
            // A lock file may be stale (--force goes past it); a file another
            // program holds (Windows' share mode) is not, and --force does
            // nothing for it: only closing it helps.
            let hint = if matches!(error, SerialWriteError::InUse { .. }) {
                PlanMsg::SetSerialInUseHint
            } else {
                PlanMsg::SetSerialOpenHint
            };
            Err(anyhow::anyhow!(
                "{}\n{}",
                error.localize(lang),
                hint.localize(lang)
            ))
        }
        Err(error @ SerialWriteError::Failed { .. }) => Err(anyhow::anyhow!(error.localize(lang))),
        Err(error @ SerialWriteError::Occupied { .. }) => Err(BadInput(format!(
            "{}\n{}",
            error.localize(lang),
            PlanMsg::SetSerialOccupiedHint.localize(lang)
        ))
        .into()),
        Err(error @ SerialWriteError::ReadOnly { .. }) => Err(BadInput(format!(
            "{}\n{}",
            error.localize(lang),
            PlanMsg::SetSerialReadOnlyHint.localize(lang)
        ))
        .into()),
        Err(error) => Err(BadInput(error.localize(lang)).into()),
    }
}
