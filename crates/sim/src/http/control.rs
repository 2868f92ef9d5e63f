//! The `/_sim` control endpoints: `GET /_sim/state` (the snapshot) and
//! `POST /_sim/faults` (arm faults at run time). They bypass the call log
//! and the faults, and with a control token set they want it as
//! `Authorization: Bearer <token>`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{App, ok};
use crate::scenario::Scenario;
use crate::state::ApiError;

/// Equal in time whatever the first differing byte, so the answer's timing
/// does not reveal how much of a guess was right.
fn same_secret(given: &[u8], wanted: &[u8]) -> bool {
    given.len() == wanted.len()
        && given
            .iter()
            .zip(wanted)
            .fold(0_u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// The 401 for a control request without the bearer token, when one is
/// set.
pub(super) fn refusal(app: &App, headers: &HeaderMap) -> Option<Response> {
    let wanted = app.control_token.as_ref()?;
    // Bytes, not `to_str`: a token may be any UTF-8, which is not visible
    // ASCII.
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.as_bytes().strip_prefix(b"Bearer "));
    if given.is_some_and(|given| same_secret(given, wanted.expose().as_bytes())) {
        return None;
    }
    let mut refused = ApiError::unauthorized(
        "UNAUTHORIZED",
        "the control endpoints need Authorization: Bearer <control token>",
    )
    .into_response();
    refused
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    Some(refused)
}

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

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn only_the_same_bytes_are_the_same_secret() {
        assert!(same_secret(b"token", b"token"));
        assert!(!same_secret(b"token", b"tokem"));
        assert!(!same_secret(b"token", b"token2"));
        assert!(!same_secret(b"", b"token"));
    }
}
