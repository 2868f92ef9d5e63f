//! The `/_sim` control endpoints: `GET /_sim/state` (the snapshot) and
//! `POST /_sim/faults` (arm faults at run time). They bypass the call log
//! and the faults.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::{App, ok};
use crate::scenario::Scenario;
use crate::state::ApiError;

pub(super) async fn state(State(app): State<App>) -> Json<Value> {
    Json(app.lock().snapshot())
}

pub(super) async fn faults(State(app): State<App>, body: Bytes) -> Result<Response, ApiError> {
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
