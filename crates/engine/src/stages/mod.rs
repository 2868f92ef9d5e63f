//! The stages and what they share: the per-stage run state, the client
//! built from settings, and the step bookkeeping (result, log line,
//! progress event) every step goes through.

pub mod config_cluster;
pub mod prepare;

use std::time::Instant;

use smtx_api::{ApiClient, ClientConfig, TlsConfig};
use smtx_plan::Plan;
use tokio_util::sync::CancellationToken;

use crate::messages::RunMsg;
use crate::{
    EngineError, ProgressEvent, ProgressSink, RunContext, Settings, Stage, Step, StepResult,
    StepStatus, Workbook,
};

/// The result of a step the run was stopped in.
pub(crate) fn aborted_step(step: Step) -> StepResult {
    StepResult::aborted(step, RunMsg::Aborted).with_hint(RunMsg::AbortedHint)
}

/// What one stage works with while it runs.
#[derive(Debug)]
pub struct StageRun<'a> {
    pub stage: Stage,
    pub settings: &'a Settings,
    pub workbook: &'a Workbook,
    pub client: ApiClient,
    pub context: &'a mut RunContext,
    pub progress: ProgressSink,
    pub results: Vec<StepResult>,
    cancel: CancellationToken,
    /// The step started last and not yet recorded: what an abort interrupts.
    current: Option<(Step, Instant)>,
    /// A step was recorded `aborted`: nothing after it ran, so nothing after
    /// it is recorded.
    stopped: bool,
}

/// What a stage hands back besides its results.
#[derive(Debug, Default)]
pub struct StageOutcome {
    pub serial: Option<String>,
}

impl<'a> StageRun<'a> {
    pub fn new(
        stage: Stage,
        settings: &'a Settings,
        workbook: &'a Workbook,
        client: ApiClient,
        context: &'a mut RunContext,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            stage,
            settings,
            workbook,
            client,
            context,
            progress,
            results: Vec::new(),
            cancel,
            current: None,
            stopped: false,
        }
    }
}

impl StageRun<'_> {
    pub fn plan(&self) -> &Plan {
        &self.workbook.plan
    }

    pub fn step_started(&mut self, step: Step) -> Instant {
        let now = Instant::now();
        if self.stopped {
            return now;
        }
        self.current = Some((step.clone(), now));
        self.progress.emit(ProgressEvent::StepStarted {
            stage: self.stage,
            step,
        });
        now
    }

    /// A step was recorded `aborted`.
    pub fn has_stopped(&self) -> bool {
        self.stopped
    }

    /// The step under way (started, not recorded), else the stage itself.
    pub(crate) fn current_step(&self) -> (Step, Instant) {
        self.current
            .clone()
            .unwrap_or_else(|| (Step::Stage(self.stage), Instant::now()))
    }

    /// Record a step: result list, stage log line, progress event.
    ///
    /// Once the run is aborted, the first step that does not succeed is the
    /// one the abort interrupted (its calls answer "aborted"): it is
    /// recorded `aborted`, and the steps after it, which never really ran,
    /// are not recorded at all.
    pub fn record(&mut self, mut result: StepResult, started: Instant) {
        if self.stopped {
            return;
        }
        if self.cancel.is_cancelled()
            && matches!(result.status, StepStatus::Warning | StepStatus::Failed)
        {
            result = StepResult {
                detail: result.detail.take(),
                ..aborted_step(result.step)
            };
        }
        if result.status == StepStatus::Aborted {
            self.stopped = true;
        }
        self.current = None;
        result.elapsed_ms = started.elapsed().as_millis() as u64;
        let error = result
            .error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let detail = result
            .detail
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        match result.status {
            StepStatus::Ok | StepStatus::Skipped => tracing::info!(
                stage = self.stage.name(),
                action = %result.step,
                status = result.status.as_str(),
                error = %error,
                detail = %detail,
                elapsed_ms = result.elapsed_ms,
            ),
            StepStatus::Warning | StepStatus::Failed | StepStatus::Aborted => tracing::warn!(
                stage = self.stage.name(),
                action = %result.step,
                status = result.status.as_str(),
                error = %error,
                detail = %detail,
                elapsed_ms = result.elapsed_ms,
            ),
        }
        self.progress.emit(ProgressEvent::StepFinished {
            stage: self.stage,
            result: Box::new(result.clone()),
        });
        self.results.push(result);
        self.checkpoint();
    }

    /// Save the context with the results so far: a run killed mid-stage
    /// (Ctrl-C, a lost laptop lid) leaves a `context.json` that says how far
    /// it got.
    fn checkpoint(&mut self) {
        self.context
            .extra
            .record_stage(self.stage, &self.results, None);
        if let Err(error) = self.context.save(&self.settings.run_dir) {
            tracing::warn!(action = "checkpoint", status = "failed", error = %error);
        }
    }
}

/// The API base: configured, else the first host's management IP.
pub fn api_base(settings: &Settings, plan: &Plan) -> Option<String> {
    settings.api_base.clone().or_else(|| {
        plan.hosts
            .first()
            .map(|h| format!("{}://{}", settings.scheme, h.management_ip))
    })
}

pub fn build_client(settings: &Settings, plan: &Plan) -> Result<ApiClient, EngineError> {
    let base = api_base(settings, plan).ok_or(EngineError::NoApiBase)?;
    let mut config = ClientConfig::new(base);
    config.overrides = settings.http_overrides.clone();
    config.tls = TlsConfig {
        ca_cert_pem: settings.ca_cert.as_ref().map(|(_, pem)| pem.clone()),
        insecure: settings.insecure,
    };
    config.request_timeout = settings.request_timeout;
    config.dry_run = settings.dry_run;
    Ok(ApiClient::new(config)?)
}
