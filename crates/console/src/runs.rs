//! Runs: start one (checked as the CLI checks it: the plan's errors, the
//! target's refusals, then the engine's launch — the ISO, the CA, the
//! `from_run` context, the run directory), list them, read one with its
//! steps, transfer and files, abort, resume (a new run with the old run's
//! context), download a run's files, and start a fleet (one run per plan).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::str::FromStr;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::Value;
use smtx_engine::fleet::FleetGate;
use smtx_engine::launch::{LaunchRefusal, LaunchRequest};
use smtx_engine::{Stage, Workbook};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::json_body::JsonBody;
use crate::messages::ConsoleMsg;
use crate::run_views::{Aborting, Created, FleetCreated, RefusedPlan, RunDetail, RunSummary};
use crate::runner::{self, Kind, Prepared};
use crate::store::{RunRow, RunStatus, now_ms, rfc3339_now};
use crate::target::{self, SettingsRefusal, Target};
use crate::tokens::Caller;
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
    gate: Option<FleetGate>,
    /// The name of the caller's token, recorded with the run.
    run_by: Option<String>,
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
        smtx_engine::cluster_file_name(&plan.cluster.name),
        hex::encode(&digest[..6])
    ))
}

/// Starts a run, step by step: the console open, the plan read and free
/// of errors, the stages and the target's options known, the earlier run
/// found, the settings prepared and launched (a rehearsal's once its
/// simulator runs), the cluster's place taken, the row stored, the task
/// spawned. A refusal at any step leaves nothing behind.
async fn start_run(state: &AppState, request: StartRequest) -> Result<String, ApiError> {
    refuse_if_closing(state)?;
    let StartRequest {
        plan_id,
        target,
        dry_run,
        stages,
        from_run,
        fleet_id,
        gate,
        run_by,
    } = request;
    let (plan_path, parsed) = resolve_plan(state, &plan_id).await?;
    let stages = parse_stages(stages)?;
    validate_target(state, &target)?;
    let id = new_id();
    let run_dir = state.run_dir(&id);
    create_private_dir(&run_dir).map_err(ApiError::internal)?;
    let mut guard = DirGuard(Some(run_dir.clone()));
    let (target_spec, target_had_secrets) = target.stored();
    let target_kind = target.kind();
    let from_dir = earlier_run(state, from_run.as_deref()).await?;
    let (kind, workbook_path, workbook_file) = prepare_target(
        state,
        target,
        Launch {
            run_dir: &run_dir,
            plan_path: &plan_path,
            plan: &parsed.plan,
            stages: &stages,
            dry_run,
            from_run: from_run.as_deref(),
            from_dir: from_dir.as_deref(),
            run_by: run_by.as_deref(),
        },
    )?;
    let cancel = CancellationToken::new();
    let (events, _) = broadcast::channel(1024);
    take_place(state, &id, &parsed.plan, &cancel, &events)?;
    let row = RunRow {
        id: id.clone(),
        plan_id: plan_id.clone(),
        cluster: parsed.plan.cluster.name.clone(),
        status: RunStatus::Queued,
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
        run_by: run_by.clone(),
        aborted_by: None,
    };
    if let Err(error) = state.store().insert_run(row).await {
        if let Ok(mut active) = state.0.active.lock() {
            active.remove(&id);
        }
        return Err(error.into());
    }
    guard.0 = None;
    tracing::info!(action = "console_run_start", status = "ok", run = %id, plan = %plan_id, target = target_kind, by = run_by.as_deref());
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
            run_by: run_by.clone(),
        },
        kind,
    );
    Ok(id)
}

/// 503 once the console is shutting down: no run starts then.
fn refuse_if_closing(state: &AppState) -> Result<(), ApiError> {
    if state.0.closing.is_cancelled() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            &ConsoleMsg::ShuttingDown,
        ));
    }
    Ok(())
}

/// The uploaded plan's file, read again and free of errors.
async fn resolve_plan(
    state: &AppState,
    plan_id: &str,
) -> Result<(PathBuf, smtx_plan::ParsedWorkbook), ApiError> {
    let plan_row = state
        .store()
        .plan(plan_id.to_string())
        .await?
        .ok_or_else(|| ApiError::plan_not_found(plan_id))?;
    let plan_name = plan_row["name"]
        .as_str()
        .unwrap_or("workbook.xlsx")
        .to_string();
    let plan_path = state.plan_path(plan_id);
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
    Ok((plan_path, parsed))
}

/// The stages asked for by name (all when none were named), at least one.
fn parse_stages(stages: Option<Vec<String>>) -> Result<Vec<Stage>, ApiError> {
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
    Ok(stages)
}

/// A rehearsal's ISO and scenario are ones the console offers.
fn validate_target(state: &AppState, target: &Target) -> Result<(), ApiError> {
    let Target::Rehearsal(options) = target else {
        return Ok(());
    };
    if let Some(id) = &options.iso_id
        && state.isos().find(id).is_none()
    {
        return Err(crate::isos::not_offered(id));
    }
    if let Some(name) = &options.scenario
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
    Ok(())
}

/// The earlier run's directory, if it left a context: one stopped before
/// its first step has nothing to carry over.
async fn earlier_run(
    state: &AppState,
    from_run: Option<&str>,
) -> Result<Option<PathBuf>, ApiError> {
    let Some(old) = from_run else {
        return Ok(None);
    };
    if state.store().run(old.to_string()).await?.is_none() {
        return Err(ApiError::run_not_found(old));
    }
    let old_dir = state.run_dir(old);
    Ok(old_dir
        .join(smtx_engine::CONTEXT_FILE)
        .exists()
        .then_some(old_dir))
}

/// What the launch of one run works from.
struct Launch<'a> {
    run_dir: &'a std::path::Path,
    plan_path: &'a std::path::Path,
    plan: &'a smtx_plan::Plan,
    stages: &'a [Stage],
    dry_run: bool,
    from_run: Option<&'a str>,
    from_dir: Option<&'a std::path::Path>,
    /// The caller's token name, for the delivery record.
    run_by: Option<&'a str>,
}

/// What the API answers for a refusal of the engine's launch.
fn launch_refused(refusal: LaunchRefusal, from_run: Option<&str>) -> ApiError {
    match refusal {
        LaunchRefusal::Preflight(error) => {
            refusal_of(SettingsRefusal::Refused(crate::messages::both(&error)))
        }
        LaunchRefusal::FromUnreadable { error, .. } => ApiError::new(
            StatusCode::BAD_REQUEST,
            "from_run_unusable",
            &ConsoleMsg::FromRunUnusable {
                run: from_run.unwrap_or_default().to_string(),
                reason: crate::messages::both(error.as_ref()),
            },
        ),
        // The run directory is new, named by a new id: nobody else's.
        other @ (LaunchRefusal::RunDirBusy { .. } | LaunchRefusal::RunDirUnusable { .. }) => {
            ApiError::internal(other.to_string())
        }
    }
}

/// The workbook a run reads and the file its serial goes into (relative to
/// the run directory). A rehearsal's serial goes into the engine's copy in
/// the run directory; a live run's into the run's own copy of the upload,
/// so the uploaded plan stays as it came and each run's workbook is its
/// own.
fn run_workbook(
    launch: &Launch<'_>,
    rehearsal: bool,
) -> Result<(PathBuf, Option<String>), ApiError> {
    let plan_path = launch.plan_path.to_path_buf();
    if launch.dry_run {
        Ok((plan_path, None))
    } else if rehearsal {
        let copy = smtx_engine::rehearsal_workbook(launch.run_dir, &plan_path);
        let name = copy
            .file_name()
            .map(|name| name.to_string_lossy().into_owned());
        Ok((plan_path, name))
    } else {
        let copy = launch.run_dir.join("workbook.xlsx");
        std::fs::copy(&plan_path, &copy)
            .map_err(|e| ApiError::internal(format!("{}: {e}", copy.display())))?;
        Ok((copy, Some("workbook.xlsx".to_string())))
    }
}

/// The target's settings prepared: a live target's resolved and launched
/// through the engine now; a rehearsal's exist once its simulator runs, so
/// its launch comes then, and what can be refused now (the earlier run) is.
fn prepare_target(
    state: &AppState,
    target: Target,
    launch: Launch<'_>,
) -> Result<(Kind, PathBuf, Option<String>), ApiError> {
    let refused = |refusal| launch_refused(refusal, launch.from_run);
    match target {
        Target::Rehearsal(options) => {
            if let Some(dir) = launch.from_dir {
                smtx_engine::launch::from_context(dir, launch.plan, true).map_err(refused)?;
            }
            let (path, file) = run_workbook(&launch, true)?;
            Ok((Kind::Rehearsal(options), path, file))
        }
        Target::Settings(settings) => {
            let run_dir = launch.run_dir.to_path_buf();
            let mut layer =
                target::settings_layer(*settings, &run_dir, state.isos()).map_err(refusal_of)?;
            layer.run_dir = Some(run_dir.clone());
            layer.dry_run = Some(launch.dry_run);
            let mut settings = layer
                .resolve(run_dir, state.data_dir().to_path_buf(), target::read_ca)
                .map_err(refusal_of)?;
            settings.own_known_hosts = Some(pins_file(state, launch.plan, settings.rehearsal));
            settings.report_lang = smtx_i18n::Lang::ZhCn;
            settings.run_by = launch.run_by.map(str::to_string);
            let (path, file) = run_workbook(&launch, settings.rehearsal)?;
            let prepared = smtx_engine::launch::prepare(LaunchRequest {
                settings,
                workbook: Workbook {
                    path: path.clone(),
                    plan: launch.plan.clone(),
                },
                stages: launch.stages.to_vec(),
                from_dir: launch.from_dir.map(ToOwned::to_owned),
                front_end: smtx_engine::LaunchedBy::Console,
            })
            .map_err(refused)?;
            Ok((Kind::Live(Box::new(prepared)), path, file))
        }
    }
}

/// Takes the run's place in the table of active runs: refused while the
/// console shuts down, past the console's limit of runs, or while another
/// run works on one of the cluster's addresses.
fn take_place(
    state: &AppState,
    id: &str,
    plan: &smtx_plan::Plan,
    cancel: &CancellationToken,
    events: &broadcast::Sender<crate::store::StoredEvent>,
) -> Result<(), ApiError> {
    let mut addresses: BTreeSet<String> = plan
        .hosts
        .iter()
        .map(|host| host.management_ip.to_string())
        .collect();
    if let Some(vip) = plan.cluster.vip {
        addresses.insert(vip.to_string());
    }
    let mut active = state
        .0
        .active
        .lock()
        .map_err(|_| ApiError::internal("the run table's lock is poisoned"))?;
    refuse_if_closing(state)?;
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
        id.to_string(),
        ActiveRun {
            cancel: cancel.clone(),
            addresses,
            events: events.clone(),
            transfer: None,
            ended: false,
        },
    );
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRun {
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
    Extension(caller): Extension<Caller>,
    JsonBody(request): JsonBody<CreateRun>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
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
            run_by: caller.name,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateFleet {
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
    Extension(caller): Extension<Caller>,
    JsonBody(request): JsonBody<CreateFleet>,
) -> Result<(StatusCode, Json<FleetCreated>), ApiError> {
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
    let gate = request.parallel.filter(|&n| n > 0).map(FleetGate::new);
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
                run_by: caller.name.clone(),
            },
        )
        .await
        {
            Ok(id) => runs.push(id),
            Err(error) => {
                refused.push(RefusedPlan {
                    plan_id,
                    error: error.body(),
                });
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
        Json(FleetCreated {
            id: fleet_id,
            runs,
            refused,
        }),
    ))
}

/// The run's row as lists show it.
/// `resumed_by`: the newest run started from this one, if any. A run that
/// was resumed is no longer offered for resuming: its resume is.
fn run_summary(state: &AppState, row: &RunRow, resumed_by: Option<&str>) -> RunSummary {
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
    RunSummary {
        id: row.id.clone(),
        plan_id: row.plan_id.clone(),
        cluster: row.cluster.clone(),
        status: row.status,
        target: row.target.clone(),
        dry_run: row.dry_run,
        stages: row.stages.clone(),
        started_at: row.started_at.clone(),
        duration_ms,
        fleet_id: row.fleet_id.clone(),
        from_run: row.from_run.clone(),
        resumed_by: resumed_by.map(str::to_string),
        resumable: row.status.resumable() && resumed_by.is_none(),
        scenario: row.target_spec["rehearsal"]["scenario"]
            .as_str()
            .map(str::to_string),
        summary: row.summary.clone(),
        error: row.error.clone(),
        run_by: row.run_by.clone(),
        aborted_by: row.aborted_by.clone(),
        delivery_report: state
            .run_dir(&row.id)
            .join(smtx_engine::delivery::DELIVERY_FILE)
            .is_file(),
    }
}

/// How many runs `GET /api/runs` answers unless asked (`?limit=`, at most
/// [`MAX_LISTED_RUNS`]): a team's history grows; a page (and each of its
/// polls) must not grow with it.
pub const LISTED_RUNS: usize = 100;
pub const MAX_LISTED_RUNS: usize = 1000;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    limit: Option<usize>,
}

/// `GET /api/runs`: the newest runs first, [`LISTED_RUNS`] unless asked.
pub async fn list(
    State(state): State<AppState>,
    axum::extract::Query(query): axum::extract::Query<ListQuery>,
) -> Result<Json<Vec<RunSummary>>, ApiError> {
    let limit = query.limit.unwrap_or(LISTED_RUNS).clamp(1, MAX_LISTED_RUNS);
    let rows = state.store().newest_runs(limit).await?;
    // Each run's newest resume, in one pass (newest first: the first seen
    // is kept), not a search of the list per run.
    let mut resumes: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for row in &rows {
        if let Some(from) = row.from_run.as_deref() {
            resumes.entry(from).or_insert(row.id.as_str());
        }
    }
    Ok(Json(
        rows.iter()
            .map(|row| run_summary(&state, row, resumes.get(row.id.as_str()).copied()))
            .collect(),
    ))
}

/// `GET /api/runs/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RunDetail>, ApiError> {
    let row = state.run_row(&id).await?;
    let steps = state.store().steps(id.clone()).await?;
    let live_transfer = state
        .0
        .active
        .lock()
        .ok()
        .and_then(|active| active.get(&id).and_then(|run| run.transfer.clone()));
    let resume = state.store().resumed_by(row.id.clone()).await?;
    Ok(Json(RunDetail {
        summary: run_summary(&state, &row, resume.as_deref()),
        steps,
        transfer: live_transfer.or(row.transfer.clone()),
        files: crate::run_files::run_files(&state, &row),
    }))
}

/// `POST /api/runs/{id}/abort`: 202; the run stops between calls and ends
/// `aborted`. A run that is not active: 409.
pub async fn abort(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Aborting>), ApiError> {
    let cancel = state
        .0
        .active
        .lock()
        .ok()
        .and_then(|active| active.get(&id).map(|run| run.cancel.clone()));
    match cancel {
        Some(cancel) => {
            // Recorded before the run is stopped: its end, which the list
            // shows, then names who ended it.
            if let Some(name) = caller.name.clone() {
                state.store().set_aborted_by(id.clone(), name).await?;
            }
            cancel.cancel();
            tracing::info!(action = "console_abort", status = "ok", run = %id, by = caller.name.as_deref());
            Ok((
                StatusCode::ACCEPTED,
                Json(Aborting {
                    id,
                    status: "aborting",
                }),
            ))
        }
        None => {
            let row = state.run_row(&id).await?;
            Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_running",
                &ConsoleMsg::NotRunning {
                    status: row.status.to_string(),
                },
            ))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Resume {
    #[serde(default)]
    target: Option<Value>,
}

/// `POST /api/runs/{id}/resume`: a new run of the same plan, stages and
/// target, from the old run's context (`--from`).
pub async fn resume(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<Resume>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let row = state.run_row(&id).await?;
    if !row.status.resumable() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_resumable",
            &ConsoleMsg::NotResumable {
                status: row.status.to_string(),
            },
        ));
    }
    // Two resumes of one run would both pick up where it stopped: the
    // second is refused, naming the first (resume that one instead).
    if let Some(resume) = state.store().resumed_by(row.id.clone()).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_resumed",
            &ConsoleMsg::AlreadyResumed {
                resume: resume.to_string(),
            },
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
            run_by: caller.name,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id: new })))
}
