//! Step 10 of `config_cluster`: the cluster serial, kept in the context and
//! written back into the workbook unless the cell holds something else.

use smtx_plan::{SerialWriteError, SerialWriteOptions, SerialWriteOutcome};

use super::StageRun;
use crate::{Step, StepResult};

/// Step 10: read the serial, keep it in the context, write it into the
/// workbook. A cell holding another serial (a rehearsal's, another
/// cluster's) or other content is kept unless `--force-serial`: the
/// workbook is the customer's record, and the serial stays in the context.
pub(super) async fn serial_step(run: &mut StageRun<'_>) -> Option<String> {
    let started = run.step_started(Step::Serial);
    let license = match run.client.license().await {
        Ok(license) => license,
        Err(error) => {
            run.record(
                StepResult::warning(Step::Serial, error.to_string()),
                started,
            );
            return None;
        }
    };
    let cell = run.settings.serial_cell.clone();
    let path = run.workbook.path.clone();
    if run.settings.dry_run {
        run.record(
            StepResult::ok(
                Step::Serial,
                format!("would write the serial into {cell} of {}", path.display()),
            ),
            started,
        );
        return None;
    }
    let serial = license.serial.trim().to_string();
    run.context.extra.config_cluster_mut().serial = Some(serial.clone());
    let kept = |what: String| {
        StepResult::warning(Step::Serial, what)
            .with_detail(format!("serial {serial} kept in context.json"))
    };
    let force = run.settings.force_serial;
    let (read_path, read_cell) = (path.clone(), cell.clone());
    let current = tokio::task::spawn_blocking(move || {
        let bytes = std::fs::read(&read_path).map_err(|e| e.to_string())?;
        smtx_plan::cell_text(&bytes, &read_path.display().to_string(), &read_cell)
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(format!("the read task failed: {e}")));
    if let Ok(Some(text)) = &current
        && !force
        && text != &serial
        && !smtx_plan::is_placeholder(text)
    {
        let result = if smtx_plan::looks_like_serial(text) {
            kept(format!(
                "{cell} already holds serial {text}, the cluster reports {serial}: kept {text}"
            ))
            .with_hint(
                "if the workbook's serial is wrong (a rehearsal's, another cluster's), run again with --force-serial",
            )
        } else {
            kept(format!(
                "{cell} holds other content ({} characters): not overwritten",
                text.chars().count()
            ))
            .with_hint(
                "run again with --serial-cell SHEET!CELL naming an empty cell, or with --force-serial to overwrite it",
            )
        };
        run.record(result, started);
        return Some(serial);
    }
    let options = SerialWriteOptions {
        cell: cell.clone(),
        force,
    };
    let (write_path, value) = (path.clone(), serial.clone());
    let written =
        tokio::task::spawn_blocking(move || smtx_plan::write_serial(&write_path, &value, &options))
            .await;
    let set_serial_later = format!("smtx-deploy plan set-serial {} {serial}", path.display());
    let result = match written {
        Ok(Ok(SerialWriteOutcome::AlreadyPresent)) => {
            StepResult::ok(Step::Serial, format!("{serial} already in {cell}"))
        }
        Ok(Ok(SerialWriteOutcome::Written { .. })) => {
            StepResult::ok(Step::Serial, format!("{serial} written to {cell}"))
        }
        Ok(Err(SerialWriteError::FileOpen { lock, .. })) => kept(format!(
            "the workbook is open in an office program (lock file {})",
            lock.display()
        ))
        .with_hint(format!(
            "close it, then: {set_serial_later} (or run again with --force-serial if no program has it open)"
        )),
        Ok(Err(SerialWriteError::Occupied { what, .. })) => {
            kept(format!("{cell} {what}: not overwritten")).with_hint(
                "run again with --serial-cell SHEET!CELL naming an empty cell, or with --force-serial to overwrite it",
            )
        }
        Ok(Err(error)) => kept(error.to_string())
            .with_hint(format!("fix the cause, then: {set_serial_later}")),
        Err(error) => kept(format!("the write-back task failed: {error}"))
            .with_hint(format!("then: {set_serial_later}")),
    };
    run.record(result, started);
    Some(serial)
}
