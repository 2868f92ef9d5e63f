//! `smtx-engine`: the run — settings, run context, the stages (`prepare`,
//! `config_cluster`) and their step results, progress events, and the stage
//! log. Talks to the cluster only through `smtx-api`; front ends (CLI, web
//! console) start a run through [`launch::prepare`] (every refusal before
//! the first call), run it, and render what comes back.

pub mod check;
mod context;
pub mod delivery;
pub mod fleet;
pub mod launch;
mod launch_record;
mod lock;
pub mod messages;
pub mod preflight;
mod progress;
mod report;
mod settings;
pub mod settings_doc;
mod stage_log;
pub mod stages;
mod step;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use context::{
    CONTEXT_FILE, ConfigClusterRecord, DeployCloudtowerRecord, DeployVerifyRecord, Extra,
    HostScans, PrepareRecord, RecordedStep, RunContext, ScannedHost, SvtImageRecord,
    WorkbookIdentity,
};
pub use launch_record::{LAUNCH_FILE, LaunchRecord, LaunchedBy};
pub use lock::{DirLock, DirLockError, LOCK_FILE};
pub use messages::Message;
pub use progress::{ProgressEvent, ProgressSink};
pub use report::{RunReport, StageReport, StepCounts, StepResult, StepStatus};
pub use settings::{Combine, DEPLOYMENT_SSH_PASSWORD, Settings, SettingsLayer};
pub use settings_doc::SettingsDoc;
pub use smtx_i18n::{Lang, Localize};
use smtx_plan::Plan;
pub use step::{HostRef, NetworkRef, Step};
pub use tokio_util::sync::CancellationToken;
use tracing::instrument::WithSubscriber;

pub const REPORT_FILE: &str = "report.json";

/// After an abort, how long a stage gets to reach a point where it stops by
/// itself (the client refuses new calls and ends waits at once) before it is
/// dropped where it stands — an SSH command, say. Together with writing the
/// report this keeps an abort under a second.
const ABORT_BACKSTOP: Duration = Duration::from_millis(600);

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    /// `--from` names a directory whose context.json does not parse.
    #[error("{path}: not a run context: {reason}")]
    NotAContext { path: PathBuf, reason: String },
    /// A run directory's `delivery.json` does not parse (or is newer).
    #[error("{path}: not a delivery record: {reason}")]
    NotADeliveryRecord { path: PathBuf, reason: String },
    /// A run directory's `launch.json` does not parse (or is newer).
    #[error("{path}: not a record of how a run was started: {reason}")]
    NotALaunchRecord { path: PathBuf, reason: String },
    /// A rehearsal's copy of the workbook could not be made.
    #[error("{path}: cannot copy the workbook {}: {reason}", from.display())]
    CopyWorkbook {
        path: PathBuf,
        from: PathBuf,
        reason: String,
    },
    #[error("API client: {0}")]
    Client(#[from] smtx_api::ApiError),
    #[error("API client: no API base: the workbook has no host and no --api-base was given")]
    NoApiBase,
    #[error("unknown stage {0:?} (known: prepare, config_cluster)")]
    UnknownStage(String),
    /// Another run holds the run directory's lock.
    #[error("{}: another run is using this run directory{}; wait for it to end or choose another run directory", run_dir.display(), holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default())]
    RunDirBusy {
        run_dir: PathBuf,
        holder: Option<u32>,
    },
}

/// The stages, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Prepare,
    ConfigCluster,
}

impl Stage {
    pub const ALL: [Stage; 2] = [Stage::Prepare, Stage::ConfigCluster];

    pub fn name(self) -> &'static str {
        match self {
            Self::Prepare => "prepare",
            Self::ConfigCluster => "config_cluster",
        }
    }

    /// The stage as a person reads it, in the glossary's words (the
    /// wire name `config_cluster` is what `--stages` and files take).
    pub fn label(self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, Self::Prepare) => "prepare",
            (Lang::En, Self::ConfigCluster) => "cluster configuration",
            (Lang::ZhCn, Self::Prepare) => "准备",
            (Lang::ZhCn, Self::ConfigCluster) => "集群配置",
        }
        .to_string()
    }
}

impl serde::Serialize for Stage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl std::str::FromStr for Stage {
    type Err = EngineError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "prepare" => Ok(Self::Prepare),
            "config_cluster" | "config-cluster" => Ok(Self::ConfigCluster),
            other => Err(EngineError::UnknownStage(other.to_string())),
        }
    }
}

/// The workbook a run works from: its parsed plan and where it lives (the
/// serial is written back there).
#[derive(Debug, Clone)]
pub struct Workbook {
    pub path: PathBuf,
    pub plan: Plan,
}

#[derive(Debug, Clone)]
pub struct RunRequest {
    pub settings: Settings,
    pub workbook: Workbook,
    pub stages: Vec<Stage>,
    /// An earlier run's context to start from.
    pub from: Option<RunContext>,
    pub progress: ProgressSink,
    /// Cancel it to abort the run (Ctrl-C in the CLI, the console's stop
    /// button): the step under way is recorded `aborted`, nothing more is
    /// sent, and `run` returns a report whose status is `aborted`.
    pub cancel: CancellationToken,
}

/// Where a rehearsal keeps its copy of the workbook: in its run directory,
/// so the simulator's serial never reaches the customer's file.
pub fn rehearsal_workbook(run_dir: &Path, workbook: &Path) -> PathBuf {
    let name = workbook
        .file_name()
        .map_or_else(|| "workbook.xlsx".into(), ToOwned::to_owned);
    run_dir.join(name)
}

/// A cluster's name as part of a file or directory name (run directories,
/// known_hosts files, a workbook's download): ASCII letters, digits, `-`
/// and `_` kept, anything else `_`, so it is one path component on every
/// system; `cluster` if nothing is left.
pub fn cluster_file_name(cluster: &str) -> String {
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
    if safe.is_empty() {
        "cluster".into()
    } else {
        safe
    }
}

/// Run the requested stages in order; a failed or aborted stage stops the
/// run. `context.json` is saved after every step and `report.json` at the
/// end. The run directory is locked for the duration: a second run on it
/// gets [`EngineError::RunDirBusy`].
///
/// Front ends start a run through [`launch::prepare`] (every refusal before
/// the first call, the run directory locked there) and
/// [`launch::PreparedRun::run`]; this is that run without the refusals.
pub async fn run(request: RunRequest) -> Result<RunReport, EngineError> {
    let run_dir = request.settings.run_dir.clone();
    std::fs::create_dir_all(&run_dir).map_err(|e| EngineError::Io {
        path: run_dir.clone(),
        reason: e.to_string(),
    })?;
    let lock = lock::RunLock::acquire(&run_dir)?;
    run_locked(request, lock).await
}

/// [`run`] on a run directory whose lock `_lock` holds until the end.
async fn run_locked(request: RunRequest, _lock: lock::RunLock) -> Result<RunReport, EngineError> {
    let RunRequest {
        settings,
        workbook,
        stages,
        from,
        progress,
        cancel,
    } = request;
    let run_dir = settings.run_dir.clone();
    let started_at = std::time::SystemTime::now();
    let customer_workbook = workbook.path.clone();
    let workbook_sha256_before = delivery::sha256_of(&workbook.path);
    // Only once the run directory is ours: a refused run must not replace
    // the copy another run is writing its serial into.
    let workbook = if settings.rehearsal && !settings.dry_run {
        let copy = rehearsal_workbook(&run_dir, &workbook.path);
        let io = |e: std::io::Error| EngineError::CopyWorkbook {
            path: copy.clone(),
            from: workbook.path.clone(),
            reason: e.to_string(),
        };
        std::fs::copy(&workbook.path, &copy).map_err(io)?;
        // The copy is the run's own: writable even when the workbook is not
        // (a read-only workbook would otherwise refuse the rehearsal's serial).
        smtx_platform::files::make_owner_writable(&copy).map_err(io)?;
        Workbook {
            path: copy,
            plan: workbook.plan,
        }
    } else {
        workbook
    };
    let mut context = from.unwrap_or_default();
    context.config = settings.redacted();
    // The serial cell the run writes, found in this workbook when not set.
    if let Some(config) = context.config.as_object_mut() {
        let cell = settings.serial_cell_in(&workbook.plan);
        config.insert("serial_cell".to_string(), cell.into());
    }
    let client = stages::build_client(&settings, &workbook.plan)?.with_cancellation(cancel.clone());
    let mut reports = Vec::new();
    let mut serial = None;
    for stage in stages {
        let started = Instant::now();
        progress.emit(ProgressEvent::StageStarted { stage });
        let (dispatch, _log_path) = stage_log::stage_dispatch(&run_dir, stage.name())?;
        let mut run = stages::StageRun::new(
            stage,
            &settings,
            &workbook,
            client.clone(),
            &mut context,
            progress.clone(),
            cancel.clone(),
        );
        let outcome = if cancel.is_cancelled() {
            // Stopped between stages: this one is the step under way.
            None
        } else {
            let stage_future = async {
                match stage {
                    Stage::Prepare => stages::prepare::run(&mut run).await,
                    Stage::ConfigCluster => stages::config_cluster::run(&mut run).await,
                }
            }
            .with_subscriber(dispatch.clone());
            tokio::select! {
                outcome = stage_future => Some(outcome),
                () = async {
                    cancel.cancelled().await;
                    tokio::time::sleep(ABORT_BACKSTOP).await;
                } => None,
            }
        };
        if outcome.is_none() {
            // Lanes dropped at the backstop: each one's step under way.
            tracing::dispatcher::with_default(&dispatch, || run.join_lanes());
        }
        if outcome.is_none() && !run.has_stopped() {
            // The stage did not get to record its step as aborted (dropped
            // at the backstop, or not started): do it here, in its log.
            let (step, step_started) = run.current_step();
            tracing::dispatcher::with_default(&dispatch, || {
                run.record(stages::aborted_step(step), step_started);
            });
        }
        let outcome = outcome.unwrap_or_default();
        if let Some(found) = outcome.serial {
            serial = Some(found);
        }
        let results = run.results;
        context
            .extra
            .record_stage(stage, &results, Some(StageReport::status_of(&results)));
        let report = StageReport::from_steps(stage, results, started.elapsed().as_millis() as u64);
        context.save(&run_dir)?;
        progress.emit(ProgressEvent::StageFinished {
            stage,
            status: report.status,
        });
        let stop = matches!(report.status, StepStatus::Failed | StepStatus::Aborted);
        reports.push(report);
        if stop {
            break;
        }
    }
    let status = reports
        .iter()
        .map(|r| r.status)
        .max()
        .unwrap_or(StepStatus::Ok);
    let report = RunReport {
        run_dir: run_dir.clone(),
        status,
        stages: reports,
        serial,
        workbook: Some(workbook.path.clone()),
        planned_calls: if settings.dry_run {
            client.planned_calls()
        } else {
            Vec::new()
        },
        dry_run: settings.dry_run,
    };
    let text = serde_json::to_string_pretty(&report).map_err(|e| EngineError::Io {
        path: run_dir.join(REPORT_FILE),
        reason: e.to_string(),
    })?;
    context::write_atomic(&run_dir.join(REPORT_FILE), text.as_bytes())?;
    // The delivery record is for people: a run it could not be written
    // for has still ended as it did (report.json says so).
    let facts = delivery::RunFacts {
        plan: &workbook.plan,
        report: &report,
        context: &context,
        rehearsal: settings.rehearsal,
        started: started_at,
        workbook: &customer_workbook,
        workbook_sha256_before,
        run_by: settings.run_by.clone(),
    };
    if let Err(error) = delivery::record_run(&facts, settings.report_lang) {
        tracing::warn!(action = "delivery_record", status = "failed", error = %error);
    }
    Ok(report)
}
