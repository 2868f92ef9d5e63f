//! Plans: an uploaded workbook, read with the same bounded reader and
//! validation as `plan check`, kept as `DATA_DIR/plans/<id>.xlsx` (0600) with
//! its summary and every diagnostic in the store. No password of the
//! workbook reaches the summary.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
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

/// Every diagnostic as `plan check` finds it, with its message in both
/// languages.
pub fn diagnostics_json(parsed: &ParsedWorkbook) -> Value {
    Value::from(
        parsed
            .diagnostics
            .iter()
            .map(|diagnostic| {
                json!({
                    "cell": diagnostic.location,
                    "field": diagnostic.field,
                    "severity": match diagnostic.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    },
                    "message": messages::json_of(&diagnostic.message),
                })
            })
            .collect::<Vec<_>>(),
    )
}

/// The answer of `POST /api/plans` and `GET /api/plans/{id}`. `plan` is the
/// plan as `plan check --json` prints it: a cell that did not parse is
/// `null` with `<field>_raw` beside it, never the placeholder the engine's
/// types hold (a host whose 主机规划!I4 reads `10.0.20.300` is not shown at
/// `0.0.0.0`).
fn plan_json(id: &str, name: &str, parsed: &ParsedWorkbook) -> Value {
    let plan = &parsed.plan;
    let detail = serde_json::to_value(plan).unwrap_or(Value::Null);
    let hosts: Vec<Value> = detail["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|host| {
            json!({
                "row": host["row"],
                "name": host["hostname"],
                "management_ip": host["management_ip"],
                "management_ip_raw": host.get("management_ip_raw"),
                "bmc_ip": host["bmc"]["ip"],
                "bmc_ip_raw": host["bmc"].get("ip_raw"),
            })
        })
        .collect();
    let mut addresses: Vec<Value> = hosts
        .iter()
        .map(|host| host["management_ip"].clone())
        .collect();
    addresses.push(detail["cluster"]["vip"].clone());
    addresses.retain(|address| !address.is_null());
    let cluster = if plan.cluster.name.is_empty() && plan.hosts.is_empty() {
        Value::Null
    } else {
        json!({
            "name": plan.cluster.name,
            "vip": detail["cluster"]["vip"],
            "vip_raw": detail["cluster"].get("vip_raw"),
            "addresses": addresses,
        })
    };
    json!({
        "id": id,
        "name": name,
        "uploaded_at": crate::store::rfc3339_now(),
        "cluster": cluster,
        "hosts": hosts,
        "networks": plan.business_networks.len(),
        "plan": detail,
        "summary": {
            "errors": parsed.error_count(),
            "warnings": parsed.warning_count(),
        },
        "diagnostics": diagnostics_json(parsed),
    })
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
    let mut body = plan_json(&id, &name, &parsed);
    // Who uploaded it first (the name of their token), kept with the plan.
    if let Some(name) = &caller.name {
        body["uploaded_by"] = Value::from(name.as_str());
    }
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
    .with_diagnostics(diagnostics_json(parsed))
}
