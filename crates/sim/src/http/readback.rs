//! The read-back GETs `smtx-deploy check` uses (VIP, DNS, NTP, IPMI
//! accounts, images; their shapes are \[ASSUMED\], see the state's
//! `readback` module) and `DELETE /_sim/vds/{vds}/vlans/{vlan}`, which
//! removes a business network behind the client's back so that drift can
//! be rehearsed. Merged into the main router, so the GETs go through the
//! same session check, faults, latency and call log as every API call.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{delete, get};

use super::extract::Session;
use super::{App, ok};
use crate::state::ApiError;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/api/v2/settings/vip", get(vip))
        .route("/api/v2/settings/dns", get(dns))
        .route("/api/v2/settings/ntp", get(ntp))
        .route("/api/v2/ipmi/accounts", get(ipmi_accounts))
        .route("/api/v2/images", get(images))
        .route("/_sim/vds/{vds}/vlans/{vlan}", delete(remove_vlan))
}

async fn vip(State(app): State<App>, _: Session) -> Response {
    ok(app.lock().vip_setting())
}

async fn dns(State(app): State<App>, _: Session) -> Response {
    ok(app.lock().dns_setting())
}

async fn ntp(State(app): State<App>, _: Session) -> Response {
    ok(app.lock().ntp_setting())
}

async fn ipmi_accounts(State(app): State<App>, _: Session) -> Response {
    ok(app.lock().ipmi_accounts())
}

async fn images(State(app): State<App>, _: Session) -> Response {
    ok(app.lock().list_images())
}

async fn remove_vlan(
    State(app): State<App>,
    Path((vds, vlan)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    app.lock().remove_vlan(&vds, &vlan).map(ok)
}
