//! Extractors the handlers share: the session check ([`Session`]), the
//! pre-deployment token ([`PreDeployment`]), typed JSON bodies
//! ([`JsonBody`]) and typed query strings ([`QueryArgs`]). Each rejects with
//! the API's own error envelope.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::App;
use crate::state::ApiError;

fn token(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get("x-smartx-token")
        .and_then(|value| value.to_str().ok())
}

/// A request whose `x-smartx-token` is a live session (each check counts
/// as one use for the `token_expires_after` fault).
#[derive(Debug)]
pub(crate) struct Session;

impl FromRequestParts<App> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        app.lock().check_session(token(parts))?;
        Ok(Self)
    }
}

/// A request carrying the fixed pre-deployment token.
#[derive(Debug)]
pub(crate) struct PreDeployment;

impl FromRequestParts<App> for PreDeployment {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        app.lock().check_pre_deployment_token(token(parts))?;
        Ok(Self)
    }
}

/// What serde said about a body that parsed as JSON but does not fit the
/// endpoint, without the value it quotes for a wrong type (a body may hold
/// a password): "missing field `x`" stays, "invalid type: string \"…\",
/// expected u16" becomes "a field has the wrong type, expected u16".
fn describe_mismatch(error: &serde_json::Error) -> String {
    let text = error.to_string();
    if text.starts_with("missing field") {
        return text;
    }
    if (text.starts_with("invalid type") || text.starts_with("invalid value"))
        && let Some((_, expected)) = text.split_once(", expected ")
    {
        return format!("a field has the wrong type, expected {expected}");
    }
    format!(
        "the body does not fit this endpoint (line {}, column {})",
        error.line(),
        error.column()
    )
}

/// A JSON request body of type `T`. Not JSON → 400 `INVALID_JSON`; JSON of
/// the wrong shape → 400 `INVALID_ARGUMENT`; over the router's body limit →
/// 413.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                let ec = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    "PAYLOAD_TOO_LARGE"
                } else {
                    "INVALID_BODY"
                };
                ApiError::new(rejection.status(), ec, rejection.body_text())
            })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|error| match error.classify() {
                serde_json::error::Category::Data => {
                    ApiError::bad_request("INVALID_ARGUMENT", describe_mismatch(&error))
                }
                _ => ApiError::bad_request("INVALID_JSON", format!("body is not JSON: {error}")),
            })
    }
}

/// A query string of type `T`; one that does not fit → 400
/// `INVALID_ARGUMENT`.
#[derive(Debug)]
pub(crate) struct QueryArgs<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryArgs<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(args)| Self(args))
            .map_err(|rejection| ApiError::bad_request("INVALID_ARGUMENT", rejection.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[expect(dead_code, reason = "only its type matters here")]
        port: u16,
    }

    fn mismatch(text: &str) -> String {
        match serde_json::from_str::<Body>(text) {
            Ok(body) => format!("parsed {body:?}"),
            Err(error) => describe_mismatch(&error),
        }
    }

    #[test]
    fn a_mismatch_never_quotes_the_value() {
        let message = mismatch(r#"{"port": "s3cr3t-password"}"#);
        assert!(!message.contains("s3cr3t"), "{message}");
        assert!(message.contains("expected u16"), "{message}");
        assert_eq!(mismatch("{}"), "missing field `port` at line 1 column 2");
        let negative = mismatch(r#"{"port": -123456}"#);
        assert!(!negative.contains("123456"), "{negative}");
    }
}
