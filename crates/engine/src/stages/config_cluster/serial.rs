//! Step 10 of `config_cluster`: the cluster serial, kept in the context and
//! written back into the workbook unless the cell holds something else.

use smtx_plan::{SerialWriteError, SerialWriteOptions, SerialWriteOutcome};

use super::StageRun;
use smtx_i18n::Text;

use crate::messages::{Message, SerialMsg};
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
            run.record(StepResult::warning(Step::Serial, &error), started);
            return None;
        }
    };
    let cell = run.settings.serial_cell_in(run.plan());
    let path = run.workbook.path.clone();
    if run.settings.dry_run {
        run.record(
            StepResult::ok(
                Step::Serial,
                SerialMsg::WouldWrite {
                    cell: cell.clone(),
                    path: path.display().to_string(),
                },
            ),
            started,
        );
        return None;
    }
    let serial = license.serial.trim().to_string();
    run.context.extra.config_cluster_mut().serial = Some(serial.clone());
    let kept = |what: Message| {
        StepResult::warning(Step::Serial, what).with_detail(SerialMsg::KeptInContext {
            serial: serial.clone(),
        })
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
            kept(
                SerialMsg::CellHoldsSerial {
                    cell: cell.clone(),
                    held: text.clone(),
                    serial: serial.clone(),
                }
                .into(),
            )
            .with_hint(SerialMsg::ForceSerialHint)
        } else {
            kept(
                SerialMsg::CellHoldsOther {
                    cell: cell.clone(),
                    chars: text.chars().count(),
                }
                .into(),
            )
            .with_hint(SerialMsg::OtherCellHint)
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
        Ok(Ok(SerialWriteOutcome::AlreadyPresent)) => StepResult::ok(
            Step::Serial,
            SerialMsg::AlreadyIn {
                serial: serial.clone(),
                cell: cell.clone(),
            },
        ),
        Ok(Ok(SerialWriteOutcome::Written { .. })) => StepResult::ok(
            Step::Serial,
            SerialMsg::Written {
                serial: serial.clone(),
                cell: cell.clone(),
            },
        ),
        Ok(Err(SerialWriteError::FileOpen { lock, .. })) => kept(
            SerialMsg::WorkbookOpen {
                lock: lock.display().to_string(),
            }
            .into(),
        )
        .with_hint(SerialMsg::WorkbookOpenHint {
            command: set_serial_later,
        }),
        Ok(Err(SerialWriteError::InUse { .. })) => {
            kept(SerialMsg::WorkbookInUse.into()).with_hint(SerialMsg::WorkbookOpenHint {
                command: set_serial_later,
            })
        }
        Ok(Err(SerialWriteError::Occupied { what, .. })) => kept(
            SerialMsg::Occupied {
                cell: cell.clone(),
                what,
            }
            .into(),
        )
        .with_hint(SerialMsg::OtherCellHint),
        Ok(Err(error)) => kept(
            SerialMsg::WriteFailed {
                error: Text::of(&error),
            }
            .into(),
        )
        .with_hint(SerialMsg::FixCauseHint {
            command: set_serial_later,
        }),
        Err(error) => kept(
            SerialMsg::TaskFailed {
                reason: error.to_string(),
            }
            .into(),
        )
        .with_hint(SerialMsg::ThenHint {
            command: set_serial_later,
        }),
    };
    run.record(result, started);
    Some(serial)
}
