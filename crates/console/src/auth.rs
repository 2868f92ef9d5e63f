//! The bearer token: when the console has one, every `/api` call but
//! `/api/session` needs `Authorization: Bearer TOKEN`; GET requests (the
//! event stream, which `EventSource` opens without headers, and file
//! downloads through a link) may carry it as `?token=` instead. The token is
//! compared in constant time and never logged or echoed. A request that
//! passes vouches for its connection (`connections::trust`): a token
//! holder's connection is not dropped to make room for newer ones.
//! With named tokens (`--token-file`) any of them passes, and the request
//! carries its [`Caller`] — the token's name — for the handlers that record
//! who did what, and for the request's log line.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::messages::ConsoleMsg;
use crate::tokens::Caller;
use crate::{ApiError, AppState};

fn query_token(request: &Request) -> Option<String> {
    request.uri().query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == "token").then(|| percent_decode(value))
    })
}

/// `%XX` and `+` as a query string spells them (a generated token needs
/// neither; a chosen one may).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).ok();
                match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        index += 3;
                    }
                    None => {
                        out.push(b'%');
                        index += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Who `request` comes from, when it carries one of the console's tokens
/// (anyone, unnamed, when it has none).
fn authorized(state: &AppState, request: &Request) -> Option<Caller> {
    if !state.token_required() {
        return Some(Caller::default());
    }
    let tokens = state.tokens();
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if let Some(given) = header {
        return tokens.find(given.trim().as_bytes());
    }
    if request.method() == Method::GET
        && let Some(given) = query_token(request)
    {
        return tokens.find(given.as_bytes());
    }
    None
}

pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(caller) = authorized(&state, &request) {
        // A token holder's connection is not dropped for newer ones.
        crate::connections::trust(&request);
        request.extensions_mut().insert(caller.clone());
        let mut response = next.run(request).await;
        // For the request's log line, which is written outside this layer.
        response.extensions_mut().insert(caller);
        response
    } else {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            &ConsoleMsg::Unauthorized,
        )
        .into_response()
    }
}

/// `{"auth_required", "ok"}`: whether the page must ask for the token, and
/// whether the one it sent is right.
pub async fn session(State(state): State<AppState>, request: Request) -> Json<serde_json::Value> {
    let ok = authorized(&state, &request).is_some();
    if ok {
        crate::connections::trust(&request);
    }
    Json(json!({
        "auth_required": state.token_required(),
        "ok": ok,
    }))
}

/// On a console without a token, any request that reaches a route (the
/// page's too) vouches for its connection: there is no token to pass.
pub async fn vouch_without_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !state.token_required() {
        crate::connections::trust(&request);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_tokens_are_decoded() {
        assert_eq!(percent_decode("a%2Fb+c"), "a/b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
