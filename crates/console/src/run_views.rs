//! What the runs API answers, as types: a run as lists show it
//! ([`RunSummary`]), a run's page ([`RunDetail`]), and the answers to
//! starting, resuming and aborting runs. The page's scripts read these
//! field names; a change here is a change of the API.

use serde::Serialize;
use serde_json::Value;

use crate::error::ErrorBody;
use crate::store::RunStatus;

/// A run's row as `GET /api/runs` lists it.
#[derive(Debug, Serialize)]
pub(crate) struct RunSummary {
    pub id: String,
    pub plan_id: String,
    pub cluster: String,
    pub status: RunStatus,
    /// `rehearsal` or `cluster`.
    pub target: String,
    pub dry_run: bool,
    pub stages: Vec<String>,
    pub started_at: String,
    /// So far, for a run under way.
    pub duration_ms: Option<i64>,
    pub fleet_id: Option<String>,
    /// The run this one resumed.
    pub from_run: Option<String>,
    /// The newest run started from this one.
    pub resumed_by: Option<String>,
    /// Whether the page offers Resume: ended short, and not resumed yet.
    pub resumable: bool,
    /// A rehearsal's fault scenario.
    pub scenario: Option<String>,
    pub summary: Option<Value>,
    pub error: Option<Value>,
    pub run_by: Option<String>,
    pub aborted_by: Option<String>,
    /// Whether the run left a delivery record (`report.html`).
    pub delivery_report: bool,
}

/// `GET /api/runs/{id}`: the summary and what the run page shows below it.
#[derive(Debug, Serialize)]
pub(crate) struct RunDetail {
    #[serde(flatten)]
    pub summary: RunSummary,
    pub steps: Vec<Value>,
    /// The upload's progress: live while it runs, the last one after.
    pub transfer: Option<Value>,
    /// The run directory's files the page offers.
    pub files: Vec<String>,
}

/// `POST /api/runs`, `/api/runs/{id}/resume`: the new run.
#[derive(Debug, Serialize)]
pub(crate) struct Created {
    pub id: String,
}

/// `POST /api/fleets`: the fleet, its runs, and the plans refused.
#[derive(Debug, Serialize)]
pub(crate) struct FleetCreated {
    pub id: String,
    pub runs: Vec<String>,
    pub refused: Vec<RefusedPlan>,
}

/// A plan of a fleet that did not start, and why, in the API's error shape.
#[derive(Debug, Serialize)]
pub(crate) struct RefusedPlan {
    pub plan_id: String,
    pub error: ErrorBody,
}

/// `POST /api/runs/{id}/abort`: accepted; the run ends `aborted`.
#[derive(Debug, Serialize)]
pub(crate) struct Aborting {
    pub id: String,
    pub status: &'static str,
}
