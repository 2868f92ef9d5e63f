//! Step and stage results: what `extra.<stage>.results`, `report.json` and
//! the terminal table are made of.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use smtx_api::PlannedCall;

use crate::{Message, Stage, Step};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Ok,
    Skipped,
    Warning,
    Failed,
    /// Stopped by the user (Ctrl-C, SIGTERM, the console's abort) while it
    /// ran; a later run with `--from` picks up from here. Ranks above
    /// `Failed` so that a stage or run that was stopped says so.
    Aborted,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Skipped => "skipped",
            Self::Warning => "warning",
            Self::Failed => "failed",
            Self::Aborted => "aborted",
        }
    }
}

/// One step's outcome: `{action, status, error?}` plus what a reader needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepResult {
    /// Written as the step's wire form (`host_password node-01 (10.0.20.11)`).
    #[serde(rename = "action")]
    pub step: Step,
    pub status: StepStatus,
    /// Why the step did not succeed (or, when skipped, why there was
    /// nothing to do). Messages are typed: a front end renders them in its
    /// language; files hold their English text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Message>,
    /// What was done or found, for people (`created vDS-Prod (uuid …)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Message>,
    /// What to do about a warning or failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Message>,
    pub elapsed_ms: u64,
}

impl StepResult {
    pub fn new(step: Step, status: StepStatus) -> Self {
        Self {
            step,
            status,
            error: None,
            detail: None,
            hint: None,
            elapsed_ms: 0,
        }
    }
    pub fn ok(step: Step, detail: impl Into<Message>) -> Self {
        Self::new(step, StepStatus::Ok).with_detail(detail)
    }
    pub fn skipped(step: Step, reason: impl Into<Message>) -> Self {
        let mut result = Self::new(step, StepStatus::Skipped);
        result.error = Some(reason.into());
        result
    }
    pub fn warning(step: Step, error: impl Into<Message>) -> Self {
        let mut result = Self::new(step, StepStatus::Warning);
        result.error = Some(error.into());
        result
    }
    pub fn failed(step: Step, error: impl Into<Message>) -> Self {
        let mut result = Self::new(step, StepStatus::Failed);
        result.error = Some(error.into());
        result
    }
    pub fn aborted(step: Step, error: impl Into<Message>) -> Self {
        let mut result = Self::new(step, StepStatus::Aborted);
        result.error = Some(error.into());
        result
    }
    pub fn with_detail(mut self, detail: impl Into<Message>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    pub fn with_hint(mut self, hint: impl Into<Message>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageReport {
    pub stage: Stage,
    pub status: StepStatus,
    pub steps: Vec<StepResult>,
    pub elapsed_ms: u64,
}

impl StageReport {
    /// The worst status among `steps` (a skip counts as ok).
    pub fn status_of(steps: &[StepResult]) -> StepStatus {
        steps
            .iter()
            .map(|s| match s.status {
                StepStatus::Skipped => StepStatus::Ok,
                other => other,
            })
            .max()
            .unwrap_or(StepStatus::Ok)
    }

    /// A stage is as bad as its worst step.
    pub fn from_steps(stage: Stage, steps: Vec<StepResult>, elapsed_ms: u64) -> Self {
        let status = Self::status_of(&steps);
        Self {
            stage,
            status,
            steps,
            elapsed_ms,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub run_dir: PathBuf,
    pub status: StepStatus,
    pub stages: Vec<StageReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workbook: Option<PathBuf>,
    /// Dry run only: every call that would have been made, redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned_calls: Vec<PlannedCall>,
    pub dry_run: bool,
}

/// How many steps ended in each status: what a summary line says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StepCounts {
    pub ok: usize,
    pub warning: usize,
    pub skipped: usize,
    pub failed: usize,
    pub aborted: usize,
}

impl RunReport {
    pub fn failed(&self) -> bool {
        self.status == StepStatus::Failed
    }

    /// Every step of every stage, counted by status. A summary over the
    /// hosts' password steps is not counted beside them: two hosts that
    /// failed are two failures, not three.
    pub fn counts(&self) -> StepCounts {
        let mut counts = StepCounts::default();
        for stage in &self.stages {
            let per_host = stage
                .steps
                .iter()
                .any(|step| matches!(step.step, Step::HostPassword(_)));
            for step in &stage.steps {
                if per_host && step.step == Step::HostPasswords {
                    continue;
                }
                counts.add(step.status);
            }
        }
        counts
    }

    pub fn aborted(&self) -> bool {
        self.status == StepStatus::Aborted
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl StepCounts {
    fn add(&mut self, status: StepStatus) {
        match status {
            StepStatus::Ok => self.ok += 1,
            StepStatus::Warning => self.warning += 1,
            StepStatus::Skipped => self.skipped += 1,
            StepStatus::Failed => self.failed += 1,
            StepStatus::Aborted => self.aborted += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HostRef;

    fn host(n: u8) -> Step {
        Step::HostPassword(HostRef {
            hostname: format!("node-0{n}"),
            ip: format!("10.0.20.1{n}"),
        })
    }

    /// The ssh-trouble scenario: two of three hosts fail; the summary over
    /// the hosts fails too, and is not a third failure.
    #[test]
    fn the_hosts_summary_is_not_counted_beside_the_hosts() {
        let steps = vec![
            StepResult::new(Step::Login, StepStatus::Ok),
            StepResult::new(host(1), StepStatus::Ok),
            StepResult::new(host(2), StepStatus::Failed),
            StepResult::new(host(3), StepStatus::Failed),
            StepResult::new(Step::HostPasswords, StepStatus::Failed),
        ];
        let report = RunReport {
            run_dir: PathBuf::from("runs/a"),
            status: StepStatus::Failed,
            stages: vec![StageReport::from_steps(Stage::ConfigCluster, steps, 1)],
            serial: None,
            workbook: None,
            planned_calls: Vec::new(),
            dry_run: false,
        };
        let counts = report.counts();
        assert_eq!((counts.ok, counts.failed), (2, 2), "{counts:?}");
    }

    /// Alone (rotation turned off), the summary is the hosts' one step.
    #[test]
    fn the_hosts_summary_alone_is_counted() {
        let steps = vec![StepResult::new(Step::HostPasswords, StepStatus::Warning)];
        let report = RunReport {
            run_dir: PathBuf::from("runs/a"),
            status: StepStatus::Warning,
            stages: vec![StageReport::from_steps(Stage::ConfigCluster, steps, 1)],
            serial: None,
            workbook: None,
            planned_calls: Vec::new(),
            dry_run: false,
        };
        assert_eq!(report.counts().warning, 1);
    }
}
