//! A run as a tokio task: for a rehearsal, an in-process simulator of the
//! plan (its listeners reached through the address override, its CA, SSH
//! pins of its own, a generated ISO so the upload bar moves), then
//! `smtx_engine::run` with a progress sink and the run's cancellation.
//!
//! Every event goes through one channel to one task per run
//! ([`process`]): it numbers the event, records it in the store (off the
//! async path: the store works on blocking threads), then broadcasts it to
//! the open streams. Numbering in one place, recording before
//! broadcasting, is what lets a stream replay from the store and go on live
//! without a gap or a repeat.
//!
//! Stage-log lines are read by tailing `logs/stage_<stage>.log` rather than
//! through a second sink in the engine: the file is what the user downloads,
//! so what streamed is exactly what it holds, and the engine stays as the
//! CLI uses it.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use smtx_engine::fleet::FleetGate;
use smtx_engine::launch::{LaunchRequest, PreparedRun};
use smtx_engine::{
    Lang, ProgressEvent, ProgressSink, RunReport, Settings, SettingsDoc, Stage, StepStatus,
    Workbook,
};
use smtx_i18n::Text;
use smtx_sim::{ClusterSpec, SimOptions};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::event_views::{
    self, Ended, LogLine, StageChanged, StatusChanged, StepEnded, StepStarted, Summary, Transfer,
};
use crate::messages::{self, ConsoleMsg};
use crate::store::{RowChange, RunStatus, StoredEvent};
use crate::target::{self, RehearsalOptions};

/// How often the stage logs are read for new lines.
const TAIL_EVERY: Duration = Duration::from_millis(200);
/// At most this many transfer events a second reach the store and streams.
const TRANSFER_EVERY: Duration = Duration::from_millis(200);

/// Where a run goes.
#[derive(Debug)]
pub enum Kind {
    /// Checked but for its settings, which exist once its simulator runs:
    /// launched (`smtx_engine::launch::prepare`) then.
    Rehearsal(RehearsalOptions),
    /// Launched: every refusal passed, the run directory held.
    Live(Box<PreparedRun>),
}

/// A run checked and recorded, ready to start.
#[derive(Debug)]
pub struct Prepared {
    pub id: String,
    pub run_dir: PathBuf,
    pub workbook: Workbook,
    pub stages: Vec<Stage>,
    /// A rehearsal's earlier run to start from (a live run's is in its
    /// `PreparedRun`).
    pub from_dir: Option<PathBuf>,
    pub dry_run: bool,
    pub cancel: CancellationToken,
    pub events: broadcast::Sender<StoredEvent>,
    /// A fleet's `parallel` bound: the run waits `queued` for a permit.
    pub gate: Option<FleetGate>,
    /// The workbook the serial goes into, relative to the run directory.
    pub workbook_file: Option<String>,
    /// The caller's token name, for the delivery record.
    pub run_by: Option<String>,
}

/// What the event task is told.
enum Raw {
    Progress(ProgressEvent),
    Log {
        stage: String,
        line: String,
    },
    Status(RunStatus),
    End {
        status: RunStatus,
        summary: Value,
        duration_ms: i64,
        error: Option<Text>,
        workbook_file: Option<String>,
    },
}

/// One step's result as the API shows it: its label and messages in both
/// languages.
/// Whether the serial step wrote (or found) the serial in the workbook: only
/// then is the workbook worth offering as "the workbook with the serial".
/// An aborted or failed run, a dry run, or a cell kept as it was is not.
fn serial_written(report: &RunReport) -> bool {
    !report.dry_run
        && report
            .stages
            .iter()
            .flat_map(|stage| &stage.steps)
            .any(|step| step.step == smtx_engine::Step::Serial && step.status == StepStatus::Ok)
}

fn run_status(status: StepStatus) -> RunStatus {
    match status {
        StepStatus::Ok | StepStatus::Skipped => RunStatus::Ok,
        StepStatus::Warning => RunStatus::Warning,
        StepStatus::Failed => RunStatus::Failed,
        StepStatus::Aborted => RunStatus::Aborted,
    }
}

/// Starts the run's task.
pub fn spawn(state: &AppState, run: Prepared, kind: Kind) {
    let task_state = state.clone();
    state.0.tasks.spawn(execute(task_state, run, kind));
}

async fn execute(state: AppState, run: Prepared, kind: Kind) {
    let started = Instant::now();
    let (tx, rx) = mpsc::unbounded_channel::<Raw>();
    let processor = tokio::spawn(process(
        state.clone(),
        run.id.clone(),
        run.events.clone(),
        rx,
    ));
    let _place = match &run.gate {
        Some(gate) => gate.enter(Some(&run.cancel)).await,
        None => None,
    };
    let _ = tx.send(Raw::Status(RunStatus::Running));
    let stop_tail = CancellationToken::new();
    let tail = tokio::spawn(tail_logs(
        run.run_dir.join("logs"),
        tx.clone(),
        stop_tail.clone(),
    ));
    let outcome = drive(&state, &run, kind, tx.clone()).await;
    stop_tail.cancel();
    let _ = tail.await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let end = match outcome {
        Ok(report) => {
            tracing::info!(action = "console_run", status = run_status(report.status).as_str(), run = %run.id);
            Raw::End {
                status: run_status(report.status),
                summary: event_views::value(&Summary::new(&report, serial_written(&report))),
                duration_ms,
                error: None,
                workbook_file: run
                    .workbook_file
                    .clone()
                    .filter(|_| serial_written(&report)),
            }
        }
        Err(error) => {
            tracing::warn!(action = "console_run", status = "failed", run = %run.id, error = %error.en);
            Raw::End {
                status: RunStatus::Failed,
                summary: Value::Null,
                duration_ms,
                error: Some(error),
                workbook_file: None,
            }
        }
    };
    // The run's cluster and its slot are free before its end is recorded:
    // a client that saw the end and starts the next run at once must not
    // be told the cluster is busy. The entry itself stays until the end is
    // stored, for event streams opening meanwhile.
    if let Ok(mut active) = state.0.active.lock()
        && let Some(entry) = active.get_mut(&run.id)
    {
        entry.addresses.clear();
        entry.ended = true;
    }
    if let Raw::End { status, .. } = &end {
        let _ = tx.send(Raw::Status(*status));
    }
    let _ = tx.send(end);
    drop(tx);
    let _ = processor.await;
    if let Ok(mut active) = state.0.active.lock() {
        active.remove(&run.id);
    }
}

fn failed_to_start(reason: impl std::fmt::Display) -> Text {
    let reason = reason.to_string();
    messages::both(&ConsoleMsg::RunFailedToStart {
        reason: Text {
            zh_cn: smtx_i18n::quoted(Lang::ZhCn, &reason),
            en: reason,
        },
    })
}

async fn drive(
    state: &AppState,
    run: &Prepared,
    kind: Kind,
    tx: mpsc::UnboundedSender<Raw>,
) -> Result<RunReport, Text> {
    let progress = {
        let tx = tx.clone();
        ProgressSink::new(move |event| {
            let _ = tx.send(Raw::Progress(event.clone()));
        })
    };
    match kind {
        Kind::Live(prepared) => prepared
            .run(progress, run.cancel.clone())
            .await
            .map_err(|error| messages::both(&error)),
        Kind::Rehearsal(options) => {
            let scenario = match &options.scenario {
                Some(name) => match crate::scenarios::find(name) {
                    Some(Ok(scenario)) => scenario,
                    Some(Err(error)) => return Err(failed_to_start(error)),
                    None => return Err(failed_to_start(format!("no scenario {name}"))),
                },
                None => smtx_sim::Scenario::default(),
            };
            let sim_options = SimOptions {
                latency: Duration::from_millis(options.latency_ms),
                job_duration: Duration::from_millis(options.job_ms),
                scenario,
                ..SimOptions::default()
            };
            let sim = smtx_sim::start(ClusterSpec::from_plan(&run.workbook.plan, 42), sim_options)
                .await
                .map_err(failed_to_start)?;
            let iso_dir = run.run_dir.join("rehearsal-iso");
            let chosen = match &options.iso_id {
                Some(id) => Some(
                    state
                        .isos()
                        .find(id)
                        .ok_or_else(|| failed_to_start(format!("no ISO {id}")))?
                        .path,
                ),
                None => None,
            };
            let result = async {
                let mut settings =
                    rehearsal_settings(&sim, run, &options, chosen, &iso_dir).await?;
                settings.run_by = run.run_by.clone();
                // The refusals of every run (its `from_run` was checked
                // when it was asked for; this checks it again, now with
                // the settings).
                let prepared = smtx_engine::launch::prepare(LaunchRequest {
                    settings,
                    workbook: run.workbook.clone(),
                    stages: run.stages.clone(),
                    from_dir: run.from_dir.clone(),
                    front_end: smtx_engine::LaunchedBy::Console,
                })
                .map_err(|refusal| {
                    messages::both(&ConsoleMsg::RunFailedToStart {
                        reason: messages::both(&refusal),
                    })
                })?;
                prepared
                    .run(progress, run.cancel.clone())
                    .await
                    .map_err(|error| messages::both(&error))
            }
            .await;
            state.keep_rehearsal_state(&run.id, sim.state());
            sim.shutdown().await;
            // 64 MiB per rehearsal would fill the disk; the run's files
            // name it, nobody needs its bytes again.
            let _ = tokio::fs::remove_dir_all(&iso_dir).await;
            result
        }
    }
}

/// The settings `smtx-deploy sim --write-config` would write for `sim`:
/// the workbook's addresses sent to its listeners, its CA trusted alone,
/// its SSH keys pinned apart from a site's, and a rehearsal's workbook copy.
async fn rehearsal_settings(
    sim: &smtx_sim::RunningSim,
    run: &Prepared,
    options: &RehearsalOptions,
    chosen_iso: Option<PathBuf>,
    iso_dir: &Path,
) -> Result<Settings, Text> {
    if sim.nodes().is_empty() {
        return Err(failed_to_start("the plan has no host to simulate"));
    }
    let ca_cert = match sim.ca_cert_pem() {
        Some(pem) => {
            let path = run.run_dir.join("sim-ca.pem");
            tokio::fs::write(&path, pem)
                .await
                .map_err(|e| failed_to_start(format!("{}: {e}", path.display())))?;
            Some(path)
        }
        None => None,
    };
    // What `smtx-deploy sim --write-config` writes, read as the CLI reads
    // that file: one description of a simulator's addresses for both front
    // ends. No `known_hosts`: the console pins apart (`own_known_hosts`).
    let mut layer = SettingsDoc::from_toml(&sim.settings_toml(ca_cert.as_deref(), None))
        .map_err(failed_to_start)?
        .into_layer()
        .map_err(failed_to_start)?;
    let iso = if chosen_iso.is_some() {
        chosen_iso
    } else if options.iso_mib > 0 {
        let path = iso_dir.join("SMTX_VMTOOLS-3.2.0-rehearsal.iso");
        let size = options.iso_mib.saturating_mul(1024 * 1024);
        let target = path.clone();
        let dry_run = run.dry_run;
        // A dry run reads only the ISO's size: a sparse file of that size
        // says "would upload" as the rehearsal will, without writing it.
        tokio::task::spawn_blocking(move || {
            if dry_run {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::File::create(&target).and_then(|file| file.set_len(size))
            } else {
                smtx_sim::write_stand_in_iso(&target, size)
            }
        })
        .await
        .map_err(failed_to_start)?
        .map_err(|e| failed_to_start(format!("{}: {e}", path.display())))?;
        Some(path)
    } else {
        None
    };
    layer.dry_run = Some(run.dry_run);
    layer.run_dir = Some(run.run_dir.clone());
    layer.vmtools_iso = iso;
    let mut settings = layer
        .resolve(run.run_dir.clone(), run.run_dir.clone(), target::read_ca)
        .map_err(|refusal| match refusal {
            target::SettingsRefusal::Bad(text) | target::SettingsRefusal::Refused(text) => text,
            target::SettingsRefusal::ServerPath(key) => {
                messages::both(&ConsoleMsg::ServerPath { key })
            }
            target::SettingsRefusal::UnknownIso(id) => {
                messages::both(&ConsoleMsg::UnknownIso { id })
            }
        })?;
    // The simulator's keys, pinned for this rehearsal only: a file of the
    // console's own making.
    settings.own_known_hosts = Some(run.run_dir.join("sim.known_hosts"));
    // The run directory's report.html reads in Chinese, as the site does;
    // the page renders it in its own language on demand.
    settings.report_lang = smtx_i18n::Lang::ZhCn;
    Ok(settings)
}

/// The run's event task: numbers, records, broadcasts; ends after `end`.
async fn process(
    state: AppState,
    id: String,
    events: broadcast::Sender<StoredEvent>,
    mut rx: mpsc::UnboundedReceiver<Raw>,
) {
    let mut seq = 0i64;
    let mut last_transfer: Option<Instant> = None;
    while let Some(raw) = rx.recv().await {
        let mut end = false;
        let (kind, data, change) = match raw {
            Raw::Progress(ProgressEvent::StepFinished { stage, result }) => (
                "step",
                event_views::value(&StepEnded::new(stage, &result)),
                RowChange::Step,
            ),
            Raw::Progress(ProgressEvent::StepStarted { stage, step }) => (
                "step_started",
                event_views::value(&StepStarted::new(stage, &step)),
                RowChange::None,
            ),
            Raw::Progress(event @ ProgressEvent::Transfer { .. }) => {
                let Some(transfer) = Transfer::of(&event) else {
                    continue;
                };
                let data = event_views::value(&transfer);
                if let Ok(mut active) = state.0.active.lock()
                    && let Some(run) = active.get_mut(&id)
                {
                    run.transfer = Some(data.clone());
                }
                let finished = transfer.bytes_done == transfer.bytes_total;
                let recent = last_transfer.is_some_and(|at| at.elapsed() < TRANSFER_EVERY);
                if recent && !finished {
                    continue;
                }
                last_transfer = Some(Instant::now());
                ("transfer", data, RowChange::Transfer)
            }
            Raw::Progress(ProgressEvent::StageStarted { stage }) => (
                "stage",
                event_views::value(&StageChanged::new(stage, "running")),
                RowChange::None,
            ),
            Raw::Progress(ProgressEvent::StageFinished { stage, status }) => (
                "stage",
                event_views::value(&StageChanged::new(stage, status.as_str())),
                RowChange::None,
            ),
            Raw::Log { stage, line } => (
                "log",
                event_views::value(&LogLine {
                    stage: &stage,
                    line: &line,
                }),
                RowChange::None,
            ),
            Raw::Status(status) => (
                "status",
                event_views::value(&StatusChanged { status }),
                RowChange::Status(status),
            ),
            Raw::End {
                status,
                summary,
                duration_ms,
                error,
                workbook_file,
            } => {
                end = true;
                let error = error.as_ref().map(messages::json);
                let data = event_views::value(&Ended {
                    status,
                    summary: &summary,
                    error: error.clone(),
                });
                (
                    "end",
                    data,
                    RowChange::End {
                        status,
                        duration_ms,
                        error,
                        workbook_file,
                    },
                )
            }
        };
        seq += 1;
        let event = StoredEvent {
            seq,
            kind: kind.to_string(),
            data,
        };
        if let Err(error) = state
            .store()
            .record(id.clone(), event.clone(), change)
            .await
        {
            tracing::error!(action = "console_event", status = "failed", run = %id, error = %error);
        }
        // No stream open is not an error.
        let _ = events.send(event);
        if end {
            break;
        }
    }
}

/// Reads new complete lines of every `stage_<stage>.log` in `dir` until
/// `stop`, then once more.
async fn tail_logs(dir: PathBuf, tx: mpsc::UnboundedSender<Raw>, stop: CancellationToken) {
    let mut offsets: BTreeMap<PathBuf, u64> = BTreeMap::new();
    loop {
        let stopping = stop.is_cancelled();
        let scan_dir = dir.clone();
        let scanned = tokio::task::spawn_blocking(move || {
            let lines = scan_logs(&scan_dir, &mut offsets);
            (offsets, lines)
        })
        .await;
        let Ok((kept, lines)) = scanned else {
            return;
        };
        offsets = kept;
        for (stage, line) in lines {
            let _ = tx.send(Raw::Log { stage, line });
        }
        if stopping {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(TAIL_EVERY) => {}
            () = stop.cancelled() => {}
        }
    }
}

/// The stage of a log file's name: `stage_config_cluster.log` → `config_cluster`.
pub fn log_stage(name: &str) -> Option<&str> {
    let stage = name.strip_prefix("stage_")?.strip_suffix(".log")?;
    (!stage.is_empty() && stage.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .then_some(stage)
}

fn scan_logs(dir: &Path, offsets: &mut BTreeMap<PathBuf, u64>) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    let mut files: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            log_stage(&name).map(|stage| (stage.to_string(), entry.path()))
        })
        .collect();
    files.sort();
    for (stage, path) in files {
        let offset = offsets.get(&path).copied().unwrap_or(0);
        let Ok(mut file) = std::fs::File::open(&path) else {
            continue;
        };
        if file.seek(SeekFrom::Start(offset)).is_err() {
            continue;
        }
        let mut bytes = Vec::new();
        if file.read_to_end(&mut bytes).is_err() {
            continue;
        }
        // Only whole lines: the rest is read next time, once written.
        let Some(last_newline) = bytes.iter().rposition(|&b| b == b'\n') else {
            continue;
        };
        for line in bytes[..last_newline].split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(line).trim_end().to_string();
            if !line.is_empty() {
                found.push((stage.clone(), line));
            }
        }
        offsets.insert(path, offset + last_newline as u64 + 1);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names_give_their_stage() {
        assert_eq!(log_stage("stage_prepare.log"), Some("prepare"));
        assert_eq!(
            log_stage("stage_config_cluster.log"),
            Some("config_cluster")
        );
        assert_eq!(log_stage("stage_.log"), None);
        assert_eq!(log_stage("stage_../x.log"), None);
        assert_eq!(log_stage("other.log"), None);
    }

    /// A line being written is not read until it is whole.
    #[test]
    fn only_whole_lines_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("stage_prepare.log");
        std::fs::write(&path, "{\"a\":1}\n{\"b\"").expect("written");
        let mut offsets = BTreeMap::new();
        let first = scan_logs(dir.path(), &mut offsets);
        assert_eq!(
            first,
            vec![("prepare".to_string(), "{\"a\":1}".to_string())]
        );
        std::fs::write(&path, "{\"a\":1}\n{\"b\":2}\n").expect("written");
        let second = scan_logs(dir.path(), &mut offsets);
        assert_eq!(
            second,
            vec![("prepare".to_string(), "{\"b\":2}".to_string())]
        );
        assert!(scan_logs(dir.path(), &mut offsets).is_empty());
    }
}
