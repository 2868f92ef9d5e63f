//! Bounded history (issue 20): a console a team shares keeps its uploads
//! and run directories `--keep-days` days (and at most `--keep-runs`
//! finished runs), pruned at start and daily. Never pruned: a run under
//! way, the newest finished run of each cluster (the record of where it
//! stands), a plan a kept run was started from, an uploaded ISO a kept
//! run names. Every removal is a line of the console's log.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::store::{RunStatus, StoreError};
use crate::{ApiError, AppState};

/// How long the console keeps what it was given and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepPolicy {
    /// Uploads and finished runs older than this are removed.
    pub days: u32,
    /// At most this many finished runs are kept (newest first).
    pub runs: Option<usize>,
}

impl Default for KeepPolicy {
    fn default() -> Self {
        Self {
            days: 90,
            runs: None,
        }
    }
}

/// How often the history is pruned while the console runs.
pub const PRUNE_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What one pruning removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub runs: Vec<String>,
    pub plans: Vec<String>,
    pub isos: Vec<String>,
}

/// Removes what `policy` no longer keeps, as of `now_ms`.
pub async fn prune(
    state: &AppState,
    policy: KeepPolicy,
    now_ms: i64,
) -> Result<Pruned, StoreError> {
    let cutoff = now_ms.saturating_sub(i64::from(policy.days).saturating_mul(DAY_MS));
    let active: HashSet<String> = state
        .0
        .active
        .lock()
        .map(|active| active.keys().cloned().collect())
        .unwrap_or_default();
    let rows = state.store().runs().await?;
    let mut pruned = Pruned::default();
    let mut newest_of_cluster = HashSet::new();
    let mut finished = 0usize;
    let mut kept_plans = HashSet::new();
    let mut kept_isos = HashSet::new();
    // Newest first: the first finished run of a cluster is its record.
    for row in &rows {
        let under_way = active.contains(&row.id)
            || matches!(row.status, RunStatus::Queued | RunStatus::Running);
        let keep = if under_way {
            true
        } else {
            let newest = newest_of_cluster.insert(row.cluster.clone());
            let index = finished;
            finished += 1;
            newest || (row.started_ms >= cutoff && policy.runs.is_none_or(|limit| index < limit))
        };
        if keep {
            kept_plans.insert(row.plan_id.clone());
            if let Some(iso) = iso_of(&row.target_spec) {
                kept_isos.insert(iso);
            }
            continue;
        }
        let dir = state.run_dir(&row.id);
        state.store().delete_run(row.id.clone()).await?;
        remove_dir(&dir);
        logged(
            state,
            json!({ "run": row.id, "cluster": row.cluster, "started_at": row.started_at }),
        );
        pruned.runs.push(row.id.clone());
    }
    for (id, created_ms) in state.store().plan_ages().await? {
        if created_ms >= cutoff || kept_plans.contains(&id) {
            continue;
        }
        state.store().delete_plan(id.clone()).await?;
        let _ = std::fs::remove_file(state.plan_path(&id));
        logged(state, json!({ "plan": id }));
        pruned.plans.push(id);
    }
    let uploads = state.isos().uploads_dir().to_path_buf();
    if let Ok(entries) = std::fs::read_dir(&uploads) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if kept_isos.contains(&name) || !older_than(&entry.path(), cutoff) {
                continue;
            }
            remove_dir(&entry.path());
            logged(state, json!({ "iso": name }));
            pruned.isos.push(name);
        }
    }
    Ok(pruned)
}

/// A removal, as a line of the console's log (beside its request lines).
fn logged(state: &AppState, what: Value) {
    let mut fields = json!({ "action": "prune", "status": "ok", "error": Value::Null });
    if let (Some(fields), Some(what)) = (fields.as_object_mut(), what.as_object()) {
        fields.extend(what.clone());
    }
    let line = json!({
        "timestamp": humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string(),
        "level": "INFO",
        "target": "smtx_console::prune",
        "fields": fields,
    });
    state.log().write_line(line.to_string().as_bytes());
}

/// The uploaded ISO (its SHA-256) a run's target names, if any.
fn iso_of(target: &Value) -> Option<String> {
    [
        &target["rehearsal"]["iso_id"],
        &target["settings"]["vmtools"]["iso_id"],
    ]
    .into_iter()
    .find_map(|id| id.as_str()?.strip_prefix("upload/").map(str::to_string))
}

fn older_than(path: &Path, cutoff_ms: i64) -> bool {
    std::fs::symlink_metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .is_some_and(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX) < cutoff_ms)
}

/// Removes a directory the console made; a link is removed, never followed.
fn remove_dir(path: &Path) {
    let removed = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    };
    if let Err(error) = removed {
        tracing::warn!(action = "prune", status = "failed", error = %error, path = %path.display());
    }
}

/// The bytes under `path`, links not followed.
fn size_of(path: &Path) -> u64 {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|entry| size_of(&entry.path())).sum())
            .unwrap_or(0),
        Ok(meta) => meta.len(),
        Err(_) => 0,
    }
}

/// `GET /api/storage`: the data directory's size and what is kept.
/// `GET /api/storage`'s answer.
#[derive(Debug, serde::Serialize)]
pub struct StorageView {
    /// The data directory's size.
    bytes: u64,
    keep_days: u32,
    keep_runs: Option<usize>,
}

pub async fn storage(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<axum::Json<StorageView>, ApiError> {
    let dir = state.data_dir().to_path_buf();
    let bytes = tokio::task::spawn_blocking(move || size_of(&dir))
        .await
        .unwrap_or(0);
    let policy = state.keep_policy();
    Ok(axum::Json(StorageView {
        bytes,
        keep_days: policy.days,
        keep_runs: policy.runs,
    }))
}
