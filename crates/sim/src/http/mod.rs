//! The simulator's HTTP API: an axum router over [`SimState`] and the
//! middleware that applies endpoint faults and writes the call log. The
//! handlers here are thin: extract ([`extract`]), call the state, wrap the
//! answer. Uploads are in [`upload`], the `/_sim` control endpoints in
//! [`control`].

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};
use smtx_secret::Secret;
use tokio_util::sync::CancellationToken;

use crate::state::{
    ApiError, CpuModelBody, CreateVdsBody, CreateVlanBody, DnsBody, LoginBody, NtpBody,
    SetupRootBody, SimState, Target, UpsertIpmiBody, VipBody,
};

mod control;
mod extract;
mod readback;
mod upload;

use extract::{JsonBody, PreDeployment, Session};

/// Largest JSON request body: every real one is a few KiB.
const JSON_BODY_LIMIT: usize = 1 << 20;

/// Everything the handlers share.
pub(crate) struct Shared {
    state: Mutex<SimState>,
    pub upload_dir: PathBuf,
    /// Guards `/_sim/*` when set.
    pub control_token: Option<Secret>,
}

impl Shared {
    pub fn new(state: SimState, upload_dir: PathBuf) -> Self {
        Self {
            state: Mutex::new(state),
            upload_dir,
            control_token: None,
        }
    }

    pub fn with_control_token(mut self, token: Option<Secret>) -> Self {
        self.control_token = token;
        self
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

/// The router for one simulated cluster; every listener shares it.
pub(crate) fn router(app: App, chunk_size: u64) -> Router {
    let api = Router::new()
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
        .route(
            "/api/v2/svt_image/create_volume",
            post(upload::create_volume),
        )
        .route("/api/v2/images/{uuid}", delete(upload::delete_image))
        .route("/api/v2/tools/license", get(license))
        .route(
            "/api/v2/elf/cluster_recommended_cpu_models",
            get(recommended_cpu_models),
        )
        .route(
            "/api/v2/elf/cluster_cpu_compatibility",
            get(get_cpu_compatibility).put(set_cpu_compatibility),
        )
        .route("/_sim/state", get(control::state))
        .route("/_sim/faults", post(control::faults))
        .merge(readback::routes())
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT));
    let chunk_limit = usize::try_from(chunk_size)
        .unwrap_or(usize::MAX)
        .saturating_add(1 << 20);
    let uploads = Router::new()
        .route(
            "/api/v2/svt_image/upload_template",
            post(upload::upload_template),
        )
        .layer(DefaultBodyLimit::max(chunk_limit));
    api.merge(uploads)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
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
    if path == "/_sim" || path.starts_with("/_sim/") {
        if let Some(refused) = control::refusal(&app, request.headers()) {
            return refused;
        }
        return next.run(request).await;
    }
    let target = request
        .extensions()
        .get::<ConnInfo>()
        .map(|conn| conn.target)
        .unwrap_or(Target::Node(0));
    let started = std::time::Instant::now();
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
        let _held = Held::new(&app);
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
    app.lock().record_call_since(
        &method,
        &path,
        query.as_deref(),
        response.status().as_u16(),
        target,
        started,
    );
    response
}

/// A call waiting out its latency, counted while it waits (also when the
/// client goes away mid-wait and the wait is dropped).
struct Held<'a>(&'a Shared);

impl<'a> Held<'a> {
    fn new(app: &'a Shared) -> Self {
        app.lock().hold(true);
        Self(app)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.lock().hold(false);
    }
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
    _: PreDeployment,
    conn: Option<Extension<ConnInfo>>,
) -> Result<Response, ApiError> {
    app.lock().host_scan(node_of(conn)).map(ok)
}

async fn deploy_verify(State(app): State<App>, _: PreDeployment) -> Response {
    ok(app.lock().deploy_verify())
}

async fn setup_root(
    State(app): State<App>,
    JsonBody(body): JsonBody<SetupRootBody>,
) -> Result<Response, ApiError> {
    Ok(Json(app.lock().setup_root(body)?).into_response())
}

async fn login(
    State(app): State<App>,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, ApiError> {
    Ok(Json(app.lock().login(body)?).into_response())
}

async fn set_vip(
    State(app): State<App>,
    _: Session,
    JsonBody(body): JsonBody<VipBody>,
) -> Result<Response, ApiError> {
    app.lock().set_vip(body).map(ok)
}

async fn set_dns(
    State(app): State<App>,
    _: Session,
    JsonBody(body): JsonBody<DnsBody>,
) -> Result<Response, ApiError> {
    app.lock().set_dns(body).map(ok)
}

async fn set_ntp(
    State(app): State<App>,
    _: Session,
    JsonBody(body): JsonBody<NtpBody>,
) -> Result<Response, ApiError> {
    app.lock().set_ntp(body).map(ok)
}

async fn upsert_ipmi(
    State(app): State<App>,
    _: Session,
    JsonBody(body): JsonBody<UpsertIpmiBody>,
) -> Result<Response, ApiError> {
    app.lock().upsert_ipmi(body).map(ok)
}

async fn list_vds(State(app): State<App>, _: Session) -> Response {
    ok(app.lock().list_vds())
}

async fn create_vds(
    State(app): State<App>,
    _: Session,
    JsonBody(body): JsonBody<CreateVdsBody>,
) -> Result<Response, ApiError> {
    app.lock().create_vds(body).map(ok)
}

async fn get_vds(
    State(app): State<App>,
    _: Session,
    Path(uuid): Path<String>,
) -> Result<Response, ApiError> {
    app.lock().get_vds(&uuid).map(ok)
}

async fn list_vlans(
    State(app): State<App>,
    _: Session,
    Path(uuid): Path<String>,
) -> Result<Response, ApiError> {
    app.lock().list_vlans(&uuid).map(ok)
}

async fn create_vlan(
    State(app): State<App>,
    _: Session,
    Path(uuid): Path<String>,
    JsonBody(body): JsonBody<CreateVlanBody>,
) -> Result<Response, ApiError> {
    app.lock().create_vlan(&uuid, body).map(ok)
}

async fn get_job(
    State(app): State<App>,
    _: Session,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    app.lock().poll_job(&id).map(ok)
}

async fn license(State(app): State<App>, _: Session) -> Result<Response, ApiError> {
    app.lock().license().map(ok)
}

async fn recommended_cpu_models(State(app): State<App>, _: Session) -> Response {
    ok(app.lock().recommended_cpu_models())
}

async fn get_cpu_compatibility(State(app): State<App>, _: Session) -> Response {
    ok(app.lock().cpu_model())
}

async fn set_cpu_compatibility(
    State(app): State<App>,
    _: Session,
    JsonBody(body): JsonBody<CpuModelBody>,
) -> Result<Response, ApiError> {
    app.lock().set_cpu_model(body).map(ok)
}
