//! The simulator's HTTP API: an axum router over [`SimState`], the
//! middleware that applies endpoint faults and writes the call log, the
//! streaming chunk upload, and the `/_sim` control endpoints.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use crate::scenario::Scenario;
use crate::state::{ApiError, SimState, Target};

/// Everything the handlers share.
pub(crate) struct Shared {
    state: Mutex<SimState>,
    pub upload_dir: PathBuf,
}

impl Shared {
    pub fn new(state: SimState, upload_dir: PathBuf) -> Self {
        Self {
            state: Mutex::new(state),
            upload_dir,
        }
    }

    /// A panicking handler must not take the whole simulator down with it.
    pub fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type App = Arc<Shared>;

/// Per-connection facts, inserted into every request by the accept loop.
#[derive(Debug, Clone)]
pub(crate) struct ConnInfo {
    pub target: Target,
    /// Cancelling it makes the accept loop drop the connection at once.
    pub abort: CancellationToken,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.envelope())).into_response()
    }
}

fn ok(data: Value) -> Response {
    Json(json!({"ec": "EOK", "error": {}, "data": data})).into_response()
}

fn token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-smartx-token")
        .and_then(|value| value.to_str().ok())
}

fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|error| {
        ApiError::bad_request("INVALID_JSON", format!("body is not JSON: {error}"))
    })
}

/// The router for one simulated cluster; every listener shares it.
pub(crate) fn router(app: App, chunk_size: u64) -> Router {
    let body_limit = usize::try_from(chunk_size)
        .unwrap_or(usize::MAX)
        .saturating_add(1 << 20);
    Router::new()
        .route("/api/v2/deployment/host", get(host_scan))
        .route("/api/v2/deployment/deploy_verify", get(deploy_verify))
        .route("/api/v3/users:setupRoot", post(setup_root))
        .route("/api/v3/sessions", post(login))
        .route("/api/v2/settings/vip", put(set_vip))
        .route("/api/v2/settings/dns", put(set_dns))
        .route("/api/v2/settings/ntp", put(set_ntp))
        .route("/api/v2/ipmi/upsert_accounts", post(upsert_ipmi))
        .route("/api/v2/network/vds", get(list_vds).post(create_vds))
        .route("/api/v2/network/vds/{uuid}", get(get_vds))
        .route(
            "/api/v2/network/vds/{uuid}/vlans",
            get(list_vlans).post(create_vlan),
        )
        .route("/api/v2/jobs/{id}", get(get_job))
        .route("/api/v2/svt_image/create_volume", post(create_volume))
        .route("/api/v2/svt_image/upload_template", post(upload_template))
        .route("/api/v2/images/{uuid}", axum::routing::delete(delete_image))
        .route("/api/v2/tools/license", get(license))
        .route(
            "/api/v2/elf/cluster_recommended_cpu_models",
            get(recommended_cpu_models),
        )
        .route(
            "/api/v2/elf/cluster_cpu_compatibility",
            get(get_cpu_compatibility).put(set_cpu_compatibility),
        )
        .route("/_sim/state", get(sim_state))
        .route("/_sim/faults", post(sim_faults))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(app.clone(), track))
        .with_state(app)
}

async fn not_found(request: Request) -> ApiError {
    ApiError::not_found("NOT_FOUND", format!("no endpoint {}", request.uri().path()))
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!(
            "{} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    )
}

/// Applies the VIP gate, endpoint faults and latency, and records the call.
async fn track(State(app): State<App>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/_sim/") {
        return next.run(request).await;
    }
    let target = request
        .extensions()
        .get::<ConnInfo>()
        .map(|conn| conn.target)
        .unwrap_or(Target::Node(0));
    let method = request.method().to_string();
    let query = request.uri().query().map(str::to_owned);
    let (vip_down, fault, latency) = {
        let mut state = app.lock();
        let vip_down = target == Target::Vip && state.vip.is_none();
        let fault = if vip_down {
            None
        } else {
            state.take_endpoint_fault(&method, &path)
        };
        (vip_down, fault, state.latency_ms(&method, &path))
    };
    if latency > 0 {
        // The `latency` fault: a slow cluster is the point here.
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let response = if vip_down {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "VIP_NOT_CONFIGURED",
            "the management VIP has not been set",
        )
        .into_response()
    } else if let Some(status) = fault {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError::new(
            status,
            "INJECTED_FAULT",
            format!("injected fault on {method} {path}"),
        )
        .into_response()
    } else {
        next.run(request).await
    };
    app.lock().record_call(
        &method,
        &path,
        query.as_deref(),
        response.status().as_u16(),
        target,
    );
    response
}

fn node_of(conn: Option<Extension<ConnInfo>>) -> usize {
    match conn.map(|Extension(conn)| conn.target) {
        Some(Target::Node(index)) => index,
        // The VIP is served by the master node.
        _ => 0,
    }
}

async fn host_scan(
    State(app): State<App>,
    conn: Option<Extension<ConnInfo>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let state = app.lock();
    state.check_pre_deployment_token(token(&headers))?;
    Ok(ok(state.host_scan(node_of(conn))))
}

async fn deploy_verify(State(app): State<App>, headers: HeaderMap) -> Result<Response, ApiError> {
    let state = app.lock();
    state.check_pre_deployment_token(token(&headers))?;
    Ok(ok(state.deploy_verify()))
}

async fn setup_root(State(app): State<App>, body: Bytes) -> Result<Response, ApiError> {
    let body = json_body(&body)?;
    Ok(Json(app.lock().setup_root(&body)?).into_response())
}

async fn login(State(app): State<App>, body: Bytes) -> Result<Response, ApiError> {
    let body = json_body(&body)?;
    Ok(Json(app.lock().login(&body)?).into_response())
}

/// Runs `action` on the state once the session token checked out.
fn with_session(
    app: &App,
    headers: &HeaderMap,
    action: impl FnOnce(&mut SimState) -> Result<Value, ApiError>,
) -> Result<Response, ApiError> {
    let mut state = app.lock();
    state.check_session(token(headers))?;
    action(&mut state).map(ok)
}

async fn set_vip(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| state.set_vip(&json_body(&body)?))
}

async fn set_dns(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| state.set_dns(&json_body(&body)?))
}

async fn set_ntp(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| state.set_ntp(&json_body(&body)?))
}

async fn upsert_ipmi(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| {
        state.upsert_ipmi(&json_body(&body)?)
    })
}

async fn list_vds(State(app): State<App>, headers: HeaderMap) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| Ok(state.list_vds()))
}

async fn create_vds(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| state.create_vds(&json_body(&body)?))
}

async fn get_vds(
    State(app): State<App>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| state.get_vds(&uuid))
}

async fn list_vlans(
    State(app): State<App>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| state.list_vlans(&uuid))
}

async fn create_vlan(
    State(app): State<App>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| {
        state.create_vlan(&uuid, &json_body(&body)?)
    })
}

async fn get_job(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| state.poll_job(&id))
}

async fn license(State(app): State<App>, headers: HeaderMap) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| Ok(state.license()))
}

async fn recommended_cpu_models(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| Ok(state.recommended_cpu_models()))
}

async fn get_cpu_compatibility(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| Ok(state.cpu_model()))
}

async fn set_cpu_compatibility(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    with_session(&app, &headers, |state| {
        state.set_cpu_model(&json_body(&body)?)
    })
}

fn io_error(what: &str, error: std::io::Error) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_ERROR",
        format!("{what}: {error}"),
    )
}

async fn create_volume(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let name = query.get("name").cloned().unwrap_or_default();
    let size = query
        .get("size")
        .and_then(|size| size.parse::<u64>().ok())
        .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "size must be a byte count"))?;
    let (answer, new_file) = {
        let mut state = app.lock();
        state.check_session(token(&headers))?;
        state.create_volume(&name, size, &app.upload_dir)?
    };
    if let Some((path, size)) = new_file {
        // Sparse: chunks land at their offsets, in any order.
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(|error| io_error("cannot create the image file", error))?;
        file.set_len(size)
            .await
            .map_err(|error| io_error("cannot size the image file", error))?;
    }
    Ok(ok(answer))
}

struct ChunkTarget {
    path: PathBuf,
    offset: u64,
    expected: u64,
}

async fn upload_template(
    State(app): State<App>,
    conn: Option<Extension<ConnInfo>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let image_uuid = query.get("image_uuid").cloned().unwrap_or_default();
    let zbs_volume_id = query.get("zbs_volume_id").cloned().unwrap_or_default();
    let chunk_num = query
        .get("chunk_num")
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "chunk_num must be an integer"))?;
    let (target, drop_connection, fail_chunk) = {
        let mut state = app.lock();
        state.check_session(token(&headers))?;
        let image = state.image_mut(&image_uuid).ok_or_else(|| {
            ApiError::not_found("IMAGE_NOT_FOUND", format!("no image {image_uuid}"))
        })?;
        if image.zbs_volume_id != zbs_volume_id {
            return Err(ApiError::bad_request(
                "VOLUME_MISMATCH",
                format!("zbs_volume_id {zbs_volume_id} does not belong to image {image_uuid}"),
            ));
        }
        if chunk_num >= image.chunk_count() {
            return Err(ApiError::bad_request(
                "CHUNK_OUT_OF_RANGE",
                format!(
                    "chunk_num {chunk_num} is out of range (image has {} chunks)",
                    image.chunk_count()
                ),
            ));
        }
        let target = ChunkTarget {
            path: image.path.clone(),
            offset: chunk_num * image.chunk_size,
            expected: image.expected_len(chunk_num),
        };
        let drop_connection = state.take_drop_fault(chunk_num);
        let fail_chunk = !drop_connection && state.take_chunk_fault(chunk_num);
        (target, drop_connection, fail_chunk)
    };
    let mut multipart = multipart.map_err(|rejection| {
        ApiError::bad_request(
            "INVALID_MULTIPART",
            format!("body is not multipart: {rejection}"),
        )
    })?;
    if drop_connection {
        // Read a little of the chunk first, so the client is mid-send.
        if let Ok(Some(mut field)) = multipart.next_field().await {
            let _ = field.chunk().await;
        }
        if let Some(Extension(conn)) = conn {
            app.lock().record_call(
                "POST",
                "/api/v2/svt_image/upload_template",
                Some(&format!("chunk_num={chunk_num}&dropped=true")),
                0,
                conn.target,
            );
            conn.abort.cancel();
            // The accept loop drops this future together with the connection.
            std::future::pending::<()>().await;
        }
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "CONNECTION_DROPPED",
            "connection dropped (injected fault)",
        ));
    }
    if fail_chunk {
        // Drain the body so the client sees the status, not a reset.
        while let Ok(Some(mut field)) = multipart.next_field().await {
            while let Ok(Some(_)) = field.chunk().await {}
        }
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "CHUNK_UPLOAD_FAILED",
            format!("chunk {chunk_num} failed (injected fault)"),
        ));
    }
    let written = write_chunk(&mut multipart, &target).await?;
    if written != target.expected {
        return Err(ApiError::bad_request(
            "CHUNK_SIZE_MISMATCH",
            format!(
                "chunk {chunk_num} has {written} bytes, expected {}",
                target.expected
            ),
        ));
    }
    let (missing, hash_job) = {
        let mut state = app.lock();
        let image = state.image_mut(&image_uuid).ok_or_else(|| {
            ApiError::not_found("IMAGE_NOT_FOUND", format!("image {image_uuid} was deleted"))
        })?;
        if let Some(slot) = usize::try_from(chunk_num)
            .ok()
            .and_then(|index| image.received.get_mut(index))
        {
            *slot = true;
        }
        image.sha256 = None;
        let hash_job = image.complete().then(|| (image.path.clone(), image.size));
        (image.missing(), hash_job)
    };
    if let Some((path, size)) = hash_job {
        let digest = tokio::task::spawn_blocking(move || hash_file(&path, size))
            .await
            .map_err(|error| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_ERROR",
                    format!("hashing stopped: {error}"),
                )
            })?
            .map_err(|error| io_error("cannot hash the image", error))?;
        if let Some(image) = app.lock().image_mut(&image_uuid) {
            image.sha256 = Some(digest);
        }
    }
    Ok(ok(json!({"chunk_num": chunk_num, "to_upload": missing})))
}

/// Streams the `file` field to its offset in the image file; returns the
/// number of bytes the field held (writing stops once it exceeds the
/// expected length).
async fn write_chunk(multipart: &mut Multipart, target: &ChunkTarget) -> Result<u64, ApiError> {
    let bad = |error: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(
            "INVALID_MULTIPART",
            format!("cannot read the body: {error}"),
        )
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(&target.path)
            .await
            .map_err(|error| io_error("cannot open the image file", error))?;
        file.seek(std::io::SeekFrom::Start(target.offset))
            .await
            .map_err(|error| io_error("cannot seek in the image file", error))?;
        let mut written: u64 = 0;
        while let Some(bytes) = field.chunk().await.map_err(bad)? {
            written += bytes.len() as u64;
            if written > target.expected {
                // Keep counting to report the size, but never write past the chunk.
                continue;
            }
            file.write_all(&bytes)
                .await
                .map_err(|error| io_error("cannot write the image file", error))?;
        }
        file.flush()
            .await
            .map_err(|error| io_error("cannot flush the image file", error))?;
        return Ok(written);
    }
    Err(ApiError::bad_request(
        "MISSING_FILE_FIELD",
        "multipart body has no `file` field",
    ))
}

fn hash_file(path: &std::path::Path, size: u64) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file.take(size));
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 1 << 20];
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

async fn delete_image(
    State(app): State<App>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
) -> Result<Response, ApiError> {
    let path = {
        let mut state = app.lock();
        state.check_session(token(&headers))?;
        state.delete_image(&uuid)?
    };
    // Best effort: the image is gone from the API either way.
    let _ = tokio::fs::remove_file(&path).await;
    Ok(ok(json!({})))
}

async fn sim_state(State(app): State<App>) -> Json<Value> {
    Json(app.lock().snapshot())
}

async fn sim_faults(State(app): State<App>, body: Bytes) -> Result<Response, ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("INVALID_JSON", "body is not UTF-8"))?;
    let scenario = Scenario::from_json(text)
        .map_err(|error| ApiError::bad_request("INVALID_FAULT", error.to_string()))?;
    let armed = scenario.faults.len();
    let mut state = app.lock();
    for fault in scenario.faults {
        state.inject(fault);
    }
    Ok(ok(json!({ "armed": armed })))
}
