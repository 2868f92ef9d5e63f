//! What a run's event stream carries (`GET /api/runs/{id}/events`, kept in
//! the store and replayed), as types: one per event kind. The run page's
//! scripts read these field names; a change here is a change of the API.

use serde::Serialize;
use serde_json::Value;
use smtx_engine::{Lang, ProgressEvent, RunReport, Stage, Step, StepResult, StepStatus};

use crate::messages;

/// A label in both languages (`{"en": …, "zh-CN": …}`).
#[derive(Debug, Serialize)]
pub struct Label {
    en: String,
    #[serde(rename = "zh-CN")]
    zh_cn: String,
}

impl Label {
    fn of(label: impl Fn(Lang) -> String) -> Self {
        Self {
            en: label(Lang::En),
            zh_cn: label(Lang::ZhCn),
        }
    }
}

/// `step_started`: a step is under way.
#[derive(Debug, Serialize)]
pub struct StepStarted {
    stage: &'static str,
    step: &'static str,
    /// The wire id with its subject (`host_password 10.0.20.11`).
    action: String,
    subject: Option<String>,
    label: Label,
}

impl StepStarted {
    pub fn new(stage: Stage, step: &Step) -> Self {
        Self {
            stage: stage.name(),
            step: step.name(),
            action: step.to_string(),
            subject: step.subject(),
            label: Label::of(|lang| step.label(lang)),
        }
    }
}

/// `step`: a step ended (also a run's steps as `GET /api/runs/{id}` lists
/// them).
#[derive(Debug, Serialize)]
pub struct StepEnded {
    #[serde(flatten)]
    started: StepStarted,
    status: &'static str,
    /// What a person reads beside the status.
    detail: Option<Value>,
    error: Option<Value>,
    hint: Option<Value>,
    duration_ms: u64,
}

impl StepEnded {
    pub fn new(stage: Stage, result: &StepResult) -> Self {
        let message = |m: &Option<smtx_engine::Message>| m.as_ref().map(messages::json_of);
        // What went wrong when something did, else what was done (both are
        // also there on their own).
        let detail = match result.status {
            StepStatus::Warning | StepStatus::Failed | StepStatus::Aborted => {
                result.error.as_ref().or(result.detail.as_ref())
            }
            StepStatus::Ok | StepStatus::Skipped => {
                result.detail.as_ref().or(result.error.as_ref())
            }
        };
        Self {
            started: StepStarted::new(stage, &result.step),
            status: result.status.as_str(),
            detail: detail.map(messages::json_of),
            error: message(&result.error),
            hint: message(&result.hint),
            duration_ms: result.elapsed_ms,
        }
    }
}

/// `transfer`: the upload's progress.
#[derive(Debug, Clone, Serialize)]
pub struct Transfer {
    pub file: String,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub bytes_per_sec: u64,
    pub eta_secs: Option<u64>,
}

impl Transfer {
    pub fn of(event: &ProgressEvent) -> Option<Self> {
        let ProgressEvent::Transfer {
            file,
            bytes_done,
            total,
            bytes_per_sec,
            eta,
            ..
        } = event
        else {
            return None;
        };
        Some(Self {
            file: file.clone(),
            bytes_done: *bytes_done,
            bytes_total: *total,
            bytes_per_sec: bytes_per_sec.round() as u64,
            eta_secs: eta.map(|eta| eta.as_secs_f64().ceil() as u64),
        })
    }
}

/// `stage`: a stage started (`running`) or ended.
#[derive(Debug, Serialize)]
pub struct StageChanged {
    stage: &'static str,
    label: Label,
    status: &'static str,
}

impl StageChanged {
    pub fn new(stage: Stage, status: &'static str) -> Self {
        Self {
            stage: stage.name(),
            label: Label::of(|lang| stage.label(lang)),
            status,
        }
    }
}

/// `log`: a line of a stage's log.
#[derive(Debug, Serialize)]
pub struct LogLine<'a> {
    pub stage: &'a str,
    pub line: &'a str,
}

/// `status`: the run's status changed.
#[derive(Debug, Serialize)]
pub struct StatusChanged<S: Serialize> {
    pub status: S,
}

/// `end`: the run ended.
#[derive(Debug, Serialize)]
pub struct Ended<'a, S: Serialize> {
    pub status: S,
    pub summary: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

/// A run's counts as its summary line shows them, and its serial.
#[derive(Debug, Serialize)]
pub struct Summary {
    ok: usize,
    warnings: usize,
    failed: usize,
    skipped: usize,
    aborted: usize,
    serial: Option<String>,
    /// Whether the workbook has the serial (offered for download).
    serial_written: bool,
}

impl Summary {
    pub fn new(report: &RunReport, serial_written: bool) -> Self {
        let counts = report.counts();
        Self {
            ok: counts.ok,
            warnings: counts.warning,
            failed: counts.failed,
            skipped: counts.skipped,
            aborted: counts.aborted,
            serial: report.serial.clone(),
            serial_written,
        }
    }
}

/// Any of these as the JSON the store keeps.
pub fn value(view: &impl Serialize) -> Value {
    serde_json::to_value(view).unwrap_or(Value::Null)
}
