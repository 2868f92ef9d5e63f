//! The stages and what they share: the per-stage run state, the client
//! built from settings, and the step bookkeeping (result, log line,
//! progress event) every step goes through.

pub mod config_cluster;
mod host_passwords;
pub mod prepare;
mod vmtools;

use std::time::Instant;

use smtx_api::{ApiClient, ClientConfig, TlsConfig};
use smtx_plan::Plan;

use crate::{
    EngineError, ProgressEvent, ProgressSink, RunContext, Settings, StepResult, StepStatus,
    Workbook,
};

/// What one stage works with while it runs.
#[derive(Debug)]
pub struct StageRun<'a> {
    pub stage: &'static str,
    pub settings: &'a Settings,
    pub workbook: &'a Workbook,
    pub client: ApiClient,
    pub context: &'a mut RunContext,
    pub progress: ProgressSink,
    pub results: Vec<StepResult>,
}

/// What a stage hands back besides its results.
#[derive(Debug, Default)]
pub struct StageOutcome {
    pub serial: Option<String>,
}

impl StageRun<'_> {
    pub fn plan(&self) -> &Plan {
        &self.workbook.plan
    }

    pub fn step_started(&self, action: &str) -> Instant {
        self.progress.emit(ProgressEvent::StepStarted {
            stage: self.stage.to_string(),
            action: action.to_string(),
        });
        Instant::now()
    }

    /// Record a step: result list, stage log line, progress event.
    pub fn record(&mut self, mut result: StepResult, started: Instant) {
        result.elapsed_ms = started.elapsed().as_millis() as u64;
        let error = result.error.clone().unwrap_or_default();
        match result.status {
            StepStatus::Ok | StepStatus::Skipped => tracing::info!(
                stage = self.stage,
                action = %result.action,
                status = result.status.as_str(),
                error = %error,
                detail = result.detail.as_deref().unwrap_or(""),
                elapsed_ms = result.elapsed_ms,
            ),
            StepStatus::Warning | StepStatus::Failed => tracing::warn!(
                stage = self.stage,
                action = %result.action,
                status = result.status.as_str(),
                error = %error,
                detail = result.detail.as_deref().unwrap_or(""),
                elapsed_ms = result.elapsed_ms,
            ),
        }
        self.progress.emit(ProgressEvent::StepFinished {
            stage: self.stage.to_string(),
            result: result.clone(),
        });
        self.results.push(result);
        self.checkpoint();
    }

    /// Save the context with the results so far: a run killed mid-stage
    /// (Ctrl-C, a lost laptop lid) leaves a `context.json` that says how far
    /// it got.
    fn checkpoint(&mut self) {
        let results = serde_json::to_value(&self.results).unwrap_or_default();
        self.context
            .stage_mut(self.stage)
            .insert("results".to_string(), results);
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
    let base = api_base(settings, plan).ok_or_else(|| {
        EngineError::Client(smtx_api::ApiError::Config(
            "no API base: the workbook has no host and no --api-base was given".to_string(),
        ))
    })?;
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
