//! `smtx-engine`: the run — settings, run context, the stages (`prepare`,
//! `config_cluster`) and their step results, progress events, and the stage
//! log. Talks to the cluster only through `smtx-api`; front ends (CLI, web
//! console) call [`run`] and render what comes back.

pub mod check;
mod context;
mod progress;
mod report;
mod settings;
mod stage_log;
pub mod stages;

use std::path::PathBuf;
use std::time::Instant;

pub use context::{CONTEXT_FILE, RunContext};
pub use progress::{ProgressEvent, ProgressSink};
pub use report::{RunReport, StageReport, StepResult, StepStatus};
pub use settings::{DEPLOYMENT_SSH_PASSWORD, Settings};
use smtx_plan::Plan;
use tracing::instrument::WithSubscriber;

pub const REPORT_FILE: &str = "report.json";

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("API client: {0}")]
    Client(#[from] smtx_api::ApiError),
    #[error("unknown stage {0:?} (known: prepare, config_cluster)")]
    UnknownStage(String),
}

/// The stages, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// Run the requested stages in order; a failed stage stops the run.
/// `context.json` is saved after every stage and `report.json` at the end.
pub async fn run(request: RunRequest) -> Result<RunReport, EngineError> {
    let RunRequest {
        settings,
        workbook,
        stages,
        from,
        progress,
    } = request;
    let run_dir = settings.run_dir.clone();
    std::fs::create_dir_all(&run_dir).map_err(|e| EngineError::Io {
        path: run_dir.clone(),
        reason: e.to_string(),
    })?;
    let mut context = from.unwrap_or_default();
    context.config = settings.redacted();
    let client = stages::build_client(&settings, &workbook.plan)?;
    let mut reports = Vec::new();
    let mut serial = None;
    for stage in stages {
        let started = Instant::now();
        progress.emit(ProgressEvent::StageStarted {
            stage: stage.name().to_string(),
        });
        let (dispatch, _log_path) = stage_log::stage_dispatch(&run_dir, stage.name())?;
        let mut run = stages::StageRun {
            stage: stage.name(),
            settings: &settings,
            workbook: &workbook,
            client: client.clone(),
            context: &mut context,
            progress: progress.clone(),
            results: Vec::new(),
        };
        let outcome = match stage {
            Stage::Prepare => {
                stages::prepare::run(&mut run)
                    .with_subscriber(dispatch)
                    .await
            }
            Stage::ConfigCluster => {
                stages::config_cluster::run(&mut run)
                    .with_subscriber(dispatch)
                    .await
            }
        };
        if let Some(found) = outcome.serial {
            serial = Some(found);
        }
        let results = run.results;
        let report = StageReport::from_steps(
            stage.name(),
            results.clone(),
            started.elapsed().as_millis() as u64,
        );
        let stage_extra = context.stage_mut(stage.name());
        stage_extra.insert(
            "results".to_string(),
            serde_json::to_value(&results).unwrap_or_default(),
        );
        stage_extra.insert(
            "status".to_string(),
            serde_json::Value::String(report.status.as_str().to_string()),
        );
        context.save(&run_dir)?;
        progress.emit(ProgressEvent::StageFinished {
            stage: stage.name().to_string(),
            status: report.status,
        });
        let failed = report.status == StepStatus::Failed;
        reports.push(report);
        if failed {
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
    Ok(report)
}
