//! Plans: an uploaded workbook, read with the same bounded reader and
//! validation as `plan check`, kept as `DATA_DIR/plans/<id>.xlsx` (0600) with
//! its summary and every diagnostic in the store. No password of the
//! workbook reaches the summary.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use smtx_i18n::Text;
use smtx_plan::{ParsedWorkbook, Severity, WorkbookLimits};

use crate::messages::{self, ConsoleMsg};
use crate::pace::UploadPace;
use crate::{ApiError, AppState, MAX_UPLOAD_BYTES};

fn unreadable(reason: Text) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "unreadable_workbook",
        &ConsoleMsg::UnreadableWorkbook { reason },
    )
}

/// A diagnostic as the page shows it.
#[derive(Debug, Serialize)]
pub struct DiagnosticView {
    /// `主机规划!I4`.
    pub cell: String,
    pub field: String,
    pub severity: &'static str,
    /// `{"en": …, "zh-CN": …}`.
    pub message: Value,
}

/// Every diagnostic as `plan check` finds it, with its message in both
/// languages.
pub fn diagnostics(parsed: &ParsedWorkbook) -> Vec<DiagnosticView> {
    parsed
        .diagnostics
        .iter()
        .map(|diagnostic| DiagnosticView {
            cell: diagnostic.location.to_string(),
            field: diagnostic.field.to_string(),
            severity: match diagnostic.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            message: messages::json_of(&diagnostic.message),
        })
        .collect()
}

/// The answer of `POST /api/plans` and `GET /api/plans/{id}`, kept in the
/// store as it was first answered.
#[derive(Debug, Serialize)]
pub struct PlanView {
    pub id: String,
    pub name: String,
    pub uploaded_at: String,
    /// Who uploaded it first (their token's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploaded_by: Option<String>,
    /// None for a workbook with neither a cluster name nor a host.
    pub cluster: Option<ClusterView>,
    pub hosts: Vec<HostView>,
    /// How many business networks.
    pub networks: usize,
    /// The plan as `plan check --json` prints it.
    pub plan: Value,
    pub summary: PlanCounts,
    pub diagnostics: Vec<DiagnosticView>,
}

#[derive(Debug, Serialize)]
pub struct ClusterView {
    pub name: String,
    pub vip: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vip_raw: Option<Value>,
    /// The addresses a live run changes: the hosts' and the VIP, those
    /// that parse.
    pub addresses: Vec<Value>,
}

#[derive(Debug, Serialize)]
pub struct HostView {
    /// The workbook row.
    pub row: Value,
    pub name: Value,
    pub management_ip: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management_ip_raw: Option<Value>,
    pub bmc_ip: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bmc_ip_raw: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct PlanCounts {
    pub errors: usize,
    pub warnings: usize,
}

/// The plan's view. `plan` is the plan as `plan check --json` prints it: a
/// cell that did not parse is `null` with `<field>_raw` beside it, never
/// the placeholder the engine's types hold (a host whose 主机规划!I4 reads
/// `10.0.20.300` is not shown at `0.0.0.0`); the hosts and the cluster
/// are read from that same JSON.
fn plan_view(id: &str, name: &str, parsed: &ParsedWorkbook) -> PlanView {
    let plan = &parsed.plan;
    let detail = serde_json::to_value(plan).unwrap_or(Value::Null);
    let hosts: Vec<HostView> = detail["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|host| HostView {
            row: host["row"].clone(),
            name: host["hostname"].clone(),
            management_ip: host["management_ip"].clone(),
            management_ip_raw: host.get("management_ip_raw").cloned(),
            bmc_ip: host["bmc"]["ip"].clone(),
            bmc_ip_raw: host["bmc"].get("ip_raw").cloned(),
        })
        .collect();
    let mut addresses: Vec<Value> = hosts
        .iter()
        .map(|host| host.management_ip.clone())
        .collect();
    addresses.push(detail["cluster"]["vip"].clone());
    addresses.retain(|address| !address.is_null());
    let cluster = (!(plan.cluster.name.is_empty() && plan.hosts.is_empty())).then(|| ClusterView {
        name: plan.cluster.name.clone(),
        vip: detail["cluster"]["vip"].clone(),
        vip_raw: detail["cluster"].get("vip_raw").cloned(),
        addresses,
    });
    PlanView {
        id: id.to_string(),
        name: name.to_string(),
        uploaded_at: crate::store::rfc3339_now(),
        uploaded_by: None,
        cluster,
        hosts,
        networks: plan.business_networks.len(),
        summary: PlanCounts {
            errors: parsed.error_count(),
            warnings: parsed.warning_count(),
        },
        diagnostics: diagnostics(parsed),
        plan: detail,
    }
}

/// Reads the workbook at `path` as `plan check` does: bounded, then parsed
/// and validated. `shown` names it in messages.
pub fn read_plan(path: &std::path::Path, shown: &str) -> Result<ParsedWorkbook, Text> {
    let bytes =
        smtx_plan::read_workbook_file(path, &WorkbookLimits::DEFAULT).map_err(|reason| Text {
            zh_cn: format!(
                "{shown}：{}",
                smtx_i18n::Localize::localize(&reason, smtx_i18n::Lang::ZhCn)
            ),
            en: format!("{shown}: {reason}"),
        })?;
    smtx_plan::parse_workbook(&bytes, shown).map_err(|error| Text::of(&error))
}

/// Writes `bytes` to `path`, readable by the console's user only.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    let mut file = smtx_platform::files::private_file(&mut options).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// `POST /api/plans`: multipart, field `workbook` (and optional `name`).
pub async fn upload(
    State(state): State<AppState>,
    axum::Extension(caller): axum::Extension<crate::tokens::Caller>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // An upload is held in memory (up to the size limit) until it is read
    // whole: so many at once, not one per connection.
    let _slot = state.upload_slot()?;
    // A client that trickles (slow-loris, a dead laptop) does not hold the
    // slot, its buffer and a task for ever: it keeps a minimum pace.
    let mut pace = UploadPace::new(&state);
    let mut workbook: Option<Vec<u8>> = None;
    let mut name: Option<String> = None;
    while let Some(mut field) = pace.next(multipart.next_field()).await? {
        match field.name() {
            Some("workbook") => {
                // Which of two would be the plan is a guess: refused.
                if workbook.is_some() {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "several_workbooks",
                        &ConsoleMsg::SeveralWorkbooks,
                    ));
                }
                if name.is_none() {
                    name = field.file_name().map(str::to_string);
                }
                let mut bytes = Vec::new();
                while let Some(chunk) = pace.next(field.chunk()).await? {
                    pace.arrived(chunk.len());
                    if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                        return Err(ApiError::upload_too_large(MAX_UPLOAD_BYTES as u64));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                workbook = Some(bytes);
            }
            Some("name") => {
                let text = pace.next(field.text()).await?;
                pace.arrived(text.len());
                // A display name, not a path: its last component, bounded.
                let text = text.rsplit(['/', '\\']).next().unwrap_or_default();
                name = Some(text.chars().take(200).collect());
            }
            // Read past (the body's limit bounds it), counted as it comes.
            _ => {
                while let Some(chunk) = pace.next(field.chunk()).await? {
                    pace.arrived(chunk.len());
                }
            }
        }
    }
    let Some(bytes) = workbook else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "no_workbook",
            &ConsoleMsg::NoWorkbookField,
        ));
    };
    let name = name
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "workbook.xlsx".to_string());
    // Named by its content: the same workbook uploaded again is the plan
    // already kept (200), not one more copy on the disk.
    let id = content_id(&bytes);
    if let Some(body) = state.store().plan(id.clone()).await?
        && state.plan_path(&id).is_file()
    {
        tracing::info!(action = "plan_upload", status = "ok", error = "", plan = %id, kept = "already", by = caller.name.as_deref());
        return Ok((StatusCode::OK, Json(body)));
    }
    let path = state.plan_path(&id);
    let shown = name.clone();
    let parsed = tokio::task::spawn_blocking({
        let path = path.clone();
        move || -> Result<Result<ParsedWorkbook, Text>, std::io::Error> {
            // A row lost while its file stayed (a crash between the two):
            // the file is this content's, written again.
            let _ = std::fs::remove_file(&path);
            match write_private(&path, &bytes) {
                // The same bytes, uploaded at the same moment.
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                written => written?,
            }
            let parsed = read_plan(&path, &shown);
            if parsed.is_err() {
                // Not a plan: nothing of it is kept.
                let _ = std::fs::remove_file(&path);
            }
            Ok(parsed)
        }
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::internal(format!("{}: {e}", path.display())))?;
    let parsed = parsed.map_err(unreadable)?;
    let mut view = plan_view(&id, &name, &parsed);
    // Who uploaded it first (the name of their token), kept with the plan.
    view.uploaded_by = caller.name.clone();
    let body = serde_json::to_value(&view).map_err(ApiError::internal)?;
    tracing::info!(
        action = "plan_upload",
        status = "ok",
        by = caller.name.as_deref(),
        plan = %id,
        errors = parsed.error_count(),
        warnings = parsed.warning_count()
    );
    state.store().insert_plan(id, body.clone()).await?;
    Ok((StatusCode::CREATED, Json(body)))
}

/// A plan's id: the first 12 hex digits of its bytes' SHA-256.
fn content_id(bytes: &[u8]) -> String {
    use sha2::Digest;
    let mut id = hex::encode(sha2::Sha256::digest(bytes));
    id.truncate(12);
    id
}

/// `GET /api/plans`: newest first.
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(Value::from(state.store().plans().await?)))
}

/// `GET /api/plans/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match state.store().plan(id.clone()).await? {
        Some(body) => Ok(Json(body)),
        None => Err(ApiError::plan_not_found(&id)),
    }
}

/// The error of a run whose plan has errors: 422 with the diagnostics.
pub fn plan_has_errors(parsed: &ParsedWorkbook) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "plan_has_errors",
        &ConsoleMsg::PlanHasErrors {
            errors: parsed.error_count(),
        },
    )
    .with_diagnostics(serde_json::to_value(diagnostics(parsed)).unwrap_or(Value::Null))
}
