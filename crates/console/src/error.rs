//! The API's error answer: a status, a snake_case code and the message in
//! both languages (`{"error":{"code","message":{"en","zh-CN"}}}`), with the
//! workbook's diagnostics where they are the reason (422).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use smtx_i18n::{Localize, Text};

use crate::messages::{self, ConsoleMsg};

/// An answer that is not 2xx.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    /// Boxed, as the diagnostics: an error travels in every `Result` of
    /// the handlers, and is rare.
    pub message: Box<Text>,
    pub diagnostics: Option<Box<Value>>,
    /// The request's field the error is about, for a script (the message
    /// names it by its label on the page, never by its key).
    pub field: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: &impl Localize) -> Self {
        Self {
            status,
            code,
            message: Box::new(messages::both(message)),
            diagnostics: None,
            field: None,
        }
    }

    pub fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    pub fn with_diagnostics(mut self, diagnostics: Value) -> Self {
        self.diagnostics = Some(Box::new(diagnostics));
        self
    }

    pub fn bad_request(reason: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            &ConsoleMsg::BadRequest {
                reason: reason.to_string(),
            },
        )
    }

    /// Something on the server side (the database, a file) failed. The
    /// reason never holds a secret: none reaches the database or the files
    /// the console reads back.
    pub fn internal(reason: impl std::fmt::Display) -> Self {
        let reason = reason.to_string();
        tracing::error!(action = "console", status = "failed", error = %reason);
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            &ConsoleMsg::Internal { reason },
        )
    }

    /// 413 for an upload past `limit_bytes`.
    pub fn upload_too_large(limit_bytes: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "upload_too_large",
            &ConsoleMsg::UploadTooLarge {
                limit_mib: limit_bytes / (1024 * 1024),
            },
        )
    }

    pub fn run_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            &ConsoleMsg::RunNotFound { id: id.to_string() },
        )
    }

    /// A file of a run it does not have (or may not serve): one answer
    /// whichever, so it tells nothing of the run's directory.
    pub fn file_not_found(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            &ConsoleMsg::FileNotFound {
                name: name.to_string(),
            },
        )
    }

    pub fn plan_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            &ConsoleMsg::PlanNotFound { id: id.to_string() },
        )
    }
}

/// `error` of every answer that is not 2xx (and of a fleet's refused plan).
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub code: &'static str,
    /// `{"en": …, "zh-CN": …}`.
    pub message: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

/// The whole answer: the error, and the workbook's diagnostics where they
/// are the reason.
#[derive(Debug, Serialize)]
struct ErrorAnswer {
    error: ErrorBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    diagnostics: Option<Value>,
}

impl ApiError {
    /// The `error` object of the answer.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code,
            message: messages::json(&self.message),
            field: self.field,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorAnswer {
            error: self.body(),
            diagnostics: self.diagnostics.map(|diagnostics| *diagnostics),
        };
        let mut response = (self.status, Json(body)).into_response();
        response
            .extensions_mut()
            .insert(crate::log::ErrorCode(self.code));
        // A request that did not arrive in time left the rest of its body
        // on the connection: it carries no further request.
        if self.status == StatusCode::REQUEST_TIMEOUT {
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}

/// Every `/api` error answer in the shape above. axum answers some requests
/// before a handler runs (a body past its limit, a path that is not UTF-8,
/// a multipart request without its boundary, a method a route lacks) with
/// plain text or nothing; a script or the page reading `error.code` got
/// neither. Those answers are rewritten here; the console's own
/// ([`crate::log::ErrorCode`] set) pass as they are.
pub async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = request.uri().path().starts_with("/api");
    let response = next.run(request).await;
    let status = response.status();
    if !api
        || !(status.is_client_error() || status.is_server_error())
        || response
            .extensions()
            .get::<crate::log::ErrorCode>()
            .is_some()
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    // axum's reason is a short sentence about the request's framing.
    let reason = axum::body::to_bytes(body, 4096)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
        .unwrap_or_default();
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(status, "too_large", &ConsoleMsg::BodyTooLarge)
        }
        StatusCode::NOT_FOUND => ApiError::new(status, "not_found", &ConsoleMsg::NoSuchRoute),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::new(status, "method_not_allowed", &ConsoleMsg::MethodNotAllowed)
        }
        status if status.is_client_error() => {
            let mut error = ApiError::bad_request(if reason.is_empty() {
                status.to_string()
            } else {
                reason
            });
            error.status = status;
            error
        }
        _ => ApiError::internal(reason),
    };
    let mut answer = error.into_response();
    if let Some(allow) = parts.headers.get(axum::http::header::ALLOW) {
        answer
            .headers_mut()
            .insert(axum::http::header::ALLOW, allow.clone());
    }
    answer
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::internal(error)
    }
}
