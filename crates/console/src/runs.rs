//! Runs: start one (checked as the CLI checks it: the plan's errors, the
//! target's refusals, then the engine's launch — the ISO, the CA, the
//! `from_run` context, the run directory), list them, read one with its
//! steps, transfer and files, abort, resume (a new run with the old run's
//! context), download a run's files, and start a fleet (one run per plan).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use smtx_engine::launch::{LaunchRefusal, LaunchRequest};
use smtx_engine::{Stage, Workbook};
use tokio::sync::{Semaphore, broadcast};
use tokio_util::sync::CancellationToken;

use crate::messages::ConsoleMsg;
use crate::runner::{self, Kind, Prepared};
use crate::store::{RunRow, now_ms, rfc3339_now};
use crate::target::{self, SettingsRefusal, Target};
use crate::{ActiveRun, ApiError, AppState, create_private_dir};

/// A new id: 12 hex digits, random.
pub fn new_id() -> String {
    let mut id = uuid::Uuid::new_v4().simple().to_string();
    id.truncate(12);
    id
}

/// What starting a run takes, whichever route asked.
struct StartRequest {
    plan_id: String,
    target: Target,
    dry_run: bool,
    stages: Option<Vec<String>>,
    from_run: Option<String>,
    fleet_id: Option<String>,
    gate: Option<Arc<Semaphore>>,
}

/// Removes a run directory made for a run that was then refused.
struct DirGuard(Option<PathBuf>);

impl Drop for DirGuard {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn refusal_of(refusal: SettingsRefusal) -> ApiError {
    match refusal {
        SettingsRefusal::Bad(reason) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_settings",
            &ConsoleMsg::BadSettings { reason },
        ),
        SettingsRefusal::Refused(reason) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "refused",
            &ConsoleMsg::Refused { reason },
        ),
        SettingsRefusal::ServerPath(key) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "server_path",
            &ConsoleMsg::ServerPath { key },
        )
        .with_field(key.key()),
        SettingsRefusal::UnknownIso(id) => crate::isos::not_offered(&id),
    }
}

/// The console's known_hosts for a cluster: one file per cluster (its name
/// and its addresses), so that two sites that reuse an address never share
/// a pin; a rehearsal's apart from the site's, as the CLI keeps them.
fn pins_file(state: &AppState, plan: &smtx_plan::Plan, rehearsal: bool) -> PathBuf {
    use sha2::Digest;
    let mut addresses: Vec<String> = plan
        .hosts
        .iter()
        .map(|host| host.management_ip.to_string())
        .collect();
    addresses.sort();
    let digest = sha2::Sha256::digest(format!("{}\n{}", plan.cluster.name, addresses.join(",")));
    let kind = if rehearsal { ".rehearsal" } else { "" };
    state.known_hosts_dir().join(format!(
        "{}-{}{kind}.known_hosts",
        safe_name(&plan.cluster.name),
        hex::encode(&digest[..6])
    ))
}

async fn start_run(state: &AppState, request: StartRequest) -> Result<String, ApiError> {
    if state.0.closing.is_cancelled() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            &ConsoleMsg::ShuttingDown,
        ));
    }
    let StartRequest {
        plan_id,
        target,
        dry_run,
        stages,
        from_run,
        fleet_id,
        gate,
    } = request;
    let plan_row = state
        .store()
        .plan(plan_id.clone())
        .await?
        .ok_or_else(|| ApiError::plan_not_found(&plan_id))?;
    let plan_name = plan_row["name"]
        .as_str()
        .unwrap_or("workbook.xlsx")
        .to_string();
    let plan_path = state.plan_path(&plan_id);
    let parsed = {
        let path = plan_path.clone();
        tokio::task::spawn_blocking(move || crate::plans::read_plan(&path, &plan_name))
            .await
            .map_err(ApiError::internal)?
    }
    .map_err(|reason| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable_workbook",
            &ConsoleMsg::UnreadableWorkbook { reason },
        )
    })?;
    if parsed.has_errors() {
        return Err(crate::plans::plan_has_errors(&parsed));
    }
    let stages = match stages {
        None => Stage::ALL.to_vec(),
        Some(names) => names
            .iter()
            .map(|name| {
                Stage::from_str(name).map_err(|_| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "unknown_stage",
                        &ConsoleMsg::UnknownStage { name: name.clone() },
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    if stages.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "no_stages",
            &ConsoleMsg::NoStages,
        ));
    }
    if let Target::Rehearsal(options) = &target
        && let Some(id) = &options.iso_id
        && state.isos().find(id).is_none()
    {
        return Err(crate::isos::not_offered(id));
    }
    if let Target::Rehearsal(options) = &target
        && let Some(name) = &options.scenario
        && crate::scenarios::find(name).is_none()
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unknown_scenario",
            &ConsoleMsg::UnknownScenario {
                name: name.clone(),
                known: crate::scenarios::names(),
            },
        ));
    }
    let id = new_id();
    let run_dir = state.run_dir(&id);
    create_private_dir(&run_dir).map_err(ApiError::internal)?;
    let mut guard = DirGuard(Some(run_dir.clone()));
    let (target_spec, target_had_secrets) = target.stored();
    let target_kind = target.kind();
    // The earlier run, if it left a context: one stopped before its first
    // step has nothing to carry over.
    let from_dir = match &from_run {
        None => None,
        Some(old) => {
            if state.store().run(old.clone()).await?.is_none() {
                return Err(ApiError::run_not_found(old));
            }
            let old_dir = state.run_dir(old);
            old_dir
                .join(smtx_engine::CONTEXT_FILE)
                .exists()
                .then_some(old_dir)
        }
    };
    let launch_refused = |refusal: LaunchRefusal| match refusal {
        LaunchRefusal::Preflight(error) => {
            refusal_of(SettingsRefusal::Refused(crate::messages::both(&error)))
        }
        LaunchRefusal::FromUnreadable { error, .. } => ApiError::new(
            StatusCode::BAD_REQUEST,
            "from_run_unusable",
            &ConsoleMsg::FromRunUnusable {
                run: from_run.clone().unwrap_or_default(),
                reason: crate::messages::both(error.as_ref()),
            },
        ),
        // The run directory is new, named by a new id: nobody else's.
        other @ (LaunchRefusal::RunDirBusy { .. } | LaunchRefusal::RunDirUnusable { .. }) => {
            ApiError::internal(other.to_string())
        }
    };
    // A rehearsal's serial goes into the engine's copy in the run directory;
    // a live run's into the run's own copy of the upload, so the uploaded
    // plan stays as it came and each run's workbook is its own.
    let workbook_of = |settings_rehearsal: bool| -> Result<(PathBuf, Option<String>), ApiError> {
        if dry_run {
            Ok((plan_path.clone(), None))
        } else if settings_rehearsal {
            let copy = smtx_engine::rehearsal_workbook(&run_dir, &plan_path);
            let name = copy
                .file_name()
                .map(|name| name.to_string_lossy().into_owned());
            Ok((plan_path.clone(), name))
        } else {
            let copy = run_dir.join("workbook.xlsx");
            std::fs::copy(&plan_path, &copy)
                .map_err(|e| ApiError::internal(format!("{}: {e}", copy.display())))?;
            Ok((copy, Some("workbook.xlsx".to_string())))
        }
    };
    let (kind, workbook_path, workbook_file) = match target {
        Target::Rehearsal(options) => {
            // Its settings exist once its simulator runs: the launch comes
            // then; what can be refused now (the earlier run) is.
            if let Some(dir) = &from_dir {
                smtx_engine::launch::from_context(dir, &parsed.plan, true)
                    .map_err(launch_refused)?;
            }
            let (path, file) = workbook_of(true)?;
            (Kind::Rehearsal(options), path, file)
        }
        Target::Settings(settings) => {
            let mut layer =
                target::settings_layer(&settings, &run_dir, state.isos()).map_err(refusal_of)?;
            layer.run_dir = Some(run_dir.clone());
            layer.dry_run = Some(dry_run);
            let mut settings = layer
                .resolve(
                    run_dir.clone(),
                    state.data_dir().to_path_buf(),
                    target::read_ca,
                )
                .map_err(refusal_of)?;
            settings.own_known_hosts = Some(pins_file(state, &parsed.plan, settings.rehearsal));
            let (path, file) = workbook_of(settings.rehearsal)?;
            let prepared = smtx_engine::launch::prepare(LaunchRequest {
                settings,
                workbook: Workbook {
                    path: path.clone(),
                    plan: parsed.plan.clone(),
                },
                stages: stages.clone(),
                from_dir: from_dir.clone(),
            })
            .map_err(launch_refused)?;
            (Kind::Live(Box::new(prepared)), path, file)
        }
    };
    let mut addresses: BTreeSet<String> = parsed
        .plan
        .hosts
        .iter()
        .map(|host| host.management_ip.to_string())
        .collect();
    if let Some(vip) = parsed.plan.cluster.vip {
        addresses.insert(vip.to_string());
    }
    let cancel = CancellationToken::new();
    let (events, _) = broadcast::channel(1024);
    {
        let mut active = state
            .0
            .active
            .lock()
            .map_err(|_| ApiError::internal("the run table's lock is poisoned"))?;
        if state.0.closing.is_cancelled() {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                &ConsoleMsg::ShuttingDown,
            ));
        }
        let limit = state.max_active_runs();
        if active.values().filter(|run| !run.ended).count() >= limit {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_runs",
                &ConsoleMsg::TooManyRuns { limit },
            ));
        }
        for (other, run) in active.iter() {
            if let Some(address) = run.addresses.intersection(&addresses).next() {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "cluster_busy",
                    &ConsoleMsg::ClusterBusy {
                        run: other.clone(),
                        address: address.clone(),
                    },
                ));
            }
        }
        active.insert(
            id.clone(),
            ActiveRun {
                cancel: cancel.clone(),
                addresses,
                events: events.clone(),
                transfer: None,
                ended: false,
            },
        );
    }
    let row = RunRow {
        id: id.clone(),
        plan_id: plan_id.clone(),
        cluster: parsed.plan.cluster.name.clone(),
        status: "queued".into(),
        target: target_kind.into(),
        target_spec,
        target_had_secrets,
        dry_run,
        stages: stages.iter().map(|s| s.name().to_string()).collect(),
        from_run,
        fleet_id,
        started_at: rfc3339_now(),
        started_ms: now_ms(),
        duration_ms: None,
        summary: None,
        transfer: None,
        error: None,
        workbook_file: None,
    };
    if let Err(error) = state.store().insert_run(row).await {
        if let Ok(mut active) = state.0.active.lock() {
            active.remove(&id);
        }
        return Err(error.into());
    }
    guard.0 = None;
    tracing::info!(action = "console_run_start", status = "ok", run = %id, plan = %plan_id, target = target_kind);
    runner::spawn(
        state,
        Prepared {
            id: id.clone(),
            run_dir,
            workbook: Workbook {
                path: workbook_path,
                plan: parsed.plan,
            },
            stages,
            from_dir: match kind {
                Kind::Rehearsal(_) => from_dir,
                // Launched: its context is in its `PreparedRun`.
                Kind::Live(_) => None,
            },
            dry_run,
            cancel,
            events,
            gate,
            workbook_file,
        },
        kind,
    );
    Ok(id)
}

fn parse_body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(target::safe_json_error(&e)))?
    };
    // An empty body, however it is spelled.
    let value = if value.is_null() { json!({}) } else { value };
    target::parse_json(value).map_err(ApiError::bad_request)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRun {
    plan_id: String,
    #[serde(default)]
    target: Option<Value>,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    stages: Option<Vec<String>>,
    #[serde(default)]
    from_run: Option<String>,
}

/// `POST /api/runs`.
pub async fn create(
    State(state): State<AppState>,
    crate::json_body::TimedBody(body): crate::json_body::TimedBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: CreateRun = parse_body(&body)?;
    let target = Target::from_json(request.target).map_err(ApiError::from)?;
    let id = start_run(
        &state,
        StartRequest {
            plan_id: request.plan_id,
            target,
            dry_run: request.dry_run,
            stages: request.stages,
            from_run: request.from_run,
            fleet_id: None,
            gate: None,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateFleet {
    plan_ids: Vec<String>,
    #[serde(default)]
    target: Option<Value>,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    stages: Option<Vec<String>>,
    /// How many of the fleet's runs go at once (default: all).
    #[serde(default)]
    parallel: Option<usize>,
}

/// `POST /api/fleets`: one run per plan, grouped by `fleet_id`, at most
/// `parallel` at a time (the others wait `queued`). Plans refused (their
/// errors, a busy cluster) are listed with the reason; the others start.
pub async fn create_fleet(
    State(state): State<AppState>,
    crate::json_body::TimedBody(body): crate::json_body::TimedBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: CreateFleet = parse_body(&body)?;
    // Each plan is read and checked before its run starts: a list longer
    // than the runs the console takes is work for nothing.
    let limit = state.max_active_runs();
    if request.plan_ids.len() > limit {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "too_many_plans",
            &ConsoleMsg::TooManyPlans { limit },
        ));
    }
    let fleet_id = new_id();
    let gate = request
        .parallel
        .filter(|&n| n > 0)
        .map(|n| Arc::new(Semaphore::new(n)));
    let mut runs = Vec::new();
    let mut refused = Vec::new();
    let mut first_error = None;
    for plan_id in request.plan_ids {
        let target = Target::from_json(request.target.clone()).map_err(ApiError::from)?;
        match start_run(
            &state,
            StartRequest {
                plan_id: plan_id.clone(),
                target,
                dry_run: request.dry_run,
                stages: request.stages.clone(),
                from_run: None,
                fleet_id: Some(fleet_id.clone()),
                gate: gate.clone(),
            },
        )
        .await
        {
            Ok(id) => runs.push(id),
            Err(error) => {
                refused.push(json!({
                    "plan_id": plan_id,
                    "error": {
                        "code": error.code,
                        "message": crate::messages::json(&error.message),
                    },
                }));
                first_error.get_or_insert(error);
            }
        }
    }
    if runs.is_empty()
        && let Some(error) = first_error
    {
        return Err(error);
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": fleet_id, "runs": runs, "refused": refused })),
    ))
}

/// The run's row as lists show it.
fn run_summary(state: &AppState, row: &RunRow) -> Value {
    let active = state
        .0
        .active
        .lock()
        .ok()
        .map(|active| active.contains_key(&row.id))
        .unwrap_or(false);
    let duration_ms = row
        .duration_ms
        .or_else(|| active.then(|| now_ms() - row.started_ms));
    json!({
        "id": row.id,
        "plan_id": row.plan_id,
        "cluster": row.cluster,
        "status": row.status,
        "target": row.target,
        "dry_run": row.dry_run,
        "stages": row.stages,
        "started_at": row.started_at,
        "duration_ms": duration_ms,
        "fleet_id": row.fleet_id,
        "from_run": row.from_run,
        "summary": row.summary,
        "error": row.error,
    })
}

/// `GET /api/runs`: newest first.
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let rows = state.store().runs().await?;
    Ok(Json(Value::from(
        rows.iter()
            .map(|row| run_summary(&state, row))
            .collect::<Vec<_>>(),
    )))
}

/// Whether `path` is itself a regular file (a link to one is not: the
/// console serves what runs wrote, never what a link planted there points
/// at).
fn regular_file(path: &std::path::Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_file())
}

/// Whether `path` is itself a directory (not a link to one).
fn real_dir(path: &std::path::Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir())
}

/// The files a run has, by the names `files/{name}` takes: regular files
/// of its own directory, no link followed.
fn run_files(state: &AppState, row: &RunRow) -> Vec<String> {
    let dir = state.run_dir(&row.id);
    let mut files = Vec::new();
    if !real_dir(&dir) {
        return files;
    }
    for name in [smtx_engine::REPORT_FILE, smtx_engine::CONTEXT_FILE] {
        if regular_file(&dir.join(name)) {
            files.push(name.to_string());
        }
    }
    let logs_dir = dir.join("logs");
    if let Ok(entries) =
        std::fs::read_dir(&logs_dir).map(|entries| entries.filter(|_| real_dir(&logs_dir)))
    {
        let mut logs: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|entry| regular_file(&entry.path()))
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| runner::log_stage(name).is_some())
            .map(|name| format!("logs/{name}"))
            .collect();
        logs.sort();
        files.extend(logs);
    }
    if let Some(workbook) = &row.workbook_file
        && regular_file(&dir.join(workbook))
    {
        files.push("workbook.xlsx".to_string());
    }
    files
}

/// `GET /api/runs/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = state
        .store()
        .run(id.clone())
        .await?
        .ok_or_else(|| ApiError::run_not_found(&id))?;
    let steps = state.store().steps(id.clone()).await?;
    let live_transfer = state
        .0
        .active
        .lock()
        .ok()
        .and_then(|active| active.get(&id).and_then(|run| run.transfer.clone()));
    let mut body = run_summary(&state, &row);
    body["steps"] = Value::from(steps);
    body["transfer"] = live_transfer
        .or(row.transfer.clone())
        .unwrap_or(Value::Null);
    body["files"] = Value::from(run_files(&state, &row));
    Ok(Json(body))
}

/// `POST /api/runs/{id}/abort`: 202; the run stops between calls and ends
/// `aborted`. A run that is not active: 409.
pub async fn abort(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let cancel = state
        .0
        .active
        .lock()
        .ok()
        .and_then(|active| active.get(&id).map(|run| run.cancel.clone()));
    match cancel {
        Some(cancel) => {
            cancel.cancel();
            tracing::info!(action = "console_abort", status = "ok", run = %id);
            Ok((
                StatusCode::ACCEPTED,
                Json(json!({ "id": id, "status": "aborting" })),
            ))
        }
        None => {
            let row = state
                .store()
                .run(id.clone())
                .await?
                .ok_or_else(|| ApiError::run_not_found(&id))?;
            Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_running",
                &ConsoleMsg::NotRunning { status: row.status },
            ))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Resume {
    #[serde(default)]
    target: Option<Value>,
}

/// `POST /api/runs/{id}/resume`: a new run of the same plan, stages and
/// target, from the old run's context (`--from`).
pub async fn resume(
    State(state): State<AppState>,
    Path(id): Path<String>,
    crate::json_body::TimedBody(body): crate::json_body::TimedBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: Resume = parse_body(&body)?;
    let row = state
        .store()
        .run(id.clone())
        .await?
        .ok_or_else(|| ApiError::run_not_found(&id))?;
    if !matches!(row.status.as_str(), "interrupted" | "failed" | "aborted") {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_resumable",
            &ConsoleMsg::NotResumable { status: row.status },
        ));
    }
    let target = match request.target {
        Some(target) => Some(target),
        None if row.target_had_secrets => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "target_required",
                &ConsoleMsg::TargetRequired,
            ));
        }
        None => Some(row.target_spec.clone()),
    };
    let target = Target::from_json(target).map_err(ApiError::from)?;
    let new = start_run(
        &state,
        StartRequest {
            plan_id: row.plan_id.clone(),
            target,
            dry_run: row.dry_run,
            stages: Some(row.stages.clone()),
            from_run: Some(row.id.clone()),
            fleet_id: row.fleet_id.clone(),
            gate: None,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": new }))))
}

/// `GET /api/runs/{id}/files/{name}`: one of the run's `files`, nothing else.
pub async fn file(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let row = state
        .store()
        .run(id.clone())
        .await?
        .ok_or_else(|| ApiError::run_not_found(&id))?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            &ConsoleMsg::FileNotFound { name: name.clone() },
        )
    };
    // Only names of the list: nothing the request spells reaches a path
    // but a log file's stage, which is checked to be letters and `_`.
    if !run_files(&state, &row).contains(&name) {
        return Err(not_found());
    }
    let dir = state.run_dir(&id);
    let (path, content_type, download) = match name.as_str() {
        "report.json" | "context.json" => (dir.join(&name), "application/json", name.clone()),
        "workbook.xlsx" => {
            let Some(workbook) = &row.workbook_file else {
                return Err(not_found());
            };
            (
                dir.join(workbook),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                format!("{}-{}.xlsx", safe_name(&row.cluster), row.id),
            )
        }
        other => match other
            .strip_prefix("logs/")
            .filter(|log| runner::log_stage(log).is_some())
        {
            Some(log) => (
                dir.join("logs").join(log),
                "application/x-ndjson",
                log.to_string(),
            ),
            None => return Err(not_found()),
        },
    };
    let bytes = tokio::fs::read(&path).await.map_err(|_| not_found())?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{download}\""),
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// A cluster name as part of a file name: ASCII letters, digits, `-`, `_`.
fn safe_name(name: &str) -> String {
    let safe: String = name
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
