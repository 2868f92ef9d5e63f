//! JSON bodies in time: [`JsonBody`], the typed body of `POST /api/runs`,
//! `/api/runs/{id}/resume` and `/api/fleets`, read as a [`TimedBody`]. A body must arrive whole
//! within the deadline after its headers (default
//! [`crate::JSON_BODY_DEADLINE`]), else 408 and the connection is closed: a
//! client that sends a byte now and then holds no connection, task or
//! buffer for longer than that. It is bounded by [`crate::MAX_JSON_BYTES`]
//! (413), checked on `Content-Length` before a byte is read and on what
//! arrives.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::messages::ConsoleMsg;
use crate::{ApiError, AppState, MAX_JSON_BYTES};

/// A request's whole body, read within the console's JSON deadline.
#[derive(Debug)]
pub(crate) struct TimedBody(pub(crate) Bytes);

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        &ConsoleMsg::BodyTooLarge,
    )
}

impl FromRequest<AppState> for TimedBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let deadline = state.json_body_deadline();
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        if declared.is_some_and(|length| length > MAX_JSON_BYTES as u64) {
            return Err(too_large());
        }
        let mut stream = request.into_body().into_data_stream();
        let read = async {
            let mut bytes = Vec::new();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|error| {
                    ApiError::bad_request(format!("the body could not be read: {error}"))
                })?;
                if bytes.len() + chunk.len() > MAX_JSON_BYTES {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(Bytes::from(bytes))
        };
        match tokio::time::timeout(deadline, read).await {
            Ok(body) => body.map(Self),
            Err(_) => {
                let deadline_ms = u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX);
                tracing::warn!(
                    action = "json_body",
                    status = "failed",
                    error = "body_timeout",
                    deadline_ms
                );
                Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "body_timeout",
                    &ConsoleMsg::BodyTooSlow { deadline_ms },
                ))
            }
        }
    }
}

/// A request's body as `T`: read as a [`TimedBody`], then parsed; an empty
/// body, however it is spelled (nothing, blanks, `null`), is `{}`. A body
/// that does not parse is a 400 in the console's error shape, naming keys
/// and types but never a value (it may be a password).
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let TimedBody(bytes) = TimedBody::from_request(request, state).await?;
        let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::bad_request(crate::target::safe_json_error(&e)))?
        };
        let value = if value.is_null() { json!({}) } else { value };
        crate::target::parse_json(value)
            .map(Self)
            .map_err(ApiError::bad_request)
    }
}
